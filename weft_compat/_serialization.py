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
from typing import Any, Final
from uuid import UUID

from kombu.utils import json as kombu_json

from weft_compat.exceptions import ArgumentNotSerializable, CallTooLarge

__all__ = ["check_size", "decode", "describe", "encode", "encode_call", "json_ready"]

# Room left in a message for everything of an envelope but the arguments.
_ENVELOPE_ROOM: Final = 64 * 1024


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
    except (TypeError, ValueError, RecursionError) as exc:
        # Only the failure path pays for finding the culprit one argument at a time.
        for label, value in _labelled(args, kwargs):
            try:
                encode(value)
            except RecursionError:
                raise ArgumentNotSerializable(
                    f"{label} of {task_name!r} is a {type(value).__qualname__} nested too "
                    "deeply for JSON; pass a flatter structure (or store it and pass its id)"
                ) from None
            except (TypeError, ValueError):
                if isinstance(value, int):
                    raise ArgumentNotSerializable(
                        f"{label} of {task_name!r} is {describe(value)}, more than Python "
                        "writes as a JSON number; pass it as a string"
                    ) from None
                raise ArgumentNotSerializable(
                    f"{label} of {task_name!r} is a {type(value).__qualname__} "
                    f"({describe(value)}), which Celery-compatible JSON cannot encode; pass "
                    "JSON types, datetime, date, time, Decimal, UUID or bytes (for a model "
                    "instance, pass its primary key)"
                ) from None
        raise ArgumentNotSerializable(
            f"the arguments of {task_name!r} cannot be encoded as JSON: {exc}"
        ) from exc


def check_size(
    task_name: str, call: str, args: Sequence[Any], kwargs: Mapping[str, Any], *, limit: int
) -> None:
    """Refuse a call whose encoded arguments do not fit in one broker message of `limit` bytes.

    The arguments travel as a JSON string inside the envelope, where each quote and
    backslash gains an escape; `_ENVELOPE_ROOM` is left for the rest of the envelope.
    """
    size = len(call) + call.count('"') + call.count("\\")
    if size + _ENVELOPE_ROOM <= limit:
        return
    label, value = max(_labelled(args, kwargs), key=lambda item: len(encode(item[1])))
    raise CallTooLarge(
        f"the arguments of {task_name!r} encode to {size:,} bytes ({label} alone to "
        f"{len(encode(value)):,}), more than Weft's message limit of {limit:,} bytes less "
        f"{_ENVELOPE_ROOM:,} for the envelope; store the data (a file, a model row) and "
        "pass its name or id (migration_guide/calling.md#argument-size)"
    )


def describe(value: Any, limit: int = 80) -> str:
    """`repr(value)`, shortened, for an error message; never raises."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4000:
        return f"an int of about {int(value.bit_length() * 0.30103)} digits"
    try:
        text = repr(value)
    except Exception:  # A broken __repr__, a structure too deep to show.
        return f"a {type(value).__qualname__} that cannot be shown"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


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
