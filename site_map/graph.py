"""Graph analysis of the road network: watched roads, blind routes, single points of failure.

Pure functions over a `SiteMap` and the set of camera ids that currently watch
(intact); no I/O. The definitions are those of `docs/graph.md`:

- a **road segment** (edge) is covered *by assignment* when both its end nodes
  are key sites with at least one intact camera, else *by field of view* when
  at least `seen_fraction` of points sampled every `sample_step_m` metres
  along it lie inside the sector of some intact camera with a position;
- a **road node** is covered by assignment (its key site has an intact camera)
  or by field of view (its point lies inside such a sector);
- a **blind route** is a shortest path (by length) from a gate to a sensitive
  site that uses uncovered segments only and, by default, passes no watched
  node on the way;
- a **single point of failure** is a key site that needs a camera and has
  exactly one intact camera: losing that camera leaves it unwatched.

Coordinates are metres in a campus-local frame (x, y), or WGS-84 (lat, lon)
projected onto a local equirectangular plane around the mean lat/lon point
of the campus. Campuses are analysed in their own frames, because two
campuses' local x/y frames usually share an origin and must not be mixed.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx

from site_map.coverage import CameraHealth
from site_map.model import Camera, Location, RoadNode, SiteMap
from site_map.policy import categories_in_force, required_cameras

__all__ = [
    "DEFAULT_SETTINGS",
    "GATE_CATEGORIES",
    "SENSITIVE_CATEGORIES",
    "BlindRoute",
    "Coverage",
    "GraphFindings",
    "GraphSettings",
    "NodeCoverage",
    "SegmentCoverage",
    "SinglePoint",
    "UnattachedSite",
    "analyse_graph",
    "graph_findings_from_json",
    "graph_findings_to_json",
    "segment_counts",
    "watching_cameras",
]

GATE_CATEGORIES: tuple[str, ...] = ("gate",)
SENSITIVE_CATEGORIES: tuple[str, ...] = (
    "finance_office",
    "confidential_room",
    "hazardous_store",
    "laboratory",
)

# Mean Earth radius (IUGG), metres. Over a campus a few kilometres across the
# equirectangular projection is off by well under 0.1 %.
EARTH_RADIUS_M = 6_371_008.8
# Tolerance for points exactly on a sector's edge or at its range.
_EPSILON = 1e-9

Coverage = Literal["assigned", "field_of_view", "none"]


@dataclass(frozen=True, slots=True)
class GraphSettings:
    """The parameters of the analysis (defaults as documented in docs/graph.md)."""

    sample_step_m: float = 5.0
    seen_fraction: float = 0.8
    attach_radius_m: float = 50.0
    gate_categories: tuple[str, ...] = GATE_CATEGORIES
    sensitive_categories: tuple[str, ...] = SENSITIVE_CATEGORIES
    # A route walked past a watched intersection is seen there, so it is not blind.
    watched_nodes_break_routes: bool = True

    def __post_init__(self) -> None:
        if not self.sample_step_m > 0:
            raise ValueError(f"sample_step_m must be positive, not {self.sample_step_m}")
        if not 0 < self.seen_fraction <= 1:
            raise ValueError(f"seen_fraction must be in (0, 1], not {self.seen_fraction}")
        if self.attach_radius_m < 0:
            raise ValueError(f"attach_radius_m must not be negative, not {self.attach_radius_m}")


DEFAULT_SETTINGS = GraphSettings()


# -------------------------------------------------------------------------- findings


@dataclass(frozen=True, slots=True)
class SegmentCoverage:
    """One road edge of the site map, in site-map order."""

    from_node: str
    to_node: str
    main: bool
    length_m: float
    covered: bool
    covered_by: tuple[str, ...]  # cameras that make it covered (empty when not covered)
    how: Coverage
    campus: str = ""
    name: str = ""
    # Evidence even when not covered: the share of sampled points some intact
    # camera sees, and which cameras see any of them.
    seen_fraction: float = 0.0
    seen_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeCoverage:
    """A road node that is a key site, a junction (3+ roads) or a dead end."""

    node: str
    site: str | None
    covered: bool
    covered_by: tuple[str, ...]
    how: Coverage = "none"
    campus: str = ""
    category: str | None = None  # the category of `site`


@dataclass(frozen=True, slots=True)
class BlindRoute:
    """The shortest unwatched way on the roads from a gate to a sensitive site."""

    gate_site: str
    target_site: str
    target_category: str
    path: tuple[str, ...]  # road node ids, gate end first
    length_m: float
    campus: str = ""  # the gate's campus


@dataclass(frozen=True, slots=True)
class SinglePoint:
    """A key site that one specific camera failing would leave without any intact camera."""

    site: str
    category: str
    camera: str
    campus: str = ""
    required: int = 1


@dataclass(frozen=True, slots=True)
class UnattachedSite:
    """A gate or sensitive site that could not be placed on the road graph."""

    site: str
    category: str
    campus: str
    reason: str


@dataclass(frozen=True, slots=True)
class GraphFindings:
    segments: tuple[SegmentCoverage, ...]
    intersections: tuple[NodeCoverage, ...]
    blind_routes: tuple[BlindRoute, ...]
    single_points_of_failure: tuple[SinglePoint, ...]
    unattached_sites: tuple[UnattachedSite, ...] = ()
    settings: GraphSettings = field(default=DEFAULT_SETTINGS)


# ------------------------------------------------------------------------- geometry


@dataclass(frozen=True, slots=True)
class _Frame:
    """A campus's plane: x/y points as given, lat/lon projected around a reference point."""

    lat0: float = 0.0
    lon0: float = 0.0

    def xy(self, where: Location) -> tuple[float, float]:
        if where.x is not None and where.y is not None:
            return (where.x, where.y)
        assert where.lat is not None and where.lon is not None  # the model guarantees one frame
        # Longitude difference folded into [-180, 180) so a campus on the
        # antimeridian stays in one piece.
        dlon = (where.lon - self.lon0 + 180.0) % 360.0 - 180.0
        x = EARTH_RADIUS_M * math.radians(dlon) * math.cos(math.radians(self.lat0))
        y = EARTH_RADIUS_M * math.radians(where.lat - self.lat0)
        return (x, y)


