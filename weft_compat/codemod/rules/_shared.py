"""Small matchers the rules share: method calls, keyword arguments, literals, option tables."""

from __future__ import annotations

import ast
import difflib
from collections import Counter
from collections.abc import Collection, Sequence
from functools import lru_cache

import libcst as cst

from weft_compat._option_names import (
    CALL_OPTIONS,
    DECORATOR_OPTIONS,
    REFUSED_CALL_OPTIONS,
    REFUSED_OPTIONS,
)
from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.decorator_plan import DecoratorPlan, Option

__all__ = [
    "CALL_OPTIONS",
    "CELERY_CALL_NAMES",
    "DECORATOR_OPTIONS",
    "REFUSED_CALL_OPTIONS",
    "REFUSED_OPTIONS",
    "call_options",
    "closest",
    "decorator_plan",
    "dotted",
    "head_name",
    "kept_args",
    "keyword_arg",
    "keyword_name",
    "mentioned_names",
    "method_call",
    "string_value",
    "task_decorator",
]

# ``apply_async`` option names that ``.delay`` silently passes to the task instead.
CELERY_CALL_NAMES = frozenset(REFUSED_CALL_OPTIONS) | CALL_OPTIONS


def method_call(node: cst.Call) -> tuple[cst.BaseExpression, str] | None:
    """``(receiver, method)`` for ``receiver.method(...)``, None for other calls."""
    func = node.func
    if isinstance(func, cst.Attribute):
        return func.value, func.attr.value
    return None


def keyword_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    """``name=value`` spelled the way PEP 8 spells a keyword argument."""
    tight = cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    )
    return cst.Arg(value=value, keyword=cst.Name(name), equal=tight)


def kept_args(args: Sequence[cst.Arg], dropped: Collection[int]) -> list[cst.Arg]:
    """``args`` without those at the ``dropped`` positions. The last one kept takes the
    comma of the last one given, so a trailing comma stays and no stray one is left."""
    kept = [arg for position, arg in enumerate(args) if position not in dropped]
    if kept and args and kept[-1] is not args[-1]:
        kept[-1] = kept[-1].with_changes(comma=args[-1].comma)
    return kept


def keyword_name(arg: cst.Arg) -> str | None:
    """The keyword of ``name=value``, None for positional and starred arguments."""
    return arg.keyword.value if arg.keyword is not None else None


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal, None for anything else (f-strings included)."""
    if isinstance(node, cst.SimpleString):
        value = _literal(node.value)
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        return left + right if left is not None and right is not None else None
    return None


@lru_cache(maxsize=4096)
def _literal(text: str) -> object:
    # Compiling each literal is most of the cost of reading it; the same few repeat.
    return ast.literal_eval(text)


def head_name(node: cst.BaseExpression) -> str | None:
    """``a`` for ``a.b.c``: the local name an expression's import binds."""
    name = dotted(node)
    return name.partition(".")[0] if name else None


def closest(option: str, known: frozenset[str]) -> str:
    """`` (did you mean 'x'?)`` for a likely typo, else an empty string."""
    match = difflib.get_close_matches(option, sorted(known), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def task_decorator(
    context: FileContext, decorator: cst.Decorator
) -> tuple[cst.BaseExpression, cst.Call | None, str] | None:
    """``(target, call, qualified)`` when ``decorator`` makes a Celery or weft task."""
    expression = decorator.decorator
    call = expression if isinstance(expression, cst.Call) else None
    target = call.func if call is not None else expression
    qualified = context.qualified_name(target)
    if qualified is None or not context.index.is_task_decorator(qualified):
        return None
    return target, call, qualified


def call_options(
    context: FileContext, call: cst.Call, forwarded: frozenset[str] = frozenset()
) -> list[Option]:
    """A decorator call's options as ``decorator_plan`` reads them (``base=`` resolved),
    leaving out the ``forwarded`` parameters of the function it is called in."""
    options: list[Option] = []
    for arg in call.args:
        if isinstance(arg.value, cst.Name) and arg.value.value in forwarded:
            continue
        if arg.keyword is None:
            options.append((None, None))
        elif arg.keyword.value == "base":
            options.append(("base", context.qualified_name(arg.value)))
        else:
            options.append((arg.keyword.value, string_value(arg.value)))
    return options


def decorator_plan(
    context: FileContext, call: cst.Call | None, forwarded: frozenset[str] = frozenset()
) -> DecoratorPlan:
    """What to do with a task decorator's options (see ``decorator_plan``)."""
    if call is None:
        return DecoratorPlan()
    return context.index.plan(call_options(context, call, forwarded))


def mentioned_names(node: cst.CSTNode) -> Counter[str]:
    """How often each name is mentioned as a variable in ``node``'s code (not as an
    attribute or keyword name)."""
    found: Counter[str] = Counter()

    class Names(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            name = dotted(node)
            if name is not None:
                found[name.partition(".")[0]] += 1
                return False
            return True

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            found[node.value] += 1

    node.visit(Names())
    return found
