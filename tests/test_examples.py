"""The README's runtime demo runs as documented, on a real Weft context."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def leftovers(marker: str) -> list[int]:
    """PIDs of processes whose environment holds `marker` (this test's own value)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker.encode() in environment:
            found.append(int(entry.name))
    return found


@pytest.mark.broker
def test_hello_weft_enqueues_a_task_prints_its_result_and_cleans_up(tmp_path: Path) -> None:
    # As a user runs it: no Weft context named, nothing preset for Weft's manager.
    environment = {**os.environ, "HELLO_WEFT_RUN": str(tmp_path), "TMPDIR": str(tmp_path)}
    for name in ("DJANGO_SETTINGS_MODULE", "WEFT_COMPAT_CONTEXT", "WEFT_MANAGER_LIFETIME_TIMEOUT"):
        environment.pop(name, None)
    completed = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "hello_weft.py")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "state: SUCCESS, return value: Decimal('30.00')" in completed.stdout
    assert list(tmp_path.iterdir()) == [], "the throwaway context was left behind"
    assert leftovers(f"HELLO_WEFT_RUN={tmp_path}") == [], "processes were left running"
