"""What of the harness's making is still on the machine: for tests that assert a clean exit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from tests.hosts._processes import is_running

__all__ = ["still_present"]


def still_present(
    *,
    namespaces: Iterable[str] = (),
    links: Iterable[str] = (),
    paths: Iterable[str | Path] = (),
    processes: Iterable[Sequence[int]] = (),
) -> list[str]:
    """Which of these network namespaces, links (on the machine), paths and processes exist.

    A process is a `(pid, start time)` pair (`tests.hosts._processes.process_id`), so a
    later process with the same PID does not count.
    """
    found = [f"namespace {name}" for name in namespaces if Path("/run/netns", name).exists()]
    found += [f"link {name}" for name in links if Path("/sys/class/net", name).exists()]
    found += [f"path {path}" for path in paths if Path(path).exists()]
    found += [
        f"process {pid}" for pid, started in processes if is_running((int(pid), int(started)))
    ]
    return found
