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

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.index import ProjectIndex


class _References(cst.CSTVisitor):
    """Collects the tree apps that names and imports of a module refer to."""

    def __init__(self, context: FileContext, skip: frozenset[int]) -> None:
        super().__init__()
        self.context = context
        self.skip = skip
        self.found: set[str] = set()

    def _app(self, node: cst.BaseExpression) -> str | None:
        qualified = self.context.qualified_name(node)
        return qualified if qualified in self.context.index.apps else None

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.skip and super().on_visit(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        # ``proj.celery.app.send_task``: an app anywhere along the chain. The attribute
        # names themselves are no references, so only the innermost value is walked.
        part: cst.BaseExpression = node
        while isinstance(part, cst.Attribute):
            app = self._app(part)
            if app is not None:
                self.found.add(app)
                return False
            part = part.value
        part.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        app = self._app(node)
        if app is not None:
            self.found.add(app)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            return False
        module = self.context.facts
        for alias in node.names:
            if id(alias) in self.skip:
                continue
            bound = alias.asname.name if alias.asname else alias.name
            if isinstance(bound, cst.Name):
                qualified = module.qualify(bound.value)
                canonical = self.context.index.canonical(qualified) if qualified else None
                if canonical in self.context.index.apps:
                    self.found.add(canonical)
        return False

    def visit_Import(self, node: cst.Import) -> bool:
        return False  # ``import proj.celery`` binds the module; its uses are names


def app_references(
    module: cst.Module, context: FileContext, skip: Iterable[cst.CSTNode]
) -> frozenset[str]:
    """The apps of the tree that ``module`` refers to, outside the ``skip`` nodes."""
    visitor = _References(context, frozenset(id(node) for node in skip))
    module.visit(visitor)
    return frozenset(visitor.found)


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
