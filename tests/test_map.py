"""The campus map SVG, drawn from the small test campus and the demo campus, and its routes.

The small campus is laid out by hand below so every status, colour and
position can be checked against a sketch:

    east (x/y metres)                      west (lat/lon)
      cam-2 (0,10) looks north               west-dorm    30.001, 120.0  (111.19 m north)
      east-gate (0,0)  e1 ── main ── e3      west-finance 30.0,   120.0
      cam-1 (10,0) looks east         \\     west-library: no location
      east-lab (100,0)  e2 ───────────┘
      east-canteen: no location
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from monitor.api.http import bound_port, build_app, serve
from monitor.api.map_routes import MapCache, add_map_routes, map_svg
from monitor.demo.campus import build_demo_campus
from monitor.map import (
    UnknownCampusError,
    equirectangular,
    map_page,
    render_campus_map,
    sector_points,
    site_status_class,
)
from monitor.polling.snapshot import MonitorSnapshot
from monitor.probing.result import ProbeResult, Reason, Stage, StageResult
from monitor.state import CameraState
from site_map.coverage import CameraHealth, compute_coverage
from site_map.model import SiteMap
from tests.campus import small_campus

SVG = "{http://www.w3.org/2000/svg}"
NOW = 1_790_000_000.0

# Camera id -> (online, intact); cam-8 is never probed.
HEALTH = {
    "cam-1": CameraHealth(online=True, intact=True),
    "cam-2": CameraHealth(online=True, intact=True),
    "cam-3": CameraHealth(online=False, intact=False),
    "cam-4": CameraHealth(online=True, intact=False),
    "cam-5": CameraHealth(online=True, intact=True),
    "cam-6": CameraHealth(online=False, intact=False),
    "cam-7": CameraHealth(online=True, intact=True),
}
# By hand: east-gate needs 2 (gate), has cam-1, cam-2 intact; east-lab's only
# camera is offline; east-canteen's is online without video; west-finance
# needs 2 and has one intact; west-dorm needs 1 and has cam-7; the library
# has no camera at all.
EXPECTED_STATUS = {
    "east-gate": "covered",
    "east-lab": "unwatched",
    "east-canteen": "unwatched",
    "west-finance": "under-covered",
    "west-dorm": "covered",
    "west-library": "unwatched",
}
EXPECTED_CAMERA = {
    "cam-1": "intact",
    "cam-2": "intact",
    "cam-3": "offline",
    "cam-4": "not-intact",
    "cam-5": "intact",
    "cam-6": "offline",
    "cam-7": "intact",
}


def located_campus() -> dict[str, Any]:
    """`small_campus()` with locations, camera positions and roads (sketch above)."""
    data = small_campus(list(range(9101, 9109)))
    sites = {s["id"]: s for s in data["sites"]}
    sites["east-gate"]["location"] = {"x": 0, "y": 0}
    sites["east-lab"]["location"] = {"x": 100, "y": 0}
    sites["west-finance"]["location"] = {"lat": 30.0, "lon": 120.0}
    sites["west-finance"]["required_cameras"] = 2
    sites["west-dorm"]["location"] = {"lat": 30.001, "lon": 120.0}
    cameras = {c["id"]: c for c in data["cameras"]}
    cameras["cam-1"]["position"] = {"x": 10, "y": 0, "heading": 90, "fov": 90, "range": 10}
    cameras["cam-2"]["position"] = {"x": 0, "y": 10, "heading": 0, "fov": 60, "range": 20}
    cameras["cam-3"]["position"] = {"x": 95, "y": 5, "heading": 180, "fov": 90, "range": 15}
    cameras["cam-4"]["position"] = {"x": 50, "y": -20, "heading": 270, "fov": 200, "range": 8}
    cameras["cam-5"]["position"] = {"lat": 30.0, "lon": 120.0001, "heading": 270, "range": 12}
    cameras["cam-6"]["position"] = {"lat": 29.9999, "lon": 120.0, "heading": 0, "range": 12}
    cameras["cam-7"]["position"] = {"lat": 30.001, "lon": 120.0001, "fov": 360, "range": 5}
    data["roads"] = {
        "nodes": [
            {"id": "e1", "location": {"x": 0, "y": 0}, "site": "east-gate"},
            {"id": "e2", "location": {"x": 100, "y": 0}, "site": "east-lab"},
            {"id": "e3", "location": {"x": 50, "y": 50}},
            {"id": "w1", "location": {"lat": 30.0, "lon": 120.0}, "site": "west-finance"},
            {"id": "w2", "location": {"lat": 30.001, "lon": 120.0}, "site": "west-dorm"},
            {"id": "lost", "location": {"x": 5, "y": 5}},
        ],
        "edges": [
            {"from": "e1", "to": "e3", "main": True, "name": "东大道"},
            {"from": "e3", "to": "e2"},
            {"from": "w1", "to": "w2"},
        ],
    }
    return data


def render(data: dict[str, Any] | None = None, **kwargs: Any) -> tuple[str, ET.Element]:
    site_map = SiteMap.model_validate(data or located_campus())
    report = compute_coverage(site_map, HEALTH)
    svg = render_campus_map(site_map, report, HEALTH, **kwargs)
    return svg, ET.fromstring(svg.encode("utf-8"))


def by_id(root: ET.Element, element_id: str) -> ET.Element:
    found = [e for e in root.iter() if e.get("id") == element_id]
    assert len(found) == 1, f"{element_id}: {len(found)} elements"
    return found[0]


def classes(element: ET.Element) -> set[str]:
    return set((element.get("class") or "").split())


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in classes(e)]


def circle_centre(group: ET.Element, css_class: str | None = None) -> tuple[float, float]:
    for circle in group.iter(f"{SVG}circle"):
        if css_class is None or css_class in classes(circle):
            return float(circle.get("cx", "nan")), float(circle.get("cy", "nan"))
    raise AssertionError(f"no circle in {group.get('id')}")


def panel_scale(root: ET.Element, campus: str) -> float:
    return float(by_id(root, f"campus-{campus}").get("data-scale", "nan"))


def wedge(camera: ET.Element) -> tuple[tuple[float, float], tuple[float, float], float]:
    """(edge point 1, edge point 2, radius) of a camera's sector path `M c L a A r r 0 l 1 b Z`."""
    path = next(p for p in camera.iter(f"{SVG}path") if "fov" in classes(p))
    d = path.get("d", "")
    head, arc = d[1:].split("A")
    _, edge_a = head.split("L")
    ax, ay = map(float, edge_a.split())
    parts = arc.rstrip("Z").split()
    return (ax, ay), (float(parts[5]), float(parts[6])), float(parts[0])


