"""The multi-host harness's fixtures for the tests here (see tests/hosts/__init__.py)."""

from __future__ import annotations

from tests.hosts.fixtures import (
    host_network_fixture,
    hosts,
    pg_dsn,
    pg_server,
    pytest_sessionfinish,
)

__all__ = ["host_network_fixture", "hosts", "pg_dsn", "pg_server", "pytest_sessionfinish"]
