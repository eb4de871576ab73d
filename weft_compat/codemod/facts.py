"""The first pass over one file: what it imports, defines and declares as Celery tasks.

This pass uses the standard library's ``ast`` rather than LibCST: it runs on every
candidate file and only needs names, so the C parser keeps a whole-tree index cheap.
The facts it returns are plain, picklable data that the project index merges.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from weft_compat.codemod.decorator_plan import Option
from weft_compat.codemod.shapes import (
    ASYNC_RESULT_CLASSES,
    is_patch,
    patch_object_form,
    tid_position,
)

# Calls whose result, bound to a module-level name, is a Celery application.
CELERY_APP_CLASSES = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
# Settings that make eager calls re-raise the task's error (Celery 4+ and Celery 3 names).
EAGER_PROPAGATES = frozenset({"CELERY_TASK_EAGER_PROPAGATES", "CELERY_EAGER_PROPAGATES_EXCEPTIONS"})


@dataclass(frozen=True)
class TaskSignature:
    """The parameters a task function accepts, as seen by a caller of ``.delay``."""

    params: tuple[str, ...]
    var_keyword: bool

    def accepts_keyword(self, name: str) -> bool:
        """Whether ``name=`` passed to the task reaches a parameter."""
        return self.var_keyword or name in self.params


@dataclass(frozen=True)
class DecoratedFunction:
    """A module-level function: its decorators' qualified names, the options each is
    called with (empty when it is not called), and the function's signature."""

    decorators: tuple[str, ...]
    signature: TaskSignature
    options: tuple[tuple[Option, ...], ...]


@dataclass
class ModuleFacts:
    """Names one module binds at module level, resolved to qualified names."""

    module: str
    package: str
    imports: dict[str, str] = field(default_factory=dict)
    defs: set[str] = field(default_factory=set)
    app_names: set[str] = field(default_factory=set)
    functions: dict[str, DecoratedFunction] = field(default_factory=dict)
    # Values assigned to EAGER_PROPAGATES at module level: True/False, None if computed.
    eager_propagates: list[bool | None] = field(default_factory=list)
    # What a patch in another module can follow: the names of ``X`` in the patches of
    # ``X.delay`` here (qualified), and the names bound to AsyncResult whose every use is
    # a call the rewrite turns into ``WeftSubmission.from_tid``.
    patched_delays: set[str] = field(default_factory=set)
    from_tid_names: set[str] = field(default_factory=set)

    def qualify(self, dotted: str) -> str | None:
        """The qualified name ``dotted`` refers to in this module, or None if it is local."""
        head, dot, rest = dotted.partition(".")
        if head in self.imports:
            base = self.imports[head]
        elif head in self.defs:
            base = f"{self.module}.{head}" if self.module else head
        else:
            return None
        return f"{base}{dot}{rest}"


def resolve_relative(package: str, level: int, module: str | None) -> str:
    """The absolute module named by ``from <level dots><module> import``."""
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    # One dot is the package itself; each further dot climbs one level.
    base = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if module:
        base = [*base, module]
    return ".".join(base)


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, bound: bool) -> TaskSignature:
    arguments = node.args
    regular = [a.arg for a in arguments.args]
    if bound and not arguments.posonlyargs and regular:
        regular = regular[1:]  # ``self``: the task instance, never passed by a caller
    # Positional-only parameters cannot be filled by keyword, so they never
    # absorb a stray ``countdown=``.
    names = (*regular, *(a.arg for a in arguments.kwonlyargs))
    return TaskSignature(params=tuple(names), var_keyword=arguments.kwarg is not None)


def _options(decorator: ast.expr) -> tuple[Option, ...]:
    """The options a decorator is called with, as ``decorator_plan`` reads them."""
    if not isinstance(decorator, ast.Call):
        return ()
    options: list[Option] = [(None, None) for _ in decorator.args]
    for keyword in decorator.keywords:
        value = keyword.value
        text = value.value if isinstance(value, ast.Constant) else None
        options.append((keyword.arg, text if isinstance(text, str) else None))
    return tuple(options)


def _is_bound(decorators: list[ast.expr]) -> bool:
    for decorator in decorators:
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "bind" and isinstance(keyword.value, ast.Constant):
                    return bool(keyword.value.value)
    return False


