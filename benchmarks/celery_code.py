"""The Celery idioms of a generated project, in the proportions public projects use them.

Frequencies follow the survey of 35 public Django/Celery projects: 46 % of task
decorators are bare, ``bind`` is the commonest option, then ``queue``,
``retry_backoff``, ``ignore_result``, ``name``, ``max_retries``, ``autoretry_for``,
``base``; three dispatches in four are a plain ``.delay``, the rest ``apply_async``
with ``kwargs``/``args``, ``countdown``, ``headers`` or ``queue``; about four in ten
``on_commit`` calls wrap a dispatch; status views read ``state``, ``result``, ``info``
from ``AsyncResult``; tests override ``CELERY_TASK_ALWAYS_EAGER`` and patch ``.delay``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.plain_code import NOUNS, Code

# Option → (share of non-bare decorators using it, values it takes).
TASK_OPTIONS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("bind", 0.25, ("True",)),
    ("queue", 0.20, ('"default"', '"high"', '"emails"', '"reports"', '"slow"')),
    ("retry_backoff", 0.13, ("True", "5", "30")),
    ("ignore_result", 0.13, ("True",)),
    ("max_retries", 0.12, ("3", "5", "10", "None")),
    ("autoretry_for", 0.12, ("(Exception,)", "(ConnectionError, TimeoutError)")),
    ("base", 0.11, ("BaseTask",)),
    ("acks_late", 0.06, ("True",)),
    ("default_retry_delay", 0.06, ("60", "300", "5 * 60")),
    ("soft_time_limit", 0.055, ("60", "300", "600")),
    ("time_limit", 0.045, ("120", "900", "60 * 15")),
    ("rate_limit", 0.045, ('"10/m"', '"1/s"', '"100/h"')),
    ("retry_kwargs", 0.04, ('{"max_retries": 5}', '{"countdown": 10}')),
    ("retry_jitter", 0.033, ("False", "True")),
    ("track_started", 0.02, ("True",)),
    ("retry_backoff_max", 0.017, ("600", "3600")),
    ("expires", 0.008, ("3600", "60 * 60")),
    ("throws", 0.004, ("(ValueError,)",)),
    ("ignore_results", 0.017, ("True",)),  # the typo real projects ship
)  # fmt: skip
APPLY_ASYNC_OPTIONS = (
    ("countdown", 0.20, ("30", "60", "5 * 60", "settings.RETRY_DELAY")),
    ("headers", 0.14, ('{"request_id": request_id}', '{"source": "web"}')),
    ("queue", 0.13, ('"high"', '"emails"', '"reports"')),
    ("eta", 0.03, ("timezone.now() + timedelta(minutes=10)",)),
    ("task_id", 0.02, ("str(uuid.uuid4())",)),
    ("link", 0.01, ("on_done.s()",)),
    ("expires", 0.01, ("3600",)),
)


@dataclass(frozen=True)
class Task:
    """A generated task: where it lives, its name and its parameters (``self`` aside)."""

    app: str
    module: str
    name: str
    params: tuple[str, ...]
    bound: bool


class Celery:
    """Writes the Celery parts; ``decorator_style`` is the app's ``@shared_task`` or
    ``@app.task`` habit."""

    def __init__(self, code: Code) -> None:
        self.code = code
        self.rng: random.Random = code.rng
        # Task name → (decorator, whether it binds, its options), for every task planned.
        self._decorators: dict[str, tuple[str, bool, list[str]]] = {}

    # Tasks -----------------------------------------------------------------------

    def decorator(self, style: str) -> tuple[str, bool, list[str]]:
        """The decorator line, whether it binds, and the options it was given."""
        rng = self.rng
        if rng.random() < 0.46:
            return (f"{style}()" if rng.random() < 0.1 else style), False, []
        options = [
            (name, rng.choice(values))
            for name, share, values in TASK_OPTIONS
            if rng.random() < share
        ]
        if not options:
            name, _, values = rng.choice(TASK_OPTIONS)
            options = [(name, rng.choice(values))]
        if rng.random() < 0.08:
            options.insert(0, ("name", f'"{rng.choice(NOUNS)}.{self.code.action()}"'))
        text = ", ".join(f"{name}={value}" for name, value in options)
        if len(text) > 70:
            text = "\n    " + ",\n    ".join(f"{name}={value}" for name, value in options) + ",\n"
        return (
            f"{style}({text})",
            any(name == "bind" for name, _ in options),
            [name for name, _ in options],
        )

    def task_body(
        self, task: Task, options: Sequence[str], others: Sequence[tuple[str, Task]], canvas: bool
    ) -> list[list[str]]:
        """What a task's body holds besides ordinary code; ``others`` are the tasks it
        can call, each with the expression that names it here."""
        rng = self.rng
        inserts: list[list[str]] = []
        if task.bound:
            inserts.append(
                [
                    f'logger.info("{self.code.text(2)} %s (attempt %s)",',
                    "            self.request.id, self.request.retries)",
                ]
            )
            countdown = rng.choice(("60", "2 ** self.request.retries * 30", "10"))
            if rng.random() < 0.5:
                inserts.append(
                    [
                        "try:",
                        f"    {self.code.action()}({', '.join(task.params[:2])})",
                        "except (ConnectionError, TimeoutError) as exc:",
                        f"    raise self.retry(exc=exc, countdown={countdown}) from exc",
                    ]
                )
            if rng.random() < 0.05:
                inserts.append(
                    ['self.update_state(state="PROGRESS", meta={"current": 1, "total": 10})']
                )
        if "soft_time_limit" in options:
            inserts.append(
                [
                    "try:",
                    f"    {self.code.action()}({', '.join(task.params[:1])})",
                    "except SoftTimeLimitExceeded:",
                    f'    logger.warning("{self.code.text(3)}")',
                    "    return None",
                ]
            )
        if others and rng.random() < 0.25:
            ref, other = rng.choice(others)
            inserts.append(self.dispatch(ref, other.params, on_commit=False, names=task.params))
        if canvas and len(others) > 1 and rng.random() < 0.3:
            inserts.append(self.canvas(others))
        return inserts

    def tasks_module(
        self,
        app: str,
        tasks: Sequence[Task],
        style: str,
        others: Sequence[tuple[str, Task]],
        calls: Sequence[str],
    ) -> str:
        rng = self.rng
        code = self.code
        imports = ["import logging", "from datetime import timedelta", ""]
        if style == "shared_task":
            imports.append("from celery import shared_task")
        else:
            imports.append("from config.celery import app")
        uses_canvas = rng.random() < 0.3
        if uses_canvas:
            imports.append("from celery import chain, group")
        imports += [
            "from celery.exceptions import SoftTimeLimitExceeded",
            "from django.conf import settings",
            "from django.db import transaction",
            "from django.utils import timezone",
        ]
        logger = "logger = logging.getLogger(__name__)"
        if rng.random() < 0.3:
            imports.append("from celery.utils.log import get_task_logger")
            logger = "logger = get_task_logger(__name__)"
        imports += ["", "from apps.common.tasks_base import BaseTask", *calls, "", logger]
        body: list[str] = []
        for task in tasks:
            decorator, _, options = self._decorators[task.name]
            callable_here = [
                *others,
                *((other.name, other) for other in tasks if other is not task),
            ]
            inserts = self.task_body(task, options, callable_here, uses_canvas)
            params = ["self", *task.params] if task.bound else list(task.params)
            body += [
                "",
                "",
                *code.function(
                    task.name, params, size=code.sized(9), decorators=[decorator], inserts=inserts
                ),
            ]
        header = [f'"""Background work of {app}."""', "", "from __future__ import annotations", ""]
        return "\n".join([*header, *imports, *body]) + "\n"

    def plan_tasks(self, app: str, module: str, count: int, style: str) -> list[Task]:
        rng = self.rng
        tasks: list[Task] = []
        for _ in range(count):
            name = self.code.action()
            while name in self._decorators:
                name = self.code.action()
            decorator, bound, options = self.decorator(style)
            self._decorators[name] = (decorator, bound, options)
            params = tuple(
                dict.fromkeys(f"{rng.choice(NOUNS)}_id" for _ in range(rng.randrange(1, 4)))
            )
            tasks.append(Task(app, module, name, params, bound))
        return tasks

    # Calls -------------------------------------------------------------------------

    def dispatch(
        self, ref: str, params: Sequence[str], *, on_commit: bool, names: Sequence[str] = ()
    ) -> list[str]:
        """Lines that send a task: ``.delay`` or ``.apply_async``, maybe at commit."""
        rng = self.rng
        pool = list(names) or ["pk"]
        args = ", ".join(
            rng.choice(pool) + rng.choice(("", ".pk", ".id"))
            for _ in params[: rng.randrange(1, len(params) + 1)]
        )
        if rng.random() < 0.76:
            call = f"{ref}.delay({args})"
        else:
            keywords = []
            if rng.random() < 0.7:
                keywords.append(
                    f"args=[{args}]"
                    if rng.random() < 0.3
                    else f'kwargs={{"{params[0]}": {args.split(", ")[0]}}}'
                )
            else:
                keywords.append(f"({args},)")
            keywords += [
                f"{name}={rng.choice(values)}"
                for name, share, values in APPLY_ASYNC_OPTIONS
                if rng.random() < share
            ]
            call = f"{ref}.apply_async({', '.join(keywords)})"
        if on_commit:
            if rng.random() < 0.85:
                return [f"transaction.on_commit(lambda: {call})"]
            return [f"transaction.on_commit(partial({ref}.delay, {args}))"]
        if rng.random() < 0.25:
            return [f"result = {call}", 'logger.info("queued %s", result.id)']
        return [call]

    def canvas(self, tasks: Sequence[tuple[str, Task]]) -> list[str]:
        rng = self.rng
        (first, task), (second, _) = rng.sample(list(tasks), 2)
        pick = rng.randrange(3)
        if pick == 0:
            return [f"chain({first}.s({task.params[0]}), {second}.si()).apply_async()"]
        if pick == 1:
            return [f"group({first}.s(item) for item in {task.params[0]}s)()"]
        return [f"job = group([{first}.si(1), {second}.si(2)])", "job.apply_async()"]

    def status_read(self, ref: str = "AsyncResult") -> list[str]:
        """A view's look at a task's result handle."""
        rng = self.rng
        lines = ['task_id = request.GET.get("task_id")', f"result = {ref}(task_id)"]
        reads = rng.sample(
            [
                'payload = {"state": result.state, "ready": result.ready()}',
                'payload = {"status": result.status}',
                'if result.successful():\n    payload = {"value": result.result}',
                'if result.state == "PROGRESS":\n    payload = {"progress": result.info}',
                'if result.failed():\n    payload = {"error": str(result.traceback)}',
                'if result.ready():\n    payload = {"value": result.get(timeout=5)}',
            ],
            k=rng.randrange(1, 4),
        )
        for read in reads:
            lines += read.split("\n")
        return lines

    def test_inserts(self, task: Task, module: str, eager: bool) -> list[list[str]]:
        rng = self.rng
        inserts: list[list[str]] = []
        target = f"{module}.{task.name}"
        pick = rng.randrange(5)
        if pick == 0:
            inserts.append([f'@mock.patch("{target}.delay")'])
            inserts.append(
                [f"mock_0.assert_called_once_with({', '.join('1' for _ in task.params)})"]
            )
        elif pick == 1:
            inserts.append(
                [
                    f'with mock.patch("{target}.apply_async") as apply_async:',
                    '    apply_async.return_value = mock.Mock(id="abc")',
                ]
            )
        elif pick == 2:
            inserts.append(
                [
                    f'with mock.patch.object({task.name}, "delay") as delay:',
                    f"    {task.name}.delay({', '.join('1' for _ in task.params)})",
                    "    delay.assert_called_once()",
                ]
            )
        elif eager:
            inserts.append(
                [
                    f"outcome = {task.name}.delay({', '.join(map(str, range(len(task.params))))})",
                    "self.assertTrue(outcome.successful())",
                ]
            )
        else:
            inserts.append([f"{task.name}({', '.join('1' for _ in task.params)})"])
        return inserts


CELERY_APP = '''"""The project's Celery application."""

from __future__ import annotations

import logging.config
import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import setup_logging, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {{
{beat}}}


@setup_logging.connect
def configure_logging(*args, **kwargs):
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@worker_ready.connect
def announce(sender=None, **kwargs):
    logging.getLogger(__name__).info("worker ready: %s", sender)


@app.task(bind=True, ignore_result=True)
def debug_task(self):
    print(f"Request: {{self.request!r}}")
'''
BEAT_ENTRY = """    "{key}": {{
        "task": "{task}",
        "schedule": {schedule},
    }},
"""
SCHEDULES = (
    "crontab(minute=0, hour=3)", 'crontab(minute="*/15")', "crontab(hour=0, day_of_week=1)",
    "60.0", 'crontab(minute=30, hour="*/2")', "timedelta(hours=6)",
)  # fmt: skip
TASK_BASE = '''"""The base class the project's tasks share."""

from __future__ import annotations

import logging

from celery import Task

logger = logging.getLogger(__name__)


class BaseTask(Task):
    """Logs failures with the task's arguments."""

    autoretry_for = (ConnectionError,)
    max_retries = 3

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        logger.error("task %s failed: %s", task_id, exc, extra={"args": args})
        super().on_failure(exc, task_id, args, kwargs, einfo)
'''
