"""The ONVIF simulator, checked with the real client (onvif-zeep-async) on loopback."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import os
import random
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import cv2
import numpy as np
import pytest
import zeep.exceptions
from lxml import etree
from onvif import ONVIFCamera
from onvif.exceptions import ONVIFError

from monitor.simulator import (
    Fault,
    FaultError,
    Simulator,
    SimulatorRefused,
    build_simulator,
    load_faults,
    parse_fault,
)
from monitor.simulator.digest import DigestAuthority, DigestResult
from monitor.simulator.scene import FRAME_INTERVAL, SnapshotRenderer
from monitor.simulator.soap import NS_ERROR, password_digest
from site_map.model import SiteMap

USER, PASSWORD = "admin", "s3cret-pass"
NOT_AUTHORIZED = etree.QName(NS_ERROR, "NotAuthorized")
ACTION_NOT_SUPPORTED = etree.QName(NS_ERROR, "ActionNotSupported")
WELL_FORMED = etree.QName(NS_ERROR, "WellFormed")
SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
DEVICE_NS = "http://www.onvif.org/ver10/device/wsdl"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def make_site_map(cameras: list[tuple[str, str, int]], *, nvrs: bool = False) -> SiteMap:
    return SiteMap.model_validate(
        {
            "school": "Test University",
            "campuses": [{"id": "north", "name": "北校区"}],
            "sites": [{"id": "north-gate", "campus": "north", "category": "gate"}],
            "cameras": [
                {
                    "id": cid,
                    "sites": ["north-gate"],
                    "onvif": {"host": host, "port": port, "credentials": "default"},
                }
                for cid, host, port in cameras
            ],
            "nvrs": (
                [{"id": "nvr-1", "host": "127.0.0.1", "port": 8000, "credentials": "default"}]
                if nvrs
                else []
            ),
            "credentials": {"default": {"username": USER, "password_env": "SIM_TEST_PASSWORD"}},
        }
    )


ENV = {"SIM_TEST_PASSWORD": PASSWORD}


@contextlib.asynccontextmanager
async def serving(
    faults: dict[str, Fault] | None = None, cameras: int = 1
) -> AsyncIterator[tuple[Simulator, list[tuple[str, int]]]]:
    port = free_port()
    specs = [(f"cam-{i}", "127.0.0.1", port if i == 0 else free_port()) for i in range(cameras)]
    site_map = make_site_map(specs)
    sim = build_simulator(site_map, base_dir=Path("."), faults=faults, environ=ENV)
    await sim.start()
    try:
        yield sim, [(host, p) for _, host, p in specs]
    finally:
        await sim.stop()


@contextlib.asynccontextmanager
async def camera(
    port: int, password: str = PASSWORD, *, adjust_time: bool = True
) -> AsyncIterator[ONVIFCamera]:
    cam = ONVIFCamera(
        "127.0.0.1",
        port,
        USER,
        password,
        adjust_time=adjust_time,
        no_cache=True,
        nat_override=True,
    )
    try:
        yield cam
    finally:
        await cam.close()


def soap_request(operation: str, ns: str, header: str = "", body: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{SOAP_ENV}">'
        f'<s:Header>{header}</s:Header><s:Body><op:{operation} xmlns:op="{ns}">{body}'
        f"</op:{operation}></s:Body></s:Envelope>"
    ).encode()


def security_header(password: str, *, nonce: bytes, created: str, digest: bool = True) -> str:
    wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    profile = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    value = password_digest(nonce, created, password) if digest else password
    kind = "PasswordDigest" if digest else "PasswordText"
    return (
        f'<wsse:Security xmlns:wsse="{wsse}" xmlns:wsu="{wsu}"><wsse:UsernameToken>'
        f"<wsse:Username>{USER}</wsse:Username>"
        f'<wsse:Password Type="{profile}#{kind}">{value}</wsse:Password>'
        f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )


def now_created(offset: float = 0.0) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


async def post(port: int, payload: bytes, host: str = "127.0.0.1") -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://{host}:{port}/onvif/device_service",
            data=payload,
            headers={"Content-Type": "application/soap+xml; charset=utf-8"},
        ) as response,
    ):
        return response.status, await response.read()


def fault_subcodes(payload: bytes) -> list[str]:
    root = etree.fromstring(payload)
    values = root.iter(f"{{{SOAP_ENV}}}Value")
    return [str(v.text) for v in values if v.getparent().tag.endswith("Subcode")]


async def fetch_snapshot(url: str, user: str | None, password: str | None) -> tuple[int, bytes]:
    middlewares = (aiohttp.DigestAuthMiddleware(user, password),) if user and password else ()
    async with (
        aiohttp.ClientSession(middlewares=middlewares) as session,
        session.get(url) as response,
    ):
        return response.status, await response.read()


# -- a healthy device, the real client ---------------------------------------------------------
async def test_real_client_talks_to_a_healthy_device() -> None:
    async with serving() as (sim, [(_, port)]), camera(port) as cam:
        await cam.update_xaddrs()
        assert cam.xaddrs["http://www.onvif.org/ver10/media/wsdl"] == (
            f"http://127.0.0.1:{port}/onvif/media_service"
        )
        devicemgmt = await cam.create_devicemgmt_service()
        info = await devicemgmt.GetDeviceInformation()
        identity = sim.devices["cam-0"].identity
        assert info.Manufacturer == identity.manufacturer
        assert info.Manufacturer in {"Hikvision", "Dahua", "Uniview", "Axis"}
        assert (info.Model, info.FirmwareVersion, info.SerialNumber, info.HardwareId) == (
            identity.model,
            identity.firmware,
            identity.serial,
            identity.hardware_id,
        )
        clock = await devicemgmt.authless_GetSystemDateAndTime()
        utc = clock.UTCDateTime
        device_time = dt.datetime(
            utc.Date.Year,
            utc.Date.Month,
            utc.Date.Day,
            utc.Time.Hour,
            utc.Time.Minute,
            utc.Time.Second,
            tzinfo=dt.UTC,
        )
        assert abs((device_time - dt.datetime.now(dt.UTC)).total_seconds()) < 3
        assert clock.LocalDateTime.Time.Hour == (utc.Time.Hour + 8) % 24
        capabilities = await devicemgmt.GetCapabilities({"Category": "All"})
        assert capabilities.Device.XAddr == f"http://127.0.0.1:{port}/onvif/device_service"
        services = await devicemgmt.GetServices({"IncludeCapability": False})
        assert {s.Namespace for s in services} >= {"http://www.onvif.org/ver10/media/wsdl"}
        assert all(s.Version.Major >= 2 for s in services)

        media = await cam.create_media_service()
        profiles = await media.GetProfiles()
        assert [p.token for p in profiles] == ["Profile_1", "Profile_2"]
        sub = profiles[1].VideoEncoderConfiguration.Resolution
        assert (sub.Width, sub.Height) == (640, 360)
        request = media.create_type("GetStreamUri")
        request.ProfileToken = "Profile_1"
        request.StreamSetup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
        stream = await media.GetStreamUri(request)
        assert stream.Uri.startswith("rtsp://127.0.0.1:")
        snapshot_uri = await cam.get_snapshot_uri("Profile_1")
        assert snapshot_uri == f"http://127.0.0.1:{port}/onvif/snapshot/Profile_1.jpg"

        image = await cam.get_snapshot("Profile_1")  # HTTP Digest
        assert image is not None
        frame = _decode(image)
        assert frame.shape == (1080, 1920, 3)
        assert 60 < float(frame.mean()) < 200

        with pytest.raises(zeep.exceptions.Fault) as excinfo:
            await devicemgmt.GetHostname()  # not simulated
        assert ACTION_NOT_SUPPORTED in excinfo.value.subcodes


async def test_wrong_password_is_not_authorized() -> None:
    async with serving() as (_, [(_, port)]), camera(port, "wrong") as cam:
        devicemgmt = await cam.create_devicemgmt_service()
        with pytest.raises(zeep.exceptions.Fault) as excinfo:
            await devicemgmt.GetDeviceInformation()
        assert excinfo.value.message == "Sender not Authorized"
        assert excinfo.value.code == "env:Sender"
        assert NOT_AUTHORIZED in excinfo.value.subcodes
        # The pre-authentication call still answers.
        await devicemgmt.authless_GetSystemDateAndTime()


async def test_auth_fail_fault_refuses_the_site_map_password() -> None:
    async with serving({"cam-0": parse_fault("auth_fail")}) as (sim, [(_, port)]):
        async with camera(port) as cam:
            devicemgmt = await cam.create_devicemgmt_service()
            with pytest.raises(zeep.exceptions.Fault) as excinfo:
                await devicemgmt.GetDeviceInformation()
            assert NOT_AUTHORIZED in excinfo.value.subcodes
        url = sim.devices["cam-0"].snapshot_url("Profile_1")
        assert (await fetch_snapshot(url, USER, PASSWORD))[0] == 401


@pytest.mark.parametrize("skew", [3600, 28800, -600])
async def test_clock_skew(skew: int) -> None:
    async with serving({"cam-0": Fault(clock_skew=skew)}) as (_, [(_, port)]):
        async with camera(port, adjust_time=False) as cam:
            devicemgmt = await cam.create_devicemgmt_service()
            clock = (await devicemgmt.authless_GetSystemDateAndTime()).UTCDateTime
            device_time = dt.datetime(
                clock.Date.Year,
                clock.Date.Month,
                clock.Date.Day,
                clock.Time.Hour,
                clock.Time.Minute,
                clock.Time.Second,
                tzinfo=dt.UTC,
            )
            offset = (device_time - dt.datetime.now(dt.UTC)).total_seconds()
            assert abs(offset - skew) < 3
            with pytest.raises(zeep.exceptions.Fault) as excinfo:  # no compensation
                await devicemgmt.GetDeviceInformation()
            assert NOT_AUTHORIZED in excinfo.value.subcodes
        async with camera(port, adjust_time=True) as cam:
            await cam.update_xaddrs()
            devicemgmt = await cam.create_devicemgmt_service()
            assert (await devicemgmt.GetDeviceInformation()).Model
            media = await cam.create_media_service()
            assert len(await media.GetProfiles()) == 2


async def test_offline_refuses_connections() -> None:
    async with serving({"cam-0": parse_fault("offline")}) as (_, [(host, port)]):
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(host, port)
        async with camera(port) as cam:
            devicemgmt = await cam.create_devicemgmt_service()
            with pytest.raises((ONVIFError, aiohttp.ClientConnectionError)):
                await devicemgmt.authless_GetSystemDateAndTime()


async def test_hang_accepts_and_never_answers() -> None:
    async with serving({"cam-0": parse_fault("hang")}) as (_, [(host, port)]):
        reader, writer = await asyncio.open_connection(host, port)
        payload = soap_request("GetSystemDateAndTime", "http://www.onvif.org/ver10/device/wsdl")
        writer.write(
            b"POST /onvif/device_service HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/soap+xml\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.5)  # neither data nor EOF
        writer.close()
        async with camera(port) as cam:
            devicemgmt = await cam.create_devicemgmt_service()
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(devicemgmt.authless_GetSystemDateAndTime(), 0.5)


async def test_no_snapshot_answers_onvif_but_not_the_image() -> None:
    async with serving({"cam-0": parse_fault("no_snapshot")}) as (_, [(_, port)]):
        async with camera(port) as cam:
            await cam.update_xaddrs()
            uri = await cam.get_snapshot_uri("Profile_1")
            assert uri is not None
            assert await cam.get_snapshot("Profile_1") is None
        status, _ = await fetch_snapshot(uri, USER, PASSWORD)
        assert status == 500


async def test_snapshot_needs_digest_auth() -> None:
    async with serving() as (sim, _):
        url = sim.devices["cam-0"].snapshot_url("Profile_2")
        status, body = await fetch_snapshot(url, USER, PASSWORD)
        assert status == 200 and body[:2] == b"\xff\xd8"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            assert response.status == 401
            challenge = response.headers["WWW-Authenticate"]
            assert challenge.startswith("Digest ") and 'qop="auth"' in challenge
        assert (await fetch_snapshot(url, USER, "nope"))[0] == 401
        assert (await fetch_snapshot(url.replace("Profile_2", "Nope"), USER, PASSWORD))[0] == 404


def test_digest_nonce_goes_stale() -> None:
    authority = DigestAuthority(b"k" * 32)
    realm, uri = "IP Camera(cam-0)", "/onvif/snapshot/Profile_1.jpg"
    nonce = authority.nonce(realm, now=1000.0)
    ha1 = hashlib.md5(f"{USER}:{realm}:{PASSWORD}".encode()).hexdigest()
    ha2 = hashlib.md5(f"GET:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:00000001:abc:auth:{ha2}".encode()).hexdigest()
    header = (
        f'Digest username="{USER}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", qop=auth, nc=00000001, cnonce="abc", algorithm=MD5'
    )
    check = dict(method="GET", uri=uri, realm=realm, username=USER, password=PASSWORD)
    assert authority.verify(header, now=1010.0, **check) is DigestResult.OK
    assert authority.verify(header, now=5000.0, **check) is DigestResult.STALE
    assert authority.verify(header, now=1010.0, **{**check, "password": "x"}) is (
        DigestResult.DENIED
    )
    forged = header.replace(nonce, nonce[:-1] + ("0" if nonce[-1] != "0" else "1"))
    assert authority.verify(forged, now=1010.0, **check) is DigestResult.DENIED


# -- WS-Security details -------------------------------------------------------------------------
async def test_replayed_nonce_and_password_text_are_refused() -> None:
    ns = "http://www.onvif.org/ver10/device/wsdl"
    async with serving() as (_, [(_, port)]):
        header = security_header(PASSWORD, nonce=os.urandom(16), created=now_created())
        request = soap_request("GetDeviceInformation", ns, header)
        status, body = await post(port, request)
        assert status == 200 and b"Manufacturer" in body
        status, body = await post(port, request)  # the same token again
        assert status == 400 and "ter:NotAuthorized" in fault_subcodes(body)
        text_token = security_header(
            PASSWORD, nonce=os.urandom(16), created=now_created(), digest=False
        )
        status, body = await post(port, soap_request("GetDeviceInformation", ns, text_token))
        assert status == 400 and "ter:NotAuthorized" in fault_subcodes(body)
        stale = security_header(PASSWORD, nonce=os.urandom(16), created=now_created(-120))
        status, body = await post(port, soap_request("GetDeviceInformation", ns, stale))
        assert status == 400 and "ter:NotAuthorized" in fault_subcodes(body)


async def test_xml_bombs_and_external_entities_get_a_fault() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        b'<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl">&lol3;'
        b"</GetSystemDateAndTime></s:Body></s:Envelope>"
    )
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        b'<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl">&x;'
        b"</GetSystemDateAndTime></s:Body></s:Envelope>"
    )
    async with serving() as (_, [(_, port)]):
        for payload in (bomb, xxe, bomb.decode().encode("utf-16")):
            status, body = await post(port, payload)
            assert status == 400
            assert "ter:WellFormed" in fault_subcodes(body)
            assert b"lollol" not in body and b"root:" not in body
        status, body = await post(port, b"<s:Envelope" + b" " * 70_000)
        assert status == 413
        status, body = await post(port, b"not xml at all")
        assert status == 400 and "ter:WellFormed" in fault_subcodes(body)


# -- broken answers ------------------------------------------------------------------------------
async def raw_exchange(port: int, request: bytes) -> tuple[bytes, BaseException | None]:
    """Send raw bytes, read until the device closes or resets: (what came, the error)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    received = bytearray()
    error: BaseException | None = None
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), 5):
            received += chunk
    except ConnectionResetError as exc:
        error = exc
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return bytes(received), error


