"""Generate a Celery-heavy Django project, deterministically from a seed.

The layout is the one ``django-admin startproject`` and cookiecutter-django lead to:
``config/`` (settings for base, production and tests, the Celery app module, its
package import), then one package per app under ``apps/`` with models, migrations,
admin, forms, serializers, URLs, views, services, signals, management commands and
tests, and, for most apps, a tasks module (a ``tasks/`` package for the big ones).
Views, signals, services, admin actions, commands and tests call the tasks of their
own app and of others (``.delay``, ``apply_async``, ``on_commit``, ``AsyncResult``,
``send_task``, canvas), tests patch them and override ``CELERY_TASK_ALWAYS_EAGER``;
see ``celery_code`` for the proportions. About a fifth of the files mention Celery,
as in the projects the codemod is meant for (10-25 %).

    python -m benchmarks.celery_tree DIRECTORY [--apps N] [--seed N]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.celery_code import BEAT_ENTRY, CELERY_APP, SCHEDULES, TASK_BASE, Celery, Task
from benchmarks.django_modules import (
    Inserts,
    admin_module,
    apps_module,
    command_module,
    forms_module,
    migration_module,
    models_module,
    plain_module,
    serializers_module,
    suite_module,
    urls_module,
    views_module,
)
from benchmarks.plain_code import NOUNS, QUALIFIERS, Code
from weft_compat.codemod.sources import might_use_celery

DEFAULT_APPS = 190
DEFAULT_SEED = 19


@dataclass
class Tree:
    """What was written: every file's text by path."""

    files: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, text: str) -> None:
        self.files[path] = text

    @property
    def lines(self) -> int:
        return sum(text.count("\n") for text in self.files.values())


@dataclass
class _App:
    name: str
    models: list[str]
    tasks: list[Task]
    style: str


def _importer(
    caller_app: str, depth: int, tasks: Sequence[Task], rng: random.Random
) -> tuple[list[str], list[str]]:
    """Import lines for ``tasks`` as seen from a module of ``caller_app`` ``depth``
    packages below the app's, and how each task is referred to there."""
    module = tasks[0].module
    local = tasks[0].app == caller_app and module == f"apps.{caller_app}.tasks"
    dots = "." * (depth + 1)
    pick = rng.randrange(4)
    if pick == 0 and local:
        return [f"from {dots} import tasks"], [f"tasks.{task.name}" for task in tasks]
    if pick == 1:
        package, _, leaf = module.rpartition(".")
        alias = f"{tasks[0].app}_tasks" if leaf == "tasks" else f"{tasks[0].app}_{leaf}_tasks"
        return [f"from {package} import {leaf} as {alias}"], [
            f"{alias}.{task.name}" for task in tasks
        ]
    names = ", ".join(task.name for task in tasks)
    source = f"{dots}tasks" if local and rng.random() < 0.5 else module
    return [f"from {source} import {names}"], [task.name for task in tasks]


