"""WC110: test patches of renamed Celery names follow the rename.

``mock.patch("orders.tasks.send.delay")`` (and ``patch.object(send, "delay")``,
``mocker.patch(...)``) on a task the codemod migrates becomes a patch of ``.enqueue``:
``.delay(...)`` calls become ``.enqueue(...)`` calls with the same arguments, so the
mock's assertions still hold. ``mock.patch("orders.views.AsyncResult")``, where every
use of ``AsyncResult`` in ``orders.views`` becomes ``WeftSubmission.from_tid(...)``,
becomes ``mock.patch("orders.views.WeftSubmission.from_tid")``; ``assert_called_once_with
(task_id)`` still holds.

Both mocks stand in for something that returns a handle, so on the mock a decorator or
``with ... as`` binds, the reads the handle renames follow too:
``mocked.return_value.result`` → ``.info``, ``.id`` → ``.tid``, ``.get`` → ``.wait``. A
``return_value`` set to an object of the test's own is reported, since its attributes
cannot be followed. What is not rewritten (``.apply_async``, unknown tasks, an
``AsyncResult`` used otherwise) is reported by ``mock_patch`` (WC210).
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._shared import keyword_name, string_value
from weft_compat.codemod.rules.async_result import RENAMED_READS
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.shapes import is_patch, patch_object_form

CODE = "WC110"
DESCRIPTION = 'mock.patch("...task.delay") → "...task.enqueue"; a patched AsyncResult → from_tid'
# Reads of a handle stand-in (``mocked.return_value.<read>``) and what they become.
HANDLE_READS = {**RENAMED_READS, "get": "wait"}


def patch_target(call: cst.Call) -> tuple[cst.SimpleString, str] | None:
    """The string naming what ``call`` patches, and its text, when it is a patch call."""
    callee = dotted(call.func)
    if callee is None or not is_patch(callee) or callee.endswith("patch.multiple"):
        return None
    if patch_object_form(callee):
        positional = [arg for arg in call.args if arg.keyword is None]
        node = positional[1].value if len(positional) > 1 else None
    else:
        node = next((arg.value for arg in call.args if keyword_name(arg) in (None, "target")), None)
    if not isinstance(node, cst.SimpleString):
        return None
    text = string_value(node)
    return None if text is None else (node, text)


def passes_mock(call: cst.Call) -> bool:
    """Whether a patch decorator passes its mock to the function (no ``new`` given)."""
    callee = dotted(call.func) or ""
    positional = sum(1 for arg in call.args if arg.keyword is None)
    given = 3 if patch_object_form(callee) else 2
    return positional < given and not any(keyword_name(arg) == "new" for arg in call.args)


class PatchTargets(Rule):
    """Rewrites patch targets (and the handle reads on their mocks) that follow a rename."""

    NAME = "patch_targets"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "mocking.md#wc110-patch_targets"
    WHY = (
        "the mock's return value is an object of the test's own, whose attributes cannot be "
        "followed."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # Patch strings by id → their new text.
        self._targets: dict[int, str] = {}
        # Per function: names bound to a mock whose return value stands in for a handle.
        self._scopes: list[set[str]] = [set()]

    def _new_target(self, call: cst.Call) -> str | None:
        """What ``call`` should patch instead, planned once; None if it stays."""
        found = patch_target(call)
        if found is None:
            return None
        node, text = found
        if id(node) in self._targets:
            return self._targets[id(node)]
        new = None
        index = self.context.index
        if patch_object_form(dotted(call.func) or ""):
            if text == "delay" and self.context.task(call.args[0].value) is not None:
                new = "enqueue"
        elif text.endswith(".delay"):
            if index.task(index.canonical(text.removesuffix(".delay"))) is not None:
                new = text.removesuffix(".delay") + ".enqueue"
        elif text in index.from_tid_names:
            new = f"{text.rpartition('.')[0]}.WeftSubmission.from_tid"
        if new is not None:
            self._targets[id(node)] = new
            self.context.claim(node)
        return new

    def _bind(self, name: cst.BaseExpression | None, call: cst.BaseExpression) -> None:
        if isinstance(name, cst.Name) and isinstance(call, cst.Call) and self._new_target(call):
            self._scopes[-1].add(name.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(set())
        # Mocks are passed after the caller's arguments, the lowest decorator's first.
        patches = [
            decorator.decorator
            for decorator in reversed(node.decorators)
            if isinstance(decorator.decorator, cst.Call) and patch_target(decorator.decorator)
        ]
        params = [*node.params.posonly_params, *node.params.params]
        if params and params[0].name.value in ("self", "cls"):
            params = params[1:]
        passed = [call for call in patches if passes_mock(call)]
        for param, call in zip(params, passed, strict=False):
            self._bind(param.name, call)
        for call in patches:
            self._new_target(call)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._scopes.pop()
        return updated_node

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if item.asname is not None:
                self._bind(item.asname.name, item.item)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)
            expression = target.target
            if (
                isinstance(expression, cst.Attribute)
                and expression.attr.value == "return_value"
                and self._stands_in(expression.value)
            ):
                self.report(
                    node,
                    f"{dotted(expression) or 'the mock'} is set to an object of the test's "
                    "own: the code now reads a WeftSubmission from it, so give it "
                    "WeftSubmission's names (.tid, .state, .info, .wait())",
                )

    def visit_Call(self, node: cst.Call) -> None:
        self._new_target(node)

    def _stands_in(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and any(node.value in s for s in self._scopes)

    def leave_SimpleString(
        self, original_node: cst.SimpleString, updated_node: cst.SimpleString
    ) -> cst.SimpleString:
        new = self._targets.get(id(original_node))
        if new is None:
            return updated_node
        quote = updated_node.quote
        return updated_node.with_changes(value=f"{updated_node.prefix}{quote}{new}{quote}")

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.Attribute:
        parent = original_node.value
        new = HANDLE_READS.get(original_node.attr.value)
        if (
            new is None
            or not isinstance(parent, cst.Attribute)
            or parent.attr.value != "return_value"
            or not self._stands_in(parent.value)
        ):
            return updated_node
        return updated_node.with_changes(attr=cst.Name(new))
