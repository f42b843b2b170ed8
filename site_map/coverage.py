"""Coverage maths: install, online, intact, storage and effective-coverage rates.

Pure functions over a `SiteMap` and the health and storage figures the caller
has gathered; no I/O. The formulas are those of "The numbers" in the design
contract and are explained with a worked example in `docs/coverage.md`.

A scope (the school, one campus, one category, one responsible unit, one
campus × category pair) is a set of key sites S. Its cameras C are the
configured cameras that list at least one site of S; a camera counts once per
scope, and a camera covering sites in two campuses counts in both campuses.

    install   = |{s ∈ S : installed(s) ≥ required(s) and requires(s) ⊆ roles}| / |S|
    online    = |online C| / |C|
    intact    = |intact C| / |C|
    storage   = Σ recorded seconds / Σ expected seconds over recorded channels of C
    effective = |{s ∈ S : intact unshifted cameras(s) ≥ required(s)}| / |S|

A rate over an empty denominator is absent (`None`), never 0 or 1.
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from site_map.model import Site, SiteMap, Targets
from site_map.policy import categories_in_force, required_cameras
from site_map.score import Deduction, Score, compute_score, format_target, meets

__all__ = [
    "RATE_KINDS",
    "TARGETED_KINDS",
    "CameraHealth",
    "ChannelStorage",
    "CoverageReport",
    "Deduction",
    "ScopeRates",
    "Score",
    "SiteFailure",
    "SiteStatus",
    "compute_coverage",
    "coverage_csv",
    "coverage_table",
    "coverage_to_json",
]

RATE_KINDS: tuple[str, ...] = ("install", "online", "intact", "storage", "effective")
TARGETED_KINDS: tuple[str, ...] = ("install", "intact", "storage")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class CameraHealth:
    """What the monitor knows of one camera now.

    `intact` is decided by the caller: online AND video fetched AND no image
    fault. An `intact` camera that is not `online` is treated as not intact.
    `shifted` (the view moved from its reference frame) leaves the intact rate
    alone but makes the camera count as not intact for effective coverage.
    """

    online: bool
    intact: bool
    shifted: bool = False


@dataclass(frozen=True, slots=True)
class ChannelStorage:
    """Recorded and expected seconds of one camera's recorded channel over the window."""

    recorded_seconds: float
    expected_seconds: float


# -------------------------------------------------------------------------- outputs


@dataclass(frozen=True, slots=True)
class SiteFailure:
    """A key site failing a rate, with the reasons (evidence for assessors)."""

    id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScopeRates:
    """The five rates of one scope, the counts behind them and the items that fail."""

    scope_type: str  # "school" | "campus" | "category" | "unit" | "campus_category"
    scope_id: str  # "" for the school; "campus/category" for a pair
    name: str
    install: float | None
    online: float | None
    intact: float | None
    storage: float | None
    effective: float | None
    sites_total: int
    sites_installed_ok: int
    sites_effective_ok: int
    cameras_total: int
    cameras_online: int
    cameras_intact: int
    cameras_shifted: int
    channels_recorded: int
    recorded_seconds: float
    expected_seconds: float
    # The evidence behind the numbers (left out of repr: they can be long).
    sites_failing_install: tuple[SiteFailure, ...] = field(repr=False)
    sites_failing_effective: tuple[SiteFailure, ...] = field(repr=False)
    cameras_offline_ids: tuple[str, ...] = field(repr=False)
    cameras_not_intact_ids: tuple[str, ...] = field(repr=False)
    cameras_shifted_ids: tuple[str, ...] = field(repr=False)

    def rate(self, kind: str) -> float | None:
        if kind not in RATE_KINDS:
            raise KeyError(kind)
        value: float | None = getattr(self, kind)
        return value


