"""Reading a workflow's handle: what WorkflowSubmission answers as Celery's result does.

``ready()``, ``successful()``, ``failed()`` and ``revoke(terminate=...)`` keep their names
and meaning; ``get(timeout=...)`` becomes ``wait(timeout=...)`` (outside ``try`` and
``with``, as ``wait`` raises ``WorkflowFailed`` rather than the step's own exception);
a group's ``id`` and ``completed_count()`` stay, and its ``save()`` goes, as the handle
is durable. Everything else is a reason to keep the workflow on Celery.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules._canvas_read import Reader
from weft_compat.codemod.rules._canvas_shapes import GROUP, HANDLES, Remove, Rename, fail, label
from weft_compat.codemod.rules._shared import keyword_name

# Handle reads that WorkflowSubmission answers as Celery's result does; a group's only.
_SAME_READS = frozenset({"ready", "successful", "failed"})
_GROUP_READS = {
    "completed_count": "a group's count, which Celery's result of a single task, chain or "
    "chord has no counterpart for",
    "save": "a group's save(), which Celery's result of a single task, chain or chord has no "
    "counterpart for",
}
_ID = (
    "the id of the last task under Celery, while WorkflowSubmission.id is the workflow's "
    "(for WorkflowSubmission.from_id); read .steps[-1].tid for the last step's"
)
_HANDLE_ADVICE = {
    "state": "Celery's is the last task's state, WorkflowSubmission.state the whole workflow's",
    "status": "Celery's is the last task's state, WorkflowSubmission.state the whole workflow's",
    "result": "read .return_value (which raises until the workflow has succeeded) or .wait()",
    "info": "read .return_value (which raises until the workflow has succeeded) or .wait()",
    "results": "Celery's are result handles; WorkflowSubmission.steps holds each step's "
    "handle and .results() their values",
    "children": "WorkflowSubmission.steps holds each step's handle",
    "parent": "WorkflowSubmission.steps holds each step's handle (a chain's parent is steps[-2])",
    "join": "call .wait()",
    "join_native": "call .wait()",
    "task_id": _ID,
}


def read_handle(
    reader: Reader, attribute: cst.Attribute, kind: str, scope: cst.CSTNode | None
) -> None:
    """A read of a workflow's handle: kept (``ready()``, a group's ``id``, ...),
    renamed (``get()`` → ``wait()``) or dropped (a group's ``save()``), if its meaning
    is Celery's."""
    name = attribute.attr.value
    holder = reader.tree.parent(attribute)
    call = holder if isinstance(holder, cst.Call) and holder.func is attribute else None
    shown = f"{label(attribute)}(...)" if call is not None else label(attribute)
    if kind != GROUP and (name in _GROUP_READS or (name == "id" and call is None)):
        raise fail(attribute, f"{shown} reads {_GROUP_READS.get(name, _ID)}", HANDLES)
    if name in _SAME_READS or name in _GROUP_READS:
        if call is None or call.args:
            raise fail(
                attribute,
                f"{shown} is not called without arguments, as WorkflowSubmission.{name}() is",
                HANDLES,
            )
        if name == "save":
            reader.act(_saved(reader, call, shown), Remove())
        return
    if name == "id" and call is None:
        return
    if name == "revoke" and call is not None:
        if any(keyword_name(arg) != "terminate" for arg in call.args):
            raise fail(
                attribute,
                f"{shown} is given more than terminate=, which WorkflowSubmission.revoke "
                "takes alone",
                HANDLES,
            )
        return
    if name in ("get", "wait") and call is not None:
        _wait(reader, call, shown, scope)
        return
    advice = _HANDLE_ADVICE.get(name, "WorkflowSubmission has no such attribute")
    raise fail(attribute, f"{shown} has no counterpart with Celery's meaning: {advice}", HANDLES)


def _saved(reader: Reader, call: cst.Call, shown: str) -> cst.SimpleStatementLine:
    """The line ``handle.save()`` stands alone on, which the rewrite removes."""
    statement = reader.tree.parent(call)
    line = reader.tree.parent(statement) if statement is not None else None
    block = reader.tree.parent(line) if line is not None else None
    if not (
        isinstance(statement, cst.Expr)
        and isinstance(line, cst.SimpleStatementLine)
        and len(line.body) == 1
        and isinstance(block, cst.IndentedBlock)
    ):
        raise fail(
            call,
            f"{shown} is not a statement on a line of its own; the workflow's handle is "
            "durable and needs no save(): delete it",
            HANDLES,
        )
    return line


def _wait(reader: Reader, call: cst.Call, shown: str, scope: cst.CSTNode | None) -> None:
    """``handle.get(timeout=...)`` → ``handle.wait(timeout=...)`` outside try and with."""
    for position, arg in enumerate(call.args):
        keyword = keyword_name(arg)
        if arg.star or position > 0 or keyword not in (None, "timeout"):
            raise fail(
                call,
                f"{shown} is given more than a timeout; WorkflowSubmission.wait(timeout) "
                "takes that alone and always raises on failure",
                HANDLES,
            )
    child: cst.CSTNode = call
    for holder in reader.tree.ancestors(call):
        if holder is scope:
            break
        guarded = (isinstance(holder, cst.Try | cst.TryStar) and holder.body is child) or (
            isinstance(holder, cst.With) and holder.body is child
        )
        if guarded:
            raise fail(
                call,
                f"{shown} is inside a try or with block; WorkflowSubmission.wait() raises "
                "WorkflowFailed naming the failed step, not the step's own exception, so "
                "the block around it would catch something else",
                HANDLES,
            )
        child = holder
    reader.act(call, Rename("wait"))
