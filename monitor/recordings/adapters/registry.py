"""The recorder adapters, one per NVR kind of the site map (`nvrs[].kind`)."""

from __future__ import annotations

from monitor.recordings.adapters.base import Recorder
from monitor.recordings.adapters.dahua import DahuaRecorder
from monitor.recordings.adapters.hikvision import HikvisionRecorder
from monitor.recordings.adapters.onvif import OnvifRecorder

RECORDERS: dict[str, type[Recorder]] = {
    OnvifRecorder.kind: OnvifRecorder,
    HikvisionRecorder.kind: HikvisionRecorder,
    DahuaRecorder.kind: DahuaRecorder,
}


def recorder_class(kind: str) -> type[Recorder]:
    try:
        return RECORDERS[kind]
    except KeyError:
        raise ValueError(f"no recorder adapter for NVR kind '{kind}'") from None
