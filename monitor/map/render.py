"""The campus map (预警一张图): key sites, cameras, roads and blind routes as one SVG.

A pure function of the site map, the coverage report and the cameras' health:
no I/O, and the same input always gives the same bytes, so a map can be
compared, cached and archived as evidence.

Coordinates. Every campus is drawn in its own local frame, in metres, x east
and y north. Points given as x/y are used as they are. Points given as lat/lon
are projected with a local equirectangular projection around the mean latitude
and longitude (lat0, lon0) of that campus's lat/lon points (sites, cameras,
road nodes):

    x = R · cos(lat0) · (lon − lon0),   y = R · (lat − lat0)   (radians, R = 6 371 008.8 m)

which is off by well under a metre over a campus a few kilometres across, and
is the projection the road-graph analysis (`site_map.graph`) uses. A campus
should use one frame: lat/lon points end up around the local origin, whatever
x/y points say (the map says so in a note). SVG's y axis points down, so y is
flipped: north is up.

Which campus a thing is drawn in: a key site names it; a camera takes the
campus of its first site (without one: of the nearest road node, else of its
NVR, else the only campus); a road node takes the campus of its site, else of
the nearest node with a site along the roads, else of the nearest located site
(as in `site_map.graph`). A camera of no campus is counted in a note, never
drawn in the wrong frame.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from site_map.coverage import CameraHealth, CoverageReport, SiteStatus
from site_map.model import Camera, Campus, Location, Position, RoadEdge, Site, SiteMap
from site_map.policy import categories_in_force, required_cameras

if TYPE_CHECKING:
    from site_map.graph import GraphFindings

__all__ = [
    "CAMERA_STATES",
    "EARTH_RADIUS_M",
    "SITE_STATUSES",
    "UnknownCampusError",
    "camera_state_class",
    "equirectangular",
    "render_campus_map",
    "sector_points",
    "site_status_class",
]

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)

COVERED = "covered"
UNDER_COVERED = "under-covered"
UNWATCHED = "unwatched"
SITE_STATUSES: tuple[str, ...] = (COVERED, UNDER_COVERED, UNWATCHED)

INTACT = "intact"
NOT_INTACT = "not-intact"
OFFLINE = "offline"
CAMERA_STATES: tuple[str, ...] = (INTACT, NOT_INTACT, OFFLINE)

# Colour-blind-safe enough and readable when printed in grey: the three
# statuses differ in lightness as well as hue.
STATUS_COLOURS = {COVERED: "#2e7d32", UNDER_COVERED: "#ef6c00", UNWATCHED: "#c62828"}
STATUS_LABELS = {
    COVERED: "已覆盖 covered (intact ≥ required)",
    UNDER_COVERED: "覆盖不足 under-covered (0 < intact < required)",
    UNWATCHED: "无完好摄像机 unwatched (no intact camera)",
}
CAMERA_COLOURS = {INTACT: "#1565c0", NOT_INTACT: "#ef6c00", OFFLINE: "#9e9e9e"}
CAMERA_LABELS = {
    INTACT: "摄像机完好 camera intact (field of view)",
    NOT_INTACT: "在线但不完好 online, not intact",
    OFFLINE: "离线或未探测 offline or never probed",
}
ROAD_COLOUR = "#8d8d8d"
BLIND_ROUTE_COLOUR = "#d50000"

# Layout, in SVG pixels.
MAP_WIDTH = 660  # drawing area of one campus
MAP_MIN_HEIGHT = 240
MAP_MAX_HEIGHT = 720
MAP_PADDING = 28
SIDE_WIDTH = 240  # the column beside each map: sites not located, notes
PANEL_WIDTH = MAP_WIDTH + SIDE_WIDTH
PANEL_TITLE = 30
PANEL_GAP = 20
OUTER = 16
HEADER = 40
LINE = 16  # one line of the side column
LEGEND_COLUMN = 300
LEGEND_ROW = 22
MIN_SPAN_M = 20.0  # a campus of one point is still drawn at a sensible scale
MAX_COLUMNS = 2  # campuses side by side; more are stacked in rows of two
SITE_RADIUS = 6
CAMERA_RADIUS = 3

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class UnknownCampusError(ValueError):
    """The campus asked for is not in the site map."""

    def __init__(self, campus: str, known: Sequence[str]) -> None:
        self.campus = campus
        self.known = tuple(known)
        super().__init__(
            f"unknown campus '{campus}' (campuses in the site map: {', '.join(known) or 'none'})"
        )


# ------------------------------------------------------------------ small helpers


def _text(value: object) -> str:
    """XML-escaped text, safe in element content and in double-quoted attributes.

    Names come from ledgers: besides markup characters they may hold control
    characters that XML forbids outright, which would make the document unreadable.
    """
    cleaned = _INVALID_XML.sub("\ufffd", str(value))
    return (
        cleaned.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _n(value: float) -> str:
    """A coordinate with two decimals, never '-0.00' (same input, same bytes)."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def site_status_class(status: SiteStatus) -> str:
    """covered (intact ≥ required), under-covered (0 < intact < required), unwatched."""
    if status.intact >= status.required:
        return COVERED
    if status.intact > 0:
        return UNDER_COVERED
    return UNWATCHED


