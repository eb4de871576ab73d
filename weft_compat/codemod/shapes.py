"""Call shapes the first pass and the rewrite must agree on.

The first pass (``ast``) notes what other modules' rewrites will do to a module, so a
test that patches a name in it can follow: whether ``AsyncResult(...)`` calls there all
become ``WeftSubmission.from_tid(...)``, and which ``mock.patch`` targets name a task's
``.delay``. Both passes decide from the same plain descriptions of the calls, here.
"""

from __future__ import annotations

from collections.abc import Sequence

# An argument as seen here: its keyword (None when positional) and whether it is starred.
Argument = tuple[str | None, bool]

# AsyncResult constructor keywords that mean nothing once results live in Weft.
IGNORED_CONSTRUCTOR_KEYWORDS = frozenset({"app", "task_name", "backend"})
# Qualified names of Celery's result handle class.
ASYNC_RESULT_CLASSES = frozenset({"celery.result.AsyncResult", "celery.AsyncResult"})
# Celery's canvas primitives (canonical qualified names) and GroupResult, which the
# canvas rules read wherever they are called, and the text that spells canvas.
CANVAS_PRIMITIVES = frozenset(
    {
        "celery.chain",
        "celery.group",
        "celery.chord",
        "celery.chunks",
        "celery.signature",
        "celery.Signature",
        "celery.maybe_signature",
        "celery.xmap",
        "celery.xstarmap",
        "celery.result.GroupResult",
        "celery.result.ResultSet",
    }
)
CANVAS_SPELLINGS = (
    b".s(",
    b".si(",
    b".signature(",
    b".subtask(",
    b".map(",
    b".starmap(",
    b".chunks(",
    b"chain",
    b"group",
    b"chord",
    b"GroupResult",
)


def spells_canvas(source: bytes) -> bool:
    """Whether ``source`` holds text canvas is spelled with (it may hold none)."""
    return any(text in source for text in CANVAS_SPELLINGS)


# Patch helpers: ``mock.patch``, ``patch``, ``mocker.patch`` and their ``.object`` forms.
PATCH_SUFFIXES = ("patch", "patch.object", "patch.multiple")


def tid_position(arguments: Sequence[Argument]) -> int | None:
    """Which argument of an ``AsyncResult(...)`` call is the task id, None if the call has
    other arguments (and so is not rewritten to ``WeftSubmission.from_tid``)."""
    tid = None
    for position, (keyword, star) in enumerate(arguments):
        if star or (keyword is None and position > 0):
            return None
        if keyword is None or keyword in ("id", "task_id"):
            tid = position
        elif keyword not in IGNORED_CONSTRUCTOR_KEYWORDS:
            return None
    return tid


def is_patch(dotted: str) -> bool:
    """Whether a call of ``dotted`` makes a ``unittest.mock`` patch."""
    return dotted == "patch" or ("." in dotted and dotted.endswith(PATCH_SUFFIXES))


def patch_object_form(dotted: str) -> bool:
    """Whether ``dotted`` is ``patch.object`` (target object, then attribute name)."""
    return dotted.endswith("patch.object")
