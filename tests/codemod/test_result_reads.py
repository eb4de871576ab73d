"""WC204 result_reads: handle reads without an equivalent are reported."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop

RULES = ("result_reads",)
HEAD = "from celery.result import AsyncResult\n\ndef f(t):\n    r = AsyncResult(t)\n"


@pytest.mark.parametrize(
    "read",
    [
        "r.get(interval=1)",
        "r.children",
        "r.parent",
        "r.date_done",
        "r.wait(on_message=f)",
    ],
)
def test_reads_without_equivalent_are_flagged(read: str) -> None:
    check_flagged(HEAD + f"    return {read}\n", ["WC204"], RULES)


def test_get_message_says_which_arguments_wait_takes() -> None:
    outcome = check_flagged(HEAD + "    return r.get(interval=1)\n", ["WC204"], RULES)
    assert "wait(timeout=None, *, propagate=True)" in outcome.findings[0].message


def test_get_and_wait_that_async_result_rewrites_are_not_reported() -> None:
    check_flagged(
        HEAD + "    return r.get(timeout=1), r.wait(), r.forget()\n",
        [],
        ("async_result", "result_reads"),
    )


def test_unusual_constructor_is_flagged() -> None:
    check_flagged(
        "from celery.result import AsyncResult\n\nAsyncResult(t, parent=p)\n", ["WC204"], RULES
    )


def test_unusual_revoke_is_flagged() -> None:
    check_flagged(HEAD + "    r.revoke(wait=True, timeout=3)\n", ["WC204"], RULES)


def test_mapped_reads_are_not_flagged() -> None:
    check_noop(
        HEAD + "    return r.id, r.state, r.status, r.result, r.info, r.ready(), r.traceback\n",
        RULES,
    )


def test_migrated_reads_are_not_flagged() -> None:
    check_noop(
        "from weft_compat import WeftSubmission\n\ndef f(t):\n"
        "    r = WeftSubmission.from_tid(t)\n"
        "    return r.tid, r.errors, r.return_value, r.as_dict(), r.result(timeout=1), r.kill()\n",
        RULES,
    )


def test_get_on_other_objects_is_not_flagged() -> None:
    check_noop("def f(d):\n    return d.get('x')\n", RULES)
