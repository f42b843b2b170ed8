"""The period report for assessors: the scorecard over a period, with the evidence behind it.

`build_period_report` reads what the store holds for a period of local days
and returns a `PeriodReport`; the renderers (JSON, CSV, XLSX, HTML, PDF) only
lay it out. Every rate is a `Figure` (numerator, denominator, unit), so each
number in every format can be checked by hand. docs/report.md explains the
sections and a worked example.

The rates over a period:

- install   = key sites install-ok / key sites, from the site map in force
  (the installation as of the period's end: the site map has no history);
- availability = Σ online camera-seconds / Σ monitored camera-seconds;
- intact    = Σ intact camera-seconds / Σ monitored camera-seconds (the
  time-weighted intact rate, from the stored intact changes);
- storage   = Σ recorded seconds / Σ expected seconds of the recorded channels
  over the period (each channel at most its expected seconds).

A scope's cameras are those that list at least one of its key sites, each
camera once. A filtered report (campus, category, unit) is the report of the
key sites that match every filter and the cameras that cover them; the score
is then the score of that scope, and its gate rule looks at the scope's gates
only (a scope without a gate is not charged for the school's gates).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from monitor.config import ResolvedConfig
from monitor.daily_report.summary import day_bounds
from monitor.history.availability import (
    Availability,
    AvailabilityReport,
    Outage,
    scope_availability,
)
from monitor.history.periods import zone
from monitor.history.query import HistoryReader
from monitor.recordings.integrity import DAY
from monitor.recordings.period import period_storage
from monitor.recordings.poller import RecordingPoller
from monitor.recordings.snapshot import RecordingSnapshot
from monitor.storage.store import Store
from site_map.coverage import (
    CameraHealth,
    ChannelStorage,
    CoverageReport,
    ScopeRates,
    compute_coverage,
)
from site_map.loader import LoadedSiteMap
from site_map.model import SiteMap, Targets
from site_map.policy import categories_in_force
from site_map.score import (
    GATE_CAPABILITIES,
    GATE_CATEGORY,
    MAX_POINTS,
    RATE_TOLERANCE,
    Deduction,
    compute_score,
    format_target,
    meets,
)

__all__ = [
    "TARGETED_RULES",
    "BlindRouteRow",
    "CameraRow",
    "ChannelRow",
    "DayRow",
    "Figure",
    "IntersectionRow",
    "OutageRow",
    "PeriodReport",
    "ReportError",
    "ReportPeriod",
    "ScopeRow",
    "ScoreLine",
    "Scorecard",
    "SinglePointRow",
    "SiteRow",
    "build_period_report",
    "check_filters",
    "figure_text",
    "parse_report_period",
    "percent_text",
    "scope_site_map",
]

# A year, leap or not: an annual assessment. Longer periods read years of history at once.
MAX_DAYS = 366

# Below this a denominator of seconds is empty (float noise), as in the availability maths.
_EPSILON = 1e-6

SITES = "sites"
GATE_SITES = "gate sites"
CAMERA_SECONDS = "camera-seconds"
SECONDS = "seconds"
POINTS = "points"
MAIN_SEGMENTS = "main-road segments"
TARGETED_RULES: tuple[str, ...] = ("install", "intact", "storage")

RATE_NAMES: dict[str, tuple[str, str]] = {
    "install": ("安装率", "install"),
    "availability": ("在线率（时间加权）", "availability"),
    "intact": ("设备完好率（时间加权）", "intact"),
    "storage": ("后台存储资料完好率", "storage"),
    "gate_capabilities": ("校门人脸识别与车辆卡口", "gate face recognition and checkpoints"),
    "score": ("得分", "score"),
}


class ReportError(ValueError):
    """A report cannot be made as asked: bad dates, an unknown filter value."""


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class Figure:
    """A rate with the counts behind it: `numerator / denominator` in `unit`."""

    numerator: float
    denominator: float
    unit: str

    @property
    def ratio(self) -> float | None:
        """numerator / denominator; None (absent, never 0 or 1) over an empty denominator."""
        if self.denominator <= (_EPSILON if self.unit in (CAMERA_SECONDS, SECONDS) else 0):
            return None
        return self.numerator / self.denominator

    def meets(self, target: float) -> bool:
        return meets(self.ratio, target)

    def met(self, target: float) -> bool | None:
        """`meets`, shown as a verdict: None (not judged) over an empty denominator."""
        return None if self.ratio is None else self.meets(target)

    def to_dict(self) -> dict[str, Any]:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "ratio": self.ratio,
            "unit": self.unit,
        }


def _seconds_figure(a: Availability | None) -> Figure:
    """Online (or intact) camera-seconds over monitored camera-seconds."""
    if a is None:
        return Figure(0.0, 0.0, CAMERA_SECONDS)
    return Figure(a.online_seconds, a.monitored_seconds, CAMERA_SECONDS)


def _channel_figure(channel: ChannelStorage | None) -> Figure | None:
    """One channel's recorded / expected seconds; None when it is not a recorded channel."""
    return None if channel is None else _storage_figure([channel])[0]


