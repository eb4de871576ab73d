"""WC208 signals: receivers and imports of the signals weft_compat does not send."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop

RULES = ("task_signals", "signals", "celery_imports")
# Celery's signals weft_compat never sends (worker, beat, logging, the deprecated task_sent).
NOT_SENT = (
    "worker_init",
    "worker_ready",
    "worker_process_init",
    "worker_process_shutdown",
    "worker_shutting_down",
    "worker_shutdown",
    "celeryd_init",
    "celeryd_after_setup",
    "import_modules",
    "heartbeat_sent",
    "setup_logging",
    "after_setup_logger",
    "after_setup_task_logger",
    "beat_init",
    "beat_embedded_init",
    "task_received",
    "task_rejected",
    "task_unknown",
    "task_internal_error",
    "task_sent",
)


@pytest.mark.parametrize("name", NOT_SENT)
def test_a_receiver_of_a_signal_not_sent_is_reported_with_its_import(name: str) -> None:
    outcome = check_flagged(
        f"from celery.signals import {name}\n\n@{name}.connect\ndef f(**kw):\n    pass\n",
        ["WC208", "WC208"],
        RULES,
    )
    assert outcome.new_source is None
    assert f"from celery.signals import {name} needs Celery" in outcome.findings[0].message
    assert f"receiver of Celery signal {name!r}, which weft_compat does not send" in (
        outcome.findings[1].message
    )


def test_decorator_receiver_with_sender() -> None:
    outcome = check_flagged(
        "from celery import signals\n\n@signals.worker_process_init.connect(sender=t)\n"
        "def f(**kw):\n    pass\n",
        ["WC208", "WC208"],
        RULES,
    )
    assert outcome.findings[0].message.startswith("from celery import signals needs Celery")
    assert outcome.findings[1].line == 3


def test_connect_call() -> None:
    outcome = check_flagged(
        "import celery.signals\n\ncelery.signals.worker_ready.connect(handler)\n",
        ["WC208", "WC208"],
        RULES,
    )
    assert outcome.findings[0].message.startswith("import celery.signals needs Celery")
    assert "(celery.signals.worker_ready.connect)" in outcome.findings[1].message


@pytest.mark.parametrize(
    "source",
    [
        "from celery.signals import task_failure\n\n@task_failure.connect\ndef f(**kw):\n"
        "    pass\n",
        "from celery import signals\n\nsignals.after_task_publish.connect(g)\n",
        "import celery.signals\n\ncelery.signals.task_prerun.connect(g)\n",
    ],
)
def test_receivers_of_the_signals_weft_compat_sends_are_not_reported(source: str) -> None:
    outcome = check_flagged(source, [], RULES)
    assert outcome.new_source is not None  # moved by task_signals (WC117)


def test_a_module_import_kept_by_another_spelling_of_its_name_is_reported() -> None:
    # ``signals`` is also spelled in ``celery.signals``, so the unused-import check errs
    # towards keeping ``from celery import signals``; it is reported, not left silently.
    outcome = check_flagged(
        "from celery.signals import task_failure\nfrom celery import signals\n\n"
        "task_failure.connect(f)\nsignals.task_success.connect(g)\n",
        ["WC208"],
        RULES,
    )
    assert outcome.findings[0].message.startswith("from celery import signals needs Celery")


def test_a_star_import_is_reported() -> None:
    outcome = check_flagged("from celery.signals import *\n", ["WC208"], RULES)
    assert "import the task signals you use from weft_compat.signals" in (
        outcome.findings[0].message
    )


def test_celery_s_signal_class_stays_and_is_reported() -> None:
    check_flagged("from celery.signals import Signal\n\nreset = Signal()\n", ["WC208"], RULES)


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
