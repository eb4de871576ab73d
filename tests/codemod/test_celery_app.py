"""WC207 celery_app: the app module and its configuration are reported."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop, migrate

RULES = ("celery_app",)


def test_app_module() -> None:
    check_flagged(
        """\
        from celery import Celery

        app = Celery("proj")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.autodiscover_tasks()
        app.conf.update(task_acks_late=True)
        app.conf.timezone = "UTC"
        """,
        ["WC207"] * 5,
        RULES,
    )


def test_control_calls_other_than_revoke() -> None:
    check_flagged(
        "from proj.celery import app\n\napp.control.purge()\napp.control.revoke(x)\n",
        ["WC207"],
        RULES,
    )


def test_reexport_in_package_init() -> None:
    outcome = migrate(
        "from .worker import app as celery_app\n",
        RULES,
        modules={"proj.worker": "from celery import Celery\napp = Celery()\n"},
        module="proj",
        path="proj/__init__.py",
    )
    assert [finding.code for finding in outcome.findings] == ["WC207"]


def test_other_apps_are_left_alone() -> None:
    check_noop("from flask import Flask\n\napp = Flask(__name__)\napp.config.update(x=1)\n", RULES)