def _storage_figure(channels: Iterable[ChannelStorage]) -> tuple[Figure, int]:
    """Σ recorded / Σ expected seconds, each channel at most its expected seconds."""
    recorded = expected = 0.0
    count = 0
    for channel in channels:
        exp = max(0.0, float(channel.expected_seconds))
        recorded += min(max(0.0, float(channel.recorded_seconds)), exp)
        expected += exp
        count += 1
    return Figure(recorded, expected, SECONDS), count


# --------------------------------------------------------------------------- the period


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """Local days `first_day` … `last_day` (both included) = `[start, end)` in unix seconds."""

    first_day: date
    last_day: date
    timezone: str
    start: float
    end: float

    @classmethod
    def of(cls, first_day: date, last_day: date, timezone: str) -> ReportPeriod:
        if last_day < first_day:
            raise ReportError(
                f"the period ends ({last_day.isoformat()}) before it begins"
                f" ({first_day.isoformat()})"
            )
        if (last_day - first_day).days + 1 > MAX_DAYS:
            raise ReportError(
                f"a report covers at most {MAX_DAYS} days; make one per year (or shorter)"
            )
        start, _ = day_bounds(first_day, timezone)
        _, end = day_bounds(last_day, timezone)
        return cls(first_day, last_day, timezone, start, end)

    def days(self) -> list[tuple[date, float, float]]:
        """Each local day with its `[start, end)` (23 or 25 h long on DST days)."""
        count = (self.last_day - self.first_day).days + 1
        days = (self.first_day + timedelta(days=i) for i in range(count))
        return [(day, *day_bounds(day, self.timezone)) for day in days]

    def local_time(self, seconds: float) -> datetime:
        """A unix time as an aware date-time in the report's zone."""
        return datetime.fromtimestamp(seconds, zone(self.timezone))


def _parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(f"{what} '{text}' is not a date: write YYYY-MM-DD") from None


def parse_report_period(first: str, last: str, timezone: str) -> ReportPeriod:
    """`--from 2026-11-01 --to 2026-11-30`: both days included, local days in `timezone`."""
    try:
        zone(timezone)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    return ReportPeriod.of(_parse_day(first, "from"), _parse_day(last, "to"), timezone)


# --------------------------------------------------------------------------- scope


def check_filters(
    site_map: SiteMap, *, campus: str | None, category: str | None, unit: str | None
) -> None:
    """A ReportError naming the known values when a filter names nothing in the site map."""
    campuses = [c.id for c in site_map.campuses]
    if campus is not None and campus not in campuses:
        raise ReportError(f"unknown campus '{campus}': the site map has {', '.join(campuses)}")
    known = categories_in_force(site_map)
    if category is not None and category not in known:
        used = sorted(dict.fromkeys(s.category for s in site_map.sites))
        raise ReportError(
            f"unknown category '{category}': the site map's key sites are of {', '.join(used)}"
        )
    units = sorted(dict.fromkeys(s.unit for s in site_map.sites if s.unit))
    if unit is not None and unit not in units:
        raise ReportError(
            f"unknown unit '{unit}': the site map names "
            + (", ".join(units) if units else "no responsible unit")
        )


def scope_site_map(
    site_map: SiteMap,
    *,
    campus: str | None = None,
    category: str | None = None,
    unit: str | None = None,
) -> SiteMap:
    """The site map cut to the key sites matching every filter and the cameras covering them.

    A camera keeps only its in-scope sites (the others are outside the report);
    campuses are those of the kept sites (the filtered campus always). Roads
    and NVRs are kept whole: they are context, not counted.
    """
    if campus is None and category is None and unit is None:
        return site_map
    sites = tuple(
        s
        for s in site_map.sites
        if (campus is None or s.campus == campus)
        and (category is None or s.category == category)
        and (unit is None or s.unit == unit)
    )
    kept = {s.id for s in sites}
    cameras = []
    for camera in site_map.cameras:
        own = tuple(sid for sid in camera.sites if sid in kept)
        if own:
            cameras.append(
                camera if own == camera.sites else camera.model_copy(update={"sites": own})
            )
    used = {s.campus for s in sites} | ({campus} if campus else set())
    campuses = tuple(c for c in site_map.campuses if c.id in used)
    return site_map.model_copy(
        update={"sites": sites, "cameras": tuple(cameras), "campuses": campuses}
    )


