"""Running the passes over a tree, in parallel, and writing results back.

Pass one reads every file, skips those the text check rules out, and indexes the
rest with ``ast``. Pass two rewrites only the indexed files, with LibCST, against
the merged project index. Both passes fan out over processes. Then, if any file holds
Celery app plumbing, the run decides which apps nothing uses any more (``apps``) and
rewrites the files holding their plumbing once more, with that decision.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from weft_compat.codemod.apps import decide
from weft_compat.codemod.facts import ModuleFacts, collect_facts, wants_body_scan
from weft_compat.codemod.helpers import settle_helpers
from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.parsing import parse_module
from weft_compat.codemod.report import PARSE_ERROR, FileOutcome, Status
from weft_compat.codemod.rows import Row, statement_rows
from weft_compat.codemod.rules import rule_classes
from weft_compat.codemod.sources import iter_python_files, might_use_celery, module_name
from weft_compat.codemod.transform import failure, migrate_source
from weft_compat.codemod.workers import fan_out

Progress = Callable[[str], None]
STDIN = "-"
# Runs over at least this many files report progress.
PROGRESS_THRESHOLD = 200


@dataclass(frozen=True)
class Pending:
    """A file that passed pass one: its facts and statement rows, and its source when it
    came from stdin."""

    path: str
    facts: ModuleFacts
    rows: tuple[Row, ...] | None = None
    source: bytes | None = None

    def __reduce__(self) -> tuple[Callable[..., Pending], tuple[object, ...]]:
        # Pass one's workers send every row back; as plain tuples they pickle and load
        # several times faster than as named tuples.
        rows = None if self.rows is None else tuple(map(tuple, self.rows))
        return _unpickle_pending, (self.path, self.facts, rows, self.source)


def _unpickle_pending(
    path: str, facts: ModuleFacts, rows: tuple[tuple[Any, ...], ...] | None, source: bytes | None
) -> Pending:
    return Pending(path, facts, None if rows is None else tuple(map(Row._make, rows)), source)


def index_source(path: str, source: bytes) -> Pending | FileOutcome:
    """Pass one for one file: skip it, fail it, or return its facts."""
    if not might_use_celery(source):
        return FileOutcome(path, Status.SKIPPED)
    try:
        tree, exact = parse_module(source)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        message = getattr(exc, "msg", None) or str(exc)
        return failure(path, PARSE_ERROR, f"file does not parse: {message}", line)
    module, package = module_name(path) if path != STDIN else ("", "")
    scan = b"patch" in source or b"AsyncResult" in source
    facts = collect_facts(
        tree, module, package, scan_calls=scan, scan_bodies=wants_body_scan(source)
    )
    # Rows only from ``ast``'s own tree: newer syntax is parsed whole (``parsing``).
    return Pending(path, facts, statement_rows(tree, source) if exact else ())


def _index_file(path: str, _: None) -> Pending | FileOutcome:
    try:
        with open(path, "rb") as file:
            source = file.read()
    except OSError as exc:
        return failure(path, PARSE_ERROR, f"file cannot be read: {exc.strerror or exc}")
    return index_source(path, source)


@dataclass(frozen=True)
class _Batch:
    """What every file of pass two is migrated against, and the files themselves.

    Workers receive it once, as they start (forked, they inherit it), and then only
    the position of each file to migrate.
    """

    index: ProjectIndex
    rules: tuple[str, ...]
    pending: tuple[Pending, ...]


def _migrate(position: int, batch: _Batch) -> FileOutcome:
    pending = batch.pending[position]
    source = pending.source
    if source is None:
        try:
            with open(pending.path, "rb") as file:
                source = file.read()
        except OSError as exc:
            return failure(pending.path, PARSE_ERROR, f"file cannot be read: {exc.strerror}")
    rules = rule_classes(batch.rules)
    return migrate_source(source, pending.path, pending.facts, batch.index, rules, pending.rows)


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


def run(
    paths: Sequence[str],
    rules: Sequence[str],
    *,
    jobs: int | None = None,
    stdin: bytes | None = None,
    progress: Progress | None = None,
) -> list[FileOutcome]:
    """Migrate ``paths`` (or ``stdin``) with the named rules; outcomes sorted by path."""
    jobs = jobs or os.cpu_count() or 1
    if stdin is not None:
        first: list[Pending | FileOutcome] = [index_source(STDIN, stdin)]
        if isinstance(first[0], Pending):
            first = [Pending(STDIN, first[0].facts, first[0].rows, stdin)]
    else:
        files = list(dict.fromkeys(iter_python_files(paths)))
        chunksize = max(1, len(files) // (jobs * 8))
        indexed = fan_out(_index_file, files, None, jobs=jobs, chunksize=chunksize)
        first = _tick(indexed, len(files), "indexed", progress)
    outcomes = [item for item in first if isinstance(item, FileOutcome)]
    pending = tuple(item for item in first if isinstance(item, Pending))
    index = ProjectIndex.build(item.facts for item in pending)
    skipped = [item.path for item in outcomes if item.status is Status.SKIPPED]
    settle_helpers(index, [(item.path, item.facts, item.source) for item in pending], skipped)
    batch = _Batch(index, tuple(rules), pending)
    # Longest first, one at a time, so no worker is left alone with a long file at the end.
    order = sorted(range(len(pending)), key=lambda at: len(pending[at].rows or ()), reverse=True)
    migrated = fan_out(_migrate, order, batch, jobs=jobs)
    outcomes += _tick(migrated, len(pending), "migrated", progress)
    if stdin is None:
        outcomes = _settle_apps(outcomes, batch, jobs)
    return sorted(outcomes, key=lambda outcome: outcome.path)


def _settle_apps(outcomes: list[FileOutcome], batch: _Batch, jobs: int) -> list[FileOutcome]:
    """Rewrite the files holding app plumbing again, now that every file's use is known.

    Should a file of the new outcomes still refer to an app decided removable (which the
    decision rules out), the outcomes of pass two stand.
    """
    plumbing: defaultdict[str, list[str]] = defaultdict(list)
    uses: defaultdict[str, list[str]] = defaultdict(list)
    for outcome in outcomes:
        for app in outcome.app_plumbing:
            plumbing[app].append(outcome.path)
        for app in outcome.app_uses:
            uses[app].append(outcome.path)
    if not plumbing:
        return outcomes
    unseen = [o.path for o in outcomes if o.status in (Status.SKIPPED, Status.FAILED)]
    decisions = decide(batch.index, plumbing, uses, unseen)
    paths = {path for holders in plumbing.values() for path in holders}
    again = [at for at, item in enumerate(batch.pending) if item.path in paths]
    settled = dataclasses.replace(
        batch, index=dataclasses.replace(batch.index, app_users=decisions)
    )
    by_path = {outcome.path: outcome for outcome in outcomes}
    for outcome in fan_out(_migrate, again, settled, jobs=jobs):
        by_path[outcome.path] = outcome
    gone = {app for app, users in decisions.items() if not users}
    if any(gone & outcome.app_uses for outcome in by_path.values()):
        return outcomes
    return list(by_path.values())


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