def http_post(payload: bytes) -> bytes:
    return (
        b"POST /onvif/device_service HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/soap+xml\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )


async def test_reset_starts_the_answer_then_sends_rst() -> None:
    async with serving({"cam-0": parse_fault("reset")}) as (_, [(_, port)]):
        request = http_post(soap_request("GetSystemDateAndTime", DEVICE_NS))
        received, error = await raw_exchange(port, request)
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Length: 4096" in received and b"<env:Envelope" in received
    assert isinstance(error, ConnectionResetError)


@pytest.mark.parametrize("kind", ["length", "chunked"])
async def test_flood_sends_fifty_megabytes(kind: str) -> None:
    async with (
        serving({"cam-0": parse_fault({"flood": kind})}) as (_, [(_, port)]),
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}/onvif/device_service",
            data=soap_request("GetSystemDateAndTime", DEVICE_NS),
        ) as response,
    ):
        assert response.status == 200
        assert response.content_length == (50 * 1024 * 1024 if kind == "length" else None)
        total = 0
        async for chunk in response.content.iter_any():
            total += len(chunk)
        assert total == 50 * 1024 * 1024


async def test_answer_faults_on_the_wire() -> None:
    request = soap_request("GetSystemDateAndTime", DEVICE_NS)
    async with serving({"cam-0": parse_fault({"http_status": 401})}) as (sim, [(_, port)]):
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/onvif/device_service"
            async with session.post(url, data=request) as response:
                assert response.status == 401
                assert response.headers["WWW-Authenticate"].startswith("Digest ")
                assert b"401 Unauthorized" in await response.read()
            sim.set_fault("cam-0", parse_fault({"http_status": "500 empty"}))
            async with session.post(url, data=request) as response:
                assert response.status == 500 and await response.read() == b""
            sim.set_fault("cam-0", parse_fault({"redirect": "127.0.0.2:8000"}))
            async with session.post(url, data=request, allow_redirects=False) as response:
                assert response.status == 307
                assert response.headers["Location"] == "http://127.0.0.2:8000/onvif/device_service"
        for fault in ("xml_bomb", "xxe"):
            sim.set_fault("cam-0", parse_fault(fault))
            status, body = await post(port, request)
            assert status == 500 and b"<!DOCTYPE" in body and b"root:" not in body
        sim.set_fault("cam-0", parse_fault("garbage"))
        status, body = await post(port, request)
        assert status == 200 and body.startswith(b"<?xml")
        with pytest.raises(etree.XMLSyntaxError):
            etree.fromstring(body)
        sim.set_fault("cam-0", parse_fault("soap_fault"))
        assert (await post(port, request))[0] == 200  # unauthenticated: answered
        header = security_header(PASSWORD, nonce=os.urandom(16), created=now_created())
        status, body = await post(port, soap_request("GetDeviceInformation", DEVICE_NS, header))
        assert status == 500 and fault_subcodes(body) == ["ter:Action", "ter:CriticalError"]
        sim.set_fault("cam-0", parse_fault({"slow": 0.3}))
        began = time.monotonic()
        assert (await post(port, request))[0] == 200
        assert time.monotonic() - began >= 0.3


