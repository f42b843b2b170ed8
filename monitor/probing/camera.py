"""Run the layered probe of one camera: each stage in order, stop at the first failure."""

from __future__ import annotations

import time
from collections.abc import Sequence

from monitor.probing.deadline import Deadline
from monitor.probing.errors import StageFailure, classify, describe
from monitor.probing.redact import redact
from monitor.probing.registry import CAMERA_STAGES, Prober
from monitor.probing.result import ProbeResult, Reason, Stage, StageResult
from monitor.probing.target import DeviceSession, ProbeWork


async def probe_camera(
    session: DeviceSession,
    timeout: float,
    stages: Sequence[tuple[Stage, Prober]] = CAMERA_STAGES,
) -> ProbeResult:
    """Probe one device within `timeout` seconds, all stages together.

    Never raises (except when the caller cancels it): whatever goes wrong is
    a failed stage with a reason from the closed set and a short detail
    without secrets.
    """
    deadline = Deadline.after(timeout)
    started_at = time.time()
    work = ProbeWork()
    results: list[StageResult] = []
    secrets = (session.target.password,)
    for stage, prober in stages:
        began = time.perf_counter()
        reason: Reason | None = None
        detail = ""
        try:
            async with deadline.enforce():
                await prober(session, work, deadline)
        except StageFailure as failure:
            reason, detail = failure.reason, failure.detail
        except TimeoutError:
            reason, detail = Reason.TIMEOUT, f"no answer within the {timeout:g} s deadline"
        except Exception as exc:
            reason, detail = classify(exc), describe(exc)
        results.append(
            StageResult(
                stage=stage,
                ok=reason is None,
                seconds=time.perf_counter() - began,
                reason=reason,
                detail=redact(detail, secrets),
            )
        )
        if reason is not None:
            # The client may hold a dead or half-read connection, a clock shift
            # or a cached address that no longer holds: the next probe starts afresh.
            await session.reset()
            break
    return ProbeResult(
        target=session.target.id,
        started_at=started_at,
        stages=tuple(results),
        device=work.device,
        clock_offset_seconds=work.clock_offset_seconds,
        image_faults=work.image_faults,
        snapshot_bytes=len(work.image or b""),
        measures=dict(work.measures),
    )
