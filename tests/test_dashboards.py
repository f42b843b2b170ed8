"""The Grafana dashboards: well-formed, reproducible from dashboards/build.py, and every
query of every panel and variable answered with data by a real Prometheus scraping a
real monitor of a campus with faults.

Grafana itself is not run (no Debian package); what can break silently without it
is checked here: a PromQL typo, a metric or label that does not exist, a join that
matches nothing, a table column renamed from a label that is not there.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from monitor.config import PollSettings, RecordingSettings
from monitor.simulator.faults import parse_fault
from monitor.simulator.server import build_simulator
from monitor.storage.store import default_sqlite_url
from site_map.loader import load_site_map
from tests import stack
from tests.campus import PASSWORD, PASSWORD_ENV, free_port, small_campus, write_yaml

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = ROOT / "dashboards"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
DS_REF = {"type": "prometheus", "uid": "${datasource}"}
ENV = {PASSWORD_ENV: PASSWORD}

# Every metric the monitor exports (README, docs/recordings.md, the topology
# families): a dashboard that names anything else has a typo.
KNOWN_METRICS = {
    "tianyan_assessment_score",
    "tianyan_camera_availability_ratio",
    "tianyan_camera_clock_offset_seconds",
    "tianyan_camera_identity_changes_total",
    "tianyan_camera_info",
    "tianyan_camera_intact",
    "tianyan_camera_last_probe_timestamp_seconds",
    "tianyan_camera_path_info",
    "tianyan_camera_probable_cause",
    "tianyan_camera_probe_duration_seconds",
    "tianyan_camera_probe_failure",
    "tianyan_camera_probe_success",
    "tianyan_camera_reference_timestamp_seconds",
    "tianyan_camera_site",
    "tianyan_camera_state_changes_last_hour",
    "tianyan_camera_state_changes_total",
    "tianyan_camera_state_since_timestamp_seconds",
    "tianyan_camera_up",
    "tianyan_camera_video_fault",
    "tianyan_camera_video_measure",
    "tianyan_cameras_configured",
    "tianyan_campus_availability_ratio",
    "tianyan_campus_coverage_ratio",
    "tianyan_category_info",
    "tianyan_channel_expected_seconds",
    "tianyan_channel_gaps",
    "tianyan_channel_info",
    "tianyan_channel_recorded_seconds",
    "tianyan_channel_recording",
    "tianyan_channel_recording_completeness_ratio",
    "tianyan_channel_retention_seconds",
    "tianyan_coverage_ratio",
    "tianyan_last_poll_timestamp_seconds",
    "tianyan_nvr_check_duration_seconds",
    "tianyan_nvr_days_until_full",
    "tianyan_nvr_disk_capacity_bytes",
    "tianyan_nvr_disk_free_bytes",
    "tianyan_nvr_disk_status",
    "tianyan_nvr_info",
    "tianyan_nvr_last_check_timestamp_seconds",
    "tianyan_nvr_retention_forecast_days",
    "tianyan_nvr_storage_capacity_days",
    "tianyan_nvr_up",
    "tianyan_nvr_write_bytes_per_second",
    "tianyan_poll_duration_seconds",
    "tianyan_poll_interval_seconds",
    "tianyan_recordings_interval_seconds",
    "tianyan_recordings_last_pass_timestamp_seconds",
    "tianyan_school_availability_outside_maintenance_ratio",
    "tianyan_school_availability_ratio",
    "tianyan_school_coverage_ratio",
    "tianyan_school_unmonitored_ratio",
    "tianyan_site_availability_ratio",
    "tianyan_site_cameras_installed",
    "tianyan_site_cameras_intact",
    "tianyan_site_cameras_required",
    "tianyan_site_info",
    "tianyan_site_location_latitude_degrees",
    "tianyan_site_location_longitude_degrees",
    "tianyan_site_location_x_metres",
    "tianyan_site_location_y_metres",
    "tianyan_sites_configured",
    "tianyan_switch_cameras",
    "tianyan_switch_cameras_unreachable",
    "tianyan_switch_down",
    "tianyan_target_ratio",
}

# Queries that are empty by design even on the faulty test campus, with why,
# keyed by (dashboard uid, panel title, refId). None today: every query of every
# panel has data below. Keep it so: an empty panel is usually a broken query.
EXPECTED_EMPTY: dict[tuple[str, str, str], str] = {}

# Panels that are empty when all is well (nothing down, nothing failing), and the
# fault of the test campus that fills them, so that their queries are proven too.
EMPTY_WHEN_ALL_IS_WELL: dict[tuple[str, str], str] = {
    ("tianyan-down-now", "离线或不完好的摄像机 Cameras offline or not intact"): (
        "cam-4 offline, cam-7/cam-8 behind a dead switch, cam-5 no snapshot, cam-3 blurred"
    ),
    ("tianyan-down-now", "画面故障 Picture faults now"): "cam-3 blurred",
    ("tianyan-down-now", "交换机故障 Switches down"): "cam-7 and cam-8 offline behind sw-west-dorm",
    ("tianyan-down-now", "录像机无应答 NVRs not answering"): "nvr-west-2 offline",
    ("tianyan-down-now", "硬盘故障 Disks failing"): "nvr-dahua's failed disk",
    ("tianyan-down-now", "未在录像的通道 Channels not recording"): "cam-7 dark for an hour",
    ("tianyan-camera", "当前失败 Current failure"): "$camera = cam-3, blurred",
    ("tianyan-video-quality", "画面故障摄像机 Cameras with picture faults"): "cam-3 blurred",
    ("tianyan-video-quality", "取流失败 Video stage failing"): "cam-5 no snapshot",
    ("tianyan-availability", "频繁变化的摄像机 Flapping cameras (last hour)"): "cam-2 down, up",
    ("tianyan-overview", "未达标点位 Sites with fewer intact cameras than required"): (
        "west-dorm, east-canteen, east-lab, west-finance (2 required), west-library (no camera)"
    ),
}


def build_module() -> ModuleType:
    """dashboards/build.py, imported by path (dashboards/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "tianyan_dashboards_build", DASHBOARDS / "build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: dataclasses look their module up while the file runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def committed() -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DASHBOARDS.glob("*.json"))
    }


