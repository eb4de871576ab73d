"""The first pass over one file: what it imports, defines and declares as Celery tasks.

This pass uses the standard library's ``ast`` rather than LibCST: it runs on every
candidate file and only needs names, so the C parser keeps a whole-tree index cheap.
The facts it returns are plain, picklable data that the project index merges.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from weft_compat.codemod.bodies import (
    ClassBody,
    FunctionBody,
    TaskSignature,
    call_options,
    dotted_name,
    may_call,
    nodes_under,
    qualify_options,
    read_class,
    read_function,
    signature,
)
from weft_compat.codemod.decorator_plan import Option
from weft_compat.codemod.django_facts import DjangoFacts, read_django
from weft_compat.codemod.rows import Lines
from weft_compat.codemod.shapes import (
    ASYNC_RESULT_CLASSES,
    tid_position,
)

# Calls whose result, bound to a module-level name, is a Celery application.
CELERY_APP_CLASSES = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
# Settings that make eager calls re-raise the task's error (Celery 4+ and Celery 3 names).
EAGER_PROPAGATES = frozenset({"CELERY_TASK_EAGER_PROPAGATES", "CELERY_EAGER_PROPAGATES_EXCEPTIONS"})
# weft_compat's Django setting.
WEFT_COMPAT = "WEFT_COMPAT"

__all__ = [
    "CELERY_APP_CLASSES",
    "EAGER_PROPAGATES",
    "WEFT_COMPAT",
    "Binding",
    "DecoratedFunction",
    "ModuleFacts",
    "TaskSignature",
    "collect_facts",
    "dotted_name",
    "resolve_relative",
    "statement_blocks",
    "wants_body_scan",
]

# Text without which no function body can hold what ``bodies`` looks for.
_BODY_TEXT = (
    b"task(",
    b"Celery(",
    b".delay(",
    b"apply_async(",
    b".s(",
    b".si(",
    b".signature(",
    b".subtask(",
)


def wants_body_scan(source: bytes) -> bool:
    """Whether the bodies of ``source``'s functions are worth reading (``bodies``)."""
    return any(text in source for text in _BODY_TEXT)


@dataclass(frozen=True)
class DecoratedFunction:
    """A module-level function: its decorators' qualified names, the options each is
    called with (empty when it is not called), and the function's signature."""

    decorators: tuple[str, ...]
    signature: TaskSignature
    options: tuple[tuple[Option, ...], ...]


@dataclass(frozen=True)
class Binding:
    """A module-level ``name = call(...)``: the callee (for ``d(...)(f)``, the inner
    call's), its options, and the function it is applied to or the class of the
    instance it is given (``app.register_task(C())``), qualified."""

    callee: str
    options: tuple[Option, ...] = ()
    function: str | None = None
    instance_of: str | None = None


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
    # What a patch in another module can follow: the names bound to AsyncResult whose
    # every use is a call the rewrite turns into ``WeftSubmission.from_tid``.
    from_tid_names: set[str] = field(default_factory=set)
    # Every module-level function and class, as ``bodies`` reads them; module-level
    # names bound to a call; classes registered by a bare ``app.register_task(C())``.
    bodies: dict[str, FunctionBody] = field(default_factory=dict)
    classes: dict[str, ClassBody] = field(default_factory=dict)
    bindings: dict[str, Binding] = field(default_factory=dict)
    registered: list[Binding] = field(default_factory=list)
    # Modules this one star-imports at module level, and whether it then binds a
    # WEFT_COMPAT of its own that does not spread the one it had (a settings module
    # overriding another's): a schedule moved into the other's WEFT_COMPAT would be lost.
    star_imports: list[str] = field(default_factory=list)
    replaces_weft_compat: bool = False
    # INSTALLED_APPS, DJANGO_SETTINGS_MODULE and a Celery app wired to Django here.
    django: DjangoFacts | None = None
    # Whether the text spells canvas (``shapes.spells_canvas``); without it the canvas
    # rules (WC118, WC205) skip the module. True when not known.
    spells_canvas: bool = True

    def renamed_imports(self, name: str) -> int:
        """How many imports spell ``name`` only as what they import under another name
        (``from celery import shared_task as st``: ``shared_task``)."""
        return sum(
            1
            for local, target in self.imports.items()
            if local != name and target.rpartition(".")[2] == name
        )

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