def _is_geo(where: Location) -> bool:
    return where.lat is not None and where.lon is not None


def _distance(a: Location, b: Location) -> float | None:
    """Straight-line metres between two points given in the same kind of frame, else None."""
    if _is_geo(a) != _is_geo(b):
        return None
    frame = _Frame(a.lat or 0.0, a.lon or 0.0)
    ax, ay = frame.xy(a)
    bx, by = frame.xy(b)
    return math.hypot(bx - ax, by - ay)


@dataclass(frozen=True, slots=True)
class _Sector:
    """An intact camera's field of view in one campus frame."""

    camera: str
    x: float
    y: float
    heading: float
    half_fov: float
    range: float

    def sees(self, px: float, py: float) -> bool:
        dx, dy = px - self.x, py - self.y
        distance_sq = dx * dx + dy * dy
        reach = self.range + _EPSILON
        if distance_sq > reach * reach:
            return False
        if distance_sq <= _EPSILON or self.half_fov >= 180.0:
            return True
        # Bearing clockwise from north (+y), as the site map's heading.
        bearing = math.degrees(math.atan2(dx, dy))
        off = abs((bearing - self.heading + 180.0) % 360.0 - 180.0)
        return off <= self.half_fov + _EPSILON

    def may_reach(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether the sector's bounding box meets the box [x0, x1] × [y0, y1]."""
        r = self.range
        return not (self.x + r < x0 or self.x - r > x1 or self.y + r < y0 or self.y - r > y1)


class _SectorIndex:
    """The sectors of one campus bucketed on a square grid by their bounding boxes,
    so that a segment or a point is checked against the cameras near it only (a
    campus of 10,000 cameras and thousands of road segments stays well under a
    second instead of comparing every segment with every camera)."""

    CELL_M = 50.0

    def __init__(self, sectors: list[_Sector]) -> None:
        self._cells: dict[tuple[int, int], list[_Sector]] = {}
        for sector in sectors:
            r = sector.range
            for cell in self._cells_of(sector.x - r, sector.y - r, sector.x + r, sector.y + r):
                self._cells.setdefault(cell, []).append(sector)

    def _cells_of(self, x0: float, y0: float, x1: float, y1: float) -> list[tuple[int, int]]:
        c = self.CELL_M
        return [
            (i, j)
            for i in range(math.floor(x0 / c), math.floor(x1 / c) + 1)
            for j in range(math.floor(y0 / c), math.floor(y1 / c) + 1)
        ]

    def near(self, x0: float, y0: float, x1: float, y1: float) -> list[_Sector]:
        """Sectors whose bounding box meets [x0, x1] × [y0, y1], in a stable order."""
        found: dict[int, _Sector] = {}
        for cell in self._cells_of(x0, y0, x1, y1):
            for sector in self._cells.get(cell, ()):
                found.setdefault(id(sector), sector)
        return [s for s in found.values() if s.may_reach(x0, y0, x1, y1)]


def _samples(
    a: tuple[float, float], b: tuple[float, float], length: float, step: float
) -> list[tuple[float, float]]:
    """Points every `step` metres or less along a→b, both ends included."""
    if length <= 0:
        return [a]
    count = max(1, math.ceil(length / step - _EPSILON))
    (ax, ay), (bx, by) = a, b
    return [(ax + (bx - ax) * i / count, ay + (by - ay) * i / count) for i in range(count + 1)]


# ------------------------------------------------------------------- campus of things


def _node_campuses(
    site_map: SiteMap, nodes: dict[str, RoadNode], adjacency: dict[str, list[str]]
) -> dict[str, str]:
    """Each road node's campus: its site's, else the nearest site's.

    "Nearest" is first along the roads (fewest road segments to a node with a
    site, ties to the earlier node in the site map), because campus-local
    frames of different campuses often overlap; a piece of road with no site
    on it at all takes the campus of the nearest site in a straight line, and
    failing that the first declared campus.
    """
    sites = site_map.site_by_id()
    campus: dict[str, str] = {}
    frontier: list[str] = []
    for node_id, node in nodes.items():
        site = sites.get(node.site) if node.site else None
        if site is not None:
            campus[node_id] = site.campus
            frontier.append(node_id)
    # Breadth-first from every node with a site at once: each node gets the
    # campus of the first one to reach it.
    queue = deque(frontier)
    while queue:
        current = queue.popleft()
        for neighbour in adjacency.get(current, ()):
            if neighbour not in campus:
                campus[neighbour] = campus[current]
                queue.append(neighbour)
    located = [(s.location, s.campus) for s in site_map.sites if s.location is not None]
    fallback = site_map.campuses[0].id if site_map.campuses else ""
    for node_id, node in nodes.items():
        if node_id not in campus:
            campus[node_id] = _nearest_campus(node.location, located) or fallback
    return campus


def _nearest_campus(
    where: Location, candidates: Iterable[tuple[Location | None, str]]
) -> str | None:
    best: tuple[float, str] | None = None
    for location, campus in candidates:
        if location is None:
            continue
        distance = _distance(where, location)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, campus)
    return best[1] if best else None


