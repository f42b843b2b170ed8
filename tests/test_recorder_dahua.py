"""The Dahua CGI recorder adapter: against the simulated DHI-NVR, and canned firmware answers.

The simulator runs on 127.0.0.1 with a frozen clock; the canned answers
(tests/fixtures/recorders/dahua) are served by a small aiohttp app on
loopback, one variant of the firmware each.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from monitor.probing.deadline import Deadline
from monitor.probing.result import Reason
from monitor.recordings.adapters.base import RecorderEndpoint
from monitor.recordings.adapters.dahua import MAX_FILES, PAGE_SIZE, DahuaRecorder
from monitor.recordings.model import DISK_STATUSES, RecorderError, Segment, local_zone
from monitor.simulator.faults import HEALTHY, Fault
from monitor.simulator.nvr import dahua as simulated_dahua
from monitor.simulator.nvr.recorder import DAY, SimulatedChannel, SimulatedNvr
from monitor.simulator.nvr.server import NvrSimulator
from tests.campus import PASSWORD, free_port

FIXTURES = Path(__file__).parent / "fixtures" / "recorders" / "dahua"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 15, 10, 30, 0, tzinfo=SHANGHAI).timestamp()
CHANNEL_NAMES = {
    1: "东门入口",
    2: "化学实验室走廊",
    3: "一食堂",
    4: "Gate West",
    5: "财务室",
    6: "图书馆二楼",
    7: "宿舍楼A",
    8: "体育馆",
    9: "北门停车场",
}
NVR_ID = "nvr-dahua-1"


def deadline(seconds: float = 10.0) -> Deadline:
    return Deadline.after(seconds)


def as_pairs(segments: Sequence[Segment]) -> list[tuple[float, float]]:
    return [(s.start, s.end) for s in segments]


# -- the simulated NVR ------------------------------------------------------------------------
@dataclass
class Served:
    nvr: SimulatedNvr
    simulator: NvrSimulator
    recorder: DahuaRecorder

    @property
    def book(self) -> simulated_dahua.FinderBook:
        return simulated_dahua.finder_book(self.nvr)

    def assert_finders_released(self) -> None:
        book = self.book
        assert book.created == book.closed == book.destroyed
        assert not book.alive


ServeNvr = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve_nvr() -> AsyncIterator[ServeNvr]:
    started: list[Served] = []

    async def serve(
        fault: Fault = HEALTHY,
        *,
        zone: tzinfo = SHANGHAI,
        endpoint_zone: tzinfo | Literal["same"] | None = "same",
    ) -> Served:
        port = free_port()
        nvr = SimulatedNvr(
            id=NVR_ID,
            kind="dahua",
            host="127.0.0.1",
            port=port,
            username="admin",
            password=PASSWORD,
            channels={
                n: SimulatedChannel(n, f"cam-{n}", name) for n, name in CHANNEL_NAMES.items()
            },
            timezone=zone,
            fault=fault,
            clock=lambda: NOW,
        )
        simulator = NvrSimulator({NVR_ID: nvr})
        await simulator.start()
        endpoint = RecorderEndpoint(
            NVR_ID,
            "127.0.0.1",
            port,
            "admin",
            PASSWORD,
            zone if endpoint_zone == "same" else endpoint_zone,
        )
        served = Served(nvr, simulator, DahuaRecorder(endpoint))
        started.append(served)
        return served

    yield serve
    for served in started:
        await served.recorder.close()
        await served.simulator.stop()


async def test_disks_are_the_simulated_disks(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr()
    disks = await served.recorder.disks(deadline())
    expected = served.nvr.disks()
    assert len(disks) == len(expected) == 2  # nine channels, eight a disk
    for disk, simulated in zip(disks, expected, strict=True):
        assert disk.status == "ok" and disk.healthy and disk.device_status == "Success"
        # Two partitions a disk: the recorder's numbers are their sums.
        assert disk.capacity_bytes == simulated.capacity_bytes
        assert disk.free_bytes == simulated.free_bytes
    assert [d.id for d in disks] == ["/dev/sda", "/dev/sdb"]


async def test_a_failed_disk_is_an_error(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr(Fault(disk="error"))
    first, last = await served.recorder.disks(deadline())
    assert first.healthy
    assert last.status == "error" and not last.healthy
    assert last.free_bytes == 0 and last.capacity_bytes == served.nvr.disks()[-1].capacity_bytes
    assert last.device_status.startswith("Error")


async def test_channels_have_their_gb2312_names_and_state(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr(Fault(recording_gaps=0.5))
    channels = await served.recorder.channels(deadline())
    assert [c.number for c in channels] == sorted(CHANNEL_NAMES)
    assert {c.number: c.name for c in channels} == CHANNEL_NAMES
    online = {c.number: c.online for c in channels}
    assert online == {n: served.nvr.recording_now(n) for n in CHANNEL_NAMES}
    assert set(online.values()) == {True, False}  # half of every day is a gap somewhere


@pytest.mark.parametrize("channel", [1, 9])
async def test_segments_are_the_files_over_35_days(serve_nvr: ServeNvr, channel: int) -> None:
    served = await serve_nvr()
    start, end = NOW - 35 * DAY, NOW
    segments = await served.recorder.segments(channel, start, end, deadline())
    files = served.nvr.files(channel, start, end)
    assert len(files) == 35 * 24 + 1  # the oldest file starts mid-hour
    assert as_pairs(segments) == files
    # 100 files a page at most: many findNextFile calls, the last one found=0.
    assert served.book.pages == len(files) // PAGE_SIZE + 2
    assert served.book.conditions == [str(channel)]  # condition.Channel is 1-based
    served.assert_finders_released()


async def test_segments_are_clipped_to_the_window(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr()
    start, end = NOW - 2.5 * 3600 + 0.25, NOW - 1234.5
    segments = await served.recorder.segments(3, start, end, deadline())
    assert as_pairs(segments) == served.nvr.files(3, start, end)
    assert segments[0].start == start and segments[-1].end == end


async def test_recording_gaps_show_as_missing_footage(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr(Fault(recording_gaps=0.125))
    start, end = NOW - 35 * DAY, NOW
    segments = await served.recorder.segments(2, start, end, deadline())
    assert as_pairs(segments) == served.nvr.files(2, start, end)
    recorded = sum(s.seconds for s in segments)
    assert recorded == pytest.approx(35 * DAY * 0.875)
    served.assert_finders_released()


async def test_short_retention_shows_as_missing_old_footage(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr(Fault(retention_days=12))
    start, end = NOW - 35 * DAY, NOW
    segments = await served.recorder.segments(5, start, end, deadline())
    assert as_pairs(segments) == served.nvr.files(5, start, end)
    assert segments[0].start == served.nvr.earliest() == NOW - 12 * DAY


async def test_a_window_without_footage_is_empty(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr(Fault(retention_days=12))
    # findFile answers 400 Bad Request when nothing matches: that is no files.
    segments = await served.recorder.segments(1, NOW - 30 * DAY, NOW - 20 * DAY, deadline())
    assert segments == ()
    assert served.book.searches == 1 and served.book.pages == 0
    served.assert_finders_released()


async def test_wall_clock_times_in_a_zone_with_daylight_saving(serve_nvr: ServeNvr) -> None:
    # New York moves to summer time on 8 March 2026, inside the 35 days.
    served = await serve_nvr(zone=NEW_YORK)
    start, end = NOW - 35 * DAY, NOW
    segments = await served.recorder.segments(4, start, end, deadline())
    assert as_pairs(segments) == served.nvr.files(4, start, end)


async def test_without_a_zone_the_recorder_keeps_the_machines_time(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr(zone=local_zone(), endpoint_zone=None)
    start, end = NOW - 3 * DAY, NOW
    segments = await served.recorder.segments(6, start, end, deadline())
    assert as_pairs(segments) == served.nvr.files(6, start, end)


async def test_wrong_password_is_auth_failed(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr(Fault(auth_fail=True))
    calls = [
        served.recorder.disks(deadline()),
        served.recorder.channels(deadline()),
        served.recorder.segments(1, NOW - DAY, NOW, deadline()),
    ]
    for call in calls:
        with pytest.raises(RecorderError) as caught:
            await call
        assert caught.value.reason is Reason.AUTH_FAILED
        assert PASSWORD not in str(caught.value) and PASSWORD not in repr(served.recorder)


async def test_an_offline_recorder_is_unreachable(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr()
    await served.simulator.set_fault(NVR_ID, Fault(offline=True))
    with pytest.raises(RecorderError) as caught:
        await served.recorder.segments(1, NOW - DAY, NOW, deadline())
    assert caught.value.reason is Reason.UNREACHABLE


async def test_a_hanging_recorder_times_out_at_the_deadline(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr(Fault(hang=True))
    began = time.monotonic()
    with pytest.raises(RecorderError) as caught:
        await served.recorder.disks(deadline(0.4))
    assert caught.value.reason is Reason.TIMEOUT
    assert time.monotonic() - began < 1.5


async def test_finders_are_released_search_after_search(serve_nvr: ServeNvr) -> None:
    served = await serve_nvr()
    # More searches than the recorder keeps finders: a leak would run out of them.
    for _ in range(simulated_dahua.MAX_FINDERS + 4):
        await served.recorder.segments(7, NOW - DAY, NOW, deadline())
    assert served.book.created == simulated_dahua.MAX_FINDERS + 4
    served.assert_finders_released()


# -- canned firmware answers ------------------------------------------------------------------
Answer = Callable[[str, dict[str, str]], web.StreamResponse | Awaitable[web.StreamResponse]]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def reply(body: bytes | str, status: int = 200) -> web.Response:
    data = body.encode() if isinstance(body, str) else body
    return web.Response(status=status, body=data, content_type="text/plain")


def bad_request() -> web.Response:
    return reply(fixture("error_bad_request.txt"), status=400)


def page(items: Sequence[tuple[int, str, str]], kind: str = "dav") -> bytes:
    """A findNextFile answer of (0-based channel, start, end) files of one type."""
    lines = [f"found={len(items)}"]
    for index, (channel, start, end) in enumerate(items):
        lines += [
            f"items[{index}].Channel={channel}",
            f"items[{index}].StartTime={start}",
            f"items[{index}].EndTime={end}",
            f"items[{index}].Type={kind}",
        ]
    return ("\r\n".join(lines) + "\r\n").encode()


def hours(channel: int, day: str, first: int, count: int) -> list[tuple[int, str, str]]:
    return [
        (
            channel,
            f"{day} {h:02d}:00:00",
            f"{day} {h:02d}:59:59" if h == 23 else f"{day} {h + 1:02d}:00:00",
        )
        for h in range(first, first + count)
    ]


def at(text: str, zone: ZoneInfo = SHANGHAI) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone).timestamp()


@dataclass
class Canned:
    recorder: DahuaRecorder
    calls: list[tuple[str, dict[str, str]]]
    raw_paths: list[str]

    def actions(self, cgi: str = "mediaFileFind.cgi") -> list[str]:
        return [params.get("action", "") for name, params in self.calls if name == cgi]


ServeCanned = Callable[[Answer], Awaitable[Canned]]


class CannedServers:
    """Small loopback servers answering canned firmware text, one recorder each."""

    def __init__(self) -> None:
        self.release = asyncio.Event()  # ends the answers that hang
        self._runners: list[web.AppRunner] = []
        self._recorders: list[DahuaRecorder] = []

    async def serve(self, answer: Answer) -> Canned:
        calls: list[tuple[str, dict[str, str]]] = []
        raw_paths: list[str] = []

        async def handle(request: web.Request) -> web.StreamResponse:
            params = simulated_dahua.query(request)  # decoded as the firmware does
            calls.append((request.match_info["cgi"], params))
            raw_paths.append(request.raw_path)
            result = answer(request.match_info["cgi"], params)
            return await result if inspect.isawaitable(result) else result

        app = web.Application()
        app.router.add_get("/cgi-bin/{cgi}", handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        self._runners.append(runner)
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        endpoint = RecorderEndpoint("canned", "127.0.0.1", port, "admin", PASSWORD, SHANGHAI)
        self._recorders.append(DahuaRecorder(endpoint))
        return Canned(self._recorders[-1], calls, raw_paths)

    async def stop(self) -> None:
        self.release.set()
        for recorder in self._recorders:
            await recorder.close()
        for runner in self._runners:
            await runner.cleanup()


@pytest.fixture
async def canned_servers() -> AsyncIterator[CannedServers]:
    servers = CannedServers()
    yield servers
    await servers.stop()


@pytest.fixture
def serve_canned(canned_servers: CannedServers) -> ServeCanned:
    return canned_servers.serve


def answering(routes: dict[str, Callable[[], web.StreamResponse]]) -> Answer:
    """Answer each CGI (by file name) with its canned reply; anything else is 404."""

    def answer(cgi: str, params: dict[str, str]) -> web.StreamResponse:
        return routes[cgi]() if cgi in routes else web.Response(status=404, text="Not Found")

    return answer


PageSource = bytes | web.StreamResponse | Callable[[], Awaitable[web.StreamResponse]]


@dataclass
class CannedFinder:
    """mediaFileFind.cgi of canned firmware: its pages, then `after` (found=0 by default)."""

    pages: list[PageSource] = field(default_factory=list)
    after: PageSource = b"found=0\r\n"
    find: Callable[[dict[str, str]], web.StreamResponse] = lambda params: reply("OK\r\n")
    created: int = 0
    closed: int = 0
    destroyed: int = 0
    served_pages: int = 0

    async def __call__(self, cgi: str, params: dict[str, str]) -> web.StreamResponse:
        action = params.get("action")
        if cgi != "mediaFileFind.cgi":
            return web.Response(status=404)
        if action == "factory.create":
            self.created += 1
            return reply("result=2076356504\r\n")
        if params.get("object") != "2076356504":
            return bad_request()
        if action == "findFile":
            return self.find(params)
        if action == "findNextFile":
            source = (
                self.pages[self.served_pages] if self.served_pages < len(self.pages) else self.after
            )
            self.served_pages += 1
            if callable(source):
                return await source()
            return source if isinstance(source, web.StreamResponse) else reply(source)
        if action == "close":
            self.closed += 1
            return reply("OK\r\n")
        if action == "destroy":
            self.destroyed += 1
            return reply("OK\r\n")
        return bad_request()

    def assert_released(self) -> None:
        assert self.created == self.closed == self.destroyed == 1


async def protocol_error(call: Awaitable[object]) -> str:
    with pytest.raises(RecorderError) as caught:
        await call
    assert caught.value.reason is Reason.PROTOCOL_ERROR, caught.value
    assert len(caught.value.detail) < 200
    return caught.value.detail


async def test_storage_of_nvr_firmware_list_info(serve_canned: ServeCanned) -> None:
    canned = await serve_canned(
        answering({"storageDevice.cgi": lambda: reply(fixture("storage_list_info.txt"))})
    )
    sda, sdb = await canned.recorder.disks(deadline())
    assert (sda.id, sda.name, sda.status, sda.device_status) == (
        "/dev/sda",
        "/dev/sda",
        "ok",
        "Success",
    )
    assert sda.capacity_bytes == 2000324395008 + 1920311754752  # the partitions summed
    assert sda.free_bytes == 200000000000
    assert (sdb.status, sdb.capacity_bytes, sdb.free_bytes) == (
        "error",
        3999999999999,
        3999999999999,
    )
    assert sdb.device_status.startswith("Error")
    assert canned.calls == [("storageDevice.cgi", {"action": "getDeviceAllInfo"})]


async def test_storage_of_the_documented_list_shape(serve_canned: ServeCanned) -> None:
    canned = await serve_canned(
        answering({"storageDevice.cgi": lambda: reply(fixture("storage_list.txt"))})
    )
    nameless, sleeping, empty_bay, failing = await canned.recorder.disks(deadline())
    assert (nameless.id, nameless.name, nameless.status) == ("1", "disk 1", "ok")
    assert (nameless.capacity_bytes, nameless.free_bytes) == (7999997870080, 999997870080)
    # A sleeping disk is healthy; without UsedBytes its free space is unknown.
    assert (sleeping.status, sleeping.healthy, sleeping.free_bytes) == ("idle", True, None)
    assert sleeping.capacity_bytes == 4000787030016
    assert (empty_bay.status, empty_bay.capacity_bytes, empty_bay.free_bytes) == (
        "not_exist",
        None,
        None,
    )
    # State says Success, a partition says IsError: the disk is failing.
    assert failing.status == "error" and "IsError" in failing.device_status
    assert all(d.status in DISK_STATUSES for d in (nameless, sleeping, empty_bay, failing))


async def test_storage_in_gb2312(serve_canned: ServeCanned) -> None:
    canned = await serve_canned(
        answering({"storageDevice.cgi": lambda: reply(fixture("storage_gb2312.txt"))})
    )
    network, array = await canned.recorder.disks(deadline())
    assert (network.name, network.status, network.free_bytes) == ("网络硬盘1", "ok", 1000000000000)
    assert (array.name, array.status, array.device_status) == (
        "阵列盘",
        "unformatted",
        "Unformatted",
    )


async def test_undecodable_text_does_not_break_the_answer(serve_canned: ServeCanned) -> None:
    body = (
        b"list[0].Name=\xff\xfe\x80disk\r\n"
        b"list[0].State=Success\r\n"
        b"list[0].Detail[0].TotalBytes=10\r\n"
    )
    canned = await serve_canned(answering({"storageDevice.cgi": lambda: reply(body)}))
    (disk,) = await canned.recorder.disks(deadline())
    assert disk.name.endswith("disk") and disk.capacity_bytes == 10 and disk.free_bytes is None


async def test_channel_names_in_gb2312_and_camera_states(serve_canned: ServeCanned) -> None:
    canned = await serve_canned(
        answering(
            {
                "configManager.cgi": lambda: reply(fixture("channel_title_gb2312.txt")),
                "LogicDeviceManager.cgi": lambda: reply(fixture("camera_state.txt")),
            }
        )
    )
    channels = await canned.recorder.channels(deadline())
    assert [(c.number, c.name, c.online) for c in channels] == [
        (1, "东门入口", True),
        (2, "化学实验室", False),
        (3, "Channel3", None),  # no connectionState
        (5, "财务室", True),
    ]
    assert ("configManager.cgi", {"action": "getConfig", "name": "ChannelTitle"}) in canned.calls
    assert (
        "LogicDeviceManager.cgi",
        {"action": "getCameraState", "uniqueChannels[0]": "-1"},
    ) in canned.calls


async def test_channels_without_camera_states(serve_canned: ServeCanned) -> None:
    canned = await serve_canned(
        answering(
            {
                "configManager.cgi": lambda: reply(fixture("channel_title_utf8.txt")),
                "LogicDeviceManager.cgi": bad_request,
            }
        )
    )
    channels = await canned.recorder.channels(deadline())
    assert [(c.number, c.name, c.online) for c in channels] == [
        (1, "西门 Gate", None),
        (2, "一食堂", None),
    ]


async def test_channels_without_titles(serve_canned: ServeCanned) -> None:
    canned = await serve_canned(
        answering({"LogicDeviceManager.cgi": lambda: reply(fixture("camera_state.txt"))})
    )
    channels = await canned.recorder.channels(deadline())
    assert [(c.number, c.name, c.online) for c in channels] == [
        (1, "", True),
        (2, "", False),
        (3, "", None),
        (5, "", True),
    ]


async def test_channels_when_neither_answers(serve_canned: ServeCanned) -> None:
    canned = await serve_canned(answering({"configManager.cgi": bad_request}))
    detail = await protocol_error(canned.recorder.channels(deadline()))
    assert detail == "ChannelTitle: HTTP 400"


@pytest.mark.parametrize("status", [200, 400])
async def test_an_error_answer_is_a_protocol_error(serve_canned: ServeCanned, status: int) -> None:
    body = fixture("error_bad_request.txt")
    canned = await serve_canned(answering({"storageDevice.cgi": lambda: reply(body, status)}))
    detail = await protocol_error(canned.recorder.disks(deadline()))
    expected = "the recorder answered 'Error: Bad Request!'" if status == 200 else "HTTP 400"
    assert detail == f"storageDevice getDeviceAllInfo: {expected}"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (fixture("garbage.bin"), "no disk (list[N].) in the answer"),
        (b"list[0].Detail[0].TotalBytes=lots\r\n", "TotalBytes is not a number: 'lots'"),
        (b"list[0].Detail[0].TotalBytes=-5\r\n", "TotalBytes is not a byte count: '-5'"),
    ],
)
async def test_garbage_storage_is_a_protocol_error(
    serve_canned: ServeCanned, body: bytes, expected: str
) -> None:
    canned = await serve_canned(answering({"storageDevice.cgi": lambda: reply(body)}))
    assert expected in await protocol_error(canned.recorder.disks(deadline()))


async def test_an_empty_storage_answer_is_no_disk(serve_canned: ServeCanned) -> None:
    canned = await serve_canned(answering({"storageDevice.cgi": lambda: reply(b"\r\n")}))
    assert await canned.recorder.disks(deadline()) == ()


async def test_a_too_large_answer_is_refused(serve_canned: ServeCanned) -> None:
    huge = b"list[0].Name=/dev/sda\r\n" * (5 * 1024 * 1024 // 23)
    canned = await serve_canned(answering({"storageDevice.cgi": lambda: reply(huge)}))
    assert "longer than 4 MiB" in await protocol_error(canned.recorder.disks(deadline()))


async def test_items_as_the_document_prints_them(serve_canned: ServeCanned) -> None:
    finder = CannedFinder(pages=[fixture("find_next_document.txt")])
    canned = await serve_canned(finder)
    start, end = at("2026-03-01 00:00:00"), at("2026-03-02 00:00:00")
    segments = await canned.recorder.segments(1, start, end, deadline())
    # Unpadded times, spaces before '=', the picture left out, in time order.
    assert as_pairs(segments) == [
        (at("2026-03-01 08:00:00"), at("2026-03-01 09:00:00")),
        (at("2026-03-01 09:00:00"), at("2026-03-01 09:30:00")),
    ]
    finder.assert_released()


async def test_the_finder_conversation(serve_canned: ServeCanned) -> None:
    finder = CannedFinder(pages=[fixture("find_next_nvr.txt")])
    canned = await serve_canned(finder)
    start, end = at("2026-03-01 00:30:00"), at("2026-03-01 12:00:00")
    segments = await canned.recorder.segments(2, start, end, deadline())
    assert as_pairs(segments) == [
        (start, at("2026-03-01 01:00:00")),
        (at("2026-03-01 01:00:00"), at("2026-03-01 01:20:00")),
    ]
    assert canned.actions() == [
        "factory.create",
        "findFile",
        "findNextFile",
        "findNextFile",
        "close",
        "destroy",
    ]
    find = canned.calls[1][1]
    assert find == {
        "action": "findFile",
        "object": "2076356504",
        "condition.Channel": "2",
        "condition.StartTime": "2026-03-01 00:30:00",
        "condition.EndTime": "2026-03-01 12:00:00",
    }
    assert canned.calls[2][1]["count"] == str(PAGE_SIZE)


async def test_times_are_sent_with_percent_encoded_spaces(serve_canned: ServeCanned) -> None:
    # Dahua's CGI parser takes %20 for the space in a time, not '+'.
    canned = await serve_canned(CannedFinder())
    await canned.recorder.segments(
        1, at("2026-03-01 00:00:00"), at("2026-03-01 01:00:00"), deadline()
    )
    (find_path,) = [path for path in canned.raw_paths if "action=findFile" in path]
    assert "&condition.StartTime=2026-03-01%2000:00:00&" in find_path and "+" not in find_path


async def test_firmware_reading_the_condition_zero_based(serve_canned: ServeCanned) -> None:
    """Such firmware answers channel N+1's files; the adapter asks again one lower, and keeps it."""
    files = {
        ch: hours(ch - 1, "2026-03-01", 0, 3) for ch in (1, 2, 3)
    }  # items carry 0-based channels
    conditions: list[str] = []

    def find(params: dict[str, str]) -> web.StreamResponse:
        conditions.append(params["condition.Channel"])
        display = int(params["condition.Channel"]) + 1  # this firmware's reading
        if display not in files:
            return bad_request()
        finder.pages = [page(files[display])]
        finder.served_pages = 0
        return reply("OK\r\n")

    finder = CannedFinder(find=find)
    canned = await serve_canned(finder)
    start, end = at("2026-03-01 00:00:00"), at("2026-03-02 00:00:00")
    first = await canned.recorder.segments(2, start, end, deadline())
    assert as_pairs(first) == [(at(a), at(b)) for _, a, b in files[2]]
    assert conditions == ["2", "1"]
    second = await canned.recorder.segments(3, start, end, deadline())
    assert as_pairs(second) == [(at(a), at(b)) for _, a, b in files[3]]
    assert conditions == ["2", "1", "2"]  # the numbering is kept
    assert finder.created == finder.closed == finder.destroyed == 3


