"""The immutable picture of the campus that the exporter and the API read.

A new snapshot is built at the end of every cycle and swapped in whole, so a
scrape never sees half a cycle and never waits for a probe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from monitor.probing.result import Reason, Stage
from monitor.recordings.snapshot import RecordingSnapshot
from monitor.state import CameraState
from monitor.topology.causes import RootCauses, Topology, root_causes
from site_map.coverage import CameraHealth, ChannelStorage, CoverageReport, compute_coverage
from site_map.model import SiteMap


def camera_health(states: Mapping[str, CameraState]) -> dict[str, CameraHealth]:
    return {
        camera: CameraHealth(
            online=state.online,
            intact=state.intact,
            shifted=bool(state.last_probe and state.last_probe.shifted),
        )
        for camera, state in states.items()
    }


@dataclass(frozen=True)
class MonitorSnapshot:
    site_map: SiteMap
    states: Mapping[str, CameraState]
    coverage: CoverageReport
    cycle_started_at: float | None = None
    cycle_finished_at: float | None = None
    cycles_completed: int = 0
    # Counters since the first run (stored), so they never go backwards.
    identity_changes: Mapping[tuple[str, str], int] = field(default_factory=dict)
    transitions: Mapping[str, int] = field(default_factory=dict)
    # Online/offline changes per camera in the last hour: flapping cameras.
    changes_last_hour: Mapping[str, int] = field(default_factory=dict)
    # When each camera's reference view was taken (cameras with one).
    references: Mapping[str, float] = field(default_factory=dict)
    # The latest storage pass over the NVRs (the storage rate comes from it).
    recordings: RecordingSnapshot = field(default_factory=RecordingSnapshot)
    # The network paths, and the probable cause of every failing camera.
    topology: Topology | None = None
    causes: RootCauses = field(default_factory=RootCauses)
    poll_interval_seconds: float | None = None

    @classmethod
    def build(
        cls,
        site_map: SiteMap,
        states: Mapping[str, CameraState],
        *,
        recordings: RecordingSnapshot | None = None,
        topology: Topology | None = None,
        poll_interval_seconds: float | None = None,
        cycle_started_at: float | None = None,
        cycle_finished_at: float | None = None,
        cycles_completed: int = 0,
        identity_changes: Mapping[tuple[str, str], int] | None = None,
        transitions: Mapping[str, int] | None = None,
        changes_last_hour: Mapping[str, int] | None = None,
        references: Mapping[str, float] | None = None,
    ) -> MonitorSnapshot:
        configured = {c.id for c in site_map.cameras}
        kept = {k: v for k, v in states.items() if k in configured}
        recordings = recordings or RecordingSnapshot()
        topology = topology or Topology.of(site_map)
        storage: Mapping[str, ChannelStorage] = recordings.storage()
        return cls(
            site_map=site_map,
            states=MappingProxyType(kept),
            coverage=compute_coverage(site_map, camera_health(kept), storage),
            cycle_started_at=cycle_started_at,
            cycle_finished_at=cycle_finished_at,
            cycles_completed=cycles_completed,
            identity_changes=MappingProxyType(dict(identity_changes or {})),
            transitions=MappingProxyType(dict(transitions or {})),
            changes_last_hour=MappingProxyType(dict(changes_last_hour or {})),
            references=MappingProxyType(dict(references or {})),
            recordings=recordings,
            topology=topology,
            causes=_causes(topology, kept),
            poll_interval_seconds=poll_interval_seconds,
        )


_NETWORK_REASONS = (Reason.UNREACHABLE, Reason.TIMEOUT)


def _causes(topology: Topology, states: Mapping[str, CameraState]) -> RootCauses:
    """Probable causes from the last probes (not the hysteresis: failures that coincide now)."""
    failing: set[str] = set()
    unreachable: set[str] = set()
    for camera, state in states.items():
        probe = state.last_probe
        failure = probe.failure if probe is not None else None
        if failure is None:
            continue
        failing.add(camera)
        if failure.stage is Stage.TCP and failure.reason in _NETWORK_REASONS:
            unreachable.add(camera)
    return root_causes(topology, failing, unreachable)
