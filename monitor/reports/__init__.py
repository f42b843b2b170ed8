"""Period reports for assessors: the scorecard over a period with the evidence behind it.

`build_period_report` gathers the figures (`monitor.reports.period`); the
renderers lay them out as JSON, CSV (a ZIP of one file per section), XLSX,
HTML and PDF (the HTML printed by headless Chromium). See docs/report.md.
"""

from monitor.reports.pdf import PdfError, report_to_pdf
from monitor.reports.period import (
    Figure,
    PeriodReport,
    ReportError,
    ReportPeriod,
    build_period_report,
    parse_report_period,
)
from monitor.reports.render_csv import report_to_csv
from monitor.reports.render_html import report_to_html
from monitor.reports.render_json import report_to_json
from monitor.reports.render_xlsx import report_to_xlsx

__all__ = [
    "Figure",
    "PdfError",
    "PeriodReport",
    "ReportError",
    "ReportPeriod",
    "build_period_report",
    "parse_report_period",
    "report_to_csv",
    "report_to_html",
    "report_to_json",
    "report_to_pdf",
    "report_to_xlsx",
]