async def test_foreign_xaddr_and_reported_clock() -> None:
    faults = {
        "cam-0": parse_fault([{"foreign_xaddr": "127.0.0.2:8000"}, {"clock_report_only": 3600}])
    }
    async with serving(faults) as (sim, [(_, port)]):
        async with camera(port, adjust_time=False) as cam:
            devicemgmt = await cam.create_devicemgmt_service()
            clock = (await devicemgmt.authless_GetSystemDateAndTime()).UTCDateTime
            assert (clock.Time.Hour - dt.datetime.now(dt.UTC).hour) % 24 == 1
            # Tokens are checked against the true clock: an unshifted one is accepted.
            assert (await devicemgmt.GetDeviceInformation()).Model
            services = await devicemgmt.GetServices({"IncludeCapability": False})
            assert {s.XAddr.split("/")[2] for s in services} == {"127.0.0.2:8000"}
            capabilities = await devicemgmt.GetCapabilities({"Category": "All"})
            assert capabilities.Media.XAddr == "http://127.0.0.2:8000/onvif/media_service"
        device = sim.devices["cam-0"]
        assert device.reported_clock() - device.clock() == pytest.approx(3600)
        assert device.stream_url("Profile_1").startswith("rtsp://127.0.0.2:554/")


async def test_snapshot_faults() -> None:
    async with serving({"cam-0": parse_fault("bad_snapshot")}) as (sim, _):
        url = sim.devices["cam-0"].snapshot_url("Profile_1")
        status, body = await fetch_snapshot(url, USER, PASSWORD)
        assert status == 200 and _decode(body) is None
        sim.set_fault("cam-0", parse_fault({"flood_snapshot": "length"}))
        middlewares = (aiohttp.DigestAuthMiddleware(USER, PASSWORD),)
        async with (
            aiohttp.ClientSession(middlewares=middlewares) as session,
            session.get(url) as response,
        ):
            assert response.status == 200 and response.content_length == 50 * 1024 * 1024
            assert (await response.content.read(4)) == b"\xff\xd8\xff\xe0"


