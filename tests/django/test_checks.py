"""`manage.py check`: what a project moving off Celery is told before it runs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.checks import CheckMessage, run_checks
from django.test import override_settings

from weft_compat import weft_task
from weft_compat._registry import unregister
from weft_compat.django.checks import check_weft_compat


def ids(messages: list[CheckMessage]) -> list[str]:
    return [message.id or "" for message in messages]


def ours(**kwargs: Any) -> list[CheckMessage]:
    return [m for m in run_checks(**kwargs) if (m.id or "").startswith("weft_compat.")]


def test_the_checks_are_registered_and_run_by_manage_py_check() -> None:
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        assert "weft_compat.W001" in ids(ours())


def test_a_leftover_celery_setting_is_named() -> None:
    with override_settings(CELERY_BROKER_URL="redis://", CELERYD_CONCURRENCY=4):
        found = [m for m in check_weft_compat(None) if m.id == "weft_compat.W001"]
    assert sorted(m.msg for m in found) == [
        "setting CELERYD_CONCURRENCY is still defined, and weft_compat does not read it",
        "setting CELERY_BROKER_URL is still defined, and weft_compat does not read it",
    ]


def test_a_project_module_that_still_imports_celery_is_named_with_its_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "tasks.py").write_text("import os\nfrom celery import shared_task\n")
    (tmp_path / "views.py").write_text("celery_like = 'from celery import x'\n")
    (tmp_path / "app.py").write_text("import celery.result\n")
    app = SimpleNamespace(path=str(tmp_path), name="legacy")
    found = [m.msg for m in check_weft_compat([app]) if m.id == "weft_compat.W002"]  # type: ignore[list-item]
    assert sorted(found) == [
        f"{tmp_path / 'app.py'}:1 still imports celery",
        f"{tmp_path / 'tasks.py'}:2 still imports celery",
    ]


def test_the_test_project_itself_imports_no_celery() -> None:
    assert "weft_compat.W002" not in ids(check_weft_compat(None))


def test_a_task_on_a_queue_that_queues_does_not_define() -> None:
    @weft_task(name="tests.checks.on_reports", queue="reprots")
    def on_reports() -> None: ...

    try:
        with override_settings(WEFT_COMPAT={"QUEUES": {"reports": {}, "default": {}}}):
            found = [
                m.msg
                for m in check_weft_compat(None)
                if m.id == "weft_compat.W003" and "tests.checks." in m.msg
            ]
        with override_settings(WEFT_COMPAT={}):
            assert "weft_compat.W003" not in ids(check_weft_compat(None))
    finally:
        unregister("tests.checks.on_reports")
    assert found == [
        "task 'tests.checks.on_reports' names queue 'reprots', which WEFT_COMPAT['QUEUES'] "
        "does not define (defined: default, reports)"
    ]


@pytest.mark.parametrize("under", ["a-file", "missing/deeper"])
def test_a_context_directory_that_cannot_be_used_is_an_error(tmp_path: Path, under: str) -> None:
    (tmp_path / "a-file").write_text("")
    target = tmp_path / under / "context"
    with override_settings(WEFT_COMPAT={"CONTEXT": str(target)}):
        found = [m for m in check_weft_compat(None) if m.id == "weft_compat.E001"]
    if under == "a-file":
        assert len(found) == 1 and repr(str(target)) in found[0].msg
    else:
        assert found == []  # Its nearest existing parent is a writable directory.


def test_the_task_urls_without_a_policy_are_reported_until_one_is_set() -> None:
    # The test project includes weft_compat.django.urls.
    with override_settings(WEFT_COMPAT={}):
        assert "weft_compat.W004" in ids(check_weft_compat(None))
    policy = "weft_compat.django.authorization.staff_only"
    with override_settings(WEFT_COMPAT={"AUTHORIZE": policy}):
        assert "weft_compat.W004" not in ids(check_weft_compat(None))


def test_an_owner_policy_without_the_middleware_is_reported() -> None:
    middleware = "weft_compat.django.middleware.CurrentUserMiddleware"
    policy = {"AUTHORIZE": "weft_compat.django.authorization.owner_or_staff"}
    with override_settings(WEFT_COMPAT=policy, MIDDLEWARE=[]):
        [found] = [m for m in check_weft_compat(None) if m.id == "weft_compat.W005"]
    assert "'weft_compat.django.authorization.owner_or_staff'" in found.msg
    with override_settings(WEFT_COMPAT=policy, MIDDLEWARE=[middleware]):
        assert "weft_compat.W005" not in ids(check_weft_compat(None))
    staff = {"AUTHORIZE": "weft_compat.django.authorization.staff_only"}
    with override_settings(WEFT_COMPAT=staff, MIDDLEWARE=[]):
        assert "weft_compat.W005" not in ids(check_weft_compat(None))


def test_an_invalid_periodic_schedule_is_an_error_naming_the_entry() -> None:
    good = {"fine": {"task": "tests.broker_tasks.add", "schedule": 60, "args": (1, 2)}}
    with override_settings(WEFT_COMPAT={"BEAT_SCHEDULE": good}):
        assert "weft_compat.E002" not in ids(check_weft_compat(None))
    bad = {**good, "typo": {"task": "tests.broker_tasks.ad", "schedule": 60}}
    with override_settings(WEFT_COMPAT={"BEAT_SCHEDULE": bad}):
        [found] = [m for m in check_weft_compat(None) if m.id == "weft_compat.E002"]
    assert "the schedule entry 'typo' names task 'tests.broker_tasks.ad'" in found.msg
