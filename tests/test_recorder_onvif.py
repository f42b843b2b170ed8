"""The ONVIF Profile G recorder adapter, against the simulator and canned firmware answers.

The simulator (`monitor.simulator.nvr.onvif`) serves a `SimulatedNvr` with a
frozen clock far from the real one (so every signed request needs the clock
offset). The canned devices replay answers of two firmware families from
`tests/fixtures/recorders/onvif/` on loopback:

- ``gsoap_no_history``: a gSOAP-based NVR (SOAP 1.2, ``SOAP-ENV`` prefixes),
  services advertised on another host and port, no GetStorageConfigurations
  (``ter:ActionNotSupported``), a search that finds no RecordingHistory events
  (only an unrelated ``Configuration/Profile`` one), per-job states;
- ``soap11_history``: older firmware answering SOAP 1.1 with default namespaces,
  no GetServices (gSOAP's "not implemented" fault; GetCapabilities instead),
  storage URIs carrying credentials, history events of several tracks out of
  order over three pages (one empty), ignoring the search scope and filter.

File names: ``Operation[@token][~call][.status].xml`` (``@token`` answers the
request naming that job/recording/search token, ``~N`` the N-th call).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from lxml import etree

from monitor.probing.deadline import Deadline
from monitor.probing.result import Reason
from monitor.recordings.adapters import onvif as adapter
from monitor.recordings.adapters.base import RecorderEndpoint
from monitor.recordings.adapters.onvif import (
    OnvifRecorder,
    StateEvent,
    fault_of,
    parse_xs_datetime,
    stretches,
)
from monitor.recordings.integrity import merge
from monitor.recordings.model import RecorderError, Segment
from monitor.safe_xml import safe_parser
from monitor.simulator.faults import Fault
from monitor.simulator.nvr import onvif as simulated
from monitor.simulator.nvr.recorder import DAY, SimulatedChannel, SimulatedNvr
from monitor.simulator.nvr.server import NvrSimulator
from monitor.simulator.soap import password_digest
from tests.campus import free_port

USER, PASSWORD = "admin", "Tianyan-Secret-4711"
NOW = 1_710_498_600.0  # 2024-03-15T10:30:00Z: far from the real clock, frozen
FIXTURES = Path(__file__).parent / "fixtures" / "recorders" / "onvif"
SEARCH_OPERATIONS = ("FindEvents", "GetEventSearchResults", "EndSearch")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def pairs(segments: tuple[Segment, ...]) -> list[tuple[float, float]]:
    return [(s.start, s.end) for s in segments]


# -- the simulator --------------------------------------------------------------------------
def make_nvr(channels: Mapping[int, str], fault: Fault | None = None) -> SimulatedNvr:
    return SimulatedNvr(
        id="nvr-onvif",
        kind="onvif",
        host="127.0.0.1",
        port=free_port(),
        username=USER,
        password=PASSWORD,
        channels={n: SimulatedChannel(n, f"cam-{n}", name) for n, name in channels.items()},
        timezone=ZoneInfo("Asia/Shanghai"),
        fault=fault or Fault(),
        clock=lambda: NOW,
    )


def recorder_for(host: str, port: int, password: str = PASSWORD) -> OnvifRecorder:
    return OnvifRecorder(RecorderEndpoint("nvr-onvif", host, port, USER, password))


@contextlib.asynccontextmanager
async def serving(
    channels: Mapping[int, str] | None = None, fault: Fault | None = None
) -> AsyncIterator[tuple[SimulatedNvr, NvrSimulator, OnvifRecorder]]:
    nvr = make_nvr(channels or {1: "East gate", 2: "Library"}, fault)
    simulator = NvrSimulator({nvr.id: nvr})
    await simulator.start()
    recorder = recorder_for(nvr.host, nvr.port)
    try:
        yield nvr, simulator, recorder
    finally:
        await recorder.close()
        await simulator.stop()


@pytest.fixture
def search_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the simulator answered each search operation (faults included)."""
    calls: Counter[str] = Counter()
    for name in SEARCH_OPERATIONS:
        path, method = simulated.OPERATIONS[(simulated.NS_SEARCH, name)]

        def counting(
            service: simulated.OnvifNvrService,
            request: simulated.SoapRequest,
            _method: simulated.Operation = method,
            _name: str = name,
        ) -> str:
            calls[_name] += 1
            return _method(service, request)

        monkeypatch.setitem(simulated.OPERATIONS, (simulated.NS_SEARCH, name), (path, counting))
    return calls


