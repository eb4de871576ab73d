"""The README's runtime demo runs as documented, on a real Weft context."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.broker
def test_hello_weft_enqueues_a_task_and_prints_its_result(tmp_path: Path) -> None:
    environment = {**os.environ, "WEFT_COMPAT_CONTEXT": str(tmp_path)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
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
