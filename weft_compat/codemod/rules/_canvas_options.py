"""Per-call options on canvas: those ``.using(...)`` takes with Celery's meaning.

``.set(...)``, ``.apply_async(...)`` and calling a group or chord pass Celery's call
options. Those in weft_compat's call options carry over to ``.using(...)``;
``serializer="json"``, the only serializer, goes; ``timeout`` is Celery's publish
timeout, which ``.using(timeout=...)`` would make a time limit, so it stops the rewrite,
as do refused and unknown options and any that cannot be checked (``**options``).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from weft_compat.codemod.rules._canvas_shapes import OPTIONS, fail
from weft_compat.codemod.rules._shared import (
    CALL_OPTIONS,
    REFUSED_CALL_OPTIONS,
    closest,
    keyword_name,
    string_value,
)

_LINKS = ("link", "link_error")


def call_options(args: Sequence[cst.Arg], where: str) -> list[cst.Arg]:
    """The keyword options in ``args`` that ``.using(...)`` takes with Celery's meaning
    (``serializer="json"``, the only serializer, is dropped)."""
    kept: list[cst.Arg] = []
    for arg in args:
        option = keyword_name(arg)
        if option is None:
            raise fail(
                arg,
                f"{where} is given options with ** (or by position), which cannot be "
                "checked; spell them out",
                OPTIONS,
            )
        if option == "serializer" and string_value(arg.value) == "json":
            continue
        if option == "timeout":
            raise fail(
                arg,
                f"{where} option 'timeout' is Celery's publish timeout, which "
                ".using(timeout=...) would make a time limit; remove it",
                OPTIONS,
            )
        if option in _LINKS:
            raise fail(
                arg,
                f"{where} option {option!r} is a callback, which weft_compat takes as "
                f"step.{option}(...); link it to the step",
                OPTIONS,
            )
        if option in CALL_OPTIONS:
            kept.append(arg)
            continue
        reason = REFUSED_CALL_OPTIONS.get(option)
        if reason is not None:
            raise fail(
                arg,
                f"{where} option {option!r} is not supported by .using(...): {reason}",
                OPTIONS,
            )
        raise fail(
            arg,
            f"unknown {where} option {option!r}{closest(option, CALL_OPTIONS)}; remove it "
            "or set a supported option",
            OPTIONS,
        )
    return kept


def positions(args: Sequence[cst.Arg], chosen: Sequence[cst.Arg]) -> tuple[int, ...]:
    """Where the arguments ``chosen`` (some of ``args``) stand in ``args``."""
    wanted = {id(arg) for arg in chosen}
    return tuple(at for at, arg in enumerate(args) if id(arg) in wanted)
