"""The one explicit list of probers: which stages a camera probe runs, in order.

Every prober has the same signature,
`async def probe(session: DeviceSession, work: ProbeWork, deadline: Deadline) -> None`,
and signals failure by raising `StageFailure(reason, detail)`; anything else it
raises is classified by `monitor.probing.errors.classify`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from monitor.probing import onvif, quality, tcp, video
from monitor.probing.deadline import Deadline
from monitor.probing.result import Stage
from monitor.probing.target import DeviceSession, ProbeWork

Prober = Callable[[DeviceSession, ProbeWork, Deadline], Awaitable[None]]

CAMERA_STAGES: tuple[tuple[Stage, Prober], ...] = (
    (Stage.TCP, tcp.probe),
    (Stage.ONVIF, onvif.probe),
    (Stage.VIDEO, video.probe),
    (Stage.QUALITY, quality.probe),
)


async def prepare_probers() -> None:
    """One-time set-up of the probers, done before the first cycle, not inside a deadline."""
    await onvif.prepare()