# --------------------------------------------------------------------------- the report model


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """One line of the scorecard: a rule, its figure, its target and what it cost."""

    rule: str  # install | intact | storage | availability | gate_capabilities
    figure: Figure
    target: float | None  # None: no target (availability)
    met: bool | None  # None: no target, or the rule does not apply to the scope
    points: int  # deducted
    reason: str

    @property
    def name_zh(self) -> str:
        return RATE_NAMES[self.rule][0]

    @property
    def name_en(self) -> str:
        return RATE_NAMES[self.rule][1]


@dataclass(frozen=True, slots=True)
class Scorecard:
    lines: tuple[ScoreLine, ...]
    value: int
    maximum: int
    deductions: tuple[Deduction, ...]
    school_wide: bool  # False: a filtered report's score of its scope


@dataclass(frozen=True, slots=True)
class ScopeRow:
    """The rates of one scope (the report's whole scope, a campus, a category, a unit)."""

    scope_type: str  # "school" | "scope" (filtered) | "campus" | "category" | "unit"
    scope_id: str
    name: str
    sites: int
    cameras: int
    install: Figure
    availability: Figure
    intact: Figure
    storage: Figure
    channels: int  # recorded channels behind `storage`
    unmonitored_seconds: float  # camera-seconds the monitor itself was not running
    outages: int
    outages_ended: int
    mttr_seconds: float | None

    def met(self, targets: Targets) -> dict[str, bool | None]:
        """Each targeted rate (install, intact, storage) against its target."""
        return {rule: getattr(self, rule).met(getattr(targets, rule)) for rule in TARGETED_RULES}


@dataclass(frozen=True, slots=True)
class SiteRow:
    id: str
    name: str
    campus: str
    category: str
    unit: str | None
    required: int
    installed: int
    provided: tuple[str, ...]
    missing: tuple[str, ...]
    install_ok: bool
    cameras: tuple[str, ...]
    availability: Figure
    intact: Figure
    storage: Figure
    channels: int
    reasons: tuple[str, ...]  # every reason the site is not compliant over the period

    @property
    def compliant(self) -> bool:
        return not self.reasons


@dataclass(frozen=True, slots=True)
class CameraRow:
    id: str
    name: str
    sites: tuple[str, ...]
    campuses: tuple[str, ...]
    nvr: str | None
    channel: int | None
    availability: Figure
    intact: Figure
    unmonitored_seconds: float
    outages: int
    outages_ended: int
    mttr_seconds: float | None
    storage: Figure | None  # None: not a recorded channel (no figures for the period)


@dataclass(frozen=True, slots=True)
class OutageRow:
    """One outage overlapping the period, as the availability maths found it."""

    camera: str
    camera_name: str
    sites: tuple[str, ...]
    start: float  # the outage's own start (may be before the period)
    end: float | None  # None: not over by the time the report was made
    stage: str | None
    reason: str | None
    seconds: float  # inside the period
    offline_seconds: float  # of those, monitored
    maintenance_seconds: float
    unmonitored_seconds: float
    length_seconds: float  # the whole outage, up to the report's time while it goes on

    @property
    def ongoing(self) -> bool:
        return self.end is None

    @property
    def repair_seconds(self) -> float | None:
        """Time to repair: the whole length of an outage that ended (what MTTR averages)."""
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True, slots=True)
class ChannelRow:
    camera: str
    camera_name: str
    nvr: str
    channel: int
    period: Figure | None  # recorded / expected over the period; None: never searched
    retention_seconds: float | None  # how far back the footage reaches now
    earliest: float | None
    recording_now: bool | None
    retention_target_days: int

    @property
    def retention_days(self) -> float | None:
        return None if self.retention_seconds is None else self.retention_seconds / DAY

    @property
    def retention_met(self) -> bool | None:
        if self.retention_seconds is None:
            return None
        return self.retention_seconds >= self.retention_target_days * DAY * (1 - RATE_TOLERANCE)


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    start: float
    end: float
    availability: Figure
    intact: Figure
    storage: Figure
    channels: int


