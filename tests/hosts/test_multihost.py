"""Web and workers on separate hosts sharing one PostgreSQL broker (issue: production).

The test process is the web host; each worker host is a network namespace running
`weft-compat worker` against the test's own PostgreSQL server (see tests/hosts).
"""

from __future__ import annotations

import collections
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from tests.hosts import tasks
from tests.hosts.host import Host
from weft_compat._broker import close_thread_broker
from weft_compat._client import close_thread_client
from weft_compat.pool import pools
from weft_compat.shutdown import stop_context

pytestmark = pytest.mark.hosts

REPO = Path(__file__).resolve().parents[2]
# A host's calls go elsewhere once its lease (10 s) lapsed and a live master's scan
# (every 10 s) released them; on a loaded machine, give it a good while more.
TAKEOVER_SECONDS = 120.0


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds}s"
        time.sleep(0.25)


@pytest.fixture
def broker(pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This process (the web host) on the test's PostgreSQL broker."""
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")  # The workers run no Django project.
    monkeypatch.setenv("WEFT_COMPAT_CONTEXT", str(tmp_path))
    tasks.create_table(pg_dsn)
    close_thread_broker()
    close_thread_client()
    with override_settings(WEFT_COMPAT={"BROKER": pg_dsn, "BROKER_SCHEMA": "weft"}):
        try:
            yield pg_dsn
        finally:
            stop_context(grace=30)
            close_thread_broker()
            close_thread_client()


def start_worker(host: Host, dsn: str, *args: str) -> subprocess.Popen[Any]:
    environment = {
        "WEFT_COMPAT_BROKER": dsn,
        "WEFT_COMPAT_BROKER_SCHEMA": "weft",
        "WEFT_COMPAT_CONTEXT": str(host.home),
        "PYTHONPATH": str(REPO),
    }
    return host.python(
        "-m", "weft_compat", "worker", "-Q", "default", "-c", "2", "-I", "tests.hosts.tasks",
        *args, env=environment,
    )  # fmt: skip


def both_serve(hosts: list[Host]) -> None:
    wait_until(lambda: len(pools()) == len(hosts), 60, "every host's pool registering")


def test_two_hosts_drain_two_thousand_calls_and_each_runs_once(
    hosts: list[Host], broker: str
) -> None:
    for host in hosts:
        start_worker(host, broker)
    both_serve(hosts)
    assert {entry.host.split(":")[0] for entry in pools()} == {host.name for host in hosts}
    handles = [tasks.where.enqueue(broker) for _ in range(2000)]
    ran_on = [handle.wait(timeout=300) for handle in handles]
    counts = collections.Counter(call for call, _ in tasks.runs(broker))
    assert len(counts) == 2000 and set(counts.values()) == {1}
    assert set(ran_on) == {host.name for host in hosts}, collections.Counter(ran_on)


@pytest.mark.parametrize("how", ["killed", "cut off"])
def test_a_host_lost_mid_run_has_its_calls_finish_on_the_other(
    how: str, hosts: list[Host], broker: str
) -> None:
    lost, survivor = hosts
    for host in hosts:
        start_worker(host, broker)
    both_serve(hosts)
    handles = [tasks.where.enqueue(broker, 0.2) for _ in range(60)]
    wait_until(
        lambda: any(host == lost.name for _, host in tasks.runs(broker)), 60, "a call on the host"
    )
    if how == "killed":
        lost.kill_all()  # The worker's whole process tree, as a host that dies.
    else:
        lost.link_down()
    try:
        ran_on = [handle.wait(timeout=TAKEOVER_SECONDS) for handle in handles]
    finally:
        if how == "cut off":
            lost.link_up()
    assert all(host in (lost.name, survivor.name) for host in ran_on)
    counts = collections.Counter(call for call, _ in tasks.runs(broker))
    # Every call ran; a call the lost host held when it went is run again elsewhere
    # (delivery is at least once), none is lost.
    assert {handle.tid for handle in handles} <= set(counts)
    assert all(handle.state == "SUCCESS" for handle in handles)


def test_a_call_running_on_one_host_is_revoked_from_another(hosts: list[Host], broker: str) -> None:
    start_worker(hosts[0], broker)
    wait_until(lambda: len(pools()) == 1, 60, "the pool registering")
    handle = tasks.where.enqueue(broker, 60)
    wait_until(lambda: handle.state == "STARTED", 60, "the call starting")
    revoker = hosts[1].python(
        "-c",
        "import sys\nfrom weft_compat import WeftSubmission\n"
        "WeftSubmission.from_tid(sys.argv[1]).kill()\n",
        handle.tid,
        env={
            "WEFT_COMPAT_BROKER": broker,
            "WEFT_COMPAT_BROKER_SCHEMA": "weft",
            "WEFT_COMPAT_CONTEXT": str(hosts[1].home),
        },
    )
    assert revoker.wait(timeout=60) == 0, hosts[1].log(revoker)
    wait_until(lambda: handle.state == "REVOKED", 60, "the revoke")
    assert tasks.runs(broker) == []  # Killed in its sleep, before it wrote its row.


def test_time_limits_hold_and_states_read_the_same_from_every_host(
    hosts: list[Host], broker: str
) -> None:
    start_worker(hosts[0], broker)
    wait_until(lambda: len(pools()) == 1, 60, "the pool registering")
    handle = tasks.overstays.enqueue(30)
    wait_until(lambda: handle.state == "STARTED", 60, "the call starting")
    handle.result(timeout=60)
    assert handle.state == "FAILURE"
    assert handle.errors[0].exception_class_path == "weft_compat.exceptions.TimeLimitExceeded"
    reader = hosts[1].python(
        "-c",
        "import sys\nfrom weft_compat import WeftSubmission\n"
        "print(WeftSubmission.from_tid(sys.argv[1]).state)\n",
        handle.tid,
        env={
            "WEFT_COMPAT_BROKER": broker,
            "WEFT_COMPAT_BROKER_SCHEMA": "weft",
            "WEFT_COMPAT_CONTEXT": str(hosts[1].home),
        },
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = reader.communicate(timeout=60)
    assert out.strip() == "FAILURE"


def test_deferred_calls_and_a_retry_chain_run_on_the_hosts(hosts: list[Host], broker: str) -> None:
    for host in hosts:
        start_worker(host, broker)
    both_serve(hosts)
    deferred = [tasks.where.using(countdown=1).enqueue(broker) for _ in range(10)]
    retried = tasks.retries_once.enqueue(broker)
    assert all(handle.state == "PENDING" for handle in deferred)
    assert {handle.wait(timeout=120) for handle in deferred} <= {host.name for host in hosts}
    assert retried.wait(timeout=120) in {host.name for host in hosts}
    assert retried.retries == 1


def test_status_lists_every_hosts_pool_from_any_host(hosts: list[Host], broker: str) -> None:
    for host in hosts:
        start_worker(host, broker)
    both_serve(hosts)
    status = hosts[0].python(
        "-m", "weft_compat", "worker", "--status",
        env={
            "WEFT_COMPAT_BROKER": broker,
            "WEFT_COMPAT_BROKER_SCHEMA": "weft",
            "WEFT_COMPAT_CONTEXT": str(hosts[0].home),
        },
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    out, _ = status.communicate(timeout=60)
    for host in hosts:
        assert host.name in out
