"""Road-graph analysis on a small hand-drawn campus, every figure computed by hand.

The south campus (metres, campus-local frame, north is up, +y)::

    y
    200                    lab ●  lab-chem (laboratory)   cam-lab at the node,
                               |                          looking south, 30°, 52 m
                               |
    100     f ●----------------● x2   (plain junction, 3 roads)
              |  ◆ finance     |
              |  (10, 110)     |
              |                |
      0     g ●================● x1   cross-1 (intersection)  cam-x1 at the node,
         gate-south     南大道        looking north, 40°, 121 m
            ▲ cam-g1 at (0, -5), looking north, 30°, 110 m
            x=0              x=100

    ==== main road (g–x1, x1–x2 are main);  ---- other roads
    hazardous store ◆ at (300, 300): 224 m from the nearest node, not on the roads
    confidential room: no location at all

Cameras: gate-south has cam-g1 (position above) and cam-g2 (no position);
cross-1 cam-x1; lab-chem cam-lab; finance-office cam-fin1 and cam-fin2;
hazard-store cam-haz. The north campus is declared and has nothing.

What each camera sees of the roads (samples every 5 m, 21 per 100 m segment):
- cam-g1: all of g–f; of f–x2 the points x = 0..25 (6), bearing ≤ 15°;
  of g–x1 only g itself.
- cam-x1: all of x1–x2 and the point x2; of x2–lab y = 100..120 (5); of f–x2
  x = 65..100 (8), bearing ≤ 20°; of g–x1 only x1 itself.
- cam-lab: of x2–lab y = 150..200 (11).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from monitor.demo.campus import build_demo_campus
from monitor.exporter.graph import add_graph, graph_families
from site_map.coverage import CameraHealth
from site_map.graph import (
    BlindRoute,
    GraphFindings,
    GraphSettings,
    SegmentCoverage,
    SinglePoint,
    analyse_graph,
    graph_findings_from_json,
    graph_findings_to_json,
    watching_cameras,
)
from site_map.model import SiteMap
from tests.campus import small_campus

ALL = ("cam-g1", "cam-g2", "cam-x1", "cam-lab", "cam-fin1", "cam-fin2", "cam-haz")
EARTH_RADIUS_M = 6_371_008.8


def _xy(x: float, y: float) -> dict[str, float]:
    return {"x": x, "y": y}


def campus_data(where: Any = _xy) -> dict[str, Any]:
    """The drawn campus; `where(x, y)` writes each point (local metres or lat/lon)."""

    def cam(cid: str, site: str, position: dict[str, float] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"id": cid, "sites": [site], "onvif": {"host": "127.0.0.1"}}
        if position is not None:
            data["position"] = position
        return data

    def looking(x: float, y: float, heading: float, fov: float, reach: float) -> dict[str, float]:
        return {**where(x, y), "heading": heading, "fov": fov, "range": reach}

    return {
        "school": "Drawn University",
        "campuses": [{"id": "south", "name": "南校区"}, {"id": "north", "name": "北校区"}],
        "sites": [
            {"id": "gate-south", "campus": "south", "category": "gate"},
            {"id": "cross-1", "campus": "south", "category": "intersection"},
            {"id": "lab-chem", "campus": "south", "category": "laboratory"},
            {
                "id": "finance-office",
                "campus": "south",
                "category": "finance_office",
                "location": where(10, 110),
            },
            {
                "id": "hazard-store",
                "campus": "south",
                "category": "hazardous_store",
                "location": where(300, 300),
            },
            {"id": "secret-room", "campus": "south", "category": "confidential_room"},
        ],
        "cameras": [
            cam("cam-g1", "gate-south", looking(0, -5, 0, 30, 110)),
            cam("cam-g2", "gate-south"),
            cam("cam-x1", "cross-1", looking(100, 0, 0, 40, 121)),
            cam("cam-lab", "lab-chem", looking(100, 200, 180, 30, 52)),
            cam("cam-fin1", "finance-office"),
            cam("cam-fin2", "finance-office"),
            cam("cam-haz", "hazard-store"),
        ],
        "roads": {
            "nodes": [
                {"id": "g", "location": where(0, 0), "site": "gate-south"},
                {"id": "x1", "location": where(100, 0), "site": "cross-1"},
                {"id": "x2", "location": where(100, 100)},
                {"id": "lab", "location": where(100, 200), "site": "lab-chem"},
                {"id": "f", "location": where(0, 100)},
            ],
            "edges": [
                {"from": "g", "to": "x1", "main": True, "name": "南大道"},
                {"from": "x1", "to": "x2", "main": True},
                {"from": "x2", "to": "lab"},
                {"from": "g", "to": "f"},
                {"from": "f", "to": "x2"},
            ],
        },
    }


def drawn_campus() -> SiteMap:
    return SiteMap.model_validate(campus_data())


def without(*cameras: str) -> tuple[str, ...]:
    return tuple(c for c in ALL if c not in cameras)


def segment(findings: GraphFindings, a: str, b: str) -> SegmentCoverage:
    (found,) = [s for s in findings.segments if (s.from_node, s.to_node) == (a, b)]
    return found


def coverage_of(findings: GraphFindings) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [(s.from_node, s.to_node, s.how, s.covered_by) for s in findings.segments]


# ------------------------------------------------------------------ covered segments


def test_every_camera_intact_segments_by_assignment_and_field_of_view() -> None:
    findings = analyse_graph(drawn_campus(), ALL)

    assert coverage_of(findings) == [
        # both ends are key sites with an intact camera
        ("g", "x1", "assigned", ("cam-g1", "cam-g2", "cam-x1")),
        # x2 has no site: cam-x1 sees all 21 points
        ("x1", "x2", "field_of_view", ("cam-x1",)),
        # 5 + 11 of 21 points seen: 76 % < 80 %
        ("x2", "lab", "none", ()),
        ("g", "f", "field_of_view", ("cam-g1",)),
        # 6 + 8 of 21 points
        ("f", "x2", "none", ()),
    ]
    assert [s.covered for s in findings.segments] == [True, True, False, True, False]
    assert [s.seen_fraction for s in findings.segments] == pytest.approx(
        [2 / 21, 1.0, 16 / 21, 1.0, 14 / 21]
    )
    assert segment(findings, "x2", "lab").seen_by == ("cam-lab", "cam-x1")
    assert segment(findings, "f", "x2").seen_by == ("cam-g1", "cam-x1")
    assert [s.length_m for s in findings.segments] == pytest.approx([100.0] * 5)
    assert [(s.main, s.campus) for s in findings.segments] == [
        (True, "south"),
        (True, "south"),
        (False, "south"),
        (False, "south"),
        (False, "south"),
    ]
    assert segment(findings, "g", "x1").name == "南大道"


def test_intersections_by_assignment_and_field_of_view() -> None:
    findings = analyse_graph(drawn_campus(), ALL)

    # f is a plain bend (two roads, no site): not an intersection.
    assert [
        (n.node, n.site, n.category, n.how, n.covered_by, n.campus) for n in findings.intersections
    ] == [
        ("g", "gate-south", "gate", "assigned", ("cam-g1", "cam-g2"), "south"),
        ("x1", "cross-1", "intersection", "assigned", ("cam-x1",), "south"),
        ("x2", None, None, "field_of_view", ("cam-x1",), "south"),
        ("lab", "lab-chem", "laboratory", "assigned", ("cam-lab",), "south"),
    ]
    assert all(n.covered for n in findings.intersections)


def test_seen_fraction_is_the_threshold() -> None:
    lenient = analyse_graph(drawn_campus(), ALL, settings=GraphSettings(seen_fraction=0.75))
    assert segment(lenient, "x2", "lab").how == "field_of_view"
    assert segment(lenient, "x2", "lab").covered_by == ("cam-lab", "cam-x1")
    assert segment(lenient, "f", "x2").how == "none"  # 14/21 = 67 %


def test_camera_out_moves_segments_from_assigned_to_field_of_view_or_none() -> None:
    findings = analyse_graph(drawn_campus(), without("cam-x1"))

    assert coverage_of(findings) == [
        ("g", "x1", "none", ()),  # cross-1 lost its only camera
        ("x1", "x2", "none", ()),
        ("x2", "lab", "none", ()),
        ("g", "f", "field_of_view", ("cam-g1",)),
        ("f", "x2", "none", ()),
    ]
    assert [(n.node, n.how) for n in findings.intersections] == [
        ("g", "assigned"),
        ("x1", "none"),
        ("x2", "none"),
        ("lab", "assigned"),
    ]


# ----------------------------------------------------------------------- blind routes


def test_no_blind_route_when_every_camera_is_intact() -> None:
    findings = analyse_graph(drawn_campus(), ALL)
    assert findings.blind_routes == ()
    assert [(u.site, u.reason) for u in findings.unattached_sites] == [
        (
            "hazard-store",
            "nearest road node 'lab' is 224 m away (more than 50 m)",
        ),
        ("secret-room", "no location and no road node names it"),
    ]


def test_gate_camera_out_opens_a_blind_route_to_the_finance_office() -> None:
    findings = analyse_graph(drawn_campus(), without("cam-g1"))

    # g–f is no longer seen; the finance office hangs on f (14 m away). The way
    # on to the lab (f, x2, lab) is blind too, but x2 is watched by cam-x1.
    assert findings.blind_routes == (
        BlindRoute(
            gate_site="gate-south",
            target_site="finance-office",
            target_category="finance_office",
            path=("g", "f"),
            length_m=pytest.approx(100.0),
            campus="south",
        ),
    )


def test_watched_junctions_need_not_break_routes() -> None:
    edges_only = GraphSettings(watched_nodes_break_routes=False)
    findings = analyse_graph(drawn_campus(), without("cam-g1"), settings=edges_only)

    assert [(r.target_site, r.path, r.length_m) for r in findings.blind_routes] == [
        ("finance-office", ("g", "f"), pytest.approx(100.0)),
        ("lab-chem", ("g", "f", "x2", "lab"), pytest.approx(300.0)),
    ]


def test_junction_camera_out_opens_routes_past_the_intersection() -> None:
    findings = analyse_graph(drawn_campus(), without("cam-x1"))

    assert [
        (r.gate_site, r.target_site, r.target_category, r.path, r.length_m)
        for r in findings.blind_routes
    ] == [
        ("gate-south", "finance-office", "finance_office", ("g", "x1", "x2", "f"), 300.0),
        ("gate-south", "lab-chem", "laboratory", ("g", "x1", "x2", "lab"), 300.0),
    ]


def test_attach_radius_decides_which_sites_are_on_the_roads() -> None:
    tight = GraphSettings(attach_radius_m=10.0)
    findings = analyse_graph(drawn_campus(), without("cam-g1"), settings=tight)
    assert findings.blind_routes == ()
    assert [u.site for u in findings.unattached_sites] == [
        "finance-office",
        "hazard-store",
        "secret-room",
    ]


# ------------------------------------------------------------- single points of failure


def test_single_points_of_failure() -> None:
    every = analyse_graph(drawn_campus(), ALL)
    # The gate keeps one camera if either of its two fails; the finance office
    # likewise; the secret room has no camera to lose.
    assert every.single_points_of_failure == (
        SinglePoint("cross-1", "intersection", "cam-x1", "south", 1),
        SinglePoint("lab-chem", "laboratory", "cam-lab", "south", 1),
        SinglePoint("hazard-store", "hazardous_store", "cam-haz", "south", 1),
    )

    gate_short = analyse_graph(drawn_campus(), without("cam-g1", "cam-fin2"))
    assert [(p.site, p.camera, p.required) for p in gate_short.single_points_of_failure] == [
        ("gate-south", "cam-g2", 2),
        ("cross-1", "cam-x1", 1),
        ("lab-chem", "cam-lab", 1),
        ("finance-office", "cam-fin1", 1),
        ("hazard-store", "cam-haz", 1),
    ]


def test_a_site_that_needs_no_camera_is_no_single_point() -> None:
    data = campus_data()
    data["sites"][1]["required_cameras"] = 0
    findings = analyse_graph(SiteMap.model_validate(data), ALL)
    assert "cross-1" not in {p.site for p in findings.single_points_of_failure}


# --------------------------------------------------------------- frames and campuses


def test_lat_lon_campus_gives_the_same_findings() -> None:
    lat0, lon0 = 30.52, 114.36

    def geo(x: float, y: float) -> dict[str, float]:
        return {
            "lat": lat0 + math.degrees(y / EARTH_RADIUS_M),
            "lon": lon0 + math.degrees(x / (EARTH_RADIUS_M * math.cos(math.radians(lat0)))),
        }

    geographic = SiteMap.model_validate(campus_data(geo))
    for intact in (ALL, without("cam-g1"), without("cam-x1")):
        local = analyse_graph(drawn_campus(), intact)
        found = analyse_graph(geographic, intact)
        assert coverage_of(found) == coverage_of(local)
        assert [s.length_m for s in found.segments] == pytest.approx(
            [s.length_m for s in local.segments], abs=0.01
        )
        assert [(n.node, n.how, n.covered_by) for n in found.intersections] == [
            (n.node, n.how, n.covered_by) for n in local.intersections
        ]
        assert [(r.target_site, r.path) for r in found.blind_routes] == [
            (r.target_site, r.path) for r in local.blind_routes
        ]
        assert found.single_points_of_failure == local.single_points_of_failure


def test_campuses_frames_are_kept_apart() -> None:
    """A north road drawn at the same local coordinates is not seen by south cameras."""
    data = campus_data()
    data["sites"].append({"id": "north-cross", "campus": "north", "category": "intersection"})
    data["roads"]["nodes"] += [
        {"id": "n1", "location": _xy(100, 0), "site": "north-cross"},
        {"id": "n2", "location": _xy(100, 100)},  # no site: north by its road
    ]
    data["roads"]["edges"].append({"from": "n1", "to": "n2", "main": True})
    findings = analyse_graph(SiteMap.model_validate(data), ALL)

    north = segment(findings, "n1", "n2")
    assert (north.campus, north.how, north.seen_fraction) == ("north", "none", 0.0)
    assert [(n.node, n.campus, n.covered) for n in findings.intersections][-2:] == [
        ("n1", "north", False),
        ("n2", "north", False),  # a dead end
    ]


def test_a_pole_camera_without_a_site_closes_the_gap() -> None:
    """A camera on a pole at (100, 125) looking north sees y = 125..155 of x2–lab."""
    data = campus_data()
    data["cameras"].append(
        {
            "id": "cam-pole",
            "onvif": {"host": "127.0.0.1"},
            "position": {"x": 100, "y": 125, "heading": 0, "fov": 20, "range": 30},
        }
    )
    findings = analyse_graph(SiteMap.model_validate(data), (*ALL, "cam-pole"))

    gap = segment(findings, "x2", "lab")
    assert (gap.how, gap.covered_by, gap.seen_fraction) == (
        "field_of_view",
        ("cam-lab", "cam-pole", "cam-x1"),
        1.0,
    )
    assert segment(analyse_graph(SiteMap.model_validate(data), ALL), "x2", "lab").how == "none"


def test_campus_without_roads_has_empty_road_findings() -> None:
    site_map = SiteMap.model_validate(small_campus([1] * 8))
    cameras = [c.id for c in site_map.cameras]
    findings = analyse_graph(site_map, cameras)

    assert findings.segments == ()
    assert findings.intersections == ()
    assert findings.blind_routes == ()
    assert findings.unattached_sites == ()
    assert [(p.site, p.camera) for p in findings.single_points_of_failure] == [
        ("east-lab", "cam-3"),
        ("east-canteen", "cam-4"),
    ]
    assert analyse_graph(site_map, ()).single_points_of_failure == ()


def test_watching_cameras_are_intact_and_not_shifted() -> None:
    health = {
        "up": CameraHealth(online=True, intact=True),
        "shifted": CameraHealth(online=True, intact=True, shifted=True),
        "faulty": CameraHealth(online=True, intact=False),
        "down": CameraHealth(online=False, intact=True),
    }
    assert watching_cameras(health) == frozenset({"up"})


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="seen_fraction"):
        GraphSettings(seen_fraction=0)
    with pytest.raises(ValueError, match="sample_step_m"):
        GraphSettings(sample_step_m=-5)


# ------------------------------------------------------------------- JSON and metrics


def test_json_round_trip() -> None:
    findings = analyse_graph(drawn_campus(), without("cam-x1"))
    data = json.loads(json.dumps(graph_findings_to_json(findings), ensure_ascii=False))

    assert graph_findings_from_json(data) == findings
    assert data["summary"]["south"] == {
        "segments": 5,
        "segments_covered": 1,
        "main_segments": 2,
        "main_segments_covered": 0,
        "intersections": 4,
        "intersections_covered": 2,
        "blind_routes": 2,
        "single_points_of_failure": 2,  # lab-chem, hazard-store
    }
    assert data["blind_routes"][1]["path"] == ["g", "x1", "x2", "lab"]
    assert data["parameters"]["seen_fraction"] == 0.8


class _Findings(Collector):
    def __init__(self, findings: GraphFindings, site_map: SiteMap) -> None:
        self._findings = findings
        self._site_map = site_map

    def collect(self) -> Iterator[Metric]:
        families = graph_families()
        add_graph(families, self._findings, self._site_map)
        yield from families.values()


def _registry(intact: tuple[str, ...]) -> CollectorRegistry:
    site_map = drawn_campus()
    registry = CollectorRegistry()
    registry.register(_Findings(analyse_graph(site_map, intact), site_map))
    return registry


def test_metrics() -> None:
    registry = _registry(without("cam-g1"))

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("tianyan_road_segments", campus="south", main="true") == 2
    assert value("tianyan_road_segments_covered", campus="south", main="true") == 2
    assert value("tianyan_road_coverage_ratio", campus="south", main="true") == 1.0
    assert value("tianyan_road_segments", campus="south", main="false") == 3
    assert value("tianyan_road_segments_covered", campus="south", main="false") == 0
    assert value("tianyan_road_coverage_ratio", campus="south", main="false") == 0.0
    # The north campus has no roads: counts of 0, and no ratio at all.
    assert value("tianyan_road_segments", campus="north", main="true") == 0
    assert value("tianyan_road_coverage_ratio", campus="north", main="true") is None
    assert value("tianyan_road_intersections", campus="south") == 4
    assert value("tianyan_road_intersections_covered", campus="south") == 4
    assert value("tianyan_blind_routes", campus="south") == 1
    assert value("tianyan_blind_routes", campus="north") == 0
    assert (
        value(
            "tianyan_blind_route_info",
            gate="gate-south",
            target="finance-office",
            category="finance_office",
        )
        == 1
    )
    points = {
        (s.labels["site"], s.labels["camera"])
        for metric in registry.collect()
        if metric.name == "tianyan_site_single_point_of_failure"
        for s in metric.samples
    }
    assert points == {
        ("gate-south", "cam-g2"),
        ("cross-1", "cam-x1"),
        ("lab-chem", "cam-lab"),
        ("hazard-store", "cam-haz"),
    }


def test_metrics_without_blind_routes_have_no_info_samples() -> None:
    registry = _registry(ALL)
    info = [m for m in registry.collect() if m.name == "tianyan_blind_route_info"]
    assert info[0].samples == []
    assert registry.get_sample_value("tianyan_blind_routes", {"campus": "south"}) == 0


# ------------------------------------------------------------------------ the demo


def test_demo_campus_is_analysed_fast() -> None:
    site_map = SiteMap.model_validate(build_demo_campus().site_map)
    assert len(site_map.cameras) >= 300
    cameras = [c.id for c in site_map.cameras]

    started = time.perf_counter()
    findings = analyse_graph(site_map, cameras)
    assert time.perf_counter() - started < 1.0

    summary = graph_findings_to_json(findings)["summary"]
    # Per campus: 5 main-road and 5 intersection nodes in a chain (9 segments, 5
    # of them main), plus one road to each of 3 gates (main) and 7 sensitive sites
    # (4 labs, finance, confidential, hazardous store): 19. South also has the back
    # road gate-3 → lab-4 (2 more), and lab-4 has no camera: its three roads are
    # not covered.
    assert summary["north"]["segments"] == summary["north"]["segments_covered"] == 19
    assert (summary["south"]["segments"], summary["south"]["segments_covered"]) == (21, 18)
    assert summary["north"]["main_segments"] == summary["south"]["main_segments"] == 8
    assert {s.how for s in findings.segments} == {"assigned", "none"}
    # The demo's one blind route: the back road to the new laboratory.
    assert [(b.gate_site, b.target_site, b.path) for b in findings.blind_routes] == [
        (
            "south-gate-3",
            "south-laboratory-4",
            ("south-gate-3-node", "south-back-road", "south-laboratory-4-node"),
        )
    ]
    assert findings.unattached_sites == ()
    # Every demo site has 2 or more cameras, except the one with none.
    assert findings.single_points_of_failure == ()
    assert analyse_graph(site_map, cameras) == findings  # deterministic
