"""Metric families of the network paths and the probable causes of failures.

`tianyan_camera_path_info` carries each camera's switch and NVR as labels, so
alert rules can put them on the per-camera alerts and Alertmanager can hold
those behind one alert for the switch or NVR (inhibition on equal labels).
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from monitor.polling.snapshot import MonitorSnapshot

_SPECS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "tianyan_camera_path_info",
        "A camera's network switch and recording NVR (empty where the site map gives none).",
        ("camera", "switch", "nvr"),
    ),
    ("tianyan_switch_cameras", "Cameras behind a network switch.", ("switch",)),
    (
        "tianyan_switch_cameras_unreachable",
        "Cameras behind a switch failing at the network stage in their last probe.",
        ("switch",),
    ),
    (
        "tianyan_switch_down",
        "1 when every camera behind the switch (at least 2) is unreachable at once: "
        "the switch is the probable cause.",
        ("switch",),
    ),
    (
        "tianyan_camera_probable_cause",
        "Why a failing camera fails, as far as the monitor can tell: its switch "
        "(element = switch id) or the device itself (element = camera id).",
        ("camera", "cause", "element"),
    ),
    ("tianyan_poll_interval_seconds", "The configured time between camera poll cycles.", ()),
    (
        "tianyan_recordings_interval_seconds",
        "The configured time between storage passes over the NVRs.",
        (),
    ),
)


def topology_families() -> dict[str, GaugeMetricFamily]:
    return {name: GaugeMetricFamily(name, doc, labels=list(labels)) for name, doc, labels in _SPECS}


def add_topology(f: dict[str, GaugeMetricFamily], snap: MonitorSnapshot) -> None:
    for camera in snap.site_map.cameras:
        f["tianyan_camera_path_info"].add_metric(
            [camera.id, camera.switch or "", camera.nvr.id if camera.nvr else ""], 1
        )
    topology, causes = snap.topology, snap.causes
    if topology is not None:
        for node, cameras in sorted(topology.cameras_behind.items()):
            if node[0] != "switch":
                continue
            switch = node[1]
            f["tianyan_switch_cameras"].add_metric([switch], len(cameras))
            f["tianyan_switch_cameras_unreachable"].add_metric(
                [switch], causes.unreachable_behind.get(node, 0)
            )
            f["tianyan_switch_down"].add_metric([switch], 1 if node in causes.down else 0)
    for camera_id, (cause, element) in sorted(causes.cause.items()):
        f["tianyan_camera_probable_cause"].add_metric([camera_id, cause, element], 1)
    if snap.poll_interval_seconds is not None:
        f["tianyan_poll_interval_seconds"].add_metric([], snap.poll_interval_seconds)
    if snap.recordings.interval_seconds is not None:
        f["tianyan_recordings_interval_seconds"].add_metric([], snap.recordings.interval_seconds)