# ----------------------------------------------------------------------- statuses


def test_every_site_has_its_status_class_and_a_tooltip():
    _, root = render()
    for site_id, status in EXPECTED_STATUS.items():
        element = by_id(root, f"site-{site_id}")
        assert status in classes(element), (site_id, classes(element))
        others = {"covered", "under-covered", "unwatched"} - {status}
        assert not classes(element) & others
        title = element.find(f"{SVG}title")
        assert title is not None and title.text
    gate_title = by_id(root, "site-east-gate").findtext(f"{SVG}title") or ""
    assert "东门" in gate_title and "校门 gate" in gate_title
    assert "完好 intact 2 / 需要 required 2" in gate_title and "保卫处" in gate_title
    finance_title = by_id(root, "site-west-finance").findtext(f"{SVG}title") or ""
    assert "完好 intact 1 / 需要 required 2" in finance_title
    assert "财务处" in finance_title and "cam-6 offline" in finance_title
    # The colours of the legend: green, orange, red.
    fills = {
        s: by_id(root, f"site-{s}").find(f"{SVG}circle").get("fill")  # type: ignore[union-attr]
        for s in ("east-gate", "west-finance", "east-lab")
    }
    assert fills == {"east-gate": "#2e7d32", "west-finance": "#ef6c00", "east-lab": "#c62828"}
    assert len(with_class(root, "covered")) == 2
    assert len(with_class(root, "under-covered")) == 1
    assert len(with_class(root, "unwatched")) == 3


def test_sites_that_need_attention_are_labelled_on_the_map():
    _, root = render()
    lab = by_id(root, "site-east-lab")
    assert [t.text for t in lab.iter(f"{SVG}text")] == ["化学实验室"]
    assert by_id(root, "site-east-gate").find(f"{SVG}text") is None


