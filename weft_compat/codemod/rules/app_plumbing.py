"""WC108: the Celery app's plumbing goes once nothing else uses the app.

Plumbing is what only serves the app: ``app = Celery(...)``, the top-level
``app.config_from_object(...)`` / ``config_from_envvar`` / ``autodiscover_tasks(...)``
calls, the app module's ``os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...)`` (which
points Celery's worker at the settings; weft_compat's worker brings the settings module
with each call), and an import of the app that nothing uses, such as
``from .celery import app as celery_app`` in the project package, with its ``__all__``
entry. Imports the removed statements alone needed go with them; a module left with
nothing but its docstring and ``__future__`` imports is deleted (a package's
``__init__.py`` is emptied instead).

Whether the app is used for anything else is known once every module is rewritten
(``apps``): until then, and for an app still in use, nothing is removed and
``celery_app`` (WC207) reports the app and the modules that still use it.
"""

from __future__ import annotations

from typing import cast

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._shared import mentioned_names, method_call, string_value
from weft_compat.codemod.rules.base import Rule, children

CODE = "WC108"
DESCRIPTION = "the Celery app and its plumbing removed once nothing else uses the app"
CONFIG_METHODS = frozenset({"config_from_object", "config_from_envvar", "autodiscover_tasks"})
SETDEFAULT = "os.environ.setdefault"
DJANGO_SETTINGS_MODULE = "DJANGO_SETTINGS_MODULE"


def _mentions(module: cst.Module, name: str, most: int) -> int:
    """How often ``module`` mentions ``name``: as a variable, and as a string of just the
    name (an attribute's or a keyword's own name is no mention); counting stops past
    ``most``, where the answer no longer matters."""
    count = 0
    stack: list[cst.CSTNode] = [module]
    while stack and count <= most:
        node = stack.pop()
        kind = type(node)
        if kind is cst.Name:
            count += cast(cst.Name, node).value == name
        elif kind is cst.SimpleString:
            count += string_value(cast(cst.SimpleString, node)) == name
        elif kind is cst.Attribute or kind is cst.Arg:
            stack.append(cast(cst.Attribute | cst.Arg, node).value)
        else:
            stack.extend(children(node))
    return count


def _all_entries(statement: cst.SimpleStatementLine) -> list[cst.BaseElement] | None:
    """The elements of ``__all__ = (...)`` / ``[...]`` when every one is a string."""
    small = statement.body[0]
    if not (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and dotted(small.targets[0].target) == "__all__"
        and isinstance(small.value, cst.Tuple | cst.List)
    ):
        return None
    elements = list(small.value.elements)
    if not all(string_value(element.value) is not None for element in elements):
        return None
    return elements


