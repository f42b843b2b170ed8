"""Outages and availability from stored state transitions: pure functions, no I/O.

Inputs are what the store returns: each camera's transitions in time order
(`Store.transitions`), the monitor's runs (`Store.monitor_runs`) and, per
camera, merged maintenance intervals (`monitor.history.maintenance.expand`).
All times are unix seconds; every interval is half-open `[start, end)`, so a
transition exactly on a boundary belongs to the later segment.

The rules (docs/availability.md has them with worked examples):

- A camera's time is online, offline or unmonitored. It is unmonitored
  outside every monitor run (`[started_at, stopped_at or now)`) and before the
  camera's first transition (its first probe). Otherwise it has the state of
  its last transition; a monitor restart is not a transition.
- Availability = online seconds / monitored seconds (None when nothing was
  monitored). Maintenance time is reported beside it, never removed from it:
  `ratio_outside_maintenance` is the same ratio with maintenance time taken
  out of both numerator and denominator.
- An outage runs from a change to offline (or a first probe that found the
  camera offline) to the next change to online; the monitor being down in
  between splits nothing, its time is the outage's unmonitored part.
- The period is cut at `now`: time after `now` has not happened and counts
  nowhere.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from operator import attrgetter
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from monitor.history.batch import totals
from monitor.history.periods import WINDOWS, Interval, Measure, intersect, merge
from monitor.state import Transition
from site_map.model import SiteMap

__all__ = [
    "WINDOWS",
    "Availability",
    "AvailabilityReport",
    "Outage",
    "Run",
    "RunLike",
    "State",
    "availability_report",
    "camera_availability",
    "camera_outages",
    "camera_timeline",
    "group_by_camera",
    "monitored_intervals",
    "mttr",
    "scope_availability",
    "settle_runs",
]

State = Literal["online", "offline", "unmonitored"]
Segment = tuple[float, float, State]

# Below this many seconds a denominator is taken as empty (float noise).
_EPSILON = 1e-6
_AT = attrgetter("at")


class RunLike(Protocol):
    """A monitor run as `Store.monitor_runs` returns it (`MonitorRun`)."""

    @property
    def started_at(self) -> float: ...

    @property
    def stopped_at(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Run:
    """A monitor run, as `settle_runs` returns it (same fields as `MonitorRun`)."""

    started_at: float
    stopped_at: float | None
    clean_stop: bool = False


@dataclass(frozen=True, slots=True)
class Outage:
    """One outage of one camera, measured within the period asked.

    `start`/`end` are the outage's own times (`end` None: still down at `now`),
    which may lie outside the period. `seconds` is the outage's time inside the
    period (up to `now` while it goes on) and splits into three disjoint parts:
    `unmonitored_seconds` (the monitor was down), `maintenance_seconds`
    (monitored, inside a maintenance window) and the rest (monitored, outside
    maintenance).
    """

    camera: str
    start: float
    end: float | None
    stage: str | None
    reason: str | None
    seconds: float
    maintenance_seconds: float
    unmonitored_seconds: float

    @property
    def ongoing(self) -> bool:
        return self.end is None

    @property
    def offline_seconds(self) -> float:
        """Monitored offline seconds of this outage inside the period."""
        return self.seconds - self.unmonitored_seconds

    def duration(self, now: float) -> float:
        """The whole outage's length, up to `now` while it goes on."""
        return (now if self.end is None else self.end) - self.start

    def to_dict(self) -> dict[str, object]:
        return {
            "camera": self.camera,
            "start": self.start,
            "end": self.end,
            "ongoing": self.ongoing,
            "stage": self.stage,
            "reason": self.reason,
            "seconds": self.seconds,
            "offline_seconds": self.offline_seconds,
            "maintenance_seconds": self.maintenance_seconds,
            "unmonitored_seconds": self.unmonitored_seconds,
        }