def _camera_campuses(
    camera: Camera,
    site_campus: Mapping[str, str],
    nodes: dict[str, RoadNode],
    node_campus: Mapping[str, str],
) -> tuple[str, ...]:
    """The campuses a camera watches in: those of its key sites, else its nearest road node's."""
    own = tuple(dict.fromkeys(site_campus[s] for s in camera.sites if s in site_campus))
    if own or camera.position is None:
        return own
    nearest = _nearest_campus(
        camera.position, ((n.location, node_campus[n.id]) for n in nodes.values())
    )
    return (nearest,) if nearest else ()


def _campus_frames(
    site_map: SiteMap,
    nodes: dict[str, RoadNode],
    node_campus: Mapping[str, str],
    camera_campuses: Mapping[str, tuple[str, ...]],
) -> dict[str, _Frame]:
    """One frame per campus, its lat/lon reference the mean of the campus's lat/lon points."""
    points: dict[str, list[Location]] = {}
    for site in site_map.sites:
        if site.location is not None and _is_geo(site.location):
            points.setdefault(site.campus, []).append(site.location)
    for node in nodes.values():
        if _is_geo(node.location):
            points.setdefault(node_campus[node.id], []).append(node.location)
    for camera in site_map.cameras:
        if camera.position is not None and _is_geo(camera.position):
            for campus in camera_campuses.get(camera.id, ()):
                points.setdefault(campus, []).append(camera.position)
    frames: dict[str, _Frame] = {}
    for campus, located in points.items():
        lats = [p.lat for p in located if p.lat is not None]
        lons = [p.lon for p in located if p.lon is not None]
        frames[campus] = _Frame(sum(lats) / len(lats), _mean_longitude(lons))
    return frames


