"""HTTP routes of the campus map: GET /map (the page) and GET /api/map.svg (the live SVG)."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field

from aiohttp import web

from monitor.map.page import map_page
from monitor.map.render import UnknownCampusError, render_campus_map
from monitor.polling.snapshot import MonitorSnapshot, camera_health
from site_map.graph import GraphFindings, analyse_graph, watching_cameras

__all__ = ["MAP_CACHE", "MapCache", "add_map_routes", "map_svg"]

log = logging.getLogger(__name__)

SVG_CONTENT_TYPE = "image/svg+xml"
POLL_FINISHED_HEADER = "X-Tianyan-Poll-Finished"


@dataclass
class MapCache:
    """The maps drawn from the latest snapshot: a page refreshing every 30 s on
    every screen of a control room should not redraw an unchanged campus."""

    snapshot: MonitorSnapshot | None = None
    svgs: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


MAP_CACHE: web.AppKey[MapCache] = web.AppKey("map_cache", MapCache)


def _graph_findings(snapshot: MonitorSnapshot) -> GraphFindings | None:
    """Blind routes and the rest of the road-graph analysis over the cameras watching now.

    None when the site map has no roads. Watching = online, intact and not
    shifted, as for effective coverage.
    """
    if not snapshot.site_map.roads.edges:
        return None
    watching = watching_cameras(camera_health(snapshot.states))
    try:
        return analyse_graph(snapshot.site_map, watching)
    except Exception:
        # A screen in the control room still shows every site and camera.
        log.exception("road-graph analysis failed; the map is drawn without blind routes")
        return None


def map_svg(cache: MapCache, snapshot: MonitorSnapshot, campus: str | None) -> str:
    """The SVG of `campus` (None: every campus) from `snapshot`, drawn once per snapshot."""
    key = campus or ""
    with cache.lock:
        if cache.snapshot is snapshot and key in cache.svgs:
            return cache.svgs[key]
    svg = render_campus_map(
        snapshot.site_map,
        snapshot.coverage,
        camera_health(snapshot.states),
        campus=campus,
        findings=_graph_findings(snapshot),
    )
    with cache.lock:
        if cache.snapshot is not snapshot:
            cache.snapshot = snapshot
            cache.svgs = {}
        cache.svgs[key] = svg
    return svg


def _snapshot(request: web.Request) -> MonitorSnapshot:
    # Imported here: monitor.api.http imports this module to register the
    # routes, and either may be imported first.
    from monitor.api.http import SNAPSHOT

    return request.app[SNAPSHOT]()


async def _map_page(request: web.Request) -> web.Response:
    snapshot = _snapshot(request)
    title = f"{snapshot.site_map.school} — 预警一张图 campus map"
    return web.Response(
        text=map_page(title), content_type="text/html", headers={"Cache-Control": "no-store"}
    )


async def _map_svg(request: web.Request) -> web.Response:
    snapshot = _snapshot(request)
    campus = request.query.get("campus") or None
    try:
        svg = await asyncio.to_thread(map_svg, request.app[MAP_CACHE], snapshot, campus)
    except UnknownCampusError as exc:
        raise web.HTTPNotFound(text=f"{exc}\n") from None
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if snapshot.cycle_finished_at is not None:
        headers[POLL_FINISHED_HEADER] = f"{snapshot.cycle_finished_at:.3f}"
    return web.Response(text=svg, content_type=SVG_CONTENT_TYPE, charset="utf-8", headers=headers)


def add_map_routes(app: web.Application) -> None:
    """Register GET /map and GET /api/map.svg on the monitor's app (before it starts).

    A second call does nothing, so a caller need not know whether `build_app`
    already registered them.
    """
    if MAP_CACHE in app:
        return
    app[MAP_CACHE] = MapCache()
    app.router.add_get("/map", _map_page)
    app.router.add_get("/api/map.svg", _map_svg)
