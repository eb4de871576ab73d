"""The one place that builds `weft.client.WeftClient` objects.

Weft's submit spends most of its time opening a broker session, so each thread keeps
one retained client (entered, which makes Weft reuse its session) per context
directory. A forked child builds its own; Weft's client also resets itself after fork.
"""

from __future__ import annotations

import os
import threading

from weft.client import WeftClient

from weft_compat._config import context_path

__all__ = ["close_thread_client", "get_client"]

_local = threading.local()


def get_client() -> WeftClient:
    """Return this thread's client for the configured Weft context."""
    key = (os.getpid(), context_path())
    client: WeftClient | None = getattr(_local, "client", None)
    if client is not None and getattr(_local, "key", None) == key:
        return client
    close_thread_client()
    path = key[1]
    client = WeftClient(path=path) if path is not None else WeftClient()
    client.__enter__()
    _local.client, _local.key = client, key
    return client


def close_thread_client() -> None:
    """Close this thread's client, if any (tests switch contexts with it)."""
    client: WeftClient | None = getattr(_local, "client", None)
    key = getattr(_local, "key", None)
    _local.client = None
    _local.key = None
    # A client inherited through fork belongs to the parent; Weft resets it on use.
    if client is not None and key is not None and key[0] == os.getpid():
        client.close()