# -- run-time faults, scale, refusals -----------------------------------------------------------
async def test_set_fault_offline_and_back() -> None:
    async with serving() as (sim, [(host, port)]):
        async with camera(port) as cam:
            devicemgmt = await cam.create_devicemgmt_service()
            await devicemgmt.authless_GetSystemDateAndTime()
            sim.set_fault("cam-0", Fault(offline=True))
            with pytest.raises(ConnectionRefusedError):
                await asyncio.open_connection(host, port)
            with pytest.raises((ONVIFError, aiohttp.ClientError)):
                await devicemgmt.authless_GetSystemDateAndTime()
            sim.set_fault("cam-0", None)
            assert not sim.devices["cam-0"].fault.active
            await devicemgmt.authless_GetSystemDateAndTime()
            sim.set_fault("cam-0", parse_fault("auth_fail"))
            with pytest.raises(zeep.exceptions.Fault):
                await devicemgmt.GetDeviceInformation()
            sim.set_fault("cam-0", None)
            assert (await devicemgmt.GetDeviceInformation()).Manufacturer
        # Quick toggles within one loop iteration end in the last state asked for.
        for _ in range(3):
            sim.set_fault("cam-0", Fault(offline=True))
            sim.set_fault("cam-0", None)
        await asyncio.sleep(0.05)
        assert (await post(port, soap_request("GetSystemDateAndTime", DEVICE_NS)))[0] == 200
        sim.set_fault("cam-0", Fault(offline=True))
        sim.set_fault("cam-0", None)
        sim.set_fault("cam-0", Fault(offline=True))
        await asyncio.sleep(0.05)
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(host, port)
        with pytest.raises(KeyError):
            sim.set_fault("cam-404", None)