async def test_files_of_another_channel_are_a_protocol_error(serve_canned: ServeCanned) -> None:
    finder = CannedFinder(pages=[page(hours(6, "2026-03-01", 0, 2))])
    canned = await serve_canned(finder)
    detail = await protocol_error(
        canned.recorder.segments(
            2, at("2026-03-01 00:00:00"), at("2026-03-02 00:00:00"), deadline()
        )
    )
    assert "asked for channel 2, got files of channel 7" in detail


async def test_an_error_after_the_last_short_page_ends_the_search(
    serve_canned: ServeCanned,
) -> None:
    """Some firmware answers the call after the last page with an error instead of found=0."""
    full = hours(0, "2026-03-01", 0, 24) * 4 + hours(0, "2026-03-02", 0, 4)  # 100 files
    finder = CannedFinder(
        pages=[page(full), page(hours(0, "2026-03-03", 0, 5))], after=reply("Error\r\n", 500)
    )
    canned = await serve_canned(finder)
    start, end = at("2026-03-01 00:00:00"), at("2026-03-04 00:00:00")
    segments = await canned.recorder.segments(1, start, end, deadline())
    assert len(segments) == 105
    finder.assert_released()


async def test_an_error_after_a_full_page_is_a_protocol_error(serve_canned: ServeCanned) -> None:
    full = hours(0, "2026-03-01", 0, 24) * 4 + hours(0, "2026-03-02", 0, 4)
    finder = CannedFinder(pages=[page(full)], after=bad_request())
    canned = await serve_canned(finder)
    detail = await protocol_error(
        canned.recorder.segments(
            1, at("2026-03-01 00:00:00"), at("2026-03-04 00:00:00"), deadline()
        )
    )
    assert detail == "mediaFileFind findNextFile: HTTP 400"
    finder.assert_released()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (fixture("garbage.bin"), "findNextFile: no found= line"),
        (b"found=many\r\n", "findNextFile: found=many"),
        ("found=²\r\n".encode(), "findNextFile: found=²"),
        (b"found=2\r\n", "findNextFile: found=2 but no items"),
        (b"found=1\r\nitems[0].StartTime=2026-03-01 00:00:00\r\n", "items[0] has no EndTime"),
        (
            b"found=1\r\nitems[0].StartTime=2026-13-01 00:00:00\r\nitems[0].EndTime=x\r\n",
            "items[0].StartTime: not a time: '2026-13-01 00:00:00'",
        ),
        (fixture("error_bad_request.txt"), "the recorder answered 'Error: Bad Request!'"),
    ],
)
async def test_garbage_pages_are_a_protocol_error(
    serve_canned: ServeCanned, body: bytes, expected: str
) -> None:
    finder = CannedFinder(pages=[body])
    canned = await serve_canned(finder)
    detail = await protocol_error(
        canned.recorder.segments(
            1, at("2026-03-01 00:00:00"), at("2026-03-02 00:00:00"), deadline()
        )
    )
    assert expected in detail
    finder.assert_released()


