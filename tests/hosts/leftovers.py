"""What this test run created on the machine and has not removed yet.

Every namespace, link, directory and PostgreSQL server the harness makes is registered
here with its (idempotent) cleanup as soon as it exists, and forgotten once removed.
The session's end (and, failing that, the interpreter's exit) runs whatever is still
registered, so a test that crashed or was interrupted leaves nothing behind. Only what
this run registered is touched: another run's `wc-*` namespaces are left alone.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable

__all__ = ["Leftovers", "forget", "pending", "sweep", "track"]


class Leftovers:
    """Resources by name (e.g. `netns wc-1a2b3c-h1`), each with the cleanup that removes it."""

    def __init__(self) -> None:
        self._cleanups: dict[str, Callable[[], None]] = {}

    def track(self, key: str, cleanup: Callable[[], None]) -> None:
        """Register `cleanup` for the resource `key`."""
        self._cleanups[key] = cleanup

    def forget(self, key: str) -> None:
        """`key` is removed; nothing is left to do for it."""
        self._cleanups.pop(key, None)

    def pending(self) -> list[str]:
        """The resources still registered, oldest first."""
        return list(self._cleanups)

    def sweep(self) -> list[str]:
        """Remove every registered resource, newest first; what was swept, with errors."""
        swept = []
        for key in reversed(list(self._cleanups)):
            cleanup = self._cleanups.pop(key)
            try:
                cleanup()
            except Exception as exc:  # the rest must still be removed
                swept.append(f"{key} (cleanup failed: {exc})")
            else:
                swept.append(key)
        return swept


_run = Leftovers()
track = _run.track
forget = _run.forget
pending = _run.pending
sweep = _run.sweep
atexit.register(sweep)
