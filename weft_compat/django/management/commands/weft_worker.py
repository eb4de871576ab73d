"""`manage.py weft_worker`: `weft-compat worker` with the project's settings loaded."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from weft_compat.pool.command import add_arguments, run_worker


class Command(BaseCommand):
    help = "Run the pooled lane's workers for a queue (see `weft-compat worker --help`)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        code = run_worker(argparse.Namespace(**options))
        if code:
            raise CommandError(f"weft_worker ended with exit code {code}", returncode=code)
