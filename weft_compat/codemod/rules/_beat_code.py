"""The code forms of a beat schedule, read for ``beat_schedule`` (WC115) and ``beat``.

``app.conf.beat_schedule = {...}`` and ``app.conf.update(beat_schedule={...})`` at a
module's top level become ``add_beat_schedule({...})``. An
``@app.on_after_configure.connect`` (or ``on_after_finalize``) handler that only calls
``sender.add_periodic_task(schedule, sig, ...)`` becomes those calls at module level,
``add_periodic_task(schedule, task, args=..., kwargs=..., ...)``: Celery ran the handler
once the app was configured, so the calls go below the handler, or below the statement
binding the last name they use, as the handler may come before the tasks it names.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._beat_build import ADD, SIGNATURE_METHODS
from weft_compat.codemod.rules._beat_scan import Census, bound_names
from weft_compat.codemod.rules._beat_values import (
    Conversions,
    code,
    read_entries,
    read_schedule,
)
from weft_compat.codemod.rules._shared import (
    keyword_name,
    mentioned_names,
    method_call,
    string_value,
)

SIGNALS = frozenset({"on_after_configure", "on_after_finalize"})
SIGNATURE = "celery.signature"
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class ConfRewrite:
    """An ``app.conf`` schedule's line, and its form: ``assign``, ``update`` (the call is
    only the schedule) or ``split`` (the update keeps its other keys)."""

    line: cst.SimpleStatementLine
    form: str


@dataclass(frozen=True)
class Handler:
    """A handler to replace by its calls, and the top-level statement they go after."""

    function: cst.FunctionDef
    after: cst.BaseStatement


@dataclass
class CodePlan:
    """Rewrites by the original node's id (an ``Assign`` or the ``update`` call; a
    handler), the handlers' ``add_periodic_task`` calls, and why each site left as it
    is stays (by the id of the node ``beat`` reports)."""

    conf: dict[int, ConfRewrite] = field(default_factory=dict)
    handlers: dict[int, Handler] = field(default_factory=dict)
    calls: set[int] = field(default_factory=set)
    problems: dict[int, str] = field(default_factory=dict)


def conf_schedule(
    context: FileContext, small: cst.BaseSmallStatement
) -> tuple[cst.CSTNode, cst.BaseExpression, str] | None:
    """``(reported node, schedule, form)`` for ``X.conf.beat_schedule = ...`` or
    ``X.conf.update(..., beat_schedule=..., ...)``; the node is the assignment or the
    keyword argument."""
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if (
            isinstance(target, cst.Attribute)
            and target.attr.value == "beat_schedule"
            and isinstance(target.value, cst.Attribute)
            and target.value.attr.value == "conf"
        ):
            return small, small.value, "assign"
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        method = method_call(small.value)
        receiver = method[0] if method is not None and method[1] == "update" else None
        if isinstance(receiver, cst.Attribute) and receiver.attr.value == "conf":
            for arg in small.value.args:
                if keyword_name(arg) == "beat_schedule":
                    form = "update" if len(small.value.args) == 1 else "split"
                    return arg, arg.value, form
    return None


def app_of_conf(small: cst.BaseSmallStatement) -> cst.BaseExpression:
    """The ``X`` of ``X.conf`` in a statement ``conf_schedule`` matched."""
    if isinstance(small, cst.Assign):
        conf = small.targets[0].target.value  # type: ignore[attr-defined]
    else:
        conf = small.value.func.value  # type: ignore[attr-defined]
    assert isinstance(conf, cst.Attribute)
    return conf.value


def handler_signal(context: FileContext, function: cst.FunctionDef) -> str | None:
    """``on_after_configure`` / ``on_after_finalize`` when ``function`` is connected to
    it by its one decorator on a Celery app; None otherwise."""
    if len(function.decorators) != 1:
        return None
    decorator = function.decorators[0].decorator
    if not isinstance(decorator, cst.Attribute) or decorator.attr.value != "connect":
        return None
    signal = decorator.value
    if not isinstance(signal, cst.Attribute) or signal.attr.value not in SIGNALS:
        return None
    return signal.attr.value if context.is_app(signal.value) else None


def _parameters(function: cst.FunctionDef) -> list[str]:
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    star = [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return [param.name.value for param in [*every, *star]]


def _sig_problem(context: FileContext, sig: cst.BaseExpression, sender: str) -> str | None:
    """Why the signature ``sig`` has no ``task, args=, kwargs=`` spelling, if it has none."""
    if isinstance(sig, cst.Call):
        method = method_call(sig)
        if method is not None and method[1] in SIGNATURE_METHODS:
            if any(arg.star for arg in sig.args):
                return f"{code(sig)} passes starred arguments"
            return _task_problem(context, method[0])
        signature = context.qualified_name(sig.func) == SIGNATURE or (
            method is not None
            and method[1] == "signature"
            and (dotted(method[0]) == sender or context.is_app(method[0]))
        )
        if signature:
            positional = [arg for arg in sig.args if keyword_name(arg) is None]
            named = {keyword_name(arg) for arg in sig.args} - {None}
            if (
                not positional
                or string_value(positional[0].value) is None
                or len(positional) > 3
                or any(arg.star for arg in sig.args)
                or not named <= {"args", "kwargs"}
            ):
                return f"{code(sig)} is not signature('task.name', args=..., kwargs=...)"
            return None
    elif dotted(sig) is not None:
        return _task_problem(context, sig)
    return f"{code(sig)} is not a task, task.s(...), task.si(...) or signature('name', ...)"


def _task_problem(context: FileContext, node: cst.BaseExpression) -> str | None:
    label = dotted(node) or code(node)
    if context.task(node) is not None:
        return None
    kept = context.kept_on_celery(node)
    if kept is not None:
        return f"{label} stays on Celery: {kept}"
    return f"{label} is not a task the codemod found"


def _own_arguments(sig: cst.BaseExpression) -> bool:
    """Whether the signature ``sig`` carries arguments of its own."""
    if not isinstance(sig, cst.Call):
        return False
    method = method_call(sig)
    if method is not None and method[1] in SIGNATURE_METHODS:
        return bool(sig.args)
    return len(sig.args) > 1


def periodic_problem(
    context: FileContext, call: cst.Call, sender: str, found: Conversions
) -> str | None:
    """Why ``sender.add_periodic_task(...)`` cannot become weft_compat's, if it cannot."""
    method = method_call(call)
    assert method is not None  # the plan reads add_periodic_task calls only
    if dotted(method[0]) != sender and not context.is_app(method[0]):
        return f"it is called on {code(method[0])}, not on the handler's sender or the app"
    positional = [arg for arg in call.args if keyword_name(arg) is None and not arg.star]
    if len(positional) != 2 or call.args[:2] != tuple(positional):
        return "it does not pass exactly the schedule and the signature, in that order"
    named = {keyword_name(arg) for arg in call.args}
    if any(arg.star == "*" for arg in call.args) or named & {"schedule", "sig"}:
        return "it passes the schedule or the signature in a way the codemod cannot read"
    if named & {"args", "kwargs"} and _own_arguments(positional[1].value):
        return "both the signature and args=/kwargs= give the task arguments"
    problem = read_schedule(context, positional[0].value, found)
    return problem or _sig_problem(context, positional[1].value, sender)


