"""The client address that limits count by."""
from __future__ import annotations

import ipaddress

from flask_limiter.util import get_remote_address


def client_address() -> str:
    """IPv4 as it is; IPv6 by its /64, since one subscriber's network hands out addresses
    by the billion (counting each alone would make a per-address limit no limit)."""
    address = get_remote_address() or ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