@dataclass(frozen=True, slots=True)
class Availability:
    """Availability of a camera, or of the cameras of a site, campus or school.

    For a scope, every `*_seconds` is a sum over its cameras (camera-seconds),
    so `period_seconds = monitored_seconds + unmonitored_seconds` and
    `monitored_seconds = online_seconds + offline_seconds` hold at every level.
    `maintenance_seconds` is monitored time inside maintenance (online or not),
    `offline_in_maintenance_seconds` the offline part of it.
    """

    scope: str  # "camera", "site", "campus" or "school"
    id: str
    start: float  # the period asked: [start, end)
    end: float
    period_seconds: float  # of the period up to `now`, times `cameras`
    monitored_seconds: float
    online_seconds: float
    offline_seconds: float
    unmonitored_seconds: float
    maintenance_seconds: float
    offline_in_maintenance_seconds: float
    ratio: float | None  # online / monitored
    ratio_outside_maintenance: float | None
    outages: int  # outages overlapping the period
    flaps: int  # online-state changes in the period (a first probe is none)
    outages_ended: int = 0  # of `outages`, those that ended
    mttr_seconds: float | None = None  # mean whole length of the ended ones
    cameras: int = 1
    cameras_monitored: int = 0  # cameras with some monitored time in the period
    cameras_with_outages: int = 0

    def to_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _ratio(numerator: float, denominator: float) -> float | None:
    if denominator <= _EPSILON:
        return None
    return min(1.0, max(0.0, numerator / denominator))


# --- monitor runs --------------------------------------------------------------------


def monitored_intervals(runs: Iterable[RunLike], now: float) -> list[Interval]:
    """The merged time the monitor was running: each run's `[started_at, stopped_at or now)`."""
    return merge(
        (run.started_at, min(now, run.stopped_at if run.stopped_at is not None else now))
        for run in runs
    )


def settle_runs(
    runs: Iterable[RunLike], *, last_cycle_at: float | None, now: float, grace: float
) -> list[Run]:
    """Runs with a dead monitor's open run closed, for readers outside the monitor.

    A run without `stopped_at` counts as running up to `now`. When the last
    poll cycle ended (`Store.last_cycle().finished_at`) more than `grace`
    seconds ago (say three poll intervals), the process is gone: its open run
    is taken as stopped at that cycle's end, or at its own start when it never
    finished a cycle (the rule the store applies when the next run starts).
    """
    settled: list[Run] = []
    for run in runs:
        stopped = run.stopped_at
        clean = bool(getattr(run, "clean_stop", stopped is not None))
        if stopped is None:
            seen = last_cycle_at if last_cycle_at is not None else run.started_at
            seen = max(seen, run.started_at)
            if now - seen > grace:
                stopped, clean = seen, False
        settled.append(Run(run.started_at, stopped, clean))
    return settled


# --- one camera ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Period:
    start: float
    end: float
    stop: float  # min(end, now): the part of the period that has happened
    now: float
    monitored: list[Interval]
    measure: Measure

    @classmethod
    def build(cls, runs: Iterable[RunLike], start: float, end: float, now: float) -> _Period:
        stop = max(start, min(end, now))
        monitored = [
            (max(a, start), min(b, stop))
            for a, b in monitored_intervals(runs, now)
            if b > start and a < stop
        ]
        return cls(start, end, stop, now, monitored, Measure(monitored))


@dataclass(slots=True)
class _Scan:
    online: float = 0.0
    offline: float = 0.0
    online_maintenance: float = 0.0
    offline_maintenance: float = 0.0
    flaps: int = 0
    # (start, end or None, stage, reason, seconds, maintenance, unmonitored, whole length)
    outages: list[tuple[float, float | None, object, object, float, float, float, float]] = field(
        default_factory=list
    )


