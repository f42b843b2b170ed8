"""Every camera failure classified: one simulated fault per test, probed in-process.

Each test serves one camera with one fault from the simulator's vocabulary
(docs/simulator.md) on loopback and checks the stage that fails and the
reason from the design's closed set, and that the detail a technician reads
is short and carries no secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from onvif.settings import DEFAULT_SETTINGS
from zeep import exceptions as zeep_errors
from zeep.loader import parse_xml

from monitor.probing import answers
from monitor.probing import onvif as onvif_prober
from monitor.probing.camera import probe_camera
from monitor.probing.errors import StageFailure
from monitor.probing.redact import MAX_DETAIL
from monitor.probing.registry import CAMERA_STAGES, prepare_probers
from monitor.probing.result import ProbeResult, Reason, Stage
from monitor.probing.target import DeviceSession, ProbeWork, Target
from monitor.probing.transport import MAX_ANSWER_BYTES, DeviceClient
from monitor.probing.video import MAX_SNAPSHOT_BYTES
from monitor.simulator import Simulator, build_simulator, parse_fault
from monitor.simulator.bad_answers import FLOOD_BYTES, entity_bomb, external_entity
from site_map.model import SiteMap
from tests.campus import PASSWORD, PASSWORD_ENV, free_port

TIMEOUT = 1.5  # seconds: the deadline of one probe, all stages together
MIB = 1024 * 1024


@pytest.fixture(autouse=True)
async def _wsdl_parsed() -> None:
    await prepare_probers()


@contextlib.asynccontextmanager
async def camera(fault: Any = None) -> AsyncIterator[tuple[Simulator, DeviceSession]]:
    """One simulated camera carrying `fault` (faults-file syntax), and a probe session for it."""
    port = free_port()
    site_map = SiteMap.model_validate(
        {
            "school": "Fault Test",
            "campuses": [{"id": "c"}],
            "sites": [{"id": "s", "campus": "c", "category": "gate"}],
            "cameras": [
                {"id": "cam", "sites": ["s"], "onvif": {"host": "127.0.0.1", "port": port}}
            ],
            "credentials": {"default": {"username": "admin", "password_env": PASSWORD_ENV}},
        }
    )
    faults = {"cam": parse_fault(fault)} if fault is not None else {}
    simulator = build_simulator(
        site_map, base_dir=Path("."), faults=faults, environ={PASSWORD_ENV: PASSWORD}
    )
    session = DeviceSession(Target("cam", "127.0.0.1", port, "admin", PASSWORD))
    async with simulator:
        try:
            yield simulator, session
        finally:
            await session.reset()


def check_details(result: ProbeResult) -> None:
    """What a technician reads: one short line, no password, nothing of a local file."""
    for stage in result.stages:
        assert PASSWORD not in stage.detail
        assert len(stage.detail) <= MAX_DETAIL
        assert "\n" not in stage.detail
        assert "root:" not in stage.detail and "lollol" not in stage.detail
        if not stage.ok:
            assert stage.detail, stage


async def probe(session: DeviceSession, timeout: float = TIMEOUT) -> ProbeResult:
    result = await probe_camera(session, timeout)
    check_details(result)
    return result


def outcome(result: ProbeResult) -> tuple[str, str] | None:
    failure = result.failure
    if failure is None:
        return None
    assert failure.reason is not None
    return failure.stage.value, failure.reason.value


def detail(result: ProbeResult) -> str:
    assert result.failure is not None
    return result.failure.detail


@contextlib.asynccontextmanager
async def connection_recorder(host: str) -> AsyncIterator[tuple[int, list[object]]]:
    """A plain TCP listener on `host` that records every connection made to it."""
    seen: list[object] = []

    def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(writer.get_extra_info("peername"))
        writer.close()

    port = free_port(host)
    server = await asyncio.start_server(accepted, host, port)
    try:
        yield port, seen
    finally:
        server.close()
        await server.wait_closed()


async def measured(session: DeviceSession) -> tuple[ProbeResult, int]:
    """The probe's result and the peak of memory it allocated, in bytes (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = await probe(session)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return result, peak


# -- 1. nothing listens ------------------------------------------------------------------------
async def test_offline_is_tcp_unreachable() -> None:
    async with camera("offline") as (_, session):
        result = await probe(session)
    assert outcome(result) == ("tcp", "unreachable")
    assert "refused" in detail(result)


# -- 2. the answer starts, then a TCP RST ------------------------------------------------------
async def test_reset_mid_answer_is_onvif_protocol_error() -> None:
    async with camera("reset") as (_, session):
        began = time.monotonic()
        result = await probe(session)
        elapsed = time.monotonic() - began
    # Reachable (tcp passed), broken answer: neither unreachable, nor a timeout,
    # nor an auth failure from a replayed WS-Security nonce.
    assert outcome(result) == ("onvif", "protocol_error")
    assert "reset" in detail(result)
    assert elapsed < TIMEOUT


# -- 3. accepts, never answers -----------------------------------------------------------------
async def test_hang_is_onvif_timeout_and_costs_the_deadline() -> None:
    async with camera("hang") as (_, session):
        began = time.monotonic()
        result = await probe(session)
        elapsed = time.monotonic() - began
    assert outcome(result) == ("onvif", "timeout")
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + 0.5


