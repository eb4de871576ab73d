"""How fast ``weft-compat migrate --diff`` runs compared with a naive LibCST parse.

Over a generated Celery-heavy Django project (``celery_tree``: about 890,000 lines in
5,900 files, a sixth of them mentioning Celery), one process run times:

1. start-up: the ``weft-compat migrate --diff`` command on an empty tree and on a
   one-file tree (the median of several runs), which is what every run pays before
   its first file, and how it divides (the interpreter, LibCST's own import); commands
   run with Python's bytecode cache on, as an installed package has it, after a
   warm-up run;
2. ``weft-compat migrate --diff --jobs N`` over the tree, as a command (start-up
   included), its output discarded;
3. a naive single-process ``libcst.parse_module`` of every file (LibCST already
   imported).

It prints the machine's load average before and after, lines/second for both, and
the ratio. Figures are worth keeping only when the load average before is below 0.5.

    .venv/bin/python -m benchmarks.codemod_speed [--apps N] [--seed N] [--jobs N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import libcst as cst

from benchmarks.celery_tree import DEFAULT_APPS, DEFAULT_SEED, celery_share, generate
from weft_compat.codemod.sources import iter_python_files

STARTUP_RUNS = 7
ONE_FILE = """from celery import shared_task


@shared_task
def ping(value):
    return value
"""


def command() -> list[str]:
    """The ``weft-compat`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("weft-compat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "weft_compat.codemod"]


def command_environment(scratch: Path) -> dict[str, str]:
    """The environment the command runs in: this one, with Python's bytecode cache on
    (kept in ``scratch``), as for an installed package, whatever the caller set."""
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    return environment


def timed_command(arguments: Sequence[str], environment: dict[str, str]) -> tuple[int, float]:
    """Run ``weft-compat`` with ``arguments``, output discarded; (exit code, seconds)."""
    started = time.perf_counter()
    done = subprocess.run(
        [*command(), *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment,
        check=False,
    )
    return done.returncode, time.perf_counter() - started


def startup(tree: str, environment: dict[str, str]) -> float:
    """The median wall time of ``migrate --diff`` over ``tree``, which has next to nothing."""
    return statistics.median(
        timed_command(["migrate", "--diff", tree], environment)[1] for _ in range(STARTUP_RUNS)
    )


def interpreter_time(code: str, environment: dict[str, str]) -> float:
    """The median wall time of ``python -c code``: how start-up divides."""
    runs = []
    for _ in range(STARTUP_RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=environment, check=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def naive_parse(paths: list[str]) -> tuple[int, float]:
    """Parse every file with LibCST in this process; returns (lines, seconds)."""
    lines = 0
    started = time.perf_counter()
    for path in iter_python_files(paths):
        source = Path(path).read_bytes()
        lines += source.count(b"\n")
        with contextlib.suppress(Exception):
            cst.parse_module(source)
    return lines, time.perf_counter() - started


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=DEFAULT_APPS, help="apps in the project")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        empty, single, project = root / "empty", root / "single", root / "project"
        empty.mkdir()
        single.mkdir()
        (single / "tasks.py").write_text(ONE_FILE)
        tree = generate(project, apps=args.apps, seed=args.seed)
        paths = [str(project)]
        environment = command_environment(root)
        # Warm the page cache and the interpreter's bytecode cache, so no side pays
        # for a first read.
        for path in iter_python_files(paths):
            Path(path).read_bytes()
        timed_command(["migrate", "--diff", str(single)], environment)
        empty_startup = startup(str(empty), environment)
        single_startup = startup(str(single), environment)
        bare = interpreter_time("pass", environment)
        runtime = interpreter_time("import weft_compat", environment)
        libcst_import = interpreter_time("import libcst", environment)
        exit_code, codemod_seconds = timed_command(
            ["migrate", "--diff", "--jobs", str(args.jobs), str(project)], environment
        )
        lines, naive_seconds = naive_parse(paths)
    print(
        f"tree: {len(tree.files)} files, {lines} lines, "
        f"{celery_share(tree):.0%} of the files mention Celery"
    )
    print(
        f"start-up (median of {STARTUP_RUNS}): {empty_startup:.3f} s on an empty tree, "
        f"{single_startup:.3f} s on a one-file tree; of which the interpreter {bare:.3f} s, "
        f"importing the weft_compat package {runtime - bare:.3f} s and, on the one-file "
        f"tree, importing LibCST {libcst_import - bare:.3f} s"
    )
    print(
        f"weft-compat migrate --diff (--jobs {args.jobs}): {codemod_seconds:.2f} s, "
        f"{lines / codemod_seconds:,.0f} lines/s (exit {exit_code})"
    )
    print(
        f"naive libcst.parse_module, one process:   {naive_seconds:.2f} s, "
        f"{lines / naive_seconds:,.0f} lines/s"
    )
    print(f"ratio: {naive_seconds / codemod_seconds:.1f}x")
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
