"""WC204: result-handle reads and calls without a WeftSubmission equivalent.

``.get()`` and ``.wait()`` with arguments ``WeftSubmission.wait`` does not take
(``interval=``, ``disable_sync_subtasks=``, …) are left to a person; ``async_result``
(WC107) rewrites the others. The other reads below have no equivalent at all. Also
flags ``AsyncResult(...)`` and ``.revoke(...)`` calls whose extra arguments keep
``async_result`` (WC107) from rewriting them.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._handles import ASYNC_RESULT_CLASSES, HandleTracking
from weft_compat.codemod.rules._shared import method_call
from weft_compat.codemod.rules.async_result import RENAMED_READS, stop_method

CODE = "WC204"
DESCRIPTION = "result reads with no equivalent (.get(interval=...), .children, .date_done, …)"
SAME_NAME = frozenset(
    {"state", "info", "traceback", "ready", "successful", "failed", "exists", "revoke", "forget"}
)
# WeftSubmission's own names, met again on a second run over migrated code.
WEFT_NAMES = frozenset(
    {"tid", "stop", "kill", "errors", "return_value", "as_dict", "progress", "result", "status"}
)
_WAIT = (
    "WeftSubmission.wait(timeout=None, *, propagate=True) takes only those two, like "
    "Celery's get(); drop the others (they tune how Celery polls its result backend) and "
    "call .wait(...)"
)
_ADVICE = {
    "get": _WAIT,
    "wait": _WAIT,
    "children": "canvas parent/child links do not exist on Weft",
    "parent": "canvas parent/child links do not exist on Weft",
    "then": "promise callbacks are not supported; poll .ready() or enqueue follow-up work",
    "collect": "canvas result graphs do not exist on Weft",
    "date_done": "read the timestamps from .as_dict()",
}


class ResultReads(HandleTracking):
    """Flags handle reads that need a human decision."""

    NAME = "result_reads"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "results.md#wc204-result_reads"
    WHY = "the handle read or call has no WeftSubmission equivalent with the same meaning."

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._called: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        self._called.add(id(node.func))
        method = method_call(node)
        qualified = self.context.qualified_name(node.func)
        constructs = qualified in ASYNC_RESULT_CLASSES or (
            method is not None and method[1] == "AsyncResult" and self.makes_handle(node)
        )
        if constructs and not _simple_constructor(node):
            self.report(
                node,
                "AsyncResult(...) with arguments other than the task id was not rewritten; "
                "use WeftSubmission.from_tid(task_id)",
            )
        revokes = method is not None and method[1] == "revoke" and self.is_handle(method[0])
        if revokes and stop_method(node) is None:
            self.report(
                node,
                ".revoke(...) with these arguments was not rewritten; use .stop() to "
                "cancel or .kill() to end the process",
            )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = node.attr.value
        known = name in SAME_NAME or name in RENAMED_READS or name in WEFT_NAMES
        if known or self.context.is_claimed(node) or not self.is_handle(node.value):
            return
        label = f"{dotted(node.value) or 'handle'}.{name}"
        advice = _ADVICE.get(name, "WeftSubmission has no such attribute; see the results guide")
        shown = f"{label}()" if id(node) in self._called else label
        if name in ("get", "wait"):
            self.report(node, f"{shown} was not rewritten: {advice}")
        else:
            self.report(node, f"{shown} has no WeftSubmission equivalent: {advice}")


def _simple_constructor(call: cst.Call) -> bool:
    positional = [arg for arg in call.args if arg.keyword is None]
    keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
    return (
        len(positional) + len(keywords & {"id", "task_id"}) == 1
        and not any(arg.star for arg in call.args)
        and keywords <= {"id", "task_id", "app", "task_name", "backend"}
    )
