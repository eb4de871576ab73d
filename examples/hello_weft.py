"""Enqueue one task on Weft's embedded SQLite broker and print its result.

    python examples/hello_weft.py

It uses a throwaway Weft context in a temporary directory and stops the Weft manager
it started before exiting.
"""

from __future__ import annotations

import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("WEFT_COMPAT_CONTEXT", tempfile.mkdtemp(prefix="weft-compat-hello-"))
os.environ.setdefault("WEFT_MANAGER_LIFETIME_TIMEOUT", "0")

from hello_tasks import invoice_total

from weft_compat import WeftSubmission
from weft_compat._client import get_client


def main() -> None:
    submission = invoice_total.enqueue([Decimal("19.99"), Decimal("5.01")], tax_rate=Decimal("0.2"))
    print(f"enqueued {submission.name} as tid {submission.tid}")
    submission.result(timeout=60)
    again = WeftSubmission.from_tid(submission.tid)
    print(f"state: {again.state}, return value: {again.return_value!r}")
    get_client().managers.stop()


if __name__ == "__main__":
    main()