@dataclass(frozen=True, slots=True)
class BlindRouteRow:
    gate_site: str
    target_site: str
    target_category: str
    path: tuple[str, ...]
    length_m: float


@dataclass(frozen=True, slots=True)
class SinglePointRow:
    site: str
    category: str
    camera: str


@dataclass(frozen=True, slots=True)
class IntersectionRow:
    node: str
    site: str | None
    covered: bool
    covered_by: tuple[str, ...]


@dataclass(frozen=True)
class PeriodReport:
    school: str
    period: ReportPeriod
    generated_at: float
    as_of: float  # min(end, generated_at): the map and graph show the state at this moment
    filters: Mapping[str, str | None]
    scope_name: str
    targets: Targets
    retention_days: int
    scorecard: Scorecard
    total: ScopeRow
    campuses: tuple[ScopeRow, ...]
    categories: tuple[ScopeRow, ...]
    units: tuple[ScopeRow, ...]
    sites: tuple[SiteRow, ...]
    cameras: tuple[CameraRow, ...]
    outages: tuple[OutageRow, ...]
    channels: tuple[ChannelRow, ...]
    days: tuple[DayRow, ...]
    map_svg: str | None
    graph_note: str | None  # why there are no road-graph findings; None: analysed
    blind_routes: tuple[BlindRouteRow, ...]
    single_points: tuple[SinglePointRow, ...]
    intersections: tuple[IntersectionRow, ...]
    main_segments: Figure | None  # covered / all main-road segments (unfiltered reports)
    notes: tuple[str, ...]
    campus_names: Mapping[str, str]
    category_names: Mapping[str, str]

    @property
    def filtered(self) -> bool:
        return any(v is not None for v in self.filters.values())

    @property
    def non_compliant_sites(self) -> tuple[SiteRow, ...]:
        return tuple(s for s in self.sites if not s.compliant)

    @property
    def scopes(self) -> tuple[ScopeRow, ...]:
        return (self.total, *self.campuses, *self.categories, *self.units)

    @property
    def mttr_seconds(self) -> float | None:
        return self.total.mttr_seconds


# --------------------------------------------------------------------------- building


@dataclass(frozen=True)
class _Inputs:
    """What the store says of the period, for the whole school (cut to scope later)."""

    availability: AvailabilityReport
    intact: AvailabilityReport
    storage: Mapping[str, ChannelStorage]

    def aggregate(
        self, scope: str, scope_id: str, cameras: Sequence[str]
    ) -> tuple[Availability, Availability]:
        """The online and the intact time of `cameras` taken together as one scope."""
        return (
            _aggregate(scope, scope_id, self.availability, cameras),
            _aggregate(scope, scope_id, self.intact, cameras),
        )

    def channels_of(self, cameras: Iterable[str]) -> dict[str, ChannelStorage]:
        """The storage figures of those of `cameras` that are recorded channels."""
        return {c: self.storage[c] for c in cameras if c in self.storage}


def _read_period(
    history: HistoryReader,
    loaded: LoadedSiteMap,
    store: Store,
    start: float,
    end: float,
    now: float,
) -> _Inputs:
    # Footage after `now` has not been recorded yet, nor was it expected yet.
    stop = min(end, now)
    storage = period_storage(loaded, store, start, stop) if stop > start else {}
    return _Inputs(history.report(start, end, now), history.intact(start, end, now), storage)


def _aggregate(
    scope: str, scope_id: str, report: AvailabilityReport, cameras: Sequence[str]
) -> Availability:
    members = [report.cameras[c] for c in cameras if c in report.cameras]
    return scope_availability(scope, scope_id, members, start=report.start, end=report.end)


def _outage_rows(
    report: AvailabilityReport, cameras: Sequence[str], scope_map: SiteMap
) -> tuple[OutageRow, ...]:
    by_id = scope_map.camera_by_id()
    rows = []
    for camera in cameras:
        for o in report.outages(camera):
            rows.append(_outage_row(o, by_id[camera].name, by_id[camera].sites, report.now))
    rows.sort(key=lambda r: (r.start, r.camera))
    return tuple(rows)


