"""WC210: test patches aimed at Celery names that ``patch_targets`` (WC110) leaves.

After the migration ``send.delay`` no longer exists, so a patch of it fails with
AttributeError, and a patched ``AsyncResult`` in a view is no longer looked up. WC110
follows the renames that keep a mock's meaning; the rest is reported here, each with
why: ``.apply_async`` (its calls become ``.using(...).enqueue(...)`` with the arguments
spread out, so neither the patch nor ``assert_called_with(args=..., kwargs=...)`` would
match), a task the codemod does not migrate, an ``AsyncResult`` the module still uses,
and canvas methods. The guide shows the recording test mode, which captures enqueued
calls without patching.
"""

from __future__ import annotations

import re

import libcst as cst

from weft_compat.codemod.context import dotted
from weft_compat.codemod.rules._shared import string_value
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.shapes import is_patch

CODE = "WC210"
DESCRIPTION = "patches of Celery names WC110 does not follow (.apply_async, canvas, celery.*)"
CELERY_TARGET = re.compile(
    r"(^|\.)(delay|apply_async|AsyncResult|send_task|s|si|signature)$|^celery(\.|$)"
)
_WHY = {
    "delay": "the codemod does not migrate {owner!r} as a task, so its .delay stays; "
    "patch {owner}.enqueue once it is a weft task",
    "apply_async": "{owner}.apply_async(...) calls become {owner}.using(...).enqueue(...) "
    "with the arguments spread out, so a patch of enqueue would neither see the calls made "
    "through .using(...) nor match assert_called_with(args=..., kwargs=...); patch "
    "{owner}.enqueue and update the assertions",
    "AsyncResult": "AsyncResult in {owner} is not always rewritten to "
    "WeftSubmission.from_tid (a call with other arguments, or a use other than a call); "
    "patch {owner}.WeftSubmission.from_tid once it is",
}
_DEFAULT = "weft_compat has no such name"


class MockPatch(Rule):
    """Reports patch targets naming Celery methods that were not rewritten."""

    NAME = "mock_patch"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "mocking.md#wc210-mock_patch"
    WHY = "the patched name is not renamed in a way the mock's assertions survive."

    def visit_Call(self, node: cst.Call) -> None:
        if not is_patch(dotted(node.func) or ""):
            return
        for arg in node.args[:2]:
            if arg.keyword is not None or self.context.is_claimed(arg.value):
                continue
            target = string_value(arg.value)
            if target is None or not CELERY_TARGET.search(target):
                continue
            owner, _, attribute = target.rpartition(".")
            if not owner and node.args:
                owner = dotted(node.args[0].value) or ""
            why = _WHY.get(attribute, _DEFAULT).format(owner=owner or "the object")
            self.report(
                arg,
                f"patch target {target!r} was not rewritten: {why}; or use the "
                "weft_recording fixture or weft_compat.testing.recording() instead of patching",
            )
