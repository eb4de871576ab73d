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
        (*RULES, "async_result"),
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


def test_include_becomes_the_imports_setting() -> None:
    outcome = check_flagged(
        "from celery import Celery\n\napp = Celery('p', include=['p.extra'])\n",
        ["WC207", "WC207"],
        ("celery_app",),
    )
    assert "Celery(include=...) becomes WEFT_COMPAT['IMPORTS']" in outcome.findings[1].message


def test_conf_imports_and_result_expires_say_where_they_go() -> None:
    outcome = check_flagged(
        "from proj.celery import app\n\napp.conf.imports = ['p.extra']\n"
        "app.conf.result_expires = 60\napp.conf.update(include=['x'])\n",
        ["WC207", "WC207", "WC207", "WC207"],
        ("celery_app",),
    )
    messages = [finding.message for finding in outcome.findings]
    assert "app.conf.imports configures Celery: becomes WEFT_COMPAT['IMPORTS']" in messages[0]
    assert "WEFT_COMPAT['RESULT_EXPIRES']" in messages[1]
    assert messages[3].startswith("include= becomes WEFT_COMPAT['IMPORTS']")


def test_conf_result_extended_says_where_it_goes() -> None:
    outcome = check_flagged(
        "from proj.celery import app\n\napp.conf.result_extended = True\n"
        "app.conf.update(result_extended=True)\n",
        ["WC207", "WC207", "WC207"],
        ("celery_app",),
    )
    messages = [finding.message for finding in outcome.findings]
    assert messages[0].startswith("app.conf.result_extended configures Celery: becomes")
    assert "WEFT_COMPAT['RESULT_EXTENDED']" in messages[0]
    assert messages[2].startswith("result_extended= becomes WEFT_COMPAT['RESULT_EXTENDED']")


def test_autodiscover_tasks_says_wc116_installs_weft_compat_s_app() -> None:
    outcome = check_flagged(
        "from proj.celery import app\n\napp.autodiscover_tasks()\n", ["WC207"], ("celery_app",)
    )
    assert 'WC116 adds "weft_compat.django" to INSTALLED_APPS' in outcome.findings[0].message


def test_the_app_s_task_registry_is_reported() -> None:
    outcome = check_flagged(
        "from proj.celery import app\n\ntask = app.tasks['proj.send']\n", ["WC207"], ("celery_app",)
    )
    assert "weft_compat.get_task(name)" in outcome.findings[0].message