def _binding(value: ast.expr) -> Binding | None:
    """What ``name = value`` binds, when ``value`` is a call of a dotted name."""
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    if isinstance(func, ast.Call) and (inner := dotted_name(func.func)) is not None:
        # ``d(...)(f)``: a decorator factory applied to a function.
        target = dotted_name(value.args[0]) if len(value.args) == 1 else None
        return Binding(inner, call_options(func), function=target)
    callee = dotted_name(func)
    if callee is None:
        return None
    if callee.endswith(".register_task") and len(value.args) == 1:
        instance = value.args[0]
        if isinstance(instance, ast.Call) and not instance.args and not instance.keywords:
            return Binding(callee, instance_of=dotted_name(instance.func))
        return Binding(callee, instance_of=None, options=((None, None),))
    if len(value.args) == 1 and isinstance(value.args[0], ast.Name):
        # ``shared_task(f)`` or ``app.task(f, bind=True)``: applied to a function.
        function = value.args[0].id
        return Binding(callee, call_options(value, frozenset({function})), function=function)
    return Binding(callee, call_options(value))


class _Collector:
    """Walks statements only: names, imports and decorators never hide in expressions."""

    def __init__(self, facts: ModuleFacts, scan_bodies: bool, lines: Lines | None) -> None:
        self.facts = facts
        self.scan_bodies = scan_bodies
        self.lines = lines
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
                    self.facts.classes[node.name] = read_class(node)
                self.collect(node.body, depth + 1)
            elif isinstance(node, ast.Assign):
                if depth == 0:
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            self._bind(target.id, node.value)
            elif isinstance(node, ast.AnnAssign):
                if depth == 0 and isinstance(node.target, ast.Name):
                    self._bind(node.target.id, node.value)
            elif isinstance(node, ast.Expr) and depth == 0:
                binding = _binding(node.value)
                if binding is not None and binding.instance_of is not None:
                    self.facts.registered.append(binding)
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
                self.facts.star_imports.append(source)
                continue
            if (alias.asname or alias.name) == WEFT_COMPAT:
                self.facts.replaces_weft_compat = True
            target = f"{source}.{alias.name}" if source else alias.name
            self.facts.imports[alias.asname or alias.name] = target

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.facts.defs.add(node.name)
        reads_calls = True
        if self.scan_bodies and self.lines is not None:
            # Most bodies of a task module call nothing the index reads; their text says
            # so at a fraction of the cost of walking them.
            text = self.lines.text[node.body[0].lineno - 1 : node.end_lineno]
            reads_calls = may_call(b"".join(text))
        self.facts.bodies[node.name] = read_function(node, self.scan_bodies, reads_calls)
        # Dotted names for now: an import further down the module still counts,
        # so they are qualified once the whole module has been read.
        names = []
        options = []
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            dotted = dotted_name(target)
            if dotted:
                names.append(dotted)
                options.append(call_options(decorator) if isinstance(decorator, ast.Call) else ())
        if names:
            bound = signature(node, _is_bound(node.decorator_list))
            self.facts.functions[node.name] = DecoratedFunction(tuple(names), bound, tuple(options))

    def _bind(self, name: str, value: ast.expr | None) -> None:
        self.facts.defs.add(name)
        if name == WEFT_COMPAT and not _spreads_weft_compat(value):
            self.facts.replaces_weft_compat = True
        if name in EAGER_PROPAGATES:
            literal = value.value if isinstance(value, ast.Constant) else None
            self.facts.eager_propagates.append(literal if isinstance(literal, bool) else None)
        if isinstance(value, ast.Call) and (dotted := dotted_name(value.func)) is not None:
            # Checked against CELERY_APP_CLASSES once every import has been read.
            self.app_candidates.append((dotted, name))
        binding = _binding(value) if value is not None else None
        if binding is not None:
            self.facts.bindings[name] = binding


