"""The harness's pytest fixtures, and the session-end sweep of anything a test left.

A plugin module: `tests/hosts/conftest.py` imports it for the tests in this directory,
and `pytest -p tests.hosts.fixtures` loads it elsewhere.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from tests.hosts import leftovers
from tests.hosts.availability import require_hosts
from tests.hosts.host import Host
from tests.hosts.network import MAX_HOSTS, Network, host_network
from tests.hosts.postgres import PostgresServer, postgres_server

__all__ = [
    "DATABASE",
    "host_network_fixture",
    "hosts",
    "pg_dsn",
    "pg_server",
    "pytest_sessionfinish",
]

DATABASE = "weft_compat"
DEFAULT_HOSTS = 2


@pytest.fixture(name="host_network")
def host_network_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Network]:
    """The bridge and the test's hosts: `@pytest.mark.hosts(count=N)`, 2 by default.

    Skips (or fails under WEFT_COMPAT_REQUIRE_SERVICES=1) where the machine cannot make
    them, and fails for a test without the `hosts` marker, which would otherwise run in
    every tox environment.
    """
    marker = request.node.get_closest_marker("hosts")
    if marker is None:
        pytest.fail(
            f"{request.node.nodeid} uses the hosts harness without @pytest.mark.hosts; "
            "mark it so that one tox environment runs it (tox.ini)"
        )
    count = marker.kwargs.get("count", DEFAULT_HOSTS)
    if not isinstance(count, int) or not 1 <= count <= MAX_HOSTS:
        pytest.fail(f"@pytest.mark.hosts(count={count!r}) wants 1 to {MAX_HOSTS} hosts")
    require_hosts()
    _interrupt_on_sigterm()
    with host_network(count, home=tmp_path / "hosts") as network:
        yield network


@pytest.fixture
def hosts(host_network: Network) -> list[Host]:
    """The test's hosts, `wc-<token>-h1` first."""
    return host_network.hosts


@pytest.fixture
def pg_server(host_network: Network) -> Iterator[PostgresServer]:
    """The test's own PostgreSQL, on the bridge address, trusting the hosts' /24."""
    with postgres_server(host_network.address, allowed=host_network.subnet) as server:
        yield server


@pytest.fixture
def pg_dsn(pg_server: PostgresServer) -> str:
    """The DSN of a database made for the test, the same from every host and the test."""
    return pg_server.create_database(DATABASE)


def _interrupt_on_sigterm() -> None:
    """Make SIGTERM (a CI timeout, tox giving up) end the run as Ctrl-C does.

    Python's default for SIGTERM is to die on the spot, which would leave the hosts and
    the server behind; as a KeyboardInterrupt, the session's end still sweeps them.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_interrupt)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove whatever this run made and a test did not remove, and say so."""
    swept = leftovers.sweep()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if swept and reporter is not None:
        reporter.write_line(f"\ntests.hosts removed what tests left: {', '.join(swept)}")
