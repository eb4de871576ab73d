"""The reaper keeps a manager while an isolated call it was given has not ended."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import broker_tasks
from tests.conftest import pointed_at
from weft_compat import _manager
from weft_compat._broker import get_broker

pytestmark = pytest.mark.broker


def outstanding_tids() -> list[str]:
    return list(get_broker().peek_many(_manager.OUTSTANDING, 100, with_timestamps=False))


def test_a_submitted_call_weft_has_not_picked_up_keeps_its_manager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pointed_at(tmp_path, stop=True):
        handle = broker_tasks.add.using(lane="isolated").enqueue(2, 3)
        # The manager this submission started is weft_compat's, so the call is tracked.
        assert outstanding_tids() != []
        assert handle.wait(timeout=120) == 5
        # Ended: forgotten at the next look, and no longer holding the manager.
        assert _manager._outstanding() is False
        assert outstanding_tids() == []
        # A call Weft shows no trace of yet (still in the manager's inbox) holds it...
        get_broker().write(_manager.OUTSTANDING, "1837025672140161024")
        assert _manager._outstanding() is True
        # ...but not for ever.
        monkeypatch.setattr(_manager, "_UNSEEN_SECONDS", 0.0)
        assert _manager._outstanding() is False
        assert outstanding_tids() == []