def test_camera_classes_and_the_offline_cross():
    _, root = render()
    for camera_id, state in EXPECTED_CAMERA.items():
        element = by_id(root, f"camera-{camera_id}")
        assert state in classes(element), (camera_id, classes(element))
        assert {"camera", state} <= classes(element)
        crossed = [p for p in element.iter(f"{SVG}path") if "cross" in classes(p)]
        assert len(crossed) == (1 if state == "offline" else 0), camera_id
    assert by_id(root, "camera-cam-3").find(f"{SVG}circle").get("fill") == "#9e9e9e"  # type: ignore[union-attr]
    # Never probed (cam-8) would be offline too, but it has no position: not drawn,
    # counted beside the west map.
    assert not [e for e in root.iter() if e.get("id") == "camera-cam-8"]
    notes = [t.text or "" for t in by_id(root, "campus-west").iter(f"{SVG}text")]
    assert any("cameras without position: 1" in n for n in notes)
    assert "never probed" not in (by_id(root, "camera-cam-1").findtext(f"{SVG}title") or "")


def test_a_shifted_view_is_drawn_as_not_intact():
    site_map = SiteMap.model_validate(located_campus())
    health = dict(HEALTH, **{"cam-1": CameraHealth(online=True, intact=True, shifted=True)})
    svg = render_campus_map(site_map, compute_coverage(site_map, health), health)
    element = by_id(ET.fromstring(svg.encode()), "camera-cam-1")
    assert {"not-intact", "shifted"} <= classes(element)
    # East gate now has one intact unshifted camera of two.
    gate = by_id(ET.fromstring(svg.encode()), "site-east-gate")
    assert "under-covered" in classes(gate)


# ---------------------------------------------------------------------- geometry


def test_sector_points_by_hand():
    a, b = sector_points(0, 0, heading=90, fov=90, reach=10)
    half = 10 / math.sqrt(2)
    assert a == pytest.approx((half, half))  # north-east
    assert b == pytest.approx((half, -half))  # south-east
    a, b = sector_points(5, 5, heading=0, fov=60, reach=20)
    assert a == pytest.approx((5 - 10, 5 + 20 * math.cos(math.radians(30))))
    assert b == pytest.approx((5 + 10, 5 + 20 * math.cos(math.radians(30))))


def test_camera_wedge_on_screen_with_north_up():
    _, root = render()
    s = panel_scale(root, "east")
    gate_x, gate_y = circle_centre(by_id(root, "site-east-gate"))

    # cam-1 hangs 10 m east of the gate and looks east, 90°, 10 m.
    cam1 = by_id(root, "camera-cam-1")
    cx, cy = circle_centre(cam1, "camera-dot")
    assert (cx - gate_x, cy - gate_y) == pytest.approx((10 * s, 0), abs=0.02)
    (ax, ay), (bx, by), r = wedge(cam1)
    half = 10 * s / math.sqrt(2)
    assert r == pytest.approx(10 * s, abs=0.01)
    # First edge north-east: right and UP on screen; second south-east: right and down.
    assert (ax - cx, ay - cy) == pytest.approx((half, -half), abs=0.02)
    assert (bx - cx, by - cy) == pytest.approx((half, half), abs=0.02)

    # cam-2 hangs 10 m north of the gate (above it on screen), looks north, 60°, 20 m.
    cam2 = by_id(root, "camera-cam-2")
    cx, cy = circle_centre(cam2, "camera-dot")
    assert (cx - gate_x, cy - gate_y) == pytest.approx((0, -10 * s), abs=0.02)
    (ax, ay), (bx, by), _ = wedge(cam2)
    assert (ax - cx, ay - cy) == pytest.approx((-10 * s, -20 * s * math.cos(math.pi / 6)), abs=0.02)
    assert (bx - cx, by - cy) == pytest.approx((10 * s, -20 * s * math.cos(math.pi / 6)), abs=0.02)

    # A field of view wider than 180° takes the large arc.
    path = next(p for p in by_id(root, "camera-cam-4").iter(f"{SVG}path") if "fov" in classes(p))
    assert " 0 1 1 " in path.get("d", "")
    # 360°: a whole disc around the camera.
    disc = next(p for p in by_id(root, "camera-cam-7").iter(f"{SVG}path") if "fov" in classes(p))
    assert disc.get("d", "").count("A") == 2


