"""Snapshot decoding at reduced resolution.

The detectors need a picture a few hundred pixels across. libjpeg can decode
a JPEG at 1/2, 1/4 or 1/8 of its size straight from the DCT coefficients
(the 1/8 decode keeps one average per 8×8 block), which skips most of the
inverse transform, upsampling and colour conversion of a full decode.
`decode` reads the picture's size from the JPEG header and picks the
largest reduction that keeps it at least `MIN_WIDTH` (480) pixels across: a
1920×1080 snapshot is decoded at 1/4 (480×270), 2560×1440 at 1/4 (640×360),
1280×720 at 1/2 (640×360), a 640×360 or 704×576 sub-stream in full. The
detectors then work at 480 pixels across whatever the source, so one set of
thresholds holds for main and sub-streams alike (a blur of the same lens
spans the same share of the view). (At 1/8 a 1080p frame is 240 pixels
wide: too coarse to tell heavy noise from fine scene texture, see
docs/quality.md.) Other formats (PNG, BMP, ...) are decoded in full and
area-averaged by the same factor.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[Any]  # BGR uint8 (OpenCV types its results loosely)

MIN_WIDTH = 480  # the decoded frame is at least this wide (unless the source is narrower)

_REDUCED: dict[int, int] = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}
# Start-of-frame markers (baseline, extended, progressive, lossless, ...): they
# carry the picture size. C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01}


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header, or None when `data` is not a JPEG."""
    if len(data) < 4 or data[0] != 0xFF or data[1] != 0xD8:
        return None
    i, end = 2, len(data)
    while i + 4 <= end:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _STANDALONE:
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in _SOF_MARKERS:
            if i + 9 > end:
                return None
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return (width, height) if width and height else None
        if marker == 0xDA or length < 2:  # start of scan before any frame header
            return None
        i += 2 + length
    return None


def looks_complete(data: bytes) -> bool:
    """A JPEG with a frame header and its end marker: not cut off, not something else.

    The check for the cycles that do not analyse the picture (`sample_every`):
    a camera sending half-written or non-JPEG snapshots is still caught, at no
    decoding cost. (Trailing padding after the end marker is allowed.)
    """
    return jpeg_size(data) is not None and b"\xff\xd9" in data[-64:]


def reduction_for(width: int) -> int:
    """The largest libjpeg reduction (8, 4, 2 or 1) leaving at least MIN_WIDTH pixels."""
    for factor in (8, 4, 2):
        if -(-width // factor) >= MIN_WIDTH:
            return factor
    return 1


def decode(jpeg: bytes) -> Frame | None:
    """A snapshot as a BGR uint8 frame 480–960 pixels wide (narrower only when the
    source is); None when not an image."""
    if not jpeg:
        return None
    buffer = np.frombuffer(jpeg, dtype=np.uint8)
    size = jpeg_size(jpeg)
    flag = _REDUCED[reduction_for(size[0])] if size else cv2.IMREAD_COLOR
    frame: Any = cv2.imdecode(buffer, flag)
    if frame is None or frame.size == 0 or frame.ndim != 3 or frame.dtype != np.uint8:
        return None
    if size is None:
        frame = reduce(frame)
    return np.ascontiguousarray(frame)


def reduce(frame: Frame) -> Frame:
    """A full-resolution frame area-averaged as `decode` would decode it."""
    factor = reduction_for(frame.shape[1])
    if factor == 1:
        return frame
    width = -(-frame.shape[1] // factor)
    height = -(-frame.shape[0] // factor)
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
