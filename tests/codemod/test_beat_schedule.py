"""WC115 beat_schedule: literal Celery beat schedules become weft_compat's."""

from __future__ import annotations

import inspect
import sys
import textwrap
import types
from collections.abc import Sequence
from typing import Any
from unittest import mock

import pytest

import weft_compat
from tests.codemod.tools import ALL, check_noop, check_rewritten, migrate
from weft_compat.codemod.report import Status
from weft_compat.codemod.rules._beat_build import ADD, ADD_BEAT_SCHEDULE
from weft_compat.codemod.rules._beat_values import CRONTAB_FIELDS

SETTINGS = {"module": "proj.settings", "path": "proj/settings.py"}
APP = {"module": "proj.celery", "path": "proj/celery.py"}
TASKS = {
    "proj.tasks": (
        "from celery import shared_task\n\n"
        "@shared_task\ndef ping(text, loud=False):\n    return text\n\n"
        "@shared_task\ndef report():\n    pass\n"
    )
}
CELERY_APP = "from celery import Celery\n\napp = Celery('proj')\n"


def rewritten(before: str, after: str, rules: Sequence[str] = ALL, **kwargs: Any) -> str:
    """``before`` becomes ``after``, and a second run changes nothing."""
    outcome = check_rewritten(before, after, rules, **kwargs)
    assert outcome.new_source is not None
    again = migrate(outcome.new_source.decode(), rules, **kwargs)
    assert again.status is Status.UNCHANGED, again.diff
    assert not [f for f in again.findings if f.code in ("WC115", "WC206")], again.findings
    return outcome.new_source.decode()


def test_every_name_the_rewrite_imports_exists_in_weft_compat() -> None:
    names = {"crontab", ADD_BEAT_SCHEDULE, ADD}
    assert names <= set(weft_compat.__all__)
    assert all(callable(getattr(weft_compat, name)) for name in names)


def test_weft_compat_s_crontab_takes_celery_s_fields_in_celery_s_order() -> None:
    parameters = inspect.signature(weft_compat.crontab).parameters
    assert tuple(parameters) == CRONTAB_FIELDS
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters.values())


def test_add_periodic_task_takes_what_the_rewrite_passes() -> None:
    parameters = inspect.signature(weft_compat.add_periodic_task).parameters
    assert list(parameters)[:2] == ["schedule", "task"]
    assert {"name", "args", "kwargs"} <= set(parameters)
    assert any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def test_a_crontab_imported_from_weft_compat_s_own_module_counts_as_weft_compat_s() -> None:
    check_noop(
        "from weft_compat.beat._crontab import crontab\n\n"
        "WEFT_COMPAT = {'BEAT_SCHEDULE': {'a': {'task': 'x', 'schedule': crontab()}}}\n",
        ("beat_schedule", "beat"),
    )


# Settings: the schedule moves into WEFT_COMPAT, wherever WEFT_COMPAT is bound.


def test_a_schedule_in_a_module_without_weft_compat_creates_it() -> None:
    rewritten(
        """\
        from celery.schedules import crontab

        CELERY_BEAT_SCHEDULE = {
            # every quarter of an hour
            "expire": {
                "task": "orders.tasks.expire",
                "schedule": crontab(minute="*/15"),
            },
        }
        """,
        """\
        from weft_compat import crontab

        WEFT_COMPAT = {
            "BEAT_SCHEDULE": {
                # every quarter of an hour
                "expire": {
                    "task": "orders.tasks.expire",
                    "schedule": crontab(minute="*/15"),
                },
            },
        }
        """,
        **SETTINGS,
    )


def test_the_old_celerybeat_spelling_moves_too() -> None:
    rewritten(
        "from datetime import timedelta\n\n"
        "CELERYBEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': timedelta(seconds=30)}}\n",
        "from datetime import timedelta\n\n"
        "WEFT_COMPAT = {'BEAT_SCHEDULE': "
        "{'a': {'task': 'x', 'schedule': timedelta(seconds=30)}}}\n",
        **SETTINGS,
    )


