"""A PostgreSQL server of the test's own, listening on the bridge for the hosts.

`initdb` makes a cluster in a new directory under /tmp owned by the `postgres` system
user (PostgreSQL refuses to run as root); the server listens on the bridge address and
on a unix socket in that directory, and trusts the bridge's /24. Durability settings stay
at PostgreSQL's defaults (`fsync`, `synchronous_commit` on), as in production; only
initdb skips its own fsync. Stopping it (`pg_ctl stop -m fast`) removes the directory.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import pwd
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from tests.hosts import leftovers
from tests.hosts._commands import HarnessError, run
from tests.hosts._processes import ProcessId, is_running, process_id
from tests.hosts.availability import POSTGRES_USER, postgres_bindir

__all__ = ["DEFAULT_SETTINGS", "SUPERUSER", "PostgresServer", "postgres_server"]

SUPERUSER = "postgres"
# Room for two or three hosts' pools: simplebroker-pg keeps up to three pooled
# connections and one LISTEN connection per process.
DEFAULT_SETTINGS: Mapping[str, str] = {
    "max_connections": "200",
    "log_min_messages": "warning",
    "log_line_prefix": "%m [%p] %r %d ",
    # A host whose link is cut is noticed within seconds, not the kernel's fifteen
    # minutes, so its sessions' locks go too (the settings a deployment should use).
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "10000",
}
_DEFAULT_PORT = 5432


@dataclass(eq=False)
class PostgresServer:
    """A running server; made by `postgres_server`."""

    address: str
    """The bridge address it listens on."""
    port: int
    directory: Path
    """Owned by `postgres`: the cluster in `data/`, the socket, `server.log`."""
    bindir: Path
    postmaster: ProcessId | None = None
    """The server's main process, while it runs."""
    _stopped: bool = field(default=False, repr=False)

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.directory / "data"

    @property
    def log_file(self) -> Path:
        """The server's log."""
        return self.directory / "server.log"

    @property
    def key(self) -> str:
        """The server's entry in `tests.hosts.leftovers`."""
        return f"postgres {self.directory}"

    def dsn(self, database: str = "postgres") -> str:
        """The DSN of `database` on this server as the hosts (and the test) reach it."""
        return f"postgresql://{SUPERUSER}@{self.address}:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection[TupleRow]:
        """An autocommit connection over the unix socket, for the test's own queries."""
        return psycopg.connect(
            host=str(self.directory),
            port=self.port,
            user=SUPERUSER,
            dbname=database,
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, name: str) -> str:
        """Create the database `name`; returns its DSN."""
        with self.connect() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)

    def log(self) -> str:
        """What the server has logged."""
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Stop the server and remove its directory (idempotent)."""
        if self._stopped:
            return
        # A start that timed out may still have left a server running.
        postmaster = self.postmaster or _postmaster(self)
        if postmaster is not None and is_running(postmaster):
            self._pg_ctl("stop", "-m", "fast", check=False)
            if is_running(postmaster):
                self._pg_ctl("stop", "-m", "immediate", check=False)
            _wait_for_exit(postmaster)
        shutil.rmtree(self.directory, ignore_errors=True)
        self._stopped = True
        leftovers.forget(self.key)

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        run(
            [
                *("runuser", "-u", POSTGRES_USER, "--"),
                *(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "30"),
                *args,
            ],
            check=check,
        )


@contextlib.contextmanager
def postgres_server(
    address: str,
    *,
    allowed: ipaddress.IPv4Network,
    settings: Mapping[str, str] | None = None,
) -> Iterator[PostgresServer]:
    """Start a server on `address` trusting `allowed`; stopped and removed on exit.

    `settings` are added to (or override) DEFAULT_SETTINGS in postgresql.conf.
    """
    bindir = postgres_bindir()
    if bindir is None:
        raise HarnessError("PostgreSQL's initdb was not found")
    owner = pwd.getpwnam(POSTGRES_USER)
    directory = Path(tempfile.mkdtemp(prefix="wc-pg-", dir=_traversable_temp()))
    server = PostgresServer(
        address=address, port=_free_port(address), directory=directory, bindir=bindir
    )
    leftovers.track(server.key, server.stop)
    try:
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        try:
            _start(server, allowed, {**DEFAULT_SETTINGS, **(settings or {})})
        except HarnessError as exc:
            raise HarnessError(f"{exc}\nserver log:\n{server.log()}") from exc
        yield server
    finally:
        server.stop()


def _start(
    server: PostgresServer, allowed: ipaddress.IPv4Network, settings: Mapping[str, str]
) -> None:
    run(
        [
            *("runuser", "-u", POSTGRES_USER, "--", str(server.bindir / "initdb")),
            *("-D", str(server.data), "--username", SUPERUSER, "--auth", "trust"),
            *("--encoding", "UTF8", "--locale", "C", "--no-sync"),
        ]
    )
    _configure(server, allowed, settings)
    server._pg_ctl("-l", str(server.log_file), "start")
    server.postmaster = _postmaster(server)
    if server.postmaster is None:
        raise HarnessError("PostgreSQL started, but its postmaster is not running")


def _traversable_temp() -> str:
    """A temp directory the `postgres` user can reach: $TMPDIR if every parent lets it."""
    candidate = Path(tempfile.gettempdir()).resolve()
    for directory in (candidate, *candidate.parents):
        if not directory.stat().st_mode & 0o001:
            return "/tmp"
    return str(candidate)


def _free_port(address: str) -> int:
    """PostgreSQL's usual port on `address`, or any free one if something holds it."""
    for port in (_DEFAULT_PORT, 0):
        with socket.socket() as probe:
            try:
                probe.bind((address, port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise HarnessError(f"no free TCP port on {address}")


def _configure(
    server: PostgresServer, allowed: ipaddress.IPv4Network, settings: Mapping[str, str]
) -> None:
    listening = {
        "listen_addresses": server.address,
        "port": str(server.port),
        "unix_socket_directories": str(server.directory),
    }
    lines = [f"{name} = {_quoted(value)}" for name, value in {**settings, **listening}.items()]
    with (server.data / "postgresql.conf").open("a") as conf:
        conf.write("\n# tests.hosts\n" + "\n".join(lines) + "\n")
    with (server.data / "pg_hba.conf").open("a") as hba:
        hba.write(f"\n# tests.hosts: the test's worker hosts\nhost all all {allowed} trust\n")


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _postmaster(server: PostgresServer) -> ProcessId | None:
    """The server's main process from postmaster.pid; None without a running one."""
    try:
        pid = int((server.data / "postmaster.pid").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None
    return process_id(pid)


def _wait_for_exit(process: ProcessId, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while is_running(process):
        if time.monotonic() > deadline:
            raise HarnessError(f"PostgreSQL's postmaster {process[0]} did not stop")
        time.sleep(0.05)
