"""The `weft-compat` console script: `migrate` (the codemod) and `worker` (pools).

`worker` needs only the runtime; `migrate` and everything else is the codemod's, which
needs LibCST (`weft-compat[codemod]`), so it is imported only when asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run `weft-compat`; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["worker"]:
        from weft_compat.pool.command import main as worker

        return worker(arguments[1:])
    from weft_compat.codemod.cli import main as codemod

    return codemod(arguments)
