"""The project index: which qualified names are Celery apps and tasks, across modules.

Built once from every file's facts, then shared read-only with the rewrite pass,
so ``from .tasks import send`` in a view resolves to the task defined elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from weft_compat.codemod.bodies import UNKNOWN_SIGNATURE, ClassBody, InnerCall
from weft_compat.codemod.decorator_plan import DecoratorPlan, Option, class_plan, plan
from weft_compat.codemod.facts import (
    Binding,
    DecoratedFunction,
    ModuleFacts,
    TaskSignature,
)
from weft_compat.codemod.settings_home import AppsPlan, plan_installed_apps

TASK_DECORATORS = frozenset(
    {
        "celery.shared_task",
        "celery.app.shared_task",
        "weft_compat.weft_task",
    }
)
CURRENT_APP = frozenset({"celery.current_app", "celery._state.current_app"})
# Celery's own task base class (``app.Task`` is the app's), and weft_compat's, so a
# class the codemod moved is still a task class when it runs again.
CELERY_TASK_CLASSES = frozenset({"celery.Task", "weft_compat.WeftTaskBase"})
_CANONICAL_APP_CLASSES = frozenset({"celery.Celery"})
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
    "weft_compat._taskclass.WeftTaskBase": "weft_compat.WeftTaskBase",
    "weft_compat.beat._crontab.crontab": "weft_compat.crontab",
    "weft_compat.beat._code.add_beat_schedule": "weft_compat.add_beat_schedule",
    "weft_compat.beat._code.add_periodic_task": "weft_compat.add_periodic_task",
}
_MAX_ALIAS_HOPS = 8


@dataclass(frozen=True)
class TaskClass:
    """A class deriving from Celery's Task: whether the codemod moves it onto
    WeftTaskBase (else why not), the attributes it drops, and its ``run``."""

    weft: bool
    reason: str = ""
    dropped: tuple[str, ...] = ()
    run: TaskSignature | None = None
    name: str | None = None


# What a call passes for a helper's parameter: a qualified name, or None (unknown).
Passed = str | None
_SHOWN_SITES = 3


@dataclass(frozen=True)
class Site:
    """One call of a helper: where, and what it passes for each dispatched parameter."""

    path: str
    line: int
    passed: tuple[tuple[str, Passed], ...]


@dataclass
class Helper:
    """A function dispatching the tasks given in ``params``, with its call sites."""

    params: tuple[str, ...]
    positions: dict[str, int]
    methods: tuple[str, ...]
    sites: list[Site] = field(default_factory=list)

    def signature(self, index: ProjectIndex, param: str) -> TaskSignature | None:
        """What the tasks reaching ``param`` accept in common, when every call passes a
        task that becomes a weft task; None otherwise."""
        tasks = [dict(site.passed).get(param) for site in self.sites]
        if not tasks or any(task is None or task not in index.tasks for task in tasks):
            return None
        signatures = [index.tasks[task] for task in tasks if task is not None]
        common = set(signatures[0].params).intersection(*(s.params for s in signatures[1:]))
        return TaskSignature(
            params=tuple(p for p in signatures[0].params if p in common),
            var_keyword=all(s.var_keyword for s in signatures),
            var_positional=any(s.var_positional for s in signatures),
        )

    def why_not(self, index: ProjectIndex) -> str:
        """Why the dispatch inside is not rewritten, naming the call sites."""
        if not self.sites:
            return "no call of it in the tree passes it a task the codemod knows"
        unknown = [
            site
            for site in self.sites
            if any(task is None or task not in index.tasks for _, task in site.passed)
        ]
        shown = ", ".join(
            f"{site.path}:{site.line} ({_passed(site, index)})" for site in unknown[:_SHOWN_SITES]
        )
        more = len(unknown) - _SHOWN_SITES
        tail = f" and {more} more" if more > 0 else ""
        return f"not every call passes a task that becomes a weft task: {shown}{tail}"


def _passed(site: Site, index: ProjectIndex) -> str:
    parts = []
    for param, task in site.passed:
        if task is None:
            parts.append(f"{param}= is not a name the codemod can follow")
        elif task in index.celery_tasks:
            parts.append(f"{task.rpartition('.')[2]} stays on Celery")
        elif task not in index.tasks:
            parts.append(f"{task.rpartition('.')[2]} is not a task the codemod found")
    return "; ".join(parts) or "passes known tasks"


@dataclass(frozen=True)
class Wrapper:
    """A project function that makes tasks by calling a task decorator inside: whether
    the codemod moves it onto ``weft_task`` (else why not)."""

    weft: bool
    reason: str = ""


def _overriders(facts_list: list[ModuleFacts]) -> dict[str, tuple[str, ...]]:
    """For each star-imported module, the modules that star-import it, directly or
    through each other, and replace WEFT_COMPAT (see ``weft_compat_overriders``)."""
    importers: dict[str, set[str]] = {}
    for facts in facts_list:
        for imported in facts.star_imports:
            importers.setdefault(imported, set()).add(facts.module)
    if not importers:
        return {}
    replacing = {facts.module for facts in facts_list if facts.replaces_weft_compat}
    found: dict[str, tuple[str, ...]] = {}
    for module in importers:
        reached: set[str] = set()
        pending = [module]
        while pending:
            for importer in importers.get(pending.pop(), ()):
                if importer not in reached:
                    reached.add(importer)
                    pending.append(importer)
        if reached & replacing:
            found[module] = tuple(sorted(reached & replacing))
    return found


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
    # Task classes (see TaskClass), project functions that make tasks (Wrapper), and
    # functions returning a Celery app (``create_app()``).
    task_classes: dict[str, TaskClass] = field(default_factory=dict)
    wrappers: dict[str, Wrapper] = field(default_factory=dict)
    app_factories: set[str] = field(default_factory=set)
    # Decorators shaped like a task decorator that the index does not recognise
    # (``broker.task`` on an unknown ``broker``): rules report them.
    unknown_decorators: set[str] = field(default_factory=set)
    # Every module-level class of the tree (an object of one is no JSON value).
    classes: set[str] = field(default_factory=set)
    # Functions that dispatch a task they are given, with their call sites (``helpers``).
    helpers: dict[str, Helper] = field(default_factory=dict)
    # Every value the settings modules give CELERY_TASK_EAGER_PROPAGATES (None: computed).
    eager_propagates: frozenset[bool | None] = frozenset()
    # ``module.name`` spellings of an AsyncResult import that the rewrite of that module
    # replaces everywhere.
    from_tid_names: frozenset[str] = frozenset()
    # For a module other modules star-import (a base settings module), the modules
    # that get its names that way, directly or through others, and then bind a
    # WEFT_COMPAT of their own that does not spread the one they got.
    weft_compat_overriders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Which settings modules' INSTALLED_APPS get weft_compat's Django app (WC116).
    installed_apps: AppsPlan = field(default_factory=AppsPlan)
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
        index.classes = {
            index.canonical(_join(facts.module, name))
            for facts in facts_list
            for name in facts.classes
        }
        index._find_apps(facts_list)
        index._find_task_classes(facts_list)
        index._find_wrappers(facts_list)
        for facts in facts_list:
            for name, function in facts.functions.items():
                index._add_task(index.canonical(_join(facts.module, name)), function)
                index.unknown_decorators.update(
                    index.canonical(d)
                    for d in function.decorators
                    if unrecognised_task_decorator(index, d)
                )
            for name, binding in facts.bindings.items():
                index._add_binding(facts, _join(facts.module, name), binding)
        index.eager_propagates = frozenset(
            value for facts in facts_list for value in facts.eager_propagates
        )
        index.from_tid_names = frozenset(
            _join(facts.module, name) for facts in facts_list for name in facts.from_tid_names
        )
        index.weft_compat_overriders = _overriders(facts_list)
        uses_celery = bool(index.apps or index.tasks or index.celery_tasks)
        index.installed_apps = plan_installed_apps(facts_list, uses_celery)
        return index

    def _find_apps(self, facts_list: list[ModuleFacts]) -> None:
        """Apps made otherwise than by ``Celery(...)`` itself: by a subclass of Celery, or
        by a function returning one (``app = create_app()``), found to a fixed point."""
        app_classes = set(_CANONICAL_APP_CLASSES)
        makers: set[str] = set()
        changed = True
        while changed:
            changed = False
            for facts in facts_list:
                for name, body in facts.classes.items():
                    qualified = self.canonical(_join(facts.module, name))
                    if qualified not in app_classes and any(
                        self.canonical(base) in app_classes for base in body.bases
                    ):
                        app_classes.add(qualified)
                        changed = True
                for name, function in facts.bodies.items():
                    qualified = self.canonical(_join(facts.module, name))
                    if qualified not in makers and any(
                        self.canonical(r) in app_classes or self.canonical(r) in makers
                        for r in function.returns
                    ):
                        makers.add(qualified)
                        changed = True
        self.app_factories = makers
        for facts in facts_list:
            for name, binding in facts.bindings.items():
                callee = self.canonical(binding.callee)
                if callee in app_classes or callee in makers:
                    self.apps.add(self.canonical(_join(facts.module, name)))

    def _is_task_root(self, base: str) -> bool:
        """Whether ``base`` is Celery's Task class itself, or an app's (``app.Task``)."""
        if base in CELERY_TASK_CLASSES:
            return True
        owner, _, attribute = base.rpartition(".")
        return attribute == "Task" and bool(owner) and self.is_app(owner)

    def _find_task_classes(self, facts_list: list[ModuleFacts]) -> None:
        """Classes deriving from Celery's Task, directly or through each other, across
        modules; a class moves onto WeftTaskBase when its attributes and its task bases do."""
        bodies = {
            self.canonical(_join(facts.module, name)): body
            for facts in facts_list
            for name, body in facts.classes.items()
        }
        bases = {
            name: [self.canonical(base) for base in body.bases] for name, body in bodies.items()
        }
        found: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, own in bases.items():
                if name not in found and any(b in found or self._is_task_root(b) for b in own):
                    found.add(name)
                    changed = True
        # Decide each class after its task bases.
        while changed or len(self.task_classes) < len(found):
            changed = False
            for name in sorted(found - set(self.task_classes)):
                parents = [base for base in bases[name] if base in found]
                if all(parent in self.task_classes for parent in parents):
                    self.task_classes[name] = self._task_class(bodies[name], parents)
                    changed = True
            if not changed:
                for name in found - set(self.task_classes):
                    self.task_classes[name] = TaskClass(False, "its bases derive from each other")

    def _task_class(self, body: ClassBody, parents: list[str]) -> TaskClass:
        decision = class_plan(body.attributes)
        run = body.run
        name = body.task_name
        for parent in parents:
            inherited = self.task_classes[parent]
            run = run or inherited.run
            name = name or inherited.name
            if not inherited.weft:
                reason = f"it derives from {parent.rpartition('.')[2]}, which stays on Celery"
                return TaskClass(False, reason, run=run, name=name)
        if decision.keeps_celery:
            return TaskClass(False, decision.reason(), run=run, name=name)
        return TaskClass(True, dropped=decision.dropped, run=run, name=name)

    def is_weft_class(self, qualified: str) -> bool:
        """Whether ``qualified`` is a task class the codemod moves onto WeftTaskBase."""
        found = self.task_classes.get(self.canonical(qualified))
        return found is not None and found.weft

    def _find_wrappers(self, facts_list: list[ModuleFacts]) -> None:
        """Project functions that call a task decorator (or another such function) inside,
        and whether each moves onto ``weft_task``: its own call's options and every
        option its users pass must carry over."""
        found: dict[str, list[InnerCall]] = {}
        changed = True
        while changed:
            changed = False
            for facts in facts_list:
                for name, body in facts.bodies.items():
                    qualified = self.canonical(_join(facts.module, name))
                    if qualified in found:
                        continue
                    calls = [
                        call
                        for call in body.decorator_calls
                        if self._makes_tasks(self.canonical(call.callee), found)
                    ]
                    if calls:
                        found[qualified] = list(calls)
                        changed = True
        uses: dict[str, list[tuple[Option, ...]]] = {name: [] for name in found}
        for facts in facts_list:
            for function in facts.functions.values():
                for decorator, options in zip(function.decorators, function.options, strict=True):
                    canonical = self.canonical(decorator)
                    if canonical in uses:
                        uses[canonical].append(options)
            for binding in facts.bindings.values():
                canonical = self.canonical(binding.callee)
                if canonical in uses:
                    uses[canonical].append(binding.options)
        # Decide callees first: a wrapper of a wrapper follows the inner one.
        for _ in range(len(found) + 1):
            for qualified, calls in found.items():
                self.wrappers[qualified] = self._wrapper(calls, uses[qualified])

    def _makes_tasks(self, callee: str, wrappers: dict[str, list[InnerCall]]) -> bool:
        return callee in wrappers or self.is_task_decorator(callee)

    def _wrapper(self, calls: list[InnerCall], uses: list[tuple[Option, ...]]) -> Wrapper:
        for call in calls:
            callee = self.canonical(call.callee)
            inner = self.wrappers.get(callee)
            if inner is not None and not inner.weft:
                return Wrapper(False, f"it calls {callee.rpartition('.')[2]}, {inner.reason}")
            if call.changes_options:
                return Wrapper(False, "it changes the options it passes on to the decorator")
            decision = plan(call.options, self.is_weft_class)
            if decision.keeps_celery:
                return Wrapper(False, decision.reason())
        for options in uses:
            decision = plan(options, self.is_weft_class)
            if decision.keeps_celery:
                return Wrapper(False, f"one of its uses passes {decision.reason()}")
        return Wrapper(True)

    def _add_task(self, qualified: str, function: DecoratedFunction) -> None:
        for decorator, options in zip(function.decorators, function.options, strict=True):
            canonical = self.canonical(decorator)
            wrapper = self.wrappers.get(canonical)
            if wrapper is not None:
                if wrapper.weft:
                    self.tasks[qualified] = function.signature
                else:
                    self.celery_tasks[qualified] = wrapper_reason(canonical, wrapper)
                return
            if not self.is_task_decorator(decorator):
                continue
            decision = self.plan(options)
            if decorator != "weft_compat.weft_task" and decision.keeps_celery:
                self.celery_tasks[qualified] = decision.reason()
            else:
                self.tasks[qualified] = function.signature
            return

    def plan(self, options: tuple[Option, ...] | list[Option]) -> DecoratorPlan:
        """The decorator plan for ``options``, with this index's task classes."""
        return plan(options, self.is_weft_class)

    def _add_binding(self, facts: ModuleFacts, name: str, binding: Binding) -> None:
        """``send = app.task(send_impl)``, ``send = tasks.task(bind=True)(impl)`` and
        ``send = app.register_task(Send())``: a task registered by a call."""
        qualified = self.canonical(name)
        callee = self.canonical(binding.callee)
        if callee.endswith(".register_task") and self.is_app(callee.rpartition(".")[0]):
            self._add_registration(qualified, binding)
            return
        wrapper = self.wrappers.get(callee)
        if wrapper is None and not self.is_task_decorator(callee):
            return
        signature = self._signature_of(facts, binding)
        if wrapper is not None:
            if wrapper.weft:
                self.tasks[qualified] = signature
            else:
                self.celery_tasks[qualified] = wrapper_reason(callee, wrapper)
            return
        decision = self.plan(binding.options)
        if callee != "weft_compat.weft_task" and decision.keeps_celery:
            self.celery_tasks[qualified] = decision.reason()
        else:
            self.tasks[qualified] = signature

    def _signature_of(self, facts: ModuleFacts, binding: Binding) -> TaskSignature:
        function = binding.function
        local = function.rpartition(".")[2] if function else None
        body = facts.bodies.get(local) if local else None
        if body is None:
            return UNKNOWN_SIGNATURE
        bound = any(name == "bind" for name, _ in binding.options)
        params = body.signature.params[1:] if bound else body.signature.params
        return TaskSignature(
            params=params,
            var_keyword=body.signature.var_keyword,
            var_positional=body.signature.var_positional,
        )

    def _add_registration(self, qualified: str, binding: Binding) -> None:
        cls = self.task_classes.get(self.canonical(binding.instance_of or ""))
        if cls is None:
            return
        if cls.weft:
            self.tasks[qualified] = cls.run or UNKNOWN_SIGNATURE
        else:
            self.celery_tasks[qualified] = f"its class stays on Celery: {cls.reason}"

    def celery_tasks_of(self, facts: ModuleFacts) -> str | None:
        """Why some task (or task class) of the module stays in Celery form, if one does:
        kept by an option, or made by a decorator the index does not recognise."""
        prefix = f"{facts.module}." if facts.module else ""
        for name in sorted(self.celery_tasks):
            local = name.removeprefix(prefix)
            if name.startswith(prefix) and "." not in local:
                return f"task {local} stays on Celery ({self.celery_tasks[name]})"
        for name in sorted(facts.classes):
            found = self.task_classes.get(self.canonical(_join(facts.module, name)))
            if found is not None and not found.weft:
                return f"task class {name} stays on Celery ({found.reason})"
        for name, function in sorted(facts.functions.items()):
            for decorator in function.decorators:
                if unrecognised_task_decorator(self, decorator):
                    return f"task {name}'s decorator {decorator} is not one the codemod knows"
        return None

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
            names = (
                *self.aliases,
                *self.tasks,
                *self.celery_tasks,
                *self.apps,
                *self.unknown_decorators,
            )
            for name in names:
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
        if qualified in TASK_DECORATORS or qualified in self.wrappers:
            return True
        base, _, attr = qualified.rpartition(".")
        return attr == "task" and bool(base) and self.is_app(base)

    def task(self, qualified: str | None) -> TaskSignature | None:
        """The signature of the task named ``qualified``, if it is one."""
        if qualified is None:
            return None
        return self.tasks.get(qualified)


def wrapper_reason(qualified: str, wrapper: Wrapper) -> str:
    """Why tasks made by the project function ``qualified`` stay on Celery."""
    return (
        f"it is made by {qualified.rpartition('.')[2]}(), which stays on Celery: {wrapper.reason}"
    )


def unrecognised_task_decorator(index: ProjectIndex, qualified: str) -> bool:
    """Whether ``qualified`` looks like a task decorator the index does not recognise:
    ``x.task`` on something not known as an app, or Celery 3's ``celery.task`` ones."""
    canonical = index.canonical(qualified)
    if index.is_task_decorator(canonical):
        return False
    if canonical in CELERY_3_DECORATORS:
        return True
    owner, _, attribute = canonical.rpartition(".")
    return attribute in ("task", "shared_task") and bool(owner)


# Celery 3's decorators, gone from Celery 5.
CELERY_3_DECORATORS = frozenset(
    {"celery.task", "celery.task.task", "celery.task.periodic_task", "celery.decorators.task",
     "celery.decorators.periodic_task"}
)  # fmt: skip
