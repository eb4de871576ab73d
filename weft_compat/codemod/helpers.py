"""Dispatch helpers: project functions that take a task and dispatch it.

``def dispatch(task, *args): task.delay(*args)`` (or ``task.apply_async(...)``, or a
signature built for it) hides the task from the rewrite: inside the helper, ``task``
is a parameter. Once the index is built, the run looks for every call of each helper
in the tree (files the text check skipped included, when they spell its name) and
notes what each passes for the dispatched parameter. When every call passes a task
that becomes a weft task, the dispatch inside the helper is rewritten as it would be
on that task; otherwise the helper is reported once, with its call sites, instead of
each dispatch in it being reported as an unknown receiver.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence

from weft_compat.codemod.bodies import dotted_name
from weft_compat.codemod.facts import ModuleFacts, collect_facts
from weft_compat.codemod.index import Helper, Passed, ProjectIndex, Site
from weft_compat.codemod.parsing import parse_module
from weft_compat.codemod.sources import module_name


def find_helpers(index: ProjectIndex, all_facts: Iterable[ModuleFacts]) -> None:
    """Note the module-level functions that dispatch a parameter, in ``index.helpers``."""
    for facts in all_facts:
        for name, body in facts.bodies.items():
            dispatched = tuple(dict.fromkeys(param for param, _ in body.dispatches))
            if not dispatched:
                continue
            qualified = index.canonical(f"{facts.module}.{name}" if facts.module else name)
            if qualified in index.tasks or qualified in index.celery_tasks:
                continue  # a task dispatching a parameter is a task, not a helper
            positions = {
                param: body.params.index(param) for param in dispatched if param in body.params
            }
            methods = tuple(dict.fromkeys(method for _, method in body.dispatches))
            index.helpers[qualified] = Helper(dispatched, positions, methods)


def _site(
    call: ast.Call, helper: Helper, facts: ModuleFacts, index: ProjectIndex, path: str
) -> Site:
    passed: list[tuple[str, Passed]] = []
    starred = any(isinstance(arg, ast.Starred) for arg in call.args) or any(
        keyword.arg is None for keyword in call.keywords
    )
    for param in helper.params:
        value: ast.expr | None = None
        position = helper.positions.get(param)
        if position is not None and position < len(call.args):
            value = call.args[position]
        for keyword in call.keywords:
            if keyword.arg == param:
                value = keyword.value
        name = dotted_name(value) if value is not None and not starred else None
        qualified = facts.qualify(name) if name else None
        passed.append((param, index.canonical(qualified) if qualified else None))
    return Site(path, call.lineno, tuple(passed))


def record_calls(index: ProjectIndex, tree: ast.Module, facts: ModuleFacts, path: str) -> None:
    """Add the calls (and other uses) of every helper in one module to its sites; a use
    other than a call (a callback, a stored reference) passes what cannot be followed."""
    callees: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callees.add(id(node.func))
            helper = _helper(index, facts, node.func)
            if helper is not None:
                helper.sites.append(_site(node, helper, facts, index, path))
        elif isinstance(node, ast.Name | ast.Attribute) and id(node) not in callees:
            helper = _helper(index, facts, node)
            if helper is not None and isinstance(getattr(node, "ctx", None), ast.Load):
                unknown = tuple((param, None) for param in helper.params)
                helper.sites.append(Site(path, node.lineno, unknown))


def _helper(index: ProjectIndex, facts: ModuleFacts, node: ast.expr) -> Helper | None:
    name = dotted_name(node)
    qualified = facts.qualify(name) if name else None
    return index.helpers.get(index.canonical(qualified)) if qualified else None


def settle_helpers(
    index: ProjectIndex,
    indexed: Sequence[tuple[str, ModuleFacts, bytes | None]],
    unseen: Sequence[str],
    read: Callable[[str], bytes | None] | None = None,
) -> None:
    """Find the helpers of the tree and every call of them.

    ``indexed`` are the files pass one read (path, facts, source when in memory);
    ``unseen`` the files it skipped, searched too when they spell a helper's name.
    """
    find_helpers(index, (facts for _, facts, _ in indexed))
    if not index.helpers:
        return
    names = sorted({name.rpartition(".")[2] for name in index.helpers})
    spelled = re.compile(
        rb"(?<![A-Za-z0-9_])(?:" + b"|".join(n.encode() for n in names) + rb")(?![A-Za-z0-9_])"
    )
    reader = read or _read
    for path, facts, source in indexed:
        text = source if source is not None else reader(path)
        if text is not None and spelled.search(text):
            _record(index, text, facts, path)
    for path in unseen:
        text = reader(path)
        if text is not None and spelled.search(text):
            module, package = module_name(path)
            _record(index, text, None, path, module, package)


def _record(
    index: ProjectIndex,
    text: bytes,
    facts: ModuleFacts | None,
    path: str,
    module: str = "",
    package: str = "",
) -> None:
    try:
        tree, _ = parse_module(text)
    except (SyntaxError, ValueError):
        return
    if facts is None:
        facts = collect_facts(tree, module, package, scan_calls=False, scan_bodies=False)
    record_calls(index, tree, facts, path)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return None