def all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    ref: str
    expr: str
    legend: str = ""
    panel_id: int = 0  # 0 for a template variable
    label: str | None = None  # label_values(expr, label): the label the variable lists

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.dashboard, self.panel, self.ref)


LABEL_VALUES = re.compile(r"^label_values\((?P<expr>.*),\s*(?P<label>\w+)\)$", re.S)


def extract_queries(dashboard: dict[str, Any]) -> list[Query]:
    """Every PromQL expression of every panel and template variable of a dashboard."""
    uid = dashboard["uid"]
    out = []
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        definition = variable["query"]["query"]
        match = LABEL_VALUES.match(definition)
        assert match, f"{uid} ${variable['name']}: not label_values(EXPR, LABEL): {definition}"
        out.append(Query(uid, f"${variable['name']}", "var", match["expr"], label=match["label"]))
    for panel in all_panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            out.append(
                Query(
                    uid,
                    panel["title"],
                    target["refId"],
                    target["expr"],
                    target.get("legendFormat", ""),
                    panel["id"],
                )
            )
    return out


# -- the files alone --------------------------------------------------------------------


def test_the_generator_reproduces_the_committed_json() -> None:
    rendered = build_module().render()
    files = {path.name for path in DASHBOARDS.glob("*.json")}
    assert files == set(rendered), "dashboards/*.json and build.py list different dashboards"
    for name, content in rendered.items():
        assert (DASHBOARDS / name).read_text(encoding="utf-8") == content, (
            f"{name} differs from what dashboards/build.py writes: run it and commit both"
        )


