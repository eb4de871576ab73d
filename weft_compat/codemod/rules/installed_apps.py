"""WC116: weft_compat's Django app goes into ``INSTALLED_APPS``.

Celery's ``app.autodiscover_tasks()`` imported every installed app's ``tasks.py``, and
the codemod removes the app (WC108). weft_compat's Django app, ``"weft_compat.django"``,
imports them instead once installed, and brings the ``manage.py weft_*`` commands and
the system checks. So in a tree holding a Celery app or task, the settings module
``settings_home`` picks gets the app as the last entry of its INSTALLED_APPS, quoted
and laid out as the entries before it:

- ``INSTALLED_APPS = [...]`` or ``(...)``; in a module that only adds to the
  INSTALLED_APPS it star-imports, ``INSTALLED_APPS += [...]``;
- ``INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS`` (or ``[*DJANGO_APPS, ...]``), each part
  a literal or a name bound once, above, to one: the app goes into the last part.

What it cannot add to is reported, to be added by hand: an INSTALLED_APPS built by a
call or from names bound elsewhere, or assigned inside a block; a tree with no module
binding INSTALLED_APPS; several settings modules and none the base.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.django_facts import WEFT_APP
from weft_compat.codemod.rules._apps_list import appended
from weft_compat.codemod.rules._apps_scan import (
    Binding,
    Sites,
    code_of,
    literal_to_extend,
    read_bindings,
)
from weft_compat.codemod.rules._beat_build import quote_of
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.settings_home import AMBIGUOUS, OVERRIDES, Report

CODE = "WC116"
DESCRIPTION = '"weft_compat.django" added to INSTALLED_APPS, which autodiscovers tasks.py'
_NEEDED = (
    "weft_compat's Django app imports each installed app's tasks module, as the Celery "
    "app's autodiscover_tasks() did, and brings the manage.py weft_* commands and the "
    "system checks"
)
_SHOWN = 3


def _shown(modules: tuple[str, ...]) -> str:
    shown = ", ".join(modules[:_SHOWN])
    return shown + (f" and {len(modules) - _SHOWN} more" if len(modules) > _SHOWN else "")


def _message(report: Report) -> str:
    shown = _shown(report.modules)
    if report.kind == OVERRIDES:
        return (
            f"INSTALLED_APPS here replaces the one star-imported from {shown}, which gets "
            f'"{WEFT_APP}"; add "{WEFT_APP}" here too: {_NEEDED}'
        )
    if report.kind == AMBIGUOUS:
        return (
            f"several modules bind INSTALLED_APPS ({shown}), and neither "
            "DJANGO_SETTINGS_MODULE nor their star imports tell which one the others build "
            f'on; add "{WEFT_APP}" to the INSTALLED_APPS the project runs with by hand: '
            f"{_NEEDED}"
        )
    return (
        f'"{WEFT_APP}" goes into the INSTALLED_APPS of {shown}; if the project also runs '
        f'with the INSTALLED_APPS bound here, add "{WEFT_APP}" here too: {_NEEDED}'
    )


class InstalledApps(Rule):
    """Adds weft_compat's Django app to the settings module's INSTALLED_APPS."""

    NAME = "installed_apps"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "celery-app.md#wc116-installed_apps"
    WHY = (
        "the codemod adds the app only to the one INSTALLED_APPS the project runs with, "
        "where that list is a literal it can read."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # The list or tuple literal the app goes into, by its id, and its quote.
        self._literal: int | None = None
        self._quote = '"'

    def visit_Module(self, node: cst.Module) -> None:
        plan = self.context.index.installed_apps
        module = self.context.facts.module
        if module == plan.unfound:
            self._report_unfound(node)
        report = plan.reports.get(module)
        if report is None and module not in plan.homes:
            return
        bindings = read_bindings(node)
        if not bindings:
            return  # (the index read it, so a binding of INSTALLED_APPS is always here)
        fresh = [(position, binding) for position, binding in bindings if binding.fresh]
        if report is not None:
            self.report((fresh or bindings)[-1][1].small, _message(report))
            return
        self._add(node, bindings, fresh)

    def _add(
        self,
        module: cst.Module,
        bindings: list[tuple[int, Binding]],
        fresh: list[tuple[int, Binding]],
    ) -> None:
        nested = [binding for _, binding in fresh if binding.nested]
        if nested:
            self._problem(nested[0], "is assigned inside a block (if, try, ...)")
            return
        if fresh:
            position, binding = fresh[-1]
        else:
            added = [
                (position, binding)
                for position, binding in bindings
                if isinstance(binding.small, cst.AugAssign)
                and isinstance(binding.small.operator, cst.AddAssign)
                and not binding.nested
            ]
            if not added:
                self._problem(bindings[-1][1], "is only changed here, not assigned a list")
                return
            position, binding = added[-1]
        assert binding.value is not None  # a fresh binding or a ``+=`` has one
        if isinstance(binding.small, cst.AugAssign) and not isinstance(
            binding.value, cst.List | cst.Tuple
        ):
            self._problem(binding, f"is added to with {code_of(binding.value)}")
            return
        literal, problem = literal_to_extend(binding.value, module, position)
        if literal is None:
            self._problem(binding, problem)
            return
        self._literal = id(literal)
        self._quote = quote_of(literal)

    def _problem(self, binding: Binding, problem: str) -> None:
        self.report(
            binding.small,
            f'INSTALLED_APPS {problem}, so the codemod did not add "{WEFT_APP}" to it; add '
            f"it by hand: {_NEEDED}",
            why="the codemod adds to a list or tuple literal, or to names bound once above "
            "to one, and INSTALLED_APPS here is neither.",
        )

    def _report_unfound(self, module: cst.Module) -> None:
        found = Sites()
        module.visit(found)
        if found.binding is not None:
            self.report(
                found.binding,
                "INSTALLED_APPS is bound inside a class or function here, and no module binds "
                f'it at module level, so the codemod did not add "{WEFT_APP}"; add it to the '
                f"INSTALLED_APPS the project runs with by hand: {_NEEDED}",
                why="the codemod adds the app only to an INSTALLED_APPS bound at module level.",
            )
            return
        site = found.call()
        if site is None:
            return
        self.report(
            site,
            "no module in the paths given binds INSTALLED_APPS, so the codemod could not add "
            f'"{WEFT_APP}" to it; add "{WEFT_APP}" to INSTALLED_APPS by hand: {_NEEDED}',
            why="the settings module is not among the files the codemod was given.",
        )

    def leave_List(self, original_node: cst.List, updated_node: cst.List) -> cst.List:
        if id(original_node) != self._literal:
            return updated_node
        return appended(updated_node, WEFT_APP, self._quote)

    def leave_Tuple(self, original_node: cst.Tuple, updated_node: cst.Tuple) -> cst.Tuple:
        if id(original_node) != self._literal:
            return updated_node
        return appended(updated_node, WEFT_APP, self._quote)
