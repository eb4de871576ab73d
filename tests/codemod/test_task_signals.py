"""WC117 task_signals: Celery's task signals are imported from weft_compat.signals."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import celery.signals
import pytest

from tests.codemod.tools import check_flagged, check_noop, check_rewritten, migrate
from weft_compat import signals
from weft_compat.codemod.report import Status
from weft_compat.codemod.rules.task_signals import SENT

RULES = ("task_signals", "signals", "celery_imports")


def test_the_moved_signals_are_those_weft_compat_sends() -> None:
    assert set(signals.__all__) - {"Signal"} == SENT
    assert set(celery.signals.__all__) >= SENT


def test_a_from_import_moves_and_the_receivers_stay() -> None:
    check_rewritten(
        "from celery.signals import task_failure, task_success\n\n"
        "@task_failure.connect\ndef failed(sender=None, task_id=None, **kwargs):\n    pass\n\n"
        "@task_success.connect(sender=send_receipt)\ndef sent(sender=None, **kwargs):\n"
        "    pass\n",
        "from weft_compat.signals import task_failure, task_success\n\n"
        "@task_failure.connect\ndef failed(sender=None, task_id=None, **kwargs):\n    pass\n\n"
        "@task_success.connect(sender=send_receipt)\ndef sent(sender=None, **kwargs):\n"
        "    pass\n",
        RULES,
    )


@pytest.mark.parametrize("name", sorted(SENT - {"task_revoked"}))
def test_each_signal_weft_compat_sends_moves_without_a_finding(name: str) -> None:
    outcome = check_rewritten(
        f"from celery.signals import {name}\n\n{name}.connect(handler, weak=False)\n",
        f"from weft_compat.signals import {name}\n\n{name}.connect(handler, weak=False)\n",
        RULES,
    )
    assert outcome.findings == []


def test_an_alias_is_kept() -> None:
    check_rewritten(
        "from celery.signals import task_failure as failed\n\n@failed.connect\n"
        "def f(**kwargs):\n    pass\n",
        "from weft_compat.signals import task_failure as failed\n\n@failed.connect\n"
        "def f(**kwargs):\n    pass\n",
        RULES,
    )


def test_connect_calls_keep_their_arguments() -> None:
    check_rewritten(
        "from celery.signals import task_postrun\n\n"
        "task_postrun.connect(record, sender='orders.tasks.process', weak=False, "
        "dispatch_uid='record')\n",
        "from weft_compat.signals import task_postrun\n\n"
        "task_postrun.connect(record, sender='orders.tasks.process', weak=False, "
        "dispatch_uid='record')\n",
        RULES,
    )


def test_an_import_inside_ready_moves() -> None:
    check_rewritten(
        "class OrdersConfig(AppConfig):\n    def ready(self):\n"
        "        from celery.signals import task_failure\n\n"
        "        task_failure.connect(mark_failed)\n",
        "class OrdersConfig(AppConfig):\n    def ready(self):\n"
        "        from weft_compat.signals import task_failure\n\n"
        "        task_failure.connect(mark_failed)\n",
        RULES,
    )


def test_celery_signals_imported_whole() -> None:
    check_rewritten(
        "import celery.signals\n\ncelery.signals.task_failure.connect(mark_failed)\n",
        "import weft_compat.signals\n\nweft_compat.signals.task_failure.connect(mark_failed)\n",
        RULES,
    )


def test_celery_signals_imported_under_another_name() -> None:
    check_rewritten(
        "import celery.signals as cs\n\n@cs.task_retry.connect\ndef f(**kwargs):\n    pass\n",
        "import weft_compat.signals\n\n@weft_compat.signals.task_retry.connect\n"
        "def f(**kwargs):\n    pass\n",
        RULES,
    )


def test_from_celery_import_signals_moves_by_attribute() -> None:
    outcome = check_rewritten(
        "from celery import signals\n\n@signals.task_prerun.connect(sender=t)\n"
        "def f(**kwargs):\n    pass\n",
        "import weft_compat.signals\n\n@weft_compat.signals.task_prerun.connect(sender=t)\n"
        "def f(**kwargs):\n    pass\n",
        RULES,
    )
    assert outcome.findings == []  # celery_imports (WC211) leaves celery.signals to these rules


def test_from_celery_import_signals_stays_for_the_signals_not_sent() -> None:
    outcome = check_rewritten(
        "from celery import signals\n\nsignals.task_failure.connect(f)\n"
        "signals.worker_ready.connect(g)\n",
        "from celery import signals\nimport weft_compat.signals\n\n"
        "weft_compat.signals.task_failure.connect(f)\nsignals.worker_ready.connect(g)\n",
        RULES,
    )
    assert [(finding.code, finding.line) for finding in outcome.findings] == [
        ("WC208", 1),
        ("WC208", 4),
    ]
    assert "from celery import signals needs Celery" in outcome.findings[0].message


def test_a_mixed_import_is_split() -> None:
    outcome = check_rewritten(
        "from celery.signals import task_failure, worker_ready  # receivers\n\n"
        "@task_failure.connect\ndef f(**kwargs):\n    pass\n\n"
        "@worker_ready.connect\ndef g(**kwargs):\n    pass\n",
        "from weft_compat.signals import task_failure  # receivers\n"
        "from celery.signals import worker_ready\n\n"
        "@task_failure.connect\ndef f(**kwargs):\n    pass\n\n"
        "@worker_ready.connect\ndef g(**kwargs):\n    pass\n",
        RULES,
    )
    assert [(finding.code, finding.line) for finding in outcome.findings] == [
        ("WC208", 1),
        ("WC208", 7),
    ]
    assert outcome.findings[0].message.startswith(
        "from celery.signals import worker_ready needs Celery"
    )


def test_a_mixed_import_with_aliases_is_split_keeping_them() -> None:
    check_rewritten(
        "from celery.signals import setup_logging as logs, task_failure as failed, worker_init\n",
        "from weft_compat.signals import task_failure as failed\n"
        "from celery.signals import setup_logging as logs, worker_init\n",
        RULES,
    )


def test_a_parenthesised_mixed_import_in_a_method_is_split_with_its_comments() -> None:
    check_rewritten(
        "class OrdersConfig(AppConfig):\n    def ready(self):\n"
        "        from celery.signals import (\n"
        "            task_failure,  # marks the order\n"
        "            worker_process_init,  # opens the cache\n"
        "            task_retry,\n"
        "        )\n"
        "        task_failure.connect(mark_failed)\n",
        "class OrdersConfig(AppConfig):\n    def ready(self):\n"
        "        from weft_compat.signals import (\n"
        "            task_failure,  # marks the order\n"
        "            task_retry,\n"
        "        )\n"
        "        from celery.signals import (\n"
        "            worker_process_init,  # opens the cache\n"
        "        )\n"
        "        task_failure.connect(mark_failed)\n",
        RULES,
    )


def test_a_mixed_import_in_a_try_block_is_split_there() -> None:
    check_rewritten(
        "try:\n    from celery.signals import task_failure, worker_ready as ready\n"
        "except ImportError:\n    pass\n",
        "try:\n    from weft_compat.signals import task_failure\n"
        "    from celery.signals import worker_ready as ready\n"
        "except ImportError:\n    pass\n",
        RULES,
    )


def test_a_mixed_import_last_on_its_line_is_split() -> None:
    check_rewritten(
        "import os; from celery.signals import task_retry, worker_init\n",
        "import os; from weft_compat.signals import task_retry\n"
        "from celery.signals import worker_init\n",
        RULES,
    )


@pytest.mark.parametrize(
    "source",
    [
        "from celery.signals import task_failure, worker_ready; worker_ready.connect(f)\n",
        "if ENABLED: from celery.signals import task_failure, worker_ready\n",
    ],
    ids=["semicolon", "one-line block"],
)
def test_a_mixed_import_sharing_its_line_is_reported_whole(source: str) -> None:
    outcome = migrate(source, RULES)
    assert outcome.status is Status.UNCHANGED
    assert outcome.findings[0].code == "WC117"
    assert "names task_failure, which weft_compat.signals sends, and worker_ready" in (
        outcome.findings[0].message
    )
    # The import itself is reported once, by WC117; the receiver by WC208.
    assert [finding.code for finding in outcome.findings[1:]] == ["WC208"] * ("connect" in source)


def test_an_import_of_signals_not_sent_is_left_for_signals() -> None:
    outcome = check_flagged(
        "from celery.signals import worker_ready, setup_logging\n", ["WC208"], RULES
    )
    assert outcome.new_source is None
    assert "from celery.signals import worker_ready, setup_logging needs Celery" in (
        outcome.findings[0].message
    )


def test_task_revoked_moves_with_a_note() -> None:
    outcome = check_rewritten(
        "from celery.signals import task_revoked\n\n@task_revoked.connect\n"
        "def revoked(request=None, terminated=None, signum=None, expired=None, **kwargs):\n"
        "    pass\n",
        "from weft_compat.signals import task_revoked\n\n@task_revoked.connect\n"
        "def revoked(request=None, terminated=None, signum=None, expired=None, **kwargs):\n"
        "    pass\n",
        RULES,
    )
    assert [(finding.code, finding.line, finding.col) for finding in outcome.findings] == [
        ("WC117", 1, 28)
    ]
    assert "in the process that revokes, not in the worker" in outcome.findings[0].message
    assert outcome.findings[0].guide.endswith("signals.md#wc117-task_signals")


def test_task_revoked_by_attribute_has_the_note_where_it_is_rewritten() -> None:
    outcome = check_rewritten(
        "from celery import signals\n\nsignals.task_revoked.connect(on_revoked)\n",
        "import weft_compat.signals\n\nweft_compat.signals.task_revoked.connect(on_revoked)\n",
        RULES,
    )
    assert [(finding.code, finding.line) for finding in outcome.findings] == [("WC117", 3)]


def test_a_receiver_for_a_task_kept_on_celery_is_reported() -> None:
    outcome = check_flagged(
        "from celery import shared_task\nfrom celery.signals import task_failure\n\n"
        "@shared_task(ignore_results=True)\ndef t():\n    pass\n\n"
        "@task_failure.connect(sender=t)\ndef f(**kwargs):\n    pass\n\n"
        "task_failure.connect(f, t)\n",
        ["WC117", "WC117"],
        RULES,
    )
    assert "receiver is for t, which stays on Celery" in outcome.findings[0].message


def test_a_receiver_for_a_migrated_task_is_left_as_it_is() -> None:
    outcome = check_rewritten(
        "from celery import shared_task\nfrom celery.signals import task_failure\n\n"
        "@shared_task\ndef t():\n    pass\n\n"
        "@task_failure.connect(sender=t)\ndef f(**kwargs):\n    pass\n",
        "from weft_compat.signals import task_failure\nfrom weft_compat import weft_task\n\n"
        "@weft_task\ndef t():\n    pass\n\n"
        "@task_failure.connect(sender=t)\ndef f(**kwargs):\n    pass\n",
    )
    assert outcome.findings == []


def test_other_signals_modules_are_left_alone() -> None:
    check_noop("from myapp.signals import task_failure\n\ntask_failure.connect(f)\n", RULES)
    check_noop("from django.db.models.signals import post_save\n", RULES)
    check_noop("from weft_compat.signals import task_failure\n\ntask_failure.connect(f)\n", RULES)


@pytest.mark.parametrize(
    "source",
    [
        "from celery.signals import task_failure, worker_ready as ready\n"
        "ready.connect(f)\ntask_failure.connect(f)\n",
        "def ready():\n    from celery.signals import (\n        task_prerun,\n"
        "        setup_logging,\n    )\n    task_prerun.connect(f)\n",
        "from celery import signals\nsignals.task_failure.connect(f)\n"
        "signals.worker_init.connect(g)\n",
        "import celery.signals\ncelery.signals.task_success.connect(f)\n",
    ],
)
def test_the_rewrite_is_idempotent(source: str) -> None:
    first = migrate(source, RULES)
    assert first.new_source is not None
    second = migrate(first.new_source.decode(), RULES)
    assert second.status is Status.UNCHANGED, second.diff


# Receivers in each import form, connected as Celery's docs show, one module each; the
# rewritten modules run where Celery cannot be imported, and weft_compat's signals
# reach every receiver they are meant for.
RECEIVERS = [
    """
