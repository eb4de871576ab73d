"""The schedules `benchmarks.beat_ticks` gives its `weft-compat beat` processes.

`BENCH_BEAT=lateness`: `BENCH_BEAT_ENTRIES` entries due every `BENCH_BEAT_EVERY`
seconds, all at the same moments, each call returning when it started.
`BENCH_BEAT=idle`: that many entries due every minute (`crontab()`), each a no-op.
"""

from __future__ import annotations

import os

from benchmarks.bench_tasks import noop, started_at
from weft_compat import add_beat_schedule, crontab

_COUNT = int(os.environ.get("BENCH_BEAT_ENTRIES", "100"))

if os.environ.get("BENCH_BEAT") == "idle":
    add_beat_schedule(
        {
            f"minutely {index}": {"task": noop.name, "schedule": crontab(), "args": (index,)}
            for index in range(_COUNT)
        }
    )
else:
    every = float(os.environ.get("BENCH_BEAT_EVERY", "5"))
    add_beat_schedule(
        {f"entry {index}": {"task": started_at.name, "schedule": every} for index in range(_COUNT)}
    )
