"""`manage.py weft_inspect`: `weft-compat inspect` with the project's settings loaded."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from weft_compat.inspect_command import main


class Command(BaseCommand):
    help = "Per queue: waiting, running and deferred calls, and the live workers."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        main(["--format", options["format"]])
