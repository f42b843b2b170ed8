"""`tianyan reference accept|show|clear CAMERA`: a camera's reference view.

The reference view is what the `shifted` check compares each frame with.
After an intended change (the camera was moved on purpose), `accept` probes
the camera now and makes its current view the reference; the running
monitor picks it up at the end of its next cycle.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime
from typing import TextIO

from monitor.config import ResolvedConfig
from monitor.history.periods import DEFAULT_TIMEZONE, zone
from monitor.polling.poller import build_targets
from monitor.probing.camera import probe_camera
from monitor.probing.registry import CAMERA_STAGES, prepare_probers
from monitor.probing.result import Stage
from monitor.probing.target import DeviceSession, ProbeWork
from monitor.quality.detectors import signature
from monitor.storage.store import Reference, Store
from site_map.loader import LoadedSiteMap


def _local(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, zone(DEFAULT_TIMEZONE)).strftime("%Y-%m-%d %H:%M:%S")


async def _current_view(session: DeviceSession, timeout: float) -> tuple[object, str]:
    """The camera's frame now (without judging it), or None and why not."""
    await prepare_probers()
    frames: list[object] = []

    async def keep_frame(_: DeviceSession, work: ProbeWork, __: object) -> None:
        frames.append(work.frame)

    stages = [(s, p) for s, p in CAMERA_STAGES if s is not Stage.QUALITY]
    result = await probe_camera(session, timeout, [*stages, (Stage.QUALITY, keep_frame)])
    await session.reset()
    failure = result.failure
    if failure is not None or not frames:
        reason = f"{failure.stage}/{failure.reason}: {failure.detail}" if failure else "no frame"
        return None, reason
    return frames[0], ""


def run_reference(
    action: str,
    camera: str,
    config: ResolvedConfig,
    loaded: LoadedSiteMap,
    out: TextIO = sys.stdout,
) -> int:
    if camera not in loaded.site_map.camera_by_id():
        print(f"tianyan: camera '{camera}' is not in {config.site_map_path}", file=sys.stderr)
        return 2
    store = Store.open(config.database_url)
    try:
        if action == "show":
            reference = store.references().get(camera)
            if reference is None:
                print(
                    f"{camera}: no reference view yet (the next clean frame becomes it)", file=out
                )
            else:
                taken = _local(reference.taken_at)
                print(
                    f"{camera}: reference view {reference.origin}, taken {taken}"
                    f" ({DEFAULT_TIMEZONE}), {reference.width}×{reference.height} signature",
                    file=out,
                )
            return 0
        if action == "clear":
            store.delete_reference(camera)
            print(f"{camera}: reference view cleared; the next clean frame becomes it", file=out)
            return 0
        target = next(t for t in build_targets(loaded) if t.id == camera)
        frame, why = asyncio.run(_current_view(DeviceSession(target), config.poll.timeout_seconds))
        if frame is None:
            print(f"tianyan: {camera}: no frame to accept ({why})", file=sys.stderr)
            return 1
        view = signature(frame)  # type: ignore[arg-type]
        now = time.time()
        height, width = view.shape
        store.save_reference(
            Reference(camera, now, now, "accepted", int(height), int(width), view.tobytes())
        )
        print(f"{camera}: current view accepted as the reference ({_local(now)})", file=out)
        return 0
    finally:
        store.close()
