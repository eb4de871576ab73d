"""Which test mode is active: the innermost context manager, else the `TEST_MODE` setting.

The modes replace `CELERY_TASK_ALWAYS_EAGER`. They apply process-wide (not per
thread), as Celery's setting did, because code under test often enqueues from threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from weft_compat._config import current_settings

if TYPE_CHECKING:
    from weft_compat._submission import WeftSubmission
    from weft_compat._submit import PreparedCall

__all__ = ["Mode", "active_mode", "name_setting_modes", "pop", "push"]


class Mode(Protocol):
    """A test mode turns a prepared call into a handle without submitting it to Weft."""

    @property
    def publishes(self) -> bool:
        """Whether its calls count as published (the publish signals go around them)."""
        ...

    def handle(self, prepared: PreparedCall) -> WeftSubmission: ...


_lock = threading.Lock()
_stack: list[Mode] = []
_from_settings: dict[str, Mode] = {}
_setting_modes: dict[str, Callable[[], Mode]] = {}


def push(mode: Mode) -> None:
    """Activate `mode` until the matching `pop`."""
    with _lock:
        _stack.append(mode)


def pop(mode: Mode) -> None:
    """Deactivate `mode` (the innermost active one)."""
    with _lock:
        # By identity: two modes may compare equal (two empty recorders).
        for index in range(len(_stack) - 1, -1, -1):
            if _stack[index] is mode:
                del _stack[index]
                return


def active_mode() -> Mode | None:
    """The mode calls go to now, or None to submit to Weft."""
    if _stack:
        return _stack[-1]
    configured = current_settings().TEST_MODE
    if configured is None:
        return None
    mode = _from_settings.get(configured)
    if mode is None:
        mode = _from_settings.setdefault(configured, _setting_modes[configured]())
    return mode


def name_setting_modes(modes: Mapping[str, Callable[[], Mode]]) -> None:
    """Say which mode each value of the `TEST_MODE` setting names (`testing` does)."""
    _setting_modes.update(modes)
