"""``python -m weft_compat.codemod``: the same command line as ``weft-compat``."""

from __future__ import annotations

from weft_compat.codemod.cli import main

raise SystemExit(main())
