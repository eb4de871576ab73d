"""The project index: which qualified names are Celery apps and tasks, across modules.

Built once from every file's facts, then shared read-only with the rewrite pass,
so ``from .tasks import send`` in a view resolves to the task defined elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from weft_compat.codemod.decorator_plan import plan
from weft_compat.codemod.facts import DecoratedFunction, ModuleFacts, TaskSignature

TASK_DECORATORS = frozenset(
    {
        "celery.shared_task",
        "celery.app.shared_task",
        "weft_compat.weft_task",
    }
)
CURRENT_APP = frozenset({"celery.current_app", "celery._state.current_app"})
# Celery re-exports the same objects under several module paths.
_CELERY_CANONICAL = {
    "celery.app.shared_task": "celery.shared_task",
    "celery.app.base.Celery": "celery.Celery",
    "celery.app.Celery": "celery.Celery",
    "celery.app.task.Task": "celery.Task",
    "celery.app.Task": "celery.Task",
    "celery._state.current_app": "celery.current_app",
    "celery._state.current_task": "celery.current_task",
    "celery.canvas.chain": "celery.chain",
    "celery.canvas.group": "celery.group",
    "celery.canvas.chord": "celery.chord",
    "celery.canvas.chunks": "celery.chunks",
    "celery.canvas.signature": "celery.signature",
    "celery.canvas.Signature": "celery.Signature",
    "celery.canvas.subtask": "celery.subtask",
    "celery.canvas.maybe_signature": "celery.maybe_signature",
    "celery.canvas.xmap": "celery.xmap",
    "celery.canvas.xstarmap": "celery.xstarmap",
    "celery.subtask": "celery.signature",
    "celery.app.utils.Celery": "celery.Celery",
    "weft_compat._task.weft_task": "weft_compat.weft_task",
}
_MAX_ALIAS_HOPS = 8


def _join(module: str, name: str) -> str:
    # A module read from stdin has no name; its definitions are top-level names.
    return f"{module}.{name}" if module else name


@dataclass
class ProjectIndex:
    """Celery apps and tasks of the scanned tree, keyed by canonical qualified name."""

    aliases: dict[str, str] = field(default_factory=dict)
    apps: set[str] = field(default_factory=set)
    # Tasks that become weft tasks, and those whose decorator keeps them on Celery (with
    # why): calls on the latter are not rewritten.
    tasks: dict[str, TaskSignature] = field(default_factory=dict)
    celery_tasks: dict[str, str] = field(default_factory=dict)
    # Every value the settings modules give CELERY_TASK_EAGER_PROPAGATES (None: computed).
    eager_propagates: frozenset[bool | None] = frozenset()
    # Tasks whose ``.delay`` some test patches, and ``module.name`` spellings of an
    # AsyncResult import that the rewrite of that module replaces everywhere.
    patched_tasks: frozenset[str] = frozenset()
    from_tid_names: frozenset[str] = frozenset()
    # Once the run has seen every rewritten module: for each app with plumbing, the
    # files that still use it (none: the app and its plumbing go). None until then.
    app_users: dict[str, tuple[str, ...]] | None = None
    # Answers of ``canonical``, filled as names are asked about once aliases are final.
    _canonical: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _prefixes: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def build(cls, all_facts: Iterable[ModuleFacts]) -> ProjectIndex:
        """Merge per-module facts; aliases first, so re-exported apps resolve."""
        facts_list = list(all_facts)
        index = cls()
        for facts in facts_list:
            for local, target in facts.imports.items():
                if facts.module:
                    index.aliases[f"{facts.module}.{local}"] = target
        for facts in facts_list:
            for name in facts.app_names:
                index.apps.add(index.canonical(_join(facts.module, name)))
        for facts in facts_list:
            for name, function in facts.functions.items():
                index._add_task(index.canonical(_join(facts.module, name)), function)
        index.eager_propagates = frozenset(
            value for facts in facts_list for value in facts.eager_propagates
        )
        patched = (index.canonical(name) for f in facts_list for name in f.patched_delays)
        index.patched_tasks = frozenset(name for name in patched if name in index.tasks)
        index.from_tid_names = frozenset(
            _join(facts.module, name) for facts in facts_list for name in facts.from_tid_names
        )
        return index

    def _add_task(self, qualified: str, function: DecoratedFunction) -> None:
        for decorator, options in zip(function.decorators, function.options, strict=True):
            if not self.is_task_decorator(decorator):
                continue
            decision = plan(options)
            if decorator != "weft_compat.weft_task" and decision.keeps_celery:
                self.celery_tasks[qualified] = decision.reason()
            else:
                self.tasks[qualified] = function.signature
            return

    def canonical(self, qualified: str) -> str:
        """Follow re-exports (``pkg.app`` → ``pkg.celery.app``) to the defining name."""
        known = self._canonical.get(qualified)
        if known is None:
            known = self._canonical[qualified] = self._follow(qualified)
        return known

    def _follow(self, qualified: str) -> str:
        for _ in range(_MAX_ALIAS_HOPS):
            replaced = self._replace_prefix(qualified)
            if replaced == qualified:
                break
            qualified = replaced
        return _CELERY_CANONICAL.get(qualified, qualified)

    def _replace_prefix(self, qualified: str) -> str:
        parts = qualified.split(".")
        for end in range(len(parts), 1, -1):
            prefix = ".".join(parts[:end])
            target = self.aliases.get(prefix)
            if target is not None and target != prefix:
                return ".".join([target, *parts[end:]])
        return _CELERY_CANONICAL.get(qualified, qualified)

    def default_propagate(self) -> bool | None:
        """Whether eager calls re-raise by the project's settings (Celery's default, False,
        when no module sets it); None when settings modules disagree or compute it."""
        if not self.eager_propagates:
            return False
        if len(self.eager_propagates) == 1:
            (value,) = self.eager_propagates
            return value
        return None

    def prefixes(self) -> frozenset[str]:
        """Every proper dotted prefix of an alias, task or app name the index holds."""
        if self._prefixes is None:
            found: set[str] = set()
            for name in (*self.aliases, *self.tasks, *self.celery_tasks, *self.apps):
                parts = name.split(".")
                found.update(".".join(parts[:end]) for end in range(1, len(parts)))
            self._prefixes = frozenset(found)
        return self._prefixes

    def is_app(self, qualified: str) -> bool:
        """Whether ``qualified`` names a Celery application object."""
        if qualified in self.apps or qualified in CURRENT_APP:
            return True
        # An app defined outside the scanned paths: trust a module named after Celery
        # (``proj.celery.app``, ``proj.celery_app.app``), the layout Celery documents.
        module, _, _ = qualified.rpartition(".")
        return not qualified.startswith("celery.") and "celery" in module.lower()

    def is_task_decorator(self, qualified: str) -> bool:
        """Whether a decorator with this qualified name makes a Celery (or weft) task."""
        if qualified in TASK_DECORATORS:
            return True
        base, _, attr = qualified.rpartition(".")
        return attr == "task" and bool(base) and self.is_app(base)

    def task(self, qualified: str | None) -> TaskSignature | None:
        """The signature of the task named ``qualified``, if it is one."""
        if qualified is None:
            return None
        return self.tasks.get(qualified)