def test_every_dashboard_is_well_formed() -> None:
    dashboards = committed()
    assert len(dashboards) == 7
    uids = [d["uid"] for d in dashboards.values()]
    titles = [d["title"] for d in dashboards.values()]
    assert len(set(uids)) == len(uids), uids
    assert len(set(titles)) == len(titles), titles
    for name, d in dashboards.items():
        assert d["schemaVersion"] == 39, name
        assert d["refresh"] == "30s", name
        assert re.search(r"[\u4e00-\u9fff]", d["title"]) and re.search(r"[A-Za-z]", d["title"])
        assert len(d["uid"]) <= 40 and re.fullmatch(r"[a-z0-9-]+", d["uid"]), d["uid"]
        variables = {v["name"]: v for v in d["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        for v in variables.values():
            if v["type"] == "query":
                assert v["datasource"] == DS_REF, (name, v["name"])
        ids = []
        for panel in all_panels(d["panels"]):
            assert isinstance(panel.get("id"), int) and panel["id"] > 0, (name, panel)
            ids.append(panel["id"])
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24 and pos["h"] > 0, (name, panel["title"])
            assert re.search(r"[\u4e00-\u9fff]", panel["title"]), (name, panel["title"])
            if panel["type"] in ("row", "text"):
                continue
            assert panel["datasource"] == DS_REF, (name, panel["title"])
            assert panel["targets"], (name, panel["title"])
            for target in panel["targets"]:
                assert target["datasource"] == DS_REF, (name, panel["title"])
        assert len(set(ids)) == len(ids), (name, ids)


def test_panels_empty_when_all_is_well_are_those_the_faults_fill() -> None:
    """The list above names real panels (a renamed panel must be renamed there too)."""
    panels = {(d["uid"], p["title"]) for d in committed().values() for p in all_panels(d["panels"])}
    assert set(EMPTY_WHEN_ALL_IS_WELL) <= panels, set(EMPTY_WHEN_ALL_IS_WELL) - panels


def test_queries_name_only_metrics_the_monitor_exports() -> None:
    for dashboard in committed().values():
        for query in extract_queries(dashboard):
            names = set(re.findall(r"\btianyan_\w+", query.expr))
            assert names, query
            assert names <= KNOWN_METRICS, (query.key, names - KNOWN_METRICS)


def map_panels() -> dict[str, dict[str, Any]]:
    """The campus map's site plan (XY chart) and geomap, by panel type."""
    panels = all_panels(committed()["campus-map.json"]["panels"])
    return {p["type"]: p for p in panels if p["type"] in ("xychart", "geomap")}


def test_map_panels_plot_the_columns_their_transformations_make() -> None:
    """Grafana draws nothing, silently, when a plotted field is not in the joined table."""
    panels = map_panels()
    assert set(panels) == {"xychart", "geomap"}
    columns = {}
    for kind, panel in panels.items():
        first, join = panel["transformations"]
        assert first["id"] == "organize", kind
        assert join == {"id": "joinByField", "options": {"byField": "site", "mode": "inner"}}
        assert first["options"]["excludeByName"]["Time"], kind  # one per query: dropped
        columns[kind] = set(first["options"]["renameByName"].values())
        # Beyond the first query, only `site` is kept: the join then has one column per name.
        for target in panel["targets"][1:]:
            assert target["expr"].startswith("max by (site) ("), (kind, target["expr"])
        assert all(t["format"] == "table" and t["instant"] for t in panel["targets"]), kind
        overrides = panel["fieldConfig"]["overrides"]
        [status] = [o for o in overrides if o["matcher"]["options"] == "status"]
        properties = {p["id"]: p["value"] for p in status["properties"]}
        colours = {k: v["color"] for k, v in properties["mappings"][0]["options"].items()}
        assert colours == {"2": "green", "1": "orange", "0": "red"}, kind
    plan = panels["xychart"]
    assert plan["repeat"] == "campus"  # one chart per campus-local frame
    [series] = plan["options"]["series"]
    assert {series["x"], series["y"], series["pointColor"]["field"]} <= columns["xychart"]
    assert (series["x"], series["y"]) == ("x", "y")
    [layer] = panels["geomap"]["options"]["layers"]
    where = layer["location"]
    assert where["mode"] == "coords"
    style = layer["config"]["style"]
    plotted = {where["latitude"], where["longitude"], style["color"]["field"]}
    assert plotted | {style["text"]["field"]} <= columns["geomap"]


def test_provisioning_points_grafana_at_prometheus_and_the_dashboards() -> None:
    sources = yaml.safe_load((PROVISIONING / "datasources" / "tianyan.yml").read_text("utf-8"))
    [source] = sources["datasources"]
    assert source["name"] == "Tianyan Prometheus"
    assert source["uid"] == "tianyan-prometheus"
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "tianyan.yml").read_text("utf-8"))
    [provider] = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/tianyan"
    build = build_module()
    assert (source["uid"], source["name"]) == (build.DATASOURCE_UID, build.DATASOURCE_NAME)


