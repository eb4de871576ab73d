"""WC301 settings: each CELERY_* setting is reported with what it becomes."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop

RULES = ("settings",)


@pytest.mark.parametrize(
    ("setting", "advice"),
    [
        ("CELERY_TASK_ALWAYS_EAGER", "TEST_MODE"),
        ("CELERY_TASK_TIME_LIMIT", "DEFAULT_TIMEOUT"),
        ("CELERY_BROKER_URL", "own broker"),
        ("CELERY_RESULT_BACKEND", "own broker"),
        ("CELERY_TASK_SERIALIZER", "JSON"),
        ("CELERY_RESULT_SERIALIZER", "JSON"),
        ("CELERY_TIMEZONE", "WEFT_COMPAT['TIMEZONE']"),
        ("CELERY_ENABLE_UTC", "every eta/expires datetime is aware"),
        ("CELERY_WORKER_CONCURRENCY", "['concurrency']"),
        ("CELERYD_CONCURRENCY", "['concurrency']"),
        ("CELERY_WORKER_PREFETCH_MULTIPLIER", "['prefetch_multiplier']"),
        ("CELERYD_PREFETCH_MULTIPLIER", "['prefetch_multiplier']"),
        ("CELERY_WORKER_MAX_TASKS_PER_CHILD", "pools run as Weft tasks"),
        ("CELERY_SOMETHING_NEW", "no weft_compat counterpart"),
    ],
)
def test_settings_are_mapped(setting: str, advice: str) -> None:
    outcome = check_flagged(f"{setting} = 1\n", ["WC301"], RULES)
    assert advice in outcome.findings[0].message


def test_reads_of_django_settings() -> None:
    check_flagged(
        "from django.conf import settings\n\nif settings.CELERY_TASK_ALWAYS_EAGER:\n    pass\n",
        ["WC301"],
        RULES,
    )


def test_beat_settings_are_left_to_beat() -> None:
    check_noop("CELERY_BEAT_SCHEDULE = {}\n", RULES)


def test_other_settings_are_left_alone() -> None:
    check_noop("DEBUG = True\nWEFT_COMPAT = {}\n", RULES)


def test_result_expires_maps_to_weft_compat() -> None:
    outcome = check_flagged("CELERY_RESULT_EXPIRES = 3600\n", ["WC301"], ("settings",))
    assert "WEFT_COMPAT['RESULT_EXPIRES'] (seconds or a timedelta)" in outcome.findings[0].message


def test_result_extended_maps_to_weft_compat() -> None:
    outcome = check_flagged("CELERY_RESULT_EXTENDED = True\n", ["WC301"], ("settings",))
    assert "becomes WEFT_COMPAT['RESULT_EXTENDED']" in outcome.findings[0].message


@pytest.mark.parametrize("name", ["CELERY_IMPORTS", "CELERY_INCLUDE"])
def test_imports_map_to_weft_compat(name: str) -> None:
    outcome = check_flagged(f"{name} = ['proj.extra']\n", ["WC301"], ("settings",))
    assert "WEFT_COMPAT['IMPORTS']" in outcome.findings[0].message
