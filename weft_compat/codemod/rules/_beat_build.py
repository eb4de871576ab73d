"""The code ``beat_schedule`` (WC115) writes: ``WEFT_COMPAT`` keys, ``add_beat_schedule``
and ``add_periodic_task`` calls.

A schedule moved one level deeper (into a ``WEFT_COMPAT = {...}`` literal) is indented
one level deeper too, so the result reads as if written that way; a schedule written
on one line stays on one. Keys the rewrite adds are quoted as the strings near them are.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.facts import WEFT_COMPAT
from weft_compat.codemod.rules._shared import keyword_arg, keyword_name, method_call

ADD_BEAT_SCHEDULE = "add_beat_schedule"
ADD = "add_periodic_task"
# The signature methods whose arguments become ``args=`` and ``kwargs=``.
SIGNATURE_METHODS = frozenset({"s", "si"})
# The expression a ``spread_globals`` move spreads: WEFT_COMPAT if bound, else nothing.
_GLOBALS = "globals().get({quote}" + WEFT_COMPAT + "{quote}, {{}})"


class _Quote(cst.CSTVisitor):
    """Finds the quote of the first plain string literal."""

    def __init__(self) -> None:
        super().__init__()
        self.quote: str | None = None

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.quote is None and node.quote in ('"', "'"):
            self.quote = node.quote


def quote_of(node: cst.CSTNode) -> str:
    """The quote ``node``'s strings are written with, so the keys the rewrite adds match
    them; a double quote if it holds none."""
    found = _Quote()
    node.visit(found)
    return found.quote or '"'


class _Deeper(cst.CSTTransformer):
    """Indents every continuation line of an expression by ``indent`` more."""

    def __init__(self, indent: str) -> None:
        super().__init__()
        self.indent = indent

    def leave_ParenthesizedWhitespace(
        self, original_node: cst.ParenthesizedWhitespace, updated_node: cst.ParenthesizedWhitespace
    ) -> cst.ParenthesizedWhitespace:
        deeper = cst.SimpleWhitespace(self.indent + updated_node.last_line.value)
        return updated_node.with_changes(last_line=deeper)

    def leave_EmptyLine(
        self, original_node: cst.EmptyLine, updated_node: cst.EmptyLine
    ) -> cst.EmptyLine:
        if updated_node.comment is None:
            return updated_node  # a blank line stays blank
        deeper = cst.SimpleWhitespace(self.indent + updated_node.whitespace.value)
        return updated_node.with_changes(whitespace=deeper)


def multiline(node: cst.CSTNode) -> bool:
    """Whether ``node``'s code spans lines."""
    return "\n" in cst.Module([]).code_for_node(node)


def deeper(node: cst.BaseExpression, indent: str) -> cst.BaseExpression:
    """``node`` with its continuation lines indented by ``indent`` more."""
    if not indent:
        return node
    result = node.visit(_Deeper(indent))
    assert isinstance(result, cst.BaseExpression)  # the transformer replaces only whitespace
    return result


def key_string(key: str, quote: str) -> cst.SimpleString:
    """The string literal ``key`` in ``quote``s."""
    return cst.SimpleString(f"{quote}{key}{quote}")


def subscript(key: str, quote: str) -> cst.Subscript:
    """``WEFT_COMPAT["KEY"]``."""
    index = cst.SubscriptElement(cst.Index(key_string(key, quote)))
    return cst.Subscript(cst.Name(WEFT_COMPAT), [index])


def weft_compat_dict(form: str, key: str, value: cst.BaseExpression, indent: str) -> cst.Dict:
    """The ``WEFT_COMPAT`` value of a ``create``, ``spread`` or ``spread_globals`` move:
    ``{"KEY": value}`` after what it spreads, on one line or one element a line."""
    quote = quote_of(value)
    spread: cst.BaseExpression | None = None
    if form == "spread":
        spread = cst.Name(WEFT_COMPAT)
    elif form == "spread_globals":
        spread = cst.parse_expression(_GLOBALS.format(quote=quote))
    if not multiline(value):
        space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        first = [cst.StarredDictElement(spread, comma=space)] if spread is not None else []
        return cst.Dict([*first, cst.DictElement(key_string(key, quote), value)])
    line = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(indent))
    closing = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(""))
    elements: list[cst.BaseDictElement] = []
    if spread is not None:
        elements.append(cst.StarredDictElement(spread, comma=cst.Comma(whitespace_after=line)))
    elements.append(
        cst.DictElement(
            key_string(key, quote), deeper(value, indent), comma=cst.Comma(whitespace_after=closing)
        )
    )
    return cst.Dict(elements, lbrace=cst.LeftCurlyBrace(whitespace_after=line))


