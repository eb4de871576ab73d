"""Shared fixtures: a real Weft context in a temporary directory, and service checks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from weft_compat import WeftSubmission
from weft_compat._broker import close_thread_broker
from weft_compat._client import close_thread_client, get_client
from weft_compat.shutdown import stop_context

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


def wait_for_state(handle: WeftSubmission, state: str, timeout: float = 90) -> None:
    """Poll `handle` until it reads `state`; fail naming the state it is stuck in."""
    deadline = time.monotonic() + timeout
    while (current := handle.state) != state:
        assert time.monotonic() < deadline, f"{handle!r} never reached {state}: {current}"
        time.sleep(0.05)


def run_python(
    script: str, *args: str, timeout: float, unset: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run `script` in a fresh interpreter that imports this repository, without the
    environment variables named in `unset`."""
    root = Path(__file__).resolve().parent.parent
    environment = {**os.environ, "PYTHONPATH": str(root)}
    for name in unset:
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextlib.contextmanager
def pointed_at(context: Path, *, stop: bool = False) -> Iterator[Path]:
    """This process's weft_compat on `context` for a while, with fresh client and broker.

    With `stop`, whatever ran in the context is stopped before the handles close.
    """
    previous = os.environ.get("WEFT_COMPAT_CONTEXT")
    os.environ["WEFT_COMPAT_CONTEXT"] = str(context)
    close_thread_broker()
    close_thread_client()
    try:
        yield context
    finally:
        try:
            if stop:
                stop_context(grace=60)
        finally:
            close_thread_broker()
            close_thread_client()
            if previous is None:
                os.environ.pop("WEFT_COMPAT_CONTEXT", None)
            else:
                os.environ["WEFT_COMPAT_CONTEXT"] = previous


@pytest.fixture(scope="session")
def weft_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh Weft context for the whole session; what ran in it is stopped at the end.

    Nothing is preset for Weft's manager: weft_compat starts it quiet, as for users.
    """
    root = tmp_path_factory.mktemp("weft")
    previous = {key: os.environ.get(key) for key in ("WEFT_COMPAT_CONTEXT",)}
    os.environ["WEFT_COMPAT_CONTEXT"] = str(root)
    close_thread_broker()
    close_thread_client()
    try:
        yield root
    finally:
        stop_context(grace=60)
        remaining = get_client().managers.list()
        close_thread_broker()
        close_thread_client()
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        assert not remaining, f"Weft managers still running after the suite: {remaining}"