async def test_two_hundred_cameras_start_and_answer() -> None:
    port = free_port()
    second = random.randrange(100, 250)
    specs = [(f"cam-{i:03d}", f"127.{second}.{i // 200}.{i % 200 + 1}", port) for i in range(200)]
    sim = build_simulator(make_site_map(specs), base_dir=Path("."), environ=ENV)
    started = time.perf_counter()
    async with sim:
        assert time.perf_counter() - started < 5
        request = soap_request("GetSystemDateAndTime", "http://www.onvif.org/ver10/device/wsdl")
        results = await asyncio.gather(*(post(port, request, host) for _, host, _ in specs))
        assert all(status == 200 and b"UTCDateTime" in body for status, body in results)


def test_non_loopback_host_is_refused() -> None:
    site_map = make_site_map([("cam-1", "10.20.1.11", 80)])
    with pytest.raises(SimulatorRefused) as excinfo:
        build_simulator(site_map, base_dir=Path("."), environ=ENV)
    assert str(excinfo.value) == (
        "camera 'cam-1': host 10.20.1.11 is not a loopback address; "
        "the simulator only serves 127.0.0.0/8"
    )
    with pytest.raises(SimulatorRefused, match=r"host camera\.example\.edu is not a loopback"):
        build_simulator(
            make_site_map([("cam-1", "camera.example.edu", 80)]), base_dir=Path("."), environ=ENV
        )
    with pytest.raises(SimulatorRefused, match="already served for camera 'a'"):
        build_simulator(
            make_site_map([("a", "127.0.0.1", 8080), ("b", "127.0.0.1", 8080)]),
            base_dir=Path("."),
            environ=ENV,
        )