@dataclass(frozen=True, slots=True)
class SiteStatus:
    """One key site: what it needs, what it has, and whether it passes."""

    id: str
    name: str
    campus: str
    category: str
    unit: str | None
    required: int
    installed: int  # configured cameras listing the site
    online: int  # of those, online
    intact: int  # of those, intact and not shifted
    requires: tuple[str, ...]
    provided: tuple[str, ...]  # union of roles of the installed cameras
    missing: tuple[str, ...]  # requires minus provided
    install_ok: bool
    effective_ok: bool
    install_reasons: tuple[str, ...]
    effective_reasons: tuple[str, ...]
    cameras: tuple[str, ...]  # ids of the installed cameras

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every reason the site fails install or effective coverage, without repeats."""
        return tuple(dict.fromkeys(self.install_reasons + self.effective_reasons))


@dataclass(frozen=True, slots=True)
class CoverageReport:
    school_name: str
    school: ScopeRates
    campuses: dict[str, ScopeRates]
    categories: dict[str, ScopeRates]
    units: dict[str, ScopeRates]
    campus_categories: dict[tuple[str, str], ScopeRates]
    sites: tuple[SiteStatus, ...]
    score: Score
    targets: Targets


# ---------------------------------------------------------------------- computation

_NEVER_PROBED = CameraHealth(online=False, intact=False)


class _Acc:
    """Mutable running totals of one scope while the report is built."""

    __slots__ = (
        "cam_intact",
        "cam_online",
        "cam_shifted",
        "cam_total",
        "channels",
        "expected",
        "fail_effective",
        "fail_install",
        "name",
        "not_intact",
        "offline",
        "recorded",
        "scope_id",
        "scope_type",
        "shifted",
        "sites_effective_ok",
        "sites_install_ok",
        "sites_total",
    )

    def __init__(self, scope_type: str, scope_id: str, name: str) -> None:
        self.scope_type = scope_type
        self.scope_id = scope_id
        self.name = name
        self.sites_total = 0
        self.sites_install_ok = 0
        self.sites_effective_ok = 0
        self.fail_install: list[SiteFailure] = []
        self.fail_effective: list[SiteFailure] = []
        self.cam_total = 0
        self.cam_online = 0
        self.cam_intact = 0
        self.cam_shifted = 0
        self.offline: list[str] = []
        self.not_intact: list[str] = []
        self.shifted: list[str] = []
        self.channels = 0
        self.recorded = 0.0
        self.expected = 0.0

    def freeze(self) -> ScopeRates:
        def ratio(num: float, den: float) -> float | None:
            return num / den if den > 0 else None

        return ScopeRates(
            scope_type=self.scope_type,
            scope_id=self.scope_id,
            name=self.name,
            install=ratio(self.sites_install_ok, self.sites_total),
            online=ratio(self.cam_online, self.cam_total),
            intact=ratio(self.cam_intact, self.cam_total),
            storage=ratio(self.recorded, self.expected),
            effective=ratio(self.sites_effective_ok, self.sites_total),
            sites_total=self.sites_total,
            sites_installed_ok=self.sites_install_ok,
            sites_effective_ok=self.sites_effective_ok,
            cameras_total=self.cam_total,
            cameras_online=self.cam_online,
            cameras_intact=self.cam_intact,
            cameras_shifted=self.cam_shifted,
            channels_recorded=self.channels,
            recorded_seconds=self.recorded,
            expected_seconds=self.expected,
            sites_failing_install=tuple(self.fail_install),
            sites_failing_effective=tuple(self.fail_effective),
            cameras_offline_ids=tuple(self.offline),
            cameras_not_intact_ids=tuple(self.not_intact),
            cameras_shifted_ids=tuple(self.shifted),
        )


def _camera_state(camera_id: str, health: Mapping[str, CameraHealth]) -> str:
    """A short phrase for why a camera does not count as intact at its site."""
    h = health.get(camera_id)
    if h is None:
        return f"{camera_id} never probed"
    if not h.online:
        return f"{camera_id} offline"
    if not h.intact:
        return f"{camera_id} not intact (video not fetched or image fault)"
    return f"{camera_id} view shifted"


_NO_ROLES: frozenset[str] = frozenset()


def _site_status(
    site: Site,
    required: int,
    camera_ids: tuple[str, ...],
    online: int,
    good: int,
    provided: frozenset[str] | set[str],
    good_roles: frozenset[str] | set[str],
    good_flags: list[bool],
    members: list[int],
    health: Mapping[str, CameraHealth],
) -> SiteStatus:
    """The status of one site from the counts gathered over its cameras.

    `good` counts the site's cameras that are online, intact and not shifted;
    `good_roles` is the union of their roles, `provided` that of all its cameras.
    """
    installed = len(camera_ids)
    needs = tuple(dict.fromkeys(site.requires)) if site.requires else ()
    missing = tuple(cap for cap in needs if cap not in provided) if needs else ()

    install_reasons: list[str] = []
    if installed < required:
        install_reasons.append(f"{installed} of {required} required cameras installed")
    install_reasons.extend(f"missing capability {cap}" for cap in missing)

    effective_reasons: list[str] = []
    if good < required:
        if good == 0:
            effective_reasons.append("no intact camera")
        else:
            effective_reasons.append(f"{good} of {required} required cameras intact")
    # Effective coverage counts intact cameras only, exactly as the design
    # defines it; a missing capability is an install failure, reported there.
    if effective_reasons and good < installed:
        effective_reasons.extend(
            _camera_state(cid, health)
            for cid, i in zip(camera_ids, members, strict=True)
            if not good_flags[i]
        )

    return SiteStatus(
        id=site.id,
        name=site.name,
        campus=site.campus,
        category=site.category,
        unit=site.unit or None,
        required=required,
        installed=installed,
        online=online,
        intact=good,
        requires=needs,
        provided=tuple(sorted(provided)),
        missing=missing,
        install_ok=not install_reasons,
        effective_ok=not effective_reasons,
        install_reasons=tuple(install_reasons),
        effective_reasons=tuple(effective_reasons),
        cameras=camera_ids,
    )


class _CameraGroup:
    """Running totals of the cameras that fall in exactly the same set of scopes."""

    __slots__ = (
        "channels",
        "expected",
        "intact",
        "not_intact",
        "offline",
        "online",
        "recorded",
        "shifted",
        "total",
    )

    def __init__(self) -> None:
        self.total = 0
        self.online = 0
        self.intact = 0
        self.channels = 0
        self.recorded = 0.0
        self.expected = 0.0
        self.offline: list[int] = []
        self.not_intact: list[int] = []
        self.shifted: list[int] = []


def compute_coverage(
    site_map: SiteMap,
    health: Mapping[str, CameraHealth],
    storage: Mapping[str, ChannelStorage] | None = None,
) -> CoverageReport:
    """Every rate of every scope, the status of every key site and the score.

    `health` is keyed by camera id; a camera missing from it has never been
    probed and is neither online nor intact. `storage` is keyed by camera id
    (the camera's recorded channel); cameras missing from it are not recorded
    channels and do not count in the storage rate.

    Runs in time linear in the number of cameras, sites and camera-site links:
    sites and cameras are first grouped by the exact set of scopes they fall
    in, and each group's totals are then added to its scopes.
    """
    storage = storage or {}
    categories = categories_in_force(site_map)

    # ---- scopes, each with an index; a site belongs to a tuple of scope indices
    accs: list[_Acc] = [_Acc("school", "", site_map.school)]
    campuses: dict[str, int] = {}
    cats: dict[str, int] = {}
    units: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}

    def new_acc(scope_type: str, scope_id: str, name: str) -> int:
        accs.append(_Acc(scope_type, scope_id, name))
        return len(accs) - 1

    for campus in site_map.campuses:
        if campus.id not in campuses:
            campuses[campus.id] = new_acc("campus", campus.id, campus.name or campus.id)

    sites: list[Site] = []
    site_scopes: dict[str, tuple[int, ...]] = {}
    for site in site_map.sites:
        if site.id in site_scopes:  # duplicate ids are refused by the validator
            continue
        ci = campuses.get(site.campus)
        if ci is None:  # undeclared campus: refused by the validator, kept visible here
            ci = campuses[site.campus] = new_acc("campus", site.campus, site.campus)
        ki = cats.get(site.category)
        if ki is None:
            policy = categories.get(site.category)
            ki = cats[site.category] = new_acc(
                "category", site.category, policy.name_zh if policy else site.category
            )
        pi = pairs.get((site.campus, site.category))
        if pi is None:
            pi = pairs[(site.campus, site.category)] = new_acc(
                "campus_category",
                f"{site.campus}/{site.category}",
                f"{accs[ci].name} {accs[ki].name}",
            )
        if site.unit:
            ui = units.get(site.unit)
            if ui is None:
                ui = units[site.unit] = new_acc("unit", site.unit, site.unit)
            site_scopes[site.id] = (0, ci, ki, pi, ui)
        else:
            site_scopes[site.id] = (0, ci, ki, pi)
        sites.append(site)

    # ---- cameras: facts once each, members of each site, totals per scope group
    ids: list[str] = []
    online_flags: list[bool] = []
    good_flags: list[bool] = []  # online, intact and not shifted
    members: dict[str, list[int]] = {sid: [] for sid in site_scopes}
    provided: dict[str, set[str]] = {}
    good_roles: dict[str, set[str]] = {}
    groups: dict[tuple[int, ...], _CameraGroup] = {}
    multi: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[int, ...]]] = {}
    seen: set[str] = set()
    health_get = health.get
    storage_get = storage.get
    for camera in site_map.cameras:
        cid = camera.id
        if cid in seen:  # duplicate ids are refused by the validator
            continue
        seen.add(cid)
        h = health_get(cid, _NEVER_PROBED)
        online = h.online
        intact = online and h.intact
        good = intact and not h.shifted
        index = len(ids)
        ids.append(cid)
        online_flags.append(online)
        good_flags.append(good)

        own = camera.sites
        if len(own) == 1 and own[0] in members:
            members[own[0]].append(index)
            key = site_scopes[own[0]]
        else:
            known = multi.get(own)
            if known is None:
                valid = tuple(dict.fromkeys(sid for sid in own if sid in members))
                merged: set[int] = set()
                for sid in valid:
                    merged.update(site_scopes[sid])
                known = multi[own] = (valid, tuple(sorted(merged)))
            own, key = known
            if not own:
                continue  # covers no key site: outside every scope
            for sid in own:
                members[sid].append(index)
        if camera.roles:
            for sid in own:
                provided.setdefault(sid, set()).update(camera.roles)
                if good:
                    good_roles.setdefault(sid, set()).update(camera.roles)

        group = groups.get(key)
        if group is None:
            group = groups[key] = _CameraGroup()
        group.total += 1
        if online:
            group.online += 1
        else:
            group.offline.append(index)
        if intact:
            group.intact += 1
        else:
            group.not_intact.append(index)
        if h.shifted:
            group.shifted.append(index)
        channel = storage_get(cid)
        if channel is not None:
            expected = max(0.0, float(channel.expected_seconds))
            # A channel contributes at most its expected seconds, so one channel
            # reporting overlapping segments cannot hide another channel's gaps.
            group.channels += 1
            group.recorded += min(max(0.0, float(channel.recorded_seconds)), expected)
            group.expected += expected

    # ---- sites: status of each, totals per scope group, failures per scope
    statuses: list[SiteStatus] = []
    site_groups: dict[tuple[int, ...], list[int]] = {}
    online_of = online_flags.__getitem__
    good_of = good_flags.__getitem__
    id_of = ids.__getitem__
    for site in sites:
        sid = site.id
        site_members = members[sid]
        status = _site_status(
            site,
            required_cameras(site, categories),
            tuple(map(id_of, site_members)),
            sum(map(online_of, site_members)),
            sum(map(good_of, site_members)),
            provided.get(sid, _NO_ROLES),
            good_roles.get(sid, _NO_ROLES),
            good_flags,
            site_members,
            health,
        )
        statuses.append(status)
        key = site_scopes[sid]
        totals = site_groups.get(key)
        if totals is None:
            totals = site_groups[key] = [0, 0, 0]
        totals[0] += 1
        if status.install_ok:
            totals[1] += 1
        else:
            failure = SiteFailure(sid, status.install_reasons)
            for ai in key:
                accs[ai].fail_install.append(failure)
        if status.effective_ok:
            totals[2] += 1
        else:
            failure = SiteFailure(sid, status.effective_reasons)
            for ai in key:
                accs[ai].fail_effective.append(failure)

    # ---- spread the group totals over their scopes
    for key, (total, install_ok, effective_ok) in site_groups.items():
        for ai in key:
            acc = accs[ai]
            acc.sites_total += total
            acc.sites_install_ok += install_ok
            acc.sites_effective_ok += effective_ok
    offline: dict[int, list[int]] = {}
    not_intact: dict[int, list[int]] = {}
    shifted: dict[int, list[int]] = {}
    for key, group in groups.items():
        for ai in key:
            acc = accs[ai]
            acc.cam_total += group.total
            acc.cam_online += group.online
            acc.cam_intact += group.intact
            acc.cam_shifted += len(group.shifted)
            acc.channels += group.channels
            acc.recorded += group.recorded
            acc.expected += group.expected
            if group.offline:
                offline.setdefault(ai, []).extend(group.offline)
            if group.not_intact:
                not_intact.setdefault(ai, []).extend(group.not_intact)
            if group.shifted:
                shifted.setdefault(ai, []).extend(group.shifted)
    for ai, indices in offline.items():
        accs[ai].offline = [ids[i] for i in sorted(indices)]  # site-map order
    for ai, indices in not_intact.items():
        accs[ai].not_intact = [ids[i] for i in sorted(indices)]
    for ai, indices in shifted.items():
        accs[ai].shifted = [ids[i] for i in sorted(indices)]

    frozen = [acc.freeze() for acc in accs]
    school_rates = frozen[0]
    site_tuple = tuple(statuses)
    return CoverageReport(
        school_name=site_map.school,
        school=school_rates,
        campuses={k: frozen[i] for k, i in campuses.items()},
        categories={k: frozen[i] for k, i in cats.items()},
        units={k: frozen[i] for k, i in units.items()},
        campus_categories={k: frozen[i] for k, i in pairs.items()},
        sites=site_tuple,
        score=compute_score(school_rates, site_tuple, site_map.targets),
        targets=site_map.targets,
    )


# ------------------------------------------------------------------------ rendering


def _targets_dict(targets: Targets) -> dict[str, float]:
    return {kind: float(getattr(targets, kind)) for kind in TARGETED_KINDS}


def _rates_json(rates: ScopeRates, targets: Targets) -> dict[str, Any]:
    out: dict[str, Any] = {kind: rates.rate(kind) for kind in RATE_KINDS}
    target_map = _targets_dict(targets)
    out["targets"] = target_map
    out["met"] = {
        kind: None if rates.rate(kind) is None else meets(rates.rate(kind), target)
        for kind, target in target_map.items()
    }
    out.update(
        scope_type=rates.scope_type,
        scope_id=rates.scope_id,
        name=rates.name,
        sites_total=rates.sites_total,
        sites_installed_ok=rates.sites_installed_ok,
        sites_effective_ok=rates.sites_effective_ok,
        cameras_total=rates.cameras_total,
        cameras_online=rates.cameras_online,
        cameras_intact=rates.cameras_intact,
        cameras_shifted=rates.cameras_shifted,
        channels_recorded=rates.channels_recorded,
        recorded_seconds=rates.recorded_seconds,
        expected_seconds=rates.expected_seconds,
        sites_failing_install=[
            {"id": f.id, "reasons": list(f.reasons)} for f in rates.sites_failing_install
        ],
        sites_failing_effective=[
            {"id": f.id, "reasons": list(f.reasons)} for f in rates.sites_failing_effective
        ],
        cameras_offline_ids=list(rates.cameras_offline_ids),
        cameras_not_intact_ids=list(rates.cameras_not_intact_ids),
        cameras_shifted_ids=list(rates.cameras_shifted_ids),
    )
    return out


def _site_json(site: SiteStatus) -> dict[str, Any]:
    return {
        "id": site.id,
        "required": site.required,
        "installed": site.installed,
        "intact": site.intact,
        "online": site.online,
        "name": site.name,
        "campus": site.campus,
        "category": site.category,
        "unit": site.unit,
        "requires": list(site.requires),
        "provided": list(site.provided),
        "missing": list(site.missing),
        "install_ok": site.install_ok,
        "effective_ok": site.effective_ok,
        "reasons": list(site.reasons),
        "cameras": list(site.cameras),
    }


def coverage_to_json(report: CoverageReport) -> dict[str, Any]:
    """The design's coverage JSON shape (json.dumps-able), with counts and evidence added."""
    t = report.targets
    pairs: dict[str, dict[str, Any]] = {}
    for (campus, category), rates in report.campus_categories.items():
        pairs.setdefault(campus, {})[category] = _rates_json(rates, t)
    return {
        "school": _rates_json(report.school, t),
        "campuses": {k: _rates_json(v, t) for k, v in report.campuses.items()},
        "categories": {k: _rates_json(v, t) for k, v in report.categories.items()},
        "units": {k: _rates_json(v, t) for k, v in report.units.items()},
        "campus_categories": pairs,
        "sites": [_site_json(s) for s in report.sites],
        "score": {
            "value": report.score.value,
            "max": report.score.maximum,
            "deductions": [
                {"rule": d.rule, "points": d.points, "reason": d.reason}
                for d in report.score.deductions
            ],
        },
        "targets": _targets_dict(t),
        "school_name": report.school_name,
    }


def _pct(rate: float | None, target: float | None = None) -> str:
    """A rate as a percentage with one decimal; '—' when absent.

    Rounded to nearest, except that a rate below 1 never reads as 100.0 % and a
    rate below its target never reads as reaching it: those are truncated.
    """
    if rate is None:
        return "—"
    shown = round(rate * 1000) / 10
    if (rate < 1 and shown >= 100) or (
        target is not None and not meets(rate, target) and shown >= round(target * 1000) / 10
    ):
        shown = math.floor(rate * 1000) / 10
    return f"{shown:.1f}%"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


_GREEN, _RED, _BOLD, _RESET = "\033[32m", "\033[31m", "\033[1m", "\033[0m"


def coverage_table(report: CoverageReport, *, color: bool = False) -> str:
    """A plain-text table readable at a glance, then failing sites, then the score."""
    t = _targets_dict(report.targets)
    header = ["scope", "sites", "cameras", *RATE_KINDS]
    rows: list[list[str]] = []

    def add(label: str, rates: ScopeRates) -> None:
        cells = [label, str(rates.sites_total), str(rates.cameras_total)]
        for kind in RATE_KINDS:
            value = rates.rate(kind)
            cell = _pct(value, t.get(kind))
            if kind in t:
                cell += f"/{format_target(t[kind])}"
                if value is not None:
                    cell += " ✓" if meets(value, t[kind]) else " ✗"
            cells.append(cell)
        rows.append(cells)

    add(f"school {report.school_name}", report.school)
    for cid, rates in report.campuses.items():
        add(f"campus {cid} {rates.name}" if rates.name != cid else f"campus {cid}", rates)
    for cid, rates in report.categories.items():
        add(f"category {cid} {rates.name}" if rates.name != cid else f"category {cid}", rates)
    for uid, rates in report.units.items():
        add(f"unit {uid}", rates)

    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines: list[str] = [
        f"Coverage — {report.school_name}  (targets: "
        + ", ".join(f"{k} {format_target(v)}" for k, v in t.items())
        + "; ✗ = below target, — = no data)",
        "",
    ]
    for n, row in enumerate([header, *rows]):
        lines.append(
            "  ".join(_pad(cell, widths[i], right=i > 0) for i, cell in enumerate(row)).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))

    failing = [s for s in report.sites if not (s.install_ok and s.effective_ok)]
    lines.append("")
    lines.append(f"Failing sites: {len(failing)} of {len(report.sites)}")
    for s in failing:
        flags = []
        if not s.install_ok:
            flags.append("install ✗")
        if not s.effective_ok:
            flags.append("effective ✗")
        label = f"{s.id} ({s.name})" if s.name else s.id
        lines.append(
            f"  {label} [{s.campus}, {s.category}] {' '.join(flags)}: " + "; ".join(s.reasons)
        )

    for title, ids in (
        ("Cameras offline", report.school.cameras_offline_ids),
        ("Cameras not intact", report.school.cameras_not_intact_ids),
        ("Cameras with shifted view", report.school.cameras_shifted_ids),
    ):
        if ids:
            shown = ", ".join(ids[:20]) + (f", … and {len(ids) - 20} more" if len(ids) > 20 else "")
            lines.append(f"{title}: {len(ids)} — {shown}")

    score = report.score
    lines.append("")
    lines.append(f"Score: {score.value} / {score.maximum}")
    if not score.deductions:
        lines.append("  no deductions")
    for d in score.deductions:
        lines.append(f"  −{d.points} {d.rule}: {d.reason}")

    text = "\n".join(lines) + "\n"
    if color:
        text = text.replace("✓", f"{_GREEN}✓{_RESET}").replace("✗", f"{_RED}✗{_RESET}")
        text = text.replace("Score:", f"{_BOLD}Score:{_RESET}", 1)
    return text


_CSV_COUNTS = (
    "sites_total",
    "sites_installed_ok",
    "sites_effective_ok",
    "cameras_total",
    "cameras_online",
    "cameras_intact",
    "cameras_shifted",
    "channels_recorded",
    "recorded_seconds",
    "expected_seconds",
)


def coverage_csv(report: CoverageReport) -> str:
    """One row per scope: scope_type, scope_id, name, the five rates and the counts.

    Absent rates are empty cells. The school row has an empty scope_id; a
    campus × category row has scope_id "campus/category".
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["scope_type", "scope_id", "name", *RATE_KINDS, *_CSV_COUNTS])
    scopes = [
        report.school,
        *report.campuses.values(),
        *report.categories.values(),
        *report.units.values(),
        *report.campus_categories.values(),
    ]
    for rates in scopes:
        writer.writerow(
            [
                rates.scope_type,
                rates.scope_id,
                rates.name,
                *("" if rates.rate(k) is None else repr(rates.rate(k)) for k in RATE_KINDS),
                *(getattr(rates, c) for c in _CSV_COUNTS),
            ]
        )
    return buf.getvalue()
