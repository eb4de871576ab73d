"""A call's state and progress as a Server-Sent Events stream, until it is ready.

Each event is the call's status body (the status view's JSON), sent when it changes,
with an id derived from its content: a client that reconnects with `Last-Event-ID`
(as `EventSource` does by itself) is not sent the state it already has, and one that
has already seen a ready call's last state is answered 204, which tells `EventSource`
to stop reconnecting. A comment line every `HEARTBEAT_SECONDS` keeps proxies from
closing an idle stream; a stream ends after `STREAM_SECONDS`, and the client resumes.

The view decides authorization and closes the request's database connections before
the stream starts: the stream reads only Weft's broker. Under ASGI the stream is an
async iterator (Django would otherwise read a sync one to its end before sending any
of it), under WSGI a plain one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

from asgiref.sync import sync_to_async

from weft_compat._submission import WeftSubmission

__all__ = [
    "HEARTBEAT_SECONDS",
    "POLL_SECONDS",
    "STREAM_SECONDS",
    "Stream",
    "event_id",
    "status_body",
]

HEARTBEAT_SECONDS: Final = 15.0
# How often an open stream reads the call (one broker read each time).
POLL_SECONDS: Final = 0.25
STREAM_SECONDS: Final = 300.0
# Asks the client to wait two seconds before it reconnects.
_PREAMBLE: Final = "retry: 2000\n\n"


# What only a request allowed the `"result"` action sees: what the call returned or
# raised, and what it was called with (`RESULT_EXTENDED`), which is as sensitive.
_RESULT_FIELDS: Final = ("result", "errors", "args", "kwargs")


def status_body(submission: WeftSubmission, *, with_result: bool) -> dict[str, Any]:
    """`submission.as_dict()`, without `result`, `errors`, `args` and `kwargs` unless
    `with_result`."""
    body = submission.as_dict()
    if not with_result:
        for name in _RESULT_FIELDS:
            body.pop(name, None)
    return body


def event_id(body: dict[str, Any]) -> str:
    """The id of the event that carries `body`: the same body, the same id."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Stream:
    """The events of one call for one client, read one step at a time."""

    def __init__(self, submission: WeftSubmission, *, with_result: bool, last_id: str | None):
        self.submission = submission
        self.with_result = with_result
        self.last_id = last_id
        self.last_sent = time.monotonic()
        self.ends = self.last_sent + STREAM_SECONDS

    def body(self) -> dict[str, Any]:
        """The call's status, as much of it as the client may see."""
        return status_body(self.submission, with_result=self.with_result)

    def step(self) -> tuple[list[str], bool]:
        """What to send now, and whether the stream ends after it."""
        body = self.body()
        now = time.monotonic()
        chunks = []
        current = event_id(body)
        if current != self.last_id:
            data = json.dumps(body, separators=(",", ":"))
            chunks.append(f"id: {current}\nevent: status\ndata: {data}\n\n")
            self.last_id = current
            self.last_sent = now
        elif now - self.last_sent >= HEARTBEAT_SECONDS:
            chunks.append(": keep-alive\n\n")
            self.last_sent = now
        return chunks, bool(body["ready"]) or not body["exists"] or now >= self.ends

    def __iter__(self) -> Iterator[str]:
        yield _PREAMBLE
        while True:
            chunks, done = self.step()
            yield from chunks
            if done:
                return
            time.sleep(POLL_SECONDS)

    async def __aiter__(self) -> AsyncIterator[str]:
        yield _PREAMBLE
        step = sync_to_async(self.step, thread_sensitive=False)
        while True:
            chunks, done = await step()
            for chunk in chunks:
                yield chunk
            if done:
                return
            await asyncio.sleep(POLL_SECONDS)
