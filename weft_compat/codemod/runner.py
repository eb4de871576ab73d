"""Running the passes over a tree, in parallel, and writing results back.

Pass one (``indexing``) reads every file, skips those the text check rules out, and
indexes the rest with ``ast``. Pass two (``rewriting``) rewrites only the indexed
files, with LibCST, against the merged project index. Both passes fan out over
processes. Then, if any file holds Celery app plumbing, the run decides which apps
nothing uses any more (``apps``) and rewrites the files holding their plumbing once
more, with that decision.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence

from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.indexing import STDIN, Pending, index_file, index_source
from weft_compat.codemod.report import FileOutcome, Status
from weft_compat.codemod.sources import forget_packages, iter_python_files
from weft_compat.codemod.workers import fan_out

__all__ = ["STDIN", "Pending", "index_source", "run", "write_changes"]

Progress = Callable[[str], None]
# Runs over at least this many files report progress.
PROGRESS_THRESHOLD = 200


def _tick[Out](
    items: Iterable[Out], total: int, label: str, progress: Progress | None
) -> list[Out]:
    done: list[Out] = []
    step = max(1, total // 10)
    report = progress if total >= PROGRESS_THRESHOLD else None
    for item in items:
        done.append(item)
        if report is not None and len(done) % step == 0:
            report(f"{label} {len(done)}/{total} files")
    return done


def _loading_pass_two(items: Iterable[Pending | FileOutcome]) -> Iterator[Pending | FileOutcome]:
    """``items``, with pass two's modules loaded as the first file to migrate arrives,
    while the workers index the rest."""
    loading = True
    for item in items:
        if loading and isinstance(item, Pending):
            loading = False
            from weft_compat.codemod import rewriting  # noqa: F401 (loads LibCST; see run)
        yield item


def run(
    paths: Sequence[str],
    rules: Sequence[str] | None = None,
    *,
    jobs: int | None = None,
    stdin: bytes | None = None,
    progress: Progress | None = None,
) -> list[FileOutcome]:
    """Migrate ``paths`` (or ``stdin``) with the named rules (None: all of them);
    outcomes sorted by path."""
    jobs = jobs or os.cpu_count() or 1
    forget_packages()
    if stdin is not None:
        first: list[Pending | FileOutcome] = [index_source(STDIN, stdin)]
        if isinstance(first[0], Pending):
            first = [Pending(STDIN, first[0].facts, first[0].rows, stdin, first[0].plain_rows)]
    else:
        files = list(dict.fromkeys(iter_python_files(paths)))
        # Small chunks, so that no worker is left with a run of heavy files at the end.
        chunksize = max(1, len(files) // (jobs * 32))
        indexed = fan_out(index_file, files, None, jobs=jobs, chunksize=chunksize)
        first = _tick(_loading_pass_two(indexed), len(files), "indexed", progress)
    outcomes = [item for item in first if isinstance(item, FileOutcome)]
    pending = [item for item in first if isinstance(item, Pending)]
    if not pending:
        return sorted(outcomes, key=lambda outcome: outcome.path)
    index = ProjectIndex.build(item.facts for item in pending)
    # Pass two and what prepares it need LibCST, which takes about a fifth of a second to
    # load: loaded once a file needs it (``_loading_pass_two``), a run starts on its
    # files without waiting for it, and pass one's workers are forked without it.
    from weft_compat.codemod import helpers, rewriting

    skipped = [item.path for item in outcomes if item.status is Status.SKIPPED]
    helpers.settle_helpers(
        index, [(item.path, item.facts, item.source) for item in pending], skipped
    )
    batch = rewriting.batch(index, rules, pending)
    outcomes += _tick(rewriting.migrate(batch, jobs), len(pending), "migrated", progress)
    if stdin is None:
        outcomes = rewriting.settle_apps(outcomes, batch, jobs)
    return sorted(outcomes, key=lambda outcome: outcome.path)


def write_changes(outcomes: Iterable[FileOutcome]) -> int:
    """Write every changed file back in place (delete the deleted ones); returns how
    many were written or deleted.

    Each file is written to a temporary file beside it and moved over it, so an
    interrupted run never leaves a half-written file; the file keeps its permissions.
    """
    written = 0
    for outcome in outcomes:
        if outcome.status is not Status.CHANGED or outcome.new_source is None:
            continue
        if outcome.deleted:
            os.remove(outcome.path)
        else:
            _replace(outcome.path, outcome.new_source)
        written += 1
    return written


def _replace(path: str, content: bytes) -> None:
    # Loaded here: only ``--write`` needs it, and every run would pay for loading it.
    import tempfile

    # A symlink stays one: the file it points at is the one rewritten.
    target = os.path.realpath(path)
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".weft-compat-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        os.chmod(temporary, os.stat(target).st_mode & 0o7777)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