def test_lat_lon_is_projected_around_the_campus_mean():
    x, y = equirectangular(30.001, 120.0, 30.0, 120.0)
    assert x == pytest.approx(0.0)
    assert y == pytest.approx(111.195, abs=0.01)
    x, _ = equirectangular(30.0, 120.001, 30.0, 120.0)
    assert x == pytest.approx(111.195 * math.cos(math.radians(30)), abs=0.01)

    _, root = render()
    s = panel_scale(root, "west")
    fx, fy = circle_centre(by_id(root, "site-west-finance"))
    dx, dy = circle_centre(by_id(root, "site-west-dorm"))
    assert dx == pytest.approx(fx, abs=0.02)
    assert fy - dy == pytest.approx(111.195 * s, abs=0.05)  # the dorm is north: higher up
    # cam-5 is 0.0001° of longitude east of the finance office.
    cx, cy = circle_centre(by_id(root, "camera-cam-5"), "camera-dot")
    east = 6_371_008.8 * math.cos(math.radians(30.0005)) * math.radians(0.0001)
    assert (cx - fx, cy - fy) == pytest.approx((east * s, 0), abs=0.02)


def test_everything_fits_in_its_map_area():
    _, root = render()
    for panel in with_class(root, "campus"):
        area = next(e for e in panel.iter(f"{SVG}rect") if "map-area" in classes(e))
        top, height = float(area.get("y", "nan")), float(area.get("height", "nan"))
        width = float(area.get("width", "nan"))
        points = []
        for group in with_class(panel, "sites") + with_class(panel, "cameras"):
            points += [
                (float(c.get("cx", "nan")), float(c.get("cy", "nan")))
                for c in group.iter(f"{SVG}circle")
            ]
        for camera in with_class(panel, "camera"):
            if camera.get("id") != "camera-cam-7":  # the 360° disc has no edge points
                points += wedge(camera)[:2]
        assert len(points) > 5
        for x, y in points:
            assert 0 <= x <= width and top <= y <= top + height, (panel.get("id"), x, y)


# ------------------------------------------------------------------ roads, routes


def test_roads_main_thicker():
    _, root = render()
    roads = with_class(root, "road")
    assert len(roads) == 3
    main = [r for r in roads if "main" in classes(r)]
    assert len(main) == 1
    assert float(main[0].get("stroke-width", "0")) > max(
        float(r.get("stroke-width", "0")) for r in roads if r is not main[0]
    )
    assert "东大道" in (main[0].findtext(f"{SVG}title") or "")
    assert len(with_class(by_id(root, "campus-east"), "road")) == 2  # e3 joins east by road


def test_things_without_a_site_are_drawn_where_the_graph_analysis_puts_them():
    data = located_campus()
    # A camera of no key site hanging by the west dormitory's road node, and
    # one with neither site, position nor NVR in a school of two campuses.
    data["cameras"].append(
        {
            "id": "cam-9",
            "onvif": {"host": "127.0.0.1", "port": 9109},
            "position": {"lat": 30.00101, "lon": 120.00001},
        }
    )
    data["cameras"].append({"id": "cam-10", "onvif": {"host": "127.0.0.1", "port": 9110}})
    # `lost` joins no road: it belongs to the nearest located site, the east gate.
    findings = SimpleNamespace(blind_routes=(SimpleNamespace(path=("lost", "e1")),))
    _, root = render(data, findings=findings)
    west = by_id(root, "campus-west")
    assert [e.get("id") for e in with_class(west, "camera") if e.get("id") == "camera-cam-9"]
    assert len(with_class(by_id(root, "campus-east"), "blind-route")) == 1
    notes = [t.text or "" for t in root.iter(f"{SVG}text") if "note" in classes(t)]
    assert "无校区的摄像机 cameras of no campus (not drawn): 1" in notes


def test_blind_routes_are_dashed_red_segments():
    route = SimpleNamespace(path=("e1", "e3", "e2"))
    elsewhere = SimpleNamespace(path=("w1", "nowhere"))
    _, root = render(findings=SimpleNamespace(blind_routes=(route, elsewhere)))
    segments = with_class(root, "blind-route")
    assert len(segments) == 2
    for segment in segments:
        assert segment.get("stroke-dasharray") == "8 5"
        assert segment.get("stroke") == "#d50000"
        assert segment.get("data-route") == "0"
    gate = circle_centre(by_id(root, "site-east-gate"))
    lab = circle_centre(by_id(root, "site-east-lab"))
    first, second = segments
    assert (float(first.get("x1", "nan")), float(first.get("y1", "nan"))) == pytest.approx(gate)
    assert (float(second.get("x2", "nan")), float(second.get("y2", "nan"))) == pytest.approx(lab)
    assert first.get("x2") == second.get("x1") and first.get("y2") == second.get("y1")
    # Without findings, no blind route; the legend still explains the symbol.
    _, plain = render(findings=None)
    assert not with_class(plain, "blind-route")
    assert "盲区路线 blind route" in "".join(by_id(plain, "legend").itertext())


