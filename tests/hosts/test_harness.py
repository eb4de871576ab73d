"""The multi-host harness itself: hosts reach the test's PostgreSQL, links cut, kills, cleanup."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.hosts import leftovers
from tests.hosts._commands import ip
from tests.hosts._processes import process_id
from tests.hosts.availability import require_hosts, unavailable
from tests.hosts.host import Host
from tests.hosts.network import Network
from tests.hosts.postgres import PostgresServer
from tests.hosts.residue import still_present

pytestmark = pytest.mark.hosts

REPO = Path(__file__).resolve().parents[2]

# Run on a host: write a row naming the host, read it back, and say what the host is.
ROW_WRITER = """
import json, os, socket, sys
import psycopg

with psycopg.connect(sys.argv[1], connect_timeout=10) as connection:
    host = socket.gethostname()
    connection.execute("INSERT INTO visits (host) VALUES (%s)", (host,))
    (read,) = connection.execute(
        "SELECT host FROM visits WHERE host = %s", (host,)
    ).fetchone()
    (client,) = connection.execute("SELECT host(inet_client_addr())").fetchone()
open(f"/dev/shm/{host}", "w").close()
print(json.dumps({
    "host": host,
    "read": read,
    "client": client,
    "namespace": os.stat("/proc/self/ns/net").st_ino,
    "shm": sorted(os.listdir("/dev/shm")),
}))
"""


def run_on(host: Host, code: str, *args: str, timeout: float = 30) -> str:
    """Run Python `code` on `host` to the end; its stdout (fails the test if it fails)."""
    process = host.python(
        "-c", code, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    output: str
    errors: str
    output, errors = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{host.name}: {errors}"
    return output


@pytest.mark.hosts(count=3)
def test_every_host_writes_and_reads_a_row_over_the_bridge(
    hosts: list[Host], pg_server: PostgresServer, pg_dsn: str
) -> None:
    with pg_server.connect("weft_compat") as connection:
        connection.execute("CREATE TABLE visits (host text NOT NULL)")

    seen = [json.loads(run_on(host, ROW_WRITER, pg_dsn)) for host in hosts]

    assert [visit["host"] for visit in seen] == [host.name for host in hosts]
    assert [visit["read"] for visit in seen] == [host.name for host in hosts]
    # The server saw each host's own address: the traffic crossed the bridge.
    assert [visit["client"] for visit in seen] == [host.address for host in hosts]
    namespaces = {visit["namespace"] for visit in seen}
    assert len(namespaces) == 3
    assert os.stat("/proc/self/ns/net").st_ino not in namespaces
    # Each host has a /dev/shm of its own.
    assert [visit["shm"] for visit in seen] == [[host.name] for host in hosts]
    with pg_server.connect("weft_compat") as connection:
        rows = connection.execute("SELECT host FROM visits ORDER BY host").fetchall()
    assert [host for (host,) in rows] == sorted(host.name for host in hosts)


def test_a_host_routes_only_to_its_bridge(host_network: Network) -> None:
    host = host_network.hosts[0]
    routes = json.loads(ip("-n", host.name, "-j", "-4", "route", "show", "table", "all").stdout)
    main = [route["dst"] for route in routes if route.get("table", "main") == "main"]
    assert main == [str(host_network.subnet)]
    # The machine's own loopback services are not this host's.
    refused = run_on(
        host,
        "import socket\n"
        "try:\n    socket.create_connection(('127.0.0.1', 5432), timeout=3)\n"
        "except OSError as exc:\n    print(type(exc).__name__)\n",
    )
    assert refused.strip() == "ConnectionRefusedError"


# Run on a host: keep one connection, and answer each line on stdin with the outcome of
# a query on it ("held") or on a new connection ("fresh").
SESSION = """
import sys
import psycopg

dsn = sys.argv[1]
held = psycopg.connect(dsn, autocommit=True, connect_timeout=3, tcp_user_timeout=3000)
print("ready", flush=True)
for line in sys.stdin:
    try:
        if line.strip() == "held":
            held.execute("SELECT 1")
        else:
            with psycopg.connect(dsn, connect_timeout=3) as fresh:
                fresh.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        print("failed", type(exc).__name__, flush=True)
    else:
        print("ok", flush=True)