def camera_state_class(health: CameraHealth | None) -> str:
    """intact, not-intact (online; no video, an image fault or a shifted view), offline.

    A camera never probed is offline. A shifted view does not count for
    coverage (see `docs/coverage.md`), so it is drawn as not intact.
    """
    if health is None or not health.online:
        return OFFLINE
    if not health.intact or health.shifted:
        return NOT_INTACT
    return INTACT


def equirectangular(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    """(x east, y north) in metres of (lat, lon) around the origin (lat0, lon0), degrees."""
    # The longitude difference folded into [-180, 180): a campus on the
    # antimeridian stays in one piece.
    dlon = (lon - lon0 + 180.0) % 360.0 - 180.0
    x = EARTH_RADIUS_M * math.cos(math.radians(lat0)) * math.radians(dlon)
    y = EARTH_RADIUS_M * math.radians(lat - lat0)
    return x, y


def _direction(bearing: float) -> tuple[float, float]:
    """Unit vector (east, north) of a bearing in degrees clockwise from north."""
    rad = math.radians(bearing)
    return math.sin(rad), math.cos(rad)


def sector_points(
    x: float, y: float, heading: float, fov: float, reach: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The two edge points of a field of view, in metres (x east, y north).

    The first is at heading − fov/2, the second at heading + fov/2 (clockwise).
    """
    left = _direction(heading - fov / 2)
    right = _direction(heading + fov / 2)
    return (x + reach * left[0], y + reach * left[1]), (x + reach * right[0], y + reach * right[1])


def _sector_extent(x: float, y: float, position: Position) -> list[tuple[float, float]]:
    """Points whose bounding box is that of the sector: apex, edges, arc's extremes."""
    points = [(x, y), *sector_points(x, y, position.heading, position.fov, position.range)]
    start = position.heading - position.fov / 2
    for bearing in (0.0, 90.0, 180.0, 270.0):
        if position.fov >= 360 or (bearing - start) % 360 <= position.fov:
            dx, dy = _direction(bearing)
            points.append((x + position.range * dx, y + position.range * dy))
    return points


# ------------------------------------------------------------- gathering per campus


@dataclass
class _Frame:
    """Things of one campus, placed in its local frame (metres)."""

    campus: Campus
    sites: list[tuple[Site, float, float]] = field(default_factory=list)
    unlocated: list[Site] = field(default_factory=list)
    cameras: list[tuple[Camera, float, float, Position]] = field(default_factory=list)
    cameras_without_position: int = 0
    nodes: dict[str, tuple[float, float]] = field(default_factory=dict)
    roads: list[tuple[RoadEdge, str, str]] = field(default_factory=list)
    blind_segments: list[tuple[int, str, str]] = field(default_factory=list)
    mixed_frames: bool = False


def _straight_distance(a: Location, b: Location) -> float | None:
    """Metres between two points given in the same kind of frame; None across frames."""
    if (a.lat is None) != (b.lat is None):
        return None
    if a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None:
        dx, dy = equirectangular(b.lat, b.lon, a.lat, a.lon)
        return math.hypot(dx, dy)
    assert a.x is not None and a.y is not None and b.x is not None and b.y is not None
    return math.hypot(b.x - a.x, b.y - a.y)


def _nearest(where: Location, candidates: Sequence[tuple[Location, str]]) -> str | None:
    """The campus of the nearest candidate in a straight line (the first of equals)."""
    best: tuple[float, str] | None = None
    for location, campus in candidates:
        distance = _straight_distance(where, location)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, campus)
    return best[1] if best else None


def _node_campuses(site_map: SiteMap, site_campus: Mapping[str, str]) -> dict[str, str]:
    """Each road node's campus, decided as the road-graph analysis decides it.

    Its site's campus; else that of the nearest node with a site along the
    roads (breadth first); else that of the nearest located site in a straight
    line; else the first campus. The blind routes of `site_map.graph` are then
    drawn on the campus they were found in.
    """
    campus_of: dict[str, str] = {}
    for node in site_map.roads.nodes:
        if node.site is not None and node.site in site_campus:
            campus_of.setdefault(node.id, site_campus[node.site])
    neighbours: dict[str, list[str]] = {node.id: [] for node in site_map.roads.nodes}
    for edge in site_map.roads.edges:
        neighbours.setdefault(edge.source, []).append(edge.target)
        neighbours.setdefault(edge.target, []).append(edge.source)
    queue = list(campus_of)
    while queue:
        following: list[str] = []
        for node_id in queue:
            for other in neighbours.get(node_id, ()):
                if other not in campus_of:
                    campus_of[other] = campus_of[node_id]
                    following.append(other)
        queue = following
    located = [(s.location, s.campus) for s in site_map.sites if s.location is not None]
    first = site_map.campuses[0].id
    for node in site_map.roads.nodes:
        if node.id not in campus_of:
            campus_of[node.id] = _nearest(node.location, located) or first
    return campus_of


def _camera_campus(
    camera: Camera,
    site_campus: Mapping[str, str],
    node_points: Sequence[tuple[Location, str]],
    nvr_campus: Mapping[str, str | None],
    single: str | None,
) -> str | None:
    """Where a camera is drawn: its first site's campus; without a site, that of the
    nearest road node to its position, else its NVR's campus, else the only campus."""
    for site_id in camera.sites:
        if site_id in site_campus:
            return site_campus[site_id]
    if camera.position is not None:
        nearest = _nearest(camera.position, node_points)
        if nearest is not None:
            return nearest
    if camera.nvr is not None and nvr_campus.get(camera.nvr.id):
        return nvr_campus[camera.nvr.id]
    return single


def _mean_longitude(lons: Sequence[float]) -> float:
    """The mean of longitudes taken on the circle, so ±180° does not average to 0."""
    sin = math.fsum(math.sin(math.radians(v)) for v in lons)
    cos = math.fsum(math.cos(math.radians(v)) for v in lons)
    return math.degrees(math.atan2(sin, cos))


def _project_all(
    frame: _Frame,
    site_points: Sequence[tuple[Site, Location | None]],
    camera_points: Sequence[tuple[Camera, Position | None]],
    node_points: Sequence[tuple[str, Location]],
) -> None:
    """Place sites, cameras and road nodes in the frame's metres."""
    locations: list[Location] = [loc for _, loc in site_points if loc is not None]
    locations += [pos for _, pos in camera_points if pos is not None]
    locations += [loc for _, loc in node_points]
    geo = [loc for loc in locations if loc.lat is not None and loc.lon is not None]
    lat0 = math.fsum(loc.lat for loc in geo if loc.lat is not None) / len(geo) if geo else 0.0
    lon0 = _mean_longitude([loc.lon for loc in geo if loc.lon is not None]) if geo else 0.0
    frame.mixed_frames = bool(geo) and len(geo) < len(locations)

    def place(loc: Location) -> tuple[float, float]:
        if loc.x is not None and loc.y is not None:
            return loc.x, loc.y
        assert loc.lat is not None and loc.lon is not None  # the model guarantees one pair
        return equirectangular(loc.lat, loc.lon, lat0, lon0)

    for site, loc in site_points:
        if loc is None:
            frame.unlocated.append(site)
        else:
            frame.sites.append((site, *place(loc)))
    for camera, pos in camera_points:
        if pos is None:
            frame.cameras_without_position += 1
        else:
            frame.cameras.append((camera, *place(pos), pos))
    for node_id, loc in node_points:
        frame.nodes[node_id] = place(loc)


def _frames(
    site_map: SiteMap, campus_ids: Sequence[str], findings: Any
) -> tuple[list[_Frame], int]:
    """One frame per campus shown, and the count of cameras of no campus."""
    site_campus = {site.id: site.campus for site in site_map.sites}
    nvr_campus = {nvr.id: nvr.campus for nvr in site_map.nvrs}
    node_campus = _node_campuses(site_map, site_campus)
    node_points = [(node.location, node_campus[node.id]) for node in site_map.roads.nodes]
    campuses = {c.id: c for c in site_map.campuses}
    single = site_map.campuses[0].id if len(site_map.campuses) == 1 else None

    sites: dict[str, list[tuple[Site, Location | None]]] = {cid: [] for cid in campus_ids}
    for site in site_map.sites:
        if site.campus in sites:
            sites[site.campus].append((site, site.location))
    cameras: dict[str, list[tuple[Camera, Position | None]]] = {cid: [] for cid in campus_ids}
    cameras_nowhere = 0
    for camera in site_map.cameras:
        home = _camera_campus(camera, site_campus, node_points, nvr_campus, single)
        if home is None:
            cameras_nowhere += 1
        elif home in cameras:
            cameras[home].append((camera, camera.position))
    nodes: dict[str, list[tuple[str, Location]]] = {cid: [] for cid in campus_ids}
    for node in site_map.roads.nodes:
        if node_campus[node.id] in nodes:
            nodes[node_campus[node.id]].append((node.id, node.location))

    frames: list[_Frame] = []
    for cid in campus_ids:
        frame = _Frame(campuses[cid])
        _project_all(frame, sites[cid], cameras[cid], nodes[cid])
        for edge in site_map.roads.edges:
            # A road between two campuses' frames has no length on either map.
            if edge.source in frame.nodes and edge.target in frame.nodes:
                frame.roads.append((edge, edge.source, edge.target))
        for index, route in enumerate(getattr(findings, "blind_routes", ()) or ()):
            path = tuple(route.path)
            for a, b in itertools.pairwise(path):
                if a in frame.nodes and b in frame.nodes:
                    frame.blind_segments.append((index, a, b))
        frames.append(frame)
    return frames, cameras_nowhere


# ------------------------------------------------------------------------ drawing


@dataclass
class _Scale:
    """Metres of a frame to pixels of its drawing area (y flipped: north up)."""

    min_x: float
    max_y: float
    scale: float  # pixels per metre
    offset_x: float
    offset_y: float
    height: float  # of the drawing area

    def px(self, x: float, y: float) -> tuple[str, str]:
        return (
            _n(self.offset_x + (x - self.min_x) * self.scale),
            _n(self.offset_y + (self.max_y - y) * self.scale),
        )


def _fit(points: Sequence[tuple[float, float]]) -> _Scale | None:
    if not points:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    span_x = max(max(xs) - min(xs), MIN_SPAN_M)
    span_y = max(max(ys) - min(ys), MIN_SPAN_M)
    inner = MAP_WIDTH - 2 * MAP_PADDING
    scale = inner / span_x
    height = span_y * scale + 2 * MAP_PADDING
    if height > MAP_MAX_HEIGHT:
        scale = (MAP_MAX_HEIGHT - 2 * MAP_PADDING) / span_y
        height = MAP_MAX_HEIGHT
    height = max(height, MAP_MIN_HEIGHT)
    # Centre the drawing in its area (a narrow campus, or a single point).
    mid_x = (max(xs) + min(xs)) / 2
    mid_y = (max(ys) + min(ys)) / 2
    min_x = mid_x - MAP_WIDTH / 2 / scale
    max_y = mid_y + height / 2 / scale
    return _Scale(min_x, max_y, scale, 0.0, PANEL_TITLE, height)


def _sector_path(cx: str, cy: str, scale: _Scale, x: float, y: float, pos: Position) -> str:
    r = _n(pos.range * scale.scale)
    if pos.fov >= 360:
        left = _n(float(cx) - pos.range * scale.scale)
        right = _n(float(cx) + pos.range * scale.scale)
        return f"M{left} {cy}A{r} {r} 0 1 1 {right} {cy}A{r} {r} 0 1 1 {left} {cy}Z"
    (ax, ay), (bx, by) = sector_points(x, y, pos.heading, pos.fov, pos.range)
    a = scale.px(ax, ay)
    b = scale.px(bx, by)
    large = 1 if pos.fov > 180 else 0
    # Sweep flag 1: clockwise on screen, which (north up) is clockwise on the ground.
    return f"M{cx} {cy}L{a[0]} {a[1]}A{r} {r} 0 {large} 1 {b[0]} {b[1]}Z"


def _site_title(site: Site, status: SiteStatus | None, category: str, required: int) -> str:
    intact = status.intact if status else 0
    lines = [f"{site.name} ({site.id})" if site.name else site.id, category]
    lines.append(f"完好 intact {intact} / 需要 required {required}")
    if status is not None:
        lines.append(f"安装 installed {status.installed}, 在线 online {status.online}")
    if site.unit:
        lines.append(f"责任单位 unit: {site.unit}")
    if status is not None:
        lines.extend(status.reasons)
    return "\n".join(lines)


def _camera_title(camera: Camera, state: str, health: CameraHealth | None) -> str:
    if health is None:
        said = "未探测 never probed"
    elif state == OFFLINE:
        said = "离线 offline"
    elif state == NOT_INTACT:
        said = "视角偏移 view shifted" if health.intact else "在线但不完好 online, not intact"
    else:
        said = "完好 intact"
    lines = [f"{camera.name} ({camera.id})" if camera.name else camera.id, said]
    if camera.sites:
        lines.append("点位 sites: " + ", ".join(camera.sites))
    return "\n".join(lines)


@dataclass
class _Context:
    statuses: Mapping[str, SiteStatus]
    health: Mapping[str, CameraHealth]
    category_names: Mapping[str, str]
    required: Mapping[str, int]


def _site_class(site: Site, ctx: _Context) -> str:
    status = ctx.statuses.get(site.id)
    if status is not None:
        return site_status_class(status)
    return COVERED if ctx.required[site.id] == 0 else UNWATCHED


def _site_marker(site: Site, ctx: _Context, cx: str, cy: str, label: bool, extra: str) -> str:
    status_class = _site_class(site, ctx)
    title = _site_title(
        site, ctx.statuses.get(site.id), ctx.category_names[site.id], ctx.required[site.id]
    )
    colour = STATUS_COLOURS[status_class]
    parts = [
        f'<g id="site-{_text(site.id)}" class="site {status_class}{extra}" '
        f'data-category="{_text(site.category)}">',
        f"<title>{_text(title)}</title>",
        f'<circle cx="{cx}" cy="{cy}" r="{SITE_RADIUS}" fill="{colour}" '
        f'stroke="#ffffff" stroke-width="1.5"/>',
    ]
    if label:
        tx = _n(float(cx) + SITE_RADIUS + 3)
        ty = _n(float(cy) + 4)
        parts.append(
            f'<text class="site-label" x="{tx}" y="{ty}" font-size="11" fill="{colour}">'
            f"{_text(site.name or site.id)}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _scale_bar(scale: _Scale) -> str:
    """A bar of a round number of metres, about a fifth of the drawing's width."""
    target = MAP_WIDTH / 5 / scale.scale
    metres = 1.0
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if step <= target:
            metres = float(step)
    length = metres * scale.scale
    x0 = MAP_PADDING
    y0 = scale.offset_y + scale.height - 10
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    return (
        f'<g class="scale-bar"><path d="M{_n(x0)} {_n(y0 - 4)}V{_n(y0)}H{_n(x0 + length)}'
        f'V{_n(y0 - 4)}" fill="none" stroke="#424242" stroke-width="1.5"/>'
        f'<text x="{_n(x0 + length + 6)}" y="{_n(y0)}" font-size="11" fill="#424242">'
        f"{label}</text></g>"
    )


def _north_arrow(scale: _Scale) -> str:
    x = MAP_WIDTH - 22
    y = scale.offset_y + 12
    return (
        f'<g class="north-arrow"><path d="M{_n(x)} {_n(y)}L{_n(x - 6)} {_n(y + 16)}'
        f'L{_n(x)} {_n(y + 12)}L{_n(x + 6)} {_n(y + 16)}Z" fill="#424242"/>'
        f'<text x="{_n(x)}" y="{_n(y + 30)}" font-size="11" text-anchor="middle" '
        f'fill="#424242">N 北</text></g>'
    )


def _panel(frame: _Frame, ctx: _Context, x: float, y: float) -> tuple[str, float]:
    """One campus: its map and its side column, at (x, y). Returns (svg, height)."""
    points: list[tuple[float, float]] = [(sx, sy) for _, sx, sy in frame.sites]
    points += list(frame.nodes.values())
    for _, cx, cy, pos in frame.cameras:
        points += _sector_extent(cx, cy, pos)
    scale = _fit(points)
    map_height = scale.height if scale else MAP_MIN_HEIGHT

    counts = dict.fromkeys(SITE_STATUSES, 0)
    for site, *_ in frame.sites:
        counts[_site_class(site, ctx)] += 1
    for site in frame.unlocated:
        counts[_site_class(site, ctx)] += 1
    campus = frame.campus
    heading = f"{campus.name} {campus.id}" if campus.name else campus.id
    summary = (
        f"已覆盖 covered {counts[COVERED]} · 不足 under-covered {counts[UNDER_COVERED]} · "
        f"无 unwatched {counts[UNWATCHED]}"
    )

    body: list[str] = []
    body.append(
        f'<rect class="map-area" x="0" y="{PANEL_TITLE}" width="{MAP_WIDTH}" '
        f'height="{_n(map_height)}" fill="#fafafa" stroke="#bdbdbd"/>'
    )
    body.append(
        f'<text class="campus-title" x="4" y="20" font-size="15" font-weight="bold" '
        f'fill="#212121">{_text(heading)}</text>'
        f'<text class="campus-summary" x="{MAP_WIDTH}" y="20" font-size="11" '
        f'text-anchor="end" fill="#616161">{_text(summary)}</text>'
    )

    if scale is None:
        body.append(
            f'<text class="no-locations" x="{MAP_WIDTH / 2:g}" '
            f'y="{_n(PANEL_TITLE + map_height / 2)}" font-size="13" text-anchor="middle" '
            'fill="#757575">'
            "无位置数据 no locations in the site map</text>"
        )
    else:
        body.append('<g class="roads">')
        for edge, a, b in frame.roads:
            (x1, y1), (x2, y2) = scale.px(*frame.nodes[a]), scale.px(*frame.nodes[b])
            kind = "road main" if edge.main else "road"
            width = 6 if edge.main else 2.5
            name = edge.name or ("主要道路 main road" if edge.main else "道路 road")
            body.append(
                f'<line class="{kind}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
                f'stroke="{ROAD_COLOUR}" stroke-width="{width:g}" stroke-linecap="round">'
                f"<title>{_text(f'{name}: {a} – {b}')}</title></line>"
            )
        body.append("</g>")

        body.append('<g class="blind-routes">')
        for index, a, b in frame.blind_segments:
            (x1, y1), (x2, y2) = scale.px(*frame.nodes[a]), scale.px(*frame.nodes[b])
            body.append(
                f'<line class="blind-route" data-route="{index}" x1="{x1}" y1="{y1}" '
                f'x2="{x2}" y2="{y2}" stroke="{BLIND_ROUTE_COLOUR}" stroke-width="3" '
                f'stroke-dasharray="8 5" stroke-linecap="round">'
                f"<title>{_text(f'盲区路线 blind route {index + 1}: {a} – {b}')}</title></line>"
            )
        body.append("</g>")

        body.append('<g class="cameras">')
        for camera, cam_x, cam_y, pos in frame.cameras:
            health = ctx.health.get(camera.id)
            state = camera_state_class(health)
            shifted = " shifted" if health is not None and health.shifted else ""
            colour = CAMERA_COLOURS[state]
            dot_x, dot_y = scale.px(cam_x, cam_y)
            parts = [
                f'<g id="camera-{_text(camera.id)}" class="camera {state}{shifted}">',
                f"<title>{_text(_camera_title(camera, state, health))}</title>",
                f'<path class="fov" d="{_sector_path(dot_x, dot_y, scale, cam_x, cam_y, pos)}" '
                f'fill="{colour}" fill-opacity="0.14" stroke="{colour}" stroke-opacity="0.5" '
                f'stroke-width="0.8"/>',
                f'<circle class="camera-dot" cx="{dot_x}" cy="{dot_y}" r="{CAMERA_RADIUS}" '
                f'fill="{colour}"/>',
            ]
            if state == OFFLINE:
                d = CAMERA_RADIUS + 2
                fx, fy = float(dot_x), float(dot_y)
                parts.append(
                    f'<path class="cross" d="M{_n(fx - d)} {_n(fy - d)}L{_n(fx + d)} {_n(fy + d)}'
                    f'M{_n(fx - d)} {_n(fy + d)}L{_n(fx + d)} {_n(fy - d)}" stroke="#424242" '
                    f'stroke-width="1.5"/>'
                )
            parts.append("</g>")
            body.append("".join(parts))
        body.append("</g>")

        body.append('<g class="sites">')
        for site, site_x, site_y in frame.sites:
            sx, sy = scale.px(site_x, site_y)
            # Only the sites that need attention are named on the map: on a campus
            # of a hundred sites, every name at once is unreadable.
            label = _site_class(site, ctx) != COVERED
            body.append(_site_marker(site, ctx, sx, sy, label, ""))
        body.append("</g>")
        body.append(_scale_bar(scale))
        body.append(_north_arrow(scale))

    # Side column: sites without a location (listed, never dropped) and notes.
    side_x = MAP_WIDTH + 14
    line_y = PANEL_TITLE + 14
    side: list[str] = [f'<g class="side" transform="translate({side_x},0)">']
    side.append(
        f'<text class="side-heading" x="0" y="{line_y}" font-size="12" font-weight="bold" '
        f'fill="#212121">未定位 not located ({len(frame.unlocated)})</text>'
    )
    line_y += LINE + 4
    for site in frame.unlocated:
        side.append(_site_marker(site, ctx, "6", _n(line_y - 4), True, " not-located"))
        line_y += LINE
    notes = []
    if frame.cameras_without_position:
        notes.append(f"无位置摄像机 cameras without position: {frame.cameras_without_position}")
    if frame.mixed_frames:
        notes.append("注意 x/y 与 lat/lon 混用 mixed x/y and lat/lon")
    line_y += 6
    for note in notes:
        side.append(
            f'<text class="note" x="0" y="{line_y}" font-size="11" fill="#616161">'
            f"{_text(note)}</text>"
        )
        line_y += LINE
    side.append("</g>")
    height = max(PANEL_TITLE + map_height, line_y)

    scale_attr = f' data-scale="{scale.scale:.6g}"' if scale else ""
    svg = (
        f'<g id="campus-{_text(campus.id)}" class="campus" data-campus="{_text(campus.id)}"'
        f'{scale_attr} transform="translate({_n(x)},{_n(y)})">'
        + "".join(body)
        + "".join(side)
        + "</g>"
    )
    return svg, height


def _legend(y: float, width: float) -> tuple[str, float]:
    items: list[str] = []

    def place(i: int) -> tuple[float, float]:
        return (i % 3) * LEGEND_COLUMN, 26 + (i // 3) * LEGEND_ROW

    entries: list[tuple[str, str]] = []
    for status in SITE_STATUSES:
        colour = STATUS_COLOURS[status]
        entries.append(
            (
                f'<circle cx="10" cy="-4" r="{SITE_RADIUS}" fill="{colour}"/>',
                STATUS_LABELS[status],
            )
        )
    for state in CAMERA_STATES:
        colour = CAMERA_COLOURS[state]
        symbol = (
            f'<path d="M4 0L10 -10A11 11 0 0 1 16 0Z" fill="{colour}" fill-opacity="0.25" '
            f'stroke="{colour}"/><circle cx="10" cy="-4" r="{CAMERA_RADIUS}" fill="{colour}"/>'
        )
        if state == OFFLINE:
            symbol += '<path d="M5 -9L15 1M5 1L15 -9" stroke="#424242" stroke-width="1.5"/>'
        entries.append((symbol, CAMERA_LABELS[state]))
    entries.append(
        (
            f'<line x1="0" y1="-4" x2="20" y2="-4" stroke="{ROAD_COLOUR}" stroke-width="6"/>',
            "主要道路 main road",
        )
    )
    entries.append(
        (
            f'<line x1="0" y1="-4" x2="20" y2="-4" stroke="{ROAD_COLOUR}" stroke-width="2.5"/>',
            "道路 road",
        )
    )
    entries.append(
        (
            f'<line x1="0" y1="-4" x2="20" y2="-4" stroke="{BLIND_ROUTE_COLOUR}" '
            'stroke-width="3" stroke-dasharray="8 5"/>',
            "盲区路线 blind route (gate → key site, no camera)",
        )
    )
    for i, (symbol, label) in enumerate(entries):
        ex, ey = place(i)
        items.append(
            f'<g class="legend-item" transform="translate({_n(ex)},{_n(ey)})">{symbol}'
            f'<text x="28" y="0" font-size="12" fill="#212121">{_text(label)}</text></g>'
        )
    rows = (len(entries) + 2) // 3
    height = 26 + rows * LEGEND_ROW
    svg = (
        f'<g id="legend" class="legend" transform="translate({OUTER},{_n(y)})">'
        f'<rect x="-6" y="0" width="{_n(width - 2 * OUTER + 12)}" height="{_n(height)}" '
        f'fill="#ffffff" stroke="#e0e0e0"/>'
        f'<text x="0" y="-6" font-size="12" font-weight="bold" fill="#212121">'
        f"图例 legend</text>" + "".join(items) + "</g>"
    )
    return svg, height


def render_campus_map(
    site_map: SiteMap,
    report: CoverageReport,
    health: Mapping[str, CameraHealth],
    *,
    campus: str | None = None,
    findings: GraphFindings | None = None,
) -> str:
    """The map of one campus (or of every campus, side by side) as a standalone SVG.

    Every key site is an element `id="site-<id>"` of class covered,
    under-covered or unwatched (from the report's site statuses); every camera
    with a position an element `id="camera-<id>"` of class intact, not-intact
    or offline holding its field-of-view sector. Raises `UnknownCampusError`
    for a campus the site map does not have.
    """
    known = [c.id for c in site_map.campuses]
    if campus is not None and campus not in known:
        raise UnknownCampusError(campus, known)
    shown = [campus] if campus is not None else list(dict.fromkeys(known))

    categories = categories_in_force(site_map)
    category_names: dict[str, str] = {}
    required: dict[str, int] = {}
    for site in site_map.sites:
        policy = categories.get(site.category)
        category_names[site.id] = f"{policy.name_zh} {site.category}" if policy else site.category
        required[site.id] = required_cameras(site, categories)
    ctx = _Context(
        statuses={s.id: s for s in report.sites},
        health=health,
        category_names=category_names,
        required=required,
    )

    frames, cameras_nowhere = _frames(site_map, shown, findings)
    columns = min(len(frames), MAX_COLUMNS) or 1
    width = 2 * OUTER + columns * PANEL_WIDTH + (columns - 1) * PANEL_GAP

    panels: list[str] = []
    y = float(HEADER)
    for row_start in range(0, len(frames), columns):
        row_height = 0.0
        for col, frame in enumerate(frames[row_start : row_start + columns]):
            x = OUTER + col * (PANEL_WIDTH + PANEL_GAP)
            svg, height = _panel(frame, ctx, x, y)
            panels.append(svg)
            row_height = max(row_height, height)
        y += row_height + PANEL_GAP

    notes: list[str] = []
    if cameras_nowhere:
        notes.append(f"无校区的摄像机 cameras of no campus (not drawn): {cameras_nowhere}")
    note_svg = []
    for note in notes:
        note_svg.append(
            f'<text class="note" x="{OUTER}" y="{_n(y)}" font-size="11" fill="#616161">'
            f"{_text(note)}</text>"
        )
        y += LINE
    y += 14
    legend, legend_height = _legend(y, width)
    total_height = y + legend_height + OUTER

    title = f"{site_map.school} — 预警一张图 campus map"
    index = "".join(
        f'<text data-campus="{_text(c.id)}">{_text(c.name or c.id)}</text>'
        for c in site_map.campuses
    )
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tianyan-map" '
        f'width="{_n(width)}" height="{_n(total_height)}" '
        f'viewBox="0 0 {_n(width)} {_n(total_height)}" '
        f'data-campuses="{_text(" ".join(known))}" data-shown="{_text(" ".join(shown))}" '
        'font-family="sans-serif">'
        f"<title>{_text(title)}</title>"
        # Every campus of the school with its name, so a page showing one
        # campus can still offer the others.
        f'<g class="campus-index" display="none">{index}</g>'
        f'<rect class="background" width="100%" height="100%" fill="#ffffff"/>'
        f'<text class="map-title" x="{OUTER}" y="26" font-size="18" font-weight="bold" '
        f'fill="#212121">{_text(title)}</text>'
    )
    return head + "".join(panels) + "".join(note_svg) + legend + "</svg>\n"