@pytest.mark.parametrize("kind", ["dav", "jpg"])
async def test_a_recorder_paging_for_ever_is_stopped(serve_canned: ServeCanned, kind: str) -> None:
    hundred = hours(0, "2026-03-01", 0, 24) * 4 + hours(0, "2026-03-02", 0, 4)
    finder = CannedFinder(after=page(hundred, kind))  # pictures count too: they are listed
    canned = await serve_canned(finder)
    detail = await protocol_error(
        canned.recorder.segments(
            1, at("2026-03-01 00:00:00"), at("2026-03-04 00:00:00"), deadline(30)
        )
    )
    assert f"more than {MAX_FILES} files" in detail
    assert finder.served_pages == MAX_FILES // PAGE_SIZE + 1
    finder.assert_released()


async def test_the_deadline_stops_the_paging(serve_canned: ServeCanned) -> None:
    async def slow_page() -> web.StreamResponse:
        await asyncio.sleep(0.05)
        return reply(page(hours(0, "2026-03-01", 0, 24) * 4 + hours(0, "2026-03-02", 0, 4)))

    finder = CannedFinder(after=slow_page)
    canned = await serve_canned(finder)
    began = time.monotonic()
    with pytest.raises(RecorderError) as caught:
        await canned.recorder.segments(
            1, at("2026-03-01 00:00:00"), at("2026-03-04 00:00:00"), deadline(0.5)
        )
    assert caught.value.reason is Reason.TIMEOUT
    assert 2 < finder.served_pages < MAX_FILES // PAGE_SIZE
    assert time.monotonic() - began < 1.5
    finder.assert_released()