# -- 4. every answer delayed -------------------------------------------------------------------
async def test_slow_answers_time_out_beyond_the_deadline_and_pass_below_it() -> None:
    async with camera({"slow": 5}) as (simulator, session):
        began = time.monotonic()
        result = await probe(session)
        elapsed = time.monotonic() - began
        assert outcome(result) == ("onvif", "timeout")
        assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + 0.5
        # A probe makes about eight exchanges; 0.05 s each fits a 3 s deadline.
        simulator.set_fault("cam", parse_fault({"slow": 0.05}))
        result = await probe(session, timeout=3.0)
        assert result.ok, result.stages


# -- 5. HTTP error statuses on the SOAP endpoints ----------------------------------------------
@pytest.mark.parametrize(
    ("status", "expected", "words"),
    [
        (401, ("onvif", "auth_failed"), "401"),
        (500, ("onvif", "protocol_error"), "text/html"),
        ("500 empty", ("onvif", "protocol_error"), "empty body"),
    ],
)
async def test_http_status(status: Any, expected: tuple[str, str], words: str) -> None:
    async with camera({"http_status": status}) as (_, session):
        result = await probe(session)
    assert outcome(result) == expected
    assert words in detail(result)


# -- 6. broken XML and random bytes ------------------------------------------------------------
async def test_garbage_is_onvif_protocol_error() -> None:
    async with camera("garbage") as (_, session):
        result = await probe(session)
    assert outcome(result) == ("onvif", "protocol_error")
    assert "not well-formed XML" in detail(result)


# -- 7. a SOAP fault that is not about credentials ---------------------------------------------
async def test_soap_fault_is_onvif_protocol_error_and_named() -> None:
    async with camera("soap_fault") as (_, session):
        result = await probe(session)
    assert outcome(result) == ("onvif", "protocol_error")
    assert "SOAP fault" in detail(result) and "CriticalError" in detail(result)


# -- 8. a 50 MB answer -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["length", "chunked"])
async def test_flood_is_refused_without_buffering_it(kind: str) -> None:
    async with camera({"flood": kind}) as (_, session):
        result, peak = await measured(session)
    assert outcome(result) == ("onvif", "protocol_error")
    assert "larger than 4 MiB" in detail(result)
    # Never more than the cap and some change; the device sent (or offered) 50 MB.
    assert FLOOD_BYTES >= 10 * MAX_ANSWER_BYTES
    assert peak < MAX_ANSWER_BYTES + 4 * MIB, f"peak {peak / MIB:.1f} MiB"


@pytest.mark.parametrize("kind", ["length", "chunked"])
async def test_flood_snapshot_is_video_fault_without_buffering_it(kind: str) -> None:
    async with camera({"flood_snapshot": kind}) as (_, session):
        result, peak = await measured(session)
    assert outcome(result) == ("video", "video_fault")
    assert "snapshot is larger than 16 MiB" in detail(result)
    assert peak < MAX_SNAPSHOT_BYTES + 4 * MIB, f"peak {peak / MIB:.1f} MiB"


# -- 9. entity bombs and external entities -----------------------------------------------------
@pytest.mark.parametrize("fault", ["xml_bomb", "xxe"])
async def test_entities_in_the_answer_are_refused_unexpanded(fault: str) -> None:
    async with camera(fault) as (_, session):
        result, peak = await measured(session)
    assert outcome(result) == ("onvif", "protocol_error")
    assert "document type declaration" in detail(result)
    assert peak < 4 * MIB  # 10^9 "lol"s would be 3 GB


def test_zeep_itself_forbids_entities() -> None:
    # The ONVIF client's parser settings, should an answer ever reach zeep unchecked.
    assert DEFAULT_SETTINGS.forbid_entities
    for answer in (entity_bomb(), external_entity()):
        with pytest.raises(zeep_errors.EntitiesForbidden):
            parse_xml(answer, None, settings=DEFAULT_SETTINGS)


# -- 10. wrong password ------------------------------------------------------------------------
async def test_auth_fail_is_onvif_auth_failed() -> None:
    async with camera("auth_fail") as (_, session):
        result = await probe(session)
    assert outcome(result) == ("onvif", "auth_failed")
    assert "credentials refused" in detail(result)


# -- 11. clocks --------------------------------------------------------------------------------
@pytest.mark.parametrize("skew", [3600, -3600, 28800])
async def test_clock_skew_is_compensated_and_reported(skew: int) -> None:
    async with camera({"clock_skew": skew}) as (_, session):
        result = await probe(session)
    assert result.ok, result.stages
    assert result.clock_offset_seconds == pytest.approx(skew, abs=2)


async def test_clock_report_only_is_retried_unshifted_and_reported() -> None:
    # The firmware bug: local Beijing time reported as UTC, tokens checked against true UTC.
    async with camera({"clock_report_only": 28800}) as (_, session):
        result = await probe(session)
        assert result.ok, result.stages
        assert result.clock_offset_seconds == pytest.approx(28800, abs=2)
        again = await probe(session)  # the kept client too
        assert again.ok, again.stages