def _spreads_weft_compat(value: ast.expr | None) -> bool:
    """Whether ``value`` is a dict display spreading the WEFT_COMPAT bound before it
    (``{**WEFT_COMPAT, ...}``, ``{**globals().get("WEFT_COMPAT", {}), ...}``)."""
    if not isinstance(value, ast.Dict):
        return False
    return any(
        key is None
        and any(
            (isinstance(node, ast.Name) and node.id == WEFT_COMPAT)
            or (isinstance(node, ast.Constant) and node.value == WEFT_COMPAT)
            for node in ast.walk(spread)
        )
        for key, spread in zip(value.keys, value.values, strict=True)
    )


def _arguments(call: ast.Call) -> list[tuple[str | None, bool]]:
    positional = [(None, isinstance(arg, ast.Starred)) for arg in call.args]
    return positional + [(keyword.arg, keyword.arg is None) for keyword in call.keywords]


def _scan_calls(tree: ast.Module, facts: ModuleFacts) -> None:
    """The module's AsyncResult names that every call rewrites (see ModuleFacts)."""
    handle_names = {
        local for local, target in facts.imports.items() if target in ASYNC_RESULT_CLASSES
    }
    if not handle_names:
        return
    mentions = dict.fromkeys(handle_names, 0)
    rewritten = dict.fromkeys(handle_names, 0)
    for node in nodes_under(tree.body):
        # Exact kinds: ``ast`` makes no subclasses of its node kinds.
        kind = type(node)
        if kind is ast.Name:
            name = cast(ast.Name, node).id
            if name in mentions:
                mentions[name] += 1
        elif kind is ast.Call:
            call = cast(ast.Call, node)
            callee = dotted_name(call.func)
            if callee in rewritten and tid_position(_arguments(call)) is not None:
                rewritten[callee] += 1
    facts.from_tid_names = {name for name in handle_names if mentions[name] == rewritten[name]}


def collect_facts(
    tree: ast.Module,
    module: str,
    package: str,
    *,
    scan_calls: bool = True,
    scan_bodies: bool = True,
    scan_django: bool = True,
    lines: Lines | None = None,
) -> ModuleFacts:
    """Index one parsed module; ``package`` anchors its relative imports.

    ``scan_calls=False`` skips the walk over every call (for ``from_tid_names``), for a
    module whose text does not mention AsyncResult;
    ``scan_bodies=False`` skips reading function bodies (``wants_body_scan``);
    ``scan_django=False`` skips the Django facts (``wants_django_scan``);
    ``lines``, the source's lines where ``ast``'s line numbers index them
    (``rows.offsets_agree``), let a function body read for its returns alone when its
    text holds no call worth reading (``bodies.may_call``).
    """
    facts = ModuleFacts(module=module, package=package)
    if scan_django:
        facts.django = read_django(tree)
    collector = _Collector(facts, scan_bodies, lines)
    collector.collect(tree.body, 0)
    if scan_calls:
        _scan_calls(tree, facts)
    for name, function in facts.functions.items():
        qualified = (facts.qualify(dotted) for dotted in function.decorators)
        kept = [(q, o) for q, o in zip(qualified, function.options, strict=True) if q]
        facts.functions[name] = DecoratedFunction(
            tuple(q for q, _ in kept),
            function.signature,
            tuple(qualify_options(o, facts.qualify) for _, o in kept),
        )
    for dotted, target in collector.app_candidates:
        if facts.qualify(dotted) in CELERY_APP_CLASSES:
            facts.app_names.add(target)
    _qualify_bodies(facts)
    return facts


def _qualify_bodies(facts: ModuleFacts) -> None:
    qualify = facts.qualify
    facts.bodies = {name: body.qualified(qualify) for name, body in facts.bodies.items()}
    facts.classes = {name: body.qualified(qualify) for name, body in facts.classes.items()}
    bindings = {}
    for name, binding in facts.bindings.items():
        callee = qualify(binding.callee)
        if callee is None:
            continue
        bindings[name] = _qualified_binding(binding, callee, qualify)
    facts.bindings = bindings
    facts.registered = [
        _qualified_binding(binding, callee, qualify)
        for binding in facts.registered
        if (callee := qualify(binding.callee)) is not None
    ]


def _qualified_binding(
    binding: Binding, callee: str, qualify: Callable[[str], str | None]
) -> Binding:
    return Binding(
        callee,
        qualify_options(binding.options, qualify),
        qualify(binding.function) if binding.function else None,
        qualify(binding.instance_of) if binding.instance_of else None,
    )
