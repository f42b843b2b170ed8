"""WS-Discovery as ONVIF devices speak it: Probe out, ProbeMatches back, over asyncio UDP.

The 2005/04 draft of WS-Discovery (the one the ONVIF core specification
names), SOAP 1.2 envelopes, WS-Addressing 2004/08. Only what finding devices
needs: the client sends a Probe for ``dn:NetworkVideoTransmitter`` and one
for ``tds:Device`` and collects the ProbeMatches that relate to them; it never
sends Resolve (a ProbeMatch without XAddrs is reported as it is). The
message builders and parsers here serve both sides: the simulator's target
service (`monitor.simulator.discovery`) answers with them.

Two ways to probe:

- multicast to 239.255.255.250:3702 (TTL 1: the local network segment), the
  way ONVIF tools find devices on a campus LAN;
- directed: a unicast Probe to each given host:port (WS-Discovery's "directed
  probe"), for devices in other subnets or on loopback.

Answers are parsed with a locked-down lxml parser (no DTD, no entities, no
network, no huge trees) after a size check; anything else is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

from lxml import etree

from monitor.safe_xml import safe_parser

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
NS_NETWORK = "http://www.onvif.org/ver10/network/wsdl"  # prefix dn
NS_DEVICE = "http://www.onvif.org/ver10/device/wsdl"  # prefix tds

ACTION_PROBE = f"{WSD}/Probe"
ACTION_PROBE_MATCHES = f"{WSD}/ProbeMatches"
DISCOVERY_TO = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
ANONYMOUS = f"{WSA}/role/anonymous"
MATCH_RFC3986 = f"{WSD}/rfc3986"
MATCH_STRCMP0 = f"{WSD}/strcmp0"

MULTICAST_ADDRESS = "239.255.255.250"
DISCOVERY_PORT = 3702
MULTICAST_TTL = 1
MAX_DATAGRAM = 65507
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
# SOAP-over-UDP: a message is sent again once, after a short delay, with the
# same MessageID (receivers drop the duplicate).
REPEAT_DELAY_SECONDS = 0.2

# Clark notation, as lxml writes qualified names.
NVT = f"{{{NS_NETWORK}}}NetworkVideoTransmitter"
DEVICE = f"{{{NS_DEVICE}}}Device"
PROBE_TYPES: tuple[str, ...] = (NVT, DEVICE)
PREFIXES = {NS_NETWORK: "dn", NS_DEVICE: "tds"}

_ENVELOPE_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:a="{WSA}" xmlns:d="{WSD}" '
    f'xmlns:dn="{NS_NETWORK}" xmlns:tds="{NS_DEVICE}">'
)


def _text(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})


def new_message_id() -> str:
    return uuid.uuid4().urn


def prefixed(qname: str) -> str:
    """``{ns}Local`` as ``dn:Local`` / ``tds:Local`` where the namespace is known."""
    if qname.startswith("{"):
        namespace, _, local = qname[1:].partition("}")
        prefix = PREFIXES.get(namespace)
        if prefix:
            return f"{prefix}:{local}"
    return qname


def _qname_list(qnames: Iterable[str]) -> str:
    """Types for a message; every namespace used must be one the envelope declares."""
    words = [prefixed(q) for q in qnames]
    unknown = [w for w in words if w.startswith("{")]
    if unknown:
        raise ValueError(f"no prefix for type {unknown[0]}")
    return " ".join(words)


# -- building messages -----------------------------------------------------------------------
def probe_message(message_id: str, types: Iterable[str] = (NVT,)) -> bytes:
    """A Probe (to the discovery URN, reply to the sender) for devices of all `types`."""
    type_list = _qname_list(types)
    return (
        _ENVELOPE_OPEN + "<s:Header>"
        f'<a:Action s:mustUnderstand="true">{ACTION_PROBE}</a:Action>'
        f"<a:MessageID>{_text(message_id)}</a:MessageID>"
        f"<a:ReplyTo><a:Address>{ANONYMOUS}</a:Address></a:ReplyTo>"
        f'<a:To s:mustUnderstand="true">{DISCOVERY_TO}</a:To>'
        "</s:Header><s:Body><d:Probe>"
        + (f"<d:Types>{type_list}</d:Types>" if type_list else "")
        + "</d:Probe></s:Body></s:Envelope>"
    ).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Advert:
    """What a target service says about itself in a ProbeMatch."""

    endpoint: str  # EndpointReference address, e.g. urn:uuid:...
    types: tuple[str, ...]  # Clark notation
    scopes: tuple[str, ...]
    xaddrs: tuple[str, ...]
    metadata_version: int = 1


def probe_matches_message(
    *,
    message_id: str,
    relates_to: str,
    adverts: Sequence[Advert],
    instance_id: int,
    message_number: int,
) -> bytes:
    """A ProbeMatches answering the Probe `relates_to` (WS-Discovery 2005/04, SOAP 1.2)."""
    matches = "".join(
        "<d:ProbeMatch>"
        f"<a:EndpointReference><a:Address>{_text(advert.endpoint)}</a:Address>"
        "</a:EndpointReference>"
        f"<d:Types>{_qname_list(advert.types)}</d:Types>"
        f"<d:Scopes>{_text(' '.join(advert.scopes))}</d:Scopes>"
        f"<d:XAddrs>{_text(' '.join(advert.xaddrs))}</d:XAddrs>"
        f"<d:MetadataVersion>{int(advert.metadata_version)}</d:MetadataVersion>"
        "</d:ProbeMatch>"
        for advert in adverts
    )
    return (
        _ENVELOPE_OPEN + "<s:Header>"
        f"<a:MessageID>{_text(message_id)}</a:MessageID>"
        f"<a:RelatesTo>{_text(relates_to)}</a:RelatesTo>"
        f'<a:To s:mustUnderstand="true">{ANONYMOUS}</a:To>'
        f'<a:Action s:mustUnderstand="true">{ACTION_PROBE_MATCHES}</a:Action>'
        f'<d:AppSequence InstanceId="{int(instance_id)}" MessageNumber="{int(message_number)}"/>'
        f"</s:Header><s:Body><d:ProbeMatches>{matches}</d:ProbeMatches></s:Body></s:Envelope>"
    ).encode("utf-8")


# -- parsing messages ------------------------------------------------------------------------
_PARSER = safe_parser()


def _envelope(data: bytes) -> tuple[etree._Element, etree._Element] | None:
    """(Header, Body) of a SOAP 1.2 envelope, or None for anything else."""
    if len(data) > MAX_DATAGRAM:
        return None
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        return None
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        return None
    header, body = root.find(f"{{{SOAP_ENV}}}Header"), root.find(f"{{{SOAP_ENV}}}Body")
    if header is None or body is None:
        return None
    return header, body


def _header_text(header: etree._Element, name: str) -> str:
    return (header.findtext(f"{{{WSA}}}{name}") or "").strip()


def _qnames(element: etree._Element | None) -> tuple[str, ...]:
    """A whitespace-separated list of QNames, resolved with the element's namespaces."""
    if element is None or not element.text:
        return ()
    names = []
    for word in element.text.split():
        prefix, sep, local = word.rpartition(":")
        namespace = element.nsmap.get(prefix if sep else None)
        names.append(f"{{{namespace}}}{local}" if namespace else word)
    return tuple(names)


