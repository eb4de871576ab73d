"""Whether this machine can give a test its own hosts and PostgreSQL, and what to do if not.

The harness needs Linux, root (CI runs as root), iproute2's `ip`, `runuser`, `unshare`
and `mount`, PostgreSQL's server programs (`initdb`, `pg_ctl`, `postgres`) and the
`postgres` system user to run them as, and a kernel that lets it create network
namespaces, veth pairs and a bridge. Without them a test skips with the reason, or fails
with it under `WEFT_COMPAT_REQUIRE_SERVICES=1`, as `tests/conftest.py`'s
`require_service` does for the services on the loopback.
"""

from __future__ import annotations

import functools
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from tests.hosts import leftovers
from tests.hosts._commands import HarnessError, ip

__all__ = [
    "POSTGRES_USER",
    "missing",
    "postgres_bindir",
    "require_hosts",
    "unavailable",
]

# The system user PostgreSQL's programs run as: initdb and postgres refuse root.
POSTGRES_USER = "postgres"
_TOOLS = ("ip", "runuser", "unshare", "mount", "hostname")
_SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")


def unavailable(reason: str) -> NoReturn:
    """Skip the test with `reason`, or fail it when WEFT_COMPAT_REQUIRE_SERVICES=1."""
    if os.environ.get("WEFT_COMPAT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and WEFT_COMPAT_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


def postgres_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres; None if there is none.

    `WEFT_COMPAT_PG_BINDIR` wins; then `initdb` on PATH, `pg_config --bindir`, and the
    newest Debian-style `/usr/lib/postgresql/<version>/bin`.
    """
    candidates: list[Path] = []
    if configured := os.environ.get("WEFT_COMPAT_PG_BINDIR"):
        candidates.append(Path(configured))
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found:
            candidates.append(Path(found))
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates.extend(sorted(versions, key=_version_key, reverse=True))
    for candidate in candidates:
        if all((candidate / program).is_file() for program in _SERVER_PROGRAMS):
            return candidate
    return None


def _version_key(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


@functools.cache
def missing() -> str | None:
    """Why this machine cannot run the harness, or None if it can (checked once a run)."""
    if sys.platform != "linux":
        return f"network namespaces need Linux, not {sys.platform}"
    if os.geteuid() != 0:
        return f"creating network namespaces needs root, and this runs as uid {os.geteuid()}"
    for tool in _TOOLS:
        if shutil.which(tool) is None:
            return f"{tool!r} is not on PATH"
    if postgres_bindir() is None:
        return (
            "PostgreSQL's initdb, pg_ctl and postgres were not found "
            "(on PATH, via pg_config, under /usr/lib/postgresql; or set WEFT_COMPAT_PG_BINDIR)"
        )
    try:
        pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        return f"there is no {POSTGRES_USER!r} system user to run PostgreSQL's initdb as"
    return _namespaces_refused()


def _namespaces_refused() -> str | None:
    """Create and remove a namespace with a veth into it and a bridge; why that failed."""
    token = secrets.token_hex(3)
    namespace, bridge, veth = f"wc-{token}-probe", f"wc-{token}-pbr", f"wc-{token}-pv"
    key = f"probe {namespace}"
    leftovers.track(key, functools.partial(_remove_probe, namespace, bridge))
    try:
        ip("netns", "add", namespace)
        ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        ip("link", "add", bridge, "type", "bridge")
    except HarnessError as exc:
        return f"this machine cannot create network namespaces, veths and bridges: {exc}"
    finally:
        _remove_probe(namespace, bridge)
        leftovers.forget(key)
    return None


def _remove_probe(namespace: str, bridge: str) -> None:
    # Deleting the namespace deletes the veth pair with the end inside it.
    if Path("/run/netns", namespace).exists():
        ip("netns", "delete", namespace, check=False)
    if Path("/sys/class/net", bridge).exists():
        ip("link", "delete", bridge, check=False)


def require_hosts() -> None:
    """Skip (or fail) the calling test unless the machine can run the harness."""
    reason = missing()
    if reason is not None:
        unavailable(reason)
