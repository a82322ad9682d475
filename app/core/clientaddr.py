"""The client's address: one function for every use (rate limits, proctoring evidence).

The peer of the connection is the client, unless the peer is a proxy the operator named
in ``ASSAY_TRUSTED_PROXIES`` (addresses or CIDR blocks; none by default). Only then is
``X-Forwarded-For`` read, from the right: each proxy appends the address it got the
request from, so the right-most address that is not a trusted proxy is the first one no
trusted party vouches for, the client. Anything to its left was written by the client
and is ignored. The server runs uvicorn without its own proxy-header handling (which
trusts 127.0.0.1 by default, so any local caller could claim any address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import HTTPConnection

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``["10.0.0.0/8", "192.0.2.7"]`` as networks; a bad entry is a ValueError naming it."""
    networks: list[IPNetwork] = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise ValueError(f"not an address or CIDR block: {value!r}") from exc
    return tuple(networks)


class TrustedProxies:
    def __init__(self, networks: Iterable[IPNetwork] = ()) -> None:
        self.networks = tuple(networks)
        self._trusts = lru_cache(maxsize=4096)(self._trusts_uncached)

    def _trusts_uncached(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)

    def trusts(self, address: str) -> bool:
        return bool(self.networks) and self._trusts(address)

    def client(self, peer: str | None, forwarded_for: list[str]) -> str:
        """The client address for a connection from ``peer`` carrying these
        ``X-Forwarded-For`` header values (in order)."""
        if peer is None:
            return UNKNOWN
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
        for hop in reversed(hops):
            if not hop:
                continue
            if not self.trusts(hop):
                return hop if _is_address(hop) else UNKNOWN
        # Every hop is a trusted proxy (or none was given): the request started there.
        return next((h for h in hops if h), peer)


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_address(connection: HTTPConnection) -> str:
    """The client's address for this request (see the module's docstring)."""
    proxies: TrustedProxies = connection.app.state.trusted_proxies
    peer = connection.client.host if connection.client else None
    if not proxies.networks:
        return peer or UNKNOWN
    return proxies.client(peer, connection.headers.getlist("x-forwarded-for"))
