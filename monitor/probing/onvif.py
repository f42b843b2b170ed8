"""Stage `onvif`: the device answers ONVIF, and accepts our credentials.

GetSystemDateAndTime goes first, unauthenticated (the ONVIF core spec allows
it for exactly this purpose), so that the WS-Security timestamps of the
authenticated calls can be shifted by the device's clock offset: a camera
whose clock is 1 h or 8 h off stays online, and its offset is reported.

The client is a `DeviceClient` (see `transport`): it talks only to the
configured host and port, refuses oversized, DTD-carrying and malformed
answers, and never re-sends a signed envelope. `call` retries an exchange
once, signed anew, when the device dropped a kept-alive connection.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import zeep.exceptions
from onvif import ONVIFCamera
from onvif import client as onvif_client
from onvif.definition import SERVICES
from onvif.util import normalize_url

from monitor.probing import answers
from monitor.probing.deadline import Deadline
from monitor.probing.errors import StageFailure, describe, is_not_authorized
from monitor.probing.result import DeviceIdentity, Reason
from monitor.probing.target import DeviceSession, ProbeWork
from monitor.probing.transport import DeviceClient

T = TypeVar("T")

# Beyond this offset an un-shifted WS-Security timestamp is outside what a
# device accepts, so a refusal may be the clock rather than the password.
WS_SECURITY_WINDOW_SECONDS = 120.0


async def prepare() -> None:
    """Parse the WSDL documents once, before the first probe.

    The client parses a WSDL on first use with no lock: a first cycle of
    hundreds of concurrent probes would parse it hundreds of times in threads
    and starve the probes of CPU until their deadlines pass — false outages
    caused by the monitor itself.
    """
    wsdl_dir = onvif_client._WSDL_PATH
    for service in ("devicemgmt", "media"):
        await onvif_client._cached_document(f"{wsdl_dir}/{SERVICES[service]['wsdl']}")


def _client(session: DeviceSession) -> ONVIFCamera:
    if session.camera is None:
        target = session.target
        # nat_override: every address the device advertises (service XAddrs,
        # snapshot URI) is rewritten to the configured host:port. The monitor
        # never follows a device to an address it was not configured for;
        # DeviceClient's transport enforces the same whatever the library does.
        session.camera = DeviceClient(
            target.host,
            target.port,
            target.username,
            target.password,
            no_cache=True,
            adjust_time=False,
            nat_override=True,
        )
    return session.camera


def _set_clock_shift(camera: ONVIFCamera, offset: float | None) -> None:
    """Shift the WS-Security Created timestamp of every service by the device's offset."""
    shift = dt.timedelta(seconds=offset) if offset is not None else None
    camera.dt_diff = shift
    for service in camera.services.values():
        wsse = getattr(service.zeep_client, "wsse", None)
        if wsse is not None:
            wsse.dt_diff = shift


# A kept-alive connection the device closed just as a request went out.
_DROPPED = (aiohttp.ServerDisconnectedError, aiohttp.ClientConnectionResetError)


async def call(exchange: Callable[[], Awaitable[T]]) -> T:
    """Run one ONVIF exchange; once more if the device dropped the connection unanswered.

    HTTP lets a server close an idle kept-alive connection at any moment. The
    retry builds a new request, with a new WS-Security nonce: re-sending the
    same one would be refused as a replay by a device that did receive it.
    A device that drops every request fails the second time too.
    """
    try:
        return await exchange()
    except _DROPPED:
        return await exchange()


async def _measure_clock_offset(camera: ONVIFCamera) -> float | None:
    devicemgmt = await camera.create_devicemgmt_service()
    sent = time.time()
    try:
        device_time = answers.device_clock(await call(devicemgmt.authless_GetSystemDateAndTime))
    except Exception as exc:
        if not is_not_authorized(exc):
            raise
        # Some firmware answers it only to a signed request. With the offset
        # still unknown, the token carries the monitor's time.
        sent = time.time()
        try:
            device_time = answers.device_clock(await call(devicemgmt.GetSystemDateAndTime))
        except Exception as signed:
            if not is_not_authorized(signed):
                raise
            raise StageFailure(
                Reason.AUTH_FAILED, f"credentials refused: {describe(signed)}"
            ) from None
    received = time.time()
    if device_time is None:
        return None
    # The device reports whole seconds; compare with the midpoint of the exchange.
    return device_time.timestamp() - (sent + received) / 2


async def _authenticated_identity(camera: ONVIFCamera, offset: float | None) -> DeviceIdentity:
    devicemgmt = await camera.create_devicemgmt_service()
    try:
        return answers.device_identity(await call(devicemgmt.GetDeviceInformation))
    except Exception as exc:
        if not is_not_authorized(exc):
            raise
        if offset is None or abs(offset) <= WS_SECURITY_WINDOW_SECONDS:
            raise StageFailure(
                Reason.AUTH_FAILED, f"credentials refused: {describe(exc)}"
            ) from None
    # Some firmware reports local time as UTC but checks tokens against true
    # UTC; an unshifted token is the only one such a device accepts.
    _set_clock_shift(camera, None)
    try:
        return answers.device_identity(await call(devicemgmt.GetDeviceInformation))
    except Exception as exc:
        _set_clock_shift(camera, offset)
        if not is_not_authorized(exc):
            raise
        raise StageFailure(
            Reason.CLOCK_SKEW,
            f"credentials refused with the clock {offset:+.0f} s off; "
            "set the device clock (NTP), then check the password",
        ) from None


async def _service_addresses(camera: ONVIFCamera) -> dict[str, str]:
    """Where the device's services are: GetServices, or GetCapabilities on older firmware."""
    devicemgmt = await camera.create_devicemgmt_service()
    try:
        found = answers.service_addresses(
            await call(lambda: devicemgmt.GetServices({"IncludeCapability": False}))
        )
    except zeep.exceptions.Fault:
        found = {}
    if answers.MEDIA_NAMESPACE not in found:
        found.update(
            answers.capability_addresses(
                await call(lambda: devicemgmt.GetCapabilities({"Category": "All"}))
            )
        )
    return found


async def _discover_media(session: DeviceSession, camera: ONVIFCamera) -> None:
    if not session.xaddrs_known:
        for namespace, xaddr in (await _service_addresses(camera)).items():
            # Only the path is used: requests go to the configured host and port.
            camera.xaddrs[namespace] = camera.rewrite_url(normalize_url(xaddr))
        if answers.MEDIA_NAMESPACE not in camera.xaddrs:
            raise StageFailure(Reason.NO_VIDEO, "the device lists no media service")
        session.xaddrs_known = True
    if session.profile_token is None:
        media = await camera.create_media_service()
        token = answers.snapshot_profile_token(await call(media.GetProfiles))
        if token is None:
            raise StageFailure(Reason.NO_VIDEO, "the device has no media profile")
        session.profile_token = token


async def probe(session: DeviceSession, work: ProbeWork, deadline: Deadline) -> None:
    camera = _client(session)
    async with deadline.enforce():
        offset = await _measure_clock_offset(camera)
        work.clock_offset_seconds = offset
        _set_clock_shift(camera, offset)
        work.device = await _authenticated_identity(camera, offset)
        await _discover_media(session, camera)
