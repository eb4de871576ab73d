"""WC105: ``app.send_task("name", args, kwargs)`` → ``weft_compat.enqueue("name", ...)``.

The task is looked up by its registered name, as Celery's ``send_task`` did. Options
``.using(...)`` accepts (``countdown``, ``eta``, ``queue``, …) go through the task the
name finds: ``weft_compat.get_task("name").using(...).enqueue(...)``. Calls with other
options are left to ``call_options`` (WC203).
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules._shared import head_name, keyword_name, method_call
from weft_compat.codemod.rules.apply_async import spread_args, spread_kwargs, using_options
from weft_compat.codemod.rules.base import Rule

CODE = "WC105"
DESCRIPTION = 'app.send_task("name", args, kwargs) → weft_compat.enqueue("name", *args, **kwargs)'
_SLOTS = ("name", "args", "kwargs")


def _weft_compat(attribute: str) -> cst.Attribute:
    return cst.Attribute(cst.Name("weft_compat"), cst.Name(attribute))


class SendTask(Rule):
    """Rewrites ``send_task`` on a Celery app."""

    NAME = "send_task"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "calling.md#wc105-send_task"

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        method = method_call(original_node)
        if method is None or method[1] != "send_task" or not self.context.is_app(method[0]):
            return updated_node
        values: dict[str, cst.BaseExpression] = {}
        positional = [arg for arg in updated_node.args if arg.keyword is None]
        if len(positional) > len(_SLOTS) or any(arg.star for arg in updated_node.args):
            return updated_node
        options = using_options(updated_node.args, _SLOTS)
        if options is None:
            return updated_node  # an option .using(...) refuses: reported by call_options
        for slot, arg in zip(_SLOTS, positional, strict=False):
            values[slot] = arg.value
        for arg in updated_node.args:
            name = keyword_name(arg)
            if name is not None and name in _SLOTS:
                values[name] = arg.value
        if "name" not in values:
            return updated_node
        call_args: list[cst.Arg] = []
        if "args" in values:
            call_args += spread_args(values["args"])
        if "kwargs" in values:
            call_args += spread_kwargs(values["kwargs"])
        local = head_name(method[0])
        if local is not None:
            self.drop_import(local)
        self.add_import("weft_compat")
        task_name = cst.Arg(values["name"])
        if not options:
            return cst.Call(func=_weft_compat("enqueue"), args=[task_name, *call_args])
        task = cst.Call(func=_weft_compat("get_task"), args=[task_name])
        configured = cst.Call(func=cst.Attribute(task, cst.Name("using")), args=options)
        return cst.Call(func=cst.Attribute(configured, cst.Name("enqueue")), args=call_args)
