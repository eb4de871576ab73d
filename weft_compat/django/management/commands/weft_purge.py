"""`manage.py weft_purge QUEUE`: `weft-compat purge` with the project's settings loaded."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from weft_compat.purge_command import main


class Command(BaseCommand):
    help = "Remove the calls waiting in a queue (see `weft-compat purge --help`)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("queue", help="the queue to purge, as -Q names it")
        parser.add_argument(
            "--deferred", action="store_true", help="also remove the queue's deferred calls"
        )
        parser.add_argument("--yes", "-y", action="store_true", help="purge without asking")
        # Django's own spelling for "do not ask" (`flush --no-input`, `interactive=False`).
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="the same as --yes",
        )
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [options["queue"], "--format", options["format"]]
        if options["deferred"]:
            argv.append("--deferred")
        if options["yes"] or not options["interactive"]:
            argv.append("--yes")
        code = main(argv)
        if code:
            raise CommandError(f"weft_purge ended with exit code {code}", returncode=code)
