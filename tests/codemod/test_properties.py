"""The codemod never crashes, never writes unparseable code, and is idempotent.

Sources come from two places: modules assembled from Celery-shaped fragments by
hypothesis (with random damage, so unparseable input is covered too), and real files
collected from the installed Celery package and the example project.
"""

from __future__ import annotations

import ast
from pathlib import Path

import celery
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.report import Status
from weft_compat.codemod.rules import ALL_RULES
from weft_compat.codemod.runner import Pending, index_source
from weft_compat.codemod.transform import migrate_source

RULES = list(ALL_RULES)
FRAGMENTS = [
    "from celery import shared_task, group, chain\n",
    "from celery.result import AsyncResult\n",
    "from celery.exceptions import SoftTimeLimitExceeded, Retry\n",
    "from django.db import transaction\nfrom functools import partial\n",
    "from celery import Celery\napp = Celery('p')\n",
    "@shared_task\ndef t(x, y=1):\n    return x\n",
    "@shared_task(bind=True, max_retries=3, ignore_results=True)\ndef b(self, x):\n"
    "    raise self.replace(t.s(x))\n",
    "@app.task(queue='q')\ndef a(x):\n    pass\n",
    "t.delay(1)\n",
    "t.delay(1, countdown=5)\n",
    "t.apply_async(args=(1,), kwargs={'y': 2}, queue='q')\n",
    "t.apply_async((1,), eta=when)\n",
    "t.apply_async((1,), countdown=5, expires=60, max_retries=2)\n",
    "from datetime import datetime, timedelta\n",
    "t.apply_async((1,), eta=datetime.utcnow() + timedelta(days=1))\n",
    "app.send_task('x.y', args=[1])\n",
    "app.send_task('x.y', args=[1], countdown=5, queue='q')\n",
    "from celery.exceptions import MaxRetriesExceededError, Reject\n",
    "@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True)\ndef r(self, x):\n"
    "    raise self.retry(countdown=self.request.retries)\n",
    "transaction.on_commit(lambda: t.delay(2))\n",
    "transaction.on_commit(partial(t.delay, 3), using='db')\n",
    "def view(tid):\n    r = AsyncResult(tid)\n    return r.id, r.status, r.result, r.get()\n",
    "group(t.s(i) for i in range(3))()\n",
    "CELERY_TASK_ALWAYS_EAGER = True\nCELERY_BEAT_SCHEDULE = {}\n",
    "mock.patch('p.t.delay')\n",
    "map(t.delay, [1])\n",
    "unknown.delay(1)\n",
    "x = 1  # a comment\n",
    "@shared_task(rate_limit='1/m', queue='q')\ndef rl(x):\n    pass\n",
    "@shared_task(base=Custom, ignore_results=True)\ndef kept(x):\n    pass\n",
    "from django.test import override_settings\n",
    "@override_settings(CELERY_TASK_ALWAYS_EAGER=True, DEBUG=1)\nclass T:\n"
    "    @override_settings(CELERY_TASK_EAGER_PROPAGATES=False)\n    def test(self):\n"
    "        with override_settings(CELERY_TASK_ALWAYS_EAGER=True):\n            pass\n",
    "CELERY_TASK_EAGER_PROPAGATES = True\n",
    "@mock.patch('module.t.delay')\n@mock.patch('module.AsyncResult')\ndef test(r, d):\n"
    "    r.return_value.result = d.return_value.id\n",
    "def wait(tid):\n    r = AsyncResult(tid)\n    return r.get(timeout=1), r.get(interval=2)\n",
    "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'p.settings')\n",
    "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
    "app.autodiscover_tasks()\n",
    "__all__ = ('app', 'other')\n",
    "from celery import Task, current_task\n",
    "class Base(Task):\n    rate_limit = '1/m'\n    max_retries = 2\n"
    "    def on_failure(self, *a):\n        self.app.send_task('x')\n",
    "class Kept(Base):\n    Request = 'x.Y'\n",
    "@shared_task(base=Base, bind=True)\ndef based(self):\n"
    "    current_task.update_state(state='P', meta={})\n    return self.request.correlation_id\n",
    "class Run(Base):\n    def run(self, x):\n        return current_task.request.hostname\n",
    "registered = app.register_task(Run())\nregistered.delay(1)\n",
    "def dispatch(task, *args):\n    task.delay(*args)\n\ndispatch(t, 1)\n",
    "def job(*args, **kwargs):\n    return app.task(*args, **kwargs)\n",
    "@job(bind=True, rate_limit='1/s')\ndef made(self):\n    self.request.chain = None\n",
    "impl_task = shared_task(bind=True)(lambda self: None)\n",
    "app.control.revoke([a, b], terminate=True)\n",
    "t.s(1).apply_async(countdown=3)\nunknown.si(2)\n",
    "from celery import exceptions\ntry:\n    pass\nexcept exceptions.Retry:\n    pass\n",
    "def view(pk):\n    order = Order.objects.get(pk=pk)\n    t.delay(order, {1})\n",
    "t.apply_async((1,), timeout=5)\n",
    "app2 = Celery('q', task_cls='p.tasks:Base', include=['p.x'])\n",
    "from celery.schedules import crontab, schedule, solar\n",
    "CELERY_BEAT_SCHEDULE = {\n    'a': {'task': 't', 'schedule': crontab(minute=0)},\n"
    "    'b': {'task': 'x', 'schedule': schedule(run_every=10), 'args': (1,)},\n}\n",
    "CELERYBEAT_SCHEDULE = {'s': {'task': 't', 'schedule': solar('dawn', 1, 2)}}\n",
    "CELERY_TIMEZONE = 'Europe/Berlin'\n",
    "WEFT_COMPAT = {\n    'CONTEXT': '/srv',\n}\n",
    "from .base import *\n",
    "app.conf.beat_schedule = {'a': {'task': 't', 'schedule': 10}}\n",
    "app.conf.update(timezone='UTC', beat_schedule={'b': {'task': 't', 'schedule': crontab()}})\n",
    "@app.on_after_configure.connect\ndef setup(sender, **kw):\n"
    "    sender.add_periodic_task(10.0, t.s(1), name='n')\n"
    "    sender.add_periodic_task(crontab(0, 7), a.si(x=2), expires=5)\n",
    "INSTALLED_APPS = [\n    'django.contrib.admin',  # admin\n]\n",
    "INSTALLED_APPS = ('a',)\n",
    "LOCAL_APPS = ['orders']\nINSTALLED_APPS = ['x'] + LOCAL_APPS\n",
    "INSTALLED_APPS += ['debug_toolbar']\n",
    "INSTALLED_APPS = get_apps()\n",
    "class Common:\n    INSTALLED_APPS = ['a']\n",
    "from celery.signals import task_failure, worker_ready as ready\n",
    "from celery.signals import task_success as ok, task_revoked\n",
    "@task_failure.connect(sender=t)\ndef failed(sender=None, task_id=None, **kw):\n    pass\n",
    "ready.connect(handler)\nok.connect(handler, weak=False, dispatch_uid='ok')\n",
    "from celery import signals\n@signals.task_postrun.connect\ndef done(**kw):\n    pass\n",
    "signals.worker_process_init.connect(handler)\n",
    "import celery.signals\ncelery.signals.before_task_publish.connect(handler)\n",
    "def on_ready():\n    from celery.signals import (\n        task_prerun,  # p\n"
    "        setup_logging,\n    )\n    task_prerun.connect(handler)\n",
    "try:\n    from celery.signals import task_retry, worker_init\nexcept ImportError:\n    pass\n",
    "import os; from celery.signals import after_task_publish, beat_init\n",
    "from celery.signals import task_prerun, celeryd_init; celeryd_init.connect(handler)\n",
    "from celery.signals import *\n",
]


