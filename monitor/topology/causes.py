"""Root causes instead of alert storms.

The site map's `switch:` gives each camera (and NVR) its network path; the
graph is monitor → switch → device (a switch without a parent hangs off the
monitor directly; the graph takes deeper paths as they come). When every
camera behind an element fails at the network stage in the same cycle — at
least `MIN_CAMERAS` of them — the element is judged down and is the probable
cause of all their failures: one page for the switch, and the per-camera
alerts held back by Alertmanager's inhibition. Any other failing camera's
probable cause is the device itself.

Only the network stage counts (`tcp`: unreachable or timeout): a camera that
answers but refuses the password or shows a black picture is not behind a
dead switch, whatever its neighbours do.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from types import MappingProxyType

import networkx as nx

from site_map.model import SiteMap

MONITOR = ("monitor", "")
MIN_CAMERAS = 2  # one camera down behind a switch says nothing about the switch

Node = tuple[str, str]  # (kind, id): ("switch", "sw-1"), ("camera", "cam-1"), ("nvr", "nvr-1")


def build_topology(site_map: SiteMap) -> nx.DiGraph:
    """monitor → switch → camera / NVR, from the site map's `switch:` fields."""
    graph = nx.DiGraph()
    graph.add_node(MONITOR)
    devices: list[tuple[Node, str | None]] = [
        (("camera", c.id), c.switch) for c in site_map.cameras
    ] + [(("nvr", n.id), n.switch) for n in site_map.nvrs]
    for node, switch in devices:
        parent: Node = ("switch", switch) if switch else MONITOR
        if parent != MONITOR:
            graph.add_edge(MONITOR, parent)
        graph.add_edge(parent, node)
    return graph


@dataclass(frozen=True)
class Topology:
    """The graph and, per element, the cameras behind it (computed once per site map)."""

    graph: nx.DiGraph
    cameras_behind: Mapping[Node, frozenset[str]]

    @classmethod
    def of(cls, site_map: SiteMap) -> Topology:
        graph = build_topology(site_map)
        behind = {
            node: frozenset(d[1] for d in nx.descendants(graph, node) if d[0] == "camera")
            for node in graph
            if node[0] not in ("camera", "nvr") and node != MONITOR
        }
        return cls(graph, MappingProxyType(behind))

    @property
    def switches(self) -> list[str]:
        return sorted(node[1] for node in self.cameras_behind if node[0] == "switch")


@dataclass(frozen=True)
class RootCauses:
    down: frozenset[Node] = frozenset()
    # Failing camera → (cause, element): ("switch", "sw-1") or ("device", camera id).
    cause: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    unreachable_behind: Mapping[Node, int] = field(default_factory=dict)


def root_causes(topology: Topology, failing: Set[str], unreachable: Set[str]) -> RootCauses:
    """Elements judged down, and the probable cause of every failing camera.

    `failing`: cameras whose last probe failed at any stage; `unreachable`:
    those of them that failed at the network stage. Elements are judged from
    the top down, so the highest element whose cameras are all gone takes
    the blame (a dead uplink, not each switch under it).
    """
    down: set[Node] = set()
    cause: dict[str, tuple[str, str]] = {}
    counts: dict[Node, int] = {}
    for node in nx.bfs_tree(topology.graph, MONITOR):
        cameras = topology.cameras_behind.get(node)
        if cameras is None:
            continue
        gone = len(cameras & unreachable)
        counts[node] = gone
        if len(cameras) >= MIN_CAMERAS and gone == len(cameras):
            down.add(node)
            for camera in cameras:
                cause.setdefault(camera, node)
    for camera in failing:
        cause.setdefault(camera, ("device", camera))
    return RootCauses(frozenset(down), MappingProxyType(cause), MappingProxyType(counts))