"""


class Session:
    """A SESSION process on a host, asked one line at a time."""

    def __init__(self, host: Host, dsn: str) -> None:
        self.process = host.python(
            "-c", SESSION, dsn, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self._answer(timeout=30) == "ready"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.answers.put(line.strip())

    def _answer(self, timeout: float) -> str:
        try:
            return self.answers.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no answer from the session within {timeout} s")

    def ask(self, what: str, timeout: float = 30) -> tuple[str, float]:
        """The answer to `what`, and how long it took."""
        assert self.process.stdin is not None
        started = time.monotonic()
        self.process.stdin.write(what + "\n")
        self.process.stdin.flush()
        return self._answer(timeout), time.monotonic() - started


def test_link_down_cuts_one_host_off_until_link_up(hosts: list[Host], pg_dsn: str) -> None:
    cut, other = hosts
    session = Session(cut, pg_dsn)
    assert session.ask("held")[0] == "ok"
    assert session.ask("fresh")[0] == "ok"

    cut.link_down()
    answer, took = session.ask("fresh")
    assert answer == "failed ConnectionTimeout"
    assert took < 10
    answer, took = session.ask("held")
    assert answer.startswith("failed ")
    assert took < 15
    # Only that host is cut off.
    assert run_on(other, "import psycopg, sys; psycopg.connect(sys.argv[1]).close()", pg_dsn) == ""

    cut.link_up()
    deadline = time.monotonic() + 15
    while (answer := session.ask("fresh")[0]) != "ok" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert answer == "ok"


# Run on a host: a process tree (children, a grandchild, one ignoring SIGTERM) that
# prints its PIDs and waits.
TREE = """
import os, signal, subprocess, sys, time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
children = [subprocess.Popen(["sleep", "600"]) for _ in range(2)]
children.append(subprocess.Popen(["sh", "-c", "sleep 600 & wait"]))
print(" ".join(str(pid) for pid in [os.getpid(), *(child.pid for child in children)]), flush=True)
time.sleep(600)
"""


EXPECTED = sorted(["python", "sleep", "sleep", "sh", "sleep", "sleep"])


def command(pid: int) -> str:
    """The process's command name, its interpreter's version suffix dropped; "" once it ended."""
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
    return "python" if name.startswith("python") else name


def test_kill_all_kills_every_process_of_one_host_and_no_other(hosts: list[Host]) -> None:
    target, bystander = hosts
    tree = target.python("-c", TREE, stdout=subprocess.PIPE, text=True)
    assert tree.stdout is not None
    listed = [int(pid) for pid in tree.stdout.readline().split()]
    lone = target.run(["sleep", "600"])
    spared = bystander.run(["sleep", "600"])
    deadline = time.monotonic() + 10
    # The tree, its two sleeps, its shell and the shell's sleep, and the lone sleep, and
    # nothing else: `hostname` and `mount`, run as each process enters, have ended (a count
    # alone can reach six while one of them still runs and the shell's sleep is not forked).
    before = target.pids()
    while sorted(map(command, before)) != EXPECTED and time.monotonic() < deadline:
        time.sleep(0.05)
        before = target.pids()
    assert set(listed) | {lone.pid} <= set(before)
    assert sorted(map(command, before)) == EXPECTED
    identities = [process_id(pid) for pid in before]

    killed = target.kill_all()

    assert killed == before
    assert target.pids() == []
    assert [tree.returncode, lone.returncode] == [-9, -9]
    assert still_present(processes=[identity for identity in identities if identity]) == []
    assert spared.poll() is None
    assert bystander.pids() == [spared.pid]


PROBE = """
import json, os
from pathlib import Path

import pytest

from tests.hosts import leftovers
from tests.hosts.residue import still_present

RECORD = Path(os.environ["HOSTS_PROBE_RECORD"])


@pytest.mark.hosts
def test_uses_every_fixture(host_network, hosts, pg_server, pg_dsn):
    hosts[0].run(["sleep", "600"])
    hosts[0].run(["sh", "-c", "sleep 600 & sleep 600"])
    hosts[0].link_down()
    hosts[1].close()
    hosts[1].close()
    RECORD.write_text(json.dumps({
        "namespaces": [host.name for host in hosts],
        "links": [host.veth for host in hosts] + [host_network.bridge],
        "paths": [str(host.shm) for host in hosts] + [str(pg_server.directory)],
        "processes": [pg_server.postmaster],
        "dsn": pg_dsn,
    }))


def test_unmarked_test_is_refused(hosts):
    pass


def test_fixtures_removed_everything():
    record = json.loads(RECORD.read_text())
    assert leftovers.pending() == []
    assert still_present(
        namespaces=record["namespaces"],
        links=record["links"],
        paths=record["paths"],
        processes=record["processes"],
    ) == []
    RECORD.with_suffix(".checked").write_text("after the fixtures")
"""


def test_fixtures_leave_no_namespace_link_server_or_directory(tmp_path: Path) -> None:
    require_hosts()
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    hosts(count=2): worker hosts\n")
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(PROBE))
    record = tmp_path / "record.json"
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "HOSTS_PROBE_RECORD": str(record),
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    probe = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-rA", "test_probe.py"),
            *("-p", "tests.hosts.fixtures", "-p", "no:cacheprovider"),
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = probe.stdout + probe.stderr
    assert "2 passed, 1 error" in report, report
    assert "uses the hosts harness without @pytest.mark.hosts" in report, report
    assert record.with_suffix(".checked").read_text() == "after the fixtures"
    probed: dict[str, Any] = json.loads(record.read_text())
    assert probed["dsn"].startswith("postgresql://postgres@10.213.")
    assert len(probed["namespaces"]) == 2
    assert len(probed["links"]) == 3
    left = still_present(
        namespaces=probed["namespaces"],
        links=probed["links"],
        paths=probed["paths"],
        processes=probed["processes"],
    )
    assert left == []


def test_unavailable_skips_or_fails_as_for_other_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WEFT_COMPAT_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no namespaces here"):
        unavailable("no namespaces here")
    monkeypatch.setenv("WEFT_COMPAT_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="WEFT_COMPAT_REQUIRE_SERVICES=1 requires"):
        unavailable("no namespaces here")


def test_the_sweep_runs_what_is_left_newest_first_and_goes_on_after_a_failure() -> None:
    registry = leftovers.Leftovers()
    removed: list[str] = []

    def broken() -> None:
        raise OSError("busy")

    registry.track("first", lambda: removed.append("first"))
    registry.track("second", lambda: removed.append("second"))
    registry.forget("first")
    registry.track("broken", broken)
    registry.track("third", lambda: removed.append("third"))

    swept = registry.sweep()

    assert removed == ["third", "second"]
    assert swept == ["third", "broken (cleanup failed: busy)", "second"]
    assert registry.pending() == []