def test_a_weft_compat_literal_above_gets_the_key_assigned_below_it() -> None:
    rewritten(
        """\
        from celery.schedules import crontab

        WEFT_COMPAT = {"CONTEXT": "/srv/weft"}

        CELERY_BEAT_SCHEDULE = {
            "nightly": {"task": "reports.nightly", "schedule": crontab(0, 2), "args": (1,)},
        }
        """,
        """\
        from weft_compat import crontab

        WEFT_COMPAT = {"CONTEXT": "/srv/weft"}

        WEFT_COMPAT["BEAT_SCHEDULE"] = {
            "nightly": {"task": "reports.nightly", "schedule": crontab(0, 2), "args": (1,)},
        }
        """,
        **SETTINGS,
    )


def test_a_weft_compat_literal_below_gets_the_key_inserted_into_it() -> None:
    rewritten(
        """\
        from celery.schedules import crontab

        CELERY_TIMEZONE = "Europe/Berlin"
        CELERY_BEAT_SCHEDULE = {
            "nightly": {
                "task": "reports.nightly",
                "schedule": crontab(hour=2, minute=30),
            },
        }

        WEFT_COMPAT = {
            "CONTEXT": "/srv/weft",
            "QUEUES": {"default": {"concurrency": 2}},
        }
        """,
        """\
        from weft_compat import crontab

        WEFT_COMPAT = {
            "CONTEXT": "/srv/weft",
            "QUEUES": {"default": {"concurrency": 2}},
            "TIMEZONE": "Europe/Berlin",
            "BEAT_SCHEDULE": {
                "nightly": {
                    "task": "reports.nightly",
                    "schedule": crontab(hour=2, minute=30),
                },
            },
        }
        """,
        **SETTINGS,
    )


def test_a_one_line_weft_compat_below_gets_the_key_on_its_line() -> None:
    rewritten(
        "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n"
        "WEFT_COMPAT = {'CONTEXT': '/srv'}\n",
        "WEFT_COMPAT = {'CONTEXT': '/srv', 'BEAT_SCHEDULE': "
        "{'a': {'task': 'x', 'schedule': 10}}}\n",
        **SETTINGS,
    )


def test_after_a_star_import_the_schedule_keeps_what_it_imported() -> None:
    rewritten(
        """\
        from .base import *

        CELERY_BEAT_SCHEDULE = {
            "ping": {"task": "proj.tasks.ping", "schedule": 60.0},
        }
        """,
        """\
        from .base import *

        WEFT_COMPAT = {
            **globals().get("WEFT_COMPAT", {}),
            "BEAT_SCHEDULE": {
                "ping": {"task": "proj.tasks.ping", "schedule": 60.0},
            },
        }
        """,
        **SETTINGS,
    )


def test_an_imported_weft_compat_is_copied_not_changed() -> None:
    rewritten(
        "from proj.base import WEFT_COMPAT\n\n"
        "CELERY_BEAT_SCHEDULE = {'ping': {'task': 'proj.tasks.ping', 'schedule': 60}}\n",
        "from proj.base import WEFT_COMPAT\n\n"
        "WEFT_COMPAT = {**WEFT_COMPAT, 'BEAT_SCHEDULE': "
        "{'ping': {'task': 'proj.tasks.ping', 'schedule': 60}}}\n",
        **SETTINGS,
    )


def test_a_time_zone_beside_the_schedule_moves_with_it() -> None:
    rewritten(
        """\
        import os

        TIME_ZONE = "UTC"
        CELERY_TIMEZONE = os.environ.get("TZ", TIME_ZONE)
        CELERY_BEAT_SCHEDULE = {"ping": {"task": "proj.tasks.ping", "schedule": 60}}
        """,
        """\
        import os

        TIME_ZONE = "UTC"
        WEFT_COMPAT = {"TIMEZONE": os.environ.get("TZ", TIME_ZONE)}
        WEFT_COMPAT["BEAT_SCHEDULE"] = {"ping": {"task": "proj.tasks.ping", "schedule": 60}}
        """,
        **SETTINGS,
    )


