"""WC208 signals: receivers of Celery signals are reported."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop

RULES = ("signals",)


def test_decorator_receiver() -> None:
    check_flagged(
        "from celery.signals import task_failure\n\n@task_failure.connect\ndef f(**kw):\n"
        "    pass\n",
        ["WC208"],
        RULES,
    )


def test_decorator_receiver_with_sender() -> None:
    check_flagged(
        "from celery import signals\n\n@signals.task_postrun.connect(sender=t)\n"
        "def f(**kw):\n    pass\n",
        ["WC208"],
        RULES,
    )


def test_connect_call() -> None:
    check_flagged(
        "from celery.signals import worker_ready\n\nworker_ready.connect(handler)\n",
        ["WC208"],
        RULES,
    )


def test_app_signal() -> None:
    check_flagged(
        "from proj.celery import app\n\n@app.on_after_configure.connect\n"
        "def f(sender, **kw):\n    pass\n",
        ["WC208"],
        RULES,
    )


def test_django_signals_are_left_alone() -> None:
    check_noop(
        "from django.db.models.signals import post_save\n\npost_save.connect(handler)\n", RULES
    )