# -- faults -------------------------------------------------------------------------------------
def test_parse_fault_forms() -> None:
    assert parse_fault("offline") == Fault(offline=True)
    assert parse_fault({"clock_skew": 3600}) == Fault(clock_skew=3600.0)
    assert parse_fault(["auth_fail", {"clock_skew": -28800}]) == Fault(
        auth_fail=True, clock_skew=-28800.0
    )
    assert parse_fault({"video": "blur"}).video == "blur"
    assert parse_fault("hang").describe() == "hang"
    for bad, message in [
        ("flaky", "unknown fault 'flaky'"),
        ({"clock_skew": "soon"}, "clock_skew needs a number"),
        ({"clock_skew": True}, "clock_skew needs a number"),
        ("clock_skew", "clock_skew needs a value"),
        ({"video": "purple"}, "unknown video fault 'purple'"),
        ([], "empty fault list"),
        (None, "no fault given"),
    ]:
        with pytest.raises(FaultError, match=message):
            parse_fault(bad)


def test_parse_fault_forms_of_the_failure_vocabulary() -> None:
    assert parse_fault("flood") == parse_fault({"flood": "length"}) == Fault(flood="length")
    assert parse_fault("flood_snapshot").flood_snapshot == "length"
    assert parse_fault({"http_status": 401}) == Fault(http_status=401)
    assert parse_fault({"http_status": "500 empty"}) == Fault(http_status=500, http_empty=True)
    assert parse_fault({"http_status": "503"}).describe() == "http_status: 503"
    assert parse_fault({"slow": 2.5}).slow == 2.5
    assert parse_fault({"foreign_xaddr": " 127.0.0.2:8000 "}).foreign_xaddr == "127.0.0.2:8000"
    fault = parse_fault([{"clock_skew": 60}, {"clock_report_only": 28800}])
    assert fault.reported_clock_shift == 28860.0
    assert parse_fault(["soap_fault", "bad_snapshot", {"video": "blur"}]).describe() == (
        "soap_fault, bad_snapshot, video: blur"
    )
    for bad, message in [
        ({"slow": 0}, "slow needs a delay in seconds, more than 0"),
        ({"slow": 7200}, "at most 3600"),
        ("slow", "slow needs a value"),
        ({"http_status": 200}, "http_status needs an HTTP error status from 400 to 599"),
        ({"http_status": True}, "http_status needs an HTTP error status"),
        ({"http_status": "500 blank"}, "http_status body must be 'empty' or 'html'"),
        ({"flood": "forever"}, "unknown flood fault 'forever'"),
        ({"foreign_xaddr": "10.20.1.11:80"}, "foreign_xaddr needs HOST:PORT with a loopback"),
        ({"redirect": "camera.example.edu:80"}, "redirect needs HOST:PORT with a loopback"),
        ({"redirect": "127.0.0.2:0"}, "port must be a number from 1 to 65535"),
        ({"reset": "yes"}, "reset takes no value"),
        (["reset", "garbage"], "faults reset and garbage both replace the device's SOAP"),
        (["xxe", {"http_status": 401}], "faults http_status and xxe both replace"),
        (["no_snapshot", "flood_snapshot"], "no_snapshot and flood_snapshot both replace"),
        ({"http_empty": True}, "unknown fault 'http_empty'"),
    ]:
        with pytest.raises(FaultError, match=message):
            parse_fault(bad)