def test_a_time_zone_without_a_schedule_is_left_to_the_settings_rule() -> None:
    outcome = migrate('CELERY_TIMEZONE = "Europe/Berlin"\n', **SETTINGS)
    assert outcome.status is Status.UNCHANGED
    assert [f.code for f in outcome.findings] == ["WC301"]
    assert "WEFT_COMPAT['TIMEZONE']" in outcome.findings[0].message


def test_a_time_zone_that_is_read_elsewhere_stays_and_the_schedule_still_moves() -> None:
    outcome = migrate(
        "CELERY_TIMEZONE = 'Europe/Berlin'\nZONE = CELERY_TIMEZONE\n"
        "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': 10}}\n",
        **SETTINGS,
    )
    assert outcome.new_source is not None
    assert outcome.new_source.decode() == (
        "CELERY_TIMEZONE = 'Europe/Berlin'\nZONE = CELERY_TIMEZONE\n"
        "WEFT_COMPAT = {'BEAT_SCHEDULE': {'a': {'task': 'x', 'schedule': 10}}}\n"
    )
    assert [f.code for f in outcome.findings] == ["WC301"]


def test_schedule_run_every_becomes_its_value_and_the_import_goes() -> None:
    rewritten(
        """\
        from datetime import timedelta

        from celery.schedules import crontab, schedule

        CELERY_BEAT_SCHEDULE = {
            "a": {"task": "x", "schedule": schedule(run_every=timedelta(minutes=5))},
            "b": {"task": "y", "schedule": schedule(30)},
            "c": {"task": "z", "schedule": crontab(0, 0, day_of_month="1")},
        }
        """,
        """\
        from datetime import timedelta
        from weft_compat import crontab

        WEFT_COMPAT = {
            "BEAT_SCHEDULE": {
                "a": {"task": "x", "schedule": timedelta(minutes=5)},
                "b": {"task": "y", "schedule": 30},
                "c": {"task": "z", "schedule": crontab(0, 0, day_of_month="1")},
            },
        }
        """,
        **SETTINGS,
    )


def test_a_module_import_of_celery_schedules_goes_and_crontab_is_imported() -> None:
    rewritten(
        "from celery import schedules\n\n"
        "CELERY_BEAT_SCHEDULE = {'a': {'task': 'x', 'schedule': schedules.crontab(hour=3)}}\n",
        "from weft_compat import crontab\n\n"
        "WEFT_COMPAT = {'BEAT_SCHEDULE': {'a': {'task': 'x', 'schedule': crontab(hour=3)}}}\n",
        **SETTINGS,
    )


def test_crontab_kept_for_celery_elsewhere_makes_the_schedule_spell_weft_compat_s() -> None:
    rewritten(
        """\
        from celery.schedules import crontab

        EVERY_HOUR = crontab(minute=0)
        CELERY_BEAT_SCHEDULE = {"a": {"task": "x", "schedule": crontab(5)}}
        """,
        """\
        from celery.schedules import crontab
        import weft_compat

        EVERY_HOUR = crontab(minute=0)
        WEFT_COMPAT = {"BEAT_SCHEDULE": {"a": {"task": "x", "schedule": weft_compat.crontab(5)}}}
        """,
        ("beat_schedule",),
        **SETTINGS,
    )


def test_an_empty_schedule_moves() -> None:
    rewritten("CELERY_BEAT_SCHEDULE = {}\n", 'WEFT_COMPAT = {"BEAT_SCHEDULE": {}}\n', **SETTINGS)


# The rewritten settings module runs and gives WEFT_COMPAT the schedule.


