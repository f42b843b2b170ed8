"""The one HTTP request handler shared by every simulated device's listening socket.

The simulator does not build a web application per camera: a single aiohttp
low-level server (HTTP/1.1, keep-alive) is attached to every listening socket,
and each request finds its device by the socket's local address.

Endpoints of a device:

- ``POST /onvif/device_service``, ``/onvif/media_service``, ``/onvif/Media``:
  SOAP 1.2 (see `SimulatedDevice.handle_soap`);
- ``GET /onvif/snapshot/<profile>.jpg``: a JPEG, behind HTTP Digest auth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from monitor.simulator.device import PROFILE_TOKENS, SERVICE_PATHS, SNAPSHOT_PREFIX
from monitor.simulator.device import SimulatedDevice as Device
from monitor.simulator.digest import DigestAuthority, DigestResult
from monitor.simulator.scene import SnapshotRenderer
from monitor.simulator.soap import MAX_BODY_BYTES, SoapFault, SoapFaultError, parse_request

log = logging.getLogger(__name__)

SOAP_CONTENT_TYPE = "application/soap+xml"
KEEPALIVE_TIMEOUT = 30.0
_TOO_LARGE = SoapFault("env:Sender", ("ter:WellFormed",), "Request too large", 413)

Lookup = Callable[[str, int], Device | None]


class DeviceRequestHandler:
    """Serves every device; `lookup` maps a local (host, port) to its device."""

    def __init__(
        self,
        lookup: Lookup,
        *,
        renderer: SnapshotRenderer | None = None,
        digest: DigestAuthority | None = None,
    ) -> None:
        self._lookup = lookup
        self._renderer = renderer or SnapshotRenderer()
        self._digest = digest or DigestAuthority()
        self._stopping = asyncio.Event()

    def make_server(self) -> web.Server:
        """The aiohttp protocol factory to attach to listening sockets."""
        return web.Server(
            self,
            handler_cancellation=True,  # a hung request ends when its client goes away
            keepalive_timeout=KEEPALIVE_TIMEOUT,
            access_log=None,
            auto_decompress=False,  # a compressed body is not decompressed (no zip bombs)
            max_line_size=8190,
            max_field_size=8190,
            lingering_time=1.0,
        )

    def release_hung(self) -> None:
        """Let every hung request end (on shutdown)."""
        self._stopping.set()

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        transport = request.transport
        sockname = transport.get_extra_info("sockname") if transport is not None else None
        device = self._lookup(sockname[0], sockname[1]) if sockname else None
        if device is None:
            raise web.HTTPNotFound()
        fault = device.fault
        if fault.offline or fault.hang or self._stopping.is_set():
            return await self._never_answer(request)
        server = device.model.server_header
        path = request.path
        if path in SERVICE_PATHS:
            if request.method != "POST":
                return _plain(405, "Method Not Allowed", server, allow="POST")
            return await self._soap(device, request, server)
        if path.startswith(SNAPSHOT_PREFIX) and path.endswith(".jpg"):
            if request.method not in ("GET", "HEAD"):
                return _plain(405, "Method Not Allowed", server, allow="GET")
            return self._snapshot(device, request, server, path[len(SNAPSHOT_PREFIX) : -4])
        return _plain(404, "Not Found", server)

    async def _never_answer(self, request: web.BaseRequest) -> web.StreamResponse:
        """A hung device: the request was read, no answer ever comes."""
        await self._stopping.wait()
        if request.transport is not None:
            request.transport.abort()
        # The connection is gone; aiohttp cancels this handler (handler_cancellation).
        await asyncio.Future()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _soap(self, device: Device, request: web.BaseRequest, server: str) -> web.Response:
        body = await _read_limited(request, MAX_BODY_BYTES)
        if body is None:
            response = _soap_response(_TOO_LARGE.http_status, _TOO_LARGE.to_bytes(), server)
            response.force_close()
            return response
        try:
            parsed = parse_request(body)
        except SoapFaultError as exc:
            return _soap_response(exc.fault.http_status, exc.fault.to_bytes(), server)
        status, payload = device.handle_soap(parsed)
        return _soap_response(status, payload, server)

    def _snapshot(
        self, device: Device, request: web.BaseRequest, server: str, token: str
    ) -> web.Response:
        result = self._digest.verify(
            request.headers.get("Authorization"),
            method=request.method,
            uri=request.raw_path,
            realm=device.realm,
            username=device.username,
            password=device.effective_password,
        )
        if result is not DigestResult.OK:
            response = _plain(401, "Unauthorized", server)
            response.headers["WWW-Authenticate"] = self._digest.challenge(
                device.realm, stale=result is DigestResult.STALE
            )
            return response
        if device.fault.no_snapshot:
            return _plain(500, "Internal Server Error", server)
        if token not in PROFILE_TOKENS:
            return _plain(404, "Not Found", server)
        image = self._renderer.render(
            device.camera_id,
            device.scene,
            device_time=device.clock(),
            video_fault=device.fault.video,
        )
        response = web.Response(body=image, content_type="image/jpeg")
        response.headers["Server"] = server
        response.headers["Cache-Control"] = "no-store"
        return response


async def _read_limited(request: web.BaseRequest, limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit` bytes."""
    length = request.content_length
    if length is not None and length > limit:
        return None
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await request.content.read(limit + 1 - total)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            return None


def _soap_response(status: int, payload: bytes, server: str) -> web.Response:
    response = web.Response(
        status=status, body=payload, content_type=SOAP_CONTENT_TYPE, charset="utf-8"
    )
    response.headers["Server"] = server
    return response


def _plain(status: int, reason: str, server: str, **headers: str) -> web.Response:
    response = web.Response(status=status, text=f"{status} {reason}\n")
    response.headers["Server"] = server
    for name, value in headers.items():
        response.headers[name.capitalize()] = value
    return response
