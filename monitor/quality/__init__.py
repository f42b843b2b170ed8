"""Video quality diagnosis (视频质量诊断): image faults of camera snapshots.

`decode` turns a snapshot into a small frame (reduced-resolution JPEG
decoding), `detectors.analyse` judges it for the faults of `FAULTS`,
`thresholds` holds the thresholds and their per-camera configuration,
`synth` makes faulty camera pictures from real photographs (for the
evaluation, the tests and the device simulator). See docs/quality.md.
"""

from monitor.quality.decode import decode
from monitor.quality.detectors import (
    FAULTS,
    SIGNATURE_SHAPE,
    Diagnosis,
    Verdict,
    analyse,
    signature,
)
from monitor.quality.thresholds import DEFAULT_THRESHOLDS, QualityConfig, Thresholds, thresholds_for

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FAULTS",
    "SIGNATURE_SHAPE",
    "Diagnosis",
    "QualityConfig",
    "Thresholds",
    "Verdict",
    "analyse",
    "decode",
    "signature",
    "thresholds_for",
]
