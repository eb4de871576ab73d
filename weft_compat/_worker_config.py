"""What a worker may load: task modules, `sys.path` entries and Django settings modules.

A call envelope is data: it names its task, and nothing in it makes a worker import a
module, extend `sys.path` or set Django up. What a worker loads is its configuration,
which the process that starts the worker hands over when it starts it (on the command
line of a pool master or mover, in the TaskSpec Weft runs for an isolated call):

- a pool master and its processes, a mover: the modules of the tasks the starting
  process has registered, the `sys.path` entries they came from, the `IMPORTS` setting
  (Celery's `imports` / `include`) and the starting process's Django settings module;
- an isolated call: the same for its own task, in the TaskSpec built from the task's
  registered template.

A worker finds a task only in its registry, after loading its configuration; a call
whose settings module is not one its configuration names is refused. A process that
enqueues a task an autostarted worker's configuration does not cover has that worker
replaced by one whose configuration does (see migration_guide/workers.md#imports).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from weft_compat import _registry
from weft_compat._config import current_settings
from weft_compat.exceptions import TaskNotRegistered

if TYPE_CHECKING:
    from weft_compat._task import WeftTask

__all__ = ["WorkerConfig", "deployment_config", "resolve_task", "task_config"]

_log = logging.getLogger("weft_compat")


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """The modules a worker imports, the `sys.path` entries it adds, the settings it may use."""

    imports: frozenset[str] = frozenset()
    path: frozenset[str] = frozenset()
    settings: frozenset[str] = frozenset()

    def covers(self, other: WorkerConfig) -> bool:
        """Whether a worker with this configuration can run what `other` needs."""
        return (
            other.imports <= self.imports
            and other.path <= self.path
            and other.settings <= self.settings
        )

    def union(self, *others: WorkerConfig) -> WorkerConfig:
        """This configuration and `others` at once."""
        imports, path, settings = set(self.imports), set(self.path), set(self.settings)
        for other in others:
            imports |= other.imports
            path |= other.path
            settings |= other.settings
        return WorkerConfig(frozenset(imports), frozenset(path), frozenset(settings))

    def to_data(self) -> dict[str, list[str]]:
        """The JSON form handed to a worker."""
        return {
            "imports": sorted(self.imports),
            "path": sorted(self.path),
            "settings": sorted(self.settings),
        }

    @classmethod
    def from_data(cls, data: Any) -> WorkerConfig:
        """Rebuild from `to_data()`'s form; anything else is an empty configuration."""
        if not isinstance(data, dict):
            return cls()
        return cls(*(_strings(data.get(key)) for key in ("imports", "path", "settings")))

    def extend_path(self) -> None:
        """Add the `sys.path` entries (before Django is set up: the project is there)."""
        for entry in sorted(self.path):
            if entry not in sys.path:
                sys.path.append(entry)

    def load(self) -> None:
        """Import the modules (after Django is set up: they may import models).

        A module that fails to import is logged; the others still load.
        """
        self.extend_path()
        for module in sorted(self.imports):
            try:
                importlib.import_module(module)
            except Exception:
                _log.exception("weft_compat: could not import task module %r", module)


def _strings(value: Any) -> frozenset[str]:
    if not isinstance(value, list):
        return frozenset()
    return frozenset(item for item in value if isinstance(item, str) and item)


def _settings_module() -> frozenset[str]:
    name = os.environ.get("DJANGO_SETTINGS_MODULE")
    return frozenset({name}) if name else frozenset()


def task_config(task: WeftTask[Any, Any]) -> WorkerConfig:
    """What a worker needs to run calls of `task` from this process."""
    module = task.func.__module__
    imports = frozenset(current_settings().IMPORTS) | {module}
    roots = {root for root in (_import_root(module),) if root is not None}
    return WorkerConfig(imports, frozenset(roots), _settings_module())


def deployment_config() -> WorkerConfig:
    """What a worker started by this process may load: every task this process registered."""
    modules = {task.func.__module__ for task in _registry.registered_tasks()}
    modules |= set(current_settings().IMPORTS)
    roots = {root for module in modules if (root := _import_root(module)) is not None}
    return WorkerConfig(frozenset(modules), frozenset(roots), _settings_module())


def _import_root(module_name: str) -> str | None:
    """The `sys.path` entry `module_name` was imported from, if it has been imported."""
    module = sys.modules.get(module_name)
    filename = getattr(module, "__file__", None)
    if filename is None:
        return None
    root = Path(filename).resolve().parent
    if Path(filename).name == "__init__.py":
        root = root.parent
    for _ in range(module_name.count(".")):
        root = root.parent
    return str(root)


def resolve_task(name: str) -> WeftTask[Any, Any]:
    """The task registered as `name` in this worker; never imports anything."""
    task = _registry.lookup(name)
    if task is not None:
        return task
    raise TaskNotRegistered(
        f"no task is registered as {name!r} in this worker, which imports only its "
        "configuration (the installed apps' tasks modules, the IMPORTS setting and the "
        "task modules of the process that started it); add the module that defines it "
        "to WEFT_COMPAT['IMPORTS'] (see migration_guide/workers.md#imports)"
    )
