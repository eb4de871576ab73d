"""Celery's signals without a broker: the Signal API, the task signals of the immediate
mode (Celery's eager `apply()`), and the publish signals around a recorded call."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from weft_compat import ExceptionInfo, WeftTaskBase, _publish, weft_task
from weft_compat._revoked import announce_revoked
from weft_compat._submit import prepare_call
from weft_compat.exceptions import ArgumentNotSerializable, Retry
from weft_compat.signals import (
    Signal,
    after_task_publish,
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_revoked,
    task_success,
)
from weft_compat.testing import immediate, recording
from weft_compat.worker import execute

TASK_SIGNALS = (task_prerun, task_postrun, task_success, task_failure, task_retry, task_revoked)
heard: list[tuple[Any, ...]] = []


class Noted(WeftTaskBase):
    """A task class whose hooks note themselves in `heard`, between the signals."""

    def before_start(self, task_id: str | None, args: Any, kwargs: Any) -> None:
        heard.append(("before_start",))

    def on_success(self, retval: Any, task_id: str | None, args: Any, kwargs: Any) -> None:
        heard.append(("on_success",))

    def on_failure(self, exc: BaseException, *rest: Any) -> None:
        heard.append(("on_failure",))

    def on_retry(self, exc: BaseException, *rest: Any) -> None:
        heard.append(("on_retry",))

    def after_return(self, status: str, *rest: Any) -> None:
        heard.append(("after_return", status))


@weft_task(base=Noted, bind=True, name="tests.signals.order")
def order(self: Any, pk: int, *, outcome: str = "ok") -> str:
    if outcome == "retry" and self.request.retries == 0:
        raise self.retry(exc=ValueError("again"), countdown=30)
    if outcome == "fail":
        raise LookupError(f"no order {pk}")
    return f"order {pk}"


@weft_task(name="tests.signals.other")
def other() -> str:
    return "other"


@contextmanager
def connected(signal: Signal, receiver: Callable[..., Any], **options: Any) -> Iterator[None]:
    signal.connect(receiver, weak=False, **options)
    try:
        yield
    finally:
        signal.disconnect(receiver, sender=options.get("sender"))


@contextmanager
def listening(*signals: Signal, sender: object = None) -> Iterator[None]:
    """Note each send of `signals` in `heard`: the signal's name and its arguments."""

    def note(**arguments: Any) -> None:
        heard.append((arguments["signal"].name, arguments))

    for signal in signals:
        signal.connect(note, sender=sender, weak=False)
    try:
        yield
    finally:
        for signal in signals:
            signal.disconnect(note, sender=sender)


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    heard.clear()
    signals = (*TASK_SIGNALS, before_task_publish, after_task_publish)
    before = [list(signal.receivers) for signal in signals]
    yield
    assert [list(signal.receivers) for signal in signals] == before, "a receiver was left"


def names(*, hooks: bool = True) -> list[str]:
    """What was heard, in order: signals (and, with `hooks`, the task class's hooks)."""
    return [entry[0] for entry in heard if hooks or isinstance(entry[-1], dict)]


def sent(name: str) -> dict[str, Any]:
    (arguments,) = [entry[1] for entry in heard if entry[0] == name]
    return dict(arguments)


# --- the Signal API, Celery's and Django's


def test_connect_works_as_a_bare_decorator_with_a_sender_and_as_a_call() -> None:
    signal = Signal("probe")

    @signal.connect
    def bare(**kwargs: Any) -> str:
        return "bare"

    @signal.connect(sender="a")
    def for_a(**kwargs: Any) -> str:
        return "for a"

    def called(**kwargs: Any) -> str:
        return "called"

    assert signal.connect(called, sender="b") is called
    assert callable(bare) and callable(for_a)
    assert [response for _, response in signal.send("a")] == ["bare", "for a"]
    assert [response for _, response in signal.send("b")] == ["bare", "called"]


def test_send_passes_signal_sender_and_arguments_and_returns_each_response() -> None:
    signal = Signal("probe")
    seen: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> int:
        seen.append(kwargs)
        return len(seen)

    signal.connect(receiver)
    assert signal.send("me", size=3) == [(receiver, 1)]
    assert seen == [{"signal": signal, "sender": "me", "size": 3}]
    assert Signal("silent").send("me") == []


