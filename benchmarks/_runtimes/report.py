"""The plain-text report of `benchmarks.runtimes`: one set of tables per durability group.

Every cell is `median (lowest-highest)` over the rounds; a `vs pooled` column is the
system's median divided by the pooled lane's median in the same run. Durable and
non-durable systems get tables of their own; the pooled lane heads both, as the
reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from benchmarks._runtimes import summary
from benchmarks._runtimes.plan import Plan
from benchmarks._runtimes.summary import Round, Spread
from benchmarks._systems._base import System

Metric = Callable[[Round], float]


def number(value: float) -> str:
    """Three significant figures, without an exponent."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def spread_cell(figure: Spread | None, *, count: bool = False) -> str:
    """`median (lowest-highest)`, or the median alone when all rounds agree."""
    if figure is None:
        return "-"
    show = (lambda value: f"{value:g}") if count else number
    if figure.low == figure.high:
        return show(figure.median)
    return f"{show(figure.median)} ({show(figure.low)}-{show(figure.high)})"


def ratio_cell(figure: Spread | None, reference: Spread | None) -> str:
    if figure is None or reference is None or reference.median == 0:
        return "-"
    return f"{figure.median / reference.median:.2f}x"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    lines = [title]
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  " + "  ".join(cells).rstrip())
        if row is header:
            lines.append("  " + "  ".join("-" * width for width in widths))
    return "\n".join(lines)


class Report:
    """Builds the tables from the rounds' records."""

    def __init__(
        self, systems: Sequence[System], records: Sequence[Round], plan: Plan, reference: str
    ) -> None:
        self._systems = systems
        self._records = records
        self._plan = plan
        self._reference = reference

    def _figure(self, system: System, metric: Metric) -> Spread | None:
        return summary.spread(summary.ok_rounds(self._records, system.name), metric)

    def _with_ratio(self, system: System, metric: Metric) -> list[str]:
        reference = next((s for s in self._systems if s.name == self._reference), None)
        mine = self._figure(system, metric)
        theirs = self._figure(reference, metric) if reference is not None else None
        return [spread_cell(mine), ratio_cell(mine, theirs)]

    def _broker_cell(self, system: System, metric: Metric) -> str:
        """A broker figure, or `-` for a system with no broker server (SQLite in-process)."""
        processes = self._figure(system, summary.broker_processes)
        if processes is not None and processes.high == 0:
            return "-"
        return spread_cell(self._figure(system, metric))

    def _label(self, system: System) -> str:
        rounds = len(summary.ok_rounds(self._records, system.name))
        failed = sum(
            1 for record in self._records if record["system"] == system.name and "error" in record
        )
        note = f" [{failed} of {rounds + failed} rounds failed]" if failed else ""
        return system.label + note

    def speed(self, group: Sequence[System]) -> str:
        header = ["system"]
        for size in self._plan.sizes:
            header += [f"{size:,} calls, tasks/s", "vs pooled"]
        header += [f"latency ms (median of {self._plan.latency_calls})", "vs pooled"]
        header += ["enqueue ms", "vs pooled"]
        rows = []
        for system in group:
            row = [self._label(system)]
            for size in self._plan.sizes:
                row += self._with_ratio(system, summary.throughput(size))
            row += self._with_ratio(system, summary.latency_ms)
            row += self._with_ratio(system, summary.enqueue_ms)
            rows.append(row)
        return table("throughput (enqueue the burst, read every result back), latency "
                     "(one call's round trip) and enqueue (its submit alone)",
                     header, rows)  # fmt: skip

    def cpu(self, group: Sequence[System]) -> str:
        largest = max(self._plan.sizes)
        header = ["system"]
        for size in self._plan.sizes:
            header += [f"CPU ms/call, {size:,}", "vs pooled"]
        header += [f"broker part, {largest:,}", f"client CPU ms/call, {largest:,}", "vs pooled"]
        rows = []
        for system in group:
            row = [self._label(system)]
            for size in self._plan.sizes:
                row += self._with_ratio(system, summary.cpu_per_call(size))
            row.append(self._broker_cell(system, summary.broker_cpu_per_call(largest)))
            row += self._with_ratio(system, summary.client_cpu_per_call(largest))
            rows.append(row)
        return table("CPU per call (user+sys of the system's processes and broker server, "
                     "burst plus a short tail)", header, rows)  # fmt: skip

    def resources(self, group: Sequence[System]) -> str:
        header = ["system", f"idle CPU % ({self._plan.idle_seconds:g} s)", "vs pooled",
                  "broker part", "worker RSS MiB", "vs pooled", "worker PSS MiB",
                  "processes", "broker processes", "broker RSS MiB"]  # fmt: skip
        rows = []
        for system in group:
            row = [self._label(system)]
            row += self._with_ratio(system, summary.idle_percent)
            row.append(self._broker_cell(system, summary.broker_idle_percent))
            row += self._with_ratio(system, summary.worker_rss_mib)
            row.append(spread_cell(self._figure(system, summary.worker_pss_mib)))
            row.append(spread_cell(self._figure(system, summary.worker_processes), count=True))
            row.append(spread_cell(self._figure(system, summary.broker_processes), count=True))
            row.append(self._broker_cell(system, summary.broker_rss_mib))
            rows.append(row)
        return table("resources (idle: percent of one core, system started, no work; memory "
                     "and processes after the bursts)", header, rows)  # fmt: skip

    def group(self, title: str, group: Sequence[System]) -> str:
        parts = [f"== {title} ==", self.speed(group), self.cpu(group), self.resources(group)]
        return "\n\n".join(parts)


def facts(records: Sequence[Round], system: System) -> Mapping[str, Any]:
    """The client's facts from the system's first successful round."""
    rounds = summary.ok_rounds(records, system.name)
    return rounds[0].get("facts", {}) if rounds else {}


def processes_seen(records: Sequence[Round], system: System) -> str:
    """Which processes were counted, by name, in the system's first successful round."""
    rounds = summary.ok_rounds(records, system.name)
    if not rounds:
        return "-"
    parts = []
    for side in ("workers", "broker"):
        names = rounds[0][side]["names"]
        if names:
            listed = ", ".join(f"{count} x {name}" for name, count in sorted(names.items()))
            parts.append(f"{side}: {listed}")
    return "; ".join(parts)
