"""Celery's publish signals around each publication, and the message they describe.

Celery sends `before_task_publish` and `after_task_publish` in whichever process
publishes a call's message: the caller of `apply_async`, the worker that publishes a
retry's next attempt, `celery beat` as it sends a periodic call. The same three places
publish here, each through `before_publish` and then `Publication.published`: an
enqueue (`_submit.dispatch`), a retry's next attempt (`due._queue.schedule_retry`) and a
claimed tick (`beat._ticks.claim_tick`). With nobody connected to either signal, a
publication costs one check and builds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from weft_compat import _serialization
from weft_compat._envelope import Envelope
from weft_compat.signals import after_task_publish, before_task_publish

__all__ = ["Publication", "before_publish", "message_of", "observed"]


@dataclass(frozen=True, slots=True)
class Publication:
    """A call whose `before_task_publish` was sent; `published` sends the after."""

    sender: str
    message: dict[str, Any]

    def published(self, call_id: str) -> None:
        """Send `after_task_publish`, the message's headers now naming the call's id."""
        self.message["headers"]["id"] = call_id
        after_task_publish.send(sender=self.sender, **self.message)


def observed() -> bool:
    """Whether either publish signal has a receiver (so a publication sends anything)."""
    return bool(before_task_publish.receivers or after_task_publish.receivers)


def before_publish(envelope: Envelope, *, priority: int | None = None) -> Publication | None:
    """Send `before_task_publish` for the call `envelope` is about to publish; None
    (and nothing sent) when neither publish signal has a receiver."""
    if not observed():
        return None
    message = message_of(envelope)
    before_task_publish.send(
        sender=envelope.task,
        **message,
        properties={"priority": priority},
        declare=[],
        retry_policy={},
    )
    return Publication(envelope.task, message)


def message_of(envelope: Envelope) -> dict[str, Any]:
    """The Celery message the publish signals describe: protocol 2's body and headers,
    with what they mean here (the id is known once the call is published)."""
    call = _serialization.decode(envelope.call)
    args, kwargs = call["args"], call["kwargs"]
    headers = {
        "lang": "py",
        "task": envelope.task,
        "id": None,
        "eta": _iso(envelope.eta),
        "expires": _iso(envelope.expires),
        "retries": envelope.attempt - 1,
        "timelimit": [envelope.time_limit, envelope.soft_time_limit],
        "ignore_result": envelope.ignore_result,
        "argsrepr": repr(args),
        "kwargsrepr": repr(kwargs),
        **envelope.headers,  # the call's own headers, merged as Celery merges them
    }
    embed = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
    return {
        "body": (args, kwargs, embed),
        "exchange": "",
        "routing_key": envelope.queue,
        "headers": headers,
    }


def _iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()
