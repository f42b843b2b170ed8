"""The period report as an Excel workbook (openpyxl): one sheet per section.

Each sheet has two header rows, Chinese then English, frozen with the first
column; rates are numbers formatted as percentages (the cell holds the exact
fraction), seconds have thousands separators, times are local date-times in
the report's zone. Column widths follow the content.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from monitor.reports.period import PeriodReport
from monitor.reports.tables import (
    BOOL,
    DATE,
    INT,
    NUMBER,
    RATIO,
    SECONDS,
    TIME,
    Table,
    report_tables,
)

_FORMATS = {
    RATIO: "0.00%",
    SECONDS: "#,##0",
    INT: "0",
    NUMBER: "#,##0.0",
    TIME: "yyyy-mm-dd hh:mm:ss",
    DATE: "yyyy-mm-dd",
}
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_HEADER_FONT = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_MAX_WIDTH = 60
_ILLEGAL = dict.fromkeys(range(0x20))  # control characters Excel refuses in a cell
for _keep in (0x09, 0x0A, 0x0D):
    _ILLEGAL.pop(_keep)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _excel_time(report: PeriodReport, seconds: float) -> datetime:
    """Excel has no time zones: the local time of the report's zone, stated in "About"."""
    return report.period.local_time(seconds).replace(tzinfo=None)


def _value(value: Any, kind: str, report: PeriodReport) -> Any:
    if value is None:
        return None
    if kind == TIME:
        return _excel_time(report, float(value))
    if kind == BOOL:
        return bool(value)
    if isinstance(value, str):
        return value.translate(_ILLEGAL)
    return value


def _shown(value: Any, kind: str) -> str:
    """Roughly what the cell displays, to size the column."""
    if value is None:
        return ""
    if kind == RATIO:
        return "100.00%"
    if kind == TIME:
        return "2026-11-30 23:59:59"
    if kind == DATE or isinstance(value, date):
        return "2026-11-30"
    if kind in (SECONDS, NUMBER) and isinstance(value, int | float):
        return f"{value:,.1f}"
    return str(value)


def _sheet(workbook: Workbook, table: Table, report: PeriodReport) -> None:
    sheet = workbook.create_sheet(title=table.sheet)
    sheet.append([c.zh for c in table.columns])
    sheet.append([c.en for c in table.columns])
    for header in (1, 2):
        for cell in sheet[header]:
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            cell.alignment = _WRAP
    widths = [max(_width(c.zh), _width(c.en)) for c in table.columns]
    for row in table.rows:
        values = [_value(v, c.kind, report) for v, c in zip(row, table.columns, strict=True)]
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.data_type == "f":
                # A name such as "=HYPERLINK(...)" stays text, never becomes a formula.
                cell.data_type = "s"
        for i, (v, c) in enumerate(zip(row, table.columns, strict=True)):
            widths[i] = max(widths[i], _width(_shown(v, c.kind)))
    for i, column in enumerate(table.columns, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = min(_MAX_WIDTH, widths[i - 1] + 2)
        number_format = _FORMATS.get(column.kind)
        long_text = widths[i - 1] > _MAX_WIDTH
        if number_format is None and not long_text:
            continue
        for cells in sheet.iter_rows(min_row=3, min_col=i, max_col=i):
            for cell in cells:
                if number_format is not None:
                    cell.number_format = number_format
                if long_text:
                    cell.alignment = _WRAP
    # Both header rows and the first column stay in view while scrolling.
    sheet.freeze_panes = "B3"
    if table.rows:
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(table.columns))}{len(table.rows) + 2}"


def report_to_xlsx(report: PeriodReport) -> bytes:
    """The workbook's bytes (.xlsx)."""
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    for table in report_tables(report):
        _sheet(workbook, table, report)
    created = _excel_time(report, report.generated_at)
    workbook.properties.created = workbook.properties.modified = created
    workbook.properties.title = f"{report.scope_name} {report.period.first_day.isoformat()}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
