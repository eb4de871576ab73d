"""Reading Celery beat schedules the way ``beat_schedule`` (WC115) can rewrite them.

A schedule is rewritten only when all of it is understood: a dict literal of entries,
each a dict literal with only the keys weft_compat's entries take, whose ``schedule``
is seconds, a ``timedelta``, Celery's ``crontab(...)`` with nothing but its five fields,
or ``schedule(run_every=...)`` around seconds or a ``timedelta``. Reading records the
Celery calls to convert (``crontab`` becomes weft_compat's, ``schedule(run_every=X)``
becomes ``X``) or says why the schedule cannot be rewritten, which ``beat`` (WC206)
reports.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._shared import head_name, keyword_name, string_value

CRONTAB = "celery.schedules.crontab"
INTERVAL = "celery.schedules.schedule"
SOLAR = "celery.schedules.solar"
WEFT_CRONTAB = "weft_compat.crontab"
TIMEDELTA = "datetime.timedelta"
# Celery's crontab fields, in its positional order (weft_compat's is the same).
CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
ENTRY_KEYS = ("task", "schedule", "args", "kwargs", "options")
# The Celery calls to convert, by id: which (``CRONTAB`` or ``INTERVAL``), and the local
# name their spelling starts with (whose import the conversion may leave unused).
Conversions = dict[int, tuple[str, str]]
_SHOWN = 40


def code(node: cst.CSTNode) -> str:
    """``node``'s code on one line, cut short, for a message."""
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 1]}…"


def _number(node: cst.BaseExpression) -> bool:
    """Whether ``node`` is a number literal or arithmetic on them (``60 * 60``)."""
    if isinstance(node, cst.Integer | cst.Float):
        return True
    return isinstance(node, cst.BinaryOperation) and _number(node.left) and _number(node.right)


def run_every(call: cst.Call) -> cst.Arg | None:
    """The one argument of ``schedule(X)`` / ``schedule(run_every=X)``, if that is all."""
    if len(call.args) != 1 or call.args[0].star:
        return None
    arg = call.args[0]
    return arg if keyword_name(arg) in (None, "run_every") else None


def _crontab_problem(call: cst.Call) -> str | None:
    positional = 0
    for arg in call.args:
        name = keyword_name(arg)
        if arg.star:
            return f"crontab({arg.star}...) hides which fields it sets"
        if name is None:
            positional += 1
        elif name in ("nowfun", "app"):
            return (
                f"crontab({name}=...) has no counterpart: weft_compat's crontab takes the "
                "five fields and reads the clock in WEFT_COMPAT['TIMEZONE']"
            )
        elif name not in CRONTAB_FIELDS:
            return f"crontab({name}=...) is not one of crontab's fields"
    if positional > len(CRONTAB_FIELDS):
        return "crontab(...) is given more than its five fields"
    return None


def read_schedule(context: FileContext, node: cst.BaseExpression, found: Conversions) -> str | None:
    """Why the schedule ``node`` cannot be rewritten, None if it can; the Celery calls
    to convert in it go to ``found``."""
    if _number(node):
        return None
    if isinstance(node, cst.Call):
        qualified = context.qualified_name(node.func)
        if qualified in (TIMEDELTA, WEFT_CRONTAB):
            return None
        if qualified == CRONTAB:
            problem = _crontab_problem(node)
            if problem is None:
                found[id(node)] = (CRONTAB, head_name(node.func) or "")
            return problem
        if qualified == INTERVAL:
            arg = run_every(node)
            inner = arg.value if arg is not None else None
            if inner is None or not (
                _number(inner)
                or (isinstance(inner, cst.Call) and context.qualified_name(inner.func) == TIMEDELTA)
            ):
                return f"{code(node)} is not schedule(run_every=...) of seconds or a timedelta"
            found[id(node)] = (INTERVAL, head_name(node.func) or "")
            return None
        if qualified == SOLAR:
            return "solar(...) (sunrise and sunset times) has no weft_compat counterpart"
    return f"its schedule {code(node)} is not seconds, a timedelta or a crontab(...)"


def _entry_problem(
    context: FileContext, element: cst.DictElement, found: Conversions
) -> str | None:
    name = string_value(element.key)
    label = f"entry {name!r}" if name is not None else f"entry {code(element.key)}"
    entry = element.value
    if not isinstance(entry, cst.Dict):
        return f"{label} is {code(entry)}, not a dict literal"
    keys = []
    for item in entry.elements:
        if not isinstance(item, cst.DictElement):
            return f"{label} spreads {code(item.value)} into it"
        key = string_value(item.key)
        if key not in ENTRY_KEYS:
            shown = repr(key) if key is not None else code(item.key)
            return (
                f"{label} has the key {shown}, which weft_compat's entries do not take "
                f"(they take {', '.join(ENTRY_KEYS)})"
            )
        keys.append(key)
        if key == "schedule":
            problem = read_schedule(context, item.value, found)
            if problem is not None:
                return f"{label}: {problem}"
    missing = [key for key in ("task", "schedule") if key not in keys]
    return f"{label} has no {missing[0]!r}" if missing else None


def read_entries(context: FileContext, node: cst.BaseExpression, found: Conversions) -> str | None:
    """Why the schedule dict ``node`` cannot be rewritten, None if it can."""
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                return f"it spreads {code(element.value)} into it, which the codemod cannot read"
            problem = _entry_problem(context, element, found)
            if problem is not None:
                return problem
        return None
    if isinstance(node, cst.Call):
        return f"it is built by {dotted(node.func) or 'a call'}(...), which the codemod cannot read"
    if isinstance(node, cst.DictComp):
        return "it is built by a comprehension, which the codemod cannot read"
    return f"it is {code(node)}, not a dict literal"


def schedule_keys(node: cst.Dict) -> int:
    """How many ``"schedule"`` keys the entries of a readable schedule dict have."""
    return sum(
        string_value(item.key) == "schedule"
        for element in node.elements
        if isinstance(element, cst.DictElement) and isinstance(element.value, cst.Dict)
        for item in element.value.elements
        if isinstance(item, cst.DictElement)
    )
