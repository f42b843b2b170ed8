"""How well the image-fault detectors work, measured on labelled real photographs.

    python bench/quality_eval.py [--views N] [--seed S] [--set reporting|tuning|textures|all]

Builds camera frames (1920×1080, JPEG quality 70–90, decoded as the monitor
decodes them) from the photographs bundled with scikit-image, each frame from
a random view of its photograph (zoom, position), with live-sensor noise, an
on-screen clock and, for clean frames, the small changes of a live picture:
exposure drift, a camera vibrating by up to 0.5 % of the frame. Per view:

- clean frames (labelled with no fault): two of a live scene, one of a still
  scene where only the sensor noise and the clock change; an infrared night
  picture of the scene (`synth.night`, also no fault) compared with the
  daytime reference and an earlier night frame;
- every fault of `synth.degrade` at a random strength in [0.1, 1], the
  camera's sensor noise and clock added after the fault (the lens blurs, the
  sensor is still noisy); half the time the previous frame shows the same
  fault (it persists), half the time it is clean (it has just appeared);
- `shifted` (`synth.shifted_view`, random strength) against the reference;
- `frozen`: the previous frame again, byte for byte or with the on-screen
  clock still running (redrawn and re-encoded), against that previous frame;
  the clean frames (new sensor noise, the clock a minute on) are the
  negatives.

Every frame is analysed with its previous frame (a minute earlier) and the
camera's reference view (taken at another time, with other exposure), at the
default thresholds, and the script prints precision and recall per fault and
the false-alarm rate (any fault reported) on clean and on night frames.

Held out: the default thresholds were chosen on the `tuning` photographs
(astronaut, camera, coffee, coins; seed 1) only; the `reporting` photographs
(chelsea, rocket, motorcycle_left, motorcycle_right; seed 13) are the
result (bench/RESULTS.md tells how they were used). `textures` (brick,
grass, gravel: close-ups of a surface filling the whole view) is a stress
set reported apart. Each frame is also judged alone, as `tianyan diagnose
IMAGE` does without --previous/--reference.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.quality import synth
from monitor.quality.decode import decode
from monitor.quality.detectors import FAULTS, Diagnosis, analyse, signature

SETS: dict[str, tuple[tuple[str, ...], int]] = {
    "tuning": (("astronaut", "camera", "coffee", "coins"), 1),
    "reporting": (("chelsea", "rocket", "motorcycle_left", "motorcycle_right"), 13),
    "textures": (("brick", "grass", "gravel"), 3),
}
WIDTH, HEIGHT = 1920, 1080
# A camera's sub-stream: the sensor's picture scaled down by the camera, then
# encoded. `--stream sub` evaluates the snapshots the monitor fetches from it.
SUB_STREAM = (640, 360)
STREAM_SIZE: tuple[int, int] | None = None  # None: the main stream, as captured
T0 = 1_764_900_000.0  # a Tuesday afternoon in December 2025, UTC+8 on the clock
CLEAN_PER_VIEW = 2  # live clean frames per view (and one still one)


@dataclass(frozen=True, slots=True)
class Sample:
    kind: str  # clean, night, or the fault applied
    strength: float
    photo: str
    jpeg: bytes
    previous: np.ndarray
    reference: np.ndarray
    labels: frozenset[str]


def _jpeg(frame: np.ndarray, quality: int) -> bytes:
    if STREAM_SIZE is not None:
        frame = cv2.resize(frame, STREAM_SIZE, interpolation=cv2.INTER_AREA)
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buffer.tobytes()


def _sig(jpeg: bytes) -> np.ndarray:
    frame = decode(jpeg)
    assert frame is not None
    return signature(frame)


def _exposure(frame: np.ndarray, gain: float) -> np.ndarray:
    return cv2.convertScaleAbs(frame, alpha=gain)


def _vibrate(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    dx, dy = rng.uniform(-0.005, 0.005, 2) * (WIDTH, HEIGHT)
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(frame, matrix, (WIDTH, HEIGHT), borderMode=cv2.BORDER_REFLECT_101)


def _passer_by(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Someone walking through the view (a small dark figure)."""
    out = frame.copy()
    x = int(rng.integers(100, WIDTH - 100))
    y = int(rng.integers(HEIGHT // 2, HEIGHT - 120))
    colour = tuple(int(c) for c in rng.integers(20, 90, 3))
    cv2.ellipse(out, (x, y), (28, 75), 0, 0, 360, colour, -1)
    cv2.circle(out, (x, y - 100), 24, (110, 140, 180), -1)
    return out


def samples(photos: tuple[str, ...], views: int, seed: int) -> Iterator[Sample]:
    rng = np.random.default_rng(seed)
    for photo in photos:
        for v in range(views):
            yield from _view_samples(photo, T0 + v * 3600.0, rng)


def _view_samples(photo: str, when: float, rng: np.random.Generator) -> Iterator[Sample]:
    """The labelled frames of one view of one photograph."""
    base = synth.view(
        photo,
        WIDTH,
        HEIGHT,
        zoom=float(rng.uniform(1.0, 1.35)),
        x=float(rng.random()),
        y=float(rng.random()),
    )
    quality = int(rng.integers(70, 91))

    def shot(picture: np.ndarray, at: float) -> bytes:
        """What the camera sends: its sensor's noise, its clock, JPEG."""
        picture = synth.sensor_noise(picture, rng, float(rng.uniform(1.0, 3.0)))
        return _jpeg(synth.osd_clock(picture, at), quality)

    def moving(picture: np.ndarray) -> np.ndarray:
        """A live scene a minute later: exposure drift, vibration, passers-by."""
        picture = _exposure(_vibrate(picture, rng), float(rng.uniform(0.95, 1.05)))
        return _passer_by(picture, rng) if rng.random() < 0.5 else picture

    def faulty(fault: str, strength: float, fault_seed: int, at: float) -> bytes:
        picture = synth.degrade(base, fault, strength, np.random.default_rng(fault_seed))
        if fault == "signal_loss":  # a recorder's own screen: no camera noise or clock
            return _jpeg(picture, quality)
        return shot(picture, at)

    # The reference view: enrolled at another time of day, other exposure.
    reference = _sig(shot(_exposure(base, float(rng.uniform(0.8, 1.2))), when - 86_400.0))
    previous_jpeg = shot(base, when - 60.0)
    previous = _sig(previous_jpeg)

    def sample(
        kind: str, jpeg: bytes, labels: set[str], strength: float = 0.0, prev: np.ndarray = previous
    ) -> Sample:
        return Sample(kind, strength, photo, jpeg, prev, reference, frozenset(labels))

    # Clean: a live scene, and a still one (nothing moves: only the sensor's
    # noise and the clock change).
    for _ in range(CLEAN_PER_VIEW):
        yield sample("clean", shot(moving(base), when), set())
    yield sample("clean", shot(base, when), set())
    night = synth.night(base)
    yield sample("night", shot(night, when), set(), prev=_sig(shot(night, when - 60)))
    for fault in synth.DEGRADE_FAULTS:
        strength = float(rng.uniform(0.1, 1.0))
        fault_seed = int(rng.integers(1 << 30))
        # Half the time the fault has just appeared, half the time it was
        # there a minute ago as well.
        prev = previous
        if rng.random() < 0.5:
            prev = _sig(faulty(fault, strength, fault_seed, when - 60))
        yield sample(fault, faulty(fault, strength, fault_seed, when), {fault}, strength, prev)
    strength = float(rng.uniform(0.1, 1.0))
    moved = synth.shifted_view(base, strength)
    prev = previous if rng.random() < 0.5 else _sig(shot(moved, when - 60))
    yield sample("shifted", shot(moved, when), {"shifted"}, strength, prev)
    # Frozen: the encoder repeats the previous picture, byte for byte, or with
    # its clock still running (drawn after the frozen picture).
    yield sample("frozen", previous_jpeg, {"frozen"})
    still = synth.sensor_noise(base, rng, float(rng.uniform(1.0, 3.0)))
    yield sample(
        "frozen",
        _jpeg(synth.osd_clock(still, when), quality),
        {"frozen"},
        prev=_sig(_jpeg(synth.osd_clock(still, when - 60), quality)),
    )


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    mild: int = 0  # frames with the fault at strength < MILD
    mild_found: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


MILD = 0.4


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@dataclass
class Run:
    """The tallies of one way of analysing the frames."""

    tallies: dict[str, Tally]
    false_alarms: dict[str, list[int]]
    confusions: collections.Counter[tuple[str, str]]
    wrong: list[str]

    @classmethod
    def new(cls) -> Run:
        return cls(
            {fault: Tally() for fault in FAULTS},
            {"clean": [0, 0], "night": [0, 0]},
            collections.Counter(),
            [],
        )

    def add(self, s: Sample, diagnosis: Diagnosis, judged: set[str]) -> None:
        found = set(diagnosis.faults)
        labels = s.labels & judged
        for fault in FAULTS:
            t = self.tallies[fault]
            if fault in found and fault in labels:
                t.tp += 1
            elif fault in found:
                t.fp += 1
                self.confusions[(s.kind, fault)] += 1
            elif fault in labels:
                t.fn += 1
            if fault in labels and s.strength and s.strength < MILD:
                t.mild += 1
                t.mild_found += fault in found
        if s.kind in self.false_alarms:
            self.false_alarms[s.kind][1] += 1
            self.false_alarms[s.kind][0] += bool(found)
        if found != labels:
            wanted = ",".join(sorted(labels)) or "none"
            got = ",".join(sorted(found)) or "none"
            self.wrong.append(
                f"  {s.photo:16s} {s.kind:11s} s={s.strength:.2f} want {wanted:11s} got {got:20s} "
                + " ".join(f"{k}={v:.3g}" for k, v in diagnosis.measures.items())
            )

    def report(self, title: str, verbose: bool) -> bool:
        print(f"\n{title}\n")
        print(f"| fault | frames with it | precision | recall | recall, strength < {MILD} |")
        print("|---|---|---|---|---|")
        ok = True
        for fault, t in self.tallies.items():
            if t.tp + t.fn + t.fp == 0:
                continue
            mild = f"{t.mild_found}/{t.mild}" if t.mild else "—"
            print(f"| {fault} | {t.tp + t.fn} | {_fmt(t.precision)} | {_fmt(t.recall)} | {mild} |")
            if (t.precision or 0) < 0.95 or (t.recall or 0) < 0.90:
                ok = False
        print()
        for kind, (alarms, total) in self.false_alarms.items():
            rate = alarms / total if total else 0.0
            print(f"false alarms (any fault) on {kind} frames: {alarms}/{total} = {rate:.1%}")
            if rate > 0.02:
                ok = False
        if self.confusions:
            print("\nfaults reported that were not there (frame kind → fault reported: frames):")
            for (kind, fault), n in self.confusions.most_common():
                print(f"  {kind} → {fault}: {n}")
        if verbose and self.wrong:
            print("\nframes judged wrongly:")
            print("\n".join(self.wrong))
        return ok


def evaluate(name: str, photos: tuple[str, ...], views: int, seed: int, verbose: bool) -> bool:
    monitor, single = Run.new(), Run.new()
    count = 0
    started = time.perf_counter()
    everything = set(FAULTS)
    alone = everything - {"frozen", "shifted", "occluded"}
    for s in samples(photos, views, seed):
        count += 1
        frame = decode(s.jpeg)
        assert frame is not None
        monitor.add(s, analyse(frame, previous=s.previous, reference=s.reference), everything)
        single.add(s, analyse(frame), alone)
    seconds = time.perf_counter() - started
    print(f"\n## {name}: {', '.join(photos)} — {count} frames, seed {seed} ({seconds:.0f} s)")
    ok = monitor.report(
        "As the monitor analyses them (with the previous frame and the reference view):", verbose
    )
    single.report(
        "Each frame alone, as `tianyan diagnose IMAGE` without --previous/--reference "
        "(frozen, shifted and occluded are not judged):",
        verbose,
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--views", type=int, default=12, help="views per photograph (12)")
    parser.add_argument("--seed", type=int, help="override the set's seed")
    parser.add_argument("--set", choices=(*SETS, "all"), default="all")
    parser.add_argument(
        "--stream",
        choices=("main", "sub"),
        default="main",
        help="snapshots of the main stream (1920×1080) or of a 640×360 sub-stream",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list every wrong frame")
    args = parser.parse_args(argv)
    global STREAM_SIZE
    STREAM_SIZE = SUB_STREAM if args.stream == "sub" else None
    cv2.setNumThreads(1)
    names = list(SETS) if args.set == "all" else [args.set]
    results = {}
    for name in names:
        photos, seed = SETS[name]
        results[name] = evaluate(
            name, photos, args.views, args.seed if args.seed is not None else seed, args.verbose
        )
    print()
    for name, ok in results.items():
        print(f"{name}: {'goals met' if ok else 'goals NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