def test_a_receiver_for_a_sender_hears_only_that_sender_by_identity_or_name() -> None:
    signal = Signal("probe")
    got: list[object] = []

    def receiver(sender: object, **kwargs: Any) -> None:
        got.append(sender)

    signal.connect(receiver, sender=order)
    signal.connect(receiver, sender="tests.signals.other", dispatch_uid="by name")
    signal.send(order)
    signal.send(other)
    signal.send("tests.signals.other")
    assert got == [order, "tests.signals.other"]
    assert signal.has_listeners(order) and not signal.has_listeners(other)


def test_disconnect_removes_a_receiver_and_says_whether_one_was_connected() -> None:
    signal = Signal("probe")

    def receiver(**kwargs: Any) -> None: ...

    signal.connect(receiver, sender=order)
    signal.connect(receiver, dispatch_uid="everyone")
    assert signal.disconnect(receiver) is False  # connected for `order`, not for all
    assert signal.disconnect(receiver, sender=order) is True
    assert signal.disconnect(dispatch_uid="everyone") is True
    assert signal.disconnect(receiver, sender=order) is False
    assert signal.send(order) == []


def test_dispatch_uid_and_the_receiver_itself_connect_once() -> None:
    signal = Signal("probe")

    def receiver(**kwargs: Any) -> None: ...

    for _ in range(3):
        signal.connect(receiver)
        signal.connect(lambda **kwargs: None, dispatch_uid="once", weak=False)
    assert len(signal.receivers) == 2


def test_a_weak_receiver_goes_away_with_its_last_reference_and_a_strong_one_stays() -> None:
    signal = Signal("probe")

    class Listener:
        def method(self, **kwargs: Any) -> str:
            return "method"

    listener = Listener()
    signal.connect(listener.method)
    signal.connect(lambda **kwargs: "weak lambda")
    signal.connect(lambda **kwargs: "strong lambda", weak=False)
    gc.collect()
    assert [response for _, response in signal.send(None)] == ["method", "strong lambda"]
    del listener
    gc.collect()
    assert [response for _, response in signal.send(None)] == ["strong lambda"]
    signal.connect(lambda **kwargs: None, weak=False)  # cleans the dead out
    assert len(signal.receivers) == 2


def test_a_receiver_without_keyword_arguments_is_refused() -> None:
    def positional(sender: object) -> None: ...

    with pytest.raises(ValueError, match=r"must accept keyword arguments.*\*\*kwargs"):
        Signal("probe").connect(positional)
    with pytest.raises(TypeError, match="callable"):
        Signal("probe").connect("not a function")  # type: ignore[call-overload]


def test_a_receiver_that_raises_is_logged_returned_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    signal = Signal("probe")
    error = RuntimeError("receiver broke")

    def broken(**kwargs: Any) -> None:
        raise error

    def fine(**kwargs: Any) -> str:
        return "fine"

    signal.connect(broken)
    signal.connect(fine)
    with caplog.at_level(logging.ERROR, logger="weft_compat"):
        assert signal.send(None) == [(broken, error), (fine, "fine")]
    assert "probe receiver" in caplog.text and "receiver broke" in caplog.text


# --- the task signals in the immediate mode, as Celery's eager apply() sends them


def test_a_success_sends_prerun_success_and_postrun_around_the_hooks_in_celerys_order() -> None:
    with listening(*TASK_SIGNALS), immediate():
        handle = order.enqueue(7)
    assert names() == [
        "task_prerun",
        "before_start",
        "on_success",
        "task_success",
        "after_return",
        "task_postrun",
    ]
    prerun = sent("task_prerun")
    assert prerun == {
        "signal": task_prerun,
        "sender": order,
        "task_id": handle.tid,
        "task": order,
        "args": [7],
        "kwargs": {},
    }
    success = sent("task_success")
    assert success["sender"] is order and success["result"] == "order 7"
    assert success["runtime"] >= 0
    postrun = sent("task_postrun")
    assert postrun["task_id"] == handle.tid and postrun["args"] == [7]
    assert (postrun["retval"], postrun["state"]) == ("order 7", "SUCCESS")


