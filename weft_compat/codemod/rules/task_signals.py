"""WC117: Celery's task signals → ``weft_compat.signals``; the receivers stay as written.

weft_compat sends ``task_prerun``, ``task_postrun``, ``task_success``, ``task_failure``,
``task_retry``, ``task_revoked``, ``before_task_publish`` and ``after_task_publish``
with Celery's keyword arguments, the task (for the publish signals, its name) as
``sender``, and a ``connect`` taking Celery's arguments, so a receiver carries over by
its import alone: ``from celery.signals import task_failure`` imports from
``weft_compat.signals``, and ``signals.task_failure`` after ``from celery import
signals`` (or ``celery.signals.task_failure``) becomes ``weft_compat.signals.task_failure``.

An import that also names a signal weft_compat does not send (``worker_ready``, ...) is
split: the task signals move, the others stay on ``celery.signals`` in an import of
their own on the next line, which ``signals`` (WC208) reports. One sharing its line
with code that could use the names (``from celery.signals import a, b; b.connect(f)``,
the body of a one-line ``if x: ...``) cannot be split so: it is reported whole.

``task_revoked`` is sent with Celery's arguments for a call that expired (in the worker,
or the mover) and for a revoke by request, but the latter in the process that revokes
rather than in the worker. It moves like the others, with a note at each rewritten name
saying where its receivers now run. A receiver connected with ``sender=`` a
task that stays on Celery is reported: weft_compat sends nothing for that task until
it moves.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._shared import dotted, head_name, keyword_name, method_call
from weft_compat.codemod.rules.base import Rule

CODE = "WC117"
DESCRIPTION = "Celery's task signals → weft_compat.signals (task_failure, task_postrun, …)"
CELERY_SIGNALS = "celery.signals"
WEFT_SIGNALS = "weft_compat.signals"
# What weft_compat.signals defines and sends (its ``__all__`` but ``Signal``).
SENT = frozenset(
    {
        "task_prerun",
        "task_postrun",
        "task_success",
        "task_failure",
        "task_retry",
        "task_revoked",
        "before_task_publish",
        "after_task_publish",
    }
)
REVOKED = "task_revoked"
_REVOKED_NOTE = (
    "task_revoked now comes from weft_compat.signals, which sends it for an expired call in "
    "the worker (or the mover), but for a revoke by request (handle.stop(), handle.kill(), "
    "weft-compat revoke) in the process that revokes, not in the worker, so check that its "
    "receivers are connected there and need nothing of the worker's"
)
_REVOKED_WHY = (
    "task_revoked for a revoke by request runs in the revoking process rather than the "
    "worker, so a person checks where its receivers are connected and what they expect."
)


def signals_import(node: cst.ImportFrom) -> list[str] | None:
    """The names ``from celery.signals import ...`` imports, in order; None for any other
    import and for ``import *``."""
    if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
        return None
    if dotted(node.module) != CELERY_SIGNALS:
        return None
    return [dotted(alias.name) or "" for alias in node.names]


def _weft_signals() -> cst.Attribute:
    return cst.Attribute(cst.Name("weft_compat"), cst.Name("signals"))


def _importing(node: cst.ImportFrom, aliases: Sequence[cst.ImportAlias]) -> cst.ImportFrom:
    """``node`` importing only ``aliases`` (some of its own, in their order), laid out as
    it was."""
    assert not isinstance(node.names, cst.ImportStar)  # signals_import excludes it
    last = node.names[-1]
    kept = list(aliases)
    if kept[-1] is not last:
        kept[-1] = kept[-1].with_changes(comma=_closing(node, kept[-1].comma, last.comma))
    return node.with_changes(names=kept)


def _closing(
    node: cst.ImportFrom,
    own: cst.Comma | cst.MaybeSentinel,
    last: cst.Comma | cst.MaybeSentinel,
) -> cst.Comma | cst.MaybeSentinel:
    """The comma of an alias that becomes the last one: none without parentheses (a
    trailing comma would not parse), else the given last one's, so the closing
    parenthesis stays where it was, keeping the alias's own comment."""
    if node.lpar is None or not isinstance(last, cst.Comma):
        return cst.MaybeSentinel.DEFAULT
    mine = own.whitespace_after if isinstance(own, cst.Comma) else None
    theirs = last.whitespace_after
    if isinstance(mine, cst.ParenthesizedWhitespace) and isinstance(
        theirs, cst.ParenthesizedWhitespace
    ):
        return last.with_changes(whitespace_after=theirs.with_changes(first_line=mine.first_line))
    return last