def execute(source: str, base: dict[str, object] | None = None) -> dict[str, Any]:
    """Run a settings module's text; ``base`` is what ``from proj_base import *`` gives."""
    modules: dict[str, types.ModuleType] = {}
    if base is not None:
        module = types.ModuleType("proj_base")
        module.__dict__.update(base)
        modules["proj_base"] = module
    namespace: dict[str, Any] = {"__name__": "proj.settings"}
    with mock.patch.dict(sys.modules, modules):
        exec(compile(source, "settings.py", "exec"), namespace)
    return namespace


SCHEDULE = """\
CELERY_BEAT_SCHEDULE = {
    "nightly": {"task": "reports.nightly", "schedule": crontab(hour=2, minute=30)},
    "ping": {"task": "proj.tasks.ping", "schedule": 30, "args": ("hi",)},
}
"""
PLACEMENTS = {
    "a literal above": (
        'WEFT_COMPAT = {"CONTEXT": "/srv"}\nCELERY_TIMEZONE = "Europe/Berlin"\n' + SCHEDULE,
        None,
    ),
    "a literal below": (
        'CELERY_TIMEZONE = "Europe/Berlin"\n' + SCHEDULE + 'WEFT_COMPAT = {"CONTEXT": "/srv"}\n',
        None,
    ),
    "a star import": (
        'from proj_base import *\nCELERY_TIMEZONE = "Europe/Berlin"\n' + SCHEDULE,
        {"WEFT_COMPAT": {"CONTEXT": "/srv"}},
    ),
    "a star import without one": (
        'from proj_base import *\nCELERY_TIMEZONE = "Europe/Berlin"\n' + SCHEDULE,
        {"DEBUG": True},
    ),
    "none": ('CELERY_TIMEZONE = "Europe/Berlin"\n' + SCHEDULE, None),
}


@pytest.mark.parametrize("placement", sorted(PLACEMENTS))
def test_the_rewritten_settings_give_weft_compat_the_schedule(placement: str) -> None:
    body, base = PLACEMENTS[placement]
    source = "from celery.schedules import crontab\n\n" + body
    outcome = migrate(source, **SETTINGS)
    assert outcome.new_source is not None
    text = outcome.new_source.decode()
    assert "celery" not in text.lower()
    crontab = weft_compat.crontab
    settings = execute(text, base)
    expected: dict[str, object] = {
        "TIMEZONE": "Europe/Berlin",
        "BEAT_SCHEDULE": {
            "nightly": {"task": "reports.nightly", "schedule": crontab(hour=2, minute=30)},
            "ping": {"task": "proj.tasks.ping", "schedule": 30, "args": ("hi",)},
        },
    }
    if "CONTEXT" in source or (base or {}).get("WEFT_COMPAT"):
        expected["CONTEXT"] = "/srv"
    assert settings["WEFT_COMPAT"] == expected
    assert "CELERY_BEAT_SCHEDULE" not in settings
    assert "CELERY_TIMEZONE" not in settings
    if base is not None and "WEFT_COMPAT" in base:
        assert base["WEFT_COMPAT"] == {"CONTEXT": "/srv"}  # copied, not changed


# app.conf: the schedule becomes add_beat_schedule(...).


def test_app_conf_beat_schedule_becomes_add_beat_schedule() -> None:
    rewritten(
        CELERY_APP
        + textwrap.dedent(
            """\
            app.conf.beat_schedule = {
                "add-every-30-seconds": {
                    "task": "tasks.add",
                    "schedule": 30.0,
                    "args": (16, 16),
                },
            }
            """
        ),
        """\
        from celery import Celery
        from weft_compat import add_beat_schedule

        app = Celery('proj')
        add_beat_schedule({
            "add-every-30-seconds": {
                "task": "tasks.add",
                "schedule": 30.0,
                "args": (16, 16),
            },
        })
        """,
        **APP,
    )


def test_the_module_holding_a_schedule_in_code_is_to_be_listed_in_imports() -> None:
    outcome = migrate(CELERY_APP + "app.conf.beat_schedule = {}\n", **APP)
    finding = next(f for f in outcome.findings if f.code == "WC115")
    assert finding.line == 4
    assert "add 'proj.celery' to WEFT_COMPAT[\"IMPORTS\"]" in finding.message
    assert finding.guide == "migration_guide/beat.md#wc115-beat_schedule"


