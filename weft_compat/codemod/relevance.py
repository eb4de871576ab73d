"""Which text of one file can matter to a rule.

A rule acts on a site only through a name it knows: an attribute or method spelled
like Celery's (``delay``, ``apply_async``, ``revoke``, ``beat_schedule``, ...), a
``CELERY_*`` setting, a patch target, or a name this module binds (by import or
definition) that resolves to Celery, weft_compat, a task or an app, or that leads to
one through an attribute. Result handles are names too: those assigned from such
text. A statement none of whose text ``relevance`` marks can neither be
rewritten nor reported, nor change what a rule remembers between statements.

The check errs towards relevance: substrings rather than words, any name that could
lead to a known task, and string escapes (which can spell anything).
"""

from __future__ import annotations

import keyword
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence

from weft_compat.codemod.decorator_plan import DROPPED
from weft_compat.codemod.facts import ModuleFacts
from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.rows import Lines, Row
from weft_compat.codemod.shapes import CANVAS_PRIMITIVES, CANVAS_SPELLINGS

# Spellings that are relevant wherever they occur: the attributes and methods rules
# act on, "celery" and "weft" in any case, and string escapes (which can spell anything).
_LITERALS = (
    b"delay",
    b"apply_async",
    b"AsyncResult",
    b"send_task",
    b"revoke",
    b"enqueue",
    b"replace",
    b"patch",
    b".s(",
    b".si(",
    b".request.",
    b"task_cls",
    b"beat_schedule",
    b"add_periodic_task",
    b"DJANGO_SETTINGS_MODULE",
    b"INSTALLED_APPS",
)
_ANY_CASE = (b"celery", b"weft")
_ESCAPES = frozenset(bytes([byte]) for byte in b"xuUN01234567")
_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_WORD_OR_DOT = _WORD | frozenset(b".")
# A task class's attribute that the rewrite drops (``rate_limit = "10/m"``): the name,
# not after a word character or a dot, then an assignment (annotated or not).
_DROPPED = tuple(sorted(name.encode() for name in DROPPED))
_ASSIGNED = re.compile(rb"\s*(?::[^=\r\n]*)?=(?!=)")
# Task calls, and the statements that bind a model instance for one (see _model_names).
_DISPATCHES = (b"delay", b"enqueue", b"apply_async")
# What follows a dispatch method's name in a call of it: its opening parenthesis, after
# what brackets allow between them (spaces, line breaks, continuations, comments).
_CALL_OPEN = re.compile(rb"(?:[ \t\f\r\n\\]|#[^\r\n]*)*\(")
_BINDERS = frozenset({"Assign", "For", "AsyncFor"})
_IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset(word.encode() for word in keyword.kwlist)
_END = 1 << 62


def _interesting(qualified: str, index: ProjectIndex, prefixes: frozenset[str]) -> bool:
    lowered = qualified.lower()
    return (
        "celery" in lowered
        or "weft" in lowered
        or qualified in index.tasks
        or qualified in index.celery_tasks
        or qualified in index.task_classes
        or qualified in prefixes
        or index.is_app(qualified)
    )


def bound_names(facts: ModuleFacts, index: ProjectIndex) -> set[str]:
    """The module-level names of ``facts`` that can lead a rule to a Celery site."""
    prefixes = index.prefixes()
    names = set()
    for local in (*facts.imports, *facts.defs):
        qualified = facts.qualify(local)
        if qualified is None:
            continue
        if _interesting(qualified, index, prefixes) or _interesting(
            index.canonical(qualified), index, prefixes
        ):
            names.add(local)
    return names


class Relevance:
    """Where relevant text starts in one source, and whether a span of it holds any.

    Each spelling and each name is found with a substring search, several times faster
    than one regular expression of them all, and its surroundings are then checked as
    such an expression would (word boundaries, a dropped option's ``=``). Spans are
    whole lines and a match stays on its line (but a dropped option's, whose ``=`` can
    be on the next), so a span holds a match exactly when one starts in it; an option
    split over lines counts for the statement it starts in, which only keeps more.
    """

    def __init__(self, source: bytes, names: Iterable[str]) -> None:
        self._source = source
        starts = _spelling_starts(source)
        for name in names:
            starts += _word_starts(source, name.encode())
        starts.sort()
        self._starts = starts

    def add(self, names: Iterable[str]) -> None:
        """Count the words ``names`` as relevant too."""
        for name in names:
            self._starts += _word_starts(self._source, name.encode())
        self._starts.sort()

    def mark(self, offsets: Iterable[int]) -> None:
        """Count the text at ``offsets`` as relevant too."""
        self._starts += offsets
        self._starts.sort()

    def offsets(self) -> list[int]:
        """Where relevant text starts, in order."""
        return self._starts

    def within(self, start: int, end: int) -> bool:
        """Whether relevant text starts in ``source[start:end]``."""
        position = bisect_left(self._starts, start)
        return position < len(self._starts) and self._starts[position] < end


