"""Which text of one file can matter to a rule.

A rule acts on a site only through a name it knows: an attribute or method spelled
like Celery's (``delay``, ``apply_async``, ``revoke``, ``beat_schedule``, ...), a
``CELERY_*`` setting, a patch target, or a name this module binds (by import or
definition) that resolves to Celery, weft_compat, a task or an app, or that leads to
one through an attribute. Result handles are names too: those assigned from such
text. A statement none of whose text matches ``relevance_pattern`` can neither be
rewritten nor reported, nor change what a rule remembers between statements.

The check errs towards relevance: substrings rather than words, any name that could
lead to a known task, and string escapes (which can spell anything).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from weft_compat.codemod.decorator_plan import DROPPED
from weft_compat.codemod.facts import ModuleFacts
from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.statements import Lines, Row

SPELLINGS = (
    rb"(?i:celery|weft)|delay|apply_async|AsyncResult|send_task|revoke|enqueue|replace"
    rb"|patch|beat_schedule|add_periodic_task|DJANGO_SETTINGS_MODULE|\\[xuUN0-7]"
    rb"|\.si?\("
)
_WORD_BEFORE = rb"(?<![A-Za-z0-9_])"
_WORD_AFTER = rb"(?![A-Za-z0-9_])"
# A task class's attribute that the rewrite drops (``rate_limit = "10/m"``).
SPELLINGS += (
    rb"|(?<![\w.])(?:"
    + b"|".join(sorted(name.encode() for name in DROPPED))
    + rb")\s*(?::[^=\r\n]*)?=(?!=)"
)


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


def _names_pattern(names: Iterable[str]) -> bytes:
    alternatives = b"|".join(
        re.escape(name.encode()) for name in sorted(names, key=len, reverse=True)
    )
    return _WORD_BEFORE + b"(?:" + alternatives + b")" + _WORD_AFTER


def _compile(names: set[str]) -> re.Pattern[bytes]:
    if not names:
        return re.compile(SPELLINGS)
    return re.compile(SPELLINGS + b"|" + _names_pattern(names))


def relevance_pattern(
    source: bytes, facts: ModuleFacts, index: ProjectIndex, rows: Iterable[Row], lines: Lines
) -> re.Pattern[bytes]:
    """What marks relevant text in ``source``, whose statements are ``rows``.

    The names assigned by relevant assignments may hold result handles, so they
    count too.
    """
    names = bound_names(facts, index)
    first = _compile(names)
    handles = {
        target
        for row in rows
        if row.targets
        and first.search(source, lines.starts[row.line - 1], lines.starts[row.end_line])
        for target in row.targets
    }
    return first if handles <= names else _compile(names | handles)
