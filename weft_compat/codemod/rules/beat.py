"""WC206: the periodic-task configuration ``beat_schedule`` (WC115) does not rewrite.

weft_compat runs Celery-shaped schedules, and WC115 moves every schedule it can read
whole. This rule reports the rest, each once and with why it stays (the ``crontab``
calls inside a reported schedule are not repeated): a schedule built by code or
holding what weft_compat has no counterpart for (``solar``, ``crontab(nowfun=...)``,
an entry key such as ``relative``), ``add_periodic_task`` outside a handler WC115
recognises, reads of a schedule setting, the scheduler settings, and
django-celery-beat, whose database scheduler has no counterpart. The
``celery.schedules`` import a schedule left here needs is reported too: in a settings
module, it stops the project from starting once Celery is removed.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._beat_plan import BeatPlan, plan_beat
from weft_compat.codemod.rules._beat_settings import SCHEDULE_SETTINGS
from weft_compat.codemod.rules._beat_values import CRONTAB, INTERVAL, SOLAR
from weft_compat.codemod.rules._shared import keyword_name, method_call, string_value
from weft_compat.codemod.rules.base import Rule

CODE = "WC206"
DESCRIPTION = (
    "beat schedules WC115 cannot rewrite: computed, solar, nowfun=, add_periodic_task "
    "elsewhere, django_celery_beat"
)
SCHEDULER_SETTINGS = frozenset({"CELERY_BEAT_SCHEDULER", "CELERYBEAT_SCHEDULER"})
SETTINGS = frozenset(SCHEDULE_SETTINGS) | SCHEDULER_SETTINGS
CONF_ATTRIBUTES = frozenset({"beat_schedule", "beat_scheduler"})
SCHEDULES = frozenset({CRONTAB, SOLAR, INTERVAL})
BEAT_PACKAGE = "django_celery_beat"
SCHEDULES_MODULE = "celery.schedules"
_BY_HAND = {
    "settings": 'move it into WEFT_COMPAT["BEAT_SCHEDULE"] by hand (crontab from weft_compat)',
    "code": "register it by hand with weft_compat.add_beat_schedule({...}) or "
    "add_periodic_task(schedule, task, args=..., name=...) at a tasks module's top level",
}
_RUN_WC115 = "beat_schedule (WC115) rewrites it; run that rule too"
_DATABASE = (
    "django-celery-beat's database scheduler has no weft_compat counterpart: move its "
    'PeriodicTask rows into WEFT_COMPAT["BEAT_SCHEDULE"], then remove the app'
)
_SCHEDULER = (
    "picks Celery beat's scheduler, which weft_compat replaces (`weft-compat beat` and the "
    "workers tick the schedule): delete it"
)
_CALLS = {
    "crontab": "crontab(...) outside a schedule the codemod rewrites is Celery's; where it "
    "feeds a schedule, use weft_compat's crontab (the same fields)",
    "solar": "solar(...) (sunrise and sunset times) has no weft_compat counterpart; pick a "
    "crontab or an interval",
    "schedule": "schedule(run_every=X) outside a schedule the codemod rewrites is Celery's; "
    "in a weft_compat schedule it is X itself",
}


class Beat(Rule):
    """Reports the periodic-task configuration left on Celery, with why."""

    NAME = "beat"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "beat.md#wc206-beat"
    WHY = (
        "the schedule is built in a way the codemod cannot read whole, or uses what "
        "weft_compat's scheduler has no counterpart for."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._inside_schedule = 0
        self._plan = BeatPlan()

    def visit_Module(self, node: cst.Module) -> None:
        self._plan = plan_beat(self.context, node)

    def _kept(self, node: cst.CSTNode, what: str, form: str) -> None:
        """Report a schedule left as it is, with the plan's reason."""
        problem = self._plan.problem(node)
        if problem is not None:
            self.report(node, f"{what} was not rewritten: {problem}; {_BY_HAND[form]}")
        elif self._plan.rewrites(node):
            self.report(node, f"{what} is a beat schedule: {_RUN_WC115}")
        else:
            self.report(
                node,
                f"{what} was not rewritten: only a schedule assigned on a line of its own at "
                f"the module's top level is; {_BY_HAND[form]}",
            )

    def _is_schedule_target(self, target: cst.BaseAssignTargetExpression) -> bool:
        if isinstance(target, cst.Name):
            return target.value in SETTINGS
        return isinstance(target, cst.Attribute) and target.attr.value in CONF_ATTRIBUTES

    def visit_Assign(self, node: cst.Assign) -> None:
        targets = [target.target for target in node.targets]
        if self.context.is_claimed(node):
            return  # rewritten by beat_schedule (WC115), maybe into another kind of node
        if not any(self._is_schedule_target(target) for target in targets):
            return
        self._inside_schedule += 1
        name = dotted(targets[0]) or "beat schedule"
        if name.rpartition(".")[2] in SCHEDULER_SETTINGS | {"beat_scheduler"}:
            value = string_value(node.value) or ""
            tail = f"; {_DATABASE}" if value.partition(".")[0] == BEAT_PACKAGE else ""
            self.report(node, f"{name} {_SCHEDULER}{tail}")
            return
        self._kept(node, name, "settings" if isinstance(targets[0], cst.Name) else "code")

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if self.context.is_claimed(original_node):
            return updated_node
        if any(self._is_schedule_target(target.target) for target in original_node.targets):
            self._inside_schedule -= 1
        return updated_node

    def _reported_with(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` is inside a schedule reported already, or is the target of one
        beat_schedule (WC115) rewrites: neither is reported on its own."""
        return bool(self._inside_schedule) or self.context.is_claimed(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.target.value in SCHEDULE_SETTINGS:
            self._inside_schedule += 1
            self._kept(node, node.target.value, "settings")

    def leave_AnnAssign(
        self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign
    ) -> cst.AnnAssign:
        target = original_node.target
        if isinstance(target, cst.Name) and target.value in SCHEDULE_SETTINGS:
            self._inside_schedule -= 1
        return updated_node

    def _holds_schedule(self, node: cst.Call) -> bool:
        """Whether ``node`` is an ``add_periodic_task(...)`` or a beat ``update(...)``
        this rule reports (the crontabs inside are not reported again)."""
        method = method_call(node)
        if method is None or self.context.is_claimed(node):
            return False
        if method[1] == "add_periodic_task":
            return True
        return method[1] == "update" and any(
            keyword_name(arg) in CONF_ATTRIBUTES for arg in node.args
        )

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.is_claimed(node):
            return  # rewritten by beat_schedule (WC115)
        qualified = self.context.qualified_name(node.func)
        if qualified in SCHEDULES:
            if not self._inside_schedule:
                self.report(node, _CALLS[qualified.rpartition(".")[2]])
            return
        if not self._holds_schedule(node):
            return
        self._inside_schedule += 1
        method = method_call(node)
        assert method is not None  # as _holds_schedule checks
        if method[1] == "add_periodic_task":
            self._periodic_task(node)
            return
        for arg in node.args:
            name = keyword_name(arg)
            if name == "beat_scheduler":
                self.report(arg, f"beat_scheduler= {_SCHEDULER}")
            elif name == "beat_schedule" and not self.context.is_claimed(arg):
                self._kept(arg, "beat_schedule=", "code")

    def _periodic_task(self, node: cst.Call) -> None:
        problem = self._plan.problem(node)
        if problem is None and self._plan.rewrites(node):
            self.report(node, f"add_periodic_task(...) registers a beat entry: {_RUN_WC115}")
            return
        why = problem or (
            "only calls standing alone in an @app.on_after_configure.connect (or "
            "on_after_finalize) handler are"
        )
        self.report(node, f"add_periodic_task(...) was not rewritten: {why}; {_BY_HAND['code']}")

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if self._holds_schedule(original_node):
            self._inside_schedule -= 1
        return updated_node

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "beat_schedule" and not self._reported_with(node):
            self.report(
                node,
                f"{dotted(node) or 'beat_schedule'} reads or changes the Celery beat schedule; "
                "weft_compat's is set with add_beat_schedule({...}), so change that instead",
            )

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in SCHEDULE_SETTINGS and not self._reported_with(node):
            self.report(
                node,
                f"{node.value} is read or changed here; weft_compat reads "
                'WEFT_COMPAT["BEAT_SCHEDULE"], so read or change that instead',
            )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) if node.module is not None and not node.relative else None
        if module is not None and module.partition(".")[0] == BEAT_PACKAGE:
            self.report(node, f"{module} is django-celery-beat: {_DATABASE}")
        elif module == SCHEDULES_MODULE:
            # Settings modules import crontab for CELERY_BEAT_SCHEDULE: a setting left
            # behind is harmless once Celery is gone, the import is not.
            self.report(
                node,
                f"from {module} import ... needs Celery installed, so this module stops "
                "importing once Celery is removed; delete it with the schedules that use it",
            )

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if (dotted(alias.name) or "").partition(".")[0] == BEAT_PACKAGE:
                self.report(alias, f"{BEAT_PACKAGE} is django-celery-beat: {_DATABASE}")

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        # ``INSTALLED_APPS = [..., "django_celery_beat"]`` and scheduler paths.
        value = string_value(node)
        if (
            value is not None
            and value.partition(".")[0] == BEAT_PACKAGE
            and not self._inside_schedule
        ):
            self.report(node, f"{value!r} refers to django-celery-beat: {_DATABASE}")
