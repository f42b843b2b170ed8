"""Speed of the image-fault analysis: 1920×1080 JPEG snapshots per second, one core.

    python bench/quality_speed.py [--frames N] [--seconds S] [--quality Q]

The snapshots are camera frames made from the photographs bundled with
scikit-image (random views, live-sensor noise, an on-screen clock, JPEG
quality Q, default 80), like the ones bench/quality_eval.py judges. Each
timed step runs over all of them, round after round, for about S seconds:

- baseline: `cv2.imdecode` at full resolution (what decoding costs without
  libjpeg's DCT scaling);
- decode: `monitor.quality.decode` alone (1/4 scale for 1080p), and for
  comparison libjpeg's 1/8 scale, the cheapest decode there is;
- analyse: `analyse` alone on decoded frames, with a previous frame and a
  reference view (every detector runs);
- decode + analyse: what the monitor would do per main-stream snapshot;
- sub-stream decode + analyse: the same frames as a camera's 640×360
  sub-stream sends them (scaled down by the camera, then encoded): what the
  monitor does per snapshot, since it takes snapshots from the smallest
  stream at least 640 pixels wide (docs/quality.md).

OpenCV is held to one thread, so every figure is one core's.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.quality import synth
from monitor.quality.decode import decode
from monitor.quality.detectors import analyse, signature

SCENES = ("astronaut", "camera", "chelsea", "coffee", "rocket", "motorcycle_left", "coins")


def snapshots(
    count: int, quality: int, seed: int = 5, size: tuple[int, int] | None = None
) -> list[bytes]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        frame = synth.view(
            SCENES[i % len(SCENES)],
            zoom=float(rng.uniform(1.0, 1.3)),
            x=float(rng.random()),
            y=float(rng.random()),
        )
        frame = synth.osd_clock(synth.sensor_noise(frame, rng, 2.0), 1_764_900_000.0 + i)
        if size is not None:
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        out.append(buffer.tobytes())
    return out


def rate(step: Callable[[int], object], n: int, seconds: float) -> float:
    """Items per second of `step(i)` over i = 0..n-1, repeated for about `seconds`."""
    for i in range(n):  # warm up
        step(i)
    done, started = 0, time.perf_counter()
    while True:
        for i in range(n):
            step(i)
        done += n
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=28, help="distinct snapshots (28)")
    parser.add_argument("--seconds", type=float, default=4.0, help="per timed step (4)")
    parser.add_argument("--quality", type=int, default=80, help="JPEG quality (80)")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)

    jpegs = snapshots(args.frames, args.quality)
    buffers = [np.frombuffer(j, np.uint8) for j in jpegs]
    frames = [decode(j) for j in jpegs]
    assert all(f is not None for f in frames)
    sigs = [signature(f) for f in frames if f is not None]
    n = len(jpegs)
    size = sum(map(len, jpegs)) / n / 1024
    subs = snapshots(args.frames, args.quality, size=(640, 360))
    sub_size = sum(map(len, subs)) / n / 1024

    def full(i: int) -> object:
        return cv2.imdecode(buffers[i], cv2.IMREAD_COLOR)

    def reduced(i: int) -> object:
        return decode(jpegs[i])

    def eighth(i: int) -> object:
        return cv2.imdecode(buffers[i], cv2.IMREAD_REDUCED_COLOR_8)

    def judged(i: int) -> object:
        frame = frames[i]
        assert frame is not None
        return analyse(frame, previous=sigs[i - 1], reference=sigs[i])

    def whole(i: int) -> object:
        frame = decode(jpegs[i])
        assert frame is not None
        return analyse(frame, previous=sigs[i - 1], reference=sigs[i])

    def sub_stream(i: int) -> object:
        frame = decode(subs[i])
        assert frame is not None
        return analyse(frame, previous=sigs[i - 1], reference=sigs[i])

    results = {
        "baseline: cv2.imdecode full resolution": rate(full, n, args.seconds),
        "decode (reduced, as analysed)": rate(reduced, n, args.seconds),
        "decode at 1/8 (for comparison)": rate(eighth, n, args.seconds),
        "analyse only": rate(judged, n, args.seconds),
        "decode + analyse": rate(whole, n, args.seconds),
        f"sub-stream 640×360 ({sub_size:.0f} KiB): decode + analyse": rate(
            sub_stream, n, args.seconds
        ),
    }
    shape = frames[0].shape if frames[0] is not None else ()
    print(
        f"{n} snapshots 1920×1080, JPEG quality {args.quality}, mean {size:.0f} KiB; "
        f"decoded to {shape[1]}×{shape[0]}; one thread; "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"OpenCV {cv2.__version__}\n"
    )
    print("| step | frames/s | ms/frame |")
    print("|---|---|---|")
    for name, value in results.items():
        print(f"| {name} | {value:,.0f} | {1000 / value:.2f} |")
    baseline = results["baseline: cv2.imdecode full resolution"]
    print(
        f"\ndecode + analyse is {results['decode + analyse'] / baseline:.2f}× the full-resolution "
        f"decode baseline (goal: 300 frames/s)"
    )
    sub = next(v for k, v in results.items() if k.startswith("sub-stream"))
    print(
        f"sub-stream decode + analyse (what the monitor does) is {sub / baseline:.2f}× the baseline"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