# -------------------------------------------------------- text, lists, campuses


def test_names_are_escaped():
    data = located_campus()
    data["sites"][0]["name"] = "<script>alert('x')</script> & \"东门\"\x01"
    data["campuses"][0]["name"] = "</svg><b>东</b>"
    svg, root = render(data)
    assert "<script" not in svg and "</svg><b>" not in svg
    assert not list(root.iter(f"{SVG}script"))
    title = by_id(root, "site-east-gate").findtext(f"{SVG}title") or ""
    assert title.startswith("<script>alert('x')</script> & \"东门\"\ufffd (east-gate)")
    headings = [t.text for t in root.iter(f"{SVG}text") if "campus-title" in classes(t)]
    assert "</svg><b>东</b> east" in headings


def test_sites_without_a_location_are_listed_beside_the_map():
    _, root = render()
    for site_id in ("east-canteen", "west-library"):
        element = by_id(root, f"site-{site_id}")
        assert {"not-located", "unwatched"} <= classes(element)
        assert element.find(f"{SVG}text") is not None  # named in the list
    headings = [t.text for t in root.iter(f"{SVG}text") if "side-heading" in classes(t)]
    assert headings == ["未定位 not located (1)", "未定位 not located (1)"]
    # A campus without any location still has its sites, all in the list.
    svg, bare = render(small_campus(list(range(9101, 9109))))
    assert "no locations in the site map" in svg
    assert len(with_class(bare, "not-located")) == 6
    assert len(with_class(bare, "site")) == 6


def test_one_campus_or_all():
    _, root = render(campus="west")
    assert [g.get("id") for g in with_class(root, "campus")] == ["campus-west"]
    assert {e.get("id") for e in with_class(root, "site")} == {
        "site-west-finance",
        "site-west-dorm",
        "site-west-library",
    }
    assert root.get("data-campuses") == "east west" and root.get("data-shown") == "west"
    _, both = render()
    panels = with_class(both, "campus")
    assert [g.get("id") for g in panels] == ["campus-east", "campus-west"]
    # Side by side, each in its own frame.
    assert panels[0].get("transform") != panels[1].get("transform")
    with pytest.raises(UnknownCampusError, match=r"unknown campus 'south'.*east, west"):
        render(campus="south")


def test_same_input_same_bytes():
    first, _ = render(findings=SimpleNamespace(blind_routes=(SimpleNamespace(path=("e1", "e3")),)))
    second, _ = render(findings=SimpleNamespace(blind_routes=(SimpleNamespace(path=("e1", "e3")),)))
    assert first == second
    assert render(campus="east")[0] == render(campus="east")[0]


def test_demo_campus():
    demo = build_demo_campus()
    site_map = SiteMap.model_validate(demo.site_map)
    health = {c.id: CameraHealth(online=True, intact=True) for c in site_map.cameras}
    for device, fault in demo.faults.items():
        if device in health:
            video = isinstance(fault, dict) and "video" in fault
            health[device] = CameraHealth(online=video, intact=False)
    report = compute_coverage(site_map, health)
    svg = render_campus_map(site_map, report, health)
    root = ET.fromstring(svg.encode())
    assert svg == render_campus_map(site_map, report, health)

    assert len(with_class(root, "site")) == len(site_map.sites)
    assert len(with_class(root, "camera")) == len(site_map.cameras)
    # By hand from the demo's faults: the new south laboratory has no camera;
    # the south basketball courts lost their switch (cameras 0119–0122); the
    # north gymnasium needs 8 and has 6, all intact.
    unwatched = {e.get("id") for e in with_class(root, "unwatched")}
    assert unwatched == {
        "site-south-laboratory-4",
        "site-south-basketball-court-1",
        "site-south-basketball-court-2",
    }
    assert {e.get("id") for e in with_class(root, "under-covered")} == {"site-north-gymnasium-1"}
    offline = {e.get("id") for e in with_class(root, "offline")}
    assert "camera-south-cam-0119" in offline and "camera-north-cam-0005" in offline
    assert {e.get("id") for e in with_class(root, "not-intact")} == {
        "camera-north-cam-0020",
        "camera-north-cam-0030",
        "camera-south-cam-0045",
    }
    # Per campus 9 chained segments and 10 roads to gates and sensitive sites, and
    # the south's back road to its new laboratory (2 segments).
    assert len(with_class(root, "road")) == 19 + 21
    assert len(with_class(root, "main")) > 0
    assert not with_class(root, "not-located")