def test_a_tasks_module_holding_a_schedule_needs_no_imports_setting() -> None:
    outcome = migrate(
        CELERY_APP + "app.conf.beat_schedule = {}\n", module="proj.tasks", path="proj/tasks.py"
    )
    assert outcome.status is Status.CHANGED
    assert not [f for f in outcome.findings if f.code == "WC115"]


def test_an_update_of_only_the_schedule_becomes_add_beat_schedule() -> None:
    source = (
        "from celery import Celery\nfrom celery.schedules import crontab\n\n"
        "app = Celery('proj')\n"
        "app.conf.update(beat_schedule={'a': {'task': 'x', 'schedule': crontab(0)}})\n"
    )
    rewritten(
        source,
        "from celery import Celery\nfrom weft_compat import add_beat_schedule, crontab\n\n"
        "app = Celery('proj')\nadd_beat_schedule({'a': {'task': 'x', 'schedule': crontab(0)}})\n",
        ("beat_schedule", "beat"),
        **APP,
    )


def test_an_update_keeps_its_other_keys_and_the_schedule_follows_it() -> None:
    rewritten(
        CELERY_APP + "app.conf.update(\n    timezone='Europe/Berlin',\n"
        "    beat_schedule={'a': {'task': 'x', 'schedule': 10}},\n)\n",
        "from celery import Celery\nfrom weft_compat import add_beat_schedule\n\n"
        "app = Celery('proj')\napp.conf.update(\n    timezone='Europe/Berlin',\n)\n"
        "add_beat_schedule({'a': {'task': 'x', 'schedule': 10}})\n",
        ("beat_schedule", "beat"),
        **APP,
    )


def test_once_the_schedule_moves_the_app_and_celery_go() -> None:
    source = CELERY_APP + (
        "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
        "app.conf.beat_schedule = {'a': {'task': 'x', 'schedule': 10}}\n"
    )
    first = migrate(source, **APP)
    assert "proj.celery.app" not in first.app_uses
    outcome = migrate(source, app_users={"proj.celery.app": ()}, **APP)
    assert outcome.new_source is not None
    assert outcome.new_source.decode() == (
        "from weft_compat import add_beat_schedule\n"
        "add_beat_schedule({'a': {'task': 'x', 'schedule': 10}})\n"
    )


# Handlers: sender.add_periodic_task(...) calls become module-level calls.


def test_a_handler_becomes_its_calls_below_the_tasks_they_name() -> None:
    source = """\
        from celery import Celery
        from celery.schedules import crontab

        app = Celery()


        @app.on_after_configure.connect
        def setup_periodic_tasks(sender: Celery, **kwargs):
            # Calls test('hello') every 10 seconds.
            sender.add_periodic_task(10.0, test.s('hello'), name='add every 10')

            # Calls test('world') every 30 seconds
            sender.add_periodic_task(30.0, test.s('world'), expires=10)

            # Executes every Monday morning at 7:30 a.m.
            sender.add_periodic_task(
                crontab(hour=7, minute=30, day_of_week=1),
                test.s('Happy Mondays!'),
            )


        @app.task
        def test(arg):
            print(arg)
        """
    text = rewritten(
        source,
        """\
        from celery import Celery
        from weft_compat import add_periodic_task, crontab, weft_task

        app = Celery()


        @weft_task
        def test(arg):
            print(arg)


        # Calls test('hello') every 10 seconds.
        add_periodic_task(10.0, test, args=('hello',), name='add every 10')

        # Calls test('world') every 30 seconds
        add_periodic_task(30.0, test, args=('world',), expires=10)

        # Executes every Monday morning at 7:30 a.m.
        add_periodic_task(
            crontab(hour=7, minute=30, day_of_week=1),
            test,
            args=('Happy Mondays!',),
        )
        """,
        module="proj.tasks",
        path="proj/tasks.py",
    )
    assert "on_after_configure" not in text


