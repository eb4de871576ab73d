"""WC206 beat: the periodic-task configuration WC115 cannot rewrite is reported, with why."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop, migrate
from weft_compat.codemod.report import FileOutcome, Status

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


# What beat_schedule (WC115) cannot rewrite is reported, with why, and left as it is.

BOTH = ("beat_schedule", "beat")
SETTINGS = {"module": "proj.settings", "path": "proj/settings.py"}
APP = "from celery import Celery\n\napp = Celery('proj')\n"
TASKS = {"proj.tasks": "from celery import shared_task\n\n@shared_task\ndef ping():\n    pass\n"}


def kept(
    source: str, codes: list[str], reason: str, rules: tuple[str, ...] = BOTH, **kwargs: object
) -> FileOutcome:
    """``source`` is left byte-identical, with ``codes`` reported, one of them for ``reason``."""
    outcome = check_flagged(source, codes, rules, **kwargs)
    assert outcome.status is Status.UNCHANGED, outcome.diff
    messages = [finding.message for finding in outcome.findings]
    assert any(reason in message for message in messages), messages
    return outcome


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("get_schedule()", "it is built by get_schedule(...)"),
        ("{k: v for k, v in ENTRIES}", "it is built by a comprehension"),
        ("BASE_SCHEDULE", "it is BASE_SCHEDULE, not a dict literal"),
        ("{**BASE, 'a': {'task': 'x', 'schedule': 10}}", "it spreads BASE into it"),
        ("{'a': ENTRY}", "entry 'a' is ENTRY, not a dict literal"),
        ("{'a': {'task': 'x', 'schedule': 10, 'relative': True}}", "the key 'relative'"),
        ("{'a': {'task': 'x'}}", "entry 'a' has no 'schedule'"),
        ("{'a': {'task': 'x', 'schedule': EVERY}}", "its schedule EVERY is not seconds"),
        ("{'a': {'task': 'x', 'schedule': solar('sunset', 1, 2)}}", "solar(...)"),
        ("{'a': {'task': 'x', 'schedule': crontab(nowfun=now)}}", "crontab(nowfun=...)"),
        ("{'a': {'task': 'x', 'schedule': crontab(app=app)}}", "crontab(app=...)"),
        ("{'a': {'task': 'x', 'schedule': crontab(minutes=5)}}", "not one of crontab's fields"),
        ("{'a': {'task': 'x', 'schedule': schedule(10, relative=True)}}", "schedule(run_every"),
    ],
)
def test_a_schedule_the_codemod_cannot_read_is_reported_and_left(value: str, reason: str) -> None:
    kept(
        "from celery.schedules import crontab, schedule, solar\n\n"
        f"CELERY_BEAT_SCHEDULE = {value}\n",
        ["WC206", "WC206"],
        reason,
        **SETTINGS,
    )


def test_a_schedule_is_never_half_rewritten() -> None:
    outcome = kept(
        """\
        from celery.schedules import crontab, solar

        CELERY_TIMEZONE = "Europe/Berlin"
        CELERY_BEAT_SCHEDULE = {
            "fine": {"task": "x", "schedule": crontab(minute=0)},
            "sunset": {"task": "y", "schedule": solar("sunset", -37.81, 144.96)},
        }
        """,
        ["WC206", "WC301", "WC206"],
        "entry 'sunset': solar(...)",
        rules=("beat_schedule", "beat", "settings"),
        **SETTINGS,
    )
    assert outcome.findings[2].line == 4


def test_two_schedules_in_a_module_move_together_or_not_at_all() -> None:
    outcome = kept(
        "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n"
        "CELERY_BEAT_SCHEDULE = make()\n",
        ["WC206", "WC206"],
        "moves only with the other beat schedules",
        **SETTINGS,
    )
    assert "built by make(...)" in outcome.findings[1].message


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n"
            "CELERY_BEAT_SCHEDULE['b'] = {'task': 'y', 'schedule': 20}\n",
            "read elsewhere in this module",
        ),
        (
            "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n"
            "WEFT_COMPAT = dict(CONTEXT='/srv')\n",
            "WEFT_COMPAT is assigned again further down",
        ),
        (
            "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n"
            "if DEBUG:\n    WEFT_COMPAT = {'CONTEXT': '/tmp'}\n",
            "WEFT_COMPAT is assigned again further down",
        ),
        (
            "WEFT_COMPAT = {'BEAT_SCHEDULE': {}}\n"
            "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n",
            "already sets a 'BEAT_SCHEDULE' key",
        ),
        (
            "from datetime import timedelta\n\nEVERY = 10\n"
            "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': timedelta(seconds=EVERY)}}\n"
            "EVERY = 20\nWEFT_COMPAT = {}\n",
            "EVERY is bound again before the WEFT_COMPAT further down",
        ),
    ],
)
def test_a_schedule_whose_module_would_lose_it_is_reported(source: str, reason: str) -> None:
    outcome = migrate(source, BOTH, **SETTINGS)
    assert outcome.status is Status.UNCHANGED, outcome.diff
    assert any(
        finding.code == "WC206" and reason in finding.message for finding in outcome.findings
    ), outcome.findings


@pytest.mark.parametrize(
    "source",
    [
        "if DEBUG:\n    CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n",
        "CELERY_BEAT_SCHEDULE: dict = {'a': {'task': 'x', 'schedule': 10}}\n",
        "X = 1; CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n",
    ],
)
def test_a_schedule_not_on_a_top_level_line_of_its_own_is_reported(source: str) -> None:
    kept(
        source,
        ["WC206"],
        "only a schedule assigned on a line of its own at the module's top level",
        **SETTINGS,
    )


def test_a_settings_module_that_star_imports_this_one_and_replaces_weft_compat() -> None:
    kept(
        "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n",
        ["WC206"],
        "proj.settings.prod star-imports this module and then sets a WEFT_COMPAT",
        module="proj.settings.base",
        path="proj/settings/base.py",
        modules={
            "proj.settings.prod": "from .base import *\n\nWEFT_COMPAT = {'CONTEXT': '/srv'}\n"
        },
    )


def test_a_settings_module_that_spreads_the_weft_compat_it_imports_is_no_obstacle() -> None:
    outcome = migrate(
        "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n",
        BOTH,
        module="proj.settings.base",
        path="proj/settings/base.py",
        modules={
            "proj.settings.prod": (
                "from .base import *\n\nWEFT_COMPAT = {**WEFT_COMPAT, 'CONTEXT': '/srv'}\n"
            )
        },
    )
    assert outcome.status is Status.CHANGED
    assert outcome.findings == []


def test_reads_of_a_schedule_setting_elsewhere_are_reported() -> None:
    check_flagged(
        "from django.conf import settings\n\nentries = settings.CELERY_BEAT_SCHEDULE\n",
        ["WC206"],
        BOTH,
    )
    check_flagged("from .base import *\n\nCELERY_BEAT_SCHEDULE['x'] = {}\n", ["WC206"], BOTH)


def test_the_django_celery_beat_scheduler_setting_is_one_finding() -> None:
    outcome = check_flagged(
        "CELERY_BEAT_SCHEDULER = 'django_celery_beat.schedulers:DatabaseScheduler'\n",
        ["WC206"],
        BOTH,
    )
    assert "delete it" in outcome.findings[0].message
    assert "PeriodicTask rows" in outcome.findings[0].message


def test_a_conf_schedule_the_codemod_cannot_read_is_reported() -> None:
    kept(APP + "app.conf.beat_schedule = make()\n", ["WC206"], "built by make(...)")
    kept(
        APP + "app.conf.update(timezone='UTC', beat_schedule=BEAT)\n",
        ["WC206"],
        "it is BEAT, not a dict literal",
    )
    kept(
        APP + "def configure():\n    app.conf.beat_schedule = {}\n",
        ["WC206"],
        "only a schedule assigned on a line of its own at the module's top level",
    )
    kept(
        APP + "app.conf.beat_schedule = {}\napp.conf.beat_schedule['a'] = {}\n",
        ["WC206", "WC206"],
        "also read or changed elsewhere",
    )


def test_add_periodic_task_outside_a_handler_is_reported() -> None:
    kept(
        APP + "app.add_periodic_task(10.0, ping.s())\n",
        ["WC206"],
        "only calls standing alone in an @app.on_after_configure.connect",
        modules=TASKS,
    )
    kept(
        "def setup(sender, **kwargs):\n    sender.add_periodic_task(10.0, ping.s())\n",
        ["WC206"],
        "only calls standing alone",
        modules=TASKS,
    )


HANDLER = APP + "\n\n@app.on_after_configure.connect\ndef setup(sender, **kwargs):\n"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "    print('hi')\n    sender.add_periodic_task(10.0, ping.s())\n",
            "the handler does more than call add_periodic_task",
        ),
        ("    sender.add_periodic_task(10.0, unknown.s())\n", "unknown is not a task the codemod"),
        ("    sender.add_periodic_task(EVERY, ping.s())\n", "its schedule EVERY is not seconds"),
        (
            "    sender.add_periodic_task(10.0, ping.s().set(queue='q'))\n",
            "is not a task, task.s(...), task.si(...)",
        ),
        (
            "    sender.add_periodic_task(10.0, ping.s(1), args=(2,))\n",
            "both the signature and args=/kwargs= give the task arguments",
        ),
        (
            "    sender.add_periodic_task(10.0, ping.s(kwargs['x']))\n",
            "uses the handler's parameter kwargs",
        ),
        ("    sender.add_periodic_task(10.0, ping.s(*extra))\n", "passes starred arguments"),
    ],
)
def test_a_handler_the_codemod_cannot_replace_is_reported_and_left(body: str, reason: str) -> None:
    source = "from proj.tasks import ping\n" + HANDLER + body
    outcome = kept(source, ["WC206"], reason, modules=TASKS)
    assert outcome.findings[0].line == source.count("\n")  # the call


def test_with_the_rewrite_rule_off_a_rewritable_schedule_says_so() -> None:
    outcome = check_flagged(
        "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n", ["WC206"], RULES
    )
    assert "beat_schedule (WC115) rewrites it" in outcome.findings[0].message


def test_the_crontab_of_a_reported_periodic_task_is_not_reported_again() -> None:
    kept(
        "from celery.schedules import crontab\n\n"
        "def setup(sender, **kwargs):\n    sender.add_periodic_task(crontab(0), ping.s())\n",
        ["WC206", "WC206"],
        "only calls standing alone",
        modules=TASKS,
    )


def test_what_follows_a_schedule_rewritten_into_a_call_is_still_reported() -> None:
    outcome = migrate(
        APP + "app.conf.beat_schedule = {'a': {'task': 'x', 'schedule': 10}}\n"
        "from celery.schedules import crontab\n\nlater = crontab(nowfun=now)\n",
        BOTH,
        module="proj.tasks",
        path="proj/tasks.py",
    )
    assert outcome.status is Status.CHANGED
    assert [(f.code, f.line) for f in outcome.findings] == [("WC206", 5), ("WC206", 7)]
