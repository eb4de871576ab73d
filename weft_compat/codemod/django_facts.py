"""What one module tells about the Django project around it: whether it binds
``INSTALLED_APPS``, which settings module it names, and whether it wires a Celery app
to Django. ``installed_apps`` (WC116) picks the settings module from these.

Read with ``ast`` in pass one, like the rest of a module's facts, and only for modules
whose text has one of the spellings looked for (``wants_django_scan``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

INSTALLED_APPS = "INSTALLED_APPS"
DJANGO_SETTINGS_MODULE = "DJANGO_SETTINGS_MODULE"
# weft_compat's Django app, by its module and by its AppConfig.
WEFT_APP = "weft_compat.django"
WEFT_APPS = frozenset({WEFT_APP, "weft_compat.django.apps.WeftCompatConfig"})

# Text without which a module holds none of what ``read_django`` looks for.
_TEXT = (b"INSTALLED_APPS", b"DJANGO_SETTINGS_MODULE", b"config_from_object", b"autodiscover_tasks")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def wants_django_scan(source: bytes) -> bool:
    """Whether ``source`` may hold something ``read_django`` reads."""
    return any(text in source for text in _TEXT)


@dataclass(frozen=True)
class DjangoFacts:
    """What ``read_django`` found in one module.

    ``defines``: a module-level ``INSTALLED_APPS = ...`` that does not read the one
    bound before (a star import's); ``extends``: one that does, ``+=`` or
    ``INSTALLED_APPS.append(...)``. ``names``: the names those values mention.
    ``installs_weft``: a module-level statement holds ``"weft_compat.django"`` (or its
    AppConfig's path). ``settings_modules``: the values it gives DJANGO_SETTINGS_MODULE.
    ``wired``: it configures a Celery app from Django (``config_from_object(
    "django.conf:settings")``, or ``autodiscover_tasks()`` of Django's installed apps).
    ``elsewhere``: it binds INSTALLED_APPS inside a class or function (class-based
    settings such as django-configurations'); ``installs_weft`` counts those too.
    """

    defines: bool = False
    extends: bool = False
    names: tuple[str, ...] = ()
    installs_weft: bool = False
    settings_modules: tuple[str, ...] = ()
    wired: bool = False
    elsewhere: bool = False

    @property
    def binds(self) -> bool:
        """Whether the module binds INSTALLED_APPS at all."""
        return self.defines or self.extends


def _module_level(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement that runs at module level, nested blocks included (not the
    bodies of functions and classes)."""
    for statement in statements:
        if isinstance(statement, _SCOPES):
            continue
        yield statement
        for child in ast.iter_child_nodes(statement):
            if isinstance(child, ast.stmt):
                yield from _module_level([child])
            elif isinstance(child, ast.ExceptHandler | ast.match_case):
                yield from _module_level(child.body)


def _is_installed_apps(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == INSTALLED_APPS


def _names(node: ast.AST) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _holds_weft_app(node: ast.AST) -> bool:
    return any(
        isinstance(child, ast.Constant) and child.value in WEFT_APPS for child in ast.walk(node)
    )


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _settings_module(node: ast.AST) -> str | None:
    """The module ``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")`` or
    ``os.environ["DJANGO_SETTINGS_MODULE"] = "x"`` names."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "setdefault"
        and len(node.args) == 2
        and _string(node.args[0]) == DJANGO_SETTINGS_MODULE
    ):
        return _string(node.args[1])
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Subscript) and _string(target.slice) == DJANGO_SETTINGS_MODULE:
            return _string(node.value)
    return None


def _wires_django(node: ast.AST) -> bool:
    """``app.config_from_object("django.conf:settings", ...)``, or ``app.autodiscover_tasks()``
    without packages (Django's installed apps) or with Django's installed apps."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    if node.func.attr == "config_from_object":
        first = _string(node.args[0]) if node.args else None
        return first is not None and first.startswith("django.conf")
    if node.func.attr == "autodiscover_tasks":
        packages = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "packages")]
        return not packages or INSTALLED_APPS in _names(packages[0])
    return False


def _binds_installed_apps(node: ast.AST) -> bool:
    if isinstance(node, ast.Assign):
        return any(map(_is_installed_apps, node.targets))
    return isinstance(node, ast.AnnAssign | ast.AugAssign) and _is_installed_apps(node.target)


def read_django(tree: ast.Module) -> DjangoFacts | None:
    """The Django facts of a parsed module; None if it has none."""
    defines = extends = installs = elsewhere = False
    names: set[str] = set()
    module_level: set[int] = set()
    for statement in _module_level(tree.body):
        module_level.add(id(statement))
        value: ast.expr | None = None
        if isinstance(statement, ast.Assign | ast.AnnAssign) and _binds_installed_apps(statement):
            value = statement.value
        elif isinstance(statement, ast.AugAssign) and _is_installed_apps(statement.target):
            extends = True
            names |= _names(statement.value)
        elif (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Attribute)
            and _is_installed_apps(statement.value.func.value)
        ):
            extends = True  # INSTALLED_APPS.append(...), .extend(...), .insert(...)
        if value is not None:
            mentioned = _names(value)
            if INSTALLED_APPS in mentioned:
                extends = True
            else:
                defines = True
            names |= mentioned
        if isinstance(statement, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Expr):
            installs = installs or _holds_weft_app(statement)
    settings: list[str] = []
    wired = False
    for node in ast.walk(tree):
        named = _settings_module(node)
        if named is not None and named not in settings:
            settings.append(named)
        wired = wired or _wires_django(node)
        if id(node) not in module_level and _binds_installed_apps(node):
            elsewhere = True
            installs = installs or _holds_weft_app(node)
    if not (defines or extends or installs or settings or wired or elsewhere):
        return None
    names.discard(INSTALLED_APPS)
    return DjangoFacts(
        defines, extends, tuple(sorted(names)), installs, tuple(settings), wired, elsewhere
    )