def _scan(
    transitions: Sequence[Transition], period: _Period, maintenance: Sequence[Interval]
) -> _Scan:
    """One pass over a camera's time-ordered transitions."""
    ts = transitions
    s, e, now = period.start, period.stop, period.now
    result = _Scan()
    if e <= s:
        return result
    upto = period.measure.upto
    in_maintenance: Measure | None = None
    if maintenance:
        both = intersect(period.monitored, merge(maintenance))
        if both:
            in_maintenance = Measure(both)
    n = bisect_right(ts, now, key=_AT)  # a transition after `now` has not happened
    before = bisect_left(ts, s, 0, n, key=_AT) - 1  # last transition before the period
    stop = bisect_left(ts, e, before + 1, n, key=_AT)  # first one at or after its end

    current: bool | None = None
    opened: Transition | None = None  # the transition that started the current outage
    if before >= 0:
        current = bool(ts[before].online)
        if not current:
            k = before
            while k > 0 and not ts[k - 1].online:
                k -= 1
            opened = ts[k]
    spans: list[tuple[Transition, float | None]] = []
    online = offline = online_m = offline_m = 0.0
    flaps = 0
    f_pos = 0.0
    m_pos = 0.0
    for j in range(before + 1, stop):
        t = ts[j]
        state = t.online
        if state == current:
            continue
        at = t.at
        f_at = upto(at)
        if current is None:
            if in_maintenance is not None:
                m_pos = in_maintenance.upto(at)
        else:
            flaps += 1
            if current:
                online += f_at - f_pos
            else:
                offline += f_at - f_pos
            if in_maintenance is not None:
                m_at = in_maintenance.upto(at)
                if current:
                    online_m += m_at - m_pos
                else:
                    offline_m += m_at - m_pos
                m_pos = m_at
        f_pos = f_at
        if state:
            if opened is not None:
                spans.append((opened, at))
                opened = None
        else:
            opened = t
        current = bool(state)
    if current is not None:
        tail = period.measure.total - f_pos
        tail_m = in_maintenance.total - m_pos if in_maintenance is not None else 0.0
        if current:
            online += tail
            online_m += tail_m
        else:
            offline += tail
            offline_m += tail_m
    if opened is not None:
        until: float | None = None
        for j in range(stop, n):
            if ts[j].online:
                until = ts[j].at
                break
        spans.append((opened, until))

    result.online, result.offline = online, offline
    result.online_maintenance, result.offline_maintenance = online_m, offline_m
    result.flaps = flaps
    for first, until in spans:
        a = first.at if first.at > s else s
        b = e if until is None or until > e else until
        if b <= a:
            continue
        monitored = upto(b) - upto(a)
        maint = in_maintenance.between(a, b) if in_maintenance is not None else 0.0
        whole = (now if until is None else until) - first.at
        result.outages.append(
            (first.at, until, first.stage, first.reason, b - a, maint, b - a - monitored, whole)
        )
    return result


def _own(camera: str, transitions: Iterable[Transition]) -> list[Transition]:
    return sorted((t for t in transitions if t.camera == camera), key=_AT)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _outages(camera: str, scan: _Scan) -> list[Outage]:
    return [
        Outage(camera, start, end, _text(stage), _text(reason), seconds, maint, unmonitored)
        for start, end, stage, reason, seconds, maint, unmonitored, _ in scan.outages
    ]


def _availability(
    camera: str, scan: _Scan, period: _Period, *, scope: str = "camera"
) -> Availability:
    period_seconds = period.stop - period.start
    monitored = scan.online + scan.offline
    maintenance = scan.online_maintenance + scan.offline_maintenance
    ended = [o[7] for o in scan.outages if o[1] is not None]
    return Availability(
        scope=scope,
        id=camera,
        start=period.start,
        end=period.end,
        period_seconds=period_seconds,
        monitored_seconds=monitored,
        online_seconds=scan.online,
        offline_seconds=scan.offline,
        unmonitored_seconds=max(0.0, period_seconds - monitored),
        maintenance_seconds=maintenance,
        offline_in_maintenance_seconds=scan.offline_maintenance,
        ratio=_ratio(scan.online, monitored),
        ratio_outside_maintenance=_ratio(
            scan.online - scan.online_maintenance, monitored - maintenance
        ),
        outages=len(scan.outages),
        flaps=scan.flaps,
        outages_ended=len(ended),
        mttr_seconds=math.fsum(ended) / len(ended) if ended else None,
        cameras=1,
        cameras_monitored=1 if monitored > _EPSILON else 0,
        cameras_with_outages=1 if scan.outages else 0,
    )