def test_faults_file(tmp_path: Path) -> None:
    site_map = make_site_map(
        [("cam-1", "127.0.0.1", 8080), ("cam-2", "127.0.0.2", 8080)], nvrs=True
    )
    path = tmp_path / "faults.yaml"
    path.write_text(
        "cam-1: offline\ncam-2: [auth_fail, {clock_skew: 3600}]\nnvr-1: {recording_gaps: 0.1}\n",
        encoding="utf-8",
    )
    faults = load_faults(path, site_map)
    assert faults == {
        "cam-1": Fault(offline=True),
        "cam-2": Fault(auth_fail=True, clock_skew=3600.0),
        "nvr-1": Fault(recording_gaps=0.1),
    }
    assert load_faults(None, site_map) == {}

    path.write_text("cam-1: offline\ncam-9: hang\n", encoding="utf-8")
    with pytest.raises(FaultError) as excinfo:
        load_faults(path, site_map)
    assert str(excinfo.value) == (
        f"{path}:2: unknown device 'cam-9': not a camera or NVR of the site map"
    )
    path.write_text("cam-1: offline\n\ncam-2: flaky\n", encoding="utf-8")
    with pytest.raises(FaultError) as excinfo:
        load_faults(path, site_map)
    assert str(excinfo.value) == (
        f"{path}:3: device 'cam-2': unknown fault 'flaky' (expected one of: offline, hang, "
        "auth_fail, no_snapshot, reset, garbage, soap_fault, xml_bomb, xxe, bad_snapshot, "
        "clock_skew: SECONDS, clock_report_only: SECONDS, slow: SECONDS, "
        "http_status: CODE [empty], flood: length|chunked, flood_snapshot: length|chunked, "
        "foreign_xaddr: HOST:PORT, redirect: HOST:PORT, video: black|frozen|blur|occluded|"
        "color_cast|dark|bright|shifted, recording_gaps: FRACTION, disk: error, "
        "retention_days: DAYS)"
    )
    path.write_text("cam-1: offline\nnvr-1: bad_snapshot\n", encoding="utf-8")
    with pytest.raises(FaultError, match=r":2: device 'nvr-1': bad_snapshot applies to cameras"):
        load_faults(path, site_map)
    path.write_text("cam-1: {disk: error}\n", encoding="utf-8")
    with pytest.raises(FaultError, match=r":1: device 'cam-1': disk applies to NVRs only"):
        load_faults(path, site_map)
    path.write_text("- cam-1\n", encoding="utf-8")
    with pytest.raises(FaultError, match="maps device ids to faults"):
        load_faults(path, site_map)
    with pytest.raises(FaultError, match="cannot read faults file"):
        load_faults(tmp_path / "missing.yaml", site_map)


# -- images -------------------------------------------------------------------------------------
def _decode(jpeg: bytes) -> Any:
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


def test_snapshots_move_on_and_faults_show() -> None:
    renderer = SnapshotRenderer()
    t = 1_700_000_000.0
    first = renderer.render("cam-1", "road", device_time=t, now=t)
    assert renderer.render("cam-1", "road", device_time=t, now=t + 0.1) is first  # cached
    later = renderer.render("cam-1", "road", device_time=t + 2, now=t + 2 * FRAME_INTERVAL)
    assert later != first
    frozen = renderer.render("cam-1", "road", device_time=t, video_fault="frozen", now=t)
    assert (
        renderer.render("cam-1", "road", device_time=t + 9, video_fault="frozen", now=t + 9)
        == frozen
    )

    def gray(fault: str | None) -> Any:
        frame = renderer.frame("cam-1", "road", t, fault, t)
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)

    healthy = gray(None)
    assert gray("black").mean() < 5
    assert gray("dark").mean() < healthy.mean() / 3
    assert gray("bright").mean() > 220

    def sharpness(image: Any) -> float:
        # At a quarter size, where the scene's edges dominate the sensor noise.
        small = cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
        return float(cv2.Laplacian(small, cv2.CV_64F).var())

    assert sharpness(gray("blur")) < sharpness(healthy) / 4
    assert float(np.abs(gray("shifted").astype(int) - healthy.astype(int)).mean()) > 20
    frame = renderer.frame("cam-1", "road", t, "color_cast", t)
    b, _, r = (float(c) for c in frame.reshape(-1, 3).mean(axis=0))
    assert r > 2 * b