# ------------------------------------------------------------------------- routes


def _states() -> dict[str, CameraState]:
    def probe(camera: str, video_ok: bool) -> ProbeResult:
        stages = [StageResult(Stage.TCP, True, 0.01), StageResult(Stage.ONVIF, True, 0.01)]
        if video_ok:
            stages.append(StageResult(Stage.VIDEO, True, 0.01))
        else:
            stages.append(StageResult(Stage.VIDEO, False, 0.5, Reason.NO_VIDEO, "no frame"))
        return ProbeResult(target=camera, started_at=NOW, stages=tuple(stages))

    def down(camera: str) -> ProbeResult:
        failed = StageResult(Stage.TCP, False, 1.0, Reason.UNREACHABLE, "refused")
        return ProbeResult(target=camera, started_at=NOW, stages=(failed,))

    states = {}
    for camera, health in HEALTH.items():
        result = probe(camera, health.intact) if health.online else down(camera)
        states[camera] = CameraState(camera, health.online, NOW, last_probe=result)
    return states


def monitor_snapshot() -> MonitorSnapshot:
    """The located small campus with HEALTH's states, as the poller would publish it."""
    site_map = SiteMap.model_validate(located_campus())
    return MonitorSnapshot.build(
        site_map, _states(), cycle_started_at=NOW, cycle_finished_at=NOW + 5, cycles_completed=1
    )


def test_snapshot_states_give_the_expected_health():
    snapshot = monitor_snapshot()
    assert {s.id: site_status_class(s) for s in snapshot.coverage.sites} == EXPECTED_STATUS


async def test_routes_serve_the_page_and_the_svg():
    snapshot = monitor_snapshot()
    app = build_app(lambda: snapshot)
    add_map_routes(app)
    add_map_routes(app)  # harmless when build_app has registered them already
    runner = await serve(app, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{bound_port(runner)}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/api/map.svg") as answer:
                assert answer.status == 200
                assert answer.content_type == "image/svg+xml"
                assert answer.headers["X-Tianyan-Poll-Finished"] == f"{NOW + 5:.3f}"
                body = await answer.text()
            root = ET.fromstring(body.encode())
            assert "under-covered" in classes(by_id(root, "site-west-finance"))
            assert "offline" in classes(by_id(root, "camera-cam-3"))
            async with http.get(f"{base}/api/map.svg", params={"campus": "east"}) as answer:
                assert answer.status == 200
                east = await answer.text()
            assert 'id="campus-east"' in east and 'id="campus-west"' not in east
            async with http.get(f"{base}/api/map.svg", params={"campus": "moon"}) as answer:
                assert answer.status == 404
                assert "unknown campus 'moon'" in await answer.text()
            async with http.get(f"{base}/map") as answer:
                assert answer.status == 200
                assert answer.content_type == "text/html"
                page = await answer.text()
        assert "Test University — 预警一张图 campus map" in page
        assert "/api/map.svg" in page and "30 * 1000" in page
    finally:
        await runner.cleanup()


def test_a_map_is_drawn_once_per_snapshot_and_campus():
    cache = MapCache()
    snapshot = monitor_snapshot()
    first = map_svg(cache, snapshot, None)
    assert map_svg(cache, snapshot, None) is first
    assert map_svg(cache, snapshot, "west") is not first
    # The road graph was analysed: e1 → e3 → e2 runs from the gate to the
    # laboratory with no camera on it (cam-3 there is offline).
    assert 'class="blind-route"' in first
    later = monitor_snapshot()
    redrawn = map_svg(cache, later, None)
    assert redrawn is not first and redrawn == first
    assert set(cache.svgs) == {""}


def test_page_is_self_contained_and_escapes_its_title():
    page = map_page("<b>校园</b> & co")
    assert "&lt;b&gt;校园&lt;/b&gt; &amp; co" in page and "<b>校园" not in page
    # Isolated networks: nothing fetched from elsewhere.
    assert "http://" not in page and "https://" not in page and "//" + "cdn" not in page
    assert "<script src" not in page and 'rel="stylesheet"' not in page
    assert '<link rel="icon" href="data:,">' in page  # no /favicon.ico request either