class AppPlumbing(Rule):
    """Removes the Celery app's plumbing once the run knows nothing else uses the app."""

    NAME = "app_plumbing"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "celery-app.md#wc108-app_plumbing"

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._all: cst.SimpleStatementLine | None = None
        self._all_removed: set[str] = set()

    def _app(self, node: cst.BaseExpression) -> str | None:
        qualified = self.context.qualified_name(node)
        return qualified if qualified in self.context.index.apps else None

    def _defined(self) -> dict[str, str]:
        """The apps this module defines: local name → canonical name."""
        facts, index = self.context.facts, self.context.index
        found = {}
        for name in facts.app_names:
            qualified = index.canonical(f"{facts.module}.{name}" if facts.module else name)
            if qualified in index.apps:
                found[name] = qualified
        return found

    def _refers_to_apps(self) -> bool:
        index = self.context.index
        for target in self.context.facts.imports.values():
            canonical = index.canonical(target)
            if canonical in index.apps or any(a.startswith(f"{canonical}.") for a in index.apps):
                return True
        return False

    def visit_Module(self, node: cst.Module) -> None:
        defined = self._defined()
        if not defined and not self._refers_to_apps():
            return
        context = self.context
        context.count_app_uses = True
        plumbing: dict[str, list[cst.CSTNode]] = {}
        for statement in node.body:
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                continue
            for app, part in self._plumbing(statement, defined, node):
                plumbing.setdefault(app, []).append(part)
            if _all_entries(statement) is not None:
                self._all = statement
        context.app_plumbing = plumbing
        decisions = context.index.app_users
        if decisions is not None:
            self._remove({app for app in plumbing if decisions.get(app) == ()}, plumbing)

    def _plumbing(
        self, statement: cst.SimpleStatementLine, defined: dict[str, str], module: cst.Module
    ) -> list[tuple[str, cst.CSTNode]]:
        """The apps ``statement`` (or an alias it imports) is plumbing for."""
        small = statement.body[0]
        if isinstance(small, cst.Assign | cst.AnnAssign):
            targets = (
                [small.target]
                if isinstance(small, cst.AnnAssign)
                else [target.target for target in small.targets]
            )
            names = [t.value for t in targets if isinstance(t, cst.Name)]
            if names and len(names) == len(targets) and all(n in defined for n in names):
                return [(defined[names[0]], statement)]
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            method = method_call(call)
            if method is not None and method[1] in CONFIG_METHODS:
                app = self._app(method[0])
                if app is not None:
                    return [(app, statement)]
            first = call.args[0].value if call.args else None
            if (
                defined
                and self.context.qualified_name(call.func) == SETDEFAULT
                and first is not None
                and string_value(first) == DJANGO_SETTINGS_MODULE
            ):
                return [(app, statement) for app in defined.values()]
        if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            return [(app, alias) for alias in small.names if (app := self._reexport(alias, module))]
        return []

    def _reexport(self, alias: cst.ImportAlias, module: cst.Module) -> str | None:
        """The app ``alias`` imports, if nothing but ``__all__`` mentions its name."""
        bound = alias.asname.name if alias.asname else alias.name
        if not isinstance(bound, cst.Name):
            return None
        app = self._app(bound)
        if app is None:
            return None
        entries = 0
        for statement in module.body:
            if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
                found = _all_entries(statement) or []
                entries += sum(string_value(e.value) == bound.value for e in found)
        return app if _mentions(module, bound.value, 1 + entries) == 1 + entries else None

    def _remove(self, apps: set[str], plumbing: dict[str, list[cst.CSTNode]]) -> None:
        if not apps:
            return
        context = self.context
        # A part shared by several apps (the settings default) goes with the last of them.
        kept = {id(part) for app, parts in plumbing.items() if app not in apps for part in parts}
        aliases: list[cst.ImportAlias] = []
        for app in apps:
            for part in plumbing[app]:
                if id(part) in kept:
                    continue
                if isinstance(part, cst.ImportAlias):
                    aliases.append(part)
                    continue
                assert isinstance(part, cst.SimpleStatementLine)
                if id(part) not in context.removed_statements:
                    context.removed_statements.add(id(part))
                    context.claim(part.body[0])
                    for name, count in mentioned_names(part).items():
                        self.drop_import(name, count)
                    if isinstance(part.body[0], cst.Assign | cst.AnnAssign):
                        context.delete_if_empty = not context.path.endswith("__init__.py")
        listed = _all_entries(self._all) or [] if self._all is not None else []
        for alias in aliases:
            context.claim(alias)
            bound = alias.asname.name if alias.asname else alias.name
            assert isinstance(bound, cst.Name)  # checked by _reexport
            self._all_removed.add(bound.value)
            entries = sum(string_value(element.value) == bound.value for element in listed)
            # The import and its __all__ entries are every mention left of the name.
            self.drop_import(bound.value, entries)
            context.rewrote = True
        emptied = all(string_value(element.value) in self._all_removed for element in listed)
        if self._all is not None and self._all_removed and emptied:
            context.removed_statements.add(id(self._all))

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if (
            self._all is None
            or original_node is not self._all.body[0]
            or not self._all_removed
            or id(self._all) in self.context.removed_statements
        ):
            return updated_node
        value = updated_node.value
        assert isinstance(value, cst.Tuple | cst.List)  # checked by _all_entries
        positions = {
            position
            for position, element in enumerate(value.elements)
            if string_value(element.value) in self._all_removed
        }
        elements = [e for position, e in enumerate(value.elements) if position not in positions]
        last = value.elements[-1].comma
        if isinstance(value, cst.Tuple) and len(elements) == 1:
            last = cst.Comma()  # a one-element tuple keeps its comma
        elements[-1] = elements[-1].with_changes(comma=last)
        return updated_node.with_changes(value=value.with_changes(elements=elements))
