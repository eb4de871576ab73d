"""Tasks the worker hosts run: each call records which host ran it, in the test's database."""

from __future__ import annotations

import socket
import time
from typing import Any

import psycopg

from weft_compat import weft_task

TABLE = "ran"


def create_table(dsn: str) -> None:
    """The table every call writes a row to (its id and the host that ran it)."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (call text, host text)")


def runs(dsn: str) -> list[tuple[str, str]]:
    """Every (call id, host) row written so far."""
    with psycopg.connect(dsn) as connection:
        return [tuple(row) for row in connection.execute(f"SELECT call, host FROM {TABLE}")]


def _record(call_id: str | None, dsn: str) -> str:
    host = socket.gethostname()
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as connection:
        connection.execute(f"INSERT INTO {TABLE} VALUES (%s, %s)", (call_id, host))
    return host


@weft_task(bind=True)
def where(self: Any, dsn: str, seconds: float = 0.0) -> str:
    """Sleeps `seconds`, then records this call as run on this host and names it."""
    time.sleep(seconds)
    return _record(self.request.id, dsn)


@weft_task(time_limit=1)
def overstays(seconds: float) -> None:
    """Runs past its hard limit."""
    time.sleep(seconds)


@weft_task(bind=True, autoretry_for=(ConnectionError,), default_retry_delay=0.2)
def retries_once(self: Any, dsn: str) -> str:
    """Fails on its first attempt and succeeds on its second, on whichever host."""
    if self.request.retries == 0:
        raise ConnectionError("first attempt")
    return _record(self.request.id, dsn)
