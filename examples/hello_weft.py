"""Enqueue one task on Weft's embedded SQLite broker and print its result.

    python examples/hello_weft.py

It uses a throwaway Weft context in a temporary directory (or the one
`WEFT_COMPAT_CONTEXT` names), and stops what it started there before exiting, as
`weft-compat stop` would: the pool, and Weft's manager.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from decimal import Decimal

# Run as a script, this file's directory is on sys.path: the task module is found there,
# and the pool processes are told to import it from there too.
from hello_tasks import invoice_total

from weft_compat import WeftSubmission
from weft_compat.shutdown import stop_context


def main() -> None:
    submission = invoice_total.enqueue([Decimal("19.99"), Decimal("5.01")], tax_rate=Decimal("0.2"))
    print(f"enqueued {submission.name} as tid {submission.tid}")
    submission.result(timeout=60)
    again = WeftSubmission.from_tid(submission.tid)
    print(f"state: {again.state}, return value: {again.return_value!r}")


if __name__ == "__main__":
    throwaway = None
    if not os.environ.get("WEFT_COMPAT_CONTEXT"):
        throwaway = tempfile.mkdtemp(prefix="weft-compat-hello-")
        os.environ["WEFT_COMPAT_CONTEXT"] = throwaway
    try:
        main()
    finally:
        stop_context()
        if throwaway is not None:
            shutil.rmtree(throwaway, ignore_errors=True)