def _mean_longitude(lons: list[float]) -> float:
    """The mean of longitudes, taken on the circle so ±180° does not average to 0."""
    sin = sum(math.sin(math.radians(v)) for v in lons)
    cos = sum(math.cos(math.radians(v)) for v in lons)
    return math.degrees(math.atan2(sin, cos))


# ----------------------------------------------------------------------- the analysis


def watching_cameras(health: Mapping[str, CameraHealth]) -> frozenset[str]:
    """The cameras that watch now: online, intact and not shifted (as effective coverage)."""
    return frozenset(
        camera for camera, h in health.items() if h.online and h.intact and not h.shifted
    )


def analyse_graph(
    site_map: SiteMap, intact: Collection[str], *, settings: GraphSettings = DEFAULT_SETTINGS
) -> GraphFindings:
    """Covered segments and nodes, blind routes and single points of failure.

    `intact` is the set of camera ids that count as watching (all camera ids
    for the campus "as installed"). Unknown ids in it are ignored; road edges
    or nodes referring to unknown nodes or sites (refused by the validator)
    are skipped rather than failing.
    """
    intact_ids = frozenset(intact)
    sites = site_map.site_by_id()
    site_campus = {s.id: s.campus for s in site_map.sites}
    cameras_by_site = site_map.cameras_by_site()

    watching_at: dict[str, tuple[str, ...]] = {
        sid: tuple(sorted({c.id for c in cams if c.id in intact_ids}))
        for sid, cams in cameras_by_site.items()
    }

    nodes: dict[str, RoadNode] = {}
    for node in site_map.roads.nodes:
        nodes.setdefault(node.id, node)
    edges = [e for e in site_map.roads.edges if e.source in nodes and e.target in nodes]
    adjacency: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for edge in edges:
        if edge.source != edge.target:
            adjacency[edge.source].append(edge.target)
            adjacency[edge.target].append(edge.source)

    node_campus = _node_campuses(site_map, nodes, adjacency)
    camera_campuses = {
        c.id: _camera_campuses(c, site_campus, nodes, node_campus) for c in site_map.cameras
    }
    frames = _campus_frames(site_map, nodes, node_campus, camera_campuses)
    no_frame = _Frame()

    # Fields of view of the intact cameras with a position, per campus frame.
    sectors: dict[str, list[_Sector]] = {}
    placed: set[str] = set()
    for camera in site_map.cameras:
        if camera.id in placed or camera.position is None or camera.id not in intact_ids:
            continue
        placed.add(camera.id)
        where = camera.position
        for campus in camera_campuses[camera.id]:
            x, y = frames.get(campus, no_frame).xy(where)
            sectors.setdefault(campus, []).append(
                _Sector(camera.id, x, y, where.heading, where.fov / 2.0, where.range)
            )

    indexes = {campus: _SectorIndex(found) for campus, found in sectors.items()}
    empty_index = _SectorIndex([])

    def point(node_id: str, campus: str) -> tuple[float, float]:
        return frames.get(campus, no_frame).xy(nodes[node_id].location)

    def node_site(node_id: str) -> str | None:
        site_id = nodes[node_id].site
        return site_id if site_id in sites else None

    # ---- nodes
    node_coverage: dict[str, NodeCoverage] = {}
    for node_id in nodes:
        campus = node_campus[node_id]
        site_id = node_site(node_id)
        assigned = watching_at.get(site_id, ()) if site_id else ()
        if assigned:
            how: Coverage = "assigned"
            by = assigned
        else:
            px, py = point(node_id, campus)
            index = indexes.get(campus, empty_index)
            by = tuple(sorted({s.camera for s in index.near(px, py, px, py) if s.sees(px, py)}))
            how = "field_of_view" if by else "none"
        node_coverage[node_id] = NodeCoverage(
            node=node_id,
            site=site_id,
            covered=how != "none",
            covered_by=by,
            how=how,
            campus=campus,
            category=sites[site_id].category if site_id else None,
        )
    intersections = tuple(
        coverage
        for node_id, coverage in node_coverage.items()
        if coverage.site is not None or len(set(adjacency[node_id])) != 2
    )

    # ---- segments
    segments: list[SegmentCoverage] = []
    for edge in edges:
        campus = node_campus[edge.source]
        a, b = point(edge.source, campus), point(edge.target, campus)
        length = math.hypot(b[0] - a[0], b[1] - a[1])
        samples = _samples(a, b, length, settings.sample_step_m)
        box = (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))
        near = indexes.get(campus, empty_index).near(*box)
        seen_points = 0
        seers: set[str] = set()
        for px, py in samples:
            seen_here = [s.camera for s in near if s.sees(px, py)]
            if seen_here:
                seen_points += 1
                seers.update(seen_here)
        fraction = seen_points / len(samples)
        seen_by = tuple(sorted(seers))
        ends = (node_coverage[edge.source], node_coverage[edge.target])
        if all(end.how == "assigned" for end in ends):
            how = "assigned"
            by = tuple(sorted(set(ends[0].covered_by) | set(ends[1].covered_by)))
        elif fraction >= settings.seen_fraction - _EPSILON:
            how, by = "field_of_view", seen_by
        else:
            how, by = "none", ()
        segments.append(
            SegmentCoverage(
                from_node=edge.source,
                to_node=edge.target,
                main=edge.main,
                length_m=length,
                covered=how != "none",
                covered_by=by,
                how=how,
                campus=campus,
                name=edge.name,
                seen_fraction=fraction,
                seen_by=seen_by,
            )
        )

    routes, unattached = _blind_routes(
        site_map, settings, nodes, node_campus, frames, node_coverage, segments
    )
    return GraphFindings(
        segments=tuple(segments),
        intersections=intersections,
        blind_routes=routes,
        single_points_of_failure=_single_points(site_map, watching_at),
        unattached_sites=unattached,
        settings=settings,
    )


