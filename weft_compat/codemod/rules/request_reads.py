"""WC214: ``self.request`` attributes weft_compat does not have, and writes to it.

Reading ``self.request.delivery_info``, ``.hostname``, ``.reply_to``, ``.root_id``,
``.parent_id``, ``.group``, ``.chord``, ``.callbacks``, ``.timelimit``, … raises
AttributeError on weft_compat's request at run time, so each read is reported with what
to use instead. ``self.request.chain = None`` (Celery's way to stop the rest of a chain)
and other writes do nothing on weft_compat, which has no chains; they are reported too.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules.request_attributes import RENAMED, SUPPORTED, RequestScope
from weft_compat.codemod.rules.task_classes import CELERY_ONLY

CODE = "WC214"
DESCRIPTION = (
    "self.request / bound self attributes weft_compat lacks (delivery_info, hostname, self.app, …)"
)
_CANVAS = (
    "a workflow step's request does not name its workflow; pass the workflow's id as an "
    "argument if the step needs it"
)
ADVICE = {
    "delivery_info": "there is no broker delivery; read the queue from the task's options",
    "properties": "there are no broker message properties; pass what you need as arguments",
    "reply_to": "there are no reply queues; read results through WeftSubmission",
    "hostname": "use socket.gethostname() for the host the call runs on",
    "origin": "the caller's host is not recorded; pass it as an argument if it matters",
    "root_id": _CANVAS,
    "parent_id": _CANVAS,
    "group": _CANVAS,
    "group_index": _CANVAS,
    "chord": _CANVAS,
    "chain": _CANVAS,
    "callbacks": _CANVAS,
    "errbacks": _CANVAS,
    "timelimit": "the limits are the task's time_limit/soft_time_limit options; keep them "
    "where the task reads them (a setting or a constant)",
    "eta": "read the due time from the submission's details (WeftSubmission.as_dict())",
    "expires": "read it from the submission's details (WeftSubmission.as_dict())",
    "utc": "weft_compat's datetimes are aware",
    "get": "read the attributes weft_compat has directly (self.request.id, ...)",
}
_WRITES = frozenset({"chain", "callbacks", "errbacks", "chord", "group"})


class RequestReads(RequestScope):
    """Reports request attributes that would raise or do nothing on weft_compat."""

    NAME = "request_reads"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "bound-tasks.md#wc214-request_reads"
    WHY = (
        "weft_compat's request has no such attribute (it would raise), or a write to it would"
        " do nothing."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._written: set[int] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            expression = target.target
            if isinstance(expression, cst.Attribute) and self.is_request(expression.value):
                self._written.add(id(expression))
                name = expression.attr.value
                why = "stops the rest of a Celery chain" if name in _WRITES else "sets a value"
                self.report(
                    node,
                    f"{dotted(expression) or 'self.request.' + name} = ... {why}; on "
                    f"weft_compat it does nothing ({_CANVAS}); remove it, and do not enqueue "
                    "the follow-up work where it should not run",
                )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._celery_only(node)
        name = node.attr.value
        if id(node) in self._written or name in SUPPORTED or name in RENAMED:
            return
        if not self.is_request(node.value):
            return
        advice = ADVICE.get(name, "weft_compat's request has no such attribute")
        self.report(
            node,
            f"{dotted(node) or 'self.request.' + name} raises AttributeError on weft_compat, "
            f"whose request has only {', '.join(sorted(SUPPORTED))}: {advice}",
        )

    def _celery_only(self, node: cst.Attribute) -> None:
        """``self.app`` / ``self.delay`` / ... on a bound function task's ``self``."""
        owner = node.value
        advice = CELERY_ONLY.get(node.attr.value)
        if (
            advice is None
            or self.in_task_class()
            or not isinstance(owner, cst.Name)
            or owner.value != self.bound_self()
        ):
            return
        self.report(
            node,
            f"{owner.value}.{node.attr.value} is Celery's Task's, and a bound weft task's "
            f"{owner.value} has none: {advice}",
            why="weft_compat's task instance has no such attribute, so the read would raise.",
        )
