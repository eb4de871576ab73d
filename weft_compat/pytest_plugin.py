"""pytest fixtures for projects using weft_compat (loaded through the `pytest11` entry point).

`weft_immediate` runs enqueued calls inline; `weft_recording` records them. Imports are
deferred so that merely having weft_compat installed costs other test suites nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from weft_compat.testing import ImmediateMode, Recorder


@pytest.fixture
def weft_immediate() -> Iterator[ImmediateMode]:
    """Enqueued calls run inline for the duration of the test."""
    from weft_compat.testing import immediate

    with immediate() as mode:
        yield mode


@pytest.fixture
def weft_recording() -> Iterator[Recorder]:
    """Enqueued calls are recorded, not run; the fixture is the recorder."""
    from weft_compat.testing import recording

    with recording() as recorder:
        yield recorder