from celery.signals import task_failure as failed, before_task_publish


@failed.connect
def on_failure(sender=None, task_id=None, exception=None, **kwargs):
    calls.append(("failure", sender, task_id, str(exception)))


def on_publish(sender=None, headers=None, **kwargs):
    calls.append(("publish", sender, headers["id"]))


before_task_publish.connect(on_publish, sender="orders.tasks.send", weak=False, dispatch_uid="p")
""",
    """
from celery import signals


@signals.task_success.connect(sender="a task")
def on_success(sender=None, result=None, **kwargs):
    calls.append(("success", sender, result))
""",
    """
import celery.signals

celery.signals.task_postrun.connect(
    lambda **kwargs: calls.append(("postrun", kwargs["state"])), weak=False
)
""",
]

SEND = """
import sys


class NoCelery:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "celery":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoCelery())
calls = []
exec(compile(sys.stdin.read(), "receivers.py", "exec"))
from weft_compat import signals

signals.task_failure.send(sender="a task", task_id="t1", exception=ValueError("boom"))
signals.task_success.send(sender="a task", result=3)
signals.task_success.send(sender="another task", result=4)
signals.before_task_publish.send(sender="orders.tasks.send", headers={"id": None})
signals.before_task_publish.send(sender="orders.tasks.other", headers={"id": None})
signals.task_postrun.send(sender="a task", state="SUCCESS")
print(calls)
"""


def test_the_rewritten_receivers_run_without_celery() -> None:
    rewritten = []
    for source in RECEIVERS:
        outcome = migrate(source, RULES)
        assert outcome.findings == []
        assert outcome.new_source is not None
        assert b"celery" not in outcome.new_source.replace(b"weft_compat", b"")
        rewritten.append(outcome.new_source.decode())
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SEND)],
        input="".join(rewritten),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == repr(
        [
            ("failure", "a task", "t1", "boom"),
            ("success", "a task", 3),
            ("publish", "orders.tasks.send", None),
            ("postrun", "SUCCESS"),
        ]
    )
