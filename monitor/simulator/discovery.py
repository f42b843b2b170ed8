"""The simulator's WS-Discovery target service: simulated cameras answer Probe messages.

One UDP socket per camera host (``HOST:3702``, loopback only, like the HTTP
side); a Probe that reaches it is answered, to its sender, with one
ProbeMatches per camera on that host whose Types and Scopes match. Offline
cameras stay silent. Only directed (unicast) probes can reach a loopback
socket: the responder never joins a multicast group and never sends
anything but answers.

Each camera advertises, as ONVIF devices do:

- EndpointReference ``urn:uuid:…``, fixed per camera id;
- Types ``dn:NetworkVideoTransmitter tds:Device``;
- Scopes ``onvif://www.onvif.org/type/…``, ``…/Profile/Streaming``,
  ``…/name/<camera name>``, ``…/hardware/<model>``, ``…/location/country/china``;
- XAddrs ``http://HOST:PORT/onvif/device_service``.

Binding is best effort: a host whose port is taken (another discovery
service) is reported in `errors` and logged, and the cameras' ONVIF side is
served all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import socket
import time
import uuid
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from monitor.discovery.wsdiscovery import (
    DEVICE,
    DISCOVERY_PORT,
    MATCH_RFC3986,
    MATCH_STRCMP0,
    MAX_DATAGRAM,
    NVT,
    Advert,
    Probe,
    new_message_id,
    parse_probe,
    probe_matches_message,
)
from monitor.simulator.device import SimulatedDevice

log = logging.getLogger(__name__)

# Probes answered recently, by (host, MessageID): a repeated Probe is answered once.
SEEN_LIMIT = 1024
SEEN_SECONDS = 10.0
# Open files kept free for the HTTP side when binding one socket per host.
RESERVED_FILES = 256


def endpoint_for(camera_id: str) -> str:
    """The camera's EndpointReference address: the same on every run."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"tianyan-simulator:{camera_id}").urn


def advert_for(device: SimulatedDevice) -> Advert:
    identity = device.identity
    scope = "onvif://www.onvif.org/"
    return Advert(
        endpoint=endpoint_for(device.camera_id),
        types=(NVT, DEVICE),
        scopes=(
            f"{scope}type/video_encoder",
            f"{scope}type/Network_Video_Transmitter",
            f"{scope}Profile/Streaming",
            f"{scope}name/{quote(device.name or identity.manufacturer, safe='')}",
            f"{scope}hardware/{quote(identity.model, safe='')}",
            f"{scope}location/country/china",
        ),
        xaddrs=(f"{device.base_url}/onvif/device_service",),
    )


def _scope_matches(wanted: str, offered: str, match_by: str) -> bool:
    if match_by == MATCH_STRCMP0:
        return wanted == offered
    # RFC 3986 rule: same scheme and authority (case-insensitive), and the
    # probe's path segments are a prefix of the device's.
    a, b = urlsplit(wanted), urlsplit(offered)
    if (a.scheme.lower(), a.netloc.lower()) != (b.scheme.lower(), b.netloc.lower()):
        return False
    want = [s for s in a.path.split("/") if s]
    have = [s for s in b.path.split("/") if s]
    return have[: len(want)] == want


def matches(probe: Probe, advert: Advert) -> bool:
    """Does `advert` satisfy every Type and Scope the probe asks for?"""
    if not set(probe.types) <= set(advert.types):
        return False
    if probe.match_by not in (MATCH_RFC3986, MATCH_STRCMP0):
        return False  # a matching rule this service does not support
    return all(
        any(_scope_matches(wanted, offered, probe.match_by) for offered in advert.scopes)
        for wanted in probe.scopes
    )


def _free_files() -> int | None:
    """Open files this process may still open (None: unknown or unlimited)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        used = len(os.listdir("/proc/self/fd"))
    except OSError:
        return None
    return soft - used


class DiscoveryResponder:
    """Answers WS-Discovery Probes for `devices` on UDP `port` of each camera host."""

    def __init__(self, devices: Mapping[str, SimulatedDevice], port: int = DISCOVERY_PORT) -> None:
        self.port = port  # set before start(); tests use a free port
        self._devices = devices
        self._by_host: dict[str, list[SimulatedDevice]] = {}
        self._sockets: dict[str, socket.socket] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._seen: dict[tuple[str, str], float] = {}
        self._instance_id = int(time.time())
        self._message_number = 0
        self.errors: dict[str, str] = {}  # host -> why it is not answering discovery

    @property
    def hosts(self) -> list[str]:
        """The hosts whose discovery socket is open."""
        return list(self._sockets)

    def start(self) -> None:
        """Bind HOST:port for every camera host (call from the simulator's event loop)."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._by_host = {}
        for device in self._devices.values():
            self._by_host.setdefault(device.host, []).append(device)
        self.errors = {}
        free = _free_files()
        for host in self._by_host:
            if free is not None and free - len(self._sockets) <= RESERVED_FILES:
                self.errors[host] = "too few open files left"
                continue
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((host, self.port))
                sock.setblocking(False)
            except OSError as exc:
                sock.close()
                self.errors[host] = exc.strerror or str(exc)
                continue
            self._sockets[host] = sock
            self._loop.add_reader(sock.fileno(), self._readable, host, sock)
        if self.errors:
            host, why = next(iter(self.errors.items()))
            log.warning(
                "WS-Discovery not answered on %d of %d hosts (e.g. %s:%d: %s)",
                len(self.errors),
                len(self._by_host),
                host,
                self.port,
                why,
            )

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        sockets, self._sockets = self._sockets, {}
        for sock in sockets.values():
            if loop is not None and not loop.is_closed():
                loop.remove_reader(sock.fileno())
            with contextlib.suppress(OSError):
                sock.close()
        self._seen.clear()

    def _readable(self, host: str, sock: socket.socket) -> None:
        for _ in range(64):  # drain what is queued, a bounded amount per wake-up
            try:
                data, sender = sock.recvfrom(MAX_DATAGRAM + 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self._answer(host, sock, data, sender)

    def _first_time(self, host: str, message_id: str) -> bool:
        now = time.monotonic()
        if len(self._seen) >= SEEN_LIMIT:
            self._seen = {k: t for k, t in self._seen.items() if now - t < SEEN_SECONDS}
            while len(self._seen) >= SEEN_LIMIT:
                del self._seen[next(iter(self._seen))]
        key = (host, message_id)
        seen = self._seen.get(key)
        if seen is not None and now - seen < SEEN_SECONDS:
            return False
        self._seen[key] = now
        return True

    def _answer(self, host: str, sock: socket.socket, data: bytes, sender: tuple[str, int]) -> None:
        probe = parse_probe(data)
        if probe is None or not self._first_time(host, probe.message_id):
            return
        for device in self._by_host.get(host, ()):
            if device.fault.offline:
                continue
            advert = advert_for(device)
            if not matches(probe, advert):
                continue
            self._message_number += 1
            answer = probe_matches_message(
                message_id=new_message_id(),
                relates_to=probe.message_id,
                adverts=(advert,),
                instance_id=self._instance_id,
                message_number=self._message_number,
            )
            with contextlib.suppress(OSError):
                sock.sendto(answer, sender)
