"""What the first pass reads inside module-level functions and classes.

The index needs more than names to find every task: a function that returns
``Celery(...)`` makes apps, a function that calls ``app.task(...)`` makes tasks
(a project's own decorator), a function that calls ``task.delay(...)`` on a
parameter dispatches whatever task it is given, and a class deriving from Celery's
``Task`` is a task class whose attributes are options. The descriptions here are
plain data, with dotted names as written; ``facts`` qualifies them once the whole
module has been read.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import cast

from weft_compat.codemod.decorator_plan import Option

# Qualifies a dotted name as one module binds it; None when the module does not bind it.
QualifyFn = Callable[[str], str | None]

# Methods that dispatch a task, or build a signature of it, when called on a parameter.
# (``map`` and ``chunks`` are left out: on a parameter they are far more often a pool's
# or a data frame's than a task's.)
DISPATCH_METHODS = frozenset({"delay", "apply_async", "s", "si", "signature", "subtask"})
# A method's own first parameter: ``self.delay`` in a task is no helper's dispatch.
_INSTANCE_PARAMS = frozenset({"self", "cls"})
# Names a call must end with to be a possible task decorator inside a function.
_DECORATOR_TAILS = ("task", "shared_task", "weft_task")


@dataclass(frozen=True)
class TaskSignature:
    """The parameters a task function accepts, as seen by a caller of ``.delay``."""

    params: tuple[str, ...]
    var_keyword: bool
    # ``*args``: Celery's canvas counts it (an errback taking more than a task id).
    var_positional: bool = False

    def accepts_keyword(self, name: str) -> bool:
        """Whether ``name=`` passed to the task reaches a parameter."""
        return self.var_keyword or name in self.params


UNKNOWN_SIGNATURE = TaskSignature(params=(), var_keyword=True, var_positional=True)


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef, bound: bool) -> TaskSignature:
    """What a caller can pass to ``node``; ``bound`` drops its first parameter."""
    arguments = node.args
    regular = [a.arg for a in arguments.args]
    if bound and not arguments.posonlyargs and regular:
        regular = regular[1:]  # ``self``: the task instance, never passed by a caller
    # Positional-only parameters cannot be filled by keyword, so they never
    # absorb a stray ``countdown=``.
    names = (*regular, *(a.arg for a in arguments.kwonlyargs))
    return TaskSignature(
        params=tuple(names),
        var_keyword=arguments.kwarg is not None,
        var_positional=arguments.vararg is not None,
    )


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


def call_options(call: ast.Call, forwarded: frozenset[str] = frozenset()) -> tuple[Option, ...]:
    """The options a decorator call passes, without the ``forwarded`` parameters of the
    function it is called in (``*args`` / ``**kwargs`` passed on, the decorated function)."""
    options: list[Option] = []
    for arg in call.args:
        inner = arg.value if isinstance(arg, ast.Starred) else arg
        if isinstance(inner, ast.Name) and inner.id in forwarded:
            continue
        options.append((None, None))
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg is None and isinstance(value, ast.Name) and value.id in forwarded:
            continue
        if keyword.arg == "base":
            options.append(("base", dotted_name(value)))
            continue
        text = value.value if isinstance(value, ast.Constant) else None
        options.append((keyword.arg, text if isinstance(text, str) else None))
    return tuple(options)


@dataclass(frozen=True)
class InnerCall:
    """A call inside a function of something that may be a task decorator."""

    callee: str
    options: tuple[Option, ...]
    # Whether it passes the function's own ``**`` parameter on, which the function's
    # callers fill (and whether the function also reads that parameter elsewhere).
    forwards_options: bool = False
    changes_options: bool = False


@dataclass(frozen=True)
class FunctionBody:
    """A module-level function, as the index reads it."""

    signature: TaskSignature
    # Its parameters in order (``self`` included), for matching a call's arguments.
    params: tuple[str, ...]
    decorator_calls: tuple[InnerCall, ...] = ()
    # Dotted callees whose result the function returns (an app factory returns Celery()).
    returns: tuple[str, ...] = ()
    # (parameter, method) for each ``parameter.<dispatch method>(...)`` in the body.
    dispatches: tuple[tuple[str, str], ...] = ()

    def qualified(self, qualify: QualifyFn) -> FunctionBody:
        """This body with its dotted names qualified (unresolvable ones left out)."""
        calls = tuple(
            replace(call, callee=callee, options=qualify_options(call.options, qualify))
            for call in self.decorator_calls
            if (callee := qualify(call.callee)) is not None
        )
        returns = tuple(q for name in self.returns if (q := qualify(name)) is not None)
        return replace(self, decorator_calls=calls, returns=returns)


@dataclass(frozen=True)
class ClassBody:
    """A module-level class: its bases, option-like attributes and ``run`` method."""

    bases: tuple[str, ...]
    # Class attributes assigned a value, as options (literal strings kept).
    attributes: tuple[Option, ...] = ()
    methods: tuple[str, ...] = ()
    run: TaskSignature | None = None
    task_name: str | None = None

    def qualified(self, qualify: QualifyFn) -> ClassBody:
        """This body with its bases qualified (unresolvable ones left out)."""
        bases = tuple(q for base in self.bases if (q := qualify(base)) is not None)
        return replace(self, bases=bases, attributes=qualify_options(self.attributes, qualify))


def qualify_options(options: tuple[Option, ...], qualify: QualifyFn) -> tuple[Option, ...]:
    """``base=`` values qualified; other options as they are."""
    return tuple(
        (name, qualify(value) if name == "base" and value else value) for name, value in options
    )


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    arguments = node.args
    return [a.arg for a in (*arguments.posonlyargs, *arguments.args)]


def nodes_under(statements: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node under ``statements`` but the expression contexts (``Load``, ``Store``),
    depth first: what ``ast.walk`` yields, in another order, at about half its cost (the
    index reads every task module's bodies)."""
    return _walk(statements, ast.AST, into_fields=True)


