"""The one HTTP request handler shared by every simulated device's listening socket.

The simulator does not build a web application per camera: a single aiohttp
low-level server (HTTP/1.1, keep-alive) is attached to every listening socket,
and each request finds its device by the socket's local address.

Endpoints of a device:

- ``POST /onvif/device_service``, ``/onvif/media_service``, ``/onvif/Media``:
  SOAP 1.2 (see `SimulatedDevice.handle_soap`);
- ``GET /onvif/snapshot/<profile>.jpg``: a JPEG, behind HTTP Digest auth: the
  camera's photograph-based scene as its ``video`` fault shows it (see `scene`).

A device's fault (see `faults`) decides how it answers; transport faults
(``slow``, ``reset``, ``redirect``, ``http_status``, ``flood``) are played
here, before or instead of the device's own SOAP answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable, Iterable

from aiohttp import web

from monitor.simulator import bad_answers
from monitor.simulator.device import PROFILE_TOKENS, SERVICE_PATHS, SNAPSHOT_PREFIX
from monitor.simulator.device import SimulatedDevice as Device
from monitor.simulator.digest import DigestAuthority, DigestResult
from monitor.simulator.scene import SnapshotRenderer, sub_stream_renderer
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
        sub_renderer: SnapshotRenderer | None = None,
        digest: DigestAuthority | None = None,
    ) -> None:
        self._lookup = lookup
        self._renderer = renderer or SnapshotRenderer()
        # The second profile's snapshots are the sub-stream's, at its resolution.
        self._sub_renderer = sub_renderer or sub_stream_renderer()
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
        if fault.slow and not await self._delay(fault.slow):
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
            return await self._snapshot(device, request, server, path[len(SNAPSHOT_PREFIX) : -4])
        return _plain(404, "Not Found", server)

    async def _never_answer(self, request: web.BaseRequest) -> web.StreamResponse:
        """A hung device: the request was read, no answer ever comes."""
        await self._stopping.wait()
        if request.transport is not None:
            request.transport.abort()
        # The connection is gone; aiohttp cancels this handler (handler_cancellation).
        await asyncio.Future()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _delay(self, seconds: float) -> bool:
        """Wait `seconds` (a slow device); False when the simulator stops meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()
        return not self._stopping.is_set()

    async def _reset(self, request: web.BaseRequest, content_type: str) -> web.StreamResponse:
        """Start the answer, then abort the connection with a TCP RST (SO_LINGER 0)."""
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: "
                + content_type.encode()
                + b"\r\nContent-Length: %d\r\n\r\n" % bad_answers.RESET_CLAIMED_LENGTH
                + bad_answers.ANSWER_START
            )
            transport.abort()
        # The connection is gone; aiohttp cancels this handler (handler_cancellation).
        await asyncio.Future()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _flood(
        self,
        request: web.BaseRequest,
        kind: str,
        content_type: str,
        head: bytes,
        server: str,
    ) -> web.StreamResponse:
        """An answer of FLOOD_BYTES, announced by Content-Length or chunked without it."""
        response = web.StreamResponse(headers={"Content-Type": content_type, "Server": server})
        if kind == "length":
            response.content_length = bad_answers.FLOOD_BYTES
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        await _write_all(response, bad_answers.flood_chunks(head))
        return response

    def _redirect(self, device: Device, request: web.BaseRequest, server: str) -> web.Response:
        assert device.fault.redirect is not None
        response = _plain(307, "Temporary Redirect", server)
        response.headers["Location"] = f"http://{device.fault.redirect}{request.raw_path}"
        return response

    def _http_error(self, device: Device, server: str) -> web.Response:
        status = device.fault.http_status
        if device.fault.http_empty:
            response = web.Response(status=status, body=b"")
        else:
            response = web.Response(
                status=status, body=bad_answers.error_page(status), content_type="text/html"
            )
        response.headers["Server"] = server
        if status == 401:
            response.headers["WWW-Authenticate"] = self._digest.challenge(device.realm)
        return response

    async def _soap(
        self, device: Device, request: web.BaseRequest, server: str
    ) -> web.StreamResponse:
        fault = device.fault
        if fault.reset:
            return await self._reset(request, f"{SOAP_CONTENT_TYPE}; charset=utf-8")
        if fault.redirect:
            return self._redirect(device, request, server)
        if fault.http_status:
            return self._http_error(device, server)
        if fault.flood:
            head = bad_answers.ANSWER_START
            return await self._flood(
                request, fault.flood, f"{SOAP_CONTENT_TYPE}; charset=utf-8", head, server
            )
        if fault.xml_bomb:
            return _soap_response(500, bad_answers.entity_bomb(), server)
        if fault.xxe:
            return _soap_response(500, bad_answers.external_entity(), server)
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
        if fault.garbage:
            return _soap_response(200, bad_answers.garbage(payload), server)
        return _soap_response(status, payload, server)

    async def _snapshot(
        self, device: Device, request: web.BaseRequest, server: str, token: str
    ) -> web.StreamResponse:
        fault = device.fault
        if fault.reset:
            return await self._reset(request, "image/jpeg")
        if fault.redirect:
            return self._redirect(device, request, server)
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
        if fault.no_snapshot:
            return _plain(500, "Internal Server Error", server)
        if token not in PROFILE_TOKENS:
            return _plain(404, "Not Found", server)
        if fault.flood_snapshot:
            head = b"\xff\xd8\xff\xe0"  # a JPEG's first bytes, then no end
            return await self._flood(request, fault.flood_snapshot, "image/jpeg", head, server)
        if fault.bad_snapshot:
            response = web.Response(body=bad_answers.NOT_AN_IMAGE, content_type="image/jpeg")
            response.headers["Server"] = server
            return response
        renderer = self._sub_renderer if token == PROFILE_TOKENS[1] else self._renderer
        image = await renderer.render_async(
            device.camera_id,
            device.scene,
            device_time=device.reported_clock(),
            video_fault=fault.video,
            strength=fault.video_strength,
            clock_running=fault.video_clock_running,
        )
        response = web.Response(body=image, content_type="image/jpeg")
        response.headers["Server"] = server
        response.headers["Cache-Control"] = "no-store"
        return response


async def _write_all(response: web.StreamResponse, chunks: Iterable[bytes]) -> None:
    """Write every chunk, or stop quietly when the client hangs up (it refused the flood)."""
    try:
        for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
    except (ConnectionError, RuntimeError):
        # The client closed the connection; aiohttp cancels the handler next.
        await asyncio.Future()


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
