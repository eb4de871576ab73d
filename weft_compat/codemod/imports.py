"""Adding the imports a rewrite needs and dropping the ones it left unused.

LibCST's ``AddImportsVisitor`` and ``RemoveImportsVisitor`` were measured here at more
than the rest of a file's rewrite put together: the first costs ~12 ms to construct
(matcher introspection) plus a walk of the module, the second needs scope analysis,
several times the cost of parsing. Both jobs are narrow here: add a
``from weft_compat import name`` at the top, and drop an import a rule has just
rewritten away. A rule asks to drop only such a name, so a check that the name appears
nowhere else in the code is enough; it errs towards keeping an import.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence

import libcst as cst


def _module_name(node: cst.ImportFrom) -> str | None:
    if node.relative or node.module is None:
        return None
    return cst.Module([]).code_for_node(node.module)


def _merge(
    statement: cst.SimpleStatementLine | cst.BaseCompoundStatement, module_name: str, name: str
) -> cst.SimpleStatementLine | cst.BaseCompoundStatement | None:
    """``statement`` with ``name`` added if it is ``from module_name import ...``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    node = statement.body[0]
    if not isinstance(node, cst.ImportFrom) or _module_name(node) != module_name:
        return None
    if isinstance(node.names, cst.ImportStar):
        return statement
    if any(bound_name(alias) == name for alias in node.names):
        return statement
    names = [
        *node.names[:-1],
        node.names[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
    ]
    names.append(cst.ImportAlias(cst.Name(name)))
    return statement.with_changes(body=[node.with_changes(names=names)])


def _imports_module(statement: cst.BaseStatement, module_name: str) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return any(
        isinstance(node, cst.Import)
        and any(bound_name(alias) == module_name and alias.asname is None for alias in node.names)
        for node in statement.body
    )


def add_imports(module: cst.Module, wanted: Iterable[tuple[str, str | None]]) -> cst.Module:
    """``module`` with ``from m import n`` / ``import m`` added where missing.

    An existing top-level ``from m import ...`` gains the name; otherwise the statement
    goes after the leading block of imports (or the docstring).
    """
    body = list(module.body)
    header = _header_length(module)
    new: list[cst.SimpleStatementLine] = []
    for module_name, name in sorted(wanted, key=lambda item: (item[0], item[1] or "")):
        if name is None:
            if not any(_imports_module(statement, module_name) for statement in body):
                new.append(cst.parse_statement(f"import {module_name}\n"))  # type: ignore[arg-type]
            continue
        for position, statement in enumerate(body):
            merged = _merge(statement, module_name, name)
            if merged is not None:
                body[position] = merged
                break
        else:
            for position, added in enumerate(new):
                merged = _merge(added, module_name, name)
                if merged is not None:
                    assert isinstance(merged, cst.SimpleStatementLine)  # as ``added`` is
                    new[position] = merged
                    break
            else:
                new.append(cst.parse_statement(f"from {module_name} import {name}\n"))  # type: ignore[arg-type]
    if not new and body == list(module.body):
        return module
    return module.with_changes(body=[*body[:header], *new, *body[header:]])


def _header_length(module: cst.Module) -> int:
    """How many leading statements are the docstring and top-level imports."""
    length = 0
    for position, statement in enumerate(module.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            break
        small = statement.body
        docstring = (
            position == 0
            and len(small) == 1
            and isinstance(small[0], cst.Expr)
            and isinstance(small[0].value, cst.SimpleString | cst.ConcatenatedString)
            and not _stands_in(small[0].value)
        )
        if not docstring and not all(isinstance(s, cst.Import | cst.ImportFrom) for s in small):
            break
        length = position + 1
    return length


# The string ``outline`` puts in place of a statement the rules need not see. Once the
# imports above it are dropped it can come first, where it is no docstring.
_STAND_IN = "'''weft-compat-outline-"


def _stands_in(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.SimpleString) and value.value.startswith(_STAND_IN)


def bound_name(alias: cst.ImportAlias) -> str | None:
    """The name an import alias binds: its ``as`` name, else its head (``import a.b``: ``a``)."""
    if alias.asname is not None:
        target = alias.asname.name
        return target.value if isinstance(target, cst.Name) else None
    name: cst.BaseExpression = alias.name
    # ``import a.b`` binds ``a``.
    while isinstance(name, cst.Attribute):
        name = name.value
    return name.value if isinstance(name, cst.Name) else None


def unused_after_rewrite(dropped: Counter[str], source: str) -> set[str]:
    """Names in ``dropped`` whose only remaining mention in ``source`` is their import.

    ``dropped`` counts the mentions the rewrite removed, one per rewritten site, so no
    second code-generation pass is needed to see what is left. A word count of the text
    settles most names; a name it finds elsewhere too is counted again in the code only
    (comments and docstrings aside, a string that is exactly the name still counts, as
    in ``__all__``), so a docstring that mentions ``Celery`` does not keep its import.
    """
    unused = set()
    # Name → the most code mentions that still leave it unused.
    limits: dict[str, int] = {}
    for name, rewritten in dropped.items():
        if len(re.findall(rf"\b{re.escape(name)}\b", source)) - rewritten <= 1:
            unused.add(name)
        else:
            limits[name] = rewritten + 1
    if limits:
        tokens = _code_mentions(source, limits)
        if tokens is not None:
            unused.update(name for name, most in limits.items() if tokens[name] <= most)
    return unused


def _code_mentions(source: str, limits: dict[str, int]) -> Counter[str] | None:
    """How often each name of ``limits`` appears in ``source`` as code, or as a string of
    just itself; None if the source does not tokenize.

    Counting stops once every name is past its limit: tokenizing is the slow part, and
    a name used in code is usually used early (past its import, at its first use).
    """
    mentions: Counter[str] = Counter()
    past = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            text = None
            if token.type == tokenize.NAME:
                text = token.string
            elif token.type == tokenize.STRING and token.string[-1:] in ("'", '"'):
                text = token.string.strip("'\"")
                if not text.isidentifier() or token.string.lstrip("rRuU")[:1] not in ("'", '"'):
                    text = None
            if text in limits:
                mentions[text] += 1
                if mentions[text] == limits[text] + 1:
                    past += 1
                    if past == len(limits):
                        break
    except (tokenize.TokenError, SyntaxError):
        return None
    return mentions


def _prune(statement: cst.BaseStatement, names: set[str]) -> cst.BaseStatement | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return statement
    small = statement.body[0]
    if not isinstance(small, cst.ImportFrom | cst.Import) or isinstance(
        small.names, cst.ImportStar
    ):
        return statement
    aliases: Sequence[cst.ImportAlias] = small.names
    kept = [
        alias for alias in aliases if (bound := bound_name(alias)) is None or bound not in names
    ]
    if len(kept) == len(aliases):
        return statement
    if not kept:
        return None
    # The last alias must not keep a trailing comma that only made sense before others.
    kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return statement.with_changes(body=[small.with_changes(names=kept)])


def drop_imports(module: cst.Module, removed: set[str]) -> cst.Module:
    """``module`` without the top-level imports that bind ``removed``."""
    if not removed:
        return module
    body: list[cst.BaseStatement] = []
    orphaned: list[cst.EmptyLine] = []
    for statement in module.body:
        pruned = _prune(statement, removed)
        if pruned is None:
            # Comments above a removed import stay, attached to what follows; its blank
            # lines go with it, as what follows has its own.
            if isinstance(statement, cst.SimpleStatementLine):
                orphaned.extend(line for line in statement.leading_lines if line.comment)
            continue
        if orphaned and isinstance(pruned, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            pruned = pruned.with_changes(leading_lines=[*orphaned, *pruned.leading_lines])
            orphaned = []
        body.append(pruned)
    return module.with_changes(body=body)
