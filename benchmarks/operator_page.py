"""The operator's list of recent calls at 100,000 ended calls: first, deep and filtered page.

In a fresh temporary Weft context (SQLite), writes `--calls` ended-call records and
their expiry-index entries straight into the broker, as pool processes write them (one
outcome message per call record, one index message per batch of 32 calls, with
`RESULT_EXTENDED` fields), one call in `--rare` of a rarer task. Then times, median of
`--rounds`, `recent_calls()` for the first page, a page `--deep` pages back reached by
cursor (the cursor taken by walking there once, untimed), and a page filtered by the
rare task, which stops at `SCAN_LIMIT` calls read; and the whole operator list view
(`GET /ops/calls/`, through Django's test client, with its queue summary).

    python -m benchmarks.operator_page [--calls 100000] [--deep 1000] [--rounds 5]

(`pip install -e '.[django]'`; it uses the tests' Django project for the view.)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import django

from weft_compat._broker import call_record, get_broker
from weft_compat._expiry import EXPIRY_PREFIX
from weft_compat._outcome import Outcome
from weft_compat._recent import PAGE_SIZE, SCAN_LIMIT, recent_calls

ROOT: Final = Path(__file__).resolve().parent.parent
_BATCH: Final = 32  # calls per index message, as a pool process flushes them


def fill(calls: int, rare: int) -> None:
    """`calls` ended calls and their index, written as the lanes write them."""
    broker = get_broker()
    bucket = f"{EXPIRY_PREFIX}86400"
    now = time.time()
    # Broker ids as the broker makes them (nanoseconds, 12 counter bits), a few seconds
    # back, so the writes go in batches of exact-id inserts rather than one at a time.
    ids = itertools.count((time.time_ns() - 5 * 10**9) & ~0xFFF, 1 << 12)
    batch: list[str] = []
    rows: list[tuple[str, str, int]] = []
    for number in range(calls):
        call_id = next(ids)
        task = "shop.tasks.rare" if number % rare == 0 else "shop.tasks.send"
        outcome = Outcome(
            "SUCCESS",
            value=json.dumps(number),
            task=task,
            date_done=now,
            date_started=now - 0.01,
            call=json.dumps({"args": [number], "kwargs": {}}),
            queue="default",
            lane="pooled",
            worker="bench",
        )
        rows.append((call_record(call_id), outcome.to_json(), next(ids)))
        batch.append(str(call_id))
        if len(batch) == _BATCH:
            rows.append((bucket, json.dumps({"calls": batch}), next(ids)))
            batch = []
        if len(rows) >= 5_000:
            broker.insert_messages(rows)
            rows = []
    if batch:
        rows.append((bucket, json.dumps({"calls": batch}), next(ids)))
    broker.insert_messages(rows)


def median_ms(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--deep", type=int, default=1_000, help="pages back, by cursor")
    parser.add_argument("--rare", type=int, default=1_000, help="one call in N is rare")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="weft-operator-") as context:
        os.environ["WEFT_COMPAT_CONTEXT"] = context
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")
        sys.path.insert(0, str(ROOT))  # the test project, for the view's settings
        django.setup()

        started = time.perf_counter()
        fill(args.calls, args.rare)
        print(f"wrote {args.calls:,} calls in {time.perf_counter() - started:.1f} s")

        cursor = None
        for _ in range(args.deep):
            cursor = recent_calls(start=cursor).older
        assert cursor is not None, "fewer calls than --deep pages"
        deep = cursor
        first = recent_calls()
        assert len(first.calls) == PAGE_SIZE
        rare = recent_calls(task="shop.tasks.rare")
        print(f"page size {PAGE_SIZE}; filtered page found {len(rare.calls)} in {rare.scanned}")

        figures = {
            "first page": median_ms(recent_calls, args.rounds),
            f"page {args.deep + 1:,} (call {args.deep * PAGE_SIZE:,}), by cursor": median_ms(
                lambda: recent_calls(start=deep), args.rounds
            ),
            f"filtered by a task 1 call in {args.rare:,} has (stops at {SCAN_LIMIT})": median_ms(
                lambda: recent_calls(task="shop.tasks.rare"), args.rounds
            ),
        }
        # Django's models and the views import only once `django.setup()` has run.
        from django.contrib.auth.models import AnonymousUser
        from django.test import RequestFactory

        from weft_compat.django.operator_views import calls

        class Staff(AnonymousUser):
            is_active = True
            is_staff = True

        def view() -> object:
            request = RequestFactory().get("/ops/calls/")
            request.user = Staff()
            response = calls(request)
            assert response.status_code == 200
            return response

        figures["operator list view, first page (with the queue summary)"] = median_ms(
            view, args.rounds
        )
        for label, value in figures.items():
            print(f"{label}: {value:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