def _separator(node: cst.Dict) -> cst.BaseParenthesizableWhitespace:
    """The whitespace before each of a dict literal's elements after the first."""
    elements = node.elements
    if len(elements) >= 2 and isinstance(elements[-2].comma, cst.Comma):
        return elements[-2].comma.whitespace_after
    return node.lbrace.whitespace_after


def with_keys(node: cst.Dict, keys: list[tuple[str, cst.BaseExpression]]) -> cst.Dict:
    """The ``WEFT_COMPAT = {...}`` literal ``node`` with ``keys`` added at its end, laid
    out as its elements are."""
    if not keys:
        return node
    separator = _separator(node)
    indent = ""
    if isinstance(separator, cst.ParenthesizedWhitespace):
        indent = separator.last_line.value
    else:
        separator = cst.SimpleWhitespace(" ")
    quote = quote_of(node) if node.elements else quote_of(keys[0][1])
    added = [cst.DictElement(key_string(key, quote), deeper(value, indent)) for key, value in keys]
    if not node.elements:
        space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        added = [element.with_changes(comma=space) for element in added[:-1]] + added[-1:]
        return node.with_changes(elements=added)
    between = cst.Comma(whitespace_after=separator)
    last = node.elements[-1]
    elements = [*node.elements[:-1], last.with_changes(comma=between)]
    elements += [element.with_changes(comma=between) for element in added[:-1]]
    elements.append(added[-1].with_changes(comma=last.comma))
    return node.with_changes(elements=elements)


def add_beat_schedule(value: cst.BaseExpression) -> cst.Call:
    """``add_beat_schedule(value)``."""
    return cst.Call(cst.Name(ADD_BEAT_SCHEDULE), [cst.Arg(value)])


def _separated(args: list[cst.Arg], position: int, new: list[cst.Arg]) -> list[cst.Arg]:
    """``args`` with ``new`` after ``args[position]``, separated as its arguments are."""
    if not new:
        return args
    after = args[position].comma
    previous = args[position - 1].comma if position else None
    separator: cst.Comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if position + 1 < len(args) and isinstance(after, cst.Comma):
        separator = after
    elif isinstance(previous, cst.Comma):
        separator = previous
    # The new last one takes what followed ``args[position]``: a separator, a trailing
    # comma, or none.
    last = after
    head = [*args[:position], args[position].with_changes(comma=separator)]
    middle = [arg.with_changes(comma=separator) for arg in new[:-1]]
    return [*head, *middle, new[-1].with_changes(comma=last), *args[position + 1 :]]


def _sequence(values: list[cst.BaseExpression]) -> cst.Tuple:
    space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    elements = [cst.Element(value, comma=space) for value in values]
    elements[-1] = elements[-1].with_changes(
        comma=cst.Comma() if len(values) == 1 else cst.MaybeSentinel.DEFAULT
    )
    return cst.Tuple(elements)


def _mapping(args: list[cst.Arg], quote: str) -> cst.Dict:
    space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    elements = [
        cst.DictElement(key_string(keyword_name(arg) or "", quote), arg.value, comma=space)
        for arg in args
    ]
    elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return cst.Dict(elements)


def _task_and_arguments(
    sig: cst.BaseExpression, quote: str
) -> tuple[cst.BaseExpression, list[cst.Arg]]:
    """What a readable signature becomes: the task (or its name) and the keyword
    arguments carrying its own arguments (a ``kwargs`` dict's keys in ``quote``s)."""
    if not isinstance(sig, cst.Call):
        return sig, []
    method = method_call(sig)
    if method is not None and method[1] in SIGNATURE_METHODS:
        positional = [arg.value for arg in sig.args if arg.keyword is None]
        named = [arg for arg in sig.args if arg.keyword is not None]
        extra = [keyword_arg("args", _sequence(positional))] if positional else []
        if named:
            extra.append(keyword_arg("kwargs", _mapping(named, quote)))
        return method[0], extra
    positional = [arg.value for arg in sig.args if arg.keyword is None]
    values = dict(zip(("name", "args", "kwargs"), positional, strict=False))
    values.update((keyword_name(arg) or "", arg.value) for arg in sig.args if arg.keyword)
    extra = [keyword_arg(key, values[key]) for key in ("args", "kwargs") if key in values]
    return values["name"], extra


def periodic_call(call: cst.Call) -> cst.Call:
    """weft_compat's ``add_periodic_task(...)`` for a readable ``sender.add_periodic_task``."""
    args = list(call.args)
    task, extra = _task_and_arguments(args[1].value, quote_of(call))
    args[1] = args[1].with_changes(value=task)
    return call.with_changes(func=cst.Name(ADD), args=_separated(args, 1, extra))
