"""Where a settings module's beat schedule (and its time zone) go in ``WEFT_COMPAT``.

Each top-level ``CELERY_BEAT_SCHEDULE = {...}`` (or ``CELERYBEAT_SCHEDULE``, and a
``CELERY_TIMEZONE = ...`` beside it) becomes a ``WEFT_COMPAT`` key, placed by what binds
``WEFT_COMPAT`` in the module, so the setting holds the schedule once the module has run
and keeps every other key:

- bound further down by a ``WEFT_COMPAT = {...}`` literal: the key goes into it
  (``into``), or that later assignment would replace the schedule;
- else bound above by a literal: ``WEFT_COMPAT["BEAT_SCHEDULE"] = {...}`` (``subscript``);
- else bound above otherwise (imported, computed): ``WEFT_COMPAT = {**WEFT_COMPAT, ...}``
  (``spread``), which copies rather than changes a dict another module owns;
- else perhaps bound (a star import, a conditional assignment):
  ``WEFT_COMPAT = {**globals().get("WEFT_COMPAT", {}), ...}`` (``spread_globals``);
- else not bound: ``WEFT_COMPAT = {"BEAT_SCHEDULE": {...}}`` (``create``).

A module's schedules move together or not at all; the time zone moves only with them.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.facts import WEFT_COMPAT
from weft_compat.codemod.rules._beat_scan import Census, bound_names
from weft_compat.codemod.rules._beat_values import Conversions, read_entries, schedule_keys
from weft_compat.codemod.rules._shared import mentioned_names

SCHEDULE_SETTINGS = ("CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE")
TIMEZONE_SETTING = "CELERY_TIMEZONE"
KEYS = {
    "CELERY_BEAT_SCHEDULE": "BEAT_SCHEDULE",
    "CELERYBEAT_SCHEDULE": "BEAT_SCHEDULE",
    TIMEZONE_SETTING: "TIMEZONE",
}
# Calls whose value is a time zone's name, as a CELERY_TIMEZONE may be read.
_ENVIRONMENT = frozenset({"os.environ.get", "os.getenv"})


@dataclass(frozen=True)
class Move:
    """One setting's assignment and the ``WEFT_COMPAT`` form it becomes (see above)."""

    line: cst.SimpleStatementLine
    key: str
    form: str


@dataclass
class SettingsPlan:
    """The moves by their ``Assign``'s id, the later ``WEFT_COMPAT = {...}`` that the
    ``into`` moves go into, and why each schedule stays, by its ``Assign``'s id."""

    moves: dict[int, Move]
    into: cst.Assign | None
    problems: dict[int, str]
    schedule_keys: int = 0


@dataclass(frozen=True)
class _Item:
    position: int
    name: str
    assign: cst.Assign
    line: cst.SimpleStatementLine


@dataclass(frozen=True)
class _Event:
    """A top-level statement binding WEFT_COMPAT: a ``dict`` literal assigned, another
    value (``other``), an ``import``, or a binding inside a compound statement."""

    position: int
    kind: str
    assign: cst.Assign | None = None