def _outage_row(o: Outage, name: str, sites: tuple[str, ...], now: float) -> OutageRow:
    return OutageRow(
        camera=o.camera,
        camera_name=name,
        sites=sites,
        start=o.start,
        end=o.end,
        stage=o.stage,
        reason=o.reason,
        seconds=o.seconds,
        offline_seconds=o.offline_seconds,
        maintenance_seconds=o.maintenance_seconds,
        unmonitored_seconds=o.unmonitored_seconds,
        length_seconds=o.duration(now),
    )


def _scope_row(
    scope_type: str,
    scope_id: str,
    name: str,
    rates: ScopeRates,
    cameras: Sequence[str],
    inputs: _Inputs,
) -> ScopeRow:
    online, intact = inputs.aggregate(scope_type, scope_id, cameras)
    return ScopeRow(
        scope_type=scope_type,
        scope_id=scope_id,
        name=name,
        sites=rates.sites_total,
        cameras=len(cameras),
        install=Figure(rates.sites_installed_ok, rates.sites_total, SITES),
        availability=_seconds_figure(online),
        intact=_seconds_figure(intact),
        storage=Figure(rates.recorded_seconds, rates.expected_seconds, SECONDS),
        channels=rates.channels_recorded,
        unmonitored_seconds=online.unmonitored_seconds,
        outages=online.outages,
        outages_ended=online.outages_ended,
        mttr_seconds=online.mttr_seconds,
    )


def percent_text(ratio: float | None) -> str:
    """A ratio as a percentage with two decimals, truncated: a rate just below a target
    never reads as reaching it (0.95 still reads 95.00%, float noise aside); '—' absent."""
    if ratio is None:
        return "—"
    return f"{math.floor(ratio * 10000 + RATE_TOLERANCE * 10000) / 100:.2f}%"


def figure_text(figure: Figure) -> str:
    """`1,234,560 s / 1,296,000 s camera-seconds = 95.26%` — the evidence in one line.

    Storage reads `recorded s / expected s`; counts `84 / 86 sites`.
    """
    if figure.unit == CAMERA_SECONDS:
        head = f"{figure.numerator:,.0f} s / {figure.denominator:,.0f} s {figure.unit}"
    elif figure.unit == SECONDS:
        head = f"{figure.numerator:,.0f} s / {figure.denominator:,.0f} s"
    else:
        head = f"{figure.numerator:,.0f} / {figure.denominator:,.0f} {figure.unit}"
    return f"{head} = {percent_text(figure.ratio)}"


_ABSENT_WHY = {
    "install": "no key sites",
    "intact": "no monitored camera time with a known intact state",
    "storage": "no recorded channel",
}


def _rate_reason(rule: str, figure: Figure, target: float) -> str:
    zh, _ = RATE_NAMES[rule]
    if figure.ratio is None:
        return (
            f"{rule} rate absent ({_ABSENT_WHY[rule]}), counted as below target"
            f" {format_target(target)} / {zh}无数据，按未达标计"
        )
    verdict = "meets" if figure.meets(target) else "below"
    verdict_zh = "达到" if figure.meets(target) else "低于"
    return (
        f"{rule} {figure_text(figure)} {verdict} target {format_target(target)}"
        f" / {zh} {percent_text(figure.ratio)} {verdict_zh}目标 {format_target(target)}"
    )


