"""The virtual campus of `tianyan demo`: two campuses, every key-site category.

Deterministic, so the demo's numbers are the same on every machine and a
test can compute them by hand from the faults listed here.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

# (category, sites per campus, cameras per site, Chinese site name)
LAYOUT: tuple[tuple[str, int, int, str], ...] = (
    ("gate", 3, 4, "校门"),
    ("building_entrance", 10, 4, "教学楼出入口"),
    ("main_road", 5, 3, "主干道"),
    ("intersection", 5, 4, "路口"),
    ("gymnasium", 1, 6, "体育馆"),
    ("canteen", 2, 4, "食堂"),
    ("laboratory", 4, 3, "实验室"),
    ("finance_office", 1, 2, "财务室"),
    ("confidential_room", 1, 2, "保密室"),
    ("track_field", 1, 4, "田径场"),
    ("basketball_court", 2, 2, "篮球场"),
    ("hazardous_store", 1, 2, "危化品仓库"),
    ("dormitory", 6, 4, "学生宿舍"),
    ("library", 1, 5, "图书馆"),
)

CAMPUSES = (("north", "北校区", 77), ("south", "南校区", 78))
UNITS = {
    "finance_office": "财务处",
    "confidential_room": "保密办",
    "hazardous_store": "设备处",
    "laboratory": "设备处",
    "canteen": "后勤处",
    "dormitory": "学生处",
}
CAMERA_PORT = 8000
NVR_PORT = 8000
CHANNELS_PER_NVR = 32
NVR_KINDS = ("hikvision", "dahua", "onvif")
TIMEZONE = "Asia/Shanghai"
PASSWORD_FILE = "camera-password.txt"

# Sites deliberately short of cameras, so the install rate misses its target:
# a new laboratory with none yet, and a gymnasium whose plan asks for more.
UNDER_COVERED = {"south-laboratory-4": 0}
REQUIRED_OVERRIDES = {"north-gymnasium-1": 8}


@dataclass
class DemoCampus:
    site_map: dict[str, Any]
    faults: dict[str, Any] = field(default_factory=dict)

    @property
    def camera_ids(self) -> list[str]:
        return [c["id"] for c in self.site_map["cameras"]]


def _assign_recorders(
    cameras: list[dict[str, Any]], campus_id: str, octet: int, nvrs: list[dict[str, Any]]
) -> None:
    """32-channel NVRs of each kind in turn, the campus's cameras recorded in order."""
    for index in range(math.ceil(len(cameras) / CHANNELS_PER_NVR)):
        nvr_id = f"nvr-{campus_id}-{index + 1}"
        nvrs.append(
            {
                "id": nvr_id,
                "name": f"{campus_id} 录像机 {index + 1}",
                "kind": NVR_KINDS[index % len(NVR_KINDS)],
                "host": f"127.{octet}.254.{index + 1}",
                "port": NVR_PORT,
                "credentials": "default",
                "campus": campus_id,
                "timezone": TIMEZONE,
            }
        )
        chunk = cameras[index * CHANNELS_PER_NVR : (index + 1) * CHANNELS_PER_NVR]
        for channel, camera in enumerate(chunk, start=1):
            camera["nvr"] = {"id": nvr_id, "channel": channel}


# Key sites reached by road: gates from the main road, sensitive sites from the
# nearest intersection.
ROAD_LINKS = {
    "gate": "main-road",
    "laboratory": "intersection",
    "finance_office": "intersection",
    "confidential_room": "intersection",
    "hazardous_store": "intersection",
}
# A back road from the south campus's third gate to its new laboratory, with no
# camera on it: the demo's blind route (docs/graph.md).
BACK_ROAD = ("south", "south-gate-3", "south-laboratory-4", (330.0, 240.0))


def _connect_sites(
    campus_id: str,
    sites: list[dict[str, Any]],
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
) -> None:
    """Road nodes for the gates and sensitive sites, each joined to its nearest road."""
    for site in sites:
        kind = ROAD_LINKS.get(site["category"])
        if site["campus"] != campus_id or kind is None:
            continue
        here = site["location"]
        node = f"{site['id']}-node"
        nodes.append({"id": node, "location": dict(here), "site": site["id"]})
        candidates = [n for n in nodes if n["id"].startswith(f"{campus_id}-{kind}-")]
        nearest = min(
            candidates,
            key=lambda n: math.dist(
                (n["location"]["x"], n["location"]["y"]), (here["x"], here["y"])
            ),
        )
        edges.append({"from": node, "to": nearest["id"], "main": kind == "main-road"})
    campus, gate, laboratory, (x, y) = BACK_ROAD
    if campus == campus_id:
        back = f"{campus_id}-back-road"
        nodes.append({"id": back, "location": {"x": x, "y": y}})
        edges.append({"from": f"{gate}-node", "to": back, "main": False})
        edges.append({"from": back, "to": f"{laboratory}-node", "main": False})