async def test_channels_follow_the_recordings_in_order() -> None:
    async with serving({1: "East gate", 2: "Library", 4: "Canteen"}, Fault(recording_gaps=0.5)) as (
        nvr,
        _,
        recorder,
    ):
        channels = await recorder.channels(Deadline.after(5))
    assert [c.number for c in channels] == [1, 2, 3, 4]
    assert [c.name for c in channels] == ["East gate", "Library", "Channel 3", "Canteen"]
    assert channels[2].recording is None  # no camera, no recording job
    for channel in (1, 2, 4):
        assert channels[channel - 1].recording is nvr.recording_now(channel)
    assert all(c.online is None for c in channels)


async def test_segments_match_the_files_over_35_days(search_calls: Counter[str]) -> None:
    start, end = NOW - 35 * DAY, NOW
    async with serving() as (nvr, _, recorder):
        segments = await recorder.segments(1, start, end, Deadline.after(20))
        service_searches = len(search_calls)
    assert merge(pairs(segments)) == merge(nvr.files(1, start, end)) == [(start, end)]
    assert segments == tuple(sorted(segments))
    # 840 files, two boundaries each, answered 100 a page.
    assert search_calls["GetEventSearchResults"] >= 840 * 2 // simulated.PAGE_LIMIT
    assert search_calls["FindEvents"] == search_calls["EndSearch"] == 1
    assert service_searches == len(SEARCH_OPERATIONS)


async def test_segments_show_the_gaps() -> None:
    start, end = NOW - 35 * DAY, NOW
    async with serving(fault=Fault(recording_gaps=0.1)) as (nvr, _, recorder):
        segments = await recorder.segments(2, start, end, Deadline.after(20))
    found = merge(pairs(segments))
    assert found == merge(nvr.files(2, start, end))
    assert len(found) >= 35
    assert sum(b - a for a, b in found) == pytest.approx(0.9 * 35 * DAY, abs=1.0)


async def test_segments_of_a_part_of_a_file_and_of_the_retention() -> None:
    async with serving(fault=Fault(retention_days=12)) as (nvr, _, recorder):
        window = await recorder.segments(1, NOW - 5400.5, NOW - 1800.25, Deadline.after(5))
        retained = await recorder.segments(1, NOW - 35 * DAY, NOW, Deadline.after(20))
        missing = await recorder.segments(3, NOW - DAY, NOW, Deadline.after(5))
    assert merge(pairs(window)) == [(NOW - 5400.5, NOW - 1800.25)]
    assert merge(pairs(retained)) == [(nvr.earliest(), NOW)]
    assert nvr.earliest() == pytest.approx(NOW - 12 * DAY, abs=1.0)
    assert missing == ()  # a channel the NVR does not list


async def test_disks_are_listed_without_health() -> None:
    channels = {n: f"Camera {n}" for n in range(1, 10)}
    async with serving(channels, Fault(disk="error")) as (_, _, recorder):
        disks = await recorder.disks(Deadline.after(5))
    # Profile G cannot carry a disk's health: the failed disk looks like the other one.
    assert [(d.id, d.name, d.status) for d in disks] == [
        ("hdd1", "LocalStorage /mnt/hdd1", "unknown"),
        ("hdd2", "LocalStorage /mnt/hdd2", "unknown"),
    ]
    assert all(d.capacity_bytes is None and d.free_bytes is None for d in disks)


async def test_auth_fail_is_auth_failed_without_the_password() -> None:
    async with serving(fault=Fault(auth_fail=True)) as (_, _, recorder):
        for call in (
            lambda: recorder.disks(Deadline.after(5)),
            lambda: recorder.channels(Deadline.after(5)),
            lambda: recorder.segments(1, NOW - DAY, NOW, Deadline.after(5)),
        ):
            with pytest.raises(RecorderError) as caught:
                await call()
            assert caught.value.reason is Reason.AUTH_FAILED
            assert "NotAuthorized" in caught.value.detail
            assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value)
        assert PASSWORD not in repr(recorder) and PASSWORD not in repr(recorder.endpoint)


async def test_offline_is_unreachable() -> None:
    async with serving() as (nvr, simulator, recorder):
        await simulator.set_fault(nvr.id, Fault(offline=True))
        with pytest.raises(RecorderError) as caught:
            await recorder.channels(Deadline.after(5))
    assert caught.value.reason is Reason.UNREACHABLE


