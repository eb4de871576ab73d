"""The test's network: a bridge on a free private /24, and one namespace per worker host.

The bridge holds the subnet's first address on the machine (the root namespace), where
the test's PostgreSQL listens; host N is `.10+N`. Nothing routes beyond the bridge (no
default route in the hosts, no forwarding), so the hosts reach only each other and the
machine's bridge address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.hosts import leftovers
from tests.hosts._commands import HarnessError, ip
from tests.hosts.host import Host

__all__ = ["MAX_HOSTS", "Network", "host_network"]

# 10.213.X.0/24 for a random X, one not routed or addressed on this machine already.
_SUBNETS = "10.213.0.0/16"
_ATTEMPTS = 32
_FIRST_HOST = 10
MAX_HOSTS = 200


@dataclass(eq=False)
class Network:
    """The bridge, its subnet and the hosts on it."""

    token: str
    """The random part of every name: bridge `wc-<token>-br`, hosts `wc-<token>-h<N>`."""
    subnet: ipaddress.IPv4Network
    hosts: list[Host] = field(default_factory=list)
    _closed: bool = field(default=False, repr=False)

    @property
    def bridge(self) -> str:
        """The bridge's name, on the machine."""
        return f"wc-{self.token}-br"

    @property
    def address(self) -> str:
        """The machine's address on the bridge: where hosts reach the test's services."""
        return str(self.subnet.network_address + 1)

    @property
    def key(self) -> str:
        """The bridge's entry in `tests.hosts.leftovers`."""
        return f"bridge {self.bridge}"

    def close(self) -> None:
        """Remove every host, then the bridge (idempotent)."""
        if self._closed:
            return
        for host in self.hosts:
            host.close()
        if Path("/sys/class/net", self.bridge).exists():
            ip("link", "delete", self.bridge)
        self._closed = True
        leftovers.forget(self.key)


@contextlib.contextmanager
def host_network(count: int, home: Path) -> Iterator[Network]:
    """A bridge and `count` hosts, with their homes under `home`; all removed on exit."""
    if not 1 <= count <= MAX_HOSTS:
        raise HarnessError(f"a network holds 1 to {MAX_HOSTS} hosts, not {count!r}")
    network = _bridge()
    try:
        for index in range(1, count + 1):
            name = f"wc-{network.token}-h{index}"
            host = Host(
                name=name,
                index=index,
                address=str(network.subnet.network_address + _FIRST_HOST + index),
                veth=name,
                home=home / f"h{index}",
                shm=Path("/dev/shm", name),
            )
            network.hosts.append(host)
            host.create(bridge=network.bridge, prefix_length=network.subnet.prefixlen)
        yield network
    finally:
        network.close()


def _bridge() -> Network:
    """A new bridge holding the first address of a subnet nobody else here uses."""
    for _ in range(_ATTEMPTS):
        subnet = ipaddress.IPv4Network(f"10.213.{secrets.randbelow(254) + 1}.0/24")
        if _in_use(subnet):
            continue
        network = Network(token=secrets.token_hex(3), subnet=subnet)
        leftovers.track(network.key, network.close)
        # STP off and no forwarding delay: a new port forwards at once.
        ip("link", "add", network.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0")
        ip("address", "add", f"{network.address}/24", "dev", network.bridge)
        ip("link", "set", network.bridge, "up")
        # Another run may have taken the same subnet meanwhile; then both move on.
        if _in_use(subnet, besides=network.bridge):
            network.close()
            continue
        return network
    raise HarnessError(f"no free /24 in {_SUBNETS} after {_ATTEMPTS} tries")


def _in_use(subnet: ipaddress.IPv4Network, *, besides: str | None = None) -> bool:
    """Whether an address or a (non-default) route of this machine overlaps `subnet`."""
    for link in json.loads(ip("-j", "-4", "address", "show").stdout):
        if link.get("ifname") == besides:
            continue
        for address in link.get("addr_info", []):
            interface = ipaddress.ip_interface(f"{address['local']}/{address['prefixlen']}")
            if interface.network.overlaps(subnet):
                return True
    if besides is not None:
        return False
    for route in json.loads(ip("-j", "-4", "route", "show", "table", "all").stdout):
        destination = route.get("dst", "default")
        if destination == "default":
            continue
        if ipaddress.ip_network(destination, strict=False).overlaps(subnet):
            return True
    return False