def _words(element: etree._Element | None) -> tuple[str, ...]:
    return tuple((element.text or "").split()) if element is not None else ()


@dataclass(frozen=True, slots=True)
class Probe:
    """A Probe as a target service sees it."""

    message_id: str
    types: tuple[str, ...]
    scopes: tuple[str, ...]
    match_by: str


def parse_probe(data: bytes) -> Probe | None:
    """The Probe in `data`, or None when it is not a well-formed Probe."""
    parts = _envelope(data)
    if parts is None:
        return None
    header, body = parts
    probe = body.find(f"{{{WSD}}}Probe")
    message_id = _header_text(header, "MessageID")
    if probe is None or _header_text(header, "Action") != ACTION_PROBE or not message_id:
        return None
    scopes = probe.find(f"{{{WSD}}}Scopes")
    return Probe(
        message_id=message_id,
        types=_qnames(probe.find(f"{{{WSD}}}Types")),
        scopes=_words(scopes),
        match_by=(scopes.get("MatchBy") if scopes is not None else None) or MATCH_RFC3986,
    )


@dataclass(frozen=True, slots=True)
class ProbeMatch:
    """One device that answered: what it advertised, and the address it answered from."""

    endpoint: str
    types: tuple[str, ...]
    scopes: tuple[str, ...]
    xaddrs: tuple[str, ...]
    metadata_version: int | None
    source: tuple[str, int]

    def scope(self, kind: str) -> str:
        """The values of ``onvif://www.onvif.org/KIND/...`` scopes, decoded, joined by ', '."""
        prefix = f"onvif://www.onvif.org/{kind}/"
        values = [unquote(s[len(prefix) :]) for s in self.scopes if s.startswith(prefix)]
        return ", ".join(v for v in values if v)


def parse_probe_matches(data: bytes, source: tuple[str, int]) -> tuple[str, list[ProbeMatch]]:
    """(RelatesTo, matches) of a ProbeMatches message; ("", []) for anything else."""
    parts = _envelope(data)
    if parts is None:
        return "", []
    header, body = parts
    container = body.find(f"{{{WSD}}}ProbeMatches")
    if container is None or _header_text(header, "Action") != ACTION_PROBE_MATCHES:
        return "", []
    matches = []
    for match in container.iterfind(f"{{{WSD}}}ProbeMatch"):
        endpoint = (match.findtext(f"{{{WSA}}}EndpointReference/{{{WSA}}}Address") or "").strip()
        version = (match.findtext(f"{{{WSD}}}MetadataVersion") or "").strip()
        matches.append(
            ProbeMatch(
                endpoint=endpoint,
                types=_qnames(match.find(f"{{{WSD}}}Types")),
                scopes=_words(match.find(f"{{{WSD}}}Scopes")),
                xaddrs=_words(match.find(f"{{{WSD}}}XAddrs")),
                metadata_version=int(version) if version.isdigit() else None,
                source=source,
            )
        )
    return _header_text(header, "RelatesTo"), matches


