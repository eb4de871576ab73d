"""`manage.py weft_revoke ID [--kill]`: `weft-compat revoke` with the project's settings."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from weft_compat.handles_command import revoke_main


class Command(BaseCommand):
    help = "Stop a call, or kill it with --kill (see `weft-compat revoke --help`)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("id", help="the call's id: its tid, or the id Celery gave it")
        parser.add_argument("--kill", action="store_true", help="kill a running call at once")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [options["id"], "--format", options["format"]]
        code = revoke_main([*argv, "--kill"] if options["kill"] else argv)
        if code:
            raise CommandError(f"weft_revoke ended with exit code {code}", returncode=code)
