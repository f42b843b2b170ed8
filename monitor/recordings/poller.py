"""The storage cycle: every NVR's disks, channels and footage, on a slow cadence.

Liveness is probed every minute; footage changes slowly and its searches
cost the recorders real work, so this cycle runs every 15 minutes by
default and keeps its searches incremental:

- the first pass (and one a day, `full_check_hours`) searches the whole
  horizon (`retention_days` plus a margin, so a retention above the target
  shows as such);
- other passes search only the time since the last pass (less an overlap,
  for files the recorder indexed late), plus the head of the footage — the
  oldest hours — to see what the recorder has overwritten since.

What was found is merged into the stored intervals (replacing what those
ranges held) and kept in the database, so a restart does not search 35
days of 2,000 channels again. An NVR that does not answer keeps its known
footage, but the time since its last good search counts as missing until a
search shows it. Each NVR's pass has one deadline, passed to every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo

from monitor.config import RecordingSettings
from monitor.probing.deadline import Deadline
from monitor.probing.result import Reason
from monitor.recordings.adapters.base import Recorder, RecorderEndpoint
from monitor.recordings.adapters.registry import recorder_class
from monitor.recordings.integrity import (
    DAY,
    ChannelIntegrity,
    Interval,
    StorageForecast,
    channel_integrity,
    forecast,
    intersect,
    merge,
    subtract,
    write_rate,
)
from monitor.recordings.model import Disk, RecorderError, local_zone
from monitor.recordings.snapshot import NvrStatus, RecordingSnapshot
from monitor.storage.store import RecordingRecord, Store
from site_map.loader import LoadedSiteMap
from site_map.model import Camera, Nvr

log = logging.getLogger("tianyan.recordings")

# Files of one recording abut with a second or so between them: not a gap.
JOIN_SECONDS = 2.0
# The head search reaches this far past the oldest footage known.
HEAD_SECONDS = 6 * 3600.0

RecorderFactory = Callable[[Nvr, RecorderEndpoint], Recorder]


def _default_factory(nvr: Nvr, endpoint: RecorderEndpoint) -> Recorder:
    return recorder_class(nvr.kind)(endpoint)


class RecordingPoller:
    def __init__(
        self,
        loaded: LoadedSiteMap,
        store: Store,
        settings: RecordingSettings | None = None,
        *,
        recorder_factory: RecorderFactory = _default_factory,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.loaded = loaded
        self.store = store
        self.settings = settings or RecordingSettings()
        self._factory = recorder_factory
        self._clock = clock
        site_map = loaded.site_map
        self.retention_days = float(site_map.retention_days)
        self.nvrs: dict[str, Nvr] = {n.id: n for n in site_map.nvrs}
        self.cameras_of: dict[str, list[Camera]] = {n: [] for n in self.nvrs}
        for camera in site_map.cameras:
            if camera.nvr is not None and camera.nvr.id in self.cameras_of:
                self.cameras_of[camera.nvr.id].append(camera)
        self.zones: dict[str, tzinfo] = {
            n.id: ZoneInfo(n.timezone) if n.timezone else local_zone() for n in site_map.nvrs
        }
        recorded = {c.id for cameras in self.cameras_of.values() for c in cameras}
        self.records: dict[str, RecordingRecord] = {
            camera: record for camera, record in store.recordings().items() if camera in recorded
        }
        self._recorders: dict[str, Recorder] = {}
        self._unsaved: dict[str, RecordingRecord] = {}
        self._statuses: dict[str, NvrStatus] = {}
        # Used bytes at an earlier pass, and the write rate measured from them.
        self._usage_marks: dict[str, tuple[float, int]] = {}
        self._rates: dict[str, float] = {}
        self.passes = 0
        # The last pass's findings, kept across restarts: until this run's first
        # pass ends, the NVRs are shown (and exported) as they were last found,
        # instead of vanishing from the metrics for a minute.
        for nvr_id, stored in store.nvr_statuses().items():
            nvr = self.nvrs.get(nvr_id)
            if nvr is not None:
                forecast = self._forecast(nvr, stored.disks, stored.checked_at)
                self._statuses[nvr_id] = replace(stored, kind=nvr.kind, forecast=forecast)
        self._snapshot = self._build_snapshot(None, self._clock())

    @property
    def snapshot(self) -> RecordingSnapshot:
        return self._snapshot

    # -- one pass ----------------------------------------------------------------------------
    async def run_pass(self) -> RecordingSnapshot:
        started = self._clock()
        limit = asyncio.Semaphore(self.settings.concurrency)

        async def one(nvr: Nvr) -> None:
            async with limit:
                self._statuses[nvr.id] = await self._check_nvr(nvr)

        await asyncio.gather(*(one(nvr) for nvr in self.nvrs.values()))
        finished = self._clock()
        await self._save(finished)
        self.passes += 1
        self._snapshot = self._build_snapshot(finished, finished)
        up = sum(1 for s in self._statuses.values() if s.up)
        log.info(
            "recordings pass done nvrs=%d up=%d channels=%d seconds=%.2f",
            len(self.nvrs),
            up,
            len(self._snapshot.channels),
            finished - started,
        )
        return self._snapshot

    def _recorder(self, nvr: Nvr) -> Recorder:
        recorder = self._recorders.get(nvr.id)
        if recorder is None:
            credential = self.loaded.site_map.credentials[nvr.credentials]
            endpoint = RecorderEndpoint(
                nvr_id=nvr.id,
                host=nvr.host,
                port=nvr.port,
                username=credential.username,
                password=self.loaded.password(nvr.credentials),
                timezone=self.zones[nvr.id],
                utc_times=nvr.utc_times,
            )
            recorder = self._recorders[nvr.id] = self._factory(nvr, endpoint)
        return recorder

    async def _check_nvr(self, nvr: Nvr) -> NvrStatus:
        began = time.monotonic()
        now = self._clock()
        deadline = Deadline.after(self.settings.timeout_seconds)
        try:
            recorder = self._recorder(nvr)
            disks = await recorder.disks(deadline)
            channels = await recorder.channels(deadline)
        except RecorderError as exc:
            return self._down(nvr, now, began, exc)
        failed: dict[str, str] = {}
        for camera in self.cameras_of[nvr.id]:
            try:
                await self._search_camera(recorder, camera, now, deadline)
            except RecorderError as exc:
                failed[camera.id] = str(exc)
                if exc.reason is Reason.TIMEOUT or deadline.expired:
                    # The pass's time is up: the remaining channels wait for the next pass.
                    for rest in self.cameras_of[nvr.id]:
                        if rest.id not in failed and self._searched_before(rest.id, now):
                            failed.setdefault(rest.id, "not searched: the NVR's pass timed out")
                    break
        if failed:
            log.warning(
                "recordings search failed nvr=%s channels=%d first=%s",
                nvr.id,
                len(failed),
                next(iter(failed.values())),
            )
        return NvrStatus(
            nvr=nvr.id,
            kind=nvr.kind,
            up=True,
            checked_at=now,
            seconds=time.monotonic() - began,
            disks=disks,
            channels=channels,
            forecast=self._forecast(nvr, disks, now),
            failed_channels=MappingProxyType(failed),
        )

    def _searched_before(self, camera: str, now: float) -> bool:
        record = self.records.get(camera)
        return record is None or record.checked_until < now

    def _down(self, nvr: Nvr, now: float, began: float, exc: RecorderError) -> NvrStatus:
        previous = self._statuses.get(nvr.id)
        if previous is None or previous.up:
            log.warning(
                "NVR unreachable nvr=%s reason=%s detail=%s", nvr.id, exc.reason.value, exc.detail
            )
        # The recorder (and its HTTP session) is rebuilt on the next pass.
        recorder = self._recorders.pop(nvr.id, None)
        if recorder is not None:
            asyncio.get_running_loop().create_task(_close_quietly(recorder))
        return NvrStatus(
            nvr=nvr.id,
            kind=nvr.kind,
            up=False,
            checked_at=now,
            seconds=time.monotonic() - began,
            reason=exc.reason.value,
            detail=exc.detail,
        )

    def _horizon_start(self, now: float) -> float:
        return now - (self.retention_days + self.settings.horizon_extra_days) * DAY

    def _search_ranges(
        self, record: RecordingRecord | None, now: float
    ) -> tuple[list[Interval], bool]:
        """The time ranges to search this pass, and whether that is the whole horizon."""
        horizon = self._horizon_start(now)
        full_every = self.settings.full_check_hours * 3600.0
        if record is None or now - record.full_check_at >= full_every:
            return [(horizon, now)], True
        since = max(horizon, record.checked_until - self.settings.overlap_seconds)
        first = record.intervals[0][0] if record.intervals else horizon
        head = (horizon, max(first, horizon) + HEAD_SECONDS)
        return merge([head, (since, now)]), False

    async def _search_camera(
        self, recorder: Recorder, camera: Camera, now: float, deadline: Deadline
    ) -> None:
        assert camera.nvr is not None
        record = self.records.get(camera.id)
        ranges, full = self._search_ranges(record, now)
        found: list[Interval] = []
        for start, end in ranges:
            segments = await recorder.segments(camera.nvr.channel, start, end, deadline)
            found.extend((s.start, s.end) for s in segments)
        # What the searched ranges held is replaced by what they hold now.
        known = merge(record.intervals) if record is not None else []
        kept = subtract(known, ranges)
        horizon = self._horizon_start(now)
        updated = [
            (max(a, horizon), b)
            for a, b in merge([*kept, *intersect(merge(found), ranges)], JOIN_SECONDS)
            if b > horizon
        ]
        new = RecordingRecord(
            camera=camera.id,
            intervals=tuple(updated),
            checked_until=now,
            full_check_at=now if full or record is None else record.full_check_at,
        )
        self.records[camera.id] = new
        self._unsaved[camera.id] = new

    def _measured_rate(self, nvr: Nvr, disks: tuple[Disk, ...], now: float) -> float | None:
        """The write rate from the growth of the used space since an earlier pass."""
        sized = [d for d in disks if d.healthy and d.capacity_bytes and d.free_bytes is not None]
        if not sized:
            return self._rates.get(nvr.id)
        used = sum((d.capacity_bytes or 0) - (d.free_bytes or 0) for d in sized)
        mark = self._usage_marks.get(nvr.id)
        if mark is None or used < mark[1]:  # first reading, or space freed: start again
            self._usage_marks[nvr.id] = (now, used)
        elif (rate := write_rate(mark, (now, used))) is not None:
            self._rates[nvr.id] = rate
            self._usage_marks[nvr.id] = (now, used)
        return self._rates.get(nvr.id)

    def _forecast(self, nvr: Nvr, disks: tuple[Disk, ...], now: float) -> StorageForecast | None:
        rate = self._measured_rate(nvr, disks, now)
        starts = [
            record.intervals[0][0]
            for camera in self.cameras_of[nvr.id]
            if (record := self.records.get(camera.id)) is not None and record.intervals
        ]
        if not starts:
            return None
        return forecast(
            disks,
            footage_days=(now - min(starts)) / DAY,
            retention_days=self.retention_days,
            write_bytes_per_second=rate,
        )

    async def _save(self, at: float) -> None:
        pending = list(self._unsaved.values())
        statuses = list(self._statuses.values())

        def save() -> None:
            self.store.save_recordings(pending, at=at)
            self.store.save_nvr_statuses(statuses)

        try:
            await asyncio.to_thread(save)
        except Exception as exc:
            # Kept in memory: the snapshot stays right and the next pass saves again.
            log.error(
                "storing recordings failed; %d channels kept for the next pass: %s",
                len(pending),
                type(exc).__name__,
            )
        else:
            self._unsaved.clear()

    # -- the picture -------------------------------------------------------------------------
    def _build_snapshot(self, finished: float | None, now: float) -> RecordingSnapshot:
        channels: dict[str, ChannelIntegrity] = {}
        for nvr_id, cameras in self.cameras_of.items():
            status = self._statuses.get(nvr_id)
            for camera in cameras:
                record = self.records.get(camera.id)
                if record is None:
                    continue  # never searched: no figure rather than a false zero
                assert camera.nvr is not None
                verified = None if status is not None and status.up else record.checked_until
                if status is not None and camera.id in status.failed_channels:
                    verified = record.checked_until
                channels[camera.id] = channel_integrity(
                    record.intervals,
                    now=now,
                    retention_days=self.retention_days,
                    schedule=camera.nvr.schedule,
                    zone=self.zones[nvr_id],
                    verified_until=verified,
                )
        return RecordingSnapshot(
            finished_at=finished,
            passes=self.passes,
            interval_seconds=self.settings.interval_seconds,
            nvrs=MappingProxyType(dict(self._statuses)),
            channels=MappingProxyType(channels),
        )

    # -- running -----------------------------------------------------------------------------
    async def run_forever(
        self,
        stop: asyncio.Event,
        on_pass: Callable[[RecordingSnapshot], None] | None = None,
    ) -> None:
        while not stop.is_set():
            began = time.monotonic()
            try:
                snapshot = await self.run_pass()
                if on_pass is not None:
                    on_pass(snapshot)
            except Exception:
                log.exception("recordings pass failed")
            wait = max(0.0, self.settings.interval_seconds - (time.monotonic() - began))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    async def close(self) -> None:
        recorders = list(self._recorders.values())
        self._recorders.clear()
        await asyncio.gather(*(_close_quietly(r) for r in recorders))


async def _close_quietly(recorder: Recorder) -> None:
    with contextlib.suppress(Exception):
        await recorder.close()
