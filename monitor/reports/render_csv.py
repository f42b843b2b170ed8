"""The period report as CSV: a ZIP archive holding one CSV file per section.

One file per section keeps each file a plain rectangle a spreadsheet or a
script reads without parsing section markers. Files are UTF-8 with a byte
order mark (so Excel shows Chinese names right), comma-separated, with one
header row of machine names (docs/report.md lists them). Ratios are exact
fractions (0.953, not "95.3%"), times ISO 8601 in the report's zone with
the offset, absent values empty cells.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from typing import Any

from monitor.reports.period import PeriodReport
from monitor.reports.tables import BOOL, DATE, TIME, Table, report_tables


def _cell(value: Any, kind: str, report: PeriodReport) -> str:
    if value is None:
        return ""
    if kind == BOOL:
        return "true" if value else "false"
    if kind == TIME:
        return report.period.local_time(float(value)).isoformat(timespec="seconds")
    if kind == DATE and isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def table_csv(table: Table, report: PeriodReport) -> str:
    """One section as CSV text (header row of machine names, then the rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([_cell(v, c.kind, report) for v, c in zip(row, table.columns, strict=True)])
    return buffer.getvalue()


def _members(report: PeriodReport) -> list[tuple[str, Table]]:
    """Each section with its file name in the archive: `01-about.csv`, `02-scorecard.csv`, …"""
    return [(f"{i:02d}-{t.key}.csv", t) for i, t in enumerate(report_tables(report), start=1)]


def csv_member_names(report: PeriodReport) -> list[str]:
    return [name for name, _ in _members(report)]


def report_to_csv(report: PeriodReport) -> bytes:
    """The ZIP archive's bytes: `01-about.csv`, `02-scorecard.csv`, … one per section."""
    buffer = io.BytesIO()
    # The archive's timestamps are the report's, so the same report gives the same bytes.
    stamp = report.period.local_time(report.generated_at)
    when = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in _members(report):
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, table_csv(table, report).encode("utf-8-sig"))
    return buffer.getvalue()