def statement_blocks(statement: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists nested directly in ``statement``, in source order."""
    blocks = [getattr(statement, "body", None) or []]
    blocks += [handler.body for handler in getattr(statement, "handlers", ())]
    blocks += [case.body for case in getattr(statement, "cases", ())]
    blocks += [
        getattr(statement, "orelse", None) or [],
        getattr(statement, "finalbody", None) or [],
    ]
    return [block for block in blocks if block]


class _Collector:
    """Walks statements only: names, imports and decorators never hide in expressions."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.app_candidates: list[tuple[str, str]] = []

    def collect(self, statements: list[ast.stmt], depth: int) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                self._import(node)
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if depth == 0:
                    self._function(node)
                self.collect(node.body, depth + 1)
            elif isinstance(node, ast.ClassDef):
                if depth == 0:
                    self.facts.defs.add(node.name)
                self.collect(node.body, depth + 1)
            elif isinstance(node, ast.Assign):
                if depth == 0:
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            self._bind(target.id, node.value)
            elif isinstance(node, ast.AnnAssign):
                if depth == 0 and isinstance(node.target, ast.Name):
                    self._bind(node.target.id, node.value)
            else:
                for block in statement_blocks(node):
                    self.collect(block, depth)

    def _import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.facts.imports[alias.asname] = alias.name
            else:
                head = alias.name.partition(".")[0]
                self.facts.imports[head] = head

    def _import_from(self, node: ast.ImportFrom) -> None:
        source = resolve_relative(self.facts.package, node.level, node.module)
        for alias in node.names:
            if alias.name == "*":
                continue
            target = f"{source}.{alias.name}" if source else alias.name
            self.facts.imports[alias.asname or alias.name] = target

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.facts.defs.add(node.name)
        # Dotted names for now: an import further down the module still counts,
        # so they are qualified once the whole module has been read.
        names = []
        options = []
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            dotted = dotted_name(target)
            if dotted:
                names.append(dotted)
                options.append(_options(decorator))
        if names:
            signature = _signature(node, _is_bound(node.decorator_list))
            self.facts.functions[node.name] = DecoratedFunction(
                tuple(names), signature, tuple(options)
            )

    def _bind(self, name: str, value: ast.expr | None) -> None:
        self.facts.defs.add(name)
        if name in EAGER_PROPAGATES:
            literal = value.value if isinstance(value, ast.Constant) else None
            self.facts.eager_propagates.append(literal if isinstance(literal, bool) else None)
        if isinstance(value, ast.Call) and (dotted := dotted_name(value.func)) is not None:
            # Checked against CELERY_APP_CLASSES once every import has been read.
            self.app_candidates.append((dotted, name))


def _arguments(call: ast.Call) -> list[tuple[str | None, bool]]:
    positional = [(None, isinstance(arg, ast.Starred)) for arg in call.args]
    return positional + [(keyword.arg, keyword.arg is None) for keyword in call.keywords]


def _scan_calls(tree: ast.Module, facts: ModuleFacts) -> None:
    """Patches of ``.delay`` and the module's AsyncResult names (see ModuleFacts)."""
    handle_names = {
        local for local, target in facts.imports.items() if target in ASYNC_RESULT_CLASSES
    }
    mentions = dict.fromkeys(handle_names, 0)
    rewritten = dict.fromkeys(handle_names, 0)
    patched_objects: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mentions:
            mentions[node.id] += 1
        if not isinstance(node, ast.Call):
            continue
        callee = dotted_name(node.func)
        if callee in rewritten and tid_position(_arguments(node)) is not None:
            rewritten[callee] += 1
        if callee is None or not is_patch(callee) or len(node.args) < 1 + patch_object_form(callee):
            continue
        if patch_object_form(callee):
            attribute = node.args[1]
            target = dotted_name(node.args[0])
            if isinstance(attribute, ast.Constant) and attribute.value == "delay" and target:
                patched_objects.append(target)
        elif isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            text = node.args[0].value
            if text.endswith(".delay"):
                facts.patched_delays.add(text.removesuffix(".delay"))
    facts.from_tid_names = {name for name in handle_names if mentions[name] == rewritten[name]}
    facts.patched_delays.update(filter(None, map(facts.qualify, patched_objects)))


def collect_facts(
    tree: ast.Module, module: str, package: str, *, scan_calls: bool = True
) -> ModuleFacts:
    """Index one parsed module; ``package`` anchors its relative imports.

    ``scan_calls=False`` skips the walk over every call (for ``patched_delays`` and
    ``from_tid_names``), for a module whose text mentions neither patches nor AsyncResult.
    """
    facts = ModuleFacts(module=module, package=package)
    collector = _Collector(facts)
    collector.collect(tree.body, 0)
    if scan_calls:
        _scan_calls(tree, facts)
    for name, function in facts.functions.items():
        qualified = (facts.qualify(dotted) for dotted in function.decorators)
        kept = [(q, o) for q, o in zip(qualified, function.options, strict=True) if q]
        facts.functions[name] = DecoratedFunction(
            tuple(q for q, _ in kept), function.signature, tuple(o for _, o in kept)
        )
    for dotted, target in collector.app_candidates:
        if facts.qualify(dotted) in CELERY_APP_CLASSES:
            facts.app_names.add(target)
    return facts
