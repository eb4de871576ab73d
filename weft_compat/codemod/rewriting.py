"""Pass two: every indexed file rewritten with LibCST against the project index, then
the files holding Celery app plumbing once more, now that every file's use of the apps
is known (``apps``)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from weft_compat.codemod.apps import decide
from weft_compat.codemod.failures import failure
from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.indexing import Pending
from weft_compat.codemod.report import PARSE_ERROR, FileOutcome, Status
from weft_compat.codemod.rules import ALL_RULES, rule_classes
from weft_compat.codemod.transform import migrate_source
from weft_compat.codemod.workers import fan_out


@dataclass(frozen=True)
class Batch:
    """What every file of pass two is migrated against, and the files themselves.

    Workers receive it once, as they start (forked, they inherit it), and then only
    the position of each file to migrate.
    """

    index: ProjectIndex
    rules: tuple[str, ...]
    pending: tuple[Pending, ...]


def batch(index: ProjectIndex, rules: Sequence[str] | None, pending: Sequence[Pending]) -> Batch:
    """The batch for ``pending``; ``rules`` None is every rule."""
    names = tuple(rule.NAME for rule in ALL_RULES) if rules is None else tuple(rules)
    return Batch(index, names, tuple(pending))


def _migrate(position: int, batch: Batch) -> FileOutcome:
    pending = batch.pending[position]
    source = pending.source
    if source is None:
        try:
            with open(pending.path, "rb") as file:
                source = file.read()
        except OSError as exc:
            return failure(pending.path, PARSE_ERROR, f"file cannot be read: {exc.strerror}")
    rules = rule_classes(batch.rules)
    rows = pending.statement_rows()
    return migrate_source(source, pending.path, pending.facts, batch.index, rules, rows)


def migrate(batch: Batch, jobs: int) -> Iterator[FileOutcome]:
    """Each file of ``batch`` migrated, longest first."""
    pending = batch.pending
    # Longest first, one at a time, so no worker is left alone with a long file at the end.
    order = sorted(range(len(pending)), key=lambda at: pending[at].size(), reverse=True)
    return fan_out(_migrate, order, batch, jobs=jobs)


def settle_apps(outcomes: list[FileOutcome], batch: Batch, jobs: int) -> list[FileOutcome]:
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
