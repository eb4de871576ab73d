"""WC207: the Celery application module: ``Celery(...)``, its configuration, its imports.

weft_compat needs no application object: tasks register when their module is
imported, and configuration lives in ``WEFT_COMPAT``. ``app_plumbing`` (WC108) removes
the app and its plumbing once nothing else uses it; this rule reports what stays: an
app still in use (with the files that use it), ``app.conf`` settings, ``app.control``
calls and the other app methods.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import dotted
from weft_compat.codemod.facts import CELERY_APP_CLASSES
from weft_compat.codemod.rules._settings_map import CONF_KEYS, conf_advice
from weft_compat.codemod.rules._shared import keyword_name, method_call
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.task_base_classes import registered_class

CODE = "WC207"
DESCRIPTION = "the Celery app: Celery(...), config_from_object, autodiscover_tasks, app.conf"
_APP_METHODS = {
    "config_from_object": "settings move to WEFT_COMPAT; delete the call with the app",
    "config_from_envvar": "settings move to WEFT_COMPAT; delete the call with the app",
    "autodiscover_tasks": "weft_compat's Django app imports each installed app's tasks.py "
    'itself (WC116 adds "weft_compat.django" to INSTALLED_APPS); delete it',
    "register_task": "register_task(MyTask) registers a WeftTaskBase subclass; this call "
    "was not rewritten because its argument is not an instance, built without arguments, "
    "of a class the codemod moves onto WeftTaskBase",
    "set_default": "there is no app to make the default; delete it",
    "worker_main": "run `weft manager serve` instead of a Celery worker",
    "start": "run `weft manager serve` instead of a Celery worker",
}


class CeleryApp(Rule):
    """Flags the Celery application and its configuration."""

    NAME = "celery_app"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "celery-app.md#wc207-celery_app"
    WHY = (
        "the Celery app is removed only once nothing but its own plumbing uses it, and its "
        "configuration has no one-to-one counterpart."
    )

    def _removed(self) -> bool:
        """Whether app_plumbing (WC108) removes the statement being walked."""
        statement = self.context.statement
        return statement is not None and self.context.is_claimed(statement)

    def _kept_because(self) -> str:
        """What to do about the app being created, once the run knows who uses it."""
        statement = self.context.statement
        users: tuple[str, ...] = ()
        decisions = self.context.index.app_users
        if decisions is not None and isinstance(statement, cst.Assign):
            target = statement.targets[0].target
            if isinstance(target, cst.Name):
                users = decisions.get(self.context.qualified_name(target) or "", ())
        if not users:
            return "delete this module once its tasks are migrated"
        shown = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
        return (
            f"it stays because it is still used in {shown}; migrate or remove those uses, "
            "then run the codemod again, which removes the app"
        )

    def visit_Call(self, node: cst.Call) -> None:
        if self._removed():
            return
        qualified = self.context.qualified_name(node.func)
        if qualified in CELERY_APP_CLASSES or qualified == "celery.Celery":
            self.report(
                node,
                f"Celery(...) creates the Celery app, which weft_compat does not need; "
                f"{self._kept_because()}",
            )
            for arg in node.args:
                key = keyword_name(arg)
                if key is not None and key in CONF_KEYS:
                    self.report(arg, f"Celery({key}=...) {conf_advice(key)}")
            return
        method = method_call(node)
        if method is None:
            return
        receiver, name = method
        if name == "register_task" and registered_class(self.context, node) is not None:
            return  # rewritten by task_base_classes (WC111)
        if name in _APP_METHODS and self.context.is_app(receiver):
            self.report(node, f"{dotted(receiver)}.{name}(...): {_APP_METHODS[name]}")
        elif self._is_app_part(receiver, "conf") and not self.context.is_claimed(node):
            # (A claimed update held only the schedule: beat_schedule, WC115, rewrites it.)
            self.report(
                node,
                f"{dotted(receiver)}.{name}(...) configures Celery; move what "
                "still matters to WEFT_COMPAT and delete the rest",
            )
            for arg in node.args:
                key = keyword_name(arg)
                if key is not None and key in CONF_KEYS:
                    self.report(arg, f"{key}= {conf_advice(key)}")
        elif self._is_app_part(receiver, "control") and name == "revoke":
            if not self.context.is_claimed(node):
                self.report(
                    node,
                    f"{dotted(receiver)}.revoke(...) was not rewritten: it takes one task id "
                    "(or a list of them, where the call's value is not used) with terminate= "
                    "and a SIGTERM/SIGKILL signal=; stop each call with "
                    "WeftSubmission.from_tid(tid).stop() (or .kill())",
                )
        elif self._is_app_part(receiver, "control"):
            self.report(
                node,
                f"{dotted(receiver)}.{name}(...) talks to Celery workers; use "
                "the `weft` command line or WeftSubmission.stop()/kill()",
            )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "tasks" and self.context.is_app(node.value):
            self.report(
                node,
                f"{dotted(node)} is the Celery app's task registry; look a task up by name "
                "with weft_compat.get_task(name)",
                why="there is no app object to hold a registry once the app goes.",
            )

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            expression = target.target
            if (
                isinstance(expression, cst.Attribute)
                and self._is_app_part(expression.value, "conf")
                and expression.attr.value not in ("beat_schedule", "beat_scheduler")
            ):
                self.report(
                    node,
                    f"{dotted(expression)} configures Celery: {conf_advice(expression.attr.value)}",
                )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        # ``from .celery import app as celery_app`` in a package's __init__.py loads the app
        # at startup; it has to go with the app module.
        if not self.context.path.endswith("__init__.py") or isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            bound = alias.asname.name if alias.asname else alias.name
            if self.context.is_claimed(alias):
                continue
            if isinstance(bound, cst.Name) and self.context.is_app(bound):
                self.report(
                    alias,
                    "this import loads the Celery app at startup; delete it "
                    "(and its __all__ entry) together with the app module",
                )

    def _is_app_part(self, node: cst.BaseExpression, part: str) -> bool:
        return (
            isinstance(node, cst.Attribute)
            and node.attr.value == part
            and self.context.is_app(node.value)
        )
