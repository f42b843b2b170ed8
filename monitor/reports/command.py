"""`tianyan report`: the period report from the stored state, in the format asked."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TextIO

from monitor.config import ResolvedConfig
from monitor.reports.pdf import PdfError, report_to_pdf
from monitor.reports.period import (
    PeriodReport,
    ReportError,
    build_period_report,
    parse_report_period,
)
from monitor.reports.render_csv import report_to_csv
from monitor.reports.render_html import report_to_html
from monitor.reports.render_json import report_to_json
from monitor.reports.render_xlsx import report_to_xlsx
from monitor.storage.store import StorageError, Store
from site_map.loader import LoadedSiteMap

FORMATS = ("html", "xlsx", "csv", "json", "pdf")
# Formats that are files, not text: written to a file unless `-o -` asks for stdout.
EXTENSIONS = {"csv": "zip", "xlsx": "xlsx", "pdf": "pdf", "html": "html", "json": "json"}
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def default_output(report: PeriodReport, fmt: str) -> Path:
    period = report.period
    return Path(
        f"tianyan-report-{period.first_day.isoformat()}-{period.last_day.isoformat()}"
        f".{EXTENSIONS[fmt]}"
    )


def render(report: PeriodReport, fmt: str) -> str | bytes:
    """The report in one of the text or archive formats (not pdf: that needs a file)."""
    if fmt == "json":
        return json.dumps(report_to_json(report), ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return report_to_html(report)
    if fmt == "csv":
        return report_to_csv(report)
    if fmt == "xlsx":
        return report_to_xlsx(report)
    raise ValueError(f"unknown report format '{fmt}'")


def _fail(err: TextIO, message: object, code: int) -> int:
    """Say why the report was not written; returns the exit status `code`."""
    print(f"tianyan: report: {message}", file=err)
    return code


def run_report(
    config: ResolvedConfig,
    loaded: LoadedSiteMap,
    *,
    first: str,
    last: str,
    fmt: str,
    output: str | None = None,
    campus: str | None = None,
    category: str | None = None,
    unit: str | None = None,
    now: float | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Build and write the report. Exit 0, 1 (store or Chromium failed) or 2 (bad request)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        period = parse_report_period(first, last, config.daily_report.timezone)
    except ReportError as exc:
        return _fail(err, exc, EXIT_USAGE)
    now = time.time() if now is None else now
    try:
        store = Store.open(config.database_url)
    except StorageError as exc:
        return _fail(err, exc, EXIT_FAILED)
    try:
        report = build_period_report(
            loaded,
            store,
            config,
            period.first_day,
            period.last_day,
            now=now,
            campus=campus,
            category=category,
            unit=unit,
        )
    except ReportError as exc:
        return _fail(err, exc, EXIT_USAGE)
    except StorageError as exc:
        return _fail(err, exc, EXIT_FAILED)
    finally:
        store.close()

    to_stdout = output == "-" or (output is None and fmt in ("json", "html"))
    target = None if to_stdout else Path(output) if output else default_output(report, fmt)
    if fmt == "pdf":
        if target is None:
            return _fail(err, "a PDF is written to a file: give -o PATH", EXIT_USAGE)
        try:
            report_to_pdf(report_to_html(report), target)
        except PdfError as exc:
            return _fail(err, exc, EXIT_FAILED)
    else:
        body = render(report, fmt)
        if target is None:
            if isinstance(body, bytes):
                out.flush()
                getattr(out, "buffer", sys.stdout.buffer).write(body)
            else:
                out.write(body)
            return EXIT_OK
        try:
            if isinstance(body, bytes):
                target.write_bytes(body)
            else:
                target.write_text(body, encoding="utf-8")
        except OSError as exc:
            return _fail(err, f"cannot write {target}: {exc.strerror}", EXIT_FAILED)
    score = report.scorecard
    print(
        f"wrote {target}: {report.scope_name}, {report.period.first_day.isoformat()} to "
        f"{report.period.last_day.isoformat()}, score {score.value}/{score.maximum}, "
        f"{len(report.non_compliant_sites)} of {len(report.sites)} key sites not compliant",
        file=err,
    )
    return EXIT_OK