def build_demo_campus() -> DemoCampus:
    sites: list[dict[str, Any]] = []
    cameras: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    nvrs: list[dict[str, Any]] = []
    for campus_id, campus_name, octet in CAMPUSES:
        serial = 0
        for row, (category, count, per_site, name) in enumerate(LAYOUT):
            for n in range(1, count + 1):
                site_id = f"{campus_id}-{category.replace('_', '-')}-{n}"
                x, y = 40.0 + 60.0 * n, 30.0 + 45.0 * row
                site: dict[str, Any] = {
                    "id": site_id,
                    "name": f"{campus_name}{name}{n}",
                    "campus": campus_id,
                    "category": category,
                    "location": {"x": x, "y": y},
                }
                if site_id in REQUIRED_OVERRIDES:
                    site["required_cameras"] = REQUIRED_OVERRIDES[site_id]
                if category in UNITS:
                    site["unit"] = UNITS[category]
                if category == "gate":
                    site["unit"] = "保卫处"
                    site["requires"] = ["face_recognition", "vehicle_checkpoint"]
                sites.append(site)
                if category in ("intersection", "main_road"):
                    nodes.append(
                        {"id": f"{site_id}-node", "location": {"x": x, "y": y}, "site": site_id}
                    )
                installed = UNDER_COVERED.get(site_id, per_site)
                for k in range(installed):
                    serial += 1
                    camera: dict[str, Any] = {
                        "id": f"{campus_id}-cam-{serial:04d}",
                        "name": f"{campus_name}{name}{n}-{k + 1}号",
                        "sites": [site_id],
                        "onvif": {
                            "host": f"127.{octet}.{serial // 250}.{serial % 250 + 1}",
                            "port": CAMERA_PORT,
                            "credentials": "default",
                        },
                        "position": {
                            "x": x + 8 * math.cos(k),
                            "y": y + 8 * math.sin(k),
                            "heading": (90 * k) % 360,
                            "fov": 90,
                            "range": 30,
                        },
                        "switch": f"sw-{campus_id}-{row:02d}",
                    }
                    if category == "gate" and k < 2:
                        camera["roles"] = ["face_recognition" if k == 0 else "vehicle_checkpoint"]
                    cameras.append(camera)
        _assign_recorders(
            [c for c in cameras if c["id"].startswith(f"{campus_id}-")], campus_id, octet, nvrs
        )
        campus_nodes = [n["id"] for n in nodes if n["id"].startswith(campus_id)]
        edges.extend(
            {"from": a, "to": b, "main": "main-road" in a or "main-road" in b}
            for a, b in itertools.pairwise(campus_nodes)
        )
        _connect_sites(campus_id, sites, nodes, edges)
    site_map = {
        "school": "天眼示范大学 (Tianyan Demo University)",
        "retention_days": 30,
        "campuses": [{"id": cid, "name": name} for cid, name, _ in CAMPUSES],
        "sites": sites,
        "cameras": cameras,
        "nvrs": nvrs,
        "credentials": {"default": {"username": "admin", "password_file": PASSWORD_FILE}},
        "roads": {"nodes": nodes, "edges": edges},
    }
    faults: dict[str, Any] = {
        "north-cam-0005": "offline",
        "north-cam-0042": "offline",
        "south-cam-0017": "offline",
        "south-cam-0101": "offline",
        "north-cam-0077": "hang",
        "south-cam-0033": "auth_fail",
        "north-cam-0120": {"clock_skew": 28800},
        "south-cam-0060": {"clock_skew": -3600},
        "north-cam-0090": "no_snapshot",
        # Online, but the picture is of no use: not intact.
        "north-cam-0020": {"video": "black"},
        "north-cam-0030": {"video": "blur"},
        "south-cam-0045": {"video": "occluded"},
        # The south basketball courts' switch (sw-south-10) lost power: its four
        # cameras are one page for the switch, not four.
        "south-cam-0119": "offline",
        "south-cam-0120": "offline",
        "south-cam-0121": "offline",
        "south-cam-0122": "offline",
        # Storage: a failed disk, a recorder losing a tenth of every day, one
        # whose disks hold only 21 days, and one that does not answer.
        "nvr-north-2": {"disk": "error"},
        "nvr-south-1": {"recording_gaps": 0.1},
        "nvr-south-4": {"retention_days": 21},
        "nvr-north-3": "offline",
    }
    return DemoCampus(site_map=site_map, faults=faults)
