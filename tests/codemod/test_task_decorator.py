"""WC102 task_decorator: Celery task decorators become @weft_task."""

from __future__ import annotations

import pytest

from tests.codemod.tools import ALL, check_noop, check_rewritten

RULES = ("task_decorator",)


def test_shared_task_becomes_weft_task_and_imports_move() -> None:
    check_rewritten(
        """\
        from celery import shared_task

        @shared_task
        def add(x, y):
            return x + y
        """,
        """\
        from weft_compat import weft_task

        @weft_task
        def add(x, y):
            return x + y
        """,
        RULES,
    )


def test_options_are_carried_over_unchanged() -> None:
    check_rewritten(
        """\
        from celery import shared_task

        @shared_task(bind=True, time_limit=60, rate_limit="1/m")
        def add(self, x):
            return x
        """,
        """\
        from weft_compat import weft_task

        @weft_task(bind=True, time_limit=60, rate_limit="1/m")
        def add(self, x):
            return x
        """,
        RULES,
    )


def test_a_retrying_task_migrates_whole_with_nothing_to_report() -> None:
    outcome = check_rewritten(
        """\
        from celery import shared_task

        @shared_task(bind=True, autoretry_for=(OSError,), max_retries=5, retry_backoff=True,
                     retry_jitter=False, expires=600)
        def sync(self, pk):
            if self.request.retries > 2:
                log(pk)
            try:
                push(pk)
            except ValueError as exc:
                raise self.retry(exc=exc, countdown=2**self.request.retries, max_retries=9)
        """,
        """\
        from weft_compat import weft_task

        @weft_task(bind=True, autoretry_for=(OSError,), max_retries=5, retry_backoff=True,
                     retry_jitter=False, expires=600)
        def sync(self, pk):
            if self.request.retries > 2:
                log(pk)
            try:
                push(pk)
            except ValueError as exc:
                raise self.retry(exc=exc, countdown=2**self.request.retries, max_retries=9)
        """,
        ALL,
    )
    assert outcome.findings == []


def test_aliased_shared_task_resolves() -> None:
    check_rewritten(
        """\
        from celery import shared_task as st

        @st()
        def add(x):
            return x
        """,
        """\
        from weft_compat import weft_task

        @weft_task()
        def add(x):
            return x
        """,
        RULES,
    )


def test_module_attribute_access_resolves() -> None:
    check_rewritten(
        """\
        import celery

        @celery.shared_task
        def add(x):
            return x
        """,
        """\
        from weft_compat import weft_task

        @weft_task
        def add(x):
            return x
        """,
        RULES,
    )


def test_app_task_from_the_projects_celery_module() -> None:
    check_rewritten(
        """\
        from proj.worker import app

        @app.task(queue="emails")
        def send(pk):
            pass
        """,
        """\
        from weft_compat import weft_task

        @weft_task(queue="emails")
        def send(pk):
            pass
        """,
        RULES,
        modules={"proj.worker": "from celery import Celery\napp = Celery('proj')\n"},
    )


def test_app_reexported_from_a_package_resolves() -> None:
    check_rewritten(
        """\
        from proj import celery_app

        @celery_app.task
        def send(pk):
            pass
        """,
        """\
        from weft_compat import weft_task

        @weft_task
        def send(pk):
            pass
        """,
        RULES,
        modules={
            "proj": "from .worker import app as celery_app\n",
            "proj.worker": "import celery\napp = celery.Celery('proj')\n",
        },
    )


def test_app_import_still_used_elsewhere_is_kept() -> None:
    check_rewritten(
        """\
        from proj.celery import app

        @app.task
        def send(pk):
            pass

        app.conf.update(x=1)
        """,
        """\
        from proj.celery import app
        from weft_compat import weft_task

        @weft_task
        def send(pk):
            pass

        app.conf.update(x=1)
        """,
        RULES,
    )


@pytest.mark.parametrize(
    "source",
    [
        "from huey import RedisHuey\nhuey = RedisHuey()\n\n@huey.task()\ndef f():\n    pass\n",
        "from weft_compat import weft_task\n\n@weft_task\ndef f():\n    pass\n",
        "import functools\n\n@functools.cache\ndef f():\n    pass\n",
    ],
)
def test_other_decorators_are_left_alone(source: str) -> None:
    check_noop(source, RULES)
