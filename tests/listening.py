"""Which addresses a port is listening on, read from the kernel's socket tables."""

from pathlib import Path
from typing import Set

LOOPBACK = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it (hex, little-endian)
_LISTEN = "0A"


def listening_addresses(port: int) -> Set[str]:
    """The local addresses with a socket listening on `port`, IPv4 and IPv6, in /proc's hex."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == _LISTEN and int(hex_port, 16) == port:
                found.add(address)
    return found
