"""`GET /api/report` (the period report) and `GET /api/openapi.json` (the API described).

The report needs the site map as loaded (for the recorders' time zones and
schedules) and the config (time zone of the days, storage settings), beside
the history reader every app has: the server gives them under `REPORT`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from monitor.api.openapi import openapi_document
from monitor.config import ResolvedConfig
from site_map.loader import LoadedSiteMap


@dataclass(frozen=True)
class ReportContext:
    """What the period report needs beyond `app[HISTORY]`."""

    loaded: LoadedSiteMap
    config: ResolvedConfig
    clock: Callable[[], float] = time.time  # tests fix the time of "now"


REPORT: web.AppKey[ReportContext] = web.AppKey("report", ReportContext)

# Formats the API serves (PDF needs Chromium: made with `tianyan report --format pdf`).
API_FORMATS = {
    "json": "application/json",
    "html": "text/html",
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _error(status: type[web.HTTPException], message: str) -> web.HTTPException:
    return status(text=json.dumps({"error": message}), content_type="application/json")


def _respond(request: web.Request) -> web.Response:
    # Imported here: monitor.api.http imports this module to register the routes.
    from monitor.api.http import HISTORY
    from monitor.reports.command import default_output, render
    from monitor.reports.period import ReportError, build_period_report, parse_report_period

    context = request.app.get(REPORT)
    history = request.app.get(HISTORY)
    if context is None or history is None:
        raise _error(
            web.HTTPServiceUnavailable,
            "this server was started without the history store and site map the report needs",
        )
    query = request.query
    missing = [name for name in ("from", "to") if not query.get(name)]
    if missing:
        raise _error(
            web.HTTPBadRequest,
            f"give {' and '.join(missing)} as YYYY-MM-DD (the first and the last day, included)",
        )
    fmt = query.get("format", "json")
    if fmt not in API_FORMATS:
        raise _error(web.HTTPBadRequest, f"unknown format '{fmt}': use {', '.join(API_FORMATS)}")
    try:
        period = parse_report_period(
            query["from"], query["to"], context.config.daily_report.timezone
        )
        report = build_period_report(
            context.loaded,
            history.store,
            context.config,
            period.first_day,
            period.last_day,
            history=history,
            now=context.clock(),
            campus=query.get("campus") or None,
            category=query.get("category") or None,
            unit=query.get("unit") or None,
        )
    except ReportError as exc:
        raise _error(web.HTTPBadRequest, str(exc)) from None
    body = render(report, fmt)
    if fmt == "json":
        return web.Response(text=str(body), content_type="application/json", charset="utf-8")
    if fmt == "html":
        return web.Response(text=str(body), content_type="text/html", charset="utf-8")
    assert isinstance(body, bytes)
    name = default_output(report, fmt).name
    return web.Response(
        body=body,
        content_type=API_FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _report(request: web.Request) -> web.Response:
    # Reading a month of history is slow work for the event loop: done in a thread.
    return await asyncio.to_thread(_respond, request)


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


def add_report_routes(app: web.Application) -> None:
    """Register `GET /api/report` and `GET /api/openapi.json` on the monitor's app.

    A second call does nothing, so a caller need not know whether `build_app`
    already registered them.
    """
    if any(r.canonical == "/api/report" for r in app.router.resources()):
        return
    app.router.add_get("/api/report", _report)
    app.router.add_get("/api/openapi.json", _openapi)
