"""weft_compat's pooled lane on PostgreSQL, its workers on one host or on two.

A round builds what the multi-host tests build (`tests.hosts`): a Linux bridge, one
network namespace per worker host, and a PostgreSQL server of the round's own (initdb,
durability at PostgreSQL's defaults: `fsync` and `synchronous_commit` on) listening on
the bridge. Each host runs `weft-compat worker -Q bench` with its own context directory
and `WEFT_COMPAT_BROKER` naming the server; the client (the driver, in the web host's
place) reaches the server from the bridge's address, as in production.

- `pooled-pg`: one worker host, `-c 2`;
- `pooled-pg-hosts`: two worker hosts, `-c 1` each: the same two worker processes as
  every other system, split across hosts claiming from one queue.

Needs root (namespaces) and PostgreSQL's server binaries; a machine without them reports
the system as skipped, with the reason.
"""

from __future__ import annotations

import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import ClassVar, Final

from benchmarks._runtimes.spawn import Spawned, stop, venv_script, wait_until
from benchmarks._systems import _env
from benchmarks._systems._base import Started, System
from benchmarks._systems.pooled import QUEUE, TASKS_MODULE, PooledClient
from tests.hosts.availability import missing
from tests.hosts.network import Network, host_network
from tests.hosts.postgres import postgres_server

BROKER: Final = "WEFT_COMPAT_BROKER"
BROKER_SCHEMA: Final = "WEFT_COMPAT_BROKER_SCHEMA"
SCHEMA: Final = "weft"
DATABASE: Final = "bench"
START_TIMEOUT: Final = 90.0


def _hosts_serving(network: Network, environment: dict[str, str]) -> bool:
    """True once `--status` (read from the web side) lists a pool on every host."""
    status = subprocess.run(
        [venv_script("weft-compat"), "worker", "-Q", QUEUE, "--status"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return all(host.name in status.stdout for host in network.hosts)


class _PostgresPooled(System):
    durable: ClassVar[bool] = True
    counted: ClassVar[str] = (
        "every process on the worker hosts (each `weft-compat worker` command and its pool "
        "processes); the broker is the round's PostgreSQL server, all its processes"
    )
    hosts: ClassVar[int]
    concurrency: ClassVar[int]

    def __init__(self) -> None:
        self._stacks: dict[Path, ExitStack] = {}

    def unavailable(self) -> str | None:
        return missing()

    def settings(self) -> str:
        per_host = f"weft-compat worker -Q {QUEUE} -c {self.concurrency} (default prefetch)"
        return (
            f"{self.hosts} worker host(s) as network namespaces, each {per_host}; a "
            "PostgreSQL server of the round's own on the bridge (fsync, synchronous_commit "
            "on); results via WeftSubmission.wait() from the bridge's address"
        )

    def start(self, workdir: Path, environment: dict[str, str]) -> Started:
        stack = ExitStack()
        try:
            network = stack.enter_context(host_network(self.hosts, workdir / "hosts"))
            server = stack.enter_context(postgres_server(network.address, allowed=network.subnet))
            broker = {BROKER: server.create_database(DATABASE), BROKER_SCHEMA: SCHEMA}
            processes = [
                self._start_worker(host_index, network, workdir, {**environment, **broker})
                for host_index in range(self.hosts)
            ]
            client_context = workdir / "client-context"
            client_context.mkdir()
            client = {**broker, _env.WEFT_CONTEXT: str(client_context)}
            wait_until(
                lambda: _hosts_serving(network, {**environment, **client}),
                START_TIMEOUT,
                f"the bench pools on {self.hosts} host(s)",
            )
        except BaseException:
            stack.close()
            raise
        self._stacks[workdir] = stack
        postmaster = [server.postmaster[0]] if server.postmaster else []
        return Started(processes, broker_pids=postmaster, client_environment=client)

    def _start_worker(
        self, index: int, network: Network, workdir: Path, environment: dict[str, str]
    ) -> Spawned:
        host = network.hosts[index]
        context = host.home / "context"
        context.mkdir()
        log = workdir / f"worker-{host.name}.log"
        command = [
            venv_script("weft-compat"), "worker",
            "-Q", QUEUE,
            "-c", str(self.concurrency),
            "-I", TASKS_MODULE,
        ]  # fmt: skip
        with log.open("wb") as output:
            process = host.run(
                command,
                env={**environment, _env.WEFT_CONTEXT: str(context)},
                inherit_environment=False,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        return Spawned(f"weft-compat worker on {host.name}", process, log)

    def stop(self, started: Started, workdir: Path, environment: dict[str, str]) -> None:
        """SIGTERM each host's worker (it stops its pool), then remove hosts and server."""
        del environment
        try:
            for spawned in started.processes:
                stop(spawned, timeout=60)
        finally:
            stack = self._stacks.pop(workdir, None)
            if stack is not None:
                stack.close()

    def connect(self) -> PooledClient:
        return PooledClient()


class PooledPostgres(_PostgresPooled):
    name: ClassVar[str] = "pooled-pg"
    label: ClassVar[str] = "weft_compat pooled lane, PostgreSQL, 1 host"
    hosts: ClassVar[int] = 1
    concurrency: ClassVar[int] = 2


class PooledPostgresHosts(_PostgresPooled):
    name: ClassVar[str] = "pooled-pg-hosts"
    label: ClassVar[str] = "weft_compat pooled lane, PostgreSQL, 2 hosts"
    hosts: ClassVar[int] = 2
    concurrency: ClassVar[int] = 1
