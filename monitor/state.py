"""Camera state with hysteresis, and the immutable snapshot the exporter reads.

A camera's first probe sets its state directly. After that it goes offline
after `down_after` consecutive failed probes and back online after `up_after`
consecutive good ones, so a two-second blip does not flap the dashboards.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monitor.probing.result import DeviceIdentity, ProbeResult, Reason, Stage, StageResult

# Identity fields whose change means something happened to the device: a new
# serial is a swapped camera, a new firmware an upgrade (or a reset).
IDENTITY_FIELDS: tuple[str, ...] = ("manufacturer", "model", "firmware", "serial")


@dataclass(frozen=True, slots=True)
class Hysteresis:
    down_after: int = 3
    up_after: int = 2


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of a camera's online state, stored so outages survive restarts."""

    camera: str
    at: float  # unix seconds
    online: bool
    stage: Stage | None = None  # for a transition to offline: the failing stage
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class IdentityChange:
    """A device answered with another serial, firmware, model or manufacturer."""

    camera: str
    at: float
    field: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class CameraState:
    camera: str
    online: bool
    since: float  # when `online` last changed (or the first probe)
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    last_probe: ProbeResult | None = None
    # The identity the device last reported; kept while probes fail before
    # the ONVIF stage answers, so an offline camera still shows its model.
    device: DeviceIdentity | None = None

    @property
    def intact(self) -> bool:
        """Intact = online AND its video can be fetched AND no image fault."""
        return self.online and self.last_probe is not None and self.last_probe.video_ok


def intact_change(previous: CameraState | None, state: CameraState) -> Transition | None:
    """A change of a camera's intact status (its first probe sets it), stored so the
    intact rate can be weighted by time over any period. `online` here means intact;
    the stage and reason say why it stopped being intact."""
    if previous is not None and previous.intact == state.intact:
        return None
    probe = state.last_probe
    failure = probe.failure if probe is not None and not state.intact else None
    return Transition(
        camera=state.camera,
        at=probe.started_at if probe is not None else state.since,
        online=state.intact,
        stage=failure.stage if failure is not None else None,
        reason=failure.reason if failure is not None else None,
    )


def advance(
    previous: CameraState | None, probe: ProbeResult, policy: Hysteresis = Hysteresis()
) -> tuple[CameraState, Transition | None]:
    """Fold one probe into a camera's state; return the new state and any transition."""
    good = probe.answers_onvif
    at = probe.started_at
    failure = probe.failure
    if previous is None:
        state = CameraState(
            camera=probe.target,
            online=good,
            since=at,
            consecutive_failures=0 if good else 1,
            consecutive_successes=1 if good else 0,
            last_probe=probe,
            device=probe.device,
        )
        return state, _transition(state, failure)

    successes = previous.consecutive_successes + 1 if good else 0
    failures = 0 if good else previous.consecutive_failures + 1
    online = previous.online
    if online and failures >= policy.down_after:
        online = False
    elif not online and successes >= policy.up_after:
        online = True
    state = replace(
        previous,
        online=online,
        since=at if online != previous.online else previous.since,
        consecutive_failures=failures,
        consecutive_successes=successes,
        last_probe=probe,
        device=probe.device or previous.device,
    )
    if online == previous.online:
        return state, None
    return state, _transition(state, failure)


def _transition(state: CameraState, failure: StageResult | None) -> Transition:
    failed = failure if not state.online else None
    return Transition(
        camera=state.camera,
        at=state.since,
        online=state.online,
        stage=failed.stage if failed else None,
        reason=failed.reason if failed else None,
    )


def identity_changes(previous: CameraState | None, probe: ProbeResult) -> list[IdentityChange]:
    """What changed in the device's identity since it was last seen (nothing on a first sight)."""
    if previous is None or previous.device is None or probe.device is None:
        return []
    old, new = previous.device, probe.device
    return [
        IdentityChange(probe.target, probe.started_at, name, getattr(old, name), getattr(new, name))
        for name in IDENTITY_FIELDS
        if getattr(new, name) and getattr(old, name) != getattr(new, name)
    ]
