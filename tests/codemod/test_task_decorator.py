"""WC102 task_decorator: Celery task decorators become @weft_task."""

from __future__ import annotations

import ast

import pytest

from tests.codemod.tools import ALL, check_flagged, check_noop, check_rewritten, migrate
from weft_compat._option_names import DECORATOR_OPTIONS, REFUSED_OPTIONS
from weft_compat.codemod.decorator_plan import DROPPED
from weft_compat.codemod.report import Status

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

        @shared_task(bind=True, time_limit=60, queue="emails", name="x.add")
        def add(self, x):
            return x
        """,
        """\
        from weft_compat import weft_task

        @weft_task(bind=True, time_limit=60, queue="emails", name="x.add")
        def add(self, x):
            return x
        """,
        RULES,
    )


def test_a_rate_limit_is_dropped() -> None:
    check_rewritten(
        """\
        from celery import shared_task

        @shared_task(queue="emails", rate_limit="30/m")
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
    )


def test_a_dropped_first_option_leaves_the_rest() -> None:
    check_rewritten(
        "from celery import shared_task\n\n@shared_task(throws=(KeyError,), bind=True)\n"
        "def f(self):\n    pass\n",
        "from weft_compat import weft_task\n\n@weft_task(bind=True)\ndef f(self):\n    pass\n",
        RULES,
    )


def test_dropping_the_last_of_several_lines_keeps_the_trailing_comma() -> None:
    check_rewritten(
        """\
        from celery import shared_task

        @shared_task(
            queue="emails",
            rate_limit="30/m",
        )
        def send(pk):
            pass
        """,
        """\
        from weft_compat import weft_task

        @weft_task(
            queue="emails",
        )
        def send(pk):
            pass
        """,
        RULES,
    )


def test_dropping_every_option_leaves_a_bare_decorator() -> None:
    check_rewritten(
        "from celery import shared_task\n\n@shared_task(rate_limit='1/s', send_events=True)\n"
        "def f():\n    pass\n",
        "from weft_compat import weft_task\n\n@weft_task\ndef f():\n    pass\n",
        RULES,
    )


def test_an_import_only_a_dropped_option_used_goes_with_it() -> None:
    check_rewritten(
        """\
        from celery import shared_task
        from proj.results import ArchiveBackend

        @shared_task(backend=ArchiveBackend())
        def f():
            pass
        """,
        """\
        from weft_compat import weft_task

        @weft_task
        def f():
            pass
        """,
        RULES,
    )


@pytest.mark.parametrize(
    "option",
    [
        "base=Custom",
        "Request='proj.Request'",
        "filter=task_method",
        "aliases=('old.name',)",
        "pydantic=True",
        "ignore_results=True",
        "max_retry=5",
        "serializer='pickle'",
        "serializer=SERIALIZER",
        "**OPTIONS",
    ],
)
def test_an_option_whose_loss_would_change_the_task_keeps_it_on_celery(option: str) -> None:
    source = f"from celery import shared_task\n\n@shared_task({option}, rate_limit='1/m')\n"
    check_noop(source + "def f():\n    pass\n", RULES)


def test_calls_of_a_task_kept_on_celery_are_not_rewritten() -> None:
    outcome = check_flagged(
        "from proj.tasks import f\n\nf.delay(1)\nf.apply_async((1,))\nf.AsyncResult(x).id\n",
        ["WC201", "WC201"],
        ALL,
        modules={
            "proj.tasks": "from celery import shared_task\n\n"
            "@shared_task(base=Custom)\ndef f(x):\n    pass\n"
        },
    )
    assert outcome.status is Status.UNCHANGED
    assert "f stays a Celery task (base=: the custom Task class is not one the codemod" in (
        outcome.findings[0].message
    )


def test_a_serializer_of_json_carries_over() -> None:
    check_rewritten(
        "from celery import shared_task\n\n@shared_task(serializer='json')\ndef f():\n    pass\n",
        "from weft_compat import weft_task\n\n@weft_task(serializer='json')\ndef f():\n    pass\n",
        RULES,
    )


def _weft_task_options(source: bytes) -> list[set[str]]:
    """The keyword names of every @weft_task(...) decorator in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "weft_task":
                    found.append({keyword.arg or "**" for keyword in decorator.keywords})
                elif ast.unparse(decorator) == "weft_task":
                    found.append(set())
    return found


@pytest.mark.parametrize("option", [*sorted(REFUSED_OPTIONS), "no_such_option"])
def test_no_rewritten_decorator_carries_an_option_weft_task_refuses(option: str) -> None:
    source = (
        "from celery import shared_task\n\n"
        f"@shared_task(bind=True, {option}=VALUE, queue='q')\ndef f(self):\n    pass\n"
    )
    outcome = migrate(source, ALL)
    written = outcome.new_source if outcome.new_source is not None else source.encode()
    for options in _weft_task_options(written):
        assert options <= DECORATOR_OPTIONS, options - DECORATOR_OPTIONS
    migrated = bool(_weft_task_options(written))
    assert migrated == (option in DROPPED), written.decode()
    # Whatever happened to the option is reported.
    assert any(finding.code in ("WC202", "WC209") for finding in outcome.findings)


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


def test_a_second_import_under_another_name_does_not_keep_the_first() -> None:
    check_rewritten(
        """\
        from celery import shared_task
        from celery import shared_task as st

        @shared_task
        def f():
            pass

        @st
        def g():
            pass
        """,
        """\
        from weft_compat import weft_task

        @weft_task
        def f():
            pass

        @weft_task
        def g():
            pass
        """,
        RULES,
    )


def test_a_renamed_import_still_used_stays() -> None:
    check_rewritten(
        "from celery import shared_task\nfrom celery import shared_task as st\n\n"
        "@shared_task\ndef f():\n    pass\n\nDECORATORS = [st]\n",
        "from celery import shared_task as st\nfrom weft_compat import weft_task\n\n"
        "@weft_task\ndef f():\n    pass\n\nDECORATORS = [st]\n",
        RULES,
    )
