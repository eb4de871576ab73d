"""Celery's task signals, sent where Celery sends them: `from weft_compat.signals import ...`.

In the worker (both lanes) and in the `immediate` test mode, around each attempt of a
call: `task_prerun`, then `task_success`, `task_failure` or `task_retry` (each after the
task class's matching hook), then `task_postrun`. `task_revoked` for a call that
expired before it started, in the worker that picks it up or the mover it expired in,
and for a revoke by request in the process that revokes (`_revoked`).
`before_task_publish` and `after_task_publish` where a call is published (`_publish`):
in the caller, around the one submission path; in the worker, around a retry's next
attempt; in the scheduler that claims a periodic tick. Each is sent with the keyword arguments
Celery sends it with (migration_guide/signals.md lists them); the `sender` of a task
signal is the task (`WeftTask`), of a publish signal the task's name, so
`@task_success.connect(sender=send_receipt)` filters as it does in Celery.

`Signal` has the API of Celery's and Django's: `connect` (also as a decorator, bare or
with `sender=`), `disconnect`, `send` returning `[(receiver, response)]`. As in Celery, a
receiver that raises is logged and its exception returned as its response; the call
goes on and its outcome is unchanged. With nobody connected, a send costs one check.
Celery's worker-level signals (`worker_ready`, `worker_process_init`, ...) are not
defined here, so code that connects to them fails at import rather than waiting for a
call that never comes.
"""

from __future__ import annotations

import inspect
import logging
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Final, overload

__all__ = [
    "Signal",
    "after_task_publish",
    "before_task_publish",
    "task_failure",
    "task_postrun",
    "task_prerun",
    "task_retry",
    "task_revoked",
    "task_success",
]

_log = logging.getLogger("weft_compat")

Receiver = Callable[..., Any]
_Key = tuple[Hashable, Hashable]


def _make_id(target: object) -> Hashable:
    # As Celery's: a name is its own id (`sender="app.tasks.add"`), a bound method is its
    # instance and function (each access makes a new method object), else the identity.
    if isinstance(target, str | bytes):
        return target
    function = getattr(target, "__func__", None)
    if function is not None:
        return (id(getattr(target, "__self__", None)), id(function))
    return id(target)


_ANY_SENDER: Final = _make_id(None)


def _accepts_keywords(receiver: Receiver) -> bool:
    try:
        parameters = inspect.signature(receiver).parameters.values()
    except (TypeError, ValueError):  # not introspectable (a builtin): trust it
        return True
    return any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters)