def _occurrences(text: bytes, part: bytes) -> Iterator[int]:
    position = text.find(part)
    while position >= 0:
        yield position
        position = text.find(part, position + 1)


def _word_starts(source: bytes, word: bytes) -> list[int]:
    size, length = len(word), len(source)
    return [
        position
        for position in _occurrences(source, word)
        if (position == 0 or source[position - 1] not in _WORD)
        and (position + size == length or source[position + size] not in _WORD)
    ]


def _spelling_starts(source: bytes) -> list[int]:
    starts = [position for part in _LITERALS for position in _occurrences(source, part)]
    lowered = source.lower()
    starts += [position for part in _ANY_CASE for position in _occurrences(lowered, part)]
    starts += [
        position
        for position in _occurrences(source, b"\\")
        if source[position + 1 : position + 2] in _ESCAPES
    ]
    for name in _DROPPED:
        tail = len(name)
        starts += [
            position
            for position in _occurrences(source, name)
            if (position == 0 or source[position - 1] not in _WORD_OR_DOT)
            and _ASSIGNED.match(source, position + tail) is not None
        ]
    return starts


def _innermost(spans: Sequence[tuple[int, int]], offset: int) -> int | None:
    """The position of the innermost statement span holding ``offset``, if one does."""
    # Rows come parents first, in source order, so their starts never decrease.
    position = bisect_right(spans, (offset, _END)) - 1
    while position >= 0:
        start, end = spans[position]
        if start <= offset < end:
            return position
        position -= 1
    return None


def _model_bindings(
    source: bytes, facts: ModuleFacts, rows: Sequence[Row], lines: Lines
) -> list[int]:
    """Where the statements start that bind or rebind a model instance a task call may
    pass, which a rule reports (WC215).

    Those are the statements that bind a name to a model instance (``x =
    Order.objects.get(...)``, ``for x in Order.objects...``, ``x = get_object_or_404(...)``)
    when a task call's statement mentions that name, and the assignments to such a
    name, which the rule takes to rebind it. Other ORM queries are not relevant; they
    are most of a Django module's statements.
    """
    markers = [*_occurrences(source, b"objects."), *_occurrences(source, b"get_object_or_404")]
    for local, target in facts.imports.items():
        if target == "django.shortcuts.get_object_or_404":
            markers += _word_starts(source, local.encode())
    # Only a call passes arguments: a patch target's text (``"app.tasks.send.delay"``)
    # names the method without calling it.
    calls = [
        position
        for part in _DISPATCHES
        for position in _occurrences(source, part)
        if _CALL_OPEN.match(source, position + len(part)) is not None
    ]
    if not markers or not calls:
        return []
    starts = lines.starts
    spans = [
        (
            starts[row.line - 1] + (row.column if row.column > 0 else 0),
            starts[row.end_line - 1] + row.end_column,
        )
        for row in rows
    ]
    mentioned: set[bytes] = set()
    for offset in calls:
        at = _innermost(spans, offset)
        if at is not None:
            mentioned.update(_IDENTIFIER.findall(source, *spans[at]))
    binding: list[int] = []
    names: set[str] = set()
    for offset in markers:
        at = _innermost(spans, offset)
        if at is None or rows[at].kind not in _BINDERS:
            continue
        # What comes before the query: the targets (and perhaps a call around it).
        before = set(_IDENTIFIER.findall(source, spans[at][0], offset)) - _KEYWORDS
        if not before.isdisjoint(mentioned):
            binding.append(spans[at][0])
            names |= {word.decode() for word in before}
    binding += [
        spans[at][0]
        for at, row in enumerate(rows)
        if row.kind == "Assign" and not names.isdisjoint(row.targets)
    ]
    return binding