async def test_a_finder_is_released_after_a_timeout(canned_servers: CannedServers) -> None:
    async def hang() -> web.StreamResponse:
        await canned_servers.release.wait()
        return reply(b"found=0\r\n")

    finder = CannedFinder(pages=[page(hours(0, "2026-03-01", 0, 3)), hang])
    canned = await canned_servers.serve(finder)
    with pytest.raises(RecorderError) as caught:
        await canned.recorder.segments(
            1, at("2026-03-01 00:00:00"), at("2026-03-02 00:00:00"), deadline(0.5)
        )
    assert caught.value.reason is Reason.TIMEOUT
    assert canned.actions()[-2:] == ["close", "destroy"]
    finder.assert_released()


async def test_no_match_is_no_files(serve_canned: ServeCanned) -> None:
    finder = CannedFinder(find=lambda params: bad_request())
    canned = await serve_canned(finder)
    segments = await canned.recorder.segments(
        1, at("2026-03-01 00:00:00"), at("2026-03-02 00:00:00"), deadline()
    )
    assert segments == ()
    assert canned.actions() == ["factory.create", "findFile", "close", "destroy"]


async def test_a_finder_without_an_id_is_a_protocol_error(serve_canned: ServeCanned) -> None:
    canned = await serve_canned(answering({"mediaFileFind.cgi": lambda: reply("result=\r\n")}))
    detail = await protocol_error(
        canned.recorder.segments(
            1, at("2026-03-01 00:00:00"), at("2026-03-02 00:00:00"), deadline()
        )
    )
    assert detail == "mediaFileFind factory.create: no object id (result=) in the answer"
    assert canned.actions() == ["factory.create"]  # nothing to release


async def test_an_empty_window_asks_nothing(serve_canned: ServeCanned) -> None:
    canned = await serve_canned(answering({}))
    assert await canned.recorder.segments(1, 100.0, 100.0, deadline()) == ()
    assert canned.calls == []