def _scorecard(
    total: ScopeRow, coverage: CoverageReport, targets: Targets, *, school_wide: bool
) -> Scorecard:
    # The score's rules are site_map.score's; only the rates are the period's.
    rates = replace(
        coverage.school,
        intact=total.intact.ratio,
        storage=total.storage.ratio,
        recorded_seconds=total.storage.numerator,
        expected_seconds=total.storage.denominator,
    )
    score = compute_score(rates, coverage.sites, targets)
    figures = {"install": total.install, "intact": total.intact, "storage": total.storage}
    gates = [s for s in coverage.sites if s.category == GATE_CATEGORY]
    gates_ok = sum(1 for g in gates if all(cap in g.provided for cap in GATE_CAPABILITIES))
    gate_figure = Figure(gates_ok, len(gates), GATE_SITES)

    deductions: list[Deduction] = []
    points: dict[str, int] = {}
    gate_reason = ""
    for d in score.deductions:
        if d.rule in figures:
            target = float(getattr(targets, d.rule))
            d = Deduction(d.rule, d.points, _rate_reason(d.rule, figures[d.rule], target))
        elif d.rule == "gate_capabilities":
            if not gates and not school_wide:
                # A campus or unit without a gate is not charged for the school's gates.
                gate_reason = "not applicable: no gate site in this scope / 本范围内无校门，不适用"
                continue
            gate_reason = d.reason
        deductions.append(d)
        points[d.rule] = d.points

    lines = []
    for rule in TARGETED_RULES:
        target = float(getattr(targets, rule))
        figure = figures[rule]
        lines.append(
            ScoreLine(
                rule,
                figure,
                target,
                figure.meets(target),
                points.get(rule, 0),
                _rate_reason(rule, figure, target),
            )
        )
    lines.append(
        ScoreLine(
            "availability",
            total.availability,
            None,
            None,
            0,
            f"availability {figure_text(total.availability)} (no target; shown for context)"
            " / 在线率无考核目标，仅供参考",
        )
    )
    applies = bool(gates) or school_wide
    lines.append(
        ScoreLine(
            "gate_capabilities",
            gate_figure,
            1.0 if applies else None,
            ("gate_capabilities" not in points) if applies else None,
            points.get("gate_capabilities", 0),
            gate_reason
            or (
                f"every gate site has face recognition and a vehicle checkpoint"
                f" ({gates_ok}/{len(gates)}) / 校门均已安装人脸识别和车辆卡口"
            ),
        )
    )
    value = max(0, MAX_POINTS - sum(d.points for d in deductions))
    return Scorecard(tuple(lines), value, MAX_POINTS, tuple(deductions), school_wide)


def _site_rows(
    coverage: CoverageReport,
    inputs: _Inputs,
    targets: Targets,
    members: Mapping[str, list[str]],
    recorded_school: bool,
) -> tuple[SiteRow, ...]:
    rows = []
    for status in coverage.sites:
        cameras = members.get(status.id, [])
        online, intact_time = inputs.aggregate("site", status.id, cameras)
        intact = _seconds_figure(intact_time)
        storage, channels = _storage_figure(inputs.channels_of(cameras).values())
        reasons = list(status.install_reasons)
        if status.installed:
            if intact.denominator <= _EPSILON:
                reasons.append("no monitored camera time with a known intact state")
            elif intact.numerator <= _EPSILON:
                reasons.append("no intact camera during the period")
            elif not intact.meets(targets.intact):
                reasons.append(
                    f"intact {figure_text(intact)} below target {format_target(targets.intact)}"
                )
            if channels and not storage.meets(targets.storage):
                reasons.append(
                    f"storage {figure_text(storage)} below target {format_target(targets.storage)}"
                )
            elif not channels and recorded_school:
                reasons.append("no recorded channel: none of its cameras has footage figures")
        rows.append(
            SiteRow(
                id=status.id,
                name=status.name,
                campus=status.campus,
                category=status.category,
                unit=status.unit,
                required=status.required,
                installed=status.installed,
                provided=status.provided,
                missing=status.missing,
                install_ok=status.install_ok,
                cameras=status.cameras,
                availability=_seconds_figure(online),
                intact=intact,
                storage=storage,
                channels=channels,
                reasons=tuple(reasons),
            )
        )
    return tuple(rows)


def _camera_rows(scope_map: SiteMap, inputs: _Inputs) -> tuple[CameraRow, ...]:
    campus_of = {s.id: s.campus for s in scope_map.sites}
    rows = []
    for camera in scope_map.cameras:
        online = inputs.availability.cameras.get(camera.id)
        intact = inputs.intact.cameras.get(camera.id)
        channel = inputs.storage.get(camera.id)
        rows.append(
            CameraRow(
                id=camera.id,
                name=camera.name,
                sites=camera.sites,
                campuses=tuple(dict.fromkeys(campus_of[s] for s in camera.sites)),
                nvr=camera.nvr.id if camera.nvr else None,
                channel=camera.nvr.channel if camera.nvr else None,
                availability=_seconds_figure(online),
                intact=_seconds_figure(intact),
                unmonitored_seconds=online.unmonitored_seconds if online else 0.0,
                outages=online.outages if online else 0,
                outages_ended=online.outages_ended if online else 0,
                mttr_seconds=online.mttr_seconds if online else None,
                storage=_channel_figure(channel),
            )
        )
    return tuple(rows)