# -- every query against a real Prometheus ------------------------------------------------

CAMERA = "cam-3"  # online, blurred picture since its reference was taken, recorded
RECORDED_ON = {
    "cam-1": ("nvr-hik", 1),
    "cam-2": ("nvr-hik", 2),
    "cam-3": ("nvr-hik", 3),
    "cam-4": ("nvr-dahua", 1),
    "cam-5": ("nvr-dahua", 2),
    "cam-6": ("nvr-onvif", 1),
    "cam-7": ("nvr-onvif", 2),
    "cam-8": ("nvr-west-2", 1),
}
SWITCHES = {
    "cam-3": "sw-east",
    "cam-4": "sw-east",
    "cam-7": "sw-west-dorm",
    "cam-8": "sw-west-dorm",
}
# Where the key sites are: campus-local metres for most, latitude/longitude for one
# (a site map location is one or the other), so the site plan and the geomap both
# have points. west-library's location is its own: the geomap's only marker.
LOCATIONS: dict[str, dict[str, float]] = {
    "east-gate": {"x": 120.0, "y": 0.0},
    "east-lab": {"x": 80.0, "y": 150.0},
    "east-canteen": {"x": 210.0, "y": 95.0},
    "west-finance": {"x": 40.0, "y": 60.0},
    "west-dorm": {"x": 150.0, "y": 220.0},
    "west-library": {"lat": 39.9990, "lon": 116.3050},
}
# The coverage status the plan and the geomap colour each site by (2 covered,
# 1 under-covered, 0 no intact camera), given the faults below.
COVERAGE = {
    "east-gate": 2.0,  # cam-1 and cam-2 intact (cam-2 came back)
    "east-lab": 0.0,  # cam-3 blurred
    "east-canteen": 0.0,  # cam-4 offline
    "west-finance": 1.0,  # requires 2 here: cam-6 intact, cam-5 without a snapshot
    "west-dorm": 0.0,  # cam-7 and cam-8 behind the dead switch
    "west-library": 0.0,  # no camera
}
NVRS = (
    ("nvr-hik", "hikvision", "east"),
    ("nvr-dahua", "dahua", "east"),
    ("nvr-onvif", "onvif", "west"),
    ("nvr-west-2", "hikvision", "west"),
)


def faulty_campus(tmp_path: Path) -> Path:
    """Two campuses with every kind of fault the 'down now' panels list.

    cam-4 unplugged (its own fault); cam-7 and cam-8 behind one dead switch;
    cam-5 answers but its snapshot fails; cam-3's picture blurs after its
    reference view was taken; cam-2 goes down and up (flapping). Recorders:
    gaps on the Hikvision, a failed disk and 12 of 30 days on the Dahua, one
    NVR that does not answer, and cam-7's channel without footage for an hour.
    Sites are located (LOCATIONS) and the finance office requires two cameras, so
    that the campus map's plan and geomap have points of every colour.
    """
    data = small_campus()
    data["retention_days"] = 30
    data["nvrs"] = [
        {
            "id": nvr,
            "name": f"{campus} 录像机 {kind}",
            "kind": kind,
            "host": "127.0.0.1",
            "port": free_port(),
            "campus": campus,
        }
        for nvr, kind, campus in NVRS
    ]
    # Every site with a responsible unit: the tables' unit column then always has one.
    for site in data["sites"]:
        site.setdefault("unit", "后勤处")
        site["location"] = LOCATIONS[site["id"]]
    # Two cameras required at the finance office, one intact: a site under-covered
    # (orange on the site plan) beside covered and uncovered ones.
    [finance] = [site for site in data["sites"] if site["id"] == "west-finance"]
    finance["required_cameras"] = 2
    for camera in data["cameras"]:
        nvr, channel = RECORDED_ON[camera["id"]]
        camera["nvr"] = {"id": nvr, "channel": channel}
        if camera["id"] in SWITCHES:
            camera["switch"] = SWITCHES[camera["id"]]
    return write_yaml(tmp_path / "site-map.yaml", data)


