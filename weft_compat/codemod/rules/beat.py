"""WC206: periodic tasks (beat schedules, crontab, add_periodic_task, django_celery_beat).

weft_compat does not schedule periodic work yet. Each schedule is reported once (the
``crontab`` entries inside a reported schedule are not repeated), with the guide's
hand migration: a system timer or cron job that runs a management command which
enqueues the task. The ``celery.schedules`` import a schedule needs is reported too:
left in a settings module, it stops the project from starting once Celery is removed.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._shared import keyword_name, method_call, string_value
from weft_compat.codemod.rules.base import Rule

CODE = "WC206"
DESCRIPTION = (
    "beat: CELERY_BEAT_SCHEDULE, beat_schedule, crontab, add_periodic_task, django_celery_beat"
)
SCHEDULE_SETTINGS = frozenset(
    {"CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE", "CELERY_BEAT_SCHEDULER", "CELERYBEAT_SCHEDULER"}
)
SCHEDULES = frozenset(
    {"celery.schedules.crontab", "celery.schedules.solar", "celery.schedules.schedule"}
)
BEAT_PACKAGE = "django_celery_beat"
SCHEDULES_MODULE = "celery.schedules"
_ADVICE = "weft_compat has no periodic scheduler yet; run the task from cron or a systemd timer"


class Beat(Rule):
    """Flags periodic-task configuration."""

    NAME = "beat"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "beat.md#wc206-beat"
    WHY = "weft_compat has no periodic scheduler, so a beat schedule has nothing to become."

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._inside_schedule = 0

    def _is_schedule_target(self, target: cst.BaseAssignTargetExpression) -> bool:
        if isinstance(target, cst.Name):
            return target.value in SCHEDULE_SETTINGS
        return isinstance(target, cst.Attribute) and target.attr.value in (
            "beat_schedule",
            "beat_scheduler",
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(self._is_schedule_target(target.target) for target in node.targets):
            name = dotted(node.targets[0].target) or "beat schedule"
            self.report(node, f"{name} is a Celery beat schedule: {_ADVICE}")
            self._inside_schedule += 1

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if any(self._is_schedule_target(target.target) for target in original_node.targets):
            self._inside_schedule -= 1
        return updated_node

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.qualified_name(node.func)
        if qualified in SCHEDULES and not self._inside_schedule:
            self.report(node, f"{qualified.rpartition('.')[2]}(...) is a beat schedule: {_ADVICE}")
            return
        method = method_call(node)
        if method is not None and method[1] == "add_periodic_task":
            self.report(node, f"add_periodic_task(...) registers a beat entry: {_ADVICE}")
        elif method is not None and method[1] == "update":
            for arg in node.args:
                if keyword_name(arg) in ("beat_schedule", "beat_scheduler"):
                    self.report(arg, f"beat_schedule is a Celery beat schedule: {_ADVICE}")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) if node.module is not None and not node.relative else None
        if module is not None and module.partition(".")[0] == BEAT_PACKAGE:
            self.report(node, f"{module} is django-celery-beat: {_ADVICE}")
        elif module == SCHEDULES_MODULE:
            # Settings modules import crontab for CELERY_BEAT_SCHEDULE: the setting is
            # harmless once Celery is gone, the import is not.
            self.report(
                node,
                f"from {module} import ... needs Celery installed, so this module stops "
                "importing once Celery is removed; delete it with the schedules that use it",
            )

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if (dotted(alias.name) or "").partition(".")[0] == BEAT_PACKAGE:
                self.report(alias, f"{BEAT_PACKAGE} is django-celery-beat: {_ADVICE}")

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        # ``INSTALLED_APPS = [..., "django_celery_beat"]`` and scheduler paths.
        value = string_value(node)
        if (
            not self._inside_schedule
            and value is not None
            and value.partition(".")[0] == BEAT_PACKAGE
        ):
            self.report(node, f"{value!r} refers to django-celery-beat: {_ADVICE}")
