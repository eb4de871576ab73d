"""Pass one over one file: the text check, then ``ast``'s tree, the file's facts and
its statement rows.

Nothing here needs LibCST, so a run starts on its files before loading it; a file
only LibCST reads (syntax newer than the interpreter's, see ``parsing``) loads it then.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from weft_compat.codemod.django_facts import wants_django_scan
from weft_compat.codemod.facts import ModuleFacts, collect_facts, wants_body_scan
from weft_compat.codemod.failures import failure
from weft_compat.codemod.report import PARSE_ERROR, FileOutcome, Status
from weft_compat.codemod.rows import Lines, Row, offsets_agree, statement_rows
from weft_compat.codemod.shapes import spells_canvas
from weft_compat.codemod.sources import might_use_celery, module_name

STDIN = "-"


@dataclass(frozen=True)
class Pending:
    """A file that passed pass one: its facts and statement rows, and its source when it
    came from stdin."""

    path: str
    facts: ModuleFacts
    rows: tuple[Row, ...] | None = None
    source: bytes | None = None
    # The rows as plain tuples, as they travel from pass one's workers (``__reduce__``);
    # made rows again only where the file is migrated (``statement_rows``).
    plain_rows: tuple[tuple[Any, ...], ...] | None = field(default=None, repr=False)

    def statement_rows(self) -> tuple[Row, ...] | None:
        """The file's statement rows, None if ``ast``'s offsets do not index it."""
        if self.plain_rows is not None:
            return tuple(map(Row._make, self.plain_rows))
        return self.rows

    def size(self) -> int:
        """How many statements the file has (zero when its rows are unknown)."""
        return len(self.plain_rows if self.plain_rows is not None else self.rows or ())

    def __reduce__(self) -> tuple[Callable[..., Pending], tuple[object, ...]]:
        # Pass one's workers send every row back; as plain tuples they pickle and load
        # several times faster than as named tuples.
        rows = self.statement_rows()
        plain = None if rows is None else tuple(map(tuple, rows))
        return _unpickle_pending, (self.path, self.facts, plain, self.source)


def _unpickle_pending(
    path: str, facts: ModuleFacts, plain: tuple[tuple[Any, ...], ...] | None, source: bytes | None
) -> Pending:
    return Pending(path, facts, None, source, plain)


def _parse(source: bytes) -> tuple[ast.Module, bool]:
    """``source``'s tree, and whether it is ``ast``'s own (exact positions)."""
    try:
        return ast.parse(source), True
    except (SyntaxError, ValueError):
        # Only here is LibCST needed in pass one (about a fifth of a second to load), so
        # the module that reads newer syntax with it is loaded only for such a file.
        from weft_compat.codemod.parsing import parse_module

        return parse_module(source)


def index_source(path: str, source: bytes) -> Pending | FileOutcome:
    """Pass one for one file: skip it, fail it, or return its facts."""
    if not might_use_celery(source):
        return FileOutcome(path, Status.SKIPPED)
    try:
        tree, exact = _parse(source)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        message = getattr(exc, "msg", None) or str(exc)
        return failure(path, PARSE_ERROR, f"file does not parse: {message}", line)
    module, package = module_name(path) if path != STDIN else ("", "")
    scan = b"patch" in source or b"AsyncResult" in source
    # Only ``ast``'s own tree has the source's positions: newer syntax has no rows and
    # is parsed whole (``parsing``).
    lines = Lines(source) if exact and offsets_agree(source) else None
    facts = collect_facts(
        tree,
        module,
        package,
        scan_calls=scan,
        scan_bodies=wants_body_scan(source),
        scan_django=wants_django_scan(source),
        lines=lines,
    )
    facts.spells_canvas = spells_canvas(source)
    if not exact:
        return Pending(path, facts, ())
    return Pending(path, facts, None if lines is None else statement_rows(tree, source, lines))


def index_file(path: str, _: None) -> Pending | FileOutcome:
    """Pass one for the file at ``path`` (the second argument is ``fan_out``'s)."""
    try:
        with open(path, "rb") as file:
            source = file.read()
    except OSError as exc:
        return failure(path, PARSE_ERROR, f"file cannot be read: {exc.strerror or exc}")
    return index_source(path, source)
