"""`manage.py weft_status ID`: `weft-compat status` with the project's settings loaded."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from weft_compat.handles_command import status_main


class Command(BaseCommand):
    help = "Print a call's state, and its result or error (see `weft-compat status --help`)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("id", help="the call's id: its tid, or the id Celery gave it")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        code = status_main([options["id"], "--format", options["format"]])
        if code:
            raise CommandError(f"weft_status ended with exit code {code}", returncode=code)
