"""Doorbells: a ring wakes one wait, and a waiter that found no work drops stale rings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import pointed_at
from weft_compat._doorbell import Bell, ring

NAME = "weft_compat.bell.test"


@pytest.fixture
def bell(tmp_path: Path) -> Iterator[Bell]:
    """A bell of a context of the test's own, removed after."""
    with pointed_at(tmp_path):
        listening = Bell(NAME)
        yield listening
        listening.close()
        listening.path.unlink(missing_ok=True)


def test_each_ring_wakes_one_wait(bell: Bell) -> None:
    ring(NAME, 2)
    assert bell.wait(0) is True
    assert bell.wait(0) is True
    assert bell.wait(0) is False


def test_a_drain_takes_every_waiting_ring_and_later_rings_still_wake(bell: Bell) -> None:
    ring(NAME, 3)
    bell.drain()
    assert bell.wait(0) is False
    ring(NAME)
    assert bell.wait(1) is True
    assert bell.wait(0) is False


def test_a_drain_of_a_bell_nobody_rang_returns_at_once(bell: Bell) -> None:
    bell.drain()
    assert bell.wait(0) is False