class _Writer:
    def __init__(self, apps: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.code = Code(self.rng)
        self.celery = Celery(self.code)
        self.tree = Tree()
        self.apps: list[_App] = []
        names: list[str] = []
        while len(names) < apps:
            name = self.rng.choice(NOUNS) + ("s" if self.rng.random() < 0.5 else "")
            if self.rng.random() < 0.3:
                name = f"{self.rng.choice(QUALIFIERS)}_{name}"
            if name not in names:
                names.append(name)
        for name in names:
            models = list(
                dict.fromkeys(self.code.model() for _ in range(self.rng.randrange(2, 12)))
            )
            style = "shared_task" if self.rng.random() < 0.8 else "app.task"
            self.apps.append(_App(name, models, [], style))
        for app in self.apps:
            roll = self.rng.random()
            if roll < 0.7:
                app.tasks = self.celery.plan_tasks(
                    app.name, f"apps.{app.name}.tasks", self.rng.randrange(2, 9), app.style
                )
            elif roll < 0.82:
                for leaf in self.rng.sample(
                    ["emails", "sync", "reports", "cleanup", "imports"], k=self.rng.randrange(2, 4)
                ):
                    module = f"apps.{app.name}.tasks.{leaf}"
                    app.tasks += self.celery.plan_tasks(
                        app.name, module, self.rng.randrange(2, 7), app.style
                    )

    def callers(
        self, app: _App, count: int, depth: int = 0
    ) -> tuple[list[str], list[tuple[str, Task]]]:
        """Imports and task references for ``count`` calls, mostly of ``app``'s own tasks,
        from a module ``depth`` packages below the app's."""
        rng = self.rng
        imports: list[str] = []
        refs: list[tuple[str, Task]] = []
        with_tasks = [other for other in self.apps if other.tasks]
        for _ in range(count):
            owner = app if app.tasks and rng.random() < 0.7 else rng.choice(with_tasks)
            module = rng.choice(sorted({task.module for task in owner.tasks}))
            chosen = [t for t in owner.tasks if t.module == module]
            chosen = rng.sample(chosen, k=min(len(chosen), rng.randrange(1, 3)))
            lines, names = _importer(app.name, depth, chosen, rng)
            imports += lines
            refs += list(zip(names, chosen, strict=True))
        return imports, refs

    def dispatches(
        self, refs: Sequence[tuple[str, Task]], on_commit: float, names: Sequence[str] = ()
    ) -> list[list[str]]:
        return [
            self.celery.dispatch(
                ref, task.params, on_commit=self.rng.random() < on_commit, names=names
            )
            for ref, task in refs
        ]

    def write_app(self, app: _App) -> None:
        rng, code, tree = self.rng, self.code, self.tree
        root = f"apps/{app.name}"
        for package in ("", "/migrations", "/tests", "/management", "/management/commands"):
            tree.add(f"{root}{package}/__init__.py", "")
        tree.add(f"{root}/apps.py", apps_module(app.name))
        tree.add(f"{root}/models.py", models_module(code, app.name, app.models))
        for number in range(1, rng.randrange(3, 18)):
            tree.add(
                f"{root}/migrations/{number:04d}_auto.py",
                migration_module(code, app.name, number, app.models),
            )
        if rng.random() < 0.6:
            tree.add(f"{root}/forms.py", forms_module(code, app.name, app.models))
        calls = bool(app.tasks) or rng.random() < 0.4
        # Admin actions and serializers sometimes send work off.
        imports, refs = self.callers(app, 1) if calls and rng.random() < 0.2 else ([], [])
        admin = admin_module(
            code, app.name, app.models, self.dispatches(refs, 0.0, ["obj"]), imports
        )
        tree.add(f"{root}/admin.py", admin)
        if rng.random() < 0.6:
            imports, refs = self.callers(app, 1) if calls and rng.random() < 0.15 else ([], [])
            inserts = self.dispatches(refs, 0.5, ["instance"])
            tree.add(
                f"{root}/serializers.py",
                serializers_module(code, app.name, app.models, inserts, imports),
            )
        self.write_views(app, calls)
        for kind in ("services", "selectors", "utils", "constants", "permissions"):
            if rng.random() < {"services": 0.8, "selectors": 0.5, "utils": 0.6}.get(kind, 0.3):
                dispatching = kind == "services" and calls and rng.random() < 0.6
                imports, refs = self.callers(app, rng.randrange(1, 4)) if dispatching else ([], [])
                inserts = self.dispatches(refs, 0.4, [app.models[0].lower()])
                tree.add(
                    f"{root}/{kind}.py",
                    plain_module(
                        code,
                        f"{kind.title()} of {app.name}.",
                        code.sized(7),
                        inserts,
                        [*imports, "from functools import partial"],
                    ),
                )
        imports, refs = (
            self.callers(app, rng.randrange(1, 3)) if calls and rng.random() < 0.6 else ([], [])
        )
        self.write_signals(app, imports, refs)
        for _ in range(rng.randrange(0, 4)):
            imports, refs = self.callers(app, 1, 2) if calls and rng.random() < 0.4 else ([], [])
            tree.add(
                f"{root}/management/commands/{code.action()}.py",
                command_module(code, app.name, self.dispatches(refs, 0.0, ["options"]), imports),
            )
        self.write_tasks(app)
        self.write_tests(app, calls)

    def write_views(self, app: _App, calls: bool) -> None:
        rng, code, tree = self.rng, self.code, self.tree
        modules = (
            ["views"]
            if rng.random() < 0.8
            else [
                f"views/{leaf}"
                for leaf in rng.sample(
                    ["api", "pages", "exports", "webhooks", "dashboard"], k=rng.randrange(2, 5)
                )
            ]
        )
        if len(modules) > 1:
            tree.add(
                f"apps/{app.name}/views/__init__.py",
                "".join(f"from .{m.split('/')[1]} import *  # noqa: F403\n" for m in modules),
            )
        all_views: list[str] = []
        for module in modules:
            dispatching = calls and rng.random() < 0.7
            depth = module.count("/")
            imports, refs = (
                self.callers(app, rng.randrange(1, 4), depth) if dispatching else ([], [])
            )
            inserts = self.dispatches(refs, 0.35, [app.models[0].lower(), "pk", "request.user"])
            if dispatching and rng.random() < 0.25:
                inserts.append(self.celery.status_read())
                imports.append("from celery.result import AsyncResult")
            if dispatching and rng.random() < 0.08:
                inserts.append(["app.control.revoke(task_id, terminate=True)"])
                imports.append("from config.celery import app")
            if dispatching and rng.random() < 0.04:
                inserts.append([f'current_app.send_task("{app.name}.{code.action()}", args=[pk])'])
                imports.append("from celery import current_app")
            text, names = views_module(
                code,
                app.name,
                app.models,
                max(2, code.sized(8)),
                inserts,
                [*imports, "from functools import partial"],
            )
            tree.add(
                f"apps/{app.name}/{module}.py",
                text.replace("from .models", "from ..models") if "/" in module else text,
            )
            all_views += names
        tree.add(f"apps/{app.name}/urls.py", urls_module(app.name, all_views or ["index"]))

    def write_signals(
        self, app: _App, imports: list[str], refs: Sequence[tuple[str, Task]]
    ) -> None:
        code = self.code
        body = ["", "", *imports, "", "logger = logging.getLogger(__name__)"]
        for model in app.models[: self.rng.randrange(1, 4)]:
            inserts = (
                self.dispatches(refs, 0.8, ["instance"]) if refs and model == app.models[0] else []
            )
            params = ["sender", "instance", "created=False", "**kwargs"]
            body += [
                "",
                "",
                *code.function(
                    f"on_{model.lower()}_saved",
                    params,
                    size=code.sized(3),
                    decorators=[f"receiver(post_save, sender={model})"],
                    inserts=inserts,
                    annotated=False,
                ),
            ]
        header = [
            f'"""Signal receivers of {app.name}."""',
            "",
            "from __future__ import annotations",
            "",
            "import logging",
            "from datetime import timedelta",
            "from functools import partial",
            "",
        ]
        header += [
            "from django.db import transaction",
            "from django.db.models.signals import post_save",
            "from django.dispatch import receiver",
            "from django.utils import timezone",
            "",
            f"from .models import {', '.join(app.models)}",
        ]
        self.tree.add(f"apps/{app.name}/signals.py", "\n".join([*header, *body]) + "\n")

    def write_tasks(self, app: _App) -> None:
        if not app.tasks:
            return
        modules = sorted({task.module for task in app.tasks})
        for module in modules:
            mine = [task for task in app.tasks if task.module == module]
            depth = module.count(".") - 2
            imports, refs = self.callers(app, 1, depth) if self.rng.random() < 0.3 else ([], [])
            others = [(ref, task) for ref, task in refs if task.module != module]
            if len(others) != len(refs):  # a module does not import its own tasks
                others, imports = [], []
            text = self.celery.tasks_module(app.name, mine, app.style, others, imports)
            self.tree.add(module.replace(".", "/") + ".py", text)
        if len(modules) > 1:
            lines = [
                f"from .{module.rpartition('.')[2]} import "
                + ", ".join(t.name for t in app.tasks if t.module == module)
                for module in modules
            ]
            self.tree.add(
                f"apps/{app.name}/tasks/__init__.py",
                '"""The tasks of ' + app.name + '."""\n\n' + "\n".join(lines) + "\n",
            )

    def write_tests(self, app: _App, calls: bool) -> None:
        rng, code, celery = self.rng, self.code, self.celery
        root = f"apps/{app.name}/tests"
        for kind in rng.sample(
            ["models", "views", "api", "services", "forms", "permissions"], k=rng.randrange(1, 5)
        ):
            cases: list[tuple[Sequence[str], Inserts]] = [
                ((), ()) for _ in range(rng.randrange(1, 5))
            ]
            imports: list[str] = []
            if calls and kind in ("views", "api", "services") and rng.random() < 0.7:
                refs = self.callers(app, 1, 1)[1]
                task = refs[0][1]
                cases[0] = ((), celery.test_inserts(task, task.module, eager=False))
                imports.append(f"from {task.module} import {task.name}")
            tree_text = suite_module(code, app.name, app.models, cases, imports)
            self.tree.add(f"{root}/test_{kind}.py", tree_text)
        if app.tasks:
            eager = rng.random() < 0.6
            decorators = ["override_settings(CELERY_TASK_ALWAYS_EAGER=True)"] if eager else []
            if eager and rng.random() < 0.3:
                decorators = [
                    "override_settings(\n"
                    "    CELERY_TASK_ALWAYS_EAGER=True, CELERY_TASK_EAGER_PROPAGATES=True\n"
                    ")"
                ]
            chosen = rng.sample(app.tasks, k=min(len(app.tasks), rng.randrange(1, 5)))
            cases = [
                (
                    decorators,
                    [
                        insert
                        for task in chosen[i::2]
                        for insert in celery.test_inserts(task, task.module, eager)
                    ],
                )
                for i in range(2)
            ]
            imports = [f"from {task.module} import {task.name}" for task in chosen]
            self.tree.add(
                f"{root}/test_tasks.py", suite_module(code, app.name, app.models, cases, imports)
            )

    def write_project(self) -> None:
        rng, tree = self.rng, self.tree
        tree.add("manage.py", MANAGE)
        tree.add(
            "config/__init__.py",
            'from .celery import app as celery_app\n\n__all__ = ("celery_app",)\n',
        )
        every = [(task, app) for app in self.apps for task in app.tasks]
        beat = "".join(
            BEAT_ENTRY.format(
                key=task.name.replace("_", "-"),
                task=f"{task.module}.{task.name}",
                schedule=rng.choice(SCHEDULES),
            )
            for task, _ in rng.sample(every, k=min(len(every), 12))
        )
        tree.add(
            "config/celery.py",
            CELERY_APP.format(beat=beat).replace(
                "from celery.schedules import crontab",
                "from datetime import timedelta\n\nfrom celery.schedules import crontab",
            ),
        )
        tree.add("config/settings/__init__.py", "")
        tree.add("config/settings/base.py", _settings(self.apps, rng))
        tree.add(
            "config/settings/production.py",
            PRODUCTION,
        )
        tree.add(
            "config/settings/test.py",
            TEST_SETTINGS,
        )
        tree.add("config/urls.py", _urls(self.apps))
        tree.add("config/wsgi.py", WSGI)
        tree.add("apps/__init__.py", "")
        tree.add("apps/common/__init__.py", "")
        tree.add("apps/common/tasks_base.py", TASK_BASE)

    def write(self) -> Tree:
        self.write_project()
        for app in self.apps:
            self.write_app(app)
        return self.tree


def _settings(apps: Sequence[_App], rng: random.Random) -> str:
    installed = "".join(f'    "apps.{app.name}",\n' for app in apps)
    schedule = ""
    for app in apps[:6]:
        for task in app.tasks[:1]:
            when = f"crontab(minute={rng.randrange(60)})"
            entry = f'"task": "{task.module}.{task.name}", "schedule": {when}'
            schedule += f'    "{task.name}": {{{entry}}},\n'
    return SETTINGS.format(installed=installed, schedule=schedule)


def _urls(apps: Sequence[_App]) -> str:
    routes = "".join(f'    path("{app.name}/", include("apps.{app.name}.urls")),\n' for app in apps)
    return URLS.format(routes=routes)


PRODUCTION = """from .base import *  # noqa: F403

DEBUG = False
CELERY_BROKER_URL = env("REDIS_URL")  # noqa: F405
CELERY_TASK_ACKS_LATE = True
"""
TEST_SETTINGS = """from .base import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
"""
URLS = """from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
{routes}]
"""
MANAGE = """#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""
WSGI = """import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
"""
SETTINGS = '''"""Settings shared by every environment."""

from pathlib import Path

import environ
from celery.schedules import crontab

env = environ.Env()
BASE_DIR = Path(__file__).resolve().parents[2]
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_celery_results",
    "django_celery_beat",
{installed}]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "config.urls"
DATABASES = {{"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}}
LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
    "root": {{"handlers": ["console"], "level": "INFO"}},
}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://localhost:6379/0")
CELERY_RESULT_BACKEND = "django-db"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {{
{schedule}}}
'''


def celery_share(tree: Tree) -> float:
    """The share of files that mention Celery (any spelling a rule starts from)."""
    hits = sum(might_use_celery(text.encode()) for text in tree.files.values())
    return hits / len(tree.files)


def generate(root: Path, apps: int = DEFAULT_APPS, seed: int = DEFAULT_SEED) -> Tree:
    """Write the project under ``root``; returns what was written."""
    tree = _Writer(apps, seed).write()
    for name, text in tree.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tree


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--apps", type=int, default=DEFAULT_APPS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    tree = generate(args.directory, args.apps, args.seed)
    print(f"{len(tree.files)} files, {tree.lines} lines, {celery_share(tree):.0%} mention Celery")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
