"""WC210: test patches aimed at Celery names (``mock.patch("app.tasks.send.delay")``).

After the migration ``send.delay`` no longer exists, so such a patch fails with
AttributeError, and a patched ``AsyncResult`` in a view is no longer looked up. The
guide shows the recording test mode, which captures enqueued calls without patching.
"""

from __future__ import annotations

import re

import libcst as cst

from weft_compat.codemod.context import dotted
from weft_compat.codemod.rules._shared import string_value
from weft_compat.codemod.rules.base import Rule

CODE = "WC210"
DESCRIPTION = 'mock.patch("...task.delay") and other patches aimed at Celery names'
CELERY_TARGET = re.compile(
    r"(^|\.)(delay|apply_async|AsyncResult|send_task|s|si|signature)$|^celery(\.|$)"
)
RENAMES = {"delay": "enqueue", "apply_async": "using/enqueue", "AsyncResult": "WeftSubmission"}


def _is_patch(func: cst.BaseExpression) -> bool:
    name = dotted(func) or ""
    return (name.endswith(("patch", "patch.object", "patch.multiple")) and "." in name) or name in (
        "patch",
    )


class MockPatch(Rule):
    """Flags patch targets naming Celery methods."""

    NAME = "mock_patch"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "mocking.md#wc210-mock_patch"

    def visit_Call(self, node: cst.Call) -> None:
        if not _is_patch(node.func):
            return
        for arg in node.args[:2]:
            if arg.keyword is not None:
                continue
            target = string_value(arg.value)
            if target is None or not CELERY_TARGET.search(target):
                continue
            attribute = target.rpartition(".")[2]
            replacement = RENAMES.get(attribute)
            hint = f" (its weft_compat name is {replacement})" if replacement else ""
            self.report(
                arg,
                f"patch target {target!r} names a Celery attribute{hint}; use the "
                "weft_recording fixture or weft_compat.testing.recording() instead of patching",
            )