class Signal:
    """A named signal that receivers connect to and that weft_compat sends."""

    def __init__(self, name: str) -> None:
        self.name = name
        # ((receiver id, sender id), receiver or weak reference to it). Replaced, never
        # changed in place, so `send` reads it without the lock.
        self.receivers: list[tuple[_Key, Receiver | weakref.ref[Any]]] = []
        self._lock = threading.Lock()
        self._dead = False

    @overload
    def connect[R: Receiver](
        self,
        receiver: R,
        sender: object = None,
        weak: bool = True,
        dispatch_uid: Hashable | None = None,
    ) -> R: ...

    @overload
    def connect[R: Receiver](
        self,
        receiver: None = None,
        sender: object = None,
        weak: bool = True,
        dispatch_uid: Hashable | None = None,
    ) -> Callable[[R], R]: ...

    def connect(
        self,
        receiver: Receiver | None = None,
        sender: object = None,
        weak: bool = True,
        dispatch_uid: Hashable | None = None,
    ) -> Any:
        """Call `receiver(signal=, sender=, **arguments)` on each send (from `sender` only,
        when given); returns the receiver, or a decorator when it is left out.

        `weak` holds the receiver by a weak reference (a lambda or nested function
        connected weakly goes away with its scope: pass `weak=False`); `dispatch_uid`
        keeps a receiver connected once however often the connecting code runs.
        """
        if receiver is None:

            def decorate[R: Receiver](function: R) -> R:
                return self.connect(function, sender, weak, dispatch_uid)

            return decorate
        if not callable(receiver):
            raise TypeError(f"{self.name} receivers must be callable, not {receiver!r}")
        if not _accepts_keywords(receiver):
            raise ValueError(
                f"{self.name} receiver {receiver!r} must accept keyword arguments; add "
                "**kwargs to its parameters"
            )
        key = (dispatch_uid if dispatch_uid is not None else _make_id(receiver), _make_id(sender))
        held: Receiver | weakref.ref[Any] = receiver
        if weak:
            if inspect.ismethod(receiver):
                held = weakref.WeakMethod(receiver, self._note_dead)
            else:
                held = weakref.ref(receiver, self._note_dead)
        with self._lock:
            live = self._live()
            if all(existing != key for existing, _ in live):
                live.append((key, held))
            self.receivers = live
        return receiver

    def disconnect(
        self,
        receiver: Receiver | None = None,
        sender: object = None,
        dispatch_uid: Hashable | None = None,
    ) -> bool:
        """Disconnect a receiver (or the one connected with `dispatch_uid`) from `sender`;
        returns whether one was connected."""
        key = (dispatch_uid if dispatch_uid is not None else _make_id(receiver), _make_id(sender))
        with self._lock:
            live = self._live()
            kept = [(existing, held) for existing, held in live if existing != key]
            self.receivers = kept
        return len(kept) < len(live)

    def has_listeners(self, sender: object = None) -> bool:
        """Whether a live receiver would get a send from `sender`."""
        return bool(self._receivers_for(sender))

    def send(self, sender: object, **arguments: Any) -> list[tuple[Receiver, Any]]:
        """Call each receiver connected for `sender`; returns `[(receiver, response)]`.

        A receiver that raises is logged, and its exception is its response.
        """
        if not self.receivers:
            return []
        responses: list[tuple[Receiver, Any]] = []
        for receiver in self._receivers_for(sender):
            try:
                responses.append((receiver, receiver(signal=self, sender=sender, **arguments)))
            except Exception as exc:
                _log.exception(
                    "weft_compat: %s receiver %r raised; carrying on", self.name, receiver
                )
                responses.append((receiver, exc))
        return responses

    # Celery's `send` already catches what receivers raise, as Django's `send_robust` does.
    send_robust = send

    def _receivers_for(self, sender: object) -> list[Receiver]:
        wanted = _make_id(sender)
        found: list[Receiver] = []
        for (_, key), held in self.receivers:
            if key != _ANY_SENDER and key != wanted:
                continue
            receiver = held() if isinstance(held, weakref.ref) else held
            if receiver is not None:
                found.append(receiver)
        return found

    def _live(self) -> list[tuple[_Key, Receiver | weakref.ref[Any]]]:
        # A copy of the receivers without the collected ones; the caller holds the lock.
        if not self._dead:
            return list(self.receivers)
        self._dead = False
        return [
            (key, held)
            for key, held in self.receivers
            if not (isinstance(held, weakref.ref) and held() is None)
        ]

    def _note_dead(self, _reference: object) -> None:
        # Called by the garbage collector, maybe while the lock is held: only note it.
        self._dead = True

    def __repr__(self) -> str:
        return f"<Signal: {self.name}>"


# Where a call is published (`_publish`: an enqueue, a retry, a tick); sender: its name.
before_task_publish: Final = Signal("before_task_publish")
after_task_publish: Final = Signal("after_task_publish")
# Where the call runs (`_execute`, `worker`), `task_revoked` also where it is revoked or
# expires (`_revoked`); sender: the task.
task_prerun: Final = Signal("task_prerun")
task_postrun: Final = Signal("task_postrun")
task_success: Final = Signal("task_success")
task_failure: Final = Signal("task_failure")
task_retry: Final = Signal("task_retry")
task_revoked: Final = Signal("task_revoked")