# What holds statements: statements, and the clauses of ``try`` and ``match``.
_HOLDERS = (ast.stmt, ast.excepthandler, ast.match_case)


def _statements_under(statements: list[ast.stmt]) -> Iterator[ast.AST]:
    """What ``nodes_under`` yields of the statements and clauses alone, in its order:
    the same walk, without going into expressions, where no statement can be."""
    return _walk(statements, _HOLDERS, into_fields=False)


def _walk(
    statements: list[ast.stmt],
    kinds: type[ast.AST] | tuple[type[ast.AST], ...],
    *,
    into_fields: bool,
) -> Iterator[ast.AST]:
    # Depth first from ``statements``: the items of list fields that are ``kinds``, and,
    # ``into_fields``, the nodes held in single fields too (but expression contexts).
    stack: list[ast.AST] = list(statements)
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, kinds):
                        push(item)
            elif (
                into_fields
                and isinstance(value, ast.AST)
                and not isinstance(value, ast.expr_context)
            ):
                push(value)


# The text every call ``read_function`` reads spells: ``task`` (a callee ending in it),
# or a dispatch method after a dot, with any spaces, line breaks, continuations and
# comments between them, as brackets allow.
_CALL_TEXT = re.compile(
    rb"task|\.(?:[ \t\f\r\n\\]|#[^\r\n]*)*(?:"
    + b"|".join(re.escape(name.encode()) for name in sorted(DISPATCH_METHODS))
    + rb")\b"
)


def may_call(text: bytes) -> bool:
    """Whether a body whose text is ``text`` can hold a call ``read_function`` reads.

    Text that is not ASCII always can: an identifier may spell a name in another form
    that means the same (a fullwidth letter is the letter).
    """
    return not text.isascii() or _CALL_TEXT.search(text) is not None


