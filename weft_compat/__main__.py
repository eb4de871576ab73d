"""`python -m weft_compat`: the same command line as `weft-compat`."""

from __future__ import annotations

from weft_compat.cli import main

raise SystemExit(main())
