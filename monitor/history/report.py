"""Availability as a table for a terminal and as CSV for a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from monitor.history.availability import Availability, AvailabilityReport
from monitor.history.periods import DEFAULT_TIMEZONE, format_duration, zone
from site_map.model import SiteMap

_COLUMNS = ("cameras", "availability", "outside maint.", "unmonitored", "outages", "MTTR")


def _local(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, zone(DEFAULT_TIMEZONE)).strftime("%Y-%m-%d %H:%M")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _row(label: str, a: Availability) -> list[str]:
    unmonitored = a.unmonitored_seconds / a.period_seconds if a.period_seconds else None
    return [
        label,
        str(a.cameras),
        _pct(a.ratio),
        _pct(a.ratio_outside_maintenance),
        _pct(unmonitored),
        str(a.outages),
        format_duration(a.mttr_seconds) if a.mttr_seconds is not None else "—",
    ]


def _format(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


def availability_table(
    report: AvailabilityReport, site_map: SiteMap, *, cameras: bool = False
) -> str:
    names = {c.id: c.name for c in site_map.campuses}
    rows = [["scope", *_COLUMNS], _row(f"school {site_map.school}", report.school)]
    rows += [
        _row(f"campus {cid} {names.get(cid, '')}".rstrip(), a) for cid, a in report.campuses.items()
    ]
    rows += [
        _row(f"site {sid}", a)
        for sid, a in report.sites.items()
        if a.outages or (a.ratio is not None and a.ratio < 1)
    ]
    rows += [_row(f"camera {cid}", a) for cid, a in report.cameras.items() if cameras or a.outages]
    lines = [
        f"Availability {_local(report.start)} → {_local(min(report.end, report.now))} "
        f"({DEFAULT_TIMEZONE}); availability = online / monitored time, maintenance included; "
        "unmonitored = the monitor itself was not running",
        "",
        *_format(rows),
    ]
    outages = report.all_outages()
    lines += ["", f"Outages: {len(outages)}"]
    for o in outages:
        end = "ongoing" if o.end is None else _local(o.end)
        cause = f"{o.stage}/{o.reason}" if o.stage else "—"
        extra = []
        if o.maintenance_seconds:
            extra.append(f"{format_duration(o.maintenance_seconds)} in maintenance")
        if o.unmonitored_seconds:
            extra.append(f"{format_duration(o.unmonitored_seconds)} unmonitored")
        note = f" ({', '.join(extra)})" if extra else ""
        lines.append(
            f"  {o.camera}  {_local(o.start)} → {end}  "
            f"{format_duration(o.duration(report.now))}  {cause}{note}"
        )
    return "\n".join(lines)


def availability_csv(report: AvailabilityReport) -> str:
    out = io.StringIO()
    fields = [
        "scope",
        "id",
        "cameras",
        "ratio",
        "ratio_outside_maintenance",
        "period_seconds",
        "monitored_seconds",
        "online_seconds",
        "offline_seconds",
        "unmonitored_seconds",
        "maintenance_seconds",
        "outages",
        "flaps",
        "mttr_seconds",
    ]
    writer = csv.writer(out)
    writer.writerow(fields)
    scopes = [
        report.school,
        *report.campuses.values(),
        *report.sites.values(),
        *report.cameras.values(),
    ]
    for a in scopes:
        writer.writerow(["" if getattr(a, f) is None else getattr(a, f) for f in fields])
    return out.getvalue()
