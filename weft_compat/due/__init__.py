"""Deferred execution: countdown, eta and retries held in Weft's broker until due.

A deferred call waits as a message in the due queue (no process sleeps for it); a mover,
a process of its own started on demand, submits each one to its lane when it is due,
exactly once even when movers die or run side by side. See migration_guide/scheduling.md.
"""

from __future__ import annotations

from weft_compat.due._registry import live_movers, start_mover, stop_movers

__all__ = ["live_movers", "start_mover", "stop_movers"]
