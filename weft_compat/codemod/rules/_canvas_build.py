"""Building weft_compat's canvas from a rewrite step and the node it applies to.

Each function takes the node as the walk leaves it, with whatever rules rewrote inside
it, and the step the plan chose for its original; arguments are picked by position,
which no rule changes in a call the canvas rewrite owns.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from weft_compat.codemod.rules._canvas_shapes import (
    Action,
    Apply,
    ChordStart,
    Exists,
    Primitive,
    Reassign,
    Rename,
    Restore,
    Signature,
    Start,
)
from weft_compat.codemod.rules._shared import kept_args
from weft_compat.codemod.rules.apply_async import spread_args, spread_kwargs

_WEFT = "weft_compat"


def _bare(arg: cst.Arg) -> cst.Arg:
    return arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)


def _method(receiver: cst.BaseExpression, name: str, args: Sequence[cst.Arg] = ()) -> cst.Call:
    return cst.Call(func=cst.Attribute(receiver, cst.Name(name)), args=[_bare(a) for a in args])


def _receiver(call: cst.Call) -> cst.BaseExpression:
    func = call.func
    assert isinstance(func, cst.Attribute)  # the plan read a method call here
    return func.value


def _slots(call: cst.Call, args: int | None, kwargs: int | None) -> list[cst.Arg]:
    spread: list[cst.Arg] = []
    if args is not None:
        spread += spread_args(call.args[args].value)
    if kwargs is not None:
        spread += spread_kwargs(call.args[kwargs].value)
    return spread


def _using(
    receiver: cst.BaseExpression, call: cst.Call, options: Sequence[int]
) -> cst.BaseExpression:
    if not options:
        return receiver
    return _method(receiver, "using", [call.args[at] for at in options])


def build(action: Action, call: cst.Call) -> cst.BaseExpression:
    """``call`` (the node as the walk left it) rewritten by ``action``."""
    if isinstance(action, Rename):
        args = kept_args(call.args, action.dropped)
        if action.unwrap and not args:
            return _receiver(call)
        func = call.func
        assert isinstance(func, cst.Attribute)
        return call.with_changes(func=func.with_changes(attr=cst.Name(action.method)), args=args)
    if isinstance(action, Signature):
        step = _method(_receiver(call), action.method, _slots(call, action.args, action.kwargs))
        return _using(step, call, action.options)
    if isinstance(action, Apply):
        return _apply(action, call)
    if isinstance(action, Start):
        skipped = set(action.options) | set(action.dropped)
        first = [arg for at, arg in enumerate(call.args) if at not in skipped]
        return _method(_using(call.func, call, action.options), "enqueue", first)
    if isinstance(action, ChordStart):
        return _chord_start(action, call)
    if isinstance(action, Primitive):
        if action.bare:
            return call
        return call.with_changes(func=cst.Attribute(cst.Name(_WEFT), cst.Name(action.name)))
    assert isinstance(action, Restore), action  # the statement-level steps are not calls
    handle: cst.BaseExpression = cst.Name("WorkflowSubmission")
    if not action.bare:
        handle = cst.Attribute(cst.Name(_WEFT), cst.Name("WorkflowSubmission"))
    return _method(handle, "from_id", [cst.Arg(call.args[action.tid].value)])


def _apply(action: Apply, call: cst.Call) -> cst.BaseExpression:
    receiver = _receiver(call)
    first = _slots(call, action.args, action.kwargs)
    if action.task:
        receiver, first = _method(receiver, "step", first), []
    for method, positions in (("link", action.links), ("link_error", action.errbacks)):
        for at in positions:
            value = call.args[at].value
            values = (
                [element.value for element in value.elements]
                if isinstance(value, cst.List | cst.Tuple)
                else [value]
            )
            for callback in values:
                receiver = _method(receiver, method, [cst.Arg(callback)])
    return _method(_using(receiver, call, action.options), "enqueue", first)


def _chord_start(action: ChordStart, call: cst.Call) -> cst.BaseExpression:
    inner = call.func
    assert isinstance(inner, cst.Call)  # chord(header)
    header = list(inner.args)
    named = any(arg.keyword is not None for arg in header)
    if len(header) == 1 and isinstance(header[0].value, cst.GeneratorExp):
        generator = header[0].value
        if not generator.lpar:  # a lone argument's parentheses are the call's
            header[0] = header[0].with_changes(
                value=generator.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            )
    body = cst.Arg(call.args[action.body].value)
    if named:
        body = body.with_changes(
            keyword=cst.Name("body"),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        )
    header[-1] = header[-1].with_changes(
        comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    )
    chord = inner.with_changes(args=[*header, body])
    return _method(_using(chord, call, action.options), "enqueue")


def reassign(action: Reassign, statement: cst.Expr) -> cst.Assign:
    """The statement ``v.link(...)`` (already renamed inside) → ``v = v.link(...)``."""
    return cst.Assign(
        targets=[cst.AssignTarget(cst.Name(action.name))],
        value=statement.value,
        semicolon=statement.semicolon,
    )


def exists(action: Exists, comparison: cst.Comparison) -> cst.BaseExpression:
    """``handle is None`` → ``not handle.exists()``; ``is not None`` → ``handle.exists()``."""
    check: cst.BaseExpression = _method(comparison.left, "exists")
    if action.negated:
        check = cst.UnaryOperation(cst.Not(), check)
    return check.with_changes(lpar=comparison.lpar, rpar=comparison.rpar)


def without(block: cst.IndentedBlock, removed: set[int]) -> cst.IndentedBlock:
    """``block`` without the statements ``removed`` (by id); ``pass`` if none is left.

    Comments above a removed statement stay, above the statement that follows it."""
    body: list[cst.BaseStatement] = []
    orphaned: list[cst.EmptyLine] = []
    for statement in block.body:
        if id(statement) in removed:
            if isinstance(statement, cst.SimpleStatementLine):
                orphaned += [line for line in statement.leading_lines if line.comment]
            continue
        if orphaned and isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            statement = statement.with_changes(leading_lines=[*orphaned, *statement.leading_lines])
            orphaned = []
        body.append(statement)
    if not body:
        body.append(cst.SimpleStatementLine([cst.Pass()], leading_lines=orphaned))
    return block.with_changes(body=body)