@pytest.mark.skipif(sys.platform != "linux", reason="127.x.y.z aliases need Linux")
async def test_distinct_loopback_addresses_share_a_port() -> None:
    port = free_port()
    specs = [("cam-a", "127.0.0.1", port), ("cam-b", "127.0.0.2", port)]
    sim = build_simulator(make_site_map(specs), base_dir=Path("."), environ=ENV)
    async with sim:
        url_a = sim.devices["cam-a"].snapshot_url("Profile_1")
        url_b = sim.devices["cam-b"].snapshot_url("Profile_1")
        (status_a, a), (status_b, b) = await asyncio.gather(
            fetch_snapshot(url_a, USER, PASSWORD), fetch_snapshot(url_b, USER, PASSWORD)
        )
        assert status_a == status_b == 200 and a != b


# -- command line -------------------------------------------------------------------------------
SITE_MAP_YAML = """\
school: Test University
campuses:
  - {{id: north, name: 北校区}}
sites:
  - {{id: north-gate, campus: north, category: gate}}
cameras:
  - {{id: cam-1, sites: [north-gate], onvif: {{host: {host}, port: {port}}}}}
  - {{id: cam-2, sites: [north-gate], onvif: {{host: 127.0.0.1, port: {port2}}}}}
credentials:
  default: {{username: admin, password_env: SIM_TEST_PASSWORD}}
"""

_RUN = (
    "import sys; from monitor.simulator.server import main_simulate; "
    "sys.exit(main_simulate(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))"
)


async def _simulate(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _RUN,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **ENV},
        cwd=Path(__file__).resolve().parent.parent,
    )


async def test_main_simulate_serves_until_interrupted(tmp_path: Path) -> None:
    port, port2 = free_port(), free_port()
    site = tmp_path / "site.yaml"
    site.write_text(SITE_MAP_YAML.format(host="127.0.0.1", port=port, port2=port2), "utf-8")
    faults = tmp_path / "faults.yaml"
    faults.write_text("cam-2: offline\n", "utf-8")
    process = await _simulate(str(site), str(faults))
    assert process.stdout is not None
    try:
        lines: list[str] = []
        while not lines or not lines[-1].startswith("serving"):
            lines.append((await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip())
            assert lines[-1], "the simulator stopped early"
        assert "campus north (北校区): 2 cameras, 1 with faults" in lines
        assert lines[-1].startswith("serving 2 cameras on loopback, 1 with faults (offline 1)")
        request = soap_request("GetSystemDateAndTime", "http://www.onvif.org/ver10/device/wsdl")
        assert (await post(port, request))[0] == 200
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port2)
    finally:
        if process.returncode is None:
            process.send_signal(2)  # SIGINT
        returncode = await asyncio.wait_for(process.wait(), 10)
    assert returncode == 0


async def test_main_simulate_refuses_with_exit_2(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(SITE_MAP_YAML.format(host="10.20.1.11", port=80, port2=81), "utf-8")
    process = await _simulate(str(site))
    _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 2
    assert err.decode().strip() == (
        "error: camera 'cam-1': host 10.20.1.11 is not a loopback address; "
        "the simulator only serves 127.0.0.0/8"
    )


def test_nvr_faults_are_only_those_a_simulated_nvr_can_show(tmp_path: Path) -> None:
    from monitor.simulator.faults import load_faults
    from site_map.model import SiteMap

    site_map = SiteMap.model_validate(
        {
            "school": "S",
            "campuses": [{"id": "c"}],
            "sites": [{"id": "s", "campus": "c", "category": "gate"}],
            "cameras": [{"id": "cam-1", "sites": ["s"], "onvif": {"host": "127.0.0.1"}}],
            "nvrs": [{"id": "nvr-1", "host": "127.0.0.2"}],
            "credentials": {"default": {"username": "u", "password": "p"}},
        }
    )
    path = tmp_path / "faults.yaml"
    path.write_text(
        "nvr-1: [offline, {recording_gaps: 0.2}, {disk: error}, {retention_days: 12}]\n",
        encoding="utf-8",
    )
    fault = load_faults(path, site_map)["nvr-1"]
    assert (fault.recording_gaps, fault.disk, fault.retention_days) == (0.2, "error", 12.0)
    path.write_text("nvr-1: {clock_skew: 60}\n", encoding="utf-8")
    with pytest.raises(
        FaultError, match=r":1: device 'nvr-1': clock_skew is not simulated for NVRs"
    ):
        load_faults(path, site_map)
    path.write_text("cam-1: {retention_days: 12}\n", encoding="utf-8")
    with pytest.raises(FaultError, match=r"retention_days applies to NVRs only"):
        load_faults(path, site_map)
    path.write_text("nvr-1: {retention_days: 0}\n", encoding="utf-8")
    with pytest.raises(FaultError, match=r"retention_days needs the days of video"):
        load_faults(path, site_map)
