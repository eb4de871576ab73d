"""Fanning a function out over worker processes, or running it here for small runs.

On Linux the workers are forked, so they start with the items, what the calls share
(the project index, say) and the modules already imported (LibCST and the rules for
pass two): nothing of that is pickled, each worker is sent only the bounds of its next
chunk of items, and sends back the chunk's results. The parent waits on the workers'
pipes itself, with no helper threads and no future per item. Elsewhere (no fork) a
``ProcessPoolExecutor`` hands what is shared to each worker once, as it starts. The
cycle collector is held off during each call and kept away from what workers inherit.
A run small enough to stay in this process never loads ``multiprocessing``.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import partial
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

# Below this many items, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16
# Chunks each worker holds at a time: one in hand, one waiting, so it never idles.
_AHEAD = 2
_FORK = sys.platform == "linux"

# In a worker started by the executor: what the batch's calls share (``_share``).
_shared: object = None


class WorkerFailed(RuntimeError):
    """A worker process died before sending back its results."""


def _share(value: object) -> None:
    global _shared
    _shared = value


@contextmanager
def _no_collections() -> Iterator[None]:
    """Hold off the cycle collector for one call. Syntax trees hold no cycles and are
    freed as each file is done, but building them sets off full collections, which
    walk every live object again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _call[In, Shared, Out](function: Callable[[In, Shared], Out], item: In) -> Out:
    with _no_collections():
        return function(item, cast(Shared, _shared))


def _serve[In, Shared, Out](
    connection: Connection,
    function: Callable[[In, Shared], Out],
    items: Sequence[In],
    shared: Shared,
) -> None:
    """A forked worker's loop: results for each chunk ``(start, stop)`` it is sent."""
    try:
        while (bounds := connection.recv()) is not None:
            start, stop = bounds
            try:
                with _no_collections():
                    results: object = [function(items[at], shared) for at in range(start, stop)]
            except BaseException as exc:  # sent back, to be raised in the parent
                results = exc
            connection.send((start, results))
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        connection.close()


def _forked[In, Shared, Out](
    function: Callable[[In, Shared], Out],
    items: Sequence[In],
    shared: Shared,
    jobs: int,
    chunksize: int,
) -> Iterator[Out]:
    # ``multiprocessing`` takes about a fiftieth of a second to load, a tenth of what a
    # one-file run costs; only a run that forks loads it.
    import multiprocessing

    context = multiprocessing.get_context("fork")
    chunks = [
        (start, min(start + chunksize, len(items))) for start in range(0, len(items), chunksize)
    ]
    workers: list[tuple[BaseProcess, Connection]] = []
    # Objects the workers inherit stay out of their garbage collections, which would
    # otherwise touch, and so copy, every page of them.
    gc.freeze()
    try:
        for _ in range(min(jobs, len(chunks))):
            parent, child = context.Pipe()
            worker: BaseProcess = context.Process(
                target=_serve, args=(child, function, items, shared), daemon=True
            )
            worker.start()
            child.close()
            workers.append((worker, parent))
    finally:
        gc.unfreeze()
    try:
        yield from _collect(workers, chunks)
    finally:
        for _, connection in workers:
            with suppress(OSError):  # a worker that died has closed its end
                connection.send(None)
            connection.close()
        for process, _ in workers:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()


def _collect[Out](
    workers: list[tuple[BaseProcess, Connection]],
    chunks: list[tuple[int, int]],
) -> Iterator[Out]:
    """Hand out ``chunks`` as workers ask for them; yield results in item order."""
    from multiprocessing.connection import wait  # loaded by ``_forked`` already

    pending = iter(chunks)
    owner: dict[Connection, int] = {}
    for _, connection in workers:
        for _ in range(_AHEAD):
            bounds = next(pending, None)
            if bounds is None:
                break
            connection.send(bounds)
            owner[connection] = owner.get(connection, 0) + 1
    done: dict[int, list[Out]] = {}
    order = [start for start, _ in chunks]
    position = 0
    while position < len(order):
        busy = [connection for connection, count in owner.items() if count]
        for ready in wait(busy):
            connection = cast("Connection", ready)
            try:
                start, results = connection.recv()
            except EOFError:
                raise WorkerFailed(
                    "a codemod worker process died; run again with --jobs 1 to see why"
                ) from None
            if isinstance(results, BaseException):
                raise results
            done[start] = cast(list[Out], results)
            owner[connection] -= 1
            bounds = next(pending, None)
            if bounds is not None:
                connection.send(bounds)
                owner[connection] += 1
        while position < len(order) and order[position] in done:
            yield from done.pop(order[position])
            position += 1


def fan_out[In, Shared, Out](
    function: Callable[[In, Shared], Out],
    items: Sequence[In],
    shared: Shared,
    *,
    jobs: int,
    chunksize: int = 1,
) -> Iterator[Out]:
    """``function(item, shared)`` for each item, in order, over ``jobs`` processes.

    ``function`` must be a module-level function, so workers can find it by name.
    """
    if jobs <= 1 or len(items) < PARALLEL_THRESHOLD:
        for item in items:
            with _no_collections():
                result = function(item, shared)
            yield result
        return
    if _FORK:
        yield from _forked(function, items, shared, jobs, max(1, chunksize))
        return
    # Loaded only here, as ``multiprocessing`` is in ``_forked``.
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, initializer=_share, initargs=(shared,)) as executor:
        yield from executor.map(partial(_call, function), items, chunksize=chunksize)
