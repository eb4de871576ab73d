"""Enqueue latency: `WeftTask.enqueue` vs a raw `weft.client` submit vs weft-django's `enqueue`.

One run, in a fresh temporary Weft context, interleaving the three ways call by call so
they share the same broker state; prints medians and ratios, then the end-to-end time of
20 trivial tasks through `WeftTask.enqueue`. Needs the `bench` extra (weft-django):

    pip install -e '.[bench]'
    python benchmarks/enqueue_latency.py [--calls 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def configure(context: Path) -> None:
    os.environ["WEFT_COMPAT_CONTEXT"] = str(context)
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["weft_django"],
        WEFT_DJANGO={"CONTEXT": str(context)},
        WEFT_COMPAT={"CONTEXT": str(context), "AUTODISCOVER": False},
        DATABASES={},
        USE_TZ=True,
    )
    django.setup()


def measure(label: str, submit: Callable[[int], object], samples: list[float], index: int) -> None:
    started = time.perf_counter()
    submit(index)
    samples.append(time.perf_counter() - started)
    del label


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=40, help="calls per way (default 40)")
    parser.add_argument("--end-to-end", type=int, default=20, help="tasks for the e2e figure")
    arguments = parser.parse_args()

    context = Path(tempfile.mkdtemp(prefix="weft-compat-bench-"))
    configure(context)
    from django.core.signals import request_started
    from weft_django import enqueue as weft_django_enqueue

    from benchmarks.bench_tasks import noop, register_weft_django_twin
    from weft_compat._client import get_client

    twin = register_weft_django_twin()
    client = get_client()
    template = noop.taskspec_template
    from weft_compat._submit import prepare_call

    envelope_payload = prepare_call(noop, (1,), {}).envelope.to_payload()

    def raw(index: int) -> object:
        # The equivalent submission with nothing of weft_compat on the path but the payload.
        return client.submit(template, payload={"payload": envelope_payload})

    def wrapper(index: int) -> object:
        return noop.enqueue(index)

    def weft_django(index: int) -> object:
        return weft_django_enqueue(twin, index)

    # weft-django keeps a retained client only inside a request; give it its best case.
    request_started.send(sender=None)
    ways = {
        "raw weft.client submit": raw,
        "WeftTask.enqueue": wrapper,
        "weft-django enqueue": weft_django,
    }
    samples: dict[str, list[float]] = {label: [] for label in ways}
    for warmup in range(3):
        for submit in ways.values():
            submit(warmup)
    for index in range(arguments.calls):
        for label, submit in ways.items():
            measure(label, submit, samples[label], index)

    medians = {label: statistics.median(values) * 1000 for label, values in samples.items()}
    baseline = medians["raw weft.client submit"]
    print(f"enqueue latency, {arguments.calls} calls each, interleaved (median ms)")
    for label, median in medians.items():
        p90 = statistics.quantiles(samples[label], n=10)[-1] * 1000
        print(
            f"  {label:<24} {median:7.2f} ms   p90 {p90:7.2f} ms   x{median / baseline:.3f} of raw"
        )
    overhead = (medians["WeftTask.enqueue"] / baseline - 1) * 100
    print(f"  WeftTask.enqueue overhead over raw: {overhead:+.1f} %")
    # The part of an enqueue that is weft_compat's own (signature check, JSON encoding,
    # envelope, template lookup), timed without the broker so no noise hides it.
    rounds = 2000
    started = time.perf_counter()
    for index in range(rounds):
        prepare_call(noop, (index,), {})
        _ = noop.taskspec_template
    own = (time.perf_counter() - started) / rounds * 1e6
    print(f"  weft_compat's own work per call: {own:.1f} us ({own / 10 / baseline:.2f} % of raw)")

    print("waiting for the backlog of benchmark submissions to drain ...", file=sys.stderr)
    backlog = client.submit(template, payload={"payload": envelope_payload})
    from weft_compat import WeftSubmission

    WeftSubmission(backlog.tid).result(timeout=900)

    started = time.perf_counter()
    handles = [noop.enqueue(index) for index in range(arguments.end_to_end)]
    for handle in handles:
        handle.result(timeout=600)
    elapsed = time.perf_counter() - started
    assert all(handle.return_value == index for index, handle in enumerate(handles))
    print(
        f"end to end: {arguments.end_to_end} trivial tasks in {elapsed:.2f} s "
        f"({arguments.end_to_end / elapsed:.2f} tasks/s)"
    )
    client.managers.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
