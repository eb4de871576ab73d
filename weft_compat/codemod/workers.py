"""Fanning a function out over worker processes, or running it here for small runs.

Workers are forked on Linux, so they start with LibCST and the rules imported;
spawned or forkserver workers would import them again, for a good part of a second
each. What every call of a batch shares (the project index, say) is handed to each
worker once, as it starts, rather than with every chunk of work. The cycle collector
is held off during each call and kept away from what workers inherit.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import cast

# Below this many items, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16
_CONTEXT = multiprocessing.get_context("fork") if sys.platform == "linux" else None

# In a worker: what the batch's calls share, set once by ``_share`` as it starts.
_shared: object = None


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
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=_CONTEXT, initializer=_share, initargs=(shared,)
    ) as executor:
        # Objects the workers inherit stay out of their garbage collections, which
        # would otherwise touch, and so copy, every page of them.
        gc.freeze()
        try:
            results = executor.map(partial(_call, function), items, chunksize=chunksize)
        finally:
            gc.unfreeze()
        yield from results