# -- the client ------------------------------------------------------------------------------
@dataclass(slots=True)
class DiscoveryResult:
    """Every distinct answer to our probes, and where they were sent."""

    multicast: bool
    sent_to: list[tuple[str, int]]
    matches: list[ProbeMatch] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # addresses a probe could not go to


def _id_key(message_id: str) -> str:
    """Some firmware echoes ``urn:uuid:X`` back as ``uuid:X`` or in upper case."""
    key = message_id.strip().lower()
    return key[4:] if key.startswith("urn:") else key


class _Collector(asyncio.DatagramProtocol):
    def __init__(self, message_ids: set[str], result: DiscoveryResult) -> None:
        self._message_ids = {_id_key(m) for m in message_ids}
        self._result = result
        self._seen: set[tuple[str, tuple[str, ...], tuple[str, int]]] = set()

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        source = (str(addr[0]), int(addr[1]))
        relates_to, matches = parse_probe_matches(data, source)
        if _id_key(relates_to) not in self._message_ids:
            return  # not an answer to us (or not a ProbeMatches at all)
        for match in matches:
            key = (match.endpoint, match.xaddrs, source)
            if key not in self._seen:
                self._seen.add(key)
                self._result.matches.append(match)

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for one address must not end the others' wait


def _large_receive_buffer(sock: socket.socket) -> None:
    """Room for a burst of answers (the kernel caps it at its own maximum)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)


def _multicast_socket() -> socket.socket:
    """A UDP socket for a multicast Probe on the default interface, TTL 1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        _large_receive_buffer(sock)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, MULTICAST_TTL)
        sock.bind(("0.0.0.0", 0))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _unicast_socket(family: socket.AddressFamily) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        _large_receive_buffer(sock)
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def _resolve(
    loop: asyncio.AbstractEventLoop, host: str, port: int
) -> tuple[socket.AddressFamily, tuple[str, int]]:
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    family, _, _, _, sockaddr = infos[0]
    return family, (str(sockaddr[0]), int(sockaddr[1]))


async def discover(
    addresses: Sequence[tuple[str, int]] | None,
    timeout: float,
    *,
    types: Sequence[str] = PROBE_TYPES,
) -> DiscoveryResult:
    """Probe, wait `timeout` seconds, return every distinct ProbeMatch received.

    Without `addresses`: one multicast Probe per type to 239.255.255.250:3702.
    With them: a directed (unicast) Probe per type to each host:port, and
    nothing else is sent anywhere.
    """
    loop = asyncio.get_running_loop()
    multicast = not addresses
    result = DiscoveryResult(multicast=multicast, sent_to=[])
    messages = {new_message_id(): qname for qname in types}
    collector = _Collector(set(messages), result)
    destinations: list[tuple[socket.AddressFamily, tuple[str, int]]] = []
    if multicast:
        destinations.append((socket.AF_INET, (MULTICAST_ADDRESS, DISCOVERY_PORT)))
    for host, port in addresses or ():
        try:
            destinations.append(await _resolve(loop, host, port))
        except (OSError, UnicodeError) as exc:
            result.errors.append(f"{host}:{port}: cannot resolve: {exc}")
    transports: dict[socket.AddressFamily, asyncio.DatagramTransport] = {}
    try:
        for family in dict.fromkeys(f for f, _ in destinations):  # one socket per family
            sock = _multicast_socket() if multicast else _unicast_socket(family)
            try:
                transport, _ = await loop.create_datagram_endpoint(lambda: collector, sock=sock)
            except BaseException:
                sock.close()
                raise
            transports[family] = transport
        # Each probe goes out twice (SOAP-over-UDP repeat, same MessageID); the
        # wait for answers starts when the first round has been sent.
        deadline = 0.0
        for attempt in range(2):
            if attempt:
                await asyncio.sleep(min(REPEAT_DELAY_SECONDS, timeout / 4))
            for family, destination in destinations:
                for message_id, qname in messages.items():
                    try:
                        transports[family].sendto(probe_message(message_id, (qname,)), destination)
                    except OSError as exc:
                        if attempt == 0:
                            result.errors.append(f"{destination[0]}:{destination[1]}: {exc}")
                if attempt == 0:
                    result.sent_to.append(destination)
                # Let answers be read between sends: many devices answering at once
                # must not overflow the socket's receive buffer.
                await asyncio.sleep(0.001 if len(destinations) > 16 else 0)
            if attempt == 0:
                deadline = time.monotonic() + timeout
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    finally:
        for transport in transports.values():
            transport.close()
    return result
