"""What a rule sees of the file being rewritten: names, the project index, findings, imports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from weft_compat.codemod.facts import ModuleFacts, TaskSignature
from weft_compat.codemod.index import Helper, ProjectIndex


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, None for anything else (calls, subscripts)."""
    # Exact kinds: this runs for most nodes the rules see, and LibCST never subclasses
    # its node kinds, so the slower isinstance through their abstract base is not needed.
    parts: list[str] = []
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is not cst.Name:
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


@dataclass(frozen=True)
class PendingFinding:
    """A finding anchored to an original node; its position is computed at the end."""

    node: cst.CSTNode
    code: str
    message: str
    guide: str
    # The innermost statement holding ``node``, when the walk knows it.
    statement: cst.CSTNode | None = None
    # Why the site was not rewritten: which condition failed, in one sentence.
    why: str = ""


@dataclass
class FileContext:
    """Per-file state shared by the rules during one rewrite pass."""

    path: str
    facts: ModuleFacts
    index: ProjectIndex
    findings: list[PendingFinding] = field(default_factory=list)
    added_imports: set[tuple[str, str | None]] = field(default_factory=set)
    # Local name → how many of its mentions the rewrite removed; and local names whose
    # top-level import goes whatever the text says (a rule rewrote every mention).
    dropped_imports: Counter[str] = field(default_factory=Counter)
    unused_imports: set[str] = field(default_factory=set)
    # Original nodes a rule has taken over, so a finer-grained rule leaves them alone.
    claimed: set[int] = field(default_factory=set)
    # The statement the walk is in, so a finding can name the statement to place it by,
    # and the functions and classes around it, outermost first.
    statement: cst.CSTNode | None = None
    scopes: list[cst.FunctionDef | cst.ClassDef] = field(default_factory=list)
    # Top-level statements (original nodes) the rewrite removes, and whether the module
    # changes without a node being replaced (an import alias dropped, say).
    removed_statements: set[int] = field(default_factory=set)
    # Statements a rule adds after a top-level statement (by the original's id), in order:
    # what one statement becomes when it becomes several (a handler's calls).
    added_after: dict[int, list[cst.BaseStatement]] = field(default_factory=dict)
    rewrote: bool = False
    # Celery app plumbing here (app → the original nodes that only serve it), whether to
    # report the apps the rewritten module refers to, and whether to delete the module
    # if nothing but a docstring and __future__ imports is left (its app went).
    app_plumbing: dict[str, list[cst.CSTNode]] = field(default_factory=dict)
    count_app_uses: bool = False
    delete_if_empty: bool = False
    # What several rules read of the same file, computed once by whichever asks first,
    # under the name of the module that computes it (the canvas rules' reading).
    shared: dict[str, object] = field(default_factory=dict)
    # Dotted name → what ``qualified_name`` resolved it to; rules ask about the same
    # names again and again.
    _resolved: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    def qualified_name(self, node: cst.BaseExpression) -> str | None:
        """The canonical qualified name ``node`` refers to, resolved through imports.

        Module-level bindings only: a local variable that shadows an imported Celery
        name is resolved as the import. Scope analysis would settle that rare case at
        several times the cost of parsing, on every file.
        """
        name = dotted(node)
        if name is None:
            return None
        try:
            return self._resolved[name]
        except KeyError:
            qualified = self.facts.qualify(name)
            resolved = self.index.canonical(qualified) if qualified else None
            self._resolved[name] = resolved
            return resolved

    def task(self, node: cst.BaseExpression) -> TaskSignature | None:
        """The signature of the task ``node`` names, or None if it is not a task that
        becomes a weft task. Inside a dispatch helper, its task parameter names the
        tasks every call of it passes, when they all become weft tasks."""
        if type(node) is cst.Name and self.scopes:
            helper = self.helper()
            if helper is not None and node.value in helper.params:
                return helper.signature(self.index, node.value)
        return self.index.task(self.qualified_name(node))

    def helper(self) -> Helper | None:
        """The dispatch helper the walk is inside (a module-level function), if any."""
        outermost = self.scopes[0] if self.scopes else None
        if not isinstance(outermost, cst.FunctionDef) or not self.index.helpers:
            return None
        qualified = self.facts.qualify(outermost.name.value)
        return self.index.helpers.get(self.index.canonical(qualified)) if qualified else None

    def helper_parameter(self, node: cst.BaseExpression) -> Helper | None:
        """The helper whose dispatched parameter ``node`` is, if it is one."""
        if type(node) is not cst.Name or not self.scopes:
            return None
        helper = self.helper()
        return helper if helper is not None and node.value in helper.params else None

    def kept_on_celery(self, node: cst.BaseExpression) -> str | None:
        """Why the task ``node`` names stays on Celery, None if it is not such a task."""
        qualified = self.qualified_name(node)
        return self.index.celery_tasks.get(qualified) if qualified else None

    def is_app(self, node: cst.BaseExpression) -> bool:
        """Whether ``node`` names a Celery application."""
        qualified = self.qualified_name(node)
        return qualified is not None and self.index.is_app(qualified)

    def claim(self, node: cst.CSTNode) -> None:
        """Mark an original node as handled by the calling rule."""
        self.claimed.add(id(node))

    def is_claimed(self, node: cst.CSTNode) -> bool:
        """Whether another rule has taken over this original node."""
        return id(node) in self.claimed
