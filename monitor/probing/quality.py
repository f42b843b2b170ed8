"""Stage `quality`: the picture the video stage fetched is one an operator can use.

Runs the image-fault detectors (monitor.quality) on the snapshot decoded by
the video stage, against the camera's previous frame (for `frozen`) and its
reference view (for `shifted`). The first clean frame becomes the reference
view unless one is stored; `tianyan reference accept` replaces it.
"""

from __future__ import annotations

import time

from monitor.probing.deadline import Deadline
from monitor.probing.errors import StageFailure
from monitor.probing.result import Reason
from monitor.probing.target import DeviceSession, ProbeWork
from monitor.quality import workers
from monitor.quality.detectors import analyse, signature
from monitor.quality.thresholds import DEFAULT_THRESHOLDS


async def probe(session: DeviceSession, work: ProbeWork, deadline: Deadline) -> None:
    state = session.quality
    if not state.enabled:
        return
    due = state.due()
    state.frames_seen += 1
    if not due:
        # Not this cycle's turn: the last analysis stands until the next one.
        work.image_faults = state.last_faults
        _fail_on(state.last_faults, "at the last analysis")
        return
    if work.frame is None:
        raise StageFailure(Reason.VIDEO_FAULT, "no decoded frame to analyse")
    now = time.time()
    previous = state.previous if now - state.previous_at >= state.frozen_after_seconds else None
    diagnosis = await workers.run(
        analyse,
        work.frame,
        previous=previous,
        reference=state.reference,
        thresholds=state.thresholds or DEFAULT_THRESHOLDS,
    )
    current = diagnosis.signature if diagnosis.signature is not None else signature(work.frame)
    if previous is not None or state.previous is None:
        # Keep the older frame until the newer one is far enough apart to compare.
        state.previous, state.previous_at = current, now
    if state.reference is None and not diagnosis.faults:
        state.reference, state.reference_is_new, state.reference_taken_at = current, True, now
    work.measures.update(diagnosis.measures)
    work.image_faults = diagnosis.faults
    state.last_faults = diagnosis.faults
    _fail_on(diagnosis.faults, "")


def _fail_on(faults: tuple[str, ...], when: str) -> None:
    if faults:
        suffix = f" ({when})" if when else ""
        raise StageFailure(Reason.VIDEO_FAULT, f"image faults: {', '.join(faults)}{suffix}")
