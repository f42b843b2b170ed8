"""The storage pass: incremental searches, overwritten footage, recorders that fail.

A recorder written for the test (in memory, counting what it is asked)
stands in for the protocols here: the protocols have their own tests
against the simulator, and tests/test_recordings_campus.py runs everything
together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest

from monitor.config import RecordingSettings
from monitor.probing.deadline import Deadline
from monitor.probing.result import Reason
from monitor.recordings.adapters.base import RecorderEndpoint
from monitor.recordings.integrity import DAY
from monitor.recordings.model import Channel, Disk, RecorderError, Segment
from monitor.recordings.poller import RecordingPoller
from monitor.storage.store import Store, default_sqlite_url
from site_map.loader import load_site_map
from site_map.model import Nvr
from tests.campus import PASSWORD, PASSWORD_ENV, small_campus, write_yaml

NOW = 1_795_000_000.0
GB = 1024**3


@dataclass
class MemoryRecorder:
    """Footage per channel; `down` makes every call fail as an unreachable NVR."""

    kind: ClassVar[str] = "hikvision"
    footage: dict[int, list[tuple[float, float]]]
    down: bool = False
    searches: list[tuple[int, float, float]] = field(default_factory=list)
    disk_list: tuple[Disk, ...] = (Disk("1", "hdd1", "ok", 4000 * GB, 3000 * GB),)

    def _check(self) -> None:
        if self.down:
            raise RecorderError(Reason.UNREACHABLE, "connection refused")

    async def disks(self, deadline: Deadline) -> tuple[Disk, ...]:
        self._check()
        return self.disk_list

    async def channels(self, deadline: Deadline) -> tuple[Channel, ...]:
        self._check()
        return tuple(Channel(n) for n in self.footage)

    async def segments(
        self, channel: int, start: float, end: float, deadline: Deadline
    ) -> tuple[Segment, ...]:
        self._check()
        self.searches.append((channel, start, end))
        return tuple(
            Segment(max(a, start), min(b, end))
            for a, b in self.footage.get(channel, [])
            if b > start and a < end
        )

    async def close(self) -> None:
        pass


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def campus(tmp_path: Path):
    data = small_campus()
    data["nvrs"] = [{"id": "nvr-1", "kind": "hikvision", "host": "127.0.0.1", "port": 1}]
    data["cameras"][0]["nvr"] = {"id": "nvr-1", "channel": 1}
    data["cameras"][1]["nvr"] = {"id": "nvr-1", "channel": 2}
    path = write_yaml(tmp_path / "site-map.yaml", data)
    return load_site_map(path, environ={PASSWORD_ENV: PASSWORD}), default_sqlite_url(tmp_path)


def make_poller(campus, recorder: MemoryRecorder, clock: Clock, store: Store) -> RecordingPoller:
    loaded, _ = campus
    made: list[RecorderEndpoint] = []

    def factory(nvr: Nvr, endpoint: RecorderEndpoint) -> MemoryRecorder:
        made.append(endpoint)
        assert endpoint.password == PASSWORD and PASSWORD not in repr(endpoint)
        return recorder

    return RecordingPoller(
        loaded,
        store,
        RecordingSettings(full_check_hours=24, overlap_seconds=600, horizon_extra_days=5),
        recorder_factory=factory,
        clock=clock,
    )


async def test_first_pass_searches_the_horizon_then_only_what_is_new(campus) -> None:
    clock = Clock(NOW)
    footage = {1: [(NOW - 40 * DAY, NOW)], 2: [(NOW - 20 * DAY, NOW - 2 * DAY)]}
    recorder = MemoryRecorder(footage)
    with Store.open(campus[1]) as store:
        poller = make_poller(campus, recorder, clock, store)
        assert poller.snapshot.channels == {}  # nothing searched: no figure, not a zero
        snap = await poller.run_pass()
        assert {s[1] for s in recorder.searches} == {NOW - 35 * DAY}
        one, two = snap.channels["cam-1"], snap.channels["cam-2"]
        assert one.completeness == 1.0 and one.recording
        assert one.retention_seconds == 35 * DAY  # searched back to the horizon
        assert two.completeness == pytest.approx(18 / 30) and not two.recording
        assert snap.storage()["cam-2"].recorded_seconds == pytest.approx(18 * DAY)
        assert snap.nvrs["nvr-1"].up and snap.nvrs["nvr-1"].forecast is not None

        # Fifteen minutes later: the new time (less the overlap) and the head.
        recorder.searches.clear()
        clock.now = NOW + 900
        footage[1] = [(NOW - 40 * DAY, NOW + 900)]
        snap = await poller.run_pass()
        ranges = sorted((s[1], s[2]) for s in recorder.searches if s[0] == 1)
        horizon = NOW + 900 - 35 * DAY
        assert ranges == [(horizon, horizon + 6 * 3600), (NOW - 600, NOW + 900)]
        assert snap.channels["cam-1"].completeness == 1.0


async def test_overwritten_footage_is_seen_at_the_head(campus) -> None:
    clock = Clock(NOW)
    footage = {1: [(NOW - 20 * DAY, NOW)], 2: []}
    recorder = MemoryRecorder(footage)
    with Store.open(campus[1]) as store:
        poller = make_poller(campus, recorder, clock, store)
        await poller.run_pass()
        # The recorder overwrote its oldest two hours meanwhile.
        clock.now = NOW + 900
        footage[1] = [(NOW - 20 * DAY + 7200, NOW + 900)]
        snap = await poller.run_pass()
        assert snap.channels["cam-1"].earliest == NOW - 20 * DAY + 7200


async def test_an_unreachable_recorder_keeps_its_footage_but_new_time_is_unverified(
    campus,
) -> None:
    clock = Clock(NOW)
    recorder = MemoryRecorder({1: [(NOW - 40 * DAY, NOW)], 2: [(NOW - 40 * DAY, NOW)]})
    with Store.open(campus[1]) as store:
        poller = make_poller(campus, recorder, clock, store)
        await poller.run_pass()
        recorder.down = True
        clock.now = NOW + DAY
        snap = await poller.run_pass()
        status = snap.nvrs["nvr-1"]
        assert not status.up and status.reason == "unreachable"
        assert "connection refused" in status.detail
        one = snap.channels["cam-1"]
        assert one.completeness == pytest.approx(29 / 30)  # the last day is not known
        assert not one.recording


async def test_footage_survives_a_restart_and_searches_stay_incremental(campus) -> None:
    clock = Clock(NOW)
    recorder = MemoryRecorder({1: [(NOW - 40 * DAY, NOW)], 2: [(NOW - 10 * DAY, NOW)]})
    with Store.open(campus[1]) as store:
        await make_poller(campus, recorder, clock, store).run_pass()
    recorder.searches.clear()
    clock.now = NOW + 900
    with Store.open(campus[1]) as store:
        poller = make_poller(campus, recorder, clock, store)
        # Known before any search: the time since the last one counts as missing.
        before = poller.snapshot.channels["cam-2"]
        assert before.recorded_seconds == pytest.approx(10 * DAY)
        await poller.run_pass()
    assert all(start > NOW - DAY for _, start, end in recorder.searches if end == NOW + 900)


async def test_a_full_search_runs_again_each_day(campus) -> None:
    clock = Clock(NOW)
    footage = {1: [(NOW - 40 * DAY, NOW)], 2: []}
    recorder = MemoryRecorder(footage)
    with Store.open(campus[1]) as store:
        poller = make_poller(campus, recorder, clock, store)
        await poller.run_pass()
        # Footage lost in the middle (a disk replaced) is found by the daily full search.
        footage[1] = [(NOW - 40 * DAY, NOW - 10 * DAY), (NOW - 5 * DAY, NOW + DAY)]
        clock.now = NOW + DAY
        snap = await poller.run_pass()
        assert snap.channels["cam-1"].completeness == pytest.approx(25 / 30)
        assert [(g.start, g.end) for g in snap.channels["cam-1"].gaps] == [
            (NOW - 10 * DAY, NOW - 5 * DAY)
        ]


async def test_the_storage_of_a_past_period_from_the_stored_footage(campus) -> None:
    from monitor.recordings.period import period_storage

    clock = Clock(NOW)
    footage = {1: [(NOW - 10 * DAY, NOW - 4 * DAY), (NOW - 3 * DAY, NOW)], 2: []}
    with Store.open(campus[1]) as store:
        await make_poller(campus, MemoryRecorder(footage), clock, store).run_pass()
        # The five days before the last one: four recorded, one missing.
        found = period_storage(campus[0], store, NOW - 6 * DAY, NOW - DAY)
        assert found["cam-1"].expected_seconds == 5 * DAY
        assert found["cam-1"].recorded_seconds == pytest.approx(4 * DAY)
        assert found["cam-2"].recorded_seconds == 0  # searched, nothing there
        assert "cam-3" not in found  # not recorded: no figure
        # Time after the last search is not known to be recorded.
        later = period_storage(campus[0], store, NOW - DAY, NOW + DAY)
        assert later["cam-1"].recorded_seconds == pytest.approx(DAY)
        assert later["cam-1"].expected_seconds == 2 * DAY


async def test_nvr_findings_are_shown_after_a_restart_until_the_first_pass(campus) -> None:
    clock = Clock(NOW)
    recorder = MemoryRecorder({1: [(NOW - 40 * DAY, NOW)], 2: []})
    recorder.disk_list = (
        Disk("1", "hdd1", "ok", 4000 * GB, 3000 * GB, "ok"),
        Disk("2", "hdd2", "error", 4000 * GB, 0, "error"),
    )
    with Store.open(campus[1]) as store:
        await make_poller(campus, recorder, clock, store).run_pass()
    clock.now = NOW + 600
    with Store.open(campus[1]) as store:
        restarted = make_poller(campus, recorder, clock, store)
        status = restarted.snapshot.nvrs["nvr-1"]
        assert status.up and status.kind == "hikvision" and status.checked_at == NOW
        assert [d.status for d in status.disks] == ["ok", "error"]
        assert status.disks[1].device_status == "error"
        assert status.forecast is not None  # from the stored disks and footage
        # An NVR found down stays down across a restart, with its reason.
        recorder.down = True
        await restarted.run_pass()
    with Store.open(campus[1]) as store:
        again = make_poller(campus, recorder, clock, store).snapshot.nvrs["nvr-1"]
        assert (again.up, again.reason) == (False, "unreachable")
        assert "connection refused" in again.detail
