"""The rules, one module each; a module's name is the rule's ``--only`` / ``--skip`` name.

Order matters only for rewrites of the same node; the rules below touch disjoint
nodes, so the order is the codes' order, which ``--list-rules`` prints.
"""

from __future__ import annotations

from collections.abc import Sequence

from weft_compat.codemod.rules import (
    app_plumbing,
    apply_async,
    async_result,
    beat,
    beat_schedule,
    call_options,
    canvas,
    canvas_workflows,
    celery_app,
    celery_imports,
    current_task,
    delay,
    delay_unresolved,
    dispatch_helpers,
    eager_overrides,
    exceptions_import,
    installed_apps,
    mock_patch,
    on_commit,
    override_settings,
    patch_targets,
    request_attributes,
    request_reads,
    result_reads,
    send_task,
    settings,
    signals,
    task_arguments,
    task_base_classes,
    task_classes,
    task_cls,
    task_decorator,
    task_logger,
    task_options,
    task_signals,
    unknown_tasks,
)
from weft_compat.codemod.rules.base import Rule

ALL_RULES: tuple[type[Rule], ...] = tuple(
    sorted(
        (
            exceptions_import.ExceptionsImport,
            task_decorator.TaskDecorator,
            delay.Delay,
            apply_async.ApplyAsync,
            send_task.SendTask,
            on_commit.OnCommit,
            async_result.AsyncResultRule,
            delay_unresolved.DelayUnresolved,
            task_options.TaskOptions,
            call_options.CallOptions,
            result_reads.ResultReads,
            canvas.Canvas,
            canvas_workflows.CanvasWorkflows,
            beat.Beat,
            beat_schedule.BeatSchedule,
            installed_apps.InstalledApps,
            celery_app.CeleryApp,
            app_plumbing.AppPlumbing,
            signals.Signals,
            task_classes.TaskClasses,
            mock_patch.MockPatch,
            celery_imports.CeleryImports,
            settings.Settings,
            override_settings.OverrideSettings,
            eager_overrides.EagerOverrides,
            patch_targets.PatchTargets,
            task_base_classes.TaskBaseClasses,
            current_task.CurrentTask,
            unknown_tasks.UnknownTasks,
            request_attributes.RequestAttributes,
            request_reads.RequestReads,
            task_cls.TaskCls,
            task_arguments.TaskArguments,
            dispatch_helpers.DispatchHelpers,
            task_logger.TaskLogger,
            task_signals.TaskSignals,
        ),
        key=lambda rule: rule.CODE,
    )
)
RULES_BY_NAME: dict[str, type[Rule]] = {rule.NAME: rule for rule in ALL_RULES}


def rule_classes(names: Sequence[str]) -> list[type[Rule]]:
    """The rule classes for ``names``, in code order; unknown names raise KeyError."""
    wanted = set(names)
    return [rule for rule in ALL_RULES if rule.NAME in wanted]
