"""A pool process: claim calls from the queue, run them one at a time, store outcomes.

Run as `python -m weft_compat.pool._child SPEC` by a pool master.

Claiming moves calls' messages into this process's own running queue in one broker
operation, so a call is always either waiting, held by exactly one process, or ended;
under load a process claims a few at once (`_claims`). The process publishes the id and
hard deadline of the call it runs in shared memory (`_slots`), where its master
enforces the hard limit; the soft limit is raised in here. Between calls it waits on
its pool's doorbell (`_doorbell`), which costs nothing idle, and deletes the messages of
the calls it ended once no call has come for a moment (`_ACK_PAUSE_SECONDS`).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import multiprocessing
import os
import signal
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Final

from weft_compat import _registry
from weft_compat._broker import get_broker, pending_queue, pool_bell, running_queue
from weft_compat._config import CONTEXT_ENV_VAR
from weft_compat._doorbell import Bell
from weft_compat._envelope import Envelope
from weft_compat._errors import TaskError
from weft_compat._outcome import Outcome, write_outcome
from weft_compat._states import FAILURE
from weft_compat._tasklog import LOGLEVEL_ENV_VAR, configure_worker_logging
from weft_compat._worker_config import WorkerConfig
from weft_compat.exceptions import WeftCompatError
from weft_compat.pool._claims import Acks, Claims
from weft_compat.pool._release import release
from weft_compat.pool._slots import SlotTable, slot_file
from weft_compat.worker import prepare, serve_call

__all__ = ["ChildSpec", "child_main"]

# How long an idle process waits for a ring before it looks at the queue anyway.
_IDLE_CHECK_SECONDS: Final = 1.0
# How long work must pause before a process deletes the messages of its ended calls.
_ACK_PAUSE_SECONDS: Final = 0.05
_PR_SET_PDEATHSIG: Final = 1


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """What a pool process needs to know, passed as JSON on its command line."""

    queue: str
    master_tid: str
    master_pid: int
    slot: int
    slots: int
    context: str | None
    prefetch: int = 1
    # What the process loads at start (`_worker_config`), and its Django settings.
    config: dict[str, list[str]] = field(default_factory=dict)
    settings_module: str | None = None

    def to_json(self) -> str:
        """The command-line form."""
        return json.dumps(asdict(self))


def _die_with_master() -> None:
    # The master may be killed outright (SIGKILL, a host's process tree); its pool
    # processes must not outlive it.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def child_main(spec: ChildSpec) -> None:
    """Serve calls until the master asks the pool to stop or goes away."""
    _die_with_master()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the master's to handle.
    if spec.context is not None:
        os.environ[CONTEXT_ENV_VAR] = spec.context
    multiprocessing.current_process().name = f"PoolWorker-{spec.slot + 1}"
    configure_worker_logging(os.environ.get(LOGLEVEL_ENV_VAR))
    unprepared: Exception | None = None
    try:
        prepare(WorkerConfig.from_data(spec.config), spec.settings_module)
    except Exception as exc:
        # A process that cannot set up (settings that do not import) ends each call it
        # claims with the reason, rather than dying and being replaced for ever.
        traceback.print_exc()
        unprepared = exc
    table = SlotTable(slot_file(spec.master_tid), spec.slots, create=False)
    broker = get_broker()
    running = running_queue(spec.queue, spec.master_tid, spec.slot)
    claims = Claims(
        pending_queue(spec.queue),
        running,
        prefetch=spec.prefetch,
        processes=spec.slots,
        bell=pool_bell(spec.queue),
    )
    acks = Acks(running)
    bell = Bell(pool_bell(spec.queue), queue=pending_queue(spec.queue))
    try:
        while not table.stopping and os.getppid() == spec.master_pid:
            claimed = claims.next()
            if claimed is None:
                # Whoever queues a call rings the bell; without a ring, look again after
                # a second all the same (a writer on another host does not ring). The
                # second look closes the gap between the first and the version read;
                # rings left then were for calls taken already (a burst's, by now).
                version = broker.get_data_version()
                claimed = claims.next()
                if claimed is None:
                    bell.drain()
                    if version is None or broker.get_data_version() == version:
                        _idle(bell, acks)
                    continue
            body, call_id = claimed
            try:
                envelope = Envelope.from_json(body)
            except (WeftCompatError, ValueError, TypeError) as exc:
                _refuse(str(call_id), exc)
                acks.add(call_id)
                continue
            if unprepared is not None:
                _refuse(envelope.call_id or str(call_id), unprepared)
                acks.add(call_id)
                continue
            if table.stopping and _registry.lookup(envelope.task) is None:
                # This pool is being replaced by one that loads the task's module: the
                # call goes back, uncounted, for the replacement to run.
                release(running, call_id, body, count_delivery=False)
                continue
            limit = envelope.time_limit
            table.publish(spec.slot, call_id, time.monotonic() + limit if limit else 0.0)
            try:
                with claims.running_one():
                    serve_call(
                        envelope,
                        envelope.call_id or str(call_id),
                        settings_module=spec.settings_module,
                    )
            finally:
                table.clear(spec.slot)
            acks.add(call_id)
    finally:
        claims.close()
        acks.flush()
        bell.close()


def _idle(bell: Bell, acks: Acks) -> None:
    # Acknowledgements wait for a pause in the work: deleted between two calls of a
    # steady trickle, they would take the write lock just as the next call is enqueued,
    # and SQLite makes a writer that finds its lock taken sleep a millisecond or more.
    if acks.ended and bell.wait(_ACK_PAUSE_SECONDS):
        return
    acks.flush()
    bell.wait(_IDLE_CHECK_SECONDS)


def _refuse(call_id: str, exc: Exception) -> None:
    # A message that is no call, or a call this process cannot run: end it, keep serving.
    error = TaskError.from_exception(exc)
    write_outcome(call_id, Outcome(FAILURE, error=error))


if __name__ == "__main__":
    child_main(ChildSpec(**json.loads(sys.argv[1])))