INITIAL_FAULTS = {
    "cam-4": "offline",
    "cam-7": "offline",
    "cam-8": "offline",
    "cam-5": "no_snapshot",
    "nvr-hik": {"recording_gaps": 0.25},
    "nvr-dahua": [{"disk": "error"}, {"retention_days": 12}],
    "nvr-west-2": "offline",
}


def prometheus_config(port: int) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {
                "job_name": "tianyan",
                "scrape_interval": "1s",
                "scrape_timeout": "1s",
                "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
            }
        ],
    }


def instant(server: stack.Server, expr: str) -> dict[str, Any]:
    """An instant query; the answer whatever its status (errors come back as HTTP 400)."""
    query = urllib.parse.urlencode({"query": expr, "time": f"{time.time():.3f}"})
    try:
        with urllib.request.urlopen(f"{server.url}/api/v1/query?{query}", timeout=10) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


def wait_for_scrapes(server: stack.Server, samples: int, timeout: float = 30.0) -> None:
    """Until Prometheus holds `samples` scrapes of the monitor (rate() needs two)."""
    end = time.monotonic() + timeout
    expr = "count_over_time(tianyan_cameras_configured[1m])"
    while time.monotonic() < end:
        result = instant(server, expr).get("data", {}).get("result", [])
        if result and float(result[0]["value"][1]) >= samples:
            return
        time.sleep(0.5)
    targets = server.get("/api/v1/targets")
    raise TimeoutError(f"Prometheus did not scrape the monitor {samples} times: {targets}")


