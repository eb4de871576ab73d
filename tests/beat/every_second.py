"""The schedule the scheduler processes of tests/beat/test_schedulers.py tick: one entry,
every second, noting each run in the file `BEAT_TEST_NOTES` names."""

from __future__ import annotations

import os

from tests.broker_tasks import note_tick
from weft_compat import add_periodic_task

add_periodic_task(1.0, note_tick, args=(os.environ["BEAT_TEST_NOTES"],), name="every second")
