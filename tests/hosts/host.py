"""One worker host: a network namespace with a veth on the test's bridge, and its processes.

A host has its own network stack (loopback, `eth0` with one address on the bridge's
/24, no default route, so it reaches only the bridge), its own host name and its own
`/dev/shm`, and a home directory that is the working directory of what it runs. It
shares the file system, the PID space and the users with the machine, as containers on
one machine do: a PID of one host is valid in another, but `weft_compat` tells hosts
apart by host name and network namespace.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.hosts import leftovers
from tests.hosts._commands import HarnessError, ip
from tests.hosts._processes import kill_in_namespace, namespace_id

__all__ = ["Host"]

# Run inside the namespace, before `exec`ing the command: the host's name, and the host's
# own /dev/shm over the machine's (ip netns exec gave the process a mount namespace).
_ENTER = 'hostname "$0" && mount --bind "$1" /dev/shm && shift && exec "$@"'


@dataclass(eq=False)
class Host:
    """A worker host; made by `tests.hosts.network.host_network`, not directly."""

    name: str
    """The namespace's name, also the host name its processes see: `wc-<token>-h<N>`."""
    index: int
    """N in the name, from 1."""
    address: str
    """The host's address on the bridge."""
    veth: str
    """The machine's end of the host's veth pair, a port of the bridge (`eth0` inside)."""
    home: Path
    """The working directory of what the host runs; logs go to `home/logs`."""
    shm: Path
    """The directory the host's processes see as `/dev/shm`."""
    _processes: list[subprocess.Popen[Any]] = field(default_factory=list, repr=False)
    _logs: dict[int, Path] = field(default_factory=dict, repr=False)
    _closed: bool = field(default=False, repr=False)

    @property
    def key(self) -> str:
        """The host's entry in `tests.hosts.leftovers`."""
        return f"netns {self.name}"

    def create(self, *, bridge: str, prefix_length: int) -> None:
        """Make the namespace, its veth on `bridge` and its address; undone by close()."""
        leftovers.track(self.key, self.close)
        self.home.mkdir(parents=True, exist_ok=True)
        self.shm.mkdir()
        self.shm.chmod(0o1777)  # as /dev/shm itself; mkdir's mode would pass the umask
        ip("netns", "add", self.name)
        ip("-n", self.name, "link", "set", "lo", "up")
        ip("link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.name)
        ip("link", "set", self.veth, "master", bridge, "up")
        ip("-n", self.name, "address", "add", f"{self.address}/{prefix_length}", "dev", "eth0")
        ip("-n", self.name, "link", "set", "eth0", "up")

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        inherit_environment: bool = True,
        **popen_kwargs: Any,
    ) -> subprocess.Popen[Any]:
        """Start `argv` on this host; returns its Popen (its PID is the command's own).

        `env` is added to this process's environment (with `inherit_environment=False`,
        it is the whole environment, PATH included). Unless given: the working directory
        is `home`, stdin is /dev/null, stdout and stderr go to a log file in `home/logs`
        (read it with `log`), and the process starts a session of its own, so a Ctrl-C
        at the terminal does not reach it.
        """
        if self._closed:
            raise HarnessError(f"host {self.name} is closed")
        environment = {**(os.environ if inherit_environment else {}), **(env or {})}
        popen_kwargs.setdefault("cwd", self.home)
        popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
        popen_kwargs.setdefault("start_new_session", True)
        command = [
            *("ip", "netns", "exec", self.name, "unshare", "--uts", "--"),
            *("/bin/sh", "-c", _ENTER, self.name, str(self.shm)),
            *argv,
        ]
        with contextlib.ExitStack() as stack:
            log_path = None
            if "stdout" not in popen_kwargs and "stderr" not in popen_kwargs:
                logs = self.home / "logs"
                logs.mkdir(exist_ok=True)
                log_path = logs / f"{len(self._processes) + 1:03d}-{Path(argv[0]).name}.log"
                popen_kwargs["stdout"] = stack.enter_context(log_path.open("wb"))
                popen_kwargs["stderr"] = subprocess.STDOUT
            process = subprocess.Popen(command, env=environment, **popen_kwargs)
        self._processes.append(process)
        if log_path is not None:
            self._logs[process.pid] = log_path
        return process

    def python(
        self, *args: str, env: Mapping[str, str] | None = None, **popen_kwargs: Any
    ) -> subprocess.Popen[Any]:
        """`run` this interpreter (the test's `sys.executable`) with `args`."""
        return self.run([sys.executable, *args], env=env, **popen_kwargs)

    def log(self, process: subprocess.Popen[Any]) -> str:
        """What `process` (started by `run` without stdout/stderr) has written so far."""
        path = self._logs.get(process.pid)
        if path is None:
            raise HarnessError(f"process {process.pid} has no log on host {self.name}")
        return path.read_text(errors="replace")

    def pids(self) -> list[int]:
        """Every process in the host's namespace (`ip netns pids`), whoever started it."""
        if not Path("/run/netns", self.name).exists():
            return []
        listed = ip("netns", "pids", self.name).stdout.split()
        return sorted(int(pid) for pid in listed)

    def kill_all(self, timeout: float = 10.0) -> list[int]:
        """SIGKILL every process in the namespace, by PID, until none is left; their PIDs.

        Processes that a dying one forks meanwhile are found on the next listing, so
        this ends only when the namespace is empty. Processes started by `run` are
        reaped (their `returncode` is -9).
        """
        namespace = namespace_id(f"/run/netns/{self.name}")
        killed: set[int] = set()
        deadline = time.monotonic() + timeout
        while namespace is not None and (pids := self.pids()):
            killed.update(pid for pid in pids if kill_in_namespace(pid, namespace))
            if time.monotonic() > deadline:
                raise HarnessError(f"processes {pids} still run on {self.name} after SIGKILL")
            time.sleep(0.02)
        for process in self._processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        return sorted(killed)

    def link_down(self) -> None:
        """Cut the host off: its veth's bridge end goes down, so packets either way vanish.

        Inside, `eth0` keeps its address and route with no carrier, as with a pulled
        cable: new connections time out, open ones stall until TCP gives up.
        """
        ip("link", "set", self.veth, "down")

    def link_up(self) -> None:
        """Reconnect the host (undoes link_down)."""
        ip("link", "set", self.veth, "up")

    def close(self) -> None:
        """Kill what runs on the host and remove its namespace, veth and /dev/shm (idempotent)."""
        if self._closed:
            return
        if Path("/run/netns", self.name).exists():
            self.kill_all()
            ip("netns", "delete", self.name)
        # The kernel removes a deleted namespace's veth pair in the background.
        link = Path("/sys/class/net", self.veth)
        if link.exists():
            ip("link", "delete", self.veth, check=False)
        deadline = time.monotonic() + 10
        while link.exists():
            if time.monotonic() > deadline:
                raise HarnessError(f"link {self.veth} of host {self.name} is still there")
            time.sleep(0.02)
        shutil.rmtree(self.shm, ignore_errors=True)
        self._closed = True
        leftovers.forget(self.key)