def _channel_rows(
    scope_map: SiteMap, inputs: _Inputs, recordings: RecordingSnapshot
) -> tuple[ChannelRow, ...]:
    rows = []
    for camera in scope_map.cameras:
        if camera.nvr is None:
            continue
        period = inputs.storage.get(camera.id)
        now = recordings.channels.get(camera.id)
        rows.append(
            ChannelRow(
                camera=camera.id,
                camera_name=camera.name,
                nvr=camera.nvr.id,
                channel=camera.nvr.channel,
                period=_channel_figure(period),
                retention_seconds=now.retention_seconds if now is not None else None,
                earliest=now.earliest if now is not None else None,
                recording_now=now.recording if now is not None else None,
                retention_target_days=scope_map.retention_days,
            )
        )
    return tuple(rows)


def _state_at(store: Store, site_map: SiteMap, at: float) -> dict[str, CameraHealth]:
    """Each camera's last known health before `at`: its last stored changes (never probed:
    absent). The monitor may have been stopped at that moment; what it last saw stands."""
    online = {t.camera: t.online for t in store.transitions_for_period(at, at)}
    intact = {t.camera: t.online for t in store.intact_transitions_for_period(at, at)}
    return {
        camera.id: CameraHealth(
            online=online[camera.id], intact=online[camera.id] and intact.get(camera.id, False)
        )
        for camera in site_map.cameras
        if camera.id in online
    }


@dataclass(frozen=True)
class _Graph:
    blind_routes: tuple[BlindRouteRow, ...] = ()
    single_points: tuple[SinglePointRow, ...] = ()
    intersections: tuple[IntersectionRow, ...] = ()
    main_segments: Figure | None = None
    note: str | None = None  # why there are no findings; None when analysed


def _graph(
    site_map: SiteMap, scope_map: SiteMap, health: Mapping[str, CameraHealth], filtered: bool
) -> tuple[Any, _Graph]:
    """The road-graph findings at the report's end, cut to the scope (findings, rows)."""
    try:
        from site_map.graph import analyse_graph, watching_cameras
    except ImportError:
        return None, _Graph(
            note="the road-graph analysis is not installed (site_map.graph) / 未安装路网分析模块"
        )
    if not site_map.roads.edges:
        return None, _Graph(note="the site map has no roads / 站点图未登记道路")
    # The whole school's graph: routes run through sites outside any filter.
    # Watching = online, intact and not shifted, as on the live map.
    findings = analyse_graph(site_map, watching_cameras(health))
    in_scope = {s.id for s in scope_map.sites}
    main = [s for s in findings.segments if s.main]
    return findings, _Graph(
        blind_routes=tuple(
            BlindRouteRow(
                r.gate_site, r.target_site, r.target_category, tuple(r.path), float(r.length_m)
            )
            for r in findings.blind_routes
            if r.target_site in in_scope or r.gate_site in in_scope
        ),
        single_points=tuple(
            SinglePointRow(p.site, p.category, p.camera)
            for p in findings.single_points_of_failure
            if p.site in in_scope
        ),
        intersections=tuple(
            IntersectionRow(n.node, n.site, bool(n.covered), tuple(n.covered_by))
            for n in findings.intersections
            if not filtered or n.site in in_scope
        ),
        # Road segments belong to no key site: counted for the whole school only.
        main_segments=None
        if filtered
        else Figure(sum(1 for s in main if s.covered), len(main), MAIN_SEGMENTS),
    )


def _campus_map(
    site_map: SiteMap, health: Mapping[str, CameraHealth], campus: str | None, findings: Any
) -> str | None:
    """The campus map (SVG) at the report's end; None when the map module is not installed."""
    try:
        from monitor.map import render_campus_map
    except ImportError:
        return None
    coverage = compute_coverage(site_map, health, {})
    return render_campus_map(site_map, coverage, health, campus=campus, findings=findings)