def setting(statement: cst.CSTNode) -> tuple[str, cst.Assign] | None:
    """``(name, assign)`` for a line that is just ``NAME = value``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    target = small.targets[0].target
    return (target.value, small) if isinstance(target, cst.Name) else None


def _event(position: int, statement: cst.BaseStatement) -> _Event | None:
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        return None
    if isinstance(statement, cst.SimpleStatementLine):
        found = None
        for small in statement.body:
            if isinstance(small, cst.Assign) and WEFT_COMPAT in bound_names(small):
                plain = setting(statement) is not None and isinstance(small.value, cst.Dict)
                found = _Event(position, "dict" if plain else "other", small if plain else None)
            elif isinstance(small, cst.ImportFrom) and WEFT_COMPAT in bound_names(small):
                found = _Event(position, "import")
            elif WEFT_COMPAT in bound_names(small) and not isinstance(small, cst.AugAssign):
                found = _Event(position, "other")
        return found
    return _Event(position, "nested") if WEFT_COMPAT in bound_names(statement) else None


def _timezone_moves(context: FileContext, item: _Item, census: Census) -> bool:
    """Whether a ``CELERY_TIMEZONE = ...`` can move: assigned once, read nowhere else in
    the module, and given a zone's name (a string, a name such as ``TIME_ZONE``, an
    environment variable), as ``TIMEZONE`` takes."""
    if census.names[TIMEZONE_SETTING] != 1 or "TIMEZONE" in census.strings:
        return False
    value = item.assign.value
    if isinstance(value, cst.SimpleString | cst.ConcatenatedString | cst.Name):
        return True
    return isinstance(value, cst.Call) and context.qualified_name(value.func) in _ENVIRONMENT


def _place(
    items: list[_Item], events: list[_Event], body: tuple[cst.BaseStatement, ...], star: bool
) -> tuple[dict[int, Move], str | None]:
    """The form of each item's move, or why one cannot move."""
    events = list(events)
    moves: dict[int, Move] = {}
    for item in items:
        later = [event for event in events if event.position > item.position]
        form: str
        if later:
            final = events[-1]
            if final.kind != "dict":
                return {}, (
                    "WEFT_COMPAT is assigned again further down in a form the codemod cannot "
                    "add the key to, which would replace it"
                )
            between = set().union(
                *(bound_names(s) for s in body[item.position + 1 : final.position])
            )
            rebound = sorted(between & set(mentioned_names(item.assign.value)))
            if rebound:
                return {}, (
                    f"{rebound[0]} is bound again before the WEFT_COMPAT further down, which "
                    "the key would have to move into"
                )
            form = "into"
        else:
            before = [event for event in events if event.position < item.position]
            if before and before[-1].kind == "dict":
                form = "subscript"
            elif any(event.kind in ("dict", "other", "import") for event in before):
                form = "spread"
            elif before or star:
                form = "spread_globals"
            else:
                form = "create"
            events.append(_Event(item.position, "dict"))
        moves[id(item.assign)] = Move(item.line, KEYS[item.name], form)
    return moves, None


def plan_settings(
    context: FileContext, body: tuple[cst.BaseStatement, ...], census: Census, found: Conversions
) -> SettingsPlan:
    """The plan for the settings in ``body``; the crontab calls to convert go to ``found``."""
    items = []
    for position, statement in enumerate(body):
        named = setting(statement)
        if named is not None and named[0] in KEYS:
            assert isinstance(statement, cst.SimpleStatementLine)  # as ``setting`` checks
            items.append(_Item(position, named[0], named[1], statement))
    schedules = [item for item in items if item.name in SCHEDULE_SETTINGS]
    plan = SettingsPlan({}, None, {})
    if not schedules:
        return plan
    own: dict[int, str] = {}
    conversions: Conversions = {}
    for item in schedules:
        problem = read_entries(context, item.assign.value, conversions)
        if problem is not None:
            own[id(item.assign)] = problem
    shared = _module_problem(context, schedules, census)
    events = [e for p, s in enumerate(body) if (e := _event(p, s)) is not None]
    star = bool(context.facts.star_imports)
    moves: dict[int, Move] = {}
    if not own and shared is None:
        moves, shared = _place(schedules, events, body, star)
    if own or shared is not None:
        for item in schedules:
            plan.problems[id(item.assign)] = (
                own.get(id(item.assign))
                or shared
                or "it moves only with the other beat schedules of this module, and one of "
                "them cannot move"
            )
        return plan
    zones = [
        item
        for item in items
        if item.name == TIMEZONE_SETTING and _timezone_moves(context, item, census)
    ]
    if zones:
        ordered = sorted([*schedules, *zones], key=lambda item: item.position)
        with_zones, problem = _place(ordered, events, body, star)
        if problem is None:
            moves = with_zones
    plan.moves = moves
    if any(move.form == "into" for move in moves.values()):
        plan.into = events[-1].assign
    found.update(conversions)
    plan.schedule_keys = sum(
        schedule_keys(item.assign.value)
        for item in schedules
        if isinstance(item.assign.value, cst.Dict)
    )
    return plan


def _module_problem(context: FileContext, schedules: list[_Item], census: Census) -> str | None:
    """Why no schedule of the module can move, whatever the schedules hold."""
    for name in SCHEDULE_SETTINGS:
        assigned = sum(item.name == name for item in schedules)
        if census.names[name] > assigned:
            return f"{name} is also assigned or read elsewhere in this module"
    if "BEAT_SCHEDULE" in census.strings:
        return "this module already sets a 'BEAT_SCHEDULE' key"
    overriders = context.index.weft_compat_overriders.get(context.facts.module)
    if overriders:
        return (
            f"{overriders[0]} star-imports this module and then sets a WEFT_COMPAT of its "
            "own, which would drop the schedule; spread the one it imports there "
            "(WEFT_COMPAT = {**WEFT_COMPAT, ...}) and run the codemod again"
        )
    return None
