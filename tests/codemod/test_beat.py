"""WC206 beat: periodic-task configuration is reported once per schedule."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop

RULES = ("beat",)


def test_beat_schedule_setting_with_crontabs_is_one_finding_and_its_import_another() -> None:
    outcome = check_flagged(
        """\
        from celery.schedules import crontab

        CELERY_BEAT_SCHEDULE = {
            "a": {"task": "x", "schedule": crontab(minute=0)},
            "b": {"task": "y", "schedule": crontab(hour=1)},
        }
        """,
        ["WC206", "WC206"],
        RULES,
    )
    assert "stops importing once Celery is removed" in outcome.findings[0].message


def test_app_conf_beat_schedule() -> None:
    check_flagged("app.conf.beat_schedule = {}\n", ["WC206"], RULES)


def test_crontab_elsewhere() -> None:
    check_flagged(
        "from celery.schedules import crontab\n\nevery = crontab(minute=5)\n",
        ["WC206", "WC206"],
        RULES,
    )


def test_add_periodic_task() -> None:
    check_flagged(
        "def setup(sender, **kw):\n    sender.add_periodic_task(10.0, t.s())\n", ["WC206"], RULES
    )


def test_django_celery_beat_import_and_installed_app() -> None:
    check_flagged(
        "from django_celery_beat.models import PeriodicTask\n\n"
        "INSTALLED_APPS = ['django_celery_beat']\n",
        ["WC206", "WC206"],
        RULES,
    )


def test_unrelated_schedules_are_left_alone() -> None:
    check_noop("SCHEDULE = {'a': 1}\n", RULES)