def camera_timeline(
    transitions: Sequence[Transition],
    runs: Iterable[RunLike],
    *,
    start: float,
    end: float,
    now: float,
) -> list[Segment]:
    """The camera's state over `[start, min(end, now))` as maximal `(t0, t1, state)` segments.

    `transitions` are one camera's (in any order). The segments cover the
    period without gaps; adjacent segments differ in state.
    """
    ts = sorted((t for t in transitions if t.at <= now), key=_AT)
    period = _Period.build(runs, start, end, now)
    s, e = period.start, period.stop
    if e <= s:
        return []
    ats = [t.at for t in ts]
    cuts = {s, e}
    for interval in period.monitored:
        cuts.update(interval)
    cuts.update(a for a in ats if s < a < e)
    points = sorted(c for c in cuts if s <= c <= e)
    segments: list[Segment] = []
    for t0, t1 in pairwise(points):
        k = bisect_right(ats, t0) - 1
        state: State
        if k < 0 or not period.measure.covers(t0):
            state = "unmonitored"
        else:
            state = "online" if ts[k].online else "offline"
        if segments and segments[-1][2] == state and segments[-1][1] == t0:
            segments[-1] = (segments[-1][0], t1, state)
        else:
            segments.append((t0, t1, state))
    return segments


def camera_outages(
    camera: str,
    transitions: Iterable[Transition],
    runs: Iterable[RunLike],
    maintenance_intervals: Sequence[Interval],
    *,
    start: float,
    end: float,
    now: float,
) -> list[Outage]:
    """The camera's outages that overlap `[start, min(end, now))`, in order.

    Give the camera's transitions from before `start` too (at least its last
    one before it, and those after `end` up to `now` to know when an outage
    that crosses `end` ended). Transitions of other cameras are ignored.
    """
    period = _Period.build(runs, start, end, now)
    return _outages(camera, _scan(_own(camera, transitions), period, maintenance_intervals))


def camera_availability(
    camera: str,
    transitions: Iterable[Transition],
    runs: Iterable[RunLike],
    maintenance_intervals: Sequence[Interval],
    *,
    start: float,
    end: float,
    now: float,
) -> Availability:
    """The camera's availability over `[start, end)` (up to `now`)."""
    period = _Period.build(runs, start, end, now)
    scan = _scan(_own(camera, transitions), period, maintenance_intervals)
    return _availability(camera, scan, period)


def mttr(outages: Iterable[Outage]) -> float | None:
    """Mean time to repair: the mean whole length of the outages that ended (None: none)."""
    lengths = [o.end - o.start for o in outages if o.end is not None]
    return math.fsum(lengths) / len(lengths) if lengths else None


# --- scopes --------------------------------------------------------------------------


def scope_availability(
    scope: str, id: str, members: Iterable[Availability], *, start: float, end: float
) -> Availability:
    """Time-weighted aggregate of `members` (each camera once): Σ online / Σ monitored."""
    period = monitored = online = offline = unmonitored = 0.0
    maintenance = offline_m = repair = 0.0
    outages = flaps = ended = cameras = cameras_monitored = cameras_with_outages = 0
    for m in members:
        period += m.period_seconds
        monitored += m.monitored_seconds
        online += m.online_seconds
        offline += m.offline_seconds
        unmonitored += m.unmonitored_seconds
        maintenance += m.maintenance_seconds
        offline_m += m.offline_in_maintenance_seconds
        outages += m.outages
        flaps += m.flaps
        if m.outages_ended and m.mttr_seconds is not None:
            ended += m.outages_ended
            repair += m.mttr_seconds * m.outages_ended
        cameras += m.cameras
        cameras_monitored += m.cameras_monitored
        cameras_with_outages += m.cameras_with_outages
    online_m = maintenance - offline_m
    return Availability(
        scope=scope,
        id=id,
        start=start,
        end=end,
        period_seconds=period,
        monitored_seconds=monitored,
        online_seconds=online,
        offline_seconds=offline,
        unmonitored_seconds=unmonitored,
        maintenance_seconds=maintenance,
        offline_in_maintenance_seconds=offline_m,
        ratio=_ratio(online, monitored),
        ratio_outside_maintenance=_ratio(online - online_m, monitored - maintenance),
        outages=outages,
        flaps=flaps,
        outages_ended=ended,
        mttr_seconds=repair / ended if ended else None,
        cameras=cameras,
        cameras_monitored=cameras_monitored,
        cameras_with_outages=cameras_with_outages,
    )


