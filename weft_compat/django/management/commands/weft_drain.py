"""`manage.py weft_drain`: `weft-compat drain` with the project's settings and tasks loaded."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from weft_compat.drain_command import add_arguments, run_drain


class Command(BaseCommand):
    help = "Drain Celery's queued task messages into weft_compat (see `weft-compat drain --help`)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        code = run_drain(argparse.Namespace(**options))
        if code:
            raise CommandError(f"weft_drain ended with exit code {code}", returncode=code)
