"""The one place that builds `weft.client.WeftClient` objects.

Weft's submit spends most of its time opening a broker session, so each thread keeps
one retained client (entered, which makes Weft reuse its session) per context
directory. A forked child builds its own; Weft's client also resets itself after fork.

Its context asks for a quiet Weft manager (`_manager` says why and who stops it).
The context directory holds every call's arguments and results, so it is created with
the `CONTEXT_MODE` setting's permissions (0o700: its owner's only) before Weft creates
anything in it, and brought to that mode, with the broker's files, when it exists.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path
from typing import Any, Final

from weft.client import WeftClient, WeftContext, build_context

from weft_compat._backend import Backend, backend
from weft_compat._config import context_path, current_settings

__all__ = ["client_key", "close_thread_client", "get_client", "unsynced_context"]

_local = threading.local()
_WEFT_DIRECTORY: Final = ".weft"
MANAGER_LIFETIME_ENV_VAR: Final = "WEFT_MANAGER_LIFETIME_TIMEOUT"


def client_key() -> tuple[int, str | None, str | None]:
    """What a thread's client (and broker handle) is for: process, context and broker."""
    settings = current_settings()  # Read once: this runs on every broker operation.
    broker = backend(settings)
    return (
        os.getpid(),
        context_path(settings),
        f"{broker.target}#{broker.schema}" if broker else None,
    )


def get_client() -> WeftClient:
    """Return this thread's client for the configured Weft context."""
    key = client_key()
    client: WeftClient | None = getattr(_local, "client", None)
    if client is not None and getattr(_local, "key", None) == key:
        return client
    close_thread_client()
    path = key[1]
    mode = current_settings().CONTEXT_MODE
    if path is not None:
        _private_directory(Path(path) / _WEFT_DIRECTORY, mode)
    client = WeftClient(context=_context(path, backend()))
    _protect(client.context.weft_dir, client.context.database_path, mode)
    client.__enter__()
    _local.client, _local.key = client, key
    return client


def _context(path: str | None, broker: Backend | None) -> WeftContext:
    # The manager a submission autostarts spins a core while tasks run unless its idle
    # lifetime is 0 (then it never leaves on its own: `_manager` stops it). A lifetime
    # set in the environment is the operator's, and stands.
    context = build_context(spec_context=path)
    overrides: dict[str, Any] = {}
    if MANAGER_LIFETIME_ENV_VAR not in os.environ:
        overrides["MANAGER_LIFETIME_TIMEOUT"] = 0.0
    if broker is not None:
        overrides.update(broker.weft_config())
    if not overrides:
        return context
    if broker is not None:
        broker.check()
    return build_context(spec_context=path, config={**dict(context.config), **overrides})


def unsynced_context(context: WeftContext) -> WeftContext:
    """`context` with SQLite commits left to the next synced one (`synchronous=NORMAL`):
    for broker moves that a later synced commit makes durable (`_broker.claim_broker`)."""
    return build_context(
        spec_context=str(context.root), config={**dict(context.config), "SYNC_MODE": "NORMAL"}
    )


def _private_directory(directory: Path, mode: int) -> None:
    # Created with the mode, so no file inside is ever readable by others.
    if not directory.exists():
        directory.mkdir(mode=mode, parents=True, exist_ok=True)


def _protect(directory: Path, database: Path | None, mode: int) -> None:
    with contextlib.suppress(OSError):  # Not the owner: the operator keeps its mode.
        if stat.S_IMODE(directory.stat().st_mode) != mode:
            directory.chmod(mode)
        if database is not None:
            for path in (database, *database.parent.glob(f"{database.name}-*")):
                if stat.S_IMODE(path.stat().st_mode) & ~mode & 0o077:
                    path.chmod(mode & 0o666)


def close_thread_client() -> None:
    """Close this thread's client, if any (tests switch contexts with it)."""
    client: WeftClient | None = getattr(_local, "client", None)
    key = getattr(_local, "key", None)
    _local.client = None
    _local.key = None
    # A client inherited through fork belongs to the parent; Weft resets it on use.
    if client is not None and key is not None and key[0] == os.getpid():
        client.close()
