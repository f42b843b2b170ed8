"""The day's report from what the store holds: pure functions, no I/O.

The caller (`monitor.daily_report.command`) reads the store and the site map
and passes them here; tests pass hand-built inputs. Two clocks matter:

- the **day** `[start, end)` (a local day in the configured time zone): its
  outages, availability and the monitor's own unmonitored time are measured
  with the day's end as "now", so a report of a past day says the same
  whatever day it is built on (an outage still going at midnight is counted
  up to midnight and listed as not ended that day);
- **now**, when the report is built: the rates, the score, what is still
  down, the video faults and the storage picture are the present state, the
  thing the duty room acts on.

"Nothing to report" (今日无异常, the zero report) means no incident: no
outage during the day, nothing down or faulty now, no storage problem, and
the monitor itself ran all day. Rates below their targets are shown with the
score's deductions whatever the day held (a missing camera is a standing
gap, not an incident of the day).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from monitor.history.availability import (
    AvailabilityReport,
    Outage,
    RunLike,
    monitored_intervals,
    mttr,
)
from monitor.history.periods import clip, merge, zone
from monitor.recordings.integrity import (
    DAY,
    RECORDING_NOW_SECONDS,
    ChannelIntegrity,
    expected_intervals,
    total,
)
from monitor.state import CameraState
from monitor.storage.store import RecordingRecord
from site_map.coverage import CoverageReport, ScopeRates
from site_map.model import Camera, SiteMap, Targets
from site_map.score import RATE_TOLERANCE, meets

RATE_KINDS: tuple[str, ...] = ("install", "online", "intact", "storage", "effective")
# Disk states that are not a failure: healthy, asleep, or not reported at all
# (ONVIF recorders do not report disk health).
_DISK_NOT_FAILED = frozenset({"ok", "idle", "unknown"})


# --------------------------------------------------------------------------- the day


def day_bounds(day: date, timezone: str) -> tuple[float, float]:
    """`[local midnight, next local midnight)` of `day` in unix seconds (23 or 25 h on DST days)."""
    tz = zone(timezone)
    following = day + timedelta(days=1)
    start = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
    end = datetime(following.year, following.month, following.day, tzinfo=tz).timestamp()
    return start, end


def yesterday(now: float, timezone: str) -> date:
    """The local day before the one `now` falls in: what a morning report covers."""
    return datetime.fromtimestamp(now, zone(timezone)).date() - timedelta(days=1)


# --------------------------------------------------------------------------- parts


@dataclass(frozen=True, slots=True)
class Rate:
    kind: str
    value: float | None  # None: empty denominator (no sample, never a made-up 0 or 1)
    target: float | None  # None: the kind has no target (online, effective)
    met: bool | None  # None without a target; an absent rate never meets one


@dataclass(frozen=True, slots=True)
class Place:
    """Where a camera is: its key sites, their campus and responsible unit."""

    name: str
    sites: tuple[str, ...]  # site names
    campus: str  # campus name ("" when none)
    unit: str  # responsible unit(s), "、"-joined ("" when none)


@dataclass(frozen=True, slots=True)
class OutageItem:
    camera: str
    place: Place
    start: float
    end: float | None  # None: not ended by the end of the day
    seconds: float  # of the outage inside the day
    duration: float  # the whole outage, up to the end of the day when not ended
    stage: str | None
    reason: str | None
    maintenance_seconds: float
    unmonitored_seconds: float


@dataclass(frozen=True, slots=True)
class OutageSummary:
    count: int  # outages overlapping the day
    began: int  # of them, begun during the day
    ended: int  # of them, ended during the day
    cameras: int  # distinct cameras
    total_seconds: float  # Σ each outage's time inside the day (camera-seconds)
    longest: OutageItem | None  # the longest whole outage
    mttr_seconds: float | None  # mean whole length of the ended ones
    items: tuple[OutageItem, ...]


@dataclass(frozen=True, slots=True)
class DownCamera:
    camera: str
    place: Place
    since: float | None  # None: never probed
    stage: str | None
    reason: str | None  # "never_probed" or "recovering" besides the probe reasons
    cause: str | None  # probable cause: "switch:<id>" when its switch is judged down


@dataclass(frozen=True, slots=True)
class FaultyCamera:
    """Online but its picture is not usable (or its view moved: `shifted`)."""

    camera: str
    place: Place
    faults: tuple[str, ...]
    probed_at: float | None


@dataclass(frozen=True, slots=True)
class NvrProblem:
    nvr: str
    name: str
    campus: str
    problem: str  # "down" (live) | "stale" (footage not checked lately) | "never_checked"
    reason: str | None = None
    detail: str | None = None
    last_checked: float | None = None


@dataclass(frozen=True, slots=True)
class DiskProblem:
    nvr: str
    name: str
    disk: str
    status: str


@dataclass(frozen=True, slots=True)
class ChannelProblem:
    camera: str
    place: Place
    nvr: str
    channel: int
    problem: str  # "not_recording" | "retention" | "never_checked"
    footage_until: float | None = None  # end of the newest footage (not_recording)
    retention_days: float | None = None  # how far back the footage reaches (retention)


@dataclass(frozen=True, slots=True)
class Gap:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class LiveNvr:
    """One NVR as the running monitor's last storage pass found it (`/api/recordings`)."""

    nvr: str
    up: bool | None  # None: not checked yet
    reason: str | None = None
    detail: str | None = None
    checked_at: float | None = None
    disks: tuple[tuple[str, str], ...] = ()  # (disk id or name, status)