def read_function(
    node: ast.FunctionDef | ast.AsyncFunctionDef, scan: bool, reads_calls: bool = True
) -> FunctionBody:
    """What the index needs of a module-level function; ``scan`` reads its body, and
    ``reads_calls=False`` says the body holds no call worth reading (``may_call``), so
    only its statements are read, for what it returns."""
    params = tuple(_parameters(node))
    body = FunctionBody(signature=signature(node, False), params=params)
    if not scan:
        return body
    arguments = node.args
    star = {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
    forwarded = frozenset({*params, *star})
    keyword_param = arguments.kwarg.arg if arguments.kwarg is not None else None
    every_param = {*params, *star, *(a.arg for a in arguments.kwonlyargs)}
    calls: list[InnerCall] = []
    returns: list[str] = []
    dispatches: list[tuple[str, str]] = []
    assigned: dict[str, str] = {}
    named_returns: list[str] = []
    mentions = 0
    # The body only: the function's own decorators make it, they are not inside it.
    # Without calls to read, a mention of the ``**`` parameter changes nothing.
    walk = nodes_under if reads_calls else _statements_under
    for inner in walk(node.body):
        # Exact kinds: ``ast`` makes no subclasses of its node kinds.
        kind = type(inner)
        if kind is ast.Name:
            if keyword_param is not None and cast(ast.Name, inner).id == keyword_param:
                mentions += 1
            continue
        if kind is ast.Assign:
            assign = cast(ast.Assign, inner)
            if isinstance(assign.value, ast.Call):
                callee = dotted_name(assign.value.func)
                for target in assign.targets:
                    if callee and isinstance(target, ast.Name):
                        assigned[target.id] = callee
            continue
        if kind is ast.Return:
            value = cast(ast.Return, inner).value
            if isinstance(value, ast.Call) and (callee := dotted_name(value.func)):
                returns.append(callee)
            elif isinstance(value, ast.Name):
                named_returns.append(value.id)
            continue
        if kind is not ast.Call:
            continue
        site = cast(ast.Call, inner)
        func = site.func
        if isinstance(func, ast.Attribute) and func.attr in DISPATCH_METHODS:
            receiver = func.value
            if (
                isinstance(receiver, ast.Name)
                and receiver.id in every_param
                and receiver.id not in _INSTANCE_PARAMS
            ):
                dispatches.append((receiver.id, func.attr))
        callee = dotted_name(func)
        if callee is None or not callee.endswith(_DECORATOR_TAILS):
            continue
        forwards = any(
            k.arg is None and isinstance(k.value, ast.Name) and k.value.id == keyword_param
            for k in site.keywords
        )
        calls.append(InnerCall(callee, call_options(site, forwarded), forwards))
    returns += (assigned[name] for name in named_returns if name in assigned)
    forwarding = sum(call.forwards_options for call in calls)
    if keyword_param is not None and mentions > forwarding:
        # ``kwargs.setdefault("base", ...)``: the options passed on are not the callers'.
        calls = [replace(call, changes_options=call.forwards_options) for call in calls]
    return replace(
        body,
        decorator_calls=tuple(calls),
        returns=tuple(returns),
        dispatches=tuple(dict.fromkeys(dispatches)),
    )


def read_class(node: ast.ClassDef) -> ClassBody:
    """What the index needs of a module-level class."""
    bases = tuple(name for base in node.bases if (name := dotted_name(base)) is not None)
    attributes: list[Option] = []
    methods: list[str] = []
    run = None
    task_name = None
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            methods.append(statement.name)
            if statement.name == "run":
                run = signature(statement, True)
            continue
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign):
            targets, value = [statement.target], statement.value
        for target in targets:
            if not isinstance(target, ast.Name) or value is None:
                continue
            literal = value.value if isinstance(value, ast.Constant) else None
            text = literal if isinstance(literal, str) else None
            if target.id == "base":
                text = dotted_name(value)
            attributes.append((target.id, text))
            if target.id == "name" and text is not None:
                task_name = text
    return ClassBody(bases, tuple(attributes), tuple(methods), run, task_name)