async def test_hang_is_a_timeout_at_the_deadline() -> None:
    async with serving(fault=Fault(hang=True)) as (_, _, recorder):
        began = time.monotonic()
        with pytest.raises(RecorderError) as caught:
            await recorder.segments(1, NOW - DAY, NOW, Deadline.after(0.4))
        assert time.monotonic() - began < 2.0
    assert caught.value.reason is Reason.TIMEOUT


async def test_every_search_is_ended_even_after_an_error(search_calls: Counter[str]) -> None:
    async with serving() as (nvr, _, recorder):
        recorder.max_results = 300
        # More failed searches than the NVR holds open: each must have been ended.
        for _ in range(simulated.MAX_OPEN_SEARCHES + 2):
            with pytest.raises(RecorderError) as caught:
                await recorder.segments(1, NOW - 35 * DAY, NOW, Deadline.after(10))
            assert caught.value.reason is Reason.PROTOCOL_ERROR
            assert "more than 300 results" in caught.value.detail
        recorder.max_results = adapter.MAX_RESULTS
        segments = await recorder.segments(1, NOW - DAY, NOW, Deadline.after(10))
    assert merge(pairs(segments)) == merge(nvr.files(1, NOW - DAY, NOW))
    assert (
        search_calls["EndSearch"] == search_calls["FindEvents"] == simulated.MAX_OPEN_SEARCHES + 3
    )


async def test_garbage_and_entity_answers_are_protocol_errors() -> None:
    async with serving(fault=Fault(garbage=True)) as (nvr, simulator, recorder):
        with pytest.raises(RecorderError) as garbage:
            await recorder.channels(Deadline.after(5))
        await simulator.set_fault(nvr.id, Fault(xml_bomb=True))
        fresh = recorder_for(nvr.host, nvr.port)
        with pytest.raises(RecorderError) as bomb:
            await fresh.channels(Deadline.after(5))
        await fresh.close()
    assert garbage.value.reason is bomb.value.reason is Reason.PROTOCOL_ERROR
    assert "not well-formed" in garbage.value.detail
    assert "document type declaration" in bomb.value.detail
    assert "lol" not in bomb.value.detail


async def test_simulator_refuses_a_replayed_or_wrong_token() -> None:
    created = datetime.fromtimestamp(NOW, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    nonce = b"0123456789abcdef"
    assert adapter.password_digest(nonce, created, PASSWORD) == password_digest(
        nonce, created, PASSWORD
    )
    body = "<trc:GetRecordings/>"
    signed = adapter.envelope(body, adapter.security_header(USER, PASSWORD, NOW))
    wrong = adapter.envelope(body, adapter.security_header(USER, "not-it", NOW))
    stale = adapter.envelope(body, adapter.security_header(USER, PASSWORD, time.time()))
    headers = {"Content-Type": adapter.SOAP_CONTENT_TYPE}
    async with serving() as (nvr, _, _), aiohttp.ClientSession() as http:
        url = f"http://{nvr.host}:{nvr.port}{simulated.RECORDING_PATH}"
        statuses = []
        for payload in (signed, signed, wrong, stale):
            async with http.post(url, data=payload, headers=headers) as response:
                statuses.append((response.status, b"NotAuthorized" in await response.read()))
        misplaced_request = adapter.envelope(body, adapter.security_header(USER, PASSWORD, NOW))
        async with http.post(
            f"http://{nvr.host}:{nvr.port}{simulated.DEVICE_PATH}",
            data=misplaced_request,
            headers=headers,
        ) as response:
            misplaced = await response.read()
    assert statuses == [(200, False), (400, True), (400, True), (400, True)]
    assert b"ActionNotSupported" in misplaced


# -- canned firmware answers ----------------------------------------------------------------
_FIXTURE_NAME = re.compile(
    r"^(?P<op>[A-Za-z]+)(?:@(?P<token>[^.~]+))?(?:~(?P<call>\d+))?(?:\.(?P<status>\d{3}))?\.xml$"
)
Answer = tuple[int, bytes]


@dataclass(frozen=True)
class Call:
    path: str
    operation: str
    token: str | None
    created: str | None
    content_type: str


class CannedDevice:
    """A loopback web server answering SOAP requests from fixture files (or overrides)."""

    def __init__(
        self, variant: str, overrides: Mapping[str, Callable[[int], Answer]] | None = None
    ) -> None:
        self.answers: dict[tuple[str, str | None, int | None], Answer] = {}
        for file in (FIXTURES / variant).glob("*.xml"):
            match = _FIXTURE_NAME.match(file.name)
            assert match is not None, file.name
            key = (match["op"], match["token"], int(match["call"]) if match["call"] else None)
            self.answers[key] = (int(match["status"] or 200), file.read_bytes())
        self.overrides = dict(overrides or {})
        self.calls: list[Call] = []
        self.port = free_port()

    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]

    async def handle(self, request: web.Request) -> web.Response:
        root = etree.fromstring(await request.read(), safe_parser())
        body = next(c for c in root if etree.QName(c).localname == "Body")
        operation = etree.QName(body[0]).localname
        token = next(
            (
                (e.text or "").strip()
                for e in body[0].iter()
                if etree.QName(e).localname in ("JobToken", "RecordingToken", "SearchToken")
            ),
            None,
        )
        created = root.findtext(".//{*}Created")
        self.calls.append(Call(request.path, operation, token, created, request.content_type))
        number = self.operations().count(operation)
        if operation in self.overrides:
            status, payload = self.overrides[operation](number)
        else:
            status, payload = self._answer(operation, token, number)
        soap11 = b"schemas.xmlsoap.org/soap/envelope" in payload[:600]
        content_type = "text/xml" if soap11 else "application/soap+xml"
        return web.Response(status=status, body=payload, content_type=content_type)

    def _answer(self, operation: str, token: str | None, number: int) -> Answer:
        for key in ((operation, token, number), (operation, token, None)):
            if key in self.answers:
                return self.answers[key]
        for key in ((operation, None, number), (operation, None, None)):
            if key in self.answers:
                return self.answers[key]
        return simulated.ACTION_NOT_SUPPORTED.http_status, simulated.ACTION_NOT_SUPPORTED.to_bytes()