@dataclass(frozen=True)
class StorageInputs:
    """The storage picture as stored, and optionally the running monitor's live NVR view."""

    records: Mapping[str, RecordingRecord] = field(default_factory=dict)
    channels: Mapping[str, ChannelIntegrity] = field(default_factory=dict)
    zones: Mapping[str, tzinfo] = field(default_factory=dict)  # by NVR id
    interval_seconds: float = 900.0
    timeout_seconds: float = 300.0
    enabled: bool = True
    live: Mapping[str, LiveNvr] | None = None  # None: not asked or not available
    live_error: str | None = None  # why the live view is missing, when it was asked for


@dataclass(frozen=True)
class DailyReport:
    school: str
    title: str
    day: date
    timezone: str
    start: float
    end: float
    generated_at: float
    rates: tuple[Rate, ...]
    campus_rates: Mapping[str, tuple[str, tuple[Rate, ...]]]  # id → (name, rates)
    score: int
    score_max: int
    deductions: tuple[tuple[int, str], ...]  # (points, reason)
    cameras: int
    availability: float | None  # the school's online / monitored time over the day
    outages: OutageSummary
    down: tuple[DownCamera, ...]
    video_faults: tuple[FaultyCamera, ...]
    nvrs: tuple[NvrProblem, ...]
    disks: tuple[DiskProblem, ...]
    channels: tuple[ChannelProblem, ...]
    unmonitored_seconds: float  # the monitor's own downtime during the day
    monitor_gaps: tuple[Gap, ...]
    notes: tuple[str, ...] = ()  # what the report could not see, and why
    # Gaps shorter than this (a restart between two cycles) are not an incident.
    negligible_gap_seconds: float = 0.0

    @property
    def issues(self) -> int:
        """Incidents to report: outages, what is down or faulty now, storage, monitor gaps."""
        count = (
            self.outages.count
            + len(self.down)
            + len(self.video_faults)
            + len(self.nvrs)
            + len(self.disks)
            + len(self.channels)
        )
        if self.unmonitored_seconds > self.negligible_gap_seconds:
            count += 1
        return count

    @property
    def nothing_to_report(self) -> bool:
        return self.issues == 0

    @property
    def targets_met(self) -> bool:
        return all(r.met is not False for r in self.rates)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: times in unix seconds, rates as fractions, absent figures as null."""

        def plain(value: Any) -> Any:
            return asdict(value) if value is not None else None

        return {
            "school": self.school,
            "title": self.title,
            "date": self.day.isoformat(),
            "timezone": self.timezone,
            "start": self.start,
            "end": self.end,
            "generated_at": self.generated_at,
            "nothing_to_report": self.nothing_to_report,
            "issues": self.issues,
            "targets_met": self.targets_met,
            "rates": {
                r.kind: {"value": r.value, "target": r.target, "met": r.met} for r in self.rates
            },
            "campuses": {
                cid: {
                    "name": name,
                    "rates": {r.kind: r.value for r in rates},
                }
                for cid, (name, rates) in self.campus_rates.items()
            },
            "score": {
                "value": self.score,
                "max": self.score_max,
                "deductions": [{"points": p, "reason": r} for p, r in self.deductions],
            },
            "cameras": self.cameras,
            "availability": self.availability,
            "outages": {
                "count": self.outages.count,
                "began": self.outages.began,
                "ended": self.outages.ended,
                "cameras": self.outages.cameras,
                "total_seconds": self.outages.total_seconds,
                "longest": plain(self.outages.longest),
                "mttr_seconds": self.outages.mttr_seconds,
                "items": [asdict(o) for o in self.outages.items],
            },
            "down": [asdict(d) for d in self.down],
            "video_faults": [asdict(f) for f in self.video_faults],
            "nvrs": [asdict(n) for n in self.nvrs],
            "disks": [asdict(d) for d in self.disks],
            "channels": [asdict(c) for c in self.channels],
            "unmonitored_seconds": self.unmonitored_seconds,
            "monitor_gaps": [{"start": g.start, "end": g.end} for g in self.monitor_gaps],
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- building


class _Places:
    """Camera id → where it is, from the site map."""

    def __init__(self, site_map: SiteMap) -> None:
        self.sites = {s.id: s for s in site_map.sites}
        self.campuses = {c.id: c.name or c.id for c in site_map.campuses}
        self.cameras = {c.id: c for c in site_map.cameras}

    def of(self, camera_id: str) -> Place:
        camera = self.cameras.get(camera_id)
        if camera is None:
            return Place(camera_id, (), "", "")
        sites = [self.sites[s] for s in camera.sites if s in self.sites]
        campus = self.campuses.get(sites[0].campus, sites[0].campus) if sites else ""
        units = dict.fromkeys(s.unit for s in sites if s.unit)
        return Place(
            camera.name or camera.id,
            tuple(s.name or s.id for s in sites),
            campus,
            "、".join(units),
        )


def _rates(scope: ScopeRates, targets: Targets) -> tuple[Rate, ...]:
    rates = []
    for kind in RATE_KINDS:
        value = scope.rate(kind)
        # Only install, intact and storage have a target (online, effective do not).
        given = getattr(targets, kind, None)
        target = float(given) if given is not None else None
        met = None if target is None else meets(value, target)
        rates.append(Rate(kind, value, target, met))
    return tuple(rates)


def _outages(
    outages: Sequence[Outage], places: _Places, start: float, day_now: float
) -> OutageSummary:
    items = tuple(
        OutageItem(
            camera=o.camera,
            place=places.of(o.camera),
            start=o.start,
            end=o.end,
            seconds=o.seconds,
            duration=o.duration(day_now),
            stage=o.stage,
            reason=o.reason,
            maintenance_seconds=o.maintenance_seconds,
            unmonitored_seconds=o.unmonitored_seconds,
        )
        for o in outages
    )
    return OutageSummary(
        count=len(items),
        began=sum(1 for o in items if o.start >= start),
        ended=sum(1 for o in items if o.end is not None),
        cameras=len({o.camera for o in items}),
        total_seconds=sum(o.seconds for o in items),
        longest=max(items, key=lambda o: (o.duration, -o.start)) if items else None,
        mttr_seconds=mttr(outages),
        items=items,
    )


def _down_and_faulty(
    site_map: SiteMap,
    states: Mapping[str, CameraState],
    causes: Mapping[str, tuple[str, str]],
    places: _Places,
) -> tuple[tuple[DownCamera, ...], tuple[FaultyCamera, ...]]:
    down: list[DownCamera] = []
    faulty: list[FaultyCamera] = []
    for camera in site_map.cameras:
        state = states.get(camera.id)
        place = places.of(camera.id)
        cause = causes.get(camera.id)
        cause_text = f"{cause[0]}:{cause[1]}" if cause and cause[0] != "device" else None
        if state is None:
            down.append(DownCamera(camera.id, place, None, None, "never_probed", None))
            continue
        probe = state.last_probe
        failure = probe.failure if probe is not None else None
        if not state.online:
            stage: str | None = None
            reason: str | None = None
            if probe is not None and probe.answers_onvif:
                # Offline under hysteresis, but the last probe answered: coming back.
                reason = "recovering"
            elif failure is not None:
                stage = failure.stage.value
                reason = failure.reason.value if failure.reason else None
            down.append(DownCamera(camera.id, place, state.since, stage, reason, cause_text))
            continue
        shifted = bool(probe and probe.shifted)
        if not state.intact or shifted:
            faults: tuple[str, ...] = tuple(probe.image_faults) if probe else ()
            if not faults and failure is not None:
                why = failure.reason.value if failure.reason else "failed"
                faults = (f"{failure.stage.value}/{why}",)
            faulty.append(
                FaultyCamera(camera.id, place, faults, probe.started_at if probe else None)
            )
    return tuple(down), tuple(faulty)


def _storage(
    site_map: SiteMap, storage: StorageInputs, places: _Places, now: float
) -> tuple[tuple[NvrProblem, ...], tuple[DiskProblem, ...], tuple[ChannelProblem, ...]]:
    if not storage.enabled:
        return (), (), ()
    campuses = {c.id: c.name or c.id for c in site_map.campuses}
    recorded: dict[str, list[Camera]] = {n.id: [] for n in site_map.nvrs}
    for camera in site_map.cameras:
        if camera.nvr is not None and camera.nvr.id in recorded:
            recorded[camera.nvr.id].append(camera)
    # Footage searched longer ago than two passes and a pass's deadline: the
    # NVR has not answered since (or the storage checks are not running).
    stale_after = 2 * storage.interval_seconds + storage.timeout_seconds
    retention_target = site_map.retention_days * DAY
    nvr_problems: list[NvrProblem] = []
    disk_problems: list[DiskProblem] = []
    channel_problems: list[ChannelProblem] = []
    for nvr in site_map.nvrs:
        cameras = recorded[nvr.id]
        name = nvr.name or nvr.id
        campus = campuses.get(nvr.campus, nvr.campus) if nvr.campus else ""
        live = storage.live.get(nvr.id) if storage.live is not None else None
        checked = [storage.records[c.id].checked_until for c in cameras if c.id in storage.records]
        last = max(checked) if checked else None
        if live is not None and live.up is False:
            nvr_problems.append(
                NvrProblem(nvr.id, name, campus, "down", live.reason, live.detail, last)
            )
        elif cameras and last is None:
            nvr_problems.append(NvrProblem(nvr.id, name, campus, "never_checked"))
        elif last is not None and now - last > stale_after:
            nvr_problems.append(NvrProblem(nvr.id, name, campus, "stale", last_checked=last))
        if live is not None:
            disk_problems += [
                DiskProblem(nvr.id, name, disk, status)
                for disk, status in live.disks
                if status not in _DISK_NOT_FAILED
            ]
        for camera in cameras:
            found = _channel_problems(
                camera, storage, places, storage.zones.get(nvr.id), retention_target
            )
            if last is None:  # the NVR's line says it already, once for all its channels
                found = [c for c in found if c.problem != "never_checked"]
            channel_problems += found
    return tuple(nvr_problems), tuple(disk_problems), tuple(channel_problems)


def _channel_problems(
    camera: Camera,
    storage: StorageInputs,
    places: _Places,
    tz: tzinfo | None,
    retention_target: float,
) -> list[ChannelProblem]:
    assert camera.nvr is not None
    nvr, number = camera.nvr.id, camera.nvr.channel
    record = storage.records.get(camera.id)
    if record is None:
        return [ChannelProblem(camera.id, places.of(camera.id), nvr, number, "never_checked")]
    found: list[ChannelProblem] = []
    latest = record.intervals[-1][1] if record.intervals else None
    # Judged at the last search, not now: between two passes the newest
    # footage is always a few minutes old. Only the time the schedule
    # expects footage counts (a channel that records 08:00-18:00 is not
    # "not recording" at night).
    since = latest if latest is not None else record.checked_until - retention_target
    expected = expected_intervals(
        since, record.checked_until, camera.nvr.schedule, tz if tz is not None else zone("UTC")
    )
    if total(expected) > RECORDING_NOW_SECONDS:
        found.append(
            ChannelProblem(
                camera.id, places.of(camera.id), nvr, number, "not_recording", footage_until=latest
            )
        )
    integrity = storage.channels.get(camera.id)
    retention = integrity.retention_seconds if integrity is not None else 0.0
    if retention < retention_target * (1 - RATE_TOLERANCE):
        found.append(
            ChannelProblem(
                camera.id,
                places.of(camera.id),
                nvr,
                number,
                "retention",
                retention_days=retention / DAY,
            )
        )
    return found


def monitor_gaps(runs: Iterable[RunLike], start: float, stop: float) -> list[Gap]:
    """The parts of `[start, stop)` outside every monitor run (runs settled by the caller)."""
    if stop <= start:
        return []
    running = clip(monitored_intervals(runs, stop), start, stop)
    gaps: list[Gap] = []
    cursor = start
    for a, b in merge(running):
        if a > cursor:
            gaps.append(Gap(cursor, a))
        cursor = max(cursor, b)
    if cursor < stop:
        gaps.append(Gap(cursor, stop))
    return gaps


def build_daily_report(
    site_map: SiteMap,
    *,
    day: date,
    timezone: str,
    now: float,
    coverage: CoverageReport,
    states: Mapping[str, CameraState],
    availability: AvailabilityReport | None,
    runs: Sequence[RunLike],
    storage: StorageInputs,
    causes: Mapping[str, tuple[str, str]] | None = None,
    poll_interval: float = 0.0,
    title: str | None = None,
    notes: Sequence[str] = (),
) -> DailyReport:
    """The report of `day` (a local day in `timezone`), built at `now`.

    `availability` must be the report over the day's bounds with the day's
    end (or `now`, if earlier) as its "now" (None: no camera has any stored
    history yet, so nothing was monitored), and `runs` the monitor runs
    settled the same way (`settle_runs`); `states` the stored camera states;
    `coverage` the snapshot's coverage built from them and the storage
    picture; `causes` the probable cause of each failing camera
    (`MonitorSnapshot.causes.cause`).
    """
    start, end = day_bounds(day, timezone)
    day_now = max(start, min(end, now))
    places = _Places(site_map)
    school = coverage.school
    down, faulty = _down_and_faulty(site_map, states, causes or {}, places)
    nvrs, disks, channels = _storage(site_map, storage, places, now)
    gaps = monitor_gaps(runs, start, day_now)
    extra = list(notes)
    if storage.live_error:
        extra.append(storage.live_error)
    return DailyReport(
        school=site_map.school,
        title=title or f"{site_map.school} 视频监控日报",
        day=day,
        timezone=timezone,
        start=start,
        end=end,
        generated_at=now,
        rates=_rates(school, coverage.targets),
        campus_rates={
            cid: (rates.name or cid, _rates(rates, coverage.targets))
            for cid, rates in coverage.campuses.items()
        },
        score=coverage.score.value,
        score_max=coverage.score.maximum,
        deductions=tuple((d.points, d.reason) for d in coverage.score.deductions),
        cameras=len(site_map.cameras),
        availability=availability.school.ratio if availability is not None else None,
        outages=_outages(
            availability.all_outages() if availability is not None else [], places, start, day_now
        ),
        down=down,
        video_faults=faulty,
        nvrs=nvrs,
        disks=disks,
        channels=channels,
        unmonitored_seconds=sum(g.seconds for g in gaps),
        monitor_gaps=tuple(gaps),
        notes=tuple(extra),
        negligible_gap_seconds=poll_interval,
    )