class AvailabilityReport:
    """Availability of every camera, key site, campus and the school over one period.

    `cameras` holds every configured camera. A site's figures are over the
    cameras that list it; a campus's and the school's over the cameras that
    list at least one of their sites, each camera once (a camera covering
    two sites counts in both sites). Outage lists are built on demand.
    """

    def __init__(
        self,
        *,
        period: _Period,
        cameras: dict[str, Availability],
        sites: dict[str, Availability],
        campuses: dict[str, Availability],
        school: Availability,
        transitions: Mapping[str, Sequence[Transition]],
        maintenance: Mapping[str, Sequence[Interval]],
    ) -> None:
        self.start, self.end, self.now = period.start, period.end, period.now
        self.cameras = cameras
        self.sites = sites
        self.campuses = campuses
        self.school = school
        self._period = period
        self._transitions = transitions
        self._maintenance = maintenance

    def outages(self, camera: str) -> list[Outage]:
        """The camera's outages overlapping the period (empty for an unknown camera)."""
        if camera not in self.cameras:
            return []
        scan = _scan(
            self._transitions.get(camera, _NO_TRANSITIONS),
            self._period,
            self._maintenance.get(camera, _NO_INTERVALS),
        )
        return _outages(camera, scan)

    def all_outages(self) -> list[Outage]:
        """Every outage of every camera, ordered by start then camera."""
        found = [o for camera, a in self.cameras.items() if a.outages for o in self.outages(camera)]
        return sorted(found, key=lambda o: (o.start, o.camera))

    def to_dict(self, *, with_outages: bool = False) -> dict[str, object]:
        data: dict[str, object] = {
            "start": self.start,
            "end": self.end,
            "now": self.now,
            "school": self.school.to_dict(),
            "campuses": {k: v.to_dict() for k, v in self.campuses.items()},
            "sites": {k: v.to_dict() for k, v in self.sites.items()},
            "cameras": {k: v.to_dict() for k, v in self.cameras.items()},
        }
        if with_outages:
            data["outages"] = [o.to_dict() for o in self.all_outages()]
        return data


_NO_TRANSITIONS: Sequence[Transition] = ()
_NO_INTERVALS: Sequence[Interval] = ()


def _scopes(
    scope: str,
    ids: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    columns: dict[str, npt.NDArray[np.float64]],
    *,
    start: float,
    end: float,
) -> dict[str, Availability]:
    """`scope_availability` of many scopes at once; `pairs` are (scope index, camera index)."""
    count = len(ids)
    if pairs:
        which = np.asarray([p[0] for p in pairs], dtype=np.int64)
        members = np.asarray([p[1] for p in pairs], dtype=np.int64)
    else:
        which = members = np.zeros(0, dtype=np.int64)
    sums = {
        name: np.bincount(which, weights=values[members], minlength=count).tolist()
        for name, values in columns.items()
    }
    result: dict[str, Availability] = {}
    for i, scope_id in enumerate(ids):
        monitored = sums["online"][i] + sums["offline"][i]
        maintenance = sums["online_m"][i] + sums["offline_m"][i]
        ended = round(sums["ended"][i])
        result[scope_id] = Availability(
            scope=scope,
            id=scope_id,
            start=start,
            end=end,
            period_seconds=sums["period"][i],
            monitored_seconds=monitored,
            online_seconds=sums["online"][i],
            offline_seconds=sums["offline"][i],
            unmonitored_seconds=sums["unmonitored"][i],
            maintenance_seconds=maintenance,
            offline_in_maintenance_seconds=sums["offline_m"][i],
            ratio=_ratio(sums["online"][i], monitored),
            ratio_outside_maintenance=_ratio(
                sums["online"][i] - sums["online_m"][i], monitored - maintenance
            ),
            outages=round(sums["outages"][i]),
            flaps=round(sums["flaps"][i]),
            outages_ended=ended,
            mttr_seconds=sums["repair"][i] / ended if ended else None,
            cameras=round(sums["cameras"][i]),
            cameras_monitored=round(sums["monitored"][i]),
            cameras_with_outages=round(sums["with_outages"][i]),
        )
    return result


