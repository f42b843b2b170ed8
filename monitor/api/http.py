"""The monitor's HTTP face: /metrics for Prometheus, the JSON API, health checks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from monitor.api.map_routes import add_map_routes
from monitor.api.report_routes import REPORT, ReportContext, add_report_routes
from monitor.exporter.collector import AvailabilitySource, SnapshotCollector
from monitor.history.availability import AvailabilityReport, mttr
from monitor.history.periods import parse_period
from monitor.history.query import HistoryReader
from monitor.polling.snapshot import MonitorSnapshot, camera_health
from monitor.recordings.report import recordings_to_json
from site_map.coverage import coverage_to_json
from site_map.graph import analyse_graph, graph_findings_to_json, watching_cameras

SnapshotSource = Callable[[], MonitorSnapshot]
SNAPSHOT: web.AppKey[SnapshotSource] = web.AppKey("snapshot")
HISTORY: web.AppKey[HistoryReader | None] = web.AppKey("history")
REGISTRY = web.AppKey("registry", CollectorRegistry)

_INDEX = """<!doctype html><meta charset="utf-8"><title>Tianyan 校园天眼</title>
<h1>Tianyan 校园天眼</h1>
<ul>
<li><a href="/metrics">/metrics</a> — Prometheus metrics</li>
<li><a href="/api/coverage">/api/coverage</a> — coverage rates and score (JSON)</li>
<li><a href="/api/cameras">/api/cameras</a> — camera states and last probes (JSON)</li>
<li><a href="/api/availability?period=7d">/api/availability?period=7d</a> — availability
of every camera, site, campus and the school (JSON)</li>
<li><a href="/api/outages?period=7d">/api/outages?period=7d</a> — outages with cause and
time to repair (JSON)</li>
<li><a href="/api/recordings">/api/recordings</a> — NVRs, disks, and each channel's
footage: retention, completeness, gaps (JSON)</li>
<li><a href="/map">/map</a> — 预警一张图 campus map</li>
<li><a href="/api/graph">/api/graph</a> — roads covered, blind routes, single points of
failure (JSON)</li>
<li>/api/report?from=YYYY-MM-DD&amp;to=YYYY-MM-DD — the assessors' period report (JSON;
&amp;format=html|csv|xlsx; &amp;campus= &amp;category= &amp;unit=)</li>
<li><a href="/api/openapi.json">/api/openapi.json</a> — this API described (OpenAPI 3.1)</li>
<li><a href="/api/map.svg">/api/map.svg</a> — the map as SVG (?campus=ID)</li>
<li><a href="/-/healthy">/-/healthy</a> — liveness</li>
</ul>
"""


async def _metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _healthy(request: web.Request) -> web.Response:
    return web.Response(text="Healthy.\n")


async def _ready(request: web.Request) -> web.Response:
    snapshot = request.app[SNAPSHOT]()
    if snapshot.cycle_finished_at is None:
        return web.Response(status=503, text="No poll cycle has finished yet.\n")
    return web.Response(text="Ready.\n")


async def _coverage(request: web.Request) -> web.Response:
    return web.json_response(coverage_to_json(request.app[SNAPSHOT]().coverage))


def cameras_to_json(snapshot: MonitorSnapshot) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for camera in snapshot.site_map.cameras:
        state = snapshot.states.get(camera.id)
        probe = state.last_probe if state else None
        failure = probe.failure if probe else None
        rows.append(
            {
                "id": camera.id,
                "name": camera.name,
                "sites": list(camera.sites),
                "host": camera.onvif.host,
                "port": camera.onvif.port,
                "online": bool(state and state.online),
                "intact": bool(state and state.intact),
                "since": state.since if state else None,
                "last_probe": probe.started_at if probe else None,
                "failed_stage": failure.stage.value if failure else None,
                "reason": failure.reason.value if failure and failure.reason else None,
                "detail": failure.detail if failure else None,
                "stages": [s.to_dict() for s in probe.stages] if probe else [],
                "device": probe.device.to_dict() if probe and probe.device else None,
                "clock_offset_seconds": probe.clock_offset_seconds if probe else None,
            }
        )
    return rows


async def _recordings(request: web.Request) -> web.Response:
    snapshot = request.app[SNAPSHOT]()
    return web.json_response(recordings_to_json(snapshot.recordings, snapshot.site_map))


async def _graph(request: web.Request) -> web.Response:
    """Roads covered, blind routes and single points of failure over the cameras
    watching now (docs/graph.md)."""
    snapshot = request.app[SNAPSHOT]()
    watching = watching_cameras(camera_health(snapshot.states))
    findings = analyse_graph(snapshot.site_map, watching)
    return web.json_response(graph_findings_to_json(findings))


async def _cameras(request: web.Request) -> web.Response:
    return web.json_response({"cameras": cameras_to_json(request.app[SNAPSHOT]())})


def _period_report(request: web.Request) -> AvailabilityReport:
    history = request.app[HISTORY]
    if history is None:
        raise web.HTTPNotFound(text="no history store behind this server")
    now = time.time()
    try:
        start, end = parse_period(request.query.get("period", "24h"), now)
    except ValueError as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": str(exc)}), content_type="application/json"
        ) from None
    return history.report(start, end, now)


async def _availability(request: web.Request) -> web.Response:
    report = await asyncio.to_thread(_period_report, request)
    with_outages = request.query.get("outages", "") in ("1", "true", "yes")
    return web.json_response(report.to_dict(with_outages=with_outages))


async def _outages(request: web.Request) -> web.Response:
    report = await asyncio.to_thread(_period_report, request)
    camera = request.query.get("camera")
    outages = report.outages(camera) if camera else report.all_outages()
    if request.query.get("ongoing", "") in ("1", "true", "yes"):
        outages = [o for o in outages if o.ongoing]
    return web.json_response(
        {
            "start": report.start,
            "end": report.end,
            "outages": [o.to_dict() for o in outages],
            "mttr_seconds": mttr(outages),
        }
    )


async def _index(request: web.Request) -> web.Response:
    return web.Response(text=_INDEX, content_type="text/html")


def build_app(
    snapshot: Callable[[], MonitorSnapshot],
    history: HistoryReader | None = None,
    availability: AvailabilitySource | None = None,
    report: ReportContext | None = None,
) -> web.Application:
    registry = CollectorRegistry(auto_describe=True)
    registry.register(SnapshotCollector(snapshot, availability))
    app = web.Application()
    app[SNAPSHOT] = snapshot
    app[HISTORY] = history
    app[REGISTRY] = registry
    app.router.add_get("/", _index)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/-/healthy", _healthy)
    app.router.add_get("/-/ready", _ready)
    app.router.add_get("/api/coverage", _coverage)
    app.router.add_get("/api/cameras", _cameras)
    app.router.add_get("/api/availability", _availability)
    app.router.add_get("/api/outages", _outages)
    app.router.add_get("/api/recordings", _recordings)
    app.router.add_get("/api/graph", _graph)
    add_map_routes(app)
    add_report_routes(app)
    if report is not None:
        app[REPORT] = report
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The actual port, when the server was started on port 0."""
    for site in runner.sites:
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            return int(server.sockets[0].getsockname()[1])
    raise RuntimeError("the HTTP server is not listening")
