"""The codemod: ``weft-compat migrate`` rewrites Celery call sites onto weft_compat.

Only this package imports LibCST; the runtime never does. Entry points: ``cli.main``
(the command line) and ``runner.run`` (the two passes, for programmatic use).
"""

from __future__ import annotations
