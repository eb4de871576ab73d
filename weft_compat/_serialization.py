"""Celery-compatible JSON for call arguments and return values.

kombu's encoder is the one Celery uses by default, so `datetime`, `date`, `time`,
`Decimal`, `UUID` and `bytes` round-trip exactly as they did under Celery, and objects
with a `__json__` method encode as before. Pickle is never used.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import date, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from kombu.utils import json as kombu_json

from weft_compat.exceptions import ArgumentNotSerializable

__all__ = ["decode", "encode", "encode_call", "json_ready"]


def encode(value: Any) -> str:
    """Encode one value; raises `TypeError` (or `ValueError`) for what JSON cannot hold."""
    return str(kombu_json.dumps(value))  # type: ignore[no-untyped-call]


def decode(text: str) -> Any:
    """Decode text produced by `encode`, restoring the typed values."""
    return kombu_json.loads(text)  # type: ignore[no-untyped-call]


def encode_call(task_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """Encode a call's arguments, naming the first argument that cannot be encoded."""
    try:
        return encode({"args": list(args), "kwargs": dict(kwargs)})
    except (TypeError, ValueError) as exc:
        # Only the failure path pays for finding the culprit one argument at a time.
        for label, value in _labelled(args, kwargs):
            try:
                encode(value)
            except (TypeError, ValueError):
                raise ArgumentNotSerializable(
                    f"{label} of {task_name!r} is a {type(value).__qualname__} "
                    f"({value!r:.80}), which Celery-compatible JSON cannot encode; pass "
                    "JSON types, datetime, date, time, Decimal, UUID or bytes (for a model "
                    "instance, pass its primary key)"
                ) from exc
        raise ArgumentNotSerializable(
            f"the arguments of {task_name!r} cannot be encoded as JSON: {exc}"
        ) from exc


def _labelled(args: Sequence[Any], kwargs: Mapping[str, Any]) -> list[tuple[str, Any]]:
    labelled = [(f"positional argument {index}", value) for index, value in enumerate(args)]
    labelled += [(f"keyword argument {key!r}", value) for key, value in kwargs.items()]
    for key in kwargs:
        if not isinstance(key, str):
            labelled.append((f"keyword name {key!r}", key))
    return labelled


def json_ready(value: Any) -> Any:
    """`value` with the typed JSON values turned into strings, as Django's JSON encoder does."""
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    return value
