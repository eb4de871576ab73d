"""What `benchmarks.runtimes` reads from /proc: a system's processes, their CPU time and RSS.

A system's processes are found by a tag: every process the benchmark starts for a
system carries `WEFT_COMPAT_BENCH_TAG=<tag>` in its environment, and so does whatever
those processes start (pool children, forked workers, daemons), wherever it ends up in
the process tree. A broker server the benchmark did not start is found by the port it
listens on. CPU time is `utime + stime` of each process plus `cutime + cstime`, the
time of the children it has reaped, so work done by a short-lived child is counted
once, in its parent, after it ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

TAG_ENV_VAR: Final = "WEFT_COMPAT_BENCH_TAG"
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
PAGE_SIZE: Final = os.sysconf("SC_PAGE_SIZE")
_PROC: Final = Path("/proc")
_TCP_LISTEN: Final = "0A"


@dataclass(frozen=True, slots=True)
class ProcessStat:
    """One process at one moment: CPU seconds (own, reaped children's) and RSS bytes."""

    pid: int
    name: str
    started: int  # Start time in ticks since boot: tells a reused PID from the old one.
    cpu: float
    children_cpu: float
    rss: int

    @property
    def key(self) -> tuple[int, int]:
        return self.pid, self.started


def read_stat(pid: int) -> ProcessStat | None:
    """The process's /proc/<pid>/stat figures, or None if it is gone (or a zombie)."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The name is in parentheses and may itself hold spaces or parentheses.
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return ProcessStat(
        pid=pid,
        name=name,
        started=int(fields[19]),
        cpu=(utime + stime) / CLOCK_TICKS,
        children_cpu=(cutime + cstime) / CLOCK_TICKS,
        rss=int(fields[21]) * PAGE_SIZE,
    )


def _pids() -> list[int]:
    return [int(entry.name) for entry in _PROC.iterdir() if entry.name.isdigit()]


def tagged_pids(tag: str, exclude: Iterable[int] = ()) -> list[int]:
    """Every live process whose environment carries `tag`, less `exclude`."""
    marker = f"{TAG_ENV_VAR}={tag}".encode()
    skipped = set(exclude)
    found = []
    for pid in _pids():
        if pid in skipped:
            continue
        try:
            environment = (_PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        if marker in environment.split(b"\0"):
            found.append(pid)
    return sorted(found)


def with_descendants(roots: Iterable[int]) -> list[int]:
    """`roots` and every process below them (a broker server and its helpers)."""
    parents: dict[int, int] = {}
    for pid in _pids():
        try:
            text = (_PROC / str(pid) / "stat").read_text()
        except OSError:
            continue
        parents[pid] = int(text[text.rindex(")") + 2 :].split()[1])
    found = {root for root in roots if root in parents}
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in found} - found
        grew = bool(below)
        found |= below
    return sorted(found)


def listening_pid(port: int) -> int | None:
    """The PID of the process listening on TCP `port` (IPv4 or IPv6), if one can be seen."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (_PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == _TCP_LISTEN:
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for pid in _pids():
        try:
            descriptors = list((_PROC / str(pid) / "fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(descriptor) in inodes:
                    return pid
            except OSError:
                continue
    return None


Sample = dict[tuple[int, int], ProcessStat]


def sample(pids: Iterable[int]) -> Sample:
    """The figures of each of `pids` still alive, keyed by (pid, start time)."""
    stats = (read_stat(pid) for pid in pids)
    return {stat.key: stat for stat in stats if stat is not None}


def cpu_between(before: Mapping[tuple[int, int], ProcessStat], after: Sample) -> float:
    """CPU seconds the sampled processes used between two samples.

    Own and reaped-children time of every process in `after`, less the same of every
    process in `before`: a process that ended in between and was reaped by a sampled
    parent moves its whole time into that parent's children time, so it is counted
    once; one that started in between is counted from its start.
    """
    total_after = sum(stat.cpu + stat.children_cpu for stat in after.values())
    total_before = sum(stat.cpu + stat.children_cpu for stat in before.values())
    return total_after - total_before


def cpu_by_process(
    before: Mapping[tuple[int, int], ProcessStat], after: Sample
) -> dict[int, float]:
    """CPU seconds of each process alive at both samples, own and reaped children's."""
    return {
        stat.pid: stat.cpu + stat.children_cpu - before[key].cpu - before[key].children_cpu
        for key, stat in after.items()
        if key in before
    }


def churn(before: Mapping[tuple[int, int], ProcessStat], after: Sample) -> int:
    """How many processes started or ended between two samples."""
    return len(before.keys() ^ after.keys())


def command_line(pid: int, width: int = 60) -> str:
    """A short form of the process's command line: the program's name and first arguments."""
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "?"
    words = [word.decode(errors="replace") for word in raw.split(b"\0") if word]
    if not words:
        return "?"
    words[0] = Path(words[0]).name
    if len(words) > 1 and words[0].startswith("python"):
        words[1] = Path(words[1]).name if words[1].startswith("/") else words[1]
    text = " ".join(words)
    return text if len(text) <= width else text[: width - 3] + "..."


def read_pss(pid: int) -> int | None:
    """The process's proportional set size in bytes (shared pages split among sharers)."""
    try:
        lines = (_PROC / str(pid) / "smaps_rollup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return None
