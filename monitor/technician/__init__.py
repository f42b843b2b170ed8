"""Commands for a technician in the field: `tianyan probe` and `tianyan discover`."""

from __future__ import annotations

from site_map.model import check_host


def parse_host_port(text: str, default_port: int) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address -> (host, port).

    Raises ValueError with a message fit for the command line.
    """
    value = text.strip()
    port_text = ""
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"'{text}' is not HOST[:PORT]")
        port_text = rest[1:]
        if rest == ":":
            raise ValueError(f"'{text}': the port is missing after ':'")
    elif value.count(":") > 1:
        host = value  # a bare IPv6 address
    else:
        host, sep, port_text = value.partition(":")
        if sep and not port_text:
            raise ValueError(f"'{text}': the port is missing after ':'")
    try:
        check_host(host)
    except ValueError:
        raise ValueError(f"'{text}': '{host}' is not a host name or IP address") from None
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"'{text}': port '{port_text}' is not a number from 1 to 65535")
    return host, int(port_text)