class TaskSignals(Rule):
    """Imports the task signals from weft_compat.signals instead of celery.signals."""

    NAME = "task_signals"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "signals.md#wc117-task_signals"
    WHY = (
        "the import names task signals and signals weft_compat does not send, and other "
        "code on its line (after a ';', or a one-line block's header) keeps it from being "
        "split in two."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # celery.signals imports last on their line, so splittable there → that line.
        self._splits: dict[int, cst.SimpleStatementLine] = {}
        # Per open indented block, (line, the Celery import to add after it), in order.
        self._blocks: list[list[tuple[cst.SimpleStatementLine, cst.SimpleStatementLine]]] = []
        self._in_import = False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        last = node.body[-1]
        if isinstance(last, cst.ImportFrom) and signals_import(last) is not None:
            self._splits[id(last)] = node

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._blocks.append([])

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        added = self._blocks.pop()
        if not added:
            return updated_node
        # The walk replaces statements one for one, so positions in the original body
        # are positions in the updated one.
        assert len(original_node.body) == len(updated_node.body)
        positions = {id(statement): at for at, statement in enumerate(original_node.body)}
        body = list(updated_node.body)
        for line, leftover in reversed(added):  # the last first: earlier positions hold
            body.insert(positions[id(line)] + 1, leftover)
        return updated_node.with_changes(body=body)

    def visit_Import(self, node: cst.Import) -> None:
        self._in_import = True

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        self._in_import = False
        return updated_node

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._in_import = True
        names = signals_import(node)
        if names is None:
            return
        sent = [name for name in names if name in SENT]
        others = [name for name in names if name not in SENT]
        if sent and others and id(node) not in self._splits:
            # Claimed, so ``signals`` (WC208) does not report the same import again.
            self.context.claim(node)
            self.report(
                node,
                f"from celery.signals import ... was not rewritten: it names "
                f"{', '.join(sent)}, which weft_compat.signals sends, and "
                f"{', '.join(others)}, which it does not, and it shares its line with "
                "other code, so it cannot be split in two; put it on a line of its own and "
                "run the codemod again",
            )

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        self._in_import = False
        names = signals_import(original_node)
        if names is None or self.context.is_claimed(original_node):
            return updated_node
        given, aliases = original_node.names, updated_node.names
        assert not isinstance(given, cst.ImportStar)  # signals_import excludes it
        assert not isinstance(aliases, cst.ImportStar)  # the same shape as the original
        moved = [alias for alias, name in zip(aliases, names, strict=True) if name in SENT]
        kept = [alias for alias, name in zip(aliases, names, strict=True) if name not in SENT]
        if not moved:
            return updated_node  # nothing weft_compat sends; WC208 reports it
        for alias, name in zip(given, names, strict=True):
            if name == REVOKED:
                self.report(alias, _REVOKED_NOTE, why=_REVOKED_WHY)
        if kept:
            line = self._splits[id(original_node)]
            leftover = cst.SimpleStatementLine(
                [_importing(updated_node, kept).with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]
            )
            if self._blocks:
                self._blocks[-1].append((line, leftover))
            else:
                self.context.added_after.setdefault(id(line), []).append(leftover)
            updated_node = _importing(updated_node, moved)
        return updated_node.with_changes(module=_weft_signals())

    def visit_Call(self, node: cst.Call) -> None:
        # ``task_failure.connect(f, sender=t)`` / ``@task_failure.connect(sender=t)``.
        method = method_call(node)
        if method is None or method[1] != "connect":
            return
        qualified = self.context.qualified_name(method[0])
        module, _, signal = (qualified or "").rpartition(".")
        if module != CELERY_SIGNALS or signal not in SENT:
            return
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        senders = [arg.value for arg in node.args if keyword_name(arg) == "sender"]
        senders += [arg.value for arg in positional[1:2]]
        for sender in senders:
            reason = self.context.kept_on_celery(sender)
            if reason is not None:
                self.report(
                    node,
                    f"this {signal} receiver is for {dotted(sender)}, which stays on Celery "
                    f"({reason}); weft_compat.signals sends nothing for it until it moves",
                    why="the receiver's sender is a task that stays on Celery, whose "
                    "signals Celery sends.",
                )

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        # ``signals.task_failure`` / ``celery.signals.task_failure``: the module imported.
        if self._in_import:
            return updated_node  # ``from celery.signals.x import``: a module path, no signal
        qualified = self.context.qualified_name(original_node)
        if qualified is None or qualified.rpartition(".")[0] != CELERY_SIGNALS:
            return updated_node
        name = original_node.attr.value
        if name not in SENT:
            return updated_node  # reported with its receivers (WC208)
        if name == REVOKED:
            self.report(original_node, _REVOKED_NOTE, why=_REVOKED_WHY)
        local = head_name(original_node)
        if local is not None:
            self.drop_import(local)
        self.add_import(WEFT_SIGNALS)
        return cst.Attribute(
            _weft_signals(), cst.Name(name), lpar=original_node.lpar, rpar=original_node.rpar
        )