def _handler_calls(
    context: FileContext, function: cst.FunctionDef, census: Census, found: Conversions
) -> tuple[list[cst.Call], str | None]:
    """The handler's ``add_periodic_task`` calls, and why it cannot be replaced by them."""
    calls: list[cst.Call] = []
    others = False
    body = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
    for position, statement in enumerate(body):
        small = (
            statement.body[0]
            if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            else None
        )
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            method = method_call(small.value)
            if method is not None and method[1] == ADD:
                calls.append(small.value)
                continue
        docstring = (
            position == 0
            and isinstance(small, cst.Expr)
            and isinstance(small.value, cst.SimpleString | cst.ConcatenatedString)
        )
        others = others or not (docstring or isinstance(small, cst.Pass))
    params = _parameters(function)
    if not params or function.asynchronous is not None or not body:
        return calls, "the handler is not a plain function taking the sender first"
    if others:
        return calls, "the handler does more than call add_periodic_task"
    if census.names[function.name.value] > 1:
        return calls, f"{function.name.value} is used elsewhere in this module"
    for call in calls:
        problem = periodic_problem(context, call, params[0], found)
        if problem is not None:
            return calls, problem
        used = _names(call) & set(params)
        if used:
            return calls, f"a call uses the handler's parameter {sorted(used)[0]}"
    return calls, None


def _names(call: cst.Call) -> set[str]:
    """The names a call's arguments mention once rewritten: a ``sender.signature(...)``
    becomes the task's name, without its receiver."""
    used: set[str] = set()
    for position, arg in enumerate(call.args):
        value = arg.value
        method = method_call(value) if isinstance(value, cst.Call) else None
        if position == 1 and method is not None and method[1] == "signature":
            assert isinstance(value, cst.Call)
            used |= set().union(*(mentioned_names(inner.value) for inner in value.args))
        else:
            used |= set(mentioned_names(value))
    return used


def _after(
    context: FileContext, body: tuple[cst.BaseStatement, ...], position: int, calls: list[cst.Call]
) -> cst.BaseStatement:
    """The top-level statement the calls go after: the handler, or the last statement
    binding a name they use; the module's last one if such a name is bound nowhere the
    rules see (a statement they are not shown)."""
    used = set().union(*(_names(call) for call in calls)) - _BUILTINS
    bindings = [bound_names(statement) for statement in body]
    last = position
    for name in used:
        where = [at for at, names in enumerate(bindings) if name in names]
        if not where:
            return body[-1]
        last = max(last, where[-1])
    return body[last]


def plan_code(
    context: FileContext, body: tuple[cst.BaseStatement, ...], census: Census, found: Conversions
) -> CodePlan:
    """The plan for the code forms among ``body``'s statements."""
    plan = CodePlan()
    schedules = []
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            matched = conf_schedule(context, statement.body[0])
            if matched is not None:
                schedules.append((statement, *matched))
    for statement, node, value, form in schedules:
        conversions: Conversions = {}
        app = app_of_conf(statement.body[0])
        problem = read_entries(context, value, conversions)
        if not context.is_app(app):
            problem = f"{code(app)} is not a Celery app the codemod found"
        elif len(schedules) > 1:
            problem = "the beat schedule is set more than once in this module"
        elif census.conf_schedules > (form == "assign"):
            problem = "beat_schedule is also read or changed elsewhere in this module"
        if problem is None:
            plan.conf[id(node)] = ConfRewrite(statement, form)
            found.update(conversions)
        else:
            plan.problems[id(node)] = problem
    for position, statement in enumerate(body):
        if not isinstance(statement, cst.FunctionDef) or handler_signal(context, statement) is None:
            continue
        conversions = {}
        calls, problem = _handler_calls(context, statement, census, conversions)
        if problem is None and calls:
            plan.handlers[id(statement)] = Handler(
                statement, _after(context, body, position, calls)
            )
            plan.calls.update(id(call) for call in calls)
            found.update(conversions)
        else:
            plan.problems.update((id(call), problem or "") for call in calls)
    return plan