def test_a_failure_sends_task_failure_after_on_failure_with_celerys_arguments() -> None:
    with listening(*TASK_SIGNALS), immediate():
        handle = order.enqueue(8, outcome="fail")
    assert handle.state == "FAILURE"
    assert names() == [
        "task_prerun",
        "before_start",
        "on_failure",
        "task_failure",
        "after_return",
        "task_postrun",
    ]
    failure = sent("task_failure")
    assert failure["sender"] is order and failure["task_id"] == handle.tid
    assert isinstance(failure["exception"], LookupError)
    assert (failure["args"], failure["kwargs"]) == ([8], {"outcome": "fail"})
    assert failure["traceback"] is failure["exception"].__traceback__ is not None
    assert isinstance(failure["einfo"], ExceptionInfo)
    assert "LookupError: no order 8" in failure["einfo"].traceback
    postrun = sent("task_postrun")
    assert postrun["state"] == "FAILURE" and postrun["retval"] is failure["exception"]


def test_a_retry_sends_task_retry_then_the_next_attempt_sends_its_own_signals() -> None:
    with listening(*TASK_SIGNALS), immediate():
        handle = order.enqueue(9, outcome="retry")
    assert handle.return_value == "order 9"
    assert names() == [
        "task_prerun",
        "before_start",
        "on_retry",
        "task_retry",
        "after_return",
        "task_postrun",
        "task_prerun",
        "before_start",
        "on_success",
        "task_success",
        "after_return",
        "task_postrun",
    ]
    retry = sent("task_retry")
    assert retry["sender"] is order
    assert retry["request"].id == handle.tid and retry["request"].retries == 0
    assert isinstance(retry["reason"], Retry) and isinstance(retry["reason"].exc, ValueError)
    assert retry["einfo"].exception is retry["reason"]
    first_postrun = next(entry[1] for entry in heard if entry[0] == "task_postrun")
    assert first_postrun["state"] == "RETRY" and first_postrun["retval"] is retry["reason"]


def test_a_receiver_reads_the_running_call_from_its_sender() -> None:
    seen: list[tuple[str | None, list[Any]]] = []

    def on_success(sender: Any, **kwargs: Any) -> None:
        seen.append((sender.request.id, sender.request.args))

    with connected(task_success, on_success, sender=order), immediate():
        handle = order.enqueue(10)
    assert seen == [(handle.tid, [10])]


def test_the_sender_is_the_registered_task_also_for_a_copy_made_with_using() -> None:
    with listening(task_prerun, sender=order), immediate():
        order.using(queue="elsewhere").enqueue(11)
        other.enqueue()
    assert names(hooks=False) == ["task_prerun"]
    assert sent("task_prerun")["sender"] is order


def test_receivers_that_raise_change_nothing_about_the_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("bookkeeping is down")

    with (
        connected(task_prerun, broken),
        connected(task_success, broken),
        connected(task_failure, broken),
        connected(task_postrun, broken),
        caplog.at_level(logging.ERROR, logger="weft_compat"),
        immediate(),
    ):
        succeeded = order.enqueue(12)
        failed = order.enqueue(13, outcome="fail")
    assert (succeeded.state, succeeded.return_value) == ("SUCCESS", "order 12")
    assert failed.state == "FAILURE" and isinstance(failed.info, LookupError)
    assert caplog.text.count("RuntimeError: bookkeeping is down") == 6


def test_calling_a_task_directly_sends_no_signal() -> None:
    with listening(*TASK_SIGNALS):
        assert other() == "other"
    assert heard == []


@pytest.mark.django_db  # A Django worker gives receivers fresh database connections.
def test_an_expired_call_sends_task_revoked_with_expired_and_does_not_run() -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    envelope = prepare_call(order.using(expires=past), [14], {}).envelope
    with listening(*TASK_SIGNALS):
        result = execute(envelope, request_id="1234", settings_module=envelope.settings_module)
    assert result.outcome.state == "REVOKED"
    assert names() == ["task_revoked"]
    revoked = sent("task_revoked")
    assert revoked["sender"] is order
    assert (revoked["request"].id, revoked["request"].args) == ("1234", [14])
    assert (revoked["terminated"], revoked["signum"], revoked["expired"]) == (False, None, True)


# --- the publish signals, in the caller


