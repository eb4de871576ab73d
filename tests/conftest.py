"""Shared fixtures: a real Weft context in a temporary directory, and service checks."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from weft.client import ManagerNotRunning

from weft_compat._broker import close_thread_broker
from weft_compat._client import close_thread_client, get_client
from weft_compat.due import stop_movers
from weft_compat.pool import stop_all_pools

REQUIRE_SERVICES = os.environ.get("WEFT_COMPAT_REQUIRE_SERVICES") == "1"


def service_available(host: str, port: int) -> bool:
    """Whether something listens on host:port (loopback services on this machine)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, with WEFT_COMPAT_REQUIRE_SERVICES=1, fail) when a service is absent."""
    if service_available(host, port):
        return
    message = f"{name} is not listening on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}, and WEFT_COMPAT_REQUIRE_SERVICES=1 requires it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def weft_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh Weft context for the whole session; its manager is stopped at the end.

    `WEFT_MANAGER_LIFETIME_TIMEOUT=0` keeps the autostarted manager from spinning a core
    while tasks run; it then never exits on idle, so the fixture stops it.
    """
    root = tmp_path_factory.mktemp("weft")
    previous = {
        key: os.environ.get(key) for key in ("WEFT_COMPAT_CONTEXT", "WEFT_MANAGER_LIFETIME_TIMEOUT")
    }
    os.environ["WEFT_COMPAT_CONTEXT"] = str(root)
    os.environ["WEFT_MANAGER_LIFETIME_TIMEOUT"] = "0"
    close_thread_broker()
    close_thread_client()
    try:
        yield root
    finally:
        stop_movers(timeout=60)
        stop_all_pools(timeout=60)
        client = get_client()
        with contextlib.suppress(ManagerNotRunning):  # Tests that submitted nothing.
            client.managers.stop()
        remaining = client.managers.list()
        close_thread_broker()
        close_thread_client()
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        assert not remaining, f"Weft managers still running after the suite: {remaining}"
