"""The Hikvision ISAPI recorder: against the simulated NVR, and against canned firmware answers.

Everything talks HTTP over loopback: the simulator (`NvrSimulator`) serves a frozen-clock
NVR with digest authentication; the canned answers (tests/fixtures/recorders/hikvision)
are served by a small aiohttp server that records what it was asked.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from lxml import etree

from monitor.probing.deadline import Deadline
from monitor.probing.result import Reason
from monitor.recordings.adapters import hikvision
from monitor.recordings.adapters.base import RecorderEndpoint
from monitor.recordings.adapters.hikvision import (
    SEARCH_PATH,
    HikvisionRecorder,
    IsapiHttp,
    IsapiRefusal,
    WallClock,
)
from monitor.recordings.model import Channel, Disk, RecorderError, Segment
from monitor.simulator.faults import Fault
from monitor.simulator.nvr import hikvision as simulated
from monitor.simulator.nvr.recorder import DAY, SimulatedChannel, SimulatedNvr
from monitor.simulator.nvr.server import NvrSimulator
from tests.campus import free_port

FIXTURES = Path(__file__).parent / "fixtures" / "recorders" / "hikvision"
SHANGHAI = ZoneInfo("Asia/Shanghai")  # no daylight saving time: wall clock is unambiguous
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI).timestamp()
USER, PASSWORD = "admin", "Hik-Secret-4711"  # grep-able: must never leak
MIB = 1024 * 1024
XML = "application/xml"


def local(*parts: int, zone: tzinfo = SHANGHAI) -> float:
    return datetime(*parts, tzinfo=zone).timestamp()


def endpoint(port: int, zone: tzinfo | None = SHANGHAI) -> RecorderEndpoint:
    return RecorderEndpoint("nvr-hik", "127.0.0.1", port, USER, PASSWORD, timezone=zone)


def assert_clean(error: RecorderError) -> None:
    assert PASSWORD not in str(error) and PASSWORD not in repr(error)
    assert PASSWORD not in repr(error.args)


# -- the simulated NVR --------------------------------------------------------------------
@dataclass
class Served:
    nvr: SimulatedNvr
    simulator: NvrSimulator
    recorder: HikvisionRecorder

    async def fault(self, fault: Fault) -> None:
        await self.simulator.set_fault(self.nvr.id, fault)


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    nvr = SimulatedNvr(
        id="nvr-hik",
        kind="hikvision",
        host="127.0.0.1",
        port=free_port(),
        username=USER,
        password=PASSWORD,
        channels={n: SimulatedChannel(n, f"cam-{n}", f"东门 {n}") for n in range(1, 10)},
        timezone=SHANGHAI,
        clock=lambda: NOW,
    )
    simulator = NvrSimulator({nvr.id: nvr})
    await simulator.start()
    recorder = HikvisionRecorder(endpoint(nvr.port))
    try:
        yield Served(nvr, simulator, recorder)
    finally:
        await recorder.close()
        await simulator.stop()


def as_segments(files: list[tuple[float, float]]) -> tuple[Segment, ...]:
    return tuple(Segment(a, b) for a, b in files)


async def test_disks_are_the_simulated_disks(served: Served) -> None:
    disks = await served.recorder.disks(Deadline.after(5))
    assert disks == tuple(
        Disk(str(d.id), d.name, "ok", d.capacity_bytes, d.free_bytes, "ok")
        for d in served.nvr.disks()
    )
    assert len(disks) == 2 and all(disk.healthy for disk in disks)


async def test_channels_are_numbered_from_one_and_online(served: Served) -> None:
    channels = await served.recorder.channels(Deadline.after(5))
    assert channels == tuple(Channel(n, online=True) for n in range(1, 10))


async def test_the_simulated_channel_list_carries_the_names(served: Served) -> None:
    http = IsapiHttp(endpoint(served.nvr.port))
    try:
        content = await http.get(hikvision.PROXY_CHANNELS_PATH, Deadline.after(5))
    finally:
        await http.close()
    channels = hikvision.parse_channels(content, hikvision.CHANNEL_SOURCES[1])
    assert channels == tuple(Channel(n, name=f"东门 {n}") for n in range(1, 10))


async def test_35_days_of_segments_are_the_recorded_files_over_many_pages(served: Served) -> None:
    start, end = NOW - 35 * DAY + 1234, NOW  # not on an hour: the first file is clipped
    segments = await served.recorder.segments(1, start, end, Deadline.after(20))
    assert segments == as_segments(served.nvr.files(1, start, end))
    assert len(segments) > 5 * simulated.PAGE_CAP  # several pages, each shorter than asked
    assert segments[0].start == start and segments[-1].end == end


async def test_a_short_window_clips_the_whole_files_the_nvr_returns(served: Served) -> None:
    start, end = local(2026, 11, 26, 7, 20), local(2026, 11, 26, 8, 40)
    segments = await served.recorder.segments(9, start, end, Deadline.after(5))
    assert segments == (
        Segment(start, local(2026, 11, 26, 8)),
        Segment(local(2026, 11, 26, 8), end),
    )


async def test_an_empty_or_unknown_range_has_no_segments(served: Served) -> None:
    deadline = Deadline.after(5)
    assert await served.recorder.segments(1, NOW + DAY, NOW + 2 * DAY, deadline) == ()
    assert await served.recorder.segments(42, NOW - DAY, NOW, deadline) == ()
    assert await served.recorder.segments(1, NOW, NOW - DAY, deadline) == ()


async def test_recording_gaps_show_as_missing_segments(served: Served) -> None:
    await served.fault(Fault(recording_gaps=0.25))
    start, end = NOW - 35 * DAY, NOW
    for channel in (2, 7):
        segments = await served.recorder.segments(channel, start, end, Deadline.after(20))
        assert segments == as_segments(served.nvr.files(channel, start, end))
        recorded = sum(segment.seconds for segment in segments)
        assert recorded == pytest.approx(0.75 * (end - start), abs=1.0)


async def test_short_retention_shows_as_missing_old_footage(served: Served) -> None:
    await served.fault(Fault(retention_days=12))
    start, end = NOW - 35 * DAY, NOW
    segments = await served.recorder.segments(3, start, end, Deadline.after(20))
    assert segments == as_segments(served.nvr.files(3, start, end))
    assert segments[0].start == served.nvr.earliest() == NOW - 12 * DAY


async def test_a_failed_disk_shows_as_an_error(served: Served) -> None:
    await served.fault(Fault(disk="error"))
    first, last = await served.recorder.disks(Deadline.after(5))
    assert first.status == "ok" and first.healthy
    assert (last.status, last.device_status, last.free_bytes) == ("error", "error", 0)
    assert not last.healthy


async def test_refused_credentials_are_auth_failed(served: Served) -> None:
    await served.fault(Fault(auth_fail=True))
    for call in (
        served.recorder.disks(Deadline.after(5)),
        served.recorder.channels(Deadline.after(5)),
        served.recorder.segments(1, NOW - DAY, NOW, Deadline.after(5)),
    ):
        with pytest.raises(RecorderError) as caught:
            await call
        assert caught.value.reason is Reason.AUTH_FAILED
        assert_clean(caught.value)


async def test_an_offline_nvr_is_unreachable(served: Served) -> None:
    await served.fault(Fault(offline=True))
    with pytest.raises(RecorderError) as caught:
        await served.recorder.disks(Deadline.after(5))
    assert caught.value.reason is Reason.UNREACHABLE
    assert_clean(caught.value)


async def test_a_hanging_nvr_costs_the_deadline_and_no_more(served: Served) -> None:
    await served.fault(Fault(hang=True))
    began = time.monotonic()
    with pytest.raises(RecorderError) as caught:
        await served.recorder.segments(1, NOW - DAY, NOW, Deadline.after(0.5))
    assert caught.value.reason is Reason.TIMEOUT
    assert time.monotonic() - began < 2.0


async def test_the_simulator_refuses_as_the_firmware_does(served: Served) -> None:
    http = IsapiHttp(endpoint(served.nvr.port))
    try:
        # A wrong method is HTTP 403 on Hikvision: not a credentials problem.
        with pytest.raises(IsapiRefusal) as caught:
            await http.get(SEARCH_PATH, Deadline.after(5))
        refusal = caught.value
        assert (refusal.reason, refusal.http_status) == (Reason.PROTOCOL_ERROR, 403)
        assert refusal.sub_status == "methodNotAllowed" and refusal.not_supported
        with pytest.raises(IsapiRefusal) as caught:
            await http.get("/ISAPI/ContentMgmt/record/tracks", Deadline.after(5))
        assert (caught.value.http_status, caught.value.sub_status) == (404, "notSupport")
        broken = b"<CMSearchDescription><searchID>x</searchID></CMSearchDescription>"
        with pytest.raises(IsapiRefusal) as caught:
            await http.post(SEARCH_PATH, broken, Deadline.after(5), content_type=XML)
        assert (caught.value.http_status, caught.value.sub_status) == (400, "badXmlContent")
        info = etree.fromstring(await http.get("/ISAPI/System/deviceInfo", Deadline.after(5)))
        assert info.findtext("{*}model") == "DS-7732NI-K4"
        assert info.findtext("{*}firmwareVersion") == "V4.61.010"
    finally:
        await http.close()


async def test_the_simulator_writes_local_wall_clock_time_with_z(served: Served) -> None:
    start, end = local(2026, 11, 26, 7, 0), local(2026, 11, 26, 8, 0)
    description = hikvision.search_description(
        "ID", 101, ("2026-11-26T07:00:00Z", "2026-11-26T08:00:00Z"), 0, 10
    )
    http = IsapiHttp(endpoint(served.nvr.port))
    try:
        answer = await http.post(SEARCH_PATH, description, Deadline.after(5), content_type=XML)
    finally:
        await http.close()
    root = etree.fromstring(answer)
    assert root.findtext("{*}responseStatusStrg") == "OK"
    assert root.findtext("{*}matchList/{*}searchMatchItem/{*}timeSpan/{*}startTime") == (
        "2026-11-26T07:00:00Z"
    )
    assert [(start, end)] == served.nvr.files(1, start, end)


# -- canned answers -----------------------------------------------------------------------
@dataclass(frozen=True)
class Canned:
    status: int = 200
    body: bytes = b""
    content_type: str = XML


def fixture(name: str, status: int = 200) -> Canned:
    content_type = "text/html" if name.endswith(".html") else XML
    return Canned(status, (FIXTURES / name).read_bytes(), content_type)


Dynamic = Callable[[bytes], Awaitable[Canned]]
Answers = dict[tuple[str, str], list[Canned] | Dynamic]


@dataclass
class CannedNvr:
    """A loopback server that answers each (method, path) from a list, the last one repeated."""

    answers: Answers
    asked: list[tuple[str, str, bytes]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.asked.append((request.method, request.path, body))
        answer = self.answers.get((request.method, request.path))
        if answer is None:
            return web.Response(status=404)
        if callable(answer):
            canned = await answer(body)
        else:
            canned = answer.pop(0) if len(answer) > 1 else answer[0]
        return web.Response(
            status=canned.status, body=canned.body, headers={"Content-Type": canned.content_type}
        )

    def searches(self) -> list[etree._Element]:
        return [etree.fromstring(body) for method, path, body in self.asked if path == SEARCH_PATH]


@dataclass
class CannedServers:
    runners: list[web.AppRunner] = field(default_factory=list)
    recorders: list[HikvisionRecorder] = field(default_factory=list)

    async def start(
        self, answers: Answers, *, zone: tzinfo | None = SHANGHAI, z_is_utc: bool = False
    ) -> tuple[HikvisionRecorder, CannedNvr]:
        canned = CannedNvr(answers)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", canned.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        self.runners.append(runner)
        recorder = HikvisionRecorder(endpoint(port, zone), z_is_utc=z_is_utc)
        self.recorders.append(recorder)
        return recorder, canned


@pytest.fixture
async def canned() -> AsyncIterator[CannedServers]:
    servers = CannedServers()
    try:
        yield servers
    finally:
        for recorder in servers.recorders:
            await recorder.close()
        for runner in servers.runners:
            await runner.cleanup()


STORAGE = ("GET", hikvision.STORAGE_PATH)
STATUS = ("GET", hikvision.CHANNEL_STATUS_PATH)
PROXY = ("GET", hikvision.PROXY_CHANNELS_PATH)
INPUTS = ("GET", hikvision.VIDEO_INPUTS_PATH)
SEARCH = ("POST", SEARCH_PATH)


async def test_v4_storage_with_mixed_namespaces_and_a_nas(canned: CannedServers) -> None:
    recorder, _ = await canned.start({STORAGE: [fixture("v4-storage.xml")]})
    assert await recorder.disks(Deadline.after(5)) == (
        Disk("1", "hdde", "ok", 3815447 * MIB, 27392 * MIB, "ok"),
        Disk("2", "hddf", "error", 3815447 * MIB, 0, "error"),
        Disk("9", "NAS 192.168.0.1:/pub/hik", "ok", 122346 * MIB, 119552 * MIB, "ok"),
    )


async def test_v3_storage_without_namespace_or_sizes(canned: CannedServers) -> None:
    recorder, _ = await canned.start({STORAGE: [fixture("v3-storage.xml")]})
    disks = await recorder.disks(Deadline.after(5))
    assert [(d.id, d.name, d.status, d.device_status) for d in disks] == [
        ("1", "hdd1", "repairing", "reparing"),
        ("2", "hdd2", "unformatted", "unformatted"),
        ("3", "hdd3", "smart_failed", "smartFailed"),
        ("4", "hdd4", "formatting", "formating"),
        ("5", "hdd5", "not_exist", "notexist"),
        ("6", "hdd6", "unknown", "unRecordHostFormatted"),
    ]
    assert [(d.capacity_bytes, d.free_bytes) for d in disks[:3]] == [
        (1907729 * MIB, 512 * MIB),
        (None, None),  # an unformatted disk omits its sizes
        (953869 * MIB, None),  # " 953869 " read, "n/a" not
    ]
    assert not any(disk.healthy for disk in disks)


async def test_v4_channel_status(canned: CannedServers) -> None:
    recorder, canned_nvr = await canned.start({STATUS: [fixture("v4-channel-status.xml")]})
    assert await recorder.channels(Deadline.after(5)) == (
        Channel(1, online=True),
        Channel(2, online=False),
        Channel(4, online=True),
    )
    assert len(canned_nvr.asked) == 1  # no fallback when the status lists channels


async def test_status_without_online_uses_the_detection_result(canned: CannedServers) -> None:
    recorder, _ = await canned.start({STATUS: [fixture("v3-channel-status-without-online.xml")]})
    assert await recorder.channels(Deadline.after(5)) == (
        Channel(1, online=True),
        Channel(2, online=False),
        Channel(3, online=None),
    )


async def test_old_firmware_without_channel_status_falls_back_to_the_channel_list(
    canned: CannedServers,
) -> None:
    recorder, _ = await canned.start(
        {
            STATUS: [fixture("v3-channel-status-not-supported.xml", status=403)],
            PROXY: [fixture("v3-proxy-channels.xml")],
        }
    )
    assert await recorder.channels(Deadline.after(5)) == (
        Channel(1, name="摄像机 东门"),
        Channel(3, name="Library & Lab"),
    )


async def test_a_dvr_without_ip_channels_reports_its_analog_inputs(canned: CannedServers) -> None:
    recorder, canned_nvr = await canned.start(
        {
            STATUS: [fixture("dvr-empty-channel-status.xml")],
            INPUTS: [fixture("dvr-video-inputs.xml")],
        }
    )
    assert await recorder.channels(Deadline.after(5)) == (
        Channel(1, name="Camera 01", online=False),  # NO VIDEO
        Channel(2, name="Camera 02", online=False),  # input disabled
        Channel(3, name="Patio & Garage", online=True),
    )
    assert [path for _, path, _ in canned_nvr.asked] == [
        hikvision.CHANNEL_STATUS_PATH,
        hikvision.PROXY_CHANNELS_PATH,  # a bare 404 here
        hikvision.VIDEO_INPUTS_PATH,
    ]


async def test_no_channel_source_at_all_is_the_first_refusal(canned: CannedServers) -> None:
    not_supported = fixture("v3-channel-status-not-supported.xml", status=403)
    recorder, _ = await canned.start({STATUS: [not_supported], INPUTS: [not_supported]})
    with pytest.raises(RecorderError) as caught:
        await recorder.channels(Deadline.after(5))
    assert caught.value.reason is Reason.PROTOCOL_ERROR
    assert caught.value.detail.startswith("channel status: the NVR refused: Invalid Operation")
    assert "notSupport" in caught.value.detail and "HTTP 403" in caught.value.detail


async def test_a_search_pages_clips_and_drops_repeats(canned: CannedServers) -> None:
    recorder, canned_nvr = await canned.start(
        {SEARCH: [fixture("v4-search-page1.xml"), fixture("v4-search-page2.xml")]}
    )
    day_start, day_end = local(2026, 11, 25), local(2026, 11, 26)
    segments = await recorder.segments(3, day_start, day_end, Deadline.after(5))
    assert segments == (
        Segment(day_start, local(2026, 11, 25, 0, 30)),  # a file begun the day before
        Segment(local(2026, 11, 25, 0, 30), local(2026, 11, 25, 1, 30)),  # once, not twice
        Segment(local(2026, 11, 25, 23, 45, 10), day_end),
    )
    first, second = canned_nvr.searches()
    for page, position in ((first, "0"), (second, "2")):
        assert page.findtext("{*}searchResultPostion") == position
        assert page.findtext("{*}trackIDList/{*}trackID") == "301"
        assert page.findtext("{*}maxResults") == str(hikvision.PAGE_SIZE)
        assert page.findtext("{*}metadataList/{*}metadataDescriptor") == (
            "//recordType.meta.std-cgi.com"
        )
        # The local day, written as the NVR's own web page writes it.
        assert page.findtext("{*}timeSpanList/{*}timeSpan/{*}startTime") == "2026-11-25T00:00:00Z"
        assert page.findtext("{*}timeSpanList/{*}timeSpan/{*}endTime") == "2026-11-26T00:00:00Z"
    assert first.findtext("{*}searchID") == second.findtext("{*}searchID")
    assert len(first.findtext("{*}searchID") or "") == 36


async def test_no_matches_is_no_segment(canned: CannedServers) -> None:
    recorder, _ = await canned.start({SEARCH: [fixture("search-no-matches.xml")]})
    assert await recorder.segments(1, NOW - DAY, NOW, Deadline.after(5)) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-25T08:00:00Z", local(2026, 11, 25, 8)),  # Z: the NVR's wall clock
        ("2026-11-25T08:00:00", local(2026, 11, 25, 8)),  # no suffix: the same
        ("2026-11-25 08:00:00", local(2026, 11, 25, 8)),
        ("2026-11-25T08:00:00+08:00", local(2026, 11, 25, 8)),  # an offset is honoured
        ("2026-11-25T08:00:00-0500", local(2026, 11, 25, 8, zone=ZoneInfo("Etc/GMT+5"))),
        ("2026-11-25T08:00:00.250Z", local(2026, 11, 25, 8) + 0.25),
        (" 2026-11-25T08:00:00z ", local(2026, 11, 25, 8)),
    ],
)
def test_the_time_rule(text: str, expected: float) -> None:
    assert WallClock(SHANGHAI).parse(text) == expected


def test_the_time_rule_for_firmware_whose_z_is_utc() -> None:
    clock = WallClock(SHANGHAI, z_is_utc=True)
    assert clock.parse("2026-11-25T08:00:00Z") == local(2026, 11, 25, 8, zone=UTC)
    assert clock.parse("2026-11-25T08:00:00") == local(2026, 11, 25, 8)  # still wall clock
    assert clock.parse("2026-11-25T08:00:00+08:00") == local(2026, 11, 25, 8)
    assert clock.format(local(2026, 11, 25, 8)) == "2026-11-25T00:00:00Z"
    assert WallClock(SHANGHAI).format(local(2026, 11, 25, 8)) == "2026-11-25T08:00:00Z"


def test_the_site_maps_utc_times_reaches_the_recorders_clock() -> None:
    from dataclasses import replace

    from monitor.recordings.adapters.hikvision import HikvisionRecorder

    z = "2026-11-25T08:00:00Z"
    wall = HikvisionRecorder(endpoint(1))
    utc = HikvisionRecorder(replace(endpoint(1), utc_times=True))
    assert wall.clock.parse(z) == local(2026, 11, 25, 8)
    assert utc.clock.parse(z) == local(2026, 11, 25, 8, zone=UTC)


def test_without_a_zone_the_wall_clock_is_this_machines() -> None:
    naive = datetime(2026, 7, 1, 12, 30)
    assert WallClock(None).parse("2026-07-01T12:30:00Z") == naive.timestamp()
    assert WallClock(None).format(naive.timestamp()) == "2026-07-01T12:30:00Z"


@pytest.mark.parametrize("text", ["2026-13-45T25:00:00Z", "yesterday", "2026-11-25T08:00:00+25:00"])
def test_unreadable_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        WallClock(SHANGHAI).parse(text)


async def test_offsets_in_answers_win_over_the_configured_zone(canned: CannedServers) -> None:
    recorder, _ = await canned.start({SEARCH: [fixture("search-with-offset.xml")]}, zone=UTC)
    segments = await recorder.segments(1, NOW - 2 * DAY, NOW, Deadline.after(5))
    assert segments == (Segment(local(2026, 11, 25, 8), local(2026, 11, 25, 9) + 0.5),)


async def test_times_without_suffix_are_the_configured_zone(canned: CannedServers) -> None:
    recorder, _ = await canned.start({SEARCH: [fixture("v3-search-no-suffix.xml")]}, zone=UTC)
    segments = await recorder.segments(1, NOW - 2 * DAY, NOW, Deadline.after(5))
    hour = local(2026, 11, 25, 8, zone=UTC)
    assert segments == (Segment(hour, hour + 3600),)


async def test_firmware_whose_z_is_utc_is_asked_and_read_in_utc(canned: CannedServers) -> None:
    recorder, canned_nvr = await canned.start(
        {SEARCH: [fixture("v4-search-page2.xml")]}, z_is_utc=True
    )
    start, end = local(2026, 11, 25, 12, zone=UTC), local(2026, 11, 26, 12, zone=UTC)
    segments = await recorder.segments(1, start, end, Deadline.after(5))
    assert segments == (
        Segment(local(2026, 11, 25, 23, 45, 10, zone=UTC), local(2026, 11, 26, 0, 10, zone=UTC)),
    )
    (asked,) = canned_nvr.searches()
    assert asked.findtext("{*}timeSpanList/{*}timeSpan/{*}startTime") == "2026-11-25T12:00:00Z"


# -- refusals and hostile answers ---------------------------------------------------------
async def refused(recorder: HikvisionRecorder, question: str) -> RecorderError:
    deadline = Deadline.after(5)
    call = {
        "disks": lambda: recorder.disks(deadline),
        "channels": lambda: recorder.channels(deadline),
        "segments": lambda: recorder.segments(1, NOW - DAY, NOW, deadline),
    }[question]
    with pytest.raises(RecorderError) as caught:
        await call()
    assert_clean(caught.value)
    return caught.value


@pytest.mark.parametrize(
    ("answers", "question", "reason", "words"),
    [
        (
            {SEARCH: [fixture("response-status-bad-xml-content.xml", status=400)]},
            "segments",
            Reason.PROTOCOL_ERROR,
            ["recording search (channel 1): the NVR refused: Invalid XML Content", "badXmlContent"],
        ),
        (
            {STORAGE: [fixture("response-status-low-privilege.xml", status=403)]},
            "disks",
            Reason.AUTH_FAILED,
            ["storage: the NVR refused", "lowPrivilege", "HTTP 403"],
        ),
        (
            {STORAGE: [fixture("response-status-device-error.xml")]},
            "disks",
            Reason.PROTOCOL_ERROR,
            ["storage: the NVR refused: Device Error", "deviceError", "HTTP 200"],
        ),
        ({STORAGE: [Canned(403)]}, "disks", Reason.AUTH_FAILED, ["storage", "HTTP 403"]),
        (
            {STORAGE: [Canned(500, b"<html>Internal Error</html>", "text/html")]},
            "disks",
            Reason.PROTOCOL_ERROR,
            ["storage: HTTP 500"],
        ),
        (
            {STORAGE: [fixture("entity-bomb.xml")]},
            "disks",
            Reason.PROTOCOL_ERROR,
            ["storage: the answer carries a document type declaration"],
        ),
        (
            {STORAGE: [fixture("login-page.html")]},
            "disks",
            Reason.PROTOCOL_ERROR,
            ["storage: the answer carries a document type declaration"],
        ),
        (
            {STORAGE: [Canned(200, b"<storage>" + b"x" * (5 * MIB) + b"</storage>")]},
            "disks",
            Reason.PROTOCOL_ERROR,
            ["storage: answer longer than 4 MiB, refused"],
        ),
        (
            {STORAGE: [Canned(200, os.urandom(2048).replace(b"<", b"."))]},
            "disks",
            Reason.PROTOCOL_ERROR,
            ["storage: the answer is not well-formed XML"],
        ),
        (
            {STORAGE: [Canned(200, b"")]},
            "disks",
            Reason.PROTOCOL_ERROR,
            ["storage: the answer is not well-formed XML"],
        ),
        (
            {STORAGE: [fixture("v4-channel-status.xml")]},
            "disks",
            Reason.PROTOCOL_ERROR,
            ["storage: expected <storage>, got <InputProxyChannelStatusList>"],
        ),
        (
            {
                STORAGE: [
                    Canned(
                        200, b"<storage><hddList><hdd><status>ok</status></hdd></hddList></storage>"
                    )
                ]
            },
            "disks",
            Reason.PROTOCOL_ERROR,
            ["storage: a hdd entry without an <id>"],
        ),
        (
            {
                STATUS: [
                    Canned(
                        200,
                        b"<InputProxyChannelStatusList><InputProxyChannelStatus>"
                        b"<id>D1</id></InputProxyChannelStatus>"
                        b"</InputProxyChannelStatusList>",
                    )
                ]
            },
            "channels",
            Reason.PROTOCOL_ERROR,
            ["channel status: channel id 'D1' is not 1, 2, ..."],
        ),
        (
            {SEARCH: [fixture("search-bad-time.xml")]},
            "segments",
            Reason.PROTOCOL_ERROR,
            ["recording search (channel 1): unreadable time span", "2026-13-45T25:00:00Z"],
        ),
        (
            {SEARCH: [fixture("search-failed.xml")]},
            "segments",
            Reason.PROTOCOL_ERROR,
            ["recording search (channel 1): the search failed: FAILED"],
        ),
        (
            {
                SEARCH: [
                    Canned(
                        200,
                        b"<CMSearchResult><responseStatusStrg>MORE"
                        b"</responseStatusStrg><numOfMatches>0</numOfMatches>"
                        b"</CMSearchResult>",
                    )
                ]
            },
            "segments",
            Reason.PROTOCOL_ERROR,
            ["the NVR says MORE but returned no recording"],
        ),
        (
            {SEARCH: [fixture("v4-search-page1.xml")]},  # MORE, the same page every time
            "segments",
            Reason.PROTOCOL_ERROR,
            ["the NVR returned the same page again (searchResultPostion ignored)"],
        ),
    ],
)
async def test_refusals_and_bad_answers_are_classified(
    canned: CannedServers,
    answers: Answers,
    question: str,
    reason: Reason,
    words: list[str],
) -> None:
    recorder, _ = await canned.start(answers)
    error = await refused(recorder, question)
    assert error.reason is reason
    for word in words:
        assert word in error.detail


def endless_pages(delay: float = 0.0) -> Dynamic:
    """A device that says MORE forever, each page new hits one minute apart."""

    async def answer(body: bytes) -> Canned:
        await asyncio.sleep(delay)
        position = int(etree.fromstring(body).findtext("{*}searchResultPostion") or "0")
        items = "".join(
            f"<searchMatchItem><timeSpan><startTime>2026-11-25T{minute // 60 % 24:02d}:"
            f"{minute % 60:02d}:00Z</startTime><endTime>2026-11-25T{minute // 60 % 24:02d}:"
            f"{minute % 60:02d}:30Z</endTime></timeSpan></searchMatchItem>"
            for minute in range(position, position + 10)
        )
        page = (
            "<CMSearchResult><responseStatusStrg>MORE</responseStatusStrg>"
            f"<numOfMatches>10</numOfMatches><matchList>{items}</matchList></CMSearchResult>"
        )
        return Canned(200, page.encode())

    return answer


async def test_a_device_that_pages_forever_is_cut_off(
    canned: CannedServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hikvision, "MAX_MATCHES", 50)
    recorder, canned_nvr = await canned.start({SEARCH: endless_pages()})
    error = await refused(recorder, "segments")
    assert error.reason is Reason.PROTOCOL_ERROR
    assert "more than 50 recordings and still MORE" in error.detail
    assert len(canned_nvr.asked) == 6


async def test_paging_stops_at_the_deadline(canned: CannedServers) -> None:
    recorder, canned_nvr = await canned.start({SEARCH: endless_pages(delay=0.15)})
    began = time.monotonic()
    with pytest.raises(RecorderError) as caught:
        await recorder.segments(1, NOW - DAY, NOW, Deadline.after(0.6))
    assert caught.value.reason is Reason.TIMEOUT
    assert time.monotonic() - began < 1.5
    assert 2 <= len(canned_nvr.asked) <= 5
