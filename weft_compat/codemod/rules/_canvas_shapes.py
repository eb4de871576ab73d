"""What the canvas rules know of canvas: kinds, findings' reasons, rewrite steps, labels.

A canvas value has a kind (``step``, ``chain``, ``group``, ``chord``, or ``canvas`` when
a name may hold more than one); its dispatch keeps the kind, as a workflow's handle. A
reading that cannot go on records a ``Failure``: the node, one sentence, the guide
section and why. A reading that succeeds records one ``Action`` per node it changes,
which the rewrite applies to the node as the walk leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from weft_compat.codemod.context import dotted

STEP = "step"
CHAIN = "chain"
GROUP = "group"
CHORD = "chord"
CANVAS = "canvas"

# Guide sections (canvas.md, WC118's) for each reason a site stays on Celery.
RECEIVERS = "canvas.md#receivers-that-are-not-known-tasks"
FAR = "canvas.md#canvas-built-far-from-where-it-runs"
NO_SPELLING = "canvas.md#canvas-with-no-weft_compat-spelling"
OPTIONS = "canvas.md#options-and-callbacks-that-do-not-carry-over"
HANDLES = "canvas.md#workflow-handles-read-in-ways-that-differ"
REWRITE = "canvas.md#wc118-canvas_workflows"

WHY = {
    RECEIVERS: "the receiver is not a task the codemod found as a weft task, so it has no "
    ".step(...).",
    FAR: "the value goes where the codemod does not follow it (another function, a module "
    "name, an attribute), and the code there would still treat it as Celery's.",
    NO_SPELLING: "the construct has no weft_compat counterpart with the same meaning.",
    OPTIONS: "an option or callback has no counterpart on weft_compat's canvas, or cannot "
    "be checked.",
    HANDLES: "the workflow's handle is read in a way WorkflowSubmission answers differently "
    "from Celery's result.",
    REWRITE: "canvas_workflows (WC118), which rewrites this, did not run.",
}


@dataclass(frozen=True)
class Failure:
    """Why a site is not rewritten: at ``node``, a sentence, a guide section."""

    node: cst.CSTNode
    message: str
    guide: str

    @property
    def why(self) -> str:
        """Which condition failed, in one sentence (``--explain``)."""
        return WHY.get(self.guide, WHY[OPTIONS])


class CanvasFailed(Exception):
    """Raised inside a reading to stop it at its first failure."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def fail(node: cst.CSTNode, message: str, guide: str) -> CanvasFailed:
    """The exception that stops a reading at ``node``."""
    return CanvasFailed(Failure(node, message, guide))


def merge(kinds: list[str]) -> str:
    """The kind of a value that is one of ``kinds``."""
    return kinds[0] if kinds and all(kind == kinds[0] for kind in kinds) else CANVAS


# Rewrite steps, applied to a node (by the id of the original) as the walk leaves it.


@dataclass(frozen=True)
class Rename:
    """``x.method(...)`` → ``x.<method>(...)`` without the arguments at ``dropped``;
    with none left and ``unwrap``, just ``x`` (``.set(serializer="json")``)."""

    method: str
    dropped: tuple[int, ...] = ()
    unwrap: bool = False


@dataclass(frozen=True)
class Signature:
    """``task.signature(args, kwargs, **options)`` → ``task.step(*args, **kwargs)``
    ``[.using(**options)]`` (``fixed_step`` when immutable); positions in the call."""

    method: str
    args: int | None
    kwargs: int | None
    options: tuple[int, ...]


@dataclass(frozen=True)
class Apply:
    """``x.apply_async(args, kwargs, link=..., link_error=..., **options)`` →
    ``x[.link(...)][.link_error(...)][.using(...)].enqueue(*args, **kwargs)``; on a task
    (``task``), ``x`` becomes ``task.step(*args, **kwargs)`` and enqueue takes none."""

    args: int | None
    kwargs: int | None
    links: tuple[int, ...]
    errbacks: tuple[int, ...]
    options: tuple[int, ...]
    task: bool = False


@dataclass(frozen=True)
class Start:
    """``x(...)`` on a chain, group or chord → ``x[.using(...)].enqueue(...)``: the
    arguments at ``options`` are call options, those at ``dropped`` go (``serializer=
    "json"``), the others are the first steps'."""

    options: tuple[int, ...]
    dropped: tuple[int, ...] = ()


@dataclass(frozen=True)
class ChordStart:
    """``chord(header)(body, **options)`` → ``chord(header, body)[.using(...)].enqueue()``."""

    body: int
    options: tuple[int, ...]


@dataclass(frozen=True)
class Primitive:
    """The callee of ``chain``/``group``/``chord`` → weft_compat's ``name``, bare (its
    import replaces Celery's) or as ``weft_compat.name``."""

    name: str
    bare: bool = True


@dataclass(frozen=True)
class Restore:
    """``GroupResult.restore(id, app=...)`` → ``WorkflowSubmission.from_id(id)``."""

    tid: int
    bare: bool = True


@dataclass(frozen=True)
class Reassign:
    """The statement ``v.set(...)`` / ``v.link(...)`` → ``v = v.using(...)`` / ``v = v.link(...)``:
    Celery's change the signature in place, weft_compat's return a changed copy."""

    name: str


@dataclass(frozen=True)
class Exists:
    """``handle is None`` → ``not handle.exists()`` (``is not None`` → ``handle.exists()``):
    GroupResult.restore returns None for an unknown id, WorkflowSubmission.from_id a
    handle that says so."""

    negated: bool


@dataclass(frozen=True)
class Remove:
    """The statement ``handle.save()``, which a workflow's durable handle does not need."""


Action = (
    Rename
    | Signature
    | Apply
    | Start
    | ChordStart
    | Primitive
    | Restore
    | Reassign
    | Exists
    | Remove
)


def short(node: cst.CSTNode) -> str:
    """The code of ``node`` on one line, shortened for a message."""
    code = " ".join(cst.Module([]).code_for_node(node).split())
    return code if len(code) <= 40 else code[:37] + "..."


def label(node: cst.CSTNode) -> str:
    """How a message names a canvas expression: ``chain(...).apply_async(...)``."""
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute):
            return f"{label(func.value)}.{func.attr.value}(...)"
        return f"{label(func)}(...)"
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return f"{label(node.left)} | {label(node.right)}"
    if isinstance(node, cst.Name | cst.Attribute):
        return dotted(node) or short(node)
    if isinstance(node, cst.List | cst.ListComp):
        return "[...]"
    if isinstance(node, cst.Tuple | cst.GeneratorExp):
        return "(...)"
    return short(node)
