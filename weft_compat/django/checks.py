"""`manage.py check` for a project moving off Celery: what would surprise it at run time.

- `weft_compat.W001`: a `CELERY_*` setting is still defined; weft_compat reads none of
  them (`weft-compat migrate` maps them, settings.md lists where each went).
- `weft_compat.W002`: a project module still imports `celery`.
- `weft_compat.W003`: a task names a queue that a non-empty `QUEUES` does not define
  (with `QUEUES` empty, every queue takes the defaults and nothing is reported).
- `weft_compat.E001`: the context directory cannot be created or written.
- `weft_compat.E002`: the periodic schedule (`BEAT_SCHEDULE`, `add_periodic_task`) is
  invalid: an unknown task, a bad field, an option the task refuses.
- `weft_compat.W004`: the task URLs are included but `AUTHORIZE` is unset, so they
  refuse every request.
- `weft_compat.W005`: `AUTHORIZE` is an owner policy (`owner_or_staff`, `owner_only`)
  but `CurrentUserMiddleware` is not in `MIDDLEWARE`, so calls record an owner only when
  enqueued with `.using(owner=...)`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import URLResolver, get_resolver

from weft_compat._config import context_path
from weft_compat._registry import registered_tasks
from weft_compat.beat._publish import validate_schedule
from weft_compat.django.conf import get_settings
from weft_compat.exceptions import WeftCompatError

__all__ = ["check_weft_compat"]

_CELERY_SETTING: Final = re.compile(r"^CELERY(D|BEAT)?_[A-Z_]+$")
_CELERY_IMPORT: Final = re.compile(rb"^\s*(?:from\s+celery[\s.]|import\s+celery\b)", re.M)
_URLS_MODULE: Final = "weft_compat.django.urls"
_OWNER_POLICIES: Final = frozenset(
    f"weft_compat.django.authorization{separator}{name}"
    for separator in ".:"
    for name in ("owner_or_staff", "owner_only")
)
_MIDDLEWARE: Final = "weft_compat.django.middleware.CurrentUserMiddleware"
_SETTINGS_GUIDE: Final = "see migration_guide/settings.md, or run weft-compat migrate"


@register(Tags.compatibility)
def check_weft_compat(app_configs: Sequence[AppConfig] | None, **_: Any) -> list[CheckMessage]:
    """Every check above, for the project's own apps (or `app_configs`)."""
    return [
        *_celery_settings(),
        *_celery_imports(app_configs),
        *_undefined_queues(),
        *_context(),
        *_schedule(),
        *_open_urls(),
        *_owners_unrecorded(),
    ]


def _celery_settings() -> Iterator[CheckMessage]:
    for name in sorted(dir(settings)):
        if _CELERY_SETTING.match(name):
            yield Warning(
                f"setting {name} is still defined, and weft_compat does not read it",
                hint=_SETTINGS_GUIDE,
                id="weft_compat.W001",
            )


def _celery_imports(app_configs: Sequence[AppConfig] | None) -> Iterator[CheckMessage]:
    for path in _project_files(app_configs):
        try:
            source = path.read_bytes()
        except OSError:
            continue
        if b"celery" not in source:
            continue
        for match in _CELERY_IMPORT.finditer(source):
            line = source.count(b"\n", 0, match.start()) + 1
            yield Warning(
                f"{path}:{line} still imports celery",
                hint="run weft-compat migrate on it (migration_guide/codemod.md)",
                id="weft_compat.W002",
            )


def _project_files(app_configs: Sequence[AppConfig] | None) -> Iterator[Path]:
    # The project's own apps only: installed packages (site-packages) are not the
    # project's to migrate.
    installed = {Path(p).resolve() for p in sys.path if p.endswith("-packages")}
    for config in app_configs or apps.get_app_configs():
        root = Path(config.path).resolve()
        if any(root.is_relative_to(prefix) for prefix in installed):
            continue
        if config.name.startswith(("weft_compat", "django.")):
            continue
        for directory, names, files in os.walk(root):
            names[:] = [n for n in names if not n.startswith(".") and n != "__pycache__"]
            yield from (Path(directory, f) for f in files if f.endswith(".py"))


def _undefined_queues() -> Iterator[CheckMessage]:
    queues = get_settings().QUEUES
    if not queues:
        return
    for task in registered_tasks():
        queue = task.options.queue
        if queue is not None and queue not in queues:
            yield Warning(
                f"task {task.name!r} names queue {queue!r}, which WEFT_COMPAT['QUEUES'] does "
                f"not define (defined: {', '.join(sorted(queues))})",
                hint="add the queue to QUEUES, or fix the task's queue= option",
                id="weft_compat.W003",
            )


def _context() -> Iterator[CheckMessage]:
    configured = context_path()
    if configured is None:
        return
    path = Path(configured)
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        where = "it" if existing == path else f"its parent {existing}"
        yield Error(
            f"the Weft context directory {configured!r} cannot be used: {where} is not a "
            "directory this process can write",
            hint="point WEFT_COMPAT['CONTEXT'] at a writable directory",
            id="weft_compat.E001",
        )


def _schedule() -> Iterator[CheckMessage]:
    try:
        validate_schedule()
    except WeftCompatError as exc:
        yield Error(
            f"the periodic schedule is invalid: {exc}",
            hint="fix the entry; see migration_guide/beat.md",
            id="weft_compat.E002",
        )


def _open_urls() -> Iterator[CheckMessage]:
    if get_settings().AUTHORIZE is not None or not _includes_urls(get_resolver().url_patterns):
        return
    yield Warning(
        f"{_URLS_MODULE} is included but WEFT_COMPAT['AUTHORIZE'] is unset, so its URLs "
        "refuse every request",
        hint="set AUTHORIZE, e.g. 'weft_compat.django.authorization.staff_only' "
        "(migration_guide/results.md#task-urls)",
        id="weft_compat.W004",
    )


def _owners_unrecorded() -> Iterator[CheckMessage]:
    policy = get_settings().AUTHORIZE
    if policy not in _OWNER_POLICIES or _MIDDLEWARE in getattr(settings, "MIDDLEWARE", ()):
        return
    yield Warning(
        f"WEFT_COMPAT['AUTHORIZE'] is {policy!r}, but {_MIDDLEWARE} is not in MIDDLEWARE, "
        "so calls enqueued in views record no owner and their users cannot follow them",
        hint="add it after django.contrib.auth.middleware.AuthenticationMiddleware, or "
        "enqueue with .using(owner=...) (migration_guide/results.md#owners)",
        id="weft_compat.W005",
    )


def _includes_urls(patterns: Sequence[Any]) -> bool:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            module = getattr(pattern.urlconf_module, "__name__", pattern.urlconf_name)
            if module == _URLS_MODULE or _includes_urls(pattern.url_patterns):
                return True
    return False
