"""One module's beat plan: what ``beat_schedule`` (WC115) rewrites and why the rest stays.

Both beat rules make the same plan from the module before walking it: the rewrite
rule to claim and rewrite what it can, ``beat`` (WC206) to say why each site it
reports was left (or, with WC115 not run, that WC115 would rewrite it). A module
holding none of the forms costs one pass over its top-level statements.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._beat_code import CodePlan, conf_schedule, handler_signal, plan_code
from weft_compat.codemod.rules._beat_scan import Census, census
from weft_compat.codemod.rules._beat_settings import (
    SCHEDULE_SETTINGS,
    SettingsPlan,
    plan_settings,
)
from weft_compat.codemod.rules._beat_values import CRONTAB, WEFT_CRONTAB, Conversions

BARE_CRONTAB = "crontab"
QUALIFIED_CRONTAB = "weft_compat.crontab"


@dataclass
class BeatPlan:
    """The settings and code plans, the Celery calls to convert in what they rewrite,
    and how those write weft_compat's crontab: ``crontab`` imported from weft_compat,
    or ``weft_compat.crontab`` where the name ``crontab`` stays taken."""

    settings: SettingsPlan = field(default_factory=lambda: SettingsPlan({}, None, {}))
    code: CodePlan = field(default_factory=CodePlan)
    conversions: Conversions = field(default_factory=dict)
    crontab: str = BARE_CRONTAB

    def problem(self, node: cst.CSTNode) -> str | None:
        """Why the site at ``node`` is not rewritten, if the plan knows."""
        return self.settings.problems.get(id(node)) or self.code.problems.get(id(node))

    def rewrites(self, node: cst.CSTNode) -> bool:
        """Whether WC115 rewrites the site at ``node`` (an assignment, an ``update``
        keyword, an ``add_periodic_task`` call)."""
        key = id(node)
        return key in self.settings.moves or key in self.code.conf or key in self.code.calls


def _candidates(context: FileContext, body: tuple[cst.BaseStatement, ...]) -> bool:
    if not context.facts.defs.isdisjoint(SCHEDULE_SETTINGS):
        return True
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            if conf_schedule(context, statement.body[0]) is not None:
                return True
        elif isinstance(statement, cst.FunctionDef) and handler_signal(context, statement):
            return True
    return False


def _crontab_spelling(context: FileContext, counted: Census, conversions: Conversions) -> str:
    """``crontab`` if that name is free for weft_compat's once the rewrite is done: not
    bound here, bound to it already, or bound to Celery's with every use converted."""
    heads = Counter(head for kind, head in conversions.values() if kind == CRONTAB)
    bound = context.qualified_name(cst.Name(BARE_CRONTAB))
    if bound is None and BARE_CRONTAB not in context.facts.defs:
        return BARE_CRONTAB
    if bound == WEFT_CRONTAB:
        return BARE_CRONTAB
    if bound == CRONTAB and counted.names[BARE_CRONTAB] - heads[BARE_CRONTAB] <= 1:
        return BARE_CRONTAB
    return QUALIFIED_CRONTAB


def plan_beat(context: FileContext, module: cst.Module) -> BeatPlan:
    """The beat plan of ``module`` (an empty one when it holds no beat forms)."""
    body = tuple(module.body)
    plan = BeatPlan()
    if not _candidates(context, body):
        return plan
    counted = census(module)
    plan.settings = plan_settings(context, body, counted, plan.conversions)
    plan.code = plan_code(context, body, counted, plan.conversions)
    plan.crontab = _crontab_spelling(context, counted, plan.conversions)
    return plan