def _blind_routes(
    site_map: SiteMap,
    settings: GraphSettings,
    nodes: dict[str, RoadNode],
    node_campus: Mapping[str, str],
    frames: Mapping[str, _Frame],
    node_coverage: Mapping[str, NodeCoverage],
    segments: list[SegmentCoverage],
) -> tuple[tuple[BlindRoute, ...], tuple[UnattachedSite, ...]]:
    gates = [s for s in site_map.sites if s.category in settings.gate_categories]
    targets = [s for s in site_map.sites if s.category in settings.sensitive_categories]
    if not nodes or not gates or not targets:
        return (), ()

    # A site's road node: the node that names it, else the nearest node of its
    # campus within the attach radius.
    own_node: dict[str, str] = {}
    for node in nodes.values():
        if node.site:
            own_node.setdefault(node.site, node.id)
    attached: dict[str, str] = {}
    unattached: list[UnattachedSite] = []
    seen: set[str] = set()
    for site in [*gates, *targets]:
        if site.id in seen:
            continue
        seen.add(site.id)
        if site.id in own_node:
            attached[site.id] = own_node[site.id]
            continue
        reason = _attach(site.location, site.campus, settings, nodes, node_campus, frames)
        if isinstance(reason, tuple):
            attached[site.id] = reason[0]
        else:
            unattached.append(UnattachedSite(site.id, site.category, site.campus, reason))

    # The roads nobody watches; parallel edges keep the shortest.
    open_roads = nx.Graph()
    open_roads.add_nodes_from(nodes)
    for segment in segments:
        u, v = segment.from_node, segment.to_node
        if segment.covered or u == v:
            continue
        known = open_roads.get_edge_data(u, v)
        if known is None or segment.length_m < known["length_m"]:
            open_roads.add_edge(u, v, length_m=segment.length_m)
    watched = (
        {n for n, c in node_coverage.items() if c.covered}
        if settings.watched_nodes_break_routes
        else set()
    )

    routes: list[BlindRoute] = []
    ordered_targets = sorted(targets, key=lambda s: s.id)
    for gate in sorted(gates, key=lambda s: s.id):
        start = attached.get(gate.id)
        if start is None:
            continue
        ends = [attached[t.id] for t in ordered_targets if t.id in attached]
        paths = _open_paths_from(open_roads, watched, start, ends)
        for target in ordered_targets:
            end = attached.get(target.id)
            if end is None or end == start:
                continue  # same spot: no road between them to watch
            path = paths.get(end)
            if path is None:
                continue
            length = sum(open_roads.edges[u, v]["length_m"] for u, v in itertools.pairwise(path))
            routes.append(
                BlindRoute(
                    gate_site=gate.id,
                    target_site=target.id,
                    target_category=target.category,
                    path=path,
                    length_m=length,
                    campus=gate.campus,
                )
            )
    return tuple(routes), tuple(sorted(unattached, key=lambda u: u.site))