async def test_clock_off_and_password_wrong_is_clock_skew() -> None:
    async with camera(["auth_fail", {"clock_skew": 3600}]) as (_, session):
        result = await probe(session)
    assert outcome(result) == ("onvif", "clock_skew")
    assert "NTP" in detail(result)
    assert result.clock_offset_seconds == pytest.approx(3600, abs=2)


# -- 12. addresses the monitor was not configured for ------------------------------------------
async def test_foreign_xaddr_is_not_followed() -> None:
    async with connection_recorder("127.0.0.2") as (foreign_port, seen):
        fault = {"foreign_xaddr": f"127.0.0.2:{foreign_port}"}
        async with camera(fault) as (simulator, session):
            assert simulator.devices["cam"].advertised_base_url.startswith("http://127.0.0.2:")
            result = await probe(session)
            assert result.ok, result.stages
            # The monitor's own guards hold even where the library would not rewrite.
            target = session.target
            client = DeviceClient(
                target.host, target.port, target.username, target.password, nat_override=False
            )
            try:
                devicemgmt = await client.create_devicemgmt_service()
                advertised = answers.service_addresses(
                    await devicemgmt.GetServices({"IncludeCapability": False})
                )
                assert all("127.0.0.2" in xaddr for xaddr in advertised.values())
                client.xaddrs.update(advertised)  # taken as advertised, unrewritten
                media = await client.create_media_service()
                assert answers.snapshot_profile_token(await media.GetProfiles()) == "Profile_2"
                foreign_snapshot = answers.snapshot_uri(
                    await media.GetSnapshotUri({"ProfileToken": "Profile_2"})
                )
            finally:
                await client.close()
            assert foreign_snapshot.startswith(f"http://127.0.0.2:{foreign_port}/")
            session.snapshot_uri = foreign_snapshot
            result = await probe(session)
            assert result.ok, result.stages
        await asyncio.sleep(0.05)
    assert seen == []


async def test_redirect_is_not_followed() -> None:
    async with connection_recorder("127.0.0.2") as (foreign_port, seen):
        async with camera({"redirect": f"127.0.0.2:{foreign_port}"}) as (_, session):
            result = await probe(session)
        await asyncio.sleep(0.05)
    assert outcome(result) == ("onvif", "protocol_error")
    assert "not followed" in detail(result)
    assert seen == []


# -- 13. video -----------------------------------------------------------------------------------
async def test_no_snapshot_is_video_no_video() -> None:
    async with camera("no_snapshot") as (_, session):
        result = await probe(session)
    assert outcome(result) == ("video", "no_video")
    assert "HTTP 500" in detail(result)


async def test_bad_snapshot_is_video_fault() -> None:
    async with camera("bad_snapshot") as (_, session):
        result = await probe(session)
    assert outcome(result) == ("video", "video_fault")
    assert "not an image" in detail(result)


# -- whatever happens, a classified failure ---------------------------------------------------
class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot print")


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("boom"),
        KeyError("XAddr"),
        ValueError(f"password {PASSWORD} echoed back\n" + "x" * 10_000),
        _Unprintable(),
        ExceptionGroup("several", [OSError("a"), ValueError("b")]),
        StageFailure(Reason.NO_VIDEO, f"device said {PASSWORD}"),
    ],
)
async def test_no_exception_escapes_probe_camera(error: Exception) -> None:
    async def failing(session: DeviceSession, work: ProbeWork, deadline: object) -> None:
        raise error

    async with camera() as (_, session):
        stages = (CAMERA_STAGES[0], (Stage.ONVIF, failing))
        result = await probe_camera(session, TIMEOUT, stages)
        check_details(result)
        assert result.failure is not None and result.failure.stage is Stage.ONVIF
        assert result.failure.reason in set(Reason)
        assert session.camera is None  # reset after the failure
        assert (await probe(session)).ok


# -- after a fault is cleared, the next probe of the same session succeeds ---------------------
@pytest.mark.parametrize(
    "fault",
    [
        "reset",
        {"flood": "chunked"},
        "garbage",
        "xml_bomb",
        {"http_status": 500},
        "soap_fault",
        "auth_fail",
        "bad_snapshot",
        "offline",
        "hang",
    ],
)
async def test_a_cleared_fault_leaves_nothing_behind(fault: Any) -> None:
    async with camera() as (simulator, session):
        assert (await probe(session)).ok  # the client, addresses and profile are known
        simulator.set_fault("cam", parse_fault(fault))
        assert not (await probe(session, timeout=1.0)).ok
        simulator.set_fault("cam", None)
        result = await probe(session)
        assert result.ok, result.stages


def test_call_retries_a_dropped_exchange_once() -> None:
    # A kept-alive connection the device closed: one more try (a new request,
    # signed anew), never a third. The reset test checks the classification.
    attempts: list[int] = []

    async def dropped() -> None:
        attempts.append(1)
        raise aiohttp.ServerDisconnectedError()

    with pytest.raises(aiohttp.ServerDisconnectedError):
        asyncio.run(onvif_prober.call(dropped))
    assert len(attempts) == 2