def availability_report(
    site_map: SiteMap,
    transitions_by_camera: Mapping[str, Sequence[Transition]],
    runs: Iterable[RunLike],
    maintenance_by_camera: Mapping[str, Sequence[Interval]],
    *,
    start: float,
    end: float,
    now: float,
) -> AvailabilityReport:
    """Availability of every camera, site, campus and the school over `[start, end)`.

    `transitions_by_camera[camera]` must be in time order, as the store returns
    them (`group_by_camera(store.transitions())`), and reach back before
    `start`. Cameras the site map does not list are ignored. The figures are
    those `camera_availability` and `scope_availability` give, computed for
    all cameras at once.
    """
    period = _Period.build(list(runs), start, end, now)
    ids = [camera.id for camera in site_map.cameras]
    found = totals(
        [transitions_by_camera.get(c, _NO_TRANSITIONS) for c in ids],
        [maintenance_by_camera.get(c, _NO_INTERVALS) for c in ids],
        start=period.start,
        stop=period.stop,
        now=period.now,
        monitored=period.monitored,
    )
    period_seconds = period.stop - period.start
    monitored = found.online + found.offline
    ended = found.outages_ended
    columns = {
        "period": np.full(len(ids), period_seconds),
        "online": found.online,
        "offline": found.offline,
        "unmonitored": np.maximum(0.0, period_seconds - monitored),
        "online_m": found.online_maintenance,
        "offline_m": found.offline_maintenance,
        "outages": found.outages.astype(np.float64),
        "flaps": found.flaps.astype(np.float64),
        "ended": ended.astype(np.float64),
        "repair": found.repair_seconds,
        "cameras": np.ones(len(ids)),
        "monitored": (monitored > _EPSILON).astype(np.float64),
        "with_outages": (found.outages > 0).astype(np.float64),
    }
    cameras = _scopes(
        "camera", ids, [(i, i) for i in range(len(ids))], columns, start=start, end=end
    )
    index = {camera: i for i, camera in enumerate(ids)}
    site_ids = [site.id for site in site_map.sites]
    site_index = {site: i for i, site in enumerate(site_ids)}
    campus_ids = [campus.id for campus in site_map.campuses]
    campus_index = {campus: i for i, campus in enumerate(campus_ids)}
    campus_of = {site.id: campus_index.get(site.campus) for site in site_map.sites}
    site_pairs: list[tuple[int, int]] = []
    campus_pairs: set[tuple[int, int]] = set()
    school_pairs: set[tuple[int, int]] = set()
    for camera in site_map.cameras:
        i = index[camera.id]
        for site_id in dict.fromkeys(camera.sites):
            if site_id not in site_index:
                continue
            site_pairs.append((site_index[site_id], i))
            school_pairs.add((0, i))
            campus = campus_of[site_id]
            if campus is not None:
                campus_pairs.add((campus, i))
    sites = _scopes("site", site_ids, site_pairs, columns, start=start, end=end)
    campuses = _scopes("campus", campus_ids, sorted(campus_pairs), columns, start=start, end=end)
    school = _scopes(
        "school", [site_map.school], sorted(school_pairs), columns, start=start, end=end
    )[site_map.school]
    return AvailabilityReport(
        period=period,
        cameras=cameras,
        sites=sites,
        campuses=campuses,
        school=school,
        transitions=transitions_by_camera,
        maintenance=maintenance_by_camera,
    )


def group_by_camera(transitions: Iterable[Transition]) -> dict[str, list[Transition]]:
    """Split the store's time-ordered transitions by camera, keeping their order."""
    grouped: dict[str, list[Transition]] = {}
    for t in transitions:
        grouped.setdefault(t.camera, []).append(t)
    return grouped
