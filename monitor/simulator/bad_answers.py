"""The broken and hostile answers of faulty devices (see `faults`).

Each is what some camera in the field sends: truncated or binary junk, an
answer that never ends, XML with an entity bomb or an external entity. The
simulator only ever sends them; nothing here parses them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from http import HTTPStatus

from monitor.simulator.soap import SOAP_ENV, SoapFault

# A flooding device sends this much (50 MiB), in chunks of FLOOD_CHUNK bytes.
FLOOD_BYTES = 50 * 1024 * 1024
FLOOD_CHUNK = 64 * 1024

# How a `reset` device starts its answer before aborting, and a `flood` its endless one.
ANSWER_START = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<env:Envelope xmlns:env="' + SOAP_ENV.encode() + b'"><env:Body>'
)
# What the device claims it is going to send: more than it sends before the reset.
RESET_CLAIMED_LENGTH = 4096

# What a `bad_snapshot` device answers with status 200 and Content-Type image/jpeg.
NOT_AN_IMAGE = b"ERROR: video encoder busy, try again later\r\n" * 32


def _bomb_dtd() -> bytes:
    """Ten entities, each ten of the one before: &lol9; stands for 10^9 "lol"s (3 GB)."""
    lines = [b"<!DOCTYPE env:Envelope [", b'  <!ENTITY lol0 "lol">']
    for n in range(1, 10):
        lines.append(b'  <!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10))
    return b"\n".join([*lines, b"]>", b""])


_BOMB_DTD = _bomb_dtd()
_XXE_DTD = b'<!DOCTYPE env:Envelope [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'


def _with_entity(dtd: bytes, reference: bytes) -> bytes:
    """A SOAP fault whose reason is an entity reference, declared in `dtd`.

    A client that expanded entities would carry the expansion (3 GB of "lol",
    a local file) into its error message: the worst place for it.
    """
    fault = SoapFault("env:Receiver", (), "", 500).to_bytes()
    declaration_end = fault.index(b"?>") + 2
    reason_at = fault.index(b'xml:lang="en">') + len(b'xml:lang="en">')
    return (
        fault[:declaration_end]
        + b"\n"
        + dtd
        + fault[declaration_end:reason_at].lstrip(b"\n")
        + reference
        + fault[reason_at:]
    )


def entity_bomb() -> bytes:
    """A "billion laughs" answer: a few hundred bytes that expand to 3 GB."""
    return _with_entity(_BOMB_DTD, b"&lol9;")


def external_entity() -> bytes:
    """An answer whose fault reason is an external entity naming a local file (XXE)."""
    return _with_entity(_XXE_DTD, b"&xxe;")


def garbage(payload: bytes) -> bytes:
    """The first half of the answer, then random bytes: a firmware writing junk."""
    return payload[: len(payload) // 2] + os.urandom(256)


def error_page(status: int) -> bytes:
    """The small HTML page embedded web servers send with an error status."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    title = f"{status} {phrase}"
    return (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1><hr><p>Webs</p></body></html>\n"
    ).encode()


def flood_chunks(head: bytes) -> Iterator[bytes]:
    """FLOOD_BYTES in total: `head`, then the same padding chunk again and again.

    One chunk object is reused, so the simulator's own memory stays flat.
    """
    yield head
    start, end = b"<tt:Padding>", b"</tt:Padding>\n"
    padding = start + b"x" * (FLOOD_CHUNK - len(start) - len(end)) + end
    sent = len(head)
    while sent < FLOOD_BYTES:
        size = min(FLOOD_CHUNK, FLOOD_BYTES - sent)
        yield padding if size == FLOOD_CHUNK else padding[:size]
        sent += size