def test_si_and_keyword_arguments_become_args_and_kwargs() -> None:
    rewritten(
        """\
        from proj.celery import app
        from proj.tasks import ping


        @app.on_after_finalize.connect
        def setup(sender, **kwargs):
            \"\"\"Periodic pings.\"\"\"
            sender.add_periodic_task(60, ping.si("a", loud=True), queue="pings")
            sender.add_periodic_task(120, ping.s(loud=False))
            sender.add_periodic_task(300, ping, args=("b",))
        """,
        """\
        from proj.tasks import ping
        from weft_compat import add_periodic_task


        add_periodic_task(60, ping, args=("a",), kwargs={"loud": True}, queue="pings")
        add_periodic_task(120, ping, kwargs={"loud": False})
        add_periodic_task(300, ping, args=("b",))
        """,
        modules={**TASKS, "proj.celery": CELERY_APP},
        module="proj.schedule",
        path="proj/schedule.py",
    )


def test_a_signature_by_name_becomes_the_name() -> None:
    rewritten(
        """\
        from celery import signature

        from proj.celery import app


        @app.on_after_configure.connect
        def setup(sender, **kwargs):
            sender.add_periodic_task(5.0, signature("proj.tasks.ping", args=("x",)))
            sender.add_periodic_task(9.0, sender.signature("proj.tasks.report"))
        """,
        """\
        from weft_compat import add_periodic_task


        add_periodic_task(5.0, "proj.tasks.ping", args=("x",))
        add_periodic_task(9.0, "proj.tasks.report")
        """,
        modules={**TASKS, "proj.celery": CELERY_APP},
        module="proj.tasks_schedule",
        path="proj/tasks_schedule.py",
    )


def test_calls_whose_names_are_bound_above_stay_where_the_handler_was() -> None:
    rewritten(
        """\
        from proj.celery import app
        from proj.tasks import report


        @app.on_after_configure.connect
        def setup(sender, **kwargs):
            sender.add_periodic_task(3600, report.s())


        def helper():
            return 1
        """,
        """\
        from proj.tasks import report
        from weft_compat import add_periodic_task


        add_periodic_task(3600, report)


        def helper():
            return 1
        """,
        modules={**TASKS, "proj.celery": CELERY_APP},
        module="proj.tasks2",
        path="proj/tasks2.py",
    )


def test_a_handler_in_the_app_module_leaves_an_importable_module_once_the_app_goes() -> None:
    source = """\
        import os

        from celery import Celery
        from celery.schedules import crontab

        from proj.tasks import report

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")

        app = Celery("proj")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.autodiscover_tasks()


        @app.on_after_configure.connect
        def setup_periodic_tasks(sender, **kwargs):
            sender.add_periodic_task(crontab(minute=0), report.s(), name="hourly report")
        """
    # The settings already list weft_compat's app (WC116 has nothing to report).
    modules = {**TASKS, "proj.settings": "INSTALLED_APPS = ['weft_compat.django']\n"}
    first = migrate(source, modules=modules, **APP)
    assert first.app_uses == frozenset()
    outcome = migrate(source, modules=modules, app_users={"proj.celery.app": ()}, **APP)
    assert outcome.new_source is not None
    text = outcome.new_source.decode()
    assert "celery" not in text.replace("proj.celery", "").lower(), text
    assert 'add_periodic_task(crontab(minute=0), report, name="hourly report")' in text
    compile(text, "celery.py", "exec")
    assert [f.code for f in outcome.findings] == ["WC115"]


def test_a_module_with_no_schedule_is_left_alone() -> None:
    check_noop("SCHEDULE = {'a': 1}\nWEFT_COMPAT = {}\n", ("beat_schedule",))
    check_noop(
        "from weft_compat import crontab\n\n"
        "WEFT_COMPAT = {'BEAT_SCHEDULE': {'a': {'task': 'x', 'schedule': crontab()}}}\n",
        ("beat_schedule", "beat"),
    )
