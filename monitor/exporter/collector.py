"""Prometheus metrics built fresh from the latest snapshot on every scrape.

Nothing here probes or touches the database: `collect()` reads one immutable
snapshot, and `describe()` returns the families without samples so that
registering the collector costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.exporter.graph import add_graph, graph_families
from monitor.exporter.recordings import add_recordings, recording_families
from monitor.exporter.topology import add_topology, topology_families
from monitor.history.availability import AvailabilityReport
from monitor.polling.snapshot import MonitorSnapshot, camera_health
from monitor.probing.result import STAGE_ORDER, Stage
from monitor.quality.detectors import FAULTS as IMAGE_FAULTS
from monitor.state import IDENTITY_FIELDS
from site_map.coverage import ScopeRates
from site_map.graph import GraphFindings, analyse_graph, watching_cameras
from site_map.model import Site, SiteMap
from site_map.policy import categories_in_force

KINDS = ("install", "online", "intact", "storage", "effective")
TARGET_KINDS = ("install", "intact", "storage")
# Every stage gets a sample for every camera (0 when failed or not reached).
EXPORTED_STAGES: tuple[Stage, ...] = STAGE_ORDER


def _gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


def _counters() -> dict[str, CounterMetricFamily]:
    specs: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        (
            "tianyan_camera_identity_changes",
            "Changes of a device's reported identity "
            "(a new serial is a swapped device, a new firmware an upgrade or reset).",
            ("camera", "field"),
        ),
        (
            "tianyan_camera_state_changes",
            "Online/offline changes of a camera since monitoring began.",
            ("camera",),
        ),
    )
    return {
        name: CounterMetricFamily(name, doc, labels=list(labels)) for name, doc, labels in specs
    }


def _families() -> dict[str, GaugeMetricFamily]:
    specs: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        (
            "tianyan_camera_info",
            "Configured camera and its device identity (always 1).",
            ("camera", "name", "campus", "site", "category", "vendor", "model", "firmware"),
        ),
        (
            "tianyan_camera_site",
            "Key sites a camera covers (1 per camera and site).",
            ("camera", "site", "campus", "category"),
        ),
        (
            "tianyan_camera_up",
            "1 when the camera answers ONVIF with valid credentials (after hysteresis), else 0.",
            ("camera", "campus"),
        ),
        (
            "tianyan_camera_intact",
            "1 when online, video fetched and no image fault, else 0.",
            ("camera", "campus"),
        ),
        (
            "tianyan_camera_probe_success",
            "Outcome of the last probe per stage (0 when the stage failed or was not reached).",
            ("camera", "stage"),
        ),
        (
            "tianyan_camera_probe_failure",
            "The first failed stage of the last probe and why (present only while failing).",
            ("camera", "stage", "reason"),
        ),
        ("tianyan_camera_probe_duration_seconds", "Duration of the last probe.", ("camera",)),
        (
            "tianyan_camera_last_probe_timestamp_seconds",
            "When the last probe started.",
            ("camera",),
        ),
        (
            "tianyan_camera_state_since_timestamp_seconds",
            "When the camera last changed between online and offline.",
            ("camera",),
        ),
        ("tianyan_camera_clock_offset_seconds", "Camera clock minus monitor clock.", ("camera",)),
        (
            "tianyan_camera_video_fault",
            "1 when the last analysed frame shows the image fault, else 0 "
            "(every fault of the vocabulary, for every camera).",
            ("camera", "fault"),
        ),
        (
            "tianyan_camera_video_measure",
            "Image measures of the last analysed frame, the figures the fault thresholds apply to.",
            ("camera", "measure"),
        ),
        (
            "tianyan_camera_reference_timestamp_seconds",
            "When the camera's reference view (for the shifted check) was taken.",
            ("camera",),
        ),
        (
            "tianyan_camera_state_changes_last_hour",
            "Online/offline changes in the last hour (flapping cameras).",
            ("camera",),
        ),
        (
            "tianyan_site_info",
            "Key site metadata (always 1).",
            ("site", "name", "campus", "category", "unit"),
        ),
        (
            "tianyan_retention_target_seconds",
            "How long recordings must be kept (the site map's retention_days).",
            (),
        ),
        (
            "tianyan_site_location_x_metres",
            "Where a key site is on its campus map: x, metres east in the campus-local frame.",
            ("site", "campus"),
        ),
        (
            "tianyan_site_location_y_metres",
            "Where a key site is on its campus map: y, metres north in the campus-local frame.",
            ("site", "campus"),
        ),
        (
            "tianyan_site_location_latitude_degrees",
            "Where a key site is (WGS-84 latitude), for sites located by lat/lon.",
            ("site", "campus"),
        ),
        (
            "tianyan_site_location_longitude_degrees",
            "Where a key site is (WGS-84 longitude), for sites located by lat/lon.",
            ("site", "campus"),
        ),
        (
            "tianyan_category_info",
            "Key-site category metadata (always 1).",
            ("category", "name_zh", "name_en", "critical"),
        ),
        (
            "tianyan_site_cameras_required",
            "Cameras a key site needs.",
            ("site", "campus", "category"),
        ),
        (
            "tianyan_site_cameras_installed",
            "Cameras configured for a key site.",
            ("site", "campus", "category"),
        ),
        (
            "tianyan_site_cameras_intact",
            "Intact cameras of a key site.",
            ("site", "campus", "category"),
        ),
        (
            "tianyan_coverage_ratio",
            "Coverage rates per campus and category.",
            ("kind", "campus", "category"),
        ),
        ("tianyan_campus_coverage_ratio", "Coverage rates per campus.", ("kind", "campus")),
        ("tianyan_school_coverage_ratio", "Coverage rates of the whole school.", ("kind",)),
        ("tianyan_target_ratio", "Targets in force.", ("kind",)),
        ("tianyan_assessment_score", "Assessment score out of 10 (seed 000 appendix item 6).", ()),
        ("tianyan_last_poll_timestamp_seconds", "End of the last full poll cycle.", ()),
        ("tianyan_poll_duration_seconds", "Duration of the last full poll cycle.", ()),
        ("tianyan_cameras_configured", "Cameras in the site map.", ()),
        ("tianyan_sites_configured", "Key sites in the site map.", ()),
    )
    return {name: _gauge(name, doc, labels) for name, doc, labels in specs}


def _add_rates(family: GaugeMetricFamily, labels: list[str], rates: ScopeRates) -> None:
    for kind in KINDS:
        value = getattr(rates, kind)
        if value is not None:  # an empty scope has no rate, not a 0
            family.add_metric([kind, *labels], value)


AvailabilitySource = Callable[[], Mapping[str, AvailabilityReport]]


def _availability_families() -> dict[str, GaugeMetricFamily]:
    specs: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        (
            "tianyan_camera_availability_ratio",
            "Online seconds / monitored seconds over the window (maintenance included).",
            ("camera", "window"),
        ),
        (
            "tianyan_site_availability_ratio",
            "Availability of a key site's cameras over the window.",
            ("site", "campus", "window"),
        ),
        (
            "tianyan_campus_availability_ratio",
            "Availability of a campus's cameras over the window.",
            ("campus", "window"),
        ),
        (
            "tianyan_school_availability_ratio",
            "Availability of the school's cameras over the window.",
            ("window",),
        ),
        (
            "tianyan_school_availability_outside_maintenance_ratio",
            "Availability of the school's cameras over the window, maintenance left out.",
            ("window",),
        ),
        (
            "tianyan_school_unmonitored_ratio",
            "Share of camera-time over the window when the monitor itself was not running.",
            ("window",),
        ),
    )
    return {name: _gauge(name, doc, labels) for name, doc, labels in specs}


def _add_availability(
    f: dict[str, GaugeMetricFamily], reports: Mapping[str, AvailabilityReport], site_map: SiteMap
) -> None:
    sites = site_map.site_by_id()
    for window, report in sorted(reports.items()):
        for camera, figures in report.cameras.items():
            if figures.ratio is not None:
                f["tianyan_camera_availability_ratio"].add_metric([camera, window], figures.ratio)
        for site_id, figures in report.sites.items():
            site = sites.get(site_id)
            if figures.ratio is not None and site is not None:
                f["tianyan_site_availability_ratio"].add_metric(
                    [site_id, site.campus, window], figures.ratio
                )
        for campus, figures in report.campuses.items():
            if figures.ratio is not None:
                f["tianyan_campus_availability_ratio"].add_metric([campus, window], figures.ratio)
        school = report.school
        if school.ratio is not None:
            f["tianyan_school_availability_ratio"].add_metric([window], school.ratio)
        if school.ratio_outside_maintenance is not None:
            f["tianyan_school_availability_outside_maintenance_ratio"].add_metric(
                [window], school.ratio_outside_maintenance
            )
        if school.period_seconds > 0:
            f["tianyan_school_unmonitored_ratio"].add_metric(
                [window], school.unmonitored_seconds / school.period_seconds
            )


def _add_location(f: dict[str, GaugeMetricFamily], site: Site) -> None:
    where = site.location
    if where is None:
        return
    labels = [site.id, site.campus]
    if where.x is not None and where.y is not None:
        f["tianyan_site_location_x_metres"].add_metric(labels, where.x)
        f["tianyan_site_location_y_metres"].add_metric(labels, where.y)
    if where.lat is not None and where.lon is not None:
        f["tianyan_site_location_latitude_degrees"].add_metric(labels, where.lat)
        f["tianyan_site_location_longitude_degrees"].add_metric(labels, where.lon)


class SnapshotCollector(Collector):
    def __init__(
        self,
        snapshot: Callable[[], MonitorSnapshot],
        availability: AvailabilitySource | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._availability = availability
        # The road analysis of the last snapshot scraped: a new one comes once a
        # cycle, scrapes may come more often (several Prometheus replicas).
        self._graph: tuple[MonitorSnapshot, GraphFindings] | None = None

    def _findings(self, snap: MonitorSnapshot) -> GraphFindings:
        cached = self._graph
        if cached is not None and cached[0] is snap:
            return cached[1]
        findings = analyse_graph(snap.site_map, watching_cameras(camera_health(snap.states)))
        self._graph = (snap, findings)
        return findings

    def describe(self) -> Iterator[Metric]:
        yield from _families().values()
        yield from _counters().values()
        yield from recording_families().values()
        yield from topology_families().values()
        yield from graph_families().values()
        if self._availability is not None:
            yield from _availability_families().values()

    def collect(self) -> Iterator[Metric]:
        snap = self._snapshot()
        f = _families()
        c = _counters()
        site_map = snap.site_map
        sites = site_map.site_by_id()
        categories = categories_in_force(site_map)

        for camera in site_map.cameras:
            primary = sites.get(camera.sites[0]) if camera.sites else None
            campus = primary.campus if primary else ""
            state = snap.states.get(camera.id)
            probe = state.last_probe if state else None
            device = state.device if state else None
            f["tianyan_camera_info"].add_metric(
                [
                    camera.id,
                    camera.name,
                    campus,
                    primary.id if primary else "",
                    primary.category if primary else "",
                    device.manufacturer if device else "",
                    device.model if device else "",
                    device.firmware if device else "",
                ],
                1,
            )
            for site_id in camera.sites:
                site = sites.get(site_id)
                if site is not None:
                    f["tianyan_camera_site"].add_metric(
                        [camera.id, site.id, site.campus, site.category], 1
                    )
            online = state is not None and state.online
            f["tianyan_camera_up"].add_metric([camera.id, campus], 1 if online else 0)
            f["tianyan_camera_intact"].add_metric(
                [camera.id, campus], 1 if state is not None and state.intact else 0
            )
            for stage in EXPORTED_STAGES:
                f["tianyan_camera_probe_success"].add_metric(
                    [camera.id, stage.value], 1 if probe is not None and probe.passed(stage) else 0
                )
            f["tianyan_camera_state_changes_last_hour"].add_metric(
                [camera.id], snap.changes_last_hour.get(camera.id, 0)
            )
            c["tianyan_camera_state_changes"].add_metric(
                [camera.id], snap.transitions.get(camera.id, 0)
            )
            for field in IDENTITY_FIELDS:
                c["tianyan_camera_identity_changes"].add_metric(
                    [camera.id, field], snap.identity_changes.get((camera.id, field), 0)
                )
            image_faults = set(probe.image_faults) if probe is not None else set()
            for fault in IMAGE_FAULTS:
                f["tianyan_camera_video_fault"].add_metric(
                    [camera.id, fault], 1 if fault in image_faults else 0
                )
            reference_at = snap.references.get(camera.id)
            if reference_at is not None:
                f["tianyan_camera_reference_timestamp_seconds"].add_metric(
                    [camera.id], reference_at
                )
            if probe is None:
                continue
            for measure, measured in sorted(probe.measures.items()):
                f["tianyan_camera_video_measure"].add_metric([camera.id, measure], measured)
            failure = probe.failure
            if failure is not None and failure.reason is not None:
                f["tianyan_camera_probe_failure"].add_metric(
                    [camera.id, failure.stage.value, failure.reason.value], 1
                )
            f["tianyan_camera_probe_duration_seconds"].add_metric([camera.id], probe.seconds)
            f["tianyan_camera_last_probe_timestamp_seconds"].add_metric(
                [camera.id], probe.started_at
            )
            if state is not None:
                f["tianyan_camera_state_since_timestamp_seconds"].add_metric(
                    [camera.id], state.since
                )
            if probe.clock_offset_seconds is not None:
                f["tianyan_camera_clock_offset_seconds"].add_metric(
                    [camera.id], probe.clock_offset_seconds
                )

        report = snap.coverage
        for status in report.sites:
            labels = [status.id, status.campus, status.category]
            f["tianyan_site_cameras_required"].add_metric(labels, status.required)
            f["tianyan_site_cameras_installed"].add_metric(labels, status.installed)
            f["tianyan_site_cameras_intact"].add_metric(labels, status.intact)
        for (campus, category), rates in sorted(report.campus_categories.items()):
            _add_rates(f["tianyan_coverage_ratio"], [campus, category], rates)
        for campus, rates in sorted(report.campuses.items()):
            _add_rates(f["tianyan_campus_coverage_ratio"], [campus], rates)
        _add_rates(f["tianyan_school_coverage_ratio"], [], report.school)
        for kind in TARGET_KINDS:
            f["tianyan_target_ratio"].add_metric([kind], getattr(site_map.targets, kind))
        f["tianyan_retention_target_seconds"].add_metric([], site_map.retention_days * 86400.0)
        f["tianyan_assessment_score"].add_metric([], report.score.value)
        if snap.cycle_finished_at is not None:
            f["tianyan_last_poll_timestamp_seconds"].add_metric([], snap.cycle_finished_at)
            if snap.cycle_started_at is not None:
                f["tianyan_poll_duration_seconds"].add_metric(
                    [], snap.cycle_finished_at - snap.cycle_started_at
                )
        f["tianyan_cameras_configured"].add_metric([], len(site_map.cameras))
        f["tianyan_sites_configured"].add_metric([], len(site_map.sites))
        for policy in sorted(categories.values(), key=lambda c: c.id):
            f["tianyan_category_info"].add_metric(
                [policy.id, policy.name_zh, policy.name_en, "true" if policy.critical else "false"],
                1,
            )
        for site in site_map.sites:
            f["tianyan_site_info"].add_metric(
                [site.id, site.name, site.campus, site.category, site.unit or ""], 1
            )
            _add_location(f, site)
        yield from f.values()
        yield from c.values()
        r = recording_families()
        add_recordings(r, snap.recordings, site_map)
        yield from r.values()
        t = topology_families()
        add_topology(t, snap)
        yield from t.values()
        # Roads, blind routes and single points of failure over the cameras watching now.
        g = graph_families()
        add_graph(g, self._findings(snap), site_map)
        yield from g.values()
        if self._availability is not None:
            a = _availability_families()
            _add_availability(a, self._availability(), site_map)
            yield from a.values()
