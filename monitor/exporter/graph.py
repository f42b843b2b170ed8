"""Metric families of the road-graph analysis: watched roads, blind routes, single points.

Counts are exported for every declared campus (a campus without roads has
`tianyan_road_segments 0`); a coverage ratio only where its campus has
segments of that kind, because a ratio over nothing is absent, not 0 or 1.
The definitions are in `docs/graph.md`.
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from site_map.graph import GraphFindings, segment_counts
from site_map.model import SiteMap

_SPECS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "tianyan_road_segments",
        "Road segments (edges of the site map's road graph) of the campus.",
        ("campus", "main"),
    ),
    (
        "tianyan_road_segments_covered",
        "Road segments watched by an intact camera (by assignment or field of view).",
        ("campus", "main"),
    ),
    (
        "tianyan_road_coverage_ratio",
        "Covered road segments / road segments (absent when the campus has none).",
        ("campus", "main"),
    ),
    (
        "tianyan_road_intersections",
        "Road nodes that are key sites, junctions or dead ends.",
        ("campus",),
    ),
    (
        "tianyan_road_intersections_covered",
        "Of those, the nodes watched by an intact camera.",
        ("campus",),
    ),
    (
        "tianyan_blind_routes",
        "Gate-to-sensitive-site pairs joined by a route no intact camera watches.",
        ("campus",),
    ),
    (
        "tianyan_blind_route_info",
        "1 for each blind route from a gate to a sensitive site.",
        ("gate", "target", "category"),
    ),
    (
        "tianyan_site_single_point_of_failure",
        "1 when the camera is the key site's only intact camera.",
        ("site", "camera"),
    ),
)


def graph_families() -> dict[str, GaugeMetricFamily]:
    return {name: GaugeMetricFamily(name, doc, labels=list(labels)) for name, doc, labels in _SPECS}


def add_graph(
    families: dict[str, GaugeMetricFamily], findings: GraphFindings, site_map: SiteMap
) -> None:
    f = families
    declared = [c.id for c in site_map.campuses]
    found = {s.campus for s in findings.segments} | {r.campus for r in findings.blind_routes}
    campuses = list(dict.fromkeys([*declared, *sorted(found - set(declared))]))

    counts = segment_counts(findings)
    for campus in campuses:
        for main in (True, False):
            total, covered = counts.get((campus, main), (0, 0))
            labels = [campus, "true" if main else "false"]
            f["tianyan_road_segments"].add_metric(labels, total)
            f["tianyan_road_segments_covered"].add_metric(labels, covered)
            if total:
                f["tianyan_road_coverage_ratio"].add_metric(labels, covered / total)

    nodes: dict[str, list[int]] = {campus: [0, 0] for campus in campuses}
    for node in findings.intersections:
        entry = nodes.setdefault(node.campus, [0, 0])
        entry[0] += 1
        entry[1] += int(node.covered)
    for campus, (total, covered) in nodes.items():
        f["tianyan_road_intersections"].add_metric([campus], total)
        f["tianyan_road_intersections_covered"].add_metric([campus], covered)

    routes = dict.fromkeys(campuses, 0)
    for route in findings.blind_routes:
        routes[route.campus] = routes.get(route.campus, 0) + 1
        f["tianyan_blind_route_info"].add_metric(
            [route.gate_site, route.target_site, route.target_category], 1
        )
    for campus, count in routes.items():
        f["tianyan_blind_routes"].add_metric([campus], count)

    for single in findings.single_points_of_failure:
        f["tianyan_site_single_point_of_failure"].add_metric([single.site, single.camera], 1)