_FUNCTIONS = frozenset({"FunctionDef", "AsyncFunctionDef"})


def _canvas_functions(
    source: bytes, facts: ModuleFacts, index: ProjectIndex, rows: Sequence[Row], lines: Lines
) -> list[int]:
    """Where the statements start of each function that spells canvas.

    The canvas rules (WC118, WC205) follow a signature, a list of them or a workflow's
    handle through the local names of its function, and rewrite it only where they see
    every use of those names, so every statement of such a function matters.
    """
    markers = [position for part in CANVAS_SPELLINGS for position in _occurrences(source, part)]
    for local, target in facts.imports.items():
        if index.canonical(target) in CANVAS_PRIMITIVES:
            markers += _word_starts(source, local.encode())
    if not markers:
        return []
    markers.sort()
    starts = lines.starts
    marked: list[int] = []
    at = 0
    while at < len(rows):
        row = rows[at]
        if row.kind in _FUNCTIONS:
            start = starts[row.line - 1] + max(row.column, 0)
            end = starts[row.end_line - 1] + row.end_column
            first = bisect_left(markers, start)
            if first < len(markers) and markers[first] < end:
                nested = rows[at + 1 : at + 1 + row.size]
                marked += [starts[inner.line - 1] + max(inner.column, 0) for inner in nested]
                at += 1 + row.size  # the nested rows are marked already
                continue
        at += 1
    return marked


# ``logger = get_task_logger(__name__)``: one name bound to a call of a dotted name with
# ``__name__`` or a plain string.
_LOGGER_BINDING = re.compile(
    rb"[A-Za-z_][A-Za-z0-9_]*\s*=\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\(\s*"
    rb"(?:__name__|\"[A-Za-z0-9_.]*\"|'[A-Za-z0-9_.]*')?\s*\)"
)
_TASK_LOGGERS = frozenset({"celery.utils.log.get_task_logger", "weft_compat.get_task_logger"})


def _binds_logger(
    source: bytes, row: Row, lines: Lines, facts: ModuleFacts, index: ProjectIndex
) -> bool:
    """Whether ``row`` is ``logger = get_task_logger(__name__)``: its name holds a
    logger, which no rule reads as a handle, and its ``logger.info(...)`` lines, most of
    a task module, matter no more than other logging."""
    if len(row.targets) != 1 or row.column < 0:
        return False
    start = lines.starts[row.line - 1] + row.column
    end = lines.starts[row.end_line - 1] + row.end_column
    match = _LOGGER_BINDING.fullmatch(source, start, end)
    if match is None:
        return False
    qualified = facts.qualify(match.group(1).decode())
    return qualified is not None and index.canonical(qualified) in _TASK_LOGGERS


# Settings a beat schedule is moved out of (``beat_schedule``, WC115).
_SCHEDULE_SETTINGS = frozenset({"CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"})


def _moves_schedules(source: bytes, facts: ModuleFacts) -> bool:
    """Whether a beat schedule may move within ``source`` (later in the module, or out
    of a handler): the statements binding the module's names then matter wherever they
    are, as the schedule must not move past one that rebinds a name it uses."""
    return not facts.defs.isdisjoint(_SCHEDULE_SETTINGS) or b"add_periodic_task" in source


def relevance(
    source: bytes, facts: ModuleFacts, index: ProjectIndex, rows: Sequence[Row], lines: Lines
) -> Relevance:
    """What marks relevant text in ``source``, whose statements are ``rows``.

    The names assigned by relevant assignments may hold result handles, so they
    count too (but a task logger's, ``_binds_logger``), and so do the statements
    binding model instances for task calls (``_model_bindings``).
    """
    names = bound_names(facts, index)
    if _moves_schedules(source, facts):
        names |= facts.defs
    if facts.django is not None:
        # The lists INSTALLED_APPS is made of, which WC116 may add to.
        names |= set(facts.django.names)
    found = Relevance(source, names)
    handles = {
        target
        for row in rows
        if row.targets
        and found.within(lines.starts[row.line - 1], lines.starts[row.end_line])
        and not _binds_logger(source, row, lines, facts, index)
        for target in row.targets
    }
    found.add(handles - names)
    found.mark(_model_bindings(source, facts, rows, lines))
    found.mark(_canvas_functions(source, facts, index, rows, lines))
    return found
