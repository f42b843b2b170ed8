"""The period report as JSON: complete and machine-readable.

Every rate is `{"numerator", "denominator", "ratio", "unit"}` (`ratio` null
over an empty denominator); times are unix seconds, dates ISO `YYYY-MM-DD`.
The shape is documented in docs/report.md and in the OpenAPI document
(`monitor.api.openapi`, schema `PeriodReport`).
"""

from __future__ import annotations

from typing import Any

from monitor.reports.period import (
    TARGETED_RULES,
    CameraRow,
    ChannelRow,
    DayRow,
    Figure,
    OutageRow,
    PeriodReport,
    ScopeRow,
    SiteRow,
    figure_text,
)


def _figure(figure: Figure | None) -> dict[str, Any] | None:
    if figure is None:
        return None
    return {**figure.to_dict(), "text": figure_text(figure)}


def _period_rates(row: ScopeRow | SiteRow | DayRow) -> dict[str, Any]:
    """Availability, intact and storage over the period, and the channels behind storage."""
    return {
        "availability": _figure(row.availability),
        "intact": _figure(row.intact),
        "storage": _figure(row.storage),
        "channels_recorded": row.channels,
    }


def _outage_counts(row: ScopeRow | CameraRow) -> dict[str, Any]:
    return {
        "unmonitored_seconds": row.unmonitored_seconds,
        "outages": row.outages,
        "outages_ended": row.outages_ended,
        "mttr_seconds": row.mttr_seconds,
    }


def _scope(row: ScopeRow, report: PeriodReport) -> dict[str, Any]:
    return {
        "scope_type": row.scope_type,
        "scope_id": row.scope_id,
        "name": row.name,
        "sites": row.sites,
        "cameras": row.cameras,
        "install": _figure(row.install),
        **_period_rates(row),
        **_outage_counts(row),
        "met": row.met(report.targets),
    }


def _site(row: SiteRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "campus": row.campus,
        "category": row.category,
        "unit": row.unit,
        "required": row.required,
        "installed": row.installed,
        "provided": list(row.provided),
        "missing": list(row.missing),
        "install_ok": row.install_ok,
        "cameras": list(row.cameras),
        **_period_rates(row),
        "compliant": row.compliant,
        "reasons": list(row.reasons),
    }


def _camera(row: CameraRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "sites": list(row.sites),
        "campuses": list(row.campuses),
        "nvr": row.nvr,
        "channel": row.channel,
        "availability": _figure(row.availability),
        "intact": _figure(row.intact),
        **_outage_counts(row),
        "storage": _figure(row.storage),
    }


def _outage(row: OutageRow) -> dict[str, Any]:
    return {
        "camera": row.camera,
        "camera_name": row.camera_name,
        "sites": list(row.sites),
        "start": row.start,
        "end": row.end,
        "ongoing": row.ongoing,
        "stage": row.stage,
        "reason": row.reason,
        "seconds": row.seconds,
        "offline_seconds": row.offline_seconds,
        "maintenance_seconds": row.maintenance_seconds,
        "unmonitored_seconds": row.unmonitored_seconds,
        "length_seconds": row.length_seconds,
        "repair_seconds": row.repair_seconds,
    }


def _channel(row: ChannelRow) -> dict[str, Any]:
    return {
        "camera": row.camera,
        "camera_name": row.camera_name,
        "nvr": row.nvr,
        "channel": row.channel,
        "storage": _figure(row.period),
        "retention_seconds": row.retention_seconds,
        "retention_days": row.retention_days,
        "retention_target_days": row.retention_target_days,
        "retention_met": row.retention_met,
        "earliest": row.earliest,
        "recording_now": row.recording_now,
    }


def report_to_json(report: PeriodReport) -> dict[str, Any]:
    """The whole report as a json.dumps-able dict."""
    period = report.period
    card = report.scorecard
    return {
        "school": report.school,
        "scope": {
            "name": report.scope_name,
            "filtered": report.filtered,
            "filters": dict(report.filters),
        },
        "period": {
            "from": period.first_day.isoformat(),
            "to": period.last_day.isoformat(),
            "timezone": period.timezone,
            "start": period.start,
            "end": period.end,
        },
        "generated_at": report.generated_at,
        "as_of": report.as_of,
        "targets": {rule: float(getattr(report.targets, rule)) for rule in TARGETED_RULES},
        "retention_days": report.retention_days,
        "scorecard": {
            "lines": [
                {
                    "rule": line.rule,
                    "name_zh": line.name_zh,
                    "name_en": line.name_en,
                    "figure": _figure(line.figure),
                    "target": line.target,
                    "met": line.met,
                    "points_deducted": line.points,
                    "reason": line.reason,
                }
                for line in card.lines
            ],
            "score": {
                "value": card.value,
                "max": card.maximum,
                "school_wide": card.school_wide,
                "deductions": [
                    {"rule": d.rule, "points": d.points, "reason": d.reason}
                    for d in card.deductions
                ],
            },
        },
        "scopes": {
            "total": _scope(report.total, report),
            "campuses": [_scope(r, report) for r in report.campuses],
            "categories": [_scope(r, report) for r in report.categories],
            "units": [_scope(r, report) for r in report.units],
        },
        "sites": [_site(s) for s in report.sites],
        "non_compliant_sites": [
            {"id": s.id, "name": s.name, "reasons": list(s.reasons)}
            for s in report.non_compliant_sites
        ],
        "cameras": [_camera(c) for c in report.cameras],
        "outages": {
            "count": len(report.outages),
            "ended": sum(1 for o in report.outages if not o.ongoing),
            "mttr_seconds": report.mttr_seconds,
            "items": [_outage(o) for o in report.outages],
        },
        "channels": [_channel(c) for c in report.channels],
        "days": [
            {"date": d.day.isoformat(), "start": d.start, "end": d.end, **_period_rates(d)}
            for d in report.days
        ],
        "map": {"svg": report.map_svg},
        "graph": {
            "analysed": report.graph_note is None,
            "note": report.graph_note,
            "main_segments": _figure(report.main_segments),
            "intersections": [
                {
                    "node": n.node,
                    "site": n.site,
                    "covered": n.covered,
                    "covered_by": list(n.covered_by),
                }
                for n in report.intersections
            ],
            "blind_routes": [
                {
                    "gate_site": r.gate_site,
                    "target_site": r.target_site,
                    "target_category": r.target_category,
                    "path": list(r.path),
                    "length_m": r.length_m,
                }
                for r in report.blind_routes
            ],
            "single_points_of_failure": [
                {"site": p.site, "category": p.category, "camera": p.camera}
                for p in report.single_points
            ],
        },
        "notes": list(report.notes),
    }
