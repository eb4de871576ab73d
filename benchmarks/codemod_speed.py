"""How fast ``weft-compat migrate --diff`` runs compared with a naive LibCST parse.

Over the same tree — an installed package tree (Django's, by default) plus a generated
Celery project — one process run times:

1. ``weft-compat migrate --diff`` (all rules, ``--jobs`` = CPU count), output discarded;
2. a naive single-process ``libcst.parse_module`` of every file.

It prints lines/second for both and the ratio. The codemod wins by not parsing files
that cannot contain Celery usage, by indexing with ``ast``, by leaving the statements no
rule can act on out of LibCST's parse, and by working in parallel.

    .venv/bin/python -m benchmarks.codemod_speed [--tree PATH] [--apps N] [--jobs N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

import django
import libcst as cst

from benchmarks.celery_tree import generate
from weft_compat.codemod.cli import main
from weft_compat.codemod.sources import iter_python_files


def naive_parse(paths: list[str]) -> tuple[int, float]:
    """Parse every file with LibCST in this process; returns (lines, seconds)."""
    lines = 0
    started = time.perf_counter()
    for path in iter_python_files(paths):
        source = Path(path).read_bytes()
        lines += source.count(b"\n")
        with contextlib.suppress(Exception):  # a few package files are not valid Python 3.12
            cst.parse_module(source)
    return lines, time.perf_counter() - started


def codemod(paths: list[str], jobs: int) -> tuple[int, float]:
    """Run ``weft-compat migrate --diff`` over ``paths``; returns (exit code, seconds)."""
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["migrate", "--diff", "--jobs", str(jobs), *paths])
    return code, time.perf_counter() - started


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tree",
        default=str(Path(django.__file__).parent),
        help="an installed package tree to include (default: Django)",
    )
    parser.add_argument("--apps", type=int, default=40, help="apps in the generated project")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        generated = generate(Path(scratch), apps=args.apps)
        paths = [args.tree, scratch]
        files = sum(1 for _ in iter_python_files(paths))
        # Warm the page cache so neither side pays for the first read.
        for path in iter_python_files(paths):
            Path(path).read_bytes()
        exit_code, codemod_seconds = codemod(paths, args.jobs)
        lines, naive_seconds = naive_parse(paths)
    print(f"tree: {files} files, {lines} lines ({generated} in the generated Celery project)")
    print(
        f"weft-compat migrate --diff (--jobs {args.jobs}): {codemod_seconds:.2f} s, "
        f"{lines / codemod_seconds:,.0f} lines/s (exit {exit_code})"
    )
    print(
        f"naive libcst.parse_module, one process:   {naive_seconds:.2f} s, "
        f"{lines / naive_seconds:,.0f} lines/s"
    )
    print(f"ratio: {naive_seconds / codemod_seconds:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
