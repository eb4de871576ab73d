"""Reading one Celery task message: what it asks to run, or why it cannot be run here.

A message is read from its raw parts (headers, body bytes, content type and encoding),
never through kombu's decoding consumer, so a pickle, YAML or msgpack body is not
deserialized at all: it is refused by its content type and parked as it is. Both of
Celery's task protocols are read: 2 (task fields in the headers, the body
`[args, kwargs, embed]`) and 1 (every field in a JSON object body). Arguments are
decoded with kombu's JSON, so `datetime`, `Decimal` and `UUID` come back as Celery sent
them. Nothing here touches a broker.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from kombu.compression import decompress

from weft_compat import _serialization

__all__ = ["CeleryCall", "Unrunnable", "read_message"]

_JSON: Final = "application/json"
# What Celery's other serializers write: never deserialized here (pickle runs code).
_REFUSED: Final = {
    "application/x-python-serialize": "pickle",
    "application/x-yaml": "yaml",
    "application/x-msgpack": "msgpack",
}
# Celery's own protocol-2 headers; any other header is the caller's (`apply_async(headers=)`).
_CELERY_HEADERS: Final = frozenset(
    {
        "lang",
        "task",
        "id",
        "shadow",
        "eta",
        "expires",
        "group",
        "group_index",
        "retries",
        "timelimit",
        "root_id",
        "parent_id",
        "argsrepr",
        "kwargsrepr",
        "origin",
        "ignore_result",
        "replaced_task_nesting",
        "stamped_headers",
        "stamps",
        "compression",
        "redelivered",
        "x-weft-compat-parked",
    }
)


class Unrunnable(Exception):
    """A message weft_compat must not run; `reason` says why, in words for the operator."""

    def __init__(self, reason: str, *, task: str | None = None, task_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.task = task
        self.task_id = task_id


@dataclass(frozen=True, slots=True)
class CeleryCall:
    """One call as a Celery message describes it."""

    task: str
    task_id: str
    args: list[Any]
    kwargs: dict[str, Any]
    eta: datetime | None = None
    expires: datetime | None = None
    retries: int = 0
    soft_time_limit: float | None = None
    time_limit: float | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    protocol: int = 2


def read_message(
    headers: Mapping[str, Any] | None,
    body: bytes | str,
    content_type: str | None,
    content_encoding: str | None,
) -> CeleryCall:
    """The call a raw Celery message asks for; raises `Unrunnable` naming the reason."""
    headers = dict(headers or {})
    task, task_id = headers.get("task"), headers.get("id")
    named = {"task": task if isinstance(task, str) else None, "task_id": _text(task_id)}
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in _REFUSED:
        raise Unrunnable(
            f"the body is serialized with {_REFUSED[kind]}, which weft_compat never "
            "deserializes; republish the call with serializer='json'",
            **named,
        )
    if kind != _JSON:
        raise Unrunnable(
            f"the body's content type {content_type!r} is not JSON; republish the call "
            "with serializer='json'",
            **named,
        )
    decoded = _decode_body(headers, body, content_encoding, named)
    if "task" in headers:
        return _protocol_2(headers, decoded)
    if isinstance(decoded, dict) and "task" in decoded:
        return _protocol_1(decoded)
    raise Unrunnable(
        "the message is not a Celery task message: its headers name no task and its "
        "body is not a protocol-1 task",
        **named,
    )


def _decode_body(
    headers: Mapping[str, Any],
    body: bytes | str,
    content_encoding: str | None,
    named: dict[str, str | None],
) -> Any:
    raw = body if isinstance(body, bytes) else body.encode(content_encoding or "utf-8")
    try:
        if headers.get("compression"):
            raw = decompress(raw, headers["compression"])  # type: ignore[no-untyped-call]
        return _serialization.decode(raw.decode(content_encoding or "utf-8"))
    except Exception as exc:
        raise Unrunnable(f"the body is malformed: {exc}", **named) from exc


def _protocol_2(headers: dict[str, Any], body: Any) -> CeleryCall:
    task, task_id = _names(headers.get("task"), headers.get("id"))
    if not (isinstance(body, list) and len(body) == 3):
        raise Unrunnable(
            "the body is malformed: protocol 2 needs [args, kwargs, embed]",
            task=task,
            task_id=task_id,
        )
    args, kwargs, embed = body
    _check_arguments(args, kwargs, task, task_id)
    _check_alone(embed if isinstance(embed, dict) else {}, task, task_id)
    soft, hard = _limits(headers.get("timelimit"))
    return CeleryCall(
        task=task,
        task_id=task_id,
        args=list(args),
        kwargs=dict(kwargs),
        eta=_moment(headers.get("eta"), "eta", task, task_id),
        expires=_moment(headers.get("expires"), "expires", task, task_id),
        retries=_retries(headers.get("retries"), task, task_id),
        soft_time_limit=soft,
        time_limit=hard,
        headers=_custom_headers(headers),
    )


def _protocol_1(body: dict[str, Any]) -> CeleryCall:
    task, task_id = _names(body.get("task"), body.get("id"))
    args, kwargs = body.get("args") or [], body.get("kwargs") or {}
    _check_arguments(args, kwargs, task, task_id)
    _check_alone(body, task, task_id)
    local = body.get("utc") is False  # Protocol 1 may carry naive local times.
    soft, hard = _limits(body.get("timelimit"))
    return CeleryCall(
        task=task,
        task_id=task_id,
        args=list(args),
        kwargs=dict(kwargs),
        eta=_moment(body.get("eta"), "eta", task, task_id, local=local),
        expires=_moment(body.get("expires"), "expires", task, task_id, local=local),
        retries=_retries(body.get("retries"), task, task_id),
        soft_time_limit=soft,
        time_limit=hard,
        protocol=1,
    )


def _names(task: Any, task_id: Any) -> tuple[str, str]:
    if not isinstance(task, str) or not task:
        raise Unrunnable(f"the message names no task (task={task!r})", task_id=_text(task_id))
    try:
        # Celery's ids are UUIDs; the handle reads them in their canonical form.
        canonical = str(uuid.UUID(str(task_id)))
    except ValueError:
        raise Unrunnable(
            f"the task id {task_id!r} is not a UUID, so no handle could read the call by it; "
            "republish the call without a custom task_id",
            task=task,
            task_id=_text(task_id),
        ) from None
    return task, canonical


def _check_arguments(args: Any, kwargs: Any, task: str, task_id: str) -> None:
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise Unrunnable(
            f"the body is malformed: args {type(args).__name__} and kwargs "
            f"{type(kwargs).__name__} must be a list and an object",
            task=task,
            task_id=task_id,
        )


def _check_alone(embed: Mapping[str, Any], task: str, task_id: str) -> None:
    # A call with callbacks or the rest of a chain or chord would lose them if it ran
    # alone: park it, so nothing after it is dropped silently.
    linked = [key for key in ("callbacks", "errbacks", "chain", "chord") if embed.get(key)]
    if linked:
        raise Unrunnable(
            f"the call carries Celery workflow parts ({', '.join(linked)}) that would be "
            "lost if it ran alone; enqueue it again as a weft_compat workflow "
            "(migration_guide/canvas.md)",
            task=task,
            task_id=task_id,
        )


def _moment(
    value: Any, label: str, task: str, task_id: str, *, local: bool = False
) -> datetime | None:
    if value is None:
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise Unrunnable(
            f"the message's {label} {value!r} is not an ISO 8601 time", task=task, task_id=task_id
        ) from None
    if moment.utcoffset() is None:
        # Celery sends aware times; a naive one is UTC, or local time where it said so.
        moment = moment.astimezone() if local else moment.replace(tzinfo=UTC)
    return moment


def _retries(value: Any, task: str, task_id: str) -> int:
    if value is None:
        return 0
    if type(value) is not int or value < 0:
        raise Unrunnable(
            f"the message's retries {value!r} is not a count", task=task, task_id=task_id
        )
    return value


def _limits(value: Any) -> tuple[float | None, float | None]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None, None
    soft, hard = (v if type(v) in (int, float) and v > 0 else None for v in value)
    return soft, hard


def _custom_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    # Only what plain JSON holds: the envelope carries headers as plain JSON.
    return {
        key: value
        for key, value in headers.items()
        if key not in _CELERY_HEADERS and isinstance(value, str | int | float | bool)
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