def _attach(
    where: Location | None,
    campus: str,
    settings: GraphSettings,
    nodes: dict[str, RoadNode],
    node_campus: Mapping[str, str],
    frames: Mapping[str, _Frame],
) -> tuple[str] | str:
    """The nearest road node of the campus within the radius, or why there is none."""
    if where is None:
        return "no location and no road node names it"
    frame = frames.get(campus, _Frame())
    sx, sy = frame.xy(where)
    best: tuple[float, str] | None = None
    for node_id, node in nodes.items():
        if node_campus[node_id] != campus or _is_geo(node.location) != _is_geo(where):
            continue
        node_x, node_y = frame.xy(node.location)
        distance = math.hypot(node_x - sx, node_y - sy)
        if best is None or distance < best[0]:
            best = (distance, node_id)
    if best is None:
        return "no road node on its campus"
    if best[0] > settings.attach_radius_m + _EPSILON:
        return (
            f"nearest road node '{best[1]}' is {best[0]:.0f} m away "
            f"(more than {settings.attach_radius_m:g} m)"
        )
    return (best[1],)


def _open_paths_from(
    open_roads: Any, watched: set[str], start: str, ends: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """Shortest paths from `start` to each of `ends` over unwatched roads.

    A watched node may only be the end of a path (the sensitive site itself
    may well be watched); the start may be watched too (a gate usually is).
    One Dijkstra per start over the passable roads, then one last step into
    each watched end.
    """
    if watched:
        passable = open_roads.subgraph(
            [n for n in open_roads if n == start or n not in watched]
        ).copy()
    else:
        passable = open_roads
    distance, found = nx.single_source_dijkstra(passable, start, weight="length_m")
    paths: dict[str, tuple[str, ...]] = {}
    for end in ends:
        if end in paths:
            continue
        if end in found:
            paths[end] = tuple(found[end])
            continue
        if end not in watched:
            continue  # not reachable over unwatched roads
        best: tuple[float, str] | None = None
        for neighbour in open_roads.adj[end]:
            if neighbour in distance:
                total = distance[neighbour] + open_roads.edges[neighbour, end]["length_m"]
                if best is None or total < best[0]:
                    best = (total, neighbour)
        if best is not None:
            paths[end] = (*found[best[1]], end)
    return paths


def _single_points(
    site_map: SiteMap, watching_at: Mapping[str, tuple[str, ...]]
) -> tuple[SinglePoint, ...]:
    categories = categories_in_force(site_map)
    found: list[SinglePoint] = []
    done: set[str] = set()
    for site in site_map.sites:
        if site.id in done:
            continue
        done.add(site.id)
        required = required_cameras(site, categories)
        watching = watching_at.get(site.id, ())
        if required >= 1 and len(watching) == 1:
            found.append(SinglePoint(site.id, site.category, watching[0], site.campus, required))
    return tuple(found)


# --------------------------------------------------------------------------- summaries


def segment_counts(findings: GraphFindings) -> dict[tuple[str, bool], tuple[int, int]]:
    """(campus, main) → (segments, covered segments)."""
    counts: dict[tuple[str, bool], tuple[int, int]] = {}
    for segment in findings.segments:
        total, covered = counts.get((segment.campus, segment.main), (0, 0))
        counts[(segment.campus, segment.main)] = (total + 1, covered + int(segment.covered))
    return counts


def _summary(findings: GraphFindings) -> dict[str, dict[str, int]]:
    summary: dict[str, dict[str, int]] = {}

    def campus(cid: str) -> dict[str, int]:
        return summary.setdefault(
            cid,
            {
                "segments": 0,
                "segments_covered": 0,
                "main_segments": 0,
                "main_segments_covered": 0,
                "intersections": 0,
                "intersections_covered": 0,
                "blind_routes": 0,
                "single_points_of_failure": 0,
            },
        )

    for (cid, main), (total, covered) in segment_counts(findings).items():
        entry = campus(cid)
        entry["segments"] += total
        entry["segments_covered"] += covered
        if main:
            entry["main_segments"] += total
            entry["main_segments_covered"] += covered
    for node in findings.intersections:
        entry = campus(node.campus)
        entry["intersections"] += 1
        entry["intersections_covered"] += int(node.covered)
    for route in findings.blind_routes:
        campus(route.campus)["blind_routes"] += 1
    for single in findings.single_points_of_failure:
        campus(single.campus)["single_points_of_failure"] += 1
    return dict(sorted(summary.items()))


# -------------------------------------------------------------------------------- JSON


def graph_findings_to_json(findings: GraphFindings) -> dict[str, Any]:
    """The findings as JSON-ready dicts and lists, with the parameters and a per-campus summary."""
    s = findings.settings
    return {
        "parameters": {
            "sample_step_m": s.sample_step_m,
            "seen_fraction": s.seen_fraction,
            "attach_radius_m": s.attach_radius_m,
            "gate_categories": list(s.gate_categories),
            "sensitive_categories": list(s.sensitive_categories),
            "watched_nodes_break_routes": s.watched_nodes_break_routes,
        },
        "summary": _summary(findings),
        "segments": [
            {
                "from": g.from_node,
                "to": g.to_node,
                "name": g.name,
                "campus": g.campus,
                "main": g.main,
                "length_m": g.length_m,
                "covered": g.covered,
                "how": g.how,
                "covered_by": list(g.covered_by),
                "seen_fraction": g.seen_fraction,
                "seen_by": list(g.seen_by),
            }
            for g in findings.segments
        ],
        "intersections": [
            {
                "node": n.node,
                "site": n.site,
                "category": n.category,
                "campus": n.campus,
                "covered": n.covered,
                "how": n.how,
                "covered_by": list(n.covered_by),
            }
            for n in findings.intersections
        ],
        "blind_routes": [
            {
                "gate_site": r.gate_site,
                "target_site": r.target_site,
                "target_category": r.target_category,
                "campus": r.campus,
                "path": list(r.path),
                "length_m": r.length_m,
            }
            for r in findings.blind_routes
        ],
        "single_points_of_failure": [
            {
                "site": p.site,
                "category": p.category,
                "campus": p.campus,
                "camera": p.camera,
                "required": p.required,
            }
            for p in findings.single_points_of_failure
        ],
        "unattached_sites": [
            {"site": u.site, "category": u.category, "campus": u.campus, "reason": u.reason}
            for u in findings.unattached_sites
        ],
    }


def graph_findings_from_json(data: Mapping[str, Any]) -> GraphFindings:
    """The inverse of `graph_findings_to_json` (the summary is derived, so it is not read)."""
    given = data["parameters"]
    settings = GraphSettings(
        sample_step_m=float(given["sample_step_m"]),
        seen_fraction=float(given["seen_fraction"]),
        attach_radius_m=float(given["attach_radius_m"]),
        gate_categories=tuple(given["gate_categories"]),
        sensitive_categories=tuple(given["sensitive_categories"]),
        watched_nodes_break_routes=bool(given["watched_nodes_break_routes"]),
    )
    return GraphFindings(
        segments=tuple(
            SegmentCoverage(
                from_node=g["from"],
                to_node=g["to"],
                main=bool(g["main"]),
                length_m=float(g["length_m"]),
                covered=bool(g["covered"]),
                covered_by=tuple(g["covered_by"]),
                how=g["how"],
                campus=g["campus"],
                name=g["name"],
                seen_fraction=float(g["seen_fraction"]),
                seen_by=tuple(g["seen_by"]),
            )
            for g in data["segments"]
        ),
        intersections=tuple(
            NodeCoverage(
                node=n["node"],
                site=n["site"],
                covered=bool(n["covered"]),
                covered_by=tuple(n["covered_by"]),
                how=n["how"],
                campus=n["campus"],
                category=n["category"],
            )
            for n in data["intersections"]
        ),
        blind_routes=tuple(
            BlindRoute(
                gate_site=r["gate_site"],
                target_site=r["target_site"],
                target_category=r["target_category"],
                path=tuple(r["path"]),
                length_m=float(r["length_m"]),
                campus=r["campus"],
            )
            for r in data["blind_routes"]
        ),
        single_points_of_failure=tuple(
            SinglePoint(
                site=p["site"],
                category=p["category"],
                camera=p["camera"],
                campus=p["campus"],
                required=int(p["required"]),
            )
            for p in data["single_points_of_failure"]
        ),
        unattached_sites=tuple(
            UnattachedSite(u["site"], u["category"], u["campus"], u["reason"])
            for u in data["unattached_sites"]
        ),
        settings=settings,
    )