def migrate_twice(source: bytes) -> None:
    """Migrate ``source`` twice, once as the run's second look (the app known unused)."""
    for removing in (False, True):
        _migrate_twice(source, removing)


def _migrate_twice(source: bytes, removing: bool) -> None:
    first = index_source("module.py", source)
    if not isinstance(first, Pending):
        return  # skipped or reported as unparseable: nothing is written
    index = ProjectIndex.build([first.facts])
    gone: set[str] = set()
    if removing:
        # As a run decides: the apps whose plumbing is here, and whether the rewrite uses them.
        looked = migrate_source(source, "module.py", first.facts, index, RULES)
        users = {
            app: ("module.py",) if app in looked.app_uses else () for app in looked.app_plumbing
        }
        gone = {app for app, found in users.items() if not found}
        index = ProjectIndex.build([first.facts])
        index.app_users = users
    outcome = migrate_source(source, "module.py", first.facts, index, RULES)
    assert not gone & outcome.app_uses, outcome.diff
    assert outcome.status in (Status.CHANGED, Status.UNCHANGED, Status.FAILED)
    if outcome.status is not Status.CHANGED:
        assert outcome.new_source is None
        return
    assert outcome.new_source is not None
    ast.parse(outcome.new_source)
    again = index_source("module.py", outcome.new_source)
    if not isinstance(again, Pending):
        # The rewrite removed every Celery spelling, so a second run skips the file.
        assert again.status is Status.SKIPPED
        return
    second = migrate_source(
        outcome.new_source, "module.py", again.facts, ProjectIndex.build([again.facts]), RULES
    )
    assert second.status is Status.UNCHANGED, second.diff


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12))
def test_assembled_modules(fragments: list[str]) -> None:
    migrate_twice("".join(fragments).encode())


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(["", "(", ")", ":", "\n    ", "lambda", "@", "'''"]),
)
def test_damaged_modules(fragments: list[str], offset: int, junk: str) -> None:
    source = "".join(fragments)
    cut = offset % (len(source) + 1)
    migrate_twice((source[:cut] + junk + source[cut:]).encode())


def collected_sources() -> list[Path]:
    celery_files = sorted(Path(celery.__file__).parent.rglob("*.py"))[::6]
    example = Path(__file__).resolve().parents[2] / "examples"
    return celery_files + sorted(example.rglob("*.py"))


@pytest.mark.parametrize("path", collected_sources(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_collected_sources(path: Path) -> None:
    migrate_twice(path.read_bytes())