@contextlib.asynccontextmanager
async def canned(
    variant: str, overrides: Mapping[str, Callable[[int], Answer]] | None = None
) -> AsyncIterator[tuple[CannedDevice, OnvifRecorder]]:
    device = CannedDevice(variant, overrides)
    app = web.Application()
    app.router.add_post("/{path:.*}", device.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", device.port).start()
    recorder = recorder_for("127.0.0.1", device.port)
    try:
        yield device, recorder
    finally:
        await recorder.close()
        await runner.cleanup()


def hostile(name: str) -> Callable[[int], Answer]:
    match = _FIXTURE_NAME.match(name)
    status = int(match["status"]) if match and match["status"] else 200
    payload = (FIXTURES / "hostile" / name).read_bytes()
    return lambda _: (status, payload)


async def test_gsoap_device_without_history_events_falls_back_to_its_data_range() -> None:
    async with canned("gsoap_no_history") as (device, recorder):
        disks = await recorder.disks(Deadline.after(5))
        channels = await recorder.channels(Deadline.after(5))
        first = await recorder.segments(
            1, at("2013-10-01T00:00:00"), at("2013-10-18T00:00:00"), Deadline.after(5)
        )
        second = await recorder.segments(
            2, at("2013-10-01T00:00:00"), at("2013-10-18T00:00:00"), Deadline.after(5)
        )
    assert disks == ()  # ter:ActionNotSupported: the device offers no storage list
    assert [(c.number, c.name, c.recording) for c in channels] == [
        (1, "CH1 East gate", True),
        (2, "CH2 Library", False),  # no job state: the job's configured mode (Idle)
    ]
    # No history events: one stretch over the video track's data, gaps unseen.
    assert pairs(first) == [(at("2013-10-01T00:00:00"), at("2013-10-17T05:19:00"))]
    assert second == ()  # the epoch pair of a recording without data
    # Advertised at 192.168.1.108:8080, posted to the configured address with its path.
    paths = {call.operation: call.path for call in device.calls}
    assert paths["GetRecordings"] == "/onvif/Recording"
    assert paths["FindEvents"] == paths["EndSearch"] == "/onvif/SearchRecording"
    assert paths["GetStorageConfigurations"] == "/onvif/device_service"
    assert device.operations().count("EndSearch") == device.operations().count("FindEvents") == 2
    # Signed with the device's clock (2013), not ours.
    signed = next(c for c in device.calls if c.operation == "GetRecordings")
    assert signed.created is not None and signed.created.startswith("2013-10-17T05:2")
    assert all(c.content_type == "application/soap+xml" for c in device.calls)
    unsigned = device.calls[0]
    assert (unsigned.operation, unsigned.created) == ("GetSystemDateAndTime", None)


async def test_soap11_device_with_history_events_over_several_pages() -> None:
    async with canned("soap11_history") as (device, recorder):
        disks = await recorder.disks(Deadline.after(5))
        channels = await recorder.channels(Deadline.after(5))
        segments = await recorder.segments(
            1, at("2013-10-17T05:00:00"), at("2013-10-17T06:00:00"), Deadline.after(5)
        )
    assert [(d.id, d.name, d.status) for d in disks] == [
        ("NAS_1", "NFS /mnt/nas", "unknown"),
        ("CIFS_2", "CIFS cifs://10.0.0.3/share", "unknown"),  # the URI's credentials dropped
    ]
    assert [(c.number, c.name, c.recording) for c in channels] == [(1, "Lab 3F corridor", None)]
    # The video track (listed after the metadata one), sorted across pages, the other
    # recording's event ignored; the stretch still open ends at the track's DataTo.
    assert pairs(segments) == [
        (at("2013-10-17T05:00:00"), at("2013-10-17T05:10:00")),
        (at("2013-10-17T05:20:00"), at("2013-10-17T05:40:00")),
    ]
    operations = device.operations()
    assert operations.count("GetEventSearchResults") == 3
    assert operations[-1] == "EndSearch"
    assert "GetCapabilities" in operations  # GetServices is "not implemented" there
    assert {c.path for c in device.calls if c.operation == "FindEvents"} == {
        "/onvif/search_service"
    }


async def test_doctype_answer_is_refused_unexpanded() -> None:
    overrides = {"GetRecordings": hostile("GetRecordings-doctype.xml")}
    async with canned("gsoap_no_history", overrides) as (_, recorder):
        with pytest.raises(RecorderError) as caught:
            await recorder.channels(Deadline.after(5))
    assert caught.value.reason is Reason.PROTOCOL_ERROR
    assert caught.value.detail.startswith("GetRecordings: ")
    assert "document type declaration" in caught.value.detail
    assert "lol" not in caught.value.detail and "root:" not in caught.value.detail


async def test_garbage_answer_is_a_protocol_error() -> None:
    overrides = {"GetRecordings": lambda _: (200, b"<?xml version='1.0'?><env:Envelope \x00\xff")}
    async with canned("gsoap_no_history", overrides) as (_, recorder):
        with pytest.raises(RecorderError) as caught:
            await recorder.channels(Deadline.after(5))
    assert caught.value.reason is Reason.PROTOCOL_ERROR
    assert "GetRecordings: the answer is not well-formed XML" in caught.value.detail


async def test_too_large_answer_is_refused() -> None:
    flood = b"<a>" + b"x" * (5 * 1024 * 1024) + b"</a>"
    async with canned("gsoap_no_history", {"GetRecordings": lambda _: (200, flood)}) as (
        _,
        recorder,
    ):
        with pytest.raises(RecorderError) as caught:
            await recorder.channels(Deadline.after(5))
    assert caught.value.reason is Reason.PROTOCOL_ERROR
    assert "longer than 4 MiB" in caught.value.detail


async def test_not_authorized_fault_is_auth_failed() -> None:
    overrides = {"GetServices": hostile("NotAuthorized.400.xml")}
    async with canned("gsoap_no_history", overrides) as (_, recorder):
        with pytest.raises(RecorderError) as caught:
            await recorder.channels(Deadline.after(5))
    assert caught.value.reason is Reason.AUTH_FAILED
    # Refused with the device's clock (2013) and with ours: the hint names both suspects.
    assert caught.value.detail.startswith(
        "GetServices: SOAP fault NotAuthorized: Sender not Authorized (signed with the device clock"
    )
    assert caught.value.detail.endswith("set the device clock (NTP), then check the password")


async def test_search_is_ended_after_a_garbage_page() -> None:
    def pages(number: int) -> Answer:
        if number == 2:
            return 200, b"<env:Envelope><broken"
        return 200, (FIXTURES / "soap11_history" / "GetEventSearchResults~1.xml").read_bytes()

    async with canned("soap11_history", {"GetEventSearchResults": pages}) as (device, recorder):
        with pytest.raises(RecorderError) as caught:
            await recorder.segments(
                1, at("2013-10-17T05:00:00"), at("2013-10-17T06:00:00"), Deadline.after(5)
            )
    assert caught.value.reason is Reason.PROTOCOL_ERROR
    assert caught.value.detail.startswith("GetEventSearchResults: ")
    assert device.operations()[-1] == "EndSearch"
    assert device.calls[-1].token == "20"


async def test_device_that_pages_forever_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    searching = (FIXTURES / "soap11_history" / "GetEventSearchResults~1.xml").read_bytes()
    empty = (FIXTURES / "soap11_history" / "GetEventSearchResults~2.xml").read_bytes()
    window = (at("2013-10-17T05:00:00"), at("2013-10-17T06:00:00"))
    async with canned("soap11_history", {"GetEventSearchResults": lambda _: (200, searching)}) as (
        device,
        recorder,
    ):
        recorder.max_results = 50
        with pytest.raises(RecorderError) as endless:
            await recorder.segments(1, *window, Deadline.after(5))
        assert device.operations()[-1] == "EndSearch"
    assert "more than 50 results" in endless.value.detail
    monkeypatch.setattr(adapter, "MAX_PAGES", 20)
    async with canned("soap11_history", {"GetEventSearchResults": lambda _: (200, empty)}) as (
        device,
        recorder,
    ):
        with pytest.raises(RecorderError) as never_done:
            await recorder.segments(1, *window, Deadline.after(5))
        assert device.operations().count("GetEventSearchResults") == 20
        assert device.operations()[-1] == "EndSearch"
    assert "did not complete in 20 pages" in never_done.value.detail


async def test_a_busy_device_is_not_read_as_footage_without_gaps() -> None:
    fault = simulated.TOO_MANY_SEARCHES
    overrides = {"FindEvents": lambda _: (500, fault.to_bytes())}
    async with canned("soap11_history", overrides) as (_, recorder):
        with pytest.raises(RecorderError) as caught:
            await recorder.segments(1, at("2013-10-17T05:00:00"), NOW, Deadline.after(5))
    assert caught.value.reason is Reason.PROTOCOL_ERROR
    assert caught.value.detail == (
        "FindEvents: SOAP fault Action/ResourceProblem: Too many open searches"
    )


# -- reading answers ------------------------------------------------------------------------
def test_faults_of_both_soap_versions() -> None:
    soap12 = etree.fromstring(
        (FIXTURES / "gsoap_no_history" / "GetStorageConfigurations.500.xml").read_bytes(),
        safe_parser(),
    )
    soap11 = etree.fromstring(
        (FIXTURES / "soap11_history" / "GetServices.500.xml").read_bytes(), safe_parser()
    )
    unsupported, not_implemented = fault_of(soap12, 500), fault_of(soap11, 500)
    assert unsupported is not None and not_implemented is not None
    assert unsupported.codes == ("Receiver", "ActionNotSupported") and unsupported.unsupported
    assert not_implemented.codes == ("Client",) and not_implemented.unsupported
    assert not unsupported.not_authorized and unsupported.reason is Reason.PROTOCOL_ERROR


def test_times_in_the_forms_firmware_writes() -> None:
    utc = at("2013-10-17T05:16:47")
    assert parse_xs_datetime("2013-10-17T05:16:47Z") == utc
    assert parse_xs_datetime(" 2013-10-17T05:16:47.000000Z ") == utc
    assert parse_xs_datetime("2013-10-17T05:16:47.5z") == utc + 0.5
    assert parse_xs_datetime("2013-10-17T13:16:47+08:00") == utc
    assert parse_xs_datetime("2013-10-17T05:16:47") == utc  # no zone: UTC, as ONVIF says
    assert parse_xs_datetime("yesterday") is None and parse_xs_datetime("") is None


def test_stretches_at_shared_boundaries_and_without_start_state() -> None:
    def event(moment: float, present: bool) -> StateEvent:
        return StateEvent(moment, present, "VIDEO001", True)

    # Contiguous files, the start of the next listed before the end of the previous.
    events = [event(10, True), event(20, True), event(20, False), event(30, False)]
    assert stretches(events, 0, 100, None) == [Segment(10, 20), Segment(20, 30)]
    # No start state: a first "gone" means the data was there from the start.
    assert stretches([event(50, False), event(70, True)], 0, 100, 90) == [
        Segment(0, 50),
        Segment(70, 90),
    ]
    # Nothing of it falls in the window.
    assert stretches([event(-20, True), event(-10, False)], 0, 100, None) == []