def test_the_immediate_mode_publishes_nothing_as_celerys_eager_mode() -> None:
    with listening(before_task_publish, after_task_publish), immediate():
        order.enqueue(15)
    assert names(hooks=False) == []


def test_a_recorded_call_is_published_with_its_message_and_then_its_id() -> None:
    seen_ids: list[Any] = []

    def id_before(headers: dict[str, Any], **kwargs: Any) -> None:
        seen_ids.append(headers["id"])  # the dict goes on to after_task_publish

    eta = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    with (
        connected(before_task_publish, id_before),
        listening(before_task_publish, after_task_publish, sender="tests.signals.order"),
        recording() as recorder,
    ):
        handle = order.using(eta=eta, headers={"tenant": "acme"}, queue="orders").enqueue(
            16, outcome="ok"
        )
        other.enqueue()
    assert names() == ["before_task_publish", "after_task_publish"]
    assert seen_ids == [None, None]
    (call, _) = recorder.submissions
    assert call.tid == handle.tid
    before = sent("before_task_publish")
    assert before["sender"] == "tests.signals.order"
    assert before["body"] == ([16], {"outcome": "ok"}, before["body"][2])
    assert (before["exchange"], before["routing_key"]) == ("", "orders")
    assert before["properties"] == {"priority": None}
    assert (before["declare"], before["retry_policy"]) == ([], {})
    headers = before["headers"]
    assert headers["task"] == "tests.signals.order" and headers["id"] == handle.tid
    assert headers["eta"] == "2031-01-02T03:04:05+00:00" and headers["expires"] is None
    assert headers["retries"] == 0 and headers["tenant"] == "acme"
    assert headers["argsrepr"] == "[16]" and headers["kwargsrepr"] == "{'outcome': 'ok'}"
    after = sent("after_task_publish")
    assert set(after) == {"signal", "sender", "body", "exchange", "routing_key", "headers"}
    assert after["headers"]["id"] == handle.tid


def test_a_call_refused_at_validation_publishes_nothing() -> None:
    with listening(before_task_publish, after_task_publish), recording() as recorder:
        with pytest.raises(TypeError):
            order.enqueue()  # type: ignore[call-arg]
        with pytest.raises(ArgumentNotSerializable):
            order.enqueue(object())  # type: ignore[arg-type]
    assert heard == [] and recorder.submissions == []


def test_a_publish_receiver_that_raises_does_not_stop_the_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit log is down")

    with (
        connected(before_task_publish, broken),
        connected(after_task_publish, broken),
        caplog.at_level(logging.ERROR, logger="weft_compat"),
        recording() as recorder,
    ):
        handle = order.enqueue(17)
    assert [call.tid for call in recorder.submissions] == [handle.tid]
    assert caplog.text.count("RuntimeError: audit log is down") == 2


def test_a_publication_nobody_listens_to_builds_no_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def unbuilt(envelope: Any) -> dict[str, Any]:
        raise AssertionError("a message was built with no receiver connected")

    monkeypatch.setattr(_publish, "message_of", unbuilt)
    # Nobody listens, whatever other test modules connected (tests/signal_tasks.py does).
    connected = before_task_publish.receivers, after_task_publish.receivers
    before_task_publish.receivers, after_task_publish.receivers = [], []
    try:
        envelope = prepare_call(order, (18,), {}).envelope
        assert _publish.before_publish(envelope) is None
        with recording() as recorder:  # An enqueue, a retry and a tick all publish this way.
            order.enqueue(18)
    finally:
        before_task_publish.receivers, after_task_publish.receivers = connected
    assert len(recorder.submissions) == 1


def test_a_revoke_by_request_announces_the_call_as_celerys_worker_would() -> None:
    envelope = prepare_call(order, (19,), {"outcome": "ok"}).envelope
    with listening(task_revoked):
        announce_revoked(order.name, "1234", envelope, terminated=True, signum=15)
        announce_revoked("tests.signals.unregistered", "1235", None)  # Not here: nothing.
    revoked = sent("task_revoked")
    assert revoked["sender"] is order
    request = revoked["request"]
    assert (request.id, request.args, request.kwargs, request.retries) == (
        "1234",
        [19],
        {"outcome": "ok"},
        0,
    )
    assert (revoked["terminated"], revoked["signum"], revoked["expired"]) == (True, 15, False)
