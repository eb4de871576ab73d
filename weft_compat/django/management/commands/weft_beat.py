"""`manage.py weft_beat`: `weft-compat beat` with the project's settings loaded."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from weft_compat.beat_command import add_arguments, run_beat


class Command(BaseCommand):
    help = "Tick the periodic schedule, or --list it (see `weft-compat beat --help`)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        code = run_beat(argparse.Namespace(**options))
        if code:
            raise CommandError(f"weft_beat ended with exit code {code}", returncode=code)