def substitute(expr: str, values: dict[str, str]) -> str:
    """Template variables replaced as Grafana would for the chosen values."""

    def one(match: re.Match[str]) -> str:
        name = match[1] or match[2]
        assert name in values, f"no test value for ${name} in {expr}"
        return values[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", one, expr)


def check_site_map_panels(server: stack.Server, values: dict[str, str]) -> list[str]:
    """The map panels' tables hold the test campus's locations and coverage statuses."""
    panels = map_panels()

    def by_site(kind: str, ref: str) -> dict[str, float]:
        [target] = [t for t in panels[kind]["targets"] if t["refId"] == ref]
        result = instant(server, substitute(target["expr"], values))["data"]["result"]
        return {s["metric"]["site"]: float(s["value"][1]) for s in result}

    expected = {
        ("xychart", "A"): {site: w["x"] for site, w in LOCATIONS.items() if "x" in w},
        ("xychart", "B"): {site: w["y"] for site, w in LOCATIONS.items() if "y" in w},
        ("geomap", "A"): {site: w["lat"] for site, w in LOCATIONS.items() if "lat" in w},
        ("geomap", "B"): {site: w["lon"] for site, w in LOCATIONS.items() if "lon" in w},
        ("xychart", "C"): COVERAGE,
        ("geomap", "C"): COVERAGE,
    }
    problems = []
    for (kind, ref), want in expected.items():
        got = by_site(kind, ref)
        if got != pytest.approx(want):
            problems.append(f"campus map {kind} / {ref}: {got}, expected {want}")
    return problems


def check_columns(panel: dict[str, Any], results: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Table columns renamed from labels that no query of the panel returns."""
    problems = []
    labels = {
        name for series in (s for r in results.values() for s in r) for name in series["metric"]
    }
    present = labels | {"Time", "Value"} | {f"Value #{ref}" for ref in results}
    matrix = [t for t in panel.get("transformations", []) if t["id"] == "groupingToMatrix"]
    for t in matrix:
        row, column = t["options"]["rowField"], t["options"]["columnField"]
        assert row in labels and column in labels, (panel["title"], row, column)
        present |= {f"{row}\\{column}"}
        present |= {s["metric"][column] for r in results.values() for s in r}
    for t in panel.get("transformations", []):
        if t["id"] == "joinByField":
            # Every query's table must carry the join column, or its rows join nothing.
            key = t["options"]["byField"]
            for ref, result in results.items():
                if not all(key in series["metric"] for series in result):
                    problems.append(f"{panel['title']} / {ref}: no {key!r} to join on")
        if t["id"] != "organize":
            continue
        for name in t["options"]["renameByName"]:
            if name not in present:
                problems.append(f"{panel['title']}: column {name!r} is in no query's answer")
    return problems


@pytest.mark.slow
async def test_every_panel_query_returns_data_from_a_real_prometheus(tmp_path: Path) -> None:
    stack.require("prometheus")
    from monitor.api.http import bound_port
    from monitor.service import MonitorService

    loaded = load_site_map(faulty_campus(tmp_path), environ=ENV)
    simulator = build_simulator(
        loaded.site_map,
        base_dir=tmp_path,
        environ=ENV,
        faults={device: parse_fault(fault) for device, fault in INITIAL_FAULTS.items()},
    )
    service = MonitorService(
        loaded,
        default_sqlite_url(tmp_path),
        # One failed or good probe changes the state: the flapping shows in two cycles.
        PollSettings(interval_seconds=15, timeout_seconds=5, down_after=1, up_after=1),
        recordings=RecordingSettings(),
    )
    await simulator.start()
    prometheus = None
    try:
        await service.once()  # every camera probed once, every NVR checked once
        simulator.set_fault(CAMERA, parse_fault({"video": "blur"}))
        simulator.set_fault("cam-2", parse_fault("offline"))
        await service.poller.run_cycle()
        simulator.set_fault("cam-2", None)
        await service.poller.run_cycle()
        # cam-7 went dark an hour ago: its channel's footage stops there.
        onvif = simulator.recorders.nvrs["nvr-onvif"]
        onvif.outages[RECORDED_ON["cam-7"][1]] = [[time.time() - 3600.0, None]]
        assert service.recorders is not None
        await service.recorders.run_pass()
        service.poller.refresh_snapshot()
        await service.refresh_availability()
        runner = await service.start_http("127.0.0.1", 0)
        port = bound_port(runner)

        # Prometheus runs beside the event loop that serves /metrics: every blocking
        # call goes to a thread, or the scrapes would wait for the test.
        prometheus = stack.prometheus(prometheus_config(port))
        server = await asyncio.to_thread(prometheus.__enter__)
        await asyncio.to_thread(wait_for_scrapes, server, 4)

        campuses = "(east|west)"  # what Grafana sends for "All"
        values = {
            "campus": campuses,
            "camera": CAMERA,
            "site": "east-lab",
            "nvr": "(" + "|".join(nvr for nvr, _, _ in NVRS) + ")",
            "category": "(gate|laboratory|canteen|finance_office|dormitory|library)",
            "window": "7d",
            "__rate_interval": "1m",
            "__range": "5m",
            "__interval": "15s",
        }
        problems: list[str] = []
        checked = 0
        for name, dashboard in committed().items():
            results_by_panel: dict[int, dict[str, list[dict[str, Any]]]] = {}
            for query in extract_queries(dashboard):
                expr = substitute(query.expr, values)
                answer = await asyncio.to_thread(instant, server, expr)
                checked += 1
                where = f"{name} / {query.panel} / {query.ref}"
                if answer.get("status") != "success":
                    problems.append(f"{where}: {answer.get('error')}\n    {expr}")
                    continue
                result = answer["data"]["result"]
                results_by_panel.setdefault(query.panel_id, {})[query.ref] = result
                if not result:
                    if query.key not in EXPECTED_EMPTY:
                        problems.append(f"{where}: no data\n    {expr}")
                    continue
                if query.key in EXPECTED_EMPTY:
                    problems.append(f"{where}: listed as empty by design, but has data")
                if query.label is not None and not all(query.label in s["metric"] for s in result):
                    problems.append(f"{where}: series without label {query.label!r}")
                for label in re.findall(r"\{\{\s*(\w+)\s*\}\}", query.legend):
                    if not all(label in s["metric"] for s in result):
                        problems.append(f"{where}: legend label {label!r} missing")
            for panel in all_panels(dashboard["panels"]):
                if panel["id"] in results_by_panel:
                    problems += check_columns(panel, results_by_panel[panel["id"]])
        problems += await asyncio.to_thread(check_site_map_panels, server, values)
        assert checked > 100
        assert not problems, "\n".join(problems)
    finally:
        if prometheus is not None:
            await asyncio.to_thread(prometheus.__exit__, None, None, None)
        await service.close()
        await simulator.stop()
