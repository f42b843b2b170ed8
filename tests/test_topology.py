"""Root causes over the network paths: one switch down, not a storm of cameras."""

from __future__ import annotations

import networkx as nx
from prometheus_client import CollectorRegistry

from monitor.exporter.collector import SnapshotCollector
from monitor.polling.snapshot import MonitorSnapshot
from monitor.probing.result import Reason, Stage
from monitor.state import CameraState
from monitor.topology.causes import MONITOR, Topology, build_topology, root_causes
from site_map.model import SiteMap
from tests.campus import small_campus
from tests.test_exporter import NOW, _probe


def campus_with_switches() -> SiteMap:
    data = small_campus(list(range(9001, 9009)))
    switches = ["sw-a", "sw-a", "sw-a", "sw-b", None, "sw-c", "sw-c", None]
    for camera, switch in zip(data["cameras"], switches, strict=True):
        if switch:
            camera["switch"] = switch
    data["nvrs"] = [{"id": "nvr-1", "host": "127.0.0.9", "switch": "sw-c"}]
    return SiteMap.model_validate(data)


def test_the_graph_follows_the_site_maps_switches() -> None:
    graph = build_topology(campus_with_switches())
    assert set(graph.successors(("switch", "sw-a"))) == {("camera", f"cam-{n}") for n in (1, 2, 3)}
    assert graph.has_edge(("switch", "sw-c"), ("nvr", "nvr-1"))
    assert graph.has_edge(MONITOR, ("camera", "cam-5"))  # no switch given: straight to the monitor
    topology = Topology.of(campus_with_switches())
    assert topology.switches == ["sw-a", "sw-b", "sw-c"]
    assert topology.cameras_behind[("switch", "sw-c")] == frozenset({"cam-6", "cam-7"})


def test_every_camera_behind_a_switch_unreachable_blames_the_switch() -> None:
    topology = Topology.of(campus_with_switches())
    unreachable = {"cam-1", "cam-2", "cam-3", "cam-4", "cam-6"}
    failing = unreachable | {"cam-7"}  # cam-7 answers, but refuses the password
    causes = root_causes(topology, failing, unreachable)
    assert causes.down == {("switch", "sw-a")}
    assert {causes.cause[c] for c in ("cam-1", "cam-2", "cam-3")} == {("switch", "sw-a")}
    # A switch with one camera says nothing about the switch; a partial failure neither.
    assert causes.cause["cam-4"] == ("device", "cam-4")
    assert causes.cause["cam-6"] == ("device", "cam-6")
    assert causes.cause["cam-7"] == ("device", "cam-7")
    assert causes.unreachable_behind[("switch", "sw-c")] == 1
    assert "cam-5" not in causes.cause  # not failing: no cause


def test_the_highest_element_whose_cameras_are_all_gone_takes_the_blame() -> None:
    graph = nx.DiGraph()
    graph.add_edge(MONITOR, ("switch", "core"))
    for access, cameras in (("sw-1", ("c1", "c2")), ("sw-2", ("c3", "c4"))):
        graph.add_edge(("switch", "core"), ("switch", access))
        for camera in cameras:
            graph.add_edge(("switch", access), ("camera", camera))
    behind = {
        ("switch", "core"): frozenset({"c1", "c2", "c3", "c4"}),
        ("switch", "sw-1"): frozenset({"c1", "c2"}),
        ("switch", "sw-2"): frozenset({"c3", "c4"}),
    }
    topology = Topology(graph, behind)
    everything = {"c1", "c2", "c3", "c4"}
    causes = root_causes(topology, everything, everything)
    assert {causes.cause[c] for c in everything} == {("switch", "core")}
    only_one = root_causes(topology, {"c1", "c2"}, {"c1", "c2"})
    assert only_one.down == {("switch", "sw-1")} and only_one.cause["c2"] == ("switch", "sw-1")


def test_causes_and_paths_are_exported() -> None:
    site_map = campus_with_switches()

    def state(camera: str, fail: tuple[Stage, Reason] | None) -> CameraState:
        probe = _probe(camera, fail)
        return CameraState(camera, fail is None, NOW, 3 if fail else 0, last_probe=probe)

    down = (Stage.TCP, Reason.TIMEOUT)
    states = {f"cam-{n}": state(f"cam-{n}", down if n <= 3 else None) for n in range(1, 9)}
    states["cam-8"] = state("cam-8", (Stage.ONVIF, Reason.AUTH_FAILED))
    snap = MonitorSnapshot.build(site_map, states, poll_interval_seconds=60.0)
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: snap))

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("tianyan_switch_down", switch="sw-a") == 1
    assert value("tianyan_switch_down", switch="sw-c") == 0
    assert value("tianyan_switch_cameras", switch="sw-a") == 3
    assert value("tianyan_switch_cameras_unreachable", switch="sw-a") == 3
    assert (
        value("tianyan_camera_probable_cause", camera="cam-2", cause="switch", element="sw-a") == 1
    )
    assert (
        value("tianyan_camera_probable_cause", camera="cam-8", cause="device", element="cam-8") == 1
    )
    assert (
        value("tianyan_camera_probable_cause", camera="cam-5", cause="device", element="cam-5")
        is None
    )
    assert value("tianyan_camera_path_info", camera="cam-6", switch="sw-c", nvr="") == 1
    assert value("tianyan_camera_path_info", camera="cam-5", switch="", nvr="") == 1
    assert value("tianyan_poll_interval_seconds") == 60.0