def build_period_report(
    loaded: LoadedSiteMap,
    store: Store,
    config: ResolvedConfig,
    start: date,
    end: date,
    *,
    now: float | None = None,
    campus: str | None = None,
    category: str | None = None,
    unit: str | None = None,
    history: HistoryReader | None = None,
    with_map: bool = True,
) -> PeriodReport:
    """The report of the local days `start` … `end` (both included) in the configured zone.

    The zone is `daily_report.timezone` of the config (default Asia/Shanghai).
    `history` defaults to a reader of `store` as a process outside the monitor
    (the running monitor passes its own). Raises `ReportError` for a period
    that has not begun or ends before it begins, and for unknown filter values.
    """
    now = time.time() if now is None else now
    site_map = loaded.site_map
    period = ReportPeriod.of(start, end, config.daily_report.timezone)
    if period.start >= now:
        raise ReportError(f"the period {start.isoformat()} … {end.isoformat()} has not begun yet")
    check_filters(site_map, campus=campus, category=category, unit=unit)
    if history is None:
        history = HistoryReader(
            store,
            site_map,
            config.maintenance,
            poll_interval=config.poll.interval_seconds,
            inside_monitor=False,
        )
    scope_map = scope_site_map(site_map, campus=campus, category=category, unit=unit)
    filtered = scope_map is not site_map
    inputs = _read_period(history, loaded, store, period.start, period.end, now)
    scope_cameras = [c.id for c in scope_map.cameras]
    coverage = compute_coverage(scope_map, {}, inputs.channels_of(scope_cameras))

    # Each scope's cameras: those listing one of its sites, each once.
    site_of = scope_map.site_by_id()
    members: dict[str, list[str]] = {s.id: [] for s in scope_map.sites}
    by_scope: dict[tuple[str, str], dict[str, None]] = {}
    for camera in scope_map.cameras:
        for sid in camera.sites:
            site = site_of[sid]
            members[sid].append(camera.id)
            keys = [("campus", site.campus), ("category", site.category)]
            if site.unit:
                keys.append(("unit", site.unit))
            for key in keys:
                by_scope.setdefault(key, {})[camera.id] = None

    def row(scope_type: str, rates: ScopeRates) -> ScopeRow:
        cams = list(by_scope.get((scope_type, rates.scope_id), {}))
        return _scope_row(scope_type, rates.scope_id, rates.name, rates, cams, inputs)

    named = [
        f"{k} {v}"
        for k, v in (("campus", campus), ("category", category), ("unit", unit))
        if v is not None
    ]
    scope_name = f"{site_map.school} — {', '.join(named)}" if named else site_map.school
    total = _scope_row(
        "scope" if filtered else "school",
        "",
        scope_name,
        coverage.school,
        scope_cameras,
        inputs,
    )
    scorecard = _scorecard(total, coverage, site_map.targets, school_wide=not filtered)

    days = []
    for day, day_start, day_end in period.days():
        if day_start >= now:
            break  # a day that has not begun has no figures
        daily = _read_period(history, loaded, store, day_start, day_end, now)
        online, intact = daily.aggregate("day", "", scope_cameras)
        day_storage, day_channels = _storage_figure(daily.channels_of(scope_cameras).values())
        days.append(
            DayRow(
                day,
                day_start,
                day_end,
                _seconds_figure(online),
                _seconds_figure(intact),
                day_storage,
                day_channels,
            )
        )

    # The footage as stored, judged at `now`: retention is how far back it reaches today.
    recordings = RecordingPoller(loaded, store, config.recordings, clock=lambda: now).snapshot

    notes: list[str] = []
    as_of = min(period.end, now)
    svg: str | None = None
    graph = _Graph(note="left out on request / 未生成")
    if with_map:
        health = _state_at(store, site_map, as_of)
        findings, graph = _graph(site_map, scope_map, health, filtered)
        svg = _campus_map(scope_map, health, campus, findings)
        if svg is None:
            notes.append(
                "the campus map is not installed (monitor.map): map section left out"
                " / 未安装一张图模块，未附地图"
            )
    categories = categories_in_force(site_map)
    return PeriodReport(
        school=site_map.school,
        period=period,
        generated_at=now,
        as_of=as_of,
        filters={"campus": campus, "category": category, "unit": unit},
        scope_name=scope_name,
        targets=site_map.targets,
        retention_days=site_map.retention_days,
        scorecard=scorecard,
        total=total,
        campuses=tuple(row("campus", r) for r in coverage.campuses.values()),
        categories=tuple(row("category", r) for r in coverage.categories.values()),
        units=tuple(row("unit", r) for r in coverage.units.values()),
        sites=_site_rows(coverage, inputs, site_map.targets, members, bool(site_map.nvrs)),
        cameras=_camera_rows(scope_map, inputs),
        outages=_outage_rows(inputs.availability, scope_cameras, scope_map),
        channels=_channel_rows(scope_map, inputs, recordings),
        days=tuple(days),
        map_svg=svg,
        graph_note=graph.note,
        blind_routes=graph.blind_routes,
        single_points=graph.single_points,
        intersections=graph.intersections,
        main_segments=graph.main_segments,
        notes=tuple(notes),
        campus_names={c.id: c.name or c.id for c in site_map.campuses},
        category_names={k: v.name_zh for k, v in categories.items()},
    )
