"""WC115: literal Celery beat schedules become weft_compat's.

weft_compat runs Celery-shaped schedules (``weft-compat beat``, and every worker), so
a schedule the codemod can read whole moves over unchanged but for its spelling:

- in a settings module, ``CELERY_BEAT_SCHEDULE = {...}`` (or ``CELERYBEAT_SCHEDULE``)
  becomes ``WEFT_COMPAT["BEAT_SCHEDULE"]``, and a ``CELERY_TIMEZONE = ...`` beside it
  ``WEFT_COMPAT["TIMEZONE"]``, placed so that every other key stays (``_beat_settings``);
- ``app.conf.beat_schedule = {...}`` and ``app.conf.update(beat_schedule={...})``
  become ``add_beat_schedule({...})``, the other keys of the update staying;
- an ``@app.on_after_configure.connect`` (or ``on_after_finalize``) handler holding only
  ``sender.add_periodic_task(schedule, sig, ...)`` calls becomes those calls at module
  level, ``add_periodic_task(schedule, task, args=(...), kwargs={...}, ...)``;
- inside them, Celery's ``crontab(...)`` becomes weft_compat's (the same fields) and
  ``schedule(run_every=X)`` becomes ``X``.

A schedule is rewritten whole or not at all; ``beat`` (WC206) reports what stays and
why. A schedule in code registers when its module is imported, so where that module
is not a tasks module (which the worker and ``weft-compat beat`` import themselves),
the rewrite says to list it in ``WEFT_COMPAT["IMPORTS"]``.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.facts import WEFT_COMPAT
from weft_compat.codemod.rules._beat_build import (
    ADD,
    ADD_BEAT_SCHEDULE,
    add_beat_schedule,
    periodic_call,
    quote_of,
    subscript,
    weft_compat_dict,
    with_keys,
)
from weft_compat.codemod.rules._beat_code import app_of_conf
from weft_compat.codemod.rules._beat_plan import BARE_CRONTAB, BeatPlan, plan_beat
from weft_compat.codemod.rules._beat_values import CRONTAB, run_every
from weft_compat.codemod.rules._shared import head_name, kept_args, keyword_name, mentioned_names
from weft_compat.codemod.rules.base import Rule

CODE = "WC115"
DESCRIPTION = (
    'literal beat schedules → WEFT_COMPAT["BEAT_SCHEDULE"], add_beat_schedule(...), '
    "add_periodic_task(...)"
)
WEFT = "weft_compat"
TASKS_MODULE = "tasks"


class BeatSchedule(Rule):
    """Rewrites the beat schedules it can read whole onto weft_compat's scheduler."""

    NAME = "beat_schedule"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "beat.md#wc115-beat_schedule"
    WHY = (
        "the rewritten schedule registers when its module is imported, and which modules "
        "the worker imports is a setting the codemod does not write."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._plan = BeatPlan()
        self._indent = "    "
        # The values of the moves into a later WEFT_COMPAT literal, in source order.
        self._into: list[tuple[str, cst.BaseExpression]] = []
        # ``update(...)`` calls by id: the keyword's position, and whether it goes alone.
        self._updates: dict[int, tuple[int, bool]] = {}

    def visit_Module(self, node: cst.Module) -> None:
        plan = self._plan = plan_beat(self.context, node)
        self._indent = node.default_indent
        context = self.context
        context.claimed.update(plan.conversions)
        for key, move in plan.settings.moves.items():
            context.claimed.add(key)
            assign = move.line.body[0]
            assert isinstance(assign, cst.Assign)  # a move is of a ``NAME = value`` line
            context.claim(assign.targets[0].target)  # its name is no read (beat, WC206)
            if move.form == "into":
                context.removed_statements.update({id(move.line), key})
        for key, rewrite in plan.code.conf.items():
            context.claimed.add(key)
            small = rewrite.line.body[0]
            if isinstance(small, cst.Assign):
                context.claim(small.targets[0].target)
            self._drop(app_of_conf(small))
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                call = small.value
                position = next(
                    at for at, arg in enumerate(call.args) if keyword_name(arg) == "beat_schedule"
                )
                self._updates[id(call)] = (position, rewrite.form == "update")
                if rewrite.form == "update":
                    context.claim(call)
        for handler in plan.code.handlers.values():
            self._claim_handler(handler.function)
        self._imports()
        self._report_imports()

    def _drop(self, node: cst.BaseExpression) -> None:
        """Note a mention of an imported name that the rewrite removes."""
        name = head_name(node)
        if name is not None and name in self.context.facts.imports:
            self.drop_import(name)

    def _claim_handler(self, function: cst.FunctionDef) -> None:
        context = self.context
        context.removed_statements.add(id(function))
        for decorator in function.decorators:
            context.claim(decorator)
            for name, count in mentioned_names(decorator).items():
                if name in context.facts.imports:
                    self.drop_import(name, count)
        for name, count in mentioned_names(function.params).items():
            if name in context.facts.imports:
                self.drop_import(name, count)
        assert isinstance(function.body, cst.IndentedBlock)  # checked by the plan
        for statement in function.body.body:
            small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                call = small.value
                context.claim(call)
                context.claim(call.args[1].value)  # the signature (canvas, WC205)
                self._drop(call.func)
                sig = call.args[1].value
                if not isinstance(sig, cst.Call):
                    continue
                if not isinstance(sig.func, cst.Attribute):
                    self._drop(sig.func)  # signature("name", ...)
                elif sig.func.attr.value == "signature":
                    # ``sender.signature(...)``: the word goes, and the count of an
                    # imported ``signature``'s mentions includes it.
                    self._drop(sig.func.attr)

    def _imports(self) -> None:
        plan = self._plan
        kinds = {kind for kind, _ in plan.conversions.values()}
        for _kind, head in plan.conversions.values():
            if head:
                self.drop_import(head)
        schedules = [head for kind, head in plan.conversions.values() if kind != CRONTAB]
        if "schedule" in schedules and plan.settings.schedule_keys:
            # ``"schedule"`` keys spell the name too, so they count as its mentions.
            self.drop_import("schedule", plan.settings.schedule_keys)
        if CRONTAB in kinds:
            if plan.crontab == BARE_CRONTAB:
                self.add_import(WEFT, BARE_CRONTAB)
            else:
                self.add_import(WEFT)
        if plan.code.conf:
            self.add_import(WEFT, ADD_BEAT_SCHEDULE)
        if plan.code.handlers:
            self.add_import(WEFT, ADD)

    def _report_imports(self) -> None:
        """Say where a schedule in code must be imported from, unless a tasks module."""
        plan = self._plan
        name = self.context.facts.module
        if name.rpartition(".")[2] == TASKS_MODULE:
            return
        sites: list[cst.CSTNode] = [rewrite.line for rewrite in plan.code.conf.values()]
        sites += [handler.function for handler in plan.code.handlers.values()]
        if not sites:
            return
        shown = repr(name) if name else "this module"
        self.report(
            sites[0],
            f"the beat schedule now registers when {name or 'this module'} is imported; the "
            "worker and `weft-compat beat` import each installed app's tasks module and "
            f'WEFT_COMPAT["IMPORTS"], so add {shown} to WEFT_COMPAT["IMPORTS"] unless one '
            "of those imports it",
        )

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        key = id(original_node)
        conversion = self._plan.conversions.get(key)
        if conversion is not None:
            if conversion[0] != CRONTAB:
                arg = run_every(updated_node)
                assert arg is not None  # checked by the plan
                return arg.value
            if self._plan.crontab == BARE_CRONTAB:
                func: cst.BaseExpression = cst.Name(BARE_CRONTAB)
            else:
                func = cst.Attribute(cst.Name(WEFT), cst.Name(BARE_CRONTAB))
            if updated_node.func.deep_equals(func):
                return updated_node
            return updated_node.with_changes(func=func)
        update = self._updates.get(key)
        if update is None:
            return updated_node
        position, alone = update
        value = updated_node.args[position].value
        if alone:
            return add_beat_schedule(value)
        line = next(
            rewrite.line
            for rewrite in self._plan.code.conf.values()
            if rewrite.line.body[0].value is original_node  # type: ignore[attr-defined]
        )
        added = cst.SimpleStatementLine([cst.Expr(add_beat_schedule(value))])
        self.context.added_after.setdefault(id(line), []).append(added)
        return updated_node.with_changes(args=kept_args(updated_node.args, {position}))

    def leave_Assign(
        self, original_node: cst.Assign, updated_node: cst.Assign
    ) -> cst.BaseSmallStatement:
        plan = self._plan
        key = id(original_node)
        if original_node is plan.settings.into:
            assert isinstance(updated_node.value, cst.Dict)  # an ``into`` target is a literal
            return updated_node.with_changes(value=with_keys(updated_node.value, self._into))
        move = plan.settings.moves.get(key)
        if move is not None:
            value = updated_node.value
            target = updated_node.targets[0]
            if move.form == "into":
                self._into.append((move.key, value))
                return updated_node
            if move.form == "subscript":
                return updated_node.with_changes(
                    targets=[target.with_changes(target=subscript(move.key, quote_of(value)))]
                )
            new = weft_compat_dict(move.form, move.key, value, self._indent)
            return updated_node.with_changes(
                targets=[target.with_changes(target=cst.Name(WEFT_COMPAT))], value=new
            )
        if key in plan.code.conf:
            call = add_beat_schedule(updated_node.value)
            return cst.Expr(call, semicolon=updated_node.semicolon)
        return updated_node

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        handler = self._plan.code.handlers.get(id(original_node))
        if handler is None:
            return updated_node
        assert isinstance(updated_node.body, cst.IndentedBlock)  # checked by the plan
        lines: list[cst.BaseStatement] = []
        for statement in updated_node.body.body:
            small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
            if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
                continue  # the docstring, a ``pass``
            assert isinstance(statement, cst.SimpleStatementLine)
            call = periodic_call(small.value)
            leading = list(statement.leading_lines)
            if not lines:
                leading = [*original_node.leading_lines, *leading]
            lines.append(
                statement.with_changes(body=[small.with_changes(value=call)], leading_lines=leading)
            )
        self.context.added_after.setdefault(id(handler.after), []).extend(lines)
        return updated_node
