"""Which Celery apps a rewritten module still uses, and which apps a run removes.

A Celery app (``app = Celery("proj")``) goes only once nothing in the tree uses it but
its own plumbing: its configuration calls, the import that loads it at startup and
its ``__all__`` entry. Whether anything else does is known only after every module is
rewritten (an ``@app.task`` is rewritten away, an ``app.conf.beat_schedule`` is not),
so the rewrite reports, per module, the apps its result still refers to, and the run
then decides and rewrites the modules holding plumbing once more (``decide``).

Files the rewrite did not see (skipped by the text check, or failed) can refer to an
app only by spelling one of its names, so they are searched for those names; a file
that spells one keeps the app. Files outside the paths given are not known at all:
the codemod is run over the whole project.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import cast

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.rules.base import children


def _imported_apps(node: cst.ImportFrom, context: FileContext, skip: frozenset[int]) -> set[str]:
    """The tree apps the aliases of ``node`` outside ``skip`` bind."""
    found: set[str] = set()
    if isinstance(node.names, cst.ImportStar):
        return found
    for alias in node.names:
        if id(alias) in skip:
            continue
        bound = alias.asname.name if alias.asname else alias.name
        if isinstance(bound, cst.Name):
            qualified = context.facts.qualify(bound.value)
            canonical = context.index.canonical(qualified) if qualified else None
            if canonical in context.index.apps:
                found.add(canonical)
    return found


def app_references(
    module: cst.Module, context: FileContext, skip: Iterable[cst.CSTNode]
) -> frozenset[str]:
    """The apps of the tree that names and imports of ``module`` refer to, outside the
    ``skip`` nodes."""
    skipped = frozenset(id(node) for node in skip)
    apps = context.index.apps
    found: set[str] = set()
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if id(node) in skipped:
            continue
        # Exact kinds: LibCST does not subclass its node kinds.
        kind = type(node)
        if kind is cst.Attribute:
            # ``proj.celery.app.send_task``: an app anywhere along the chain. The attribute
            # names themselves are no references, so only the innermost value is walked.
            part = cast(cst.BaseExpression, node)
            while type(part) is cst.Attribute:
                qualified = context.qualified_name(part)
                if qualified in apps:
                    found.add(qualified)
                    break
                part = part.value
            else:
                stack.append(part)
        elif kind is cst.Name:
            qualified = context.qualified_name(cast(cst.Name, node))
            if qualified in apps:
                found.add(qualified)
        elif kind is cst.ImportFrom:
            found |= _imported_apps(cast(cst.ImportFrom, node), context, skipped)
        elif kind is not cst.Import:  # ``import proj.celery`` binds the module; uses are names
            stack.extend(children(node))
    return frozenset(found)


def access_names(index: ProjectIndex, app: str) -> set[str]:
    """Every name a module can reach ``app`` by: its own and each re-export's."""
    names = {app.rpartition(".")[2]}
    names.update(
        alias.rpartition(".")[2] for alias in index.aliases if index.canonical(alias) == app
    )
    return names


def spelling_files(paths: Iterable[str], names: set[str]) -> list[str]:
    """Those of ``paths`` whose text spells one of ``names`` as a word."""
    pattern = re.compile(
        rb"(?<![A-Za-z0-9_])(?:"
        + b"|".join(re.escape(name.encode()) for name in sorted(names))
        + rb")(?![A-Za-z0-9_])"
    )
    found = []
    for path in paths:
        try:
            text = Path(path).read_bytes()
        except OSError:
            found.append(path)  # unreadable: it may refer to the app
            continue
        if pattern.search(text):
            found.append(path)
    return found


def decide(
    index: ProjectIndex,
    plumbing: Mapping[str, Sequence[str]],
    uses: Mapping[str, Sequence[str]],
    unseen: Sequence[str],
) -> dict[str, tuple[str, ...]]:
    """For each app with plumbing somewhere, the files still using it (none: it goes).

    ``plumbing`` and ``uses`` map an app to the rewritten files holding its plumbing and
    those still referring to it; ``unseen`` are the files the rewrite did not see.
    """
    decisions: dict[str, tuple[str, ...]] = {}
    for app in sorted(plumbing):
        users = sorted(set(uses.get(app, ())))
        if not users:
            users = spelling_files(unseen, access_names(index, app))
        decisions[app] = tuple(users)
    return decisions
