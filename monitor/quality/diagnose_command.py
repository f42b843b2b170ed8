"""`tianyan diagnose IMAGE [--reference IMAGE] [--previous IMAGE]`: one frame's image faults.

Prints JSON: {"faults": [...], "measures": {...}, "verdicts": [...], "frame":
{...}}. Exit 0 whenever the image could be analysed, faults or not (the
faults are the answer, not an error); exit 2 when a file cannot be read or is
not an image.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from monitor.quality.decode import Frame, decode
from monitor.quality.detectors import analyse, signature
from monitor.quality.thresholds import DEFAULT_THRESHOLDS, Thresholds

EXIT_OK, EXIT_USAGE = 0, 2


class _Unreadable(Exception):
    pass


def _load(path: str, role: str) -> Frame:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _Unreadable(f"{role} {path}: cannot read: {exc.strerror or exc}") from None
    frame = decode(data)
    if frame is None:
        raise _Unreadable(
            f"{role} {path}: not an image OpenCV can decode ({len(data)} bytes; "
            "JPEG, PNG, BMP, TIFF, WebP ...)"
        )
    return frame


def run_diagnose(
    image: str,
    *,
    reference: str | None,
    previous: str | None,
    out: TextIO,
    err: TextIO,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> int:
    try:
        frame = _load(image, "image")
        ref = signature(_load(reference, "reference")) if reference else None
        prev = signature(_load(previous, "previous")) if previous else None
    except _Unreadable as exc:
        print(f"tianyan: diagnose: {exc}", file=err)
        return EXIT_USAGE
    diagnosis = analyse(frame, previous=prev, reference=ref, thresholds=thresholds)
    report = diagnosis.to_dict()
    report["frame"] = {
        "image": image,
        "analysed_width": frame.shape[1],
        "analysed_height": frame.shape[0],
    }
    out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK
