"""Image-fault detectors (视频质量诊断): pure functions on one decoded frame.

`analyse` takes a frame as `decode` returns it (BGR uint8, a few hundred
pixels across), optionally the signature of the camera's previous frame
(taken at least the poll interval earlier) and of its reference view, and
returns one verdict per fault it could judge plus the named measures behind
them. docs/quality.md describes every measure, its threshold and the order
in which faults exclude each other; bench/quality_eval.py measures how well
the defaults work.

Every measure is computed on small images with vectorised OpenCV calls: the
frame as decoded (about 480 pixels across) for the fine-detail measures
(sharpness, noise), a 240-pixel copy for the rest, and a 64×36 grey
thumbnail (the signature) for the comparisons with earlier frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from monitor.quality.thresholds import DEFAULT_THRESHOLDS, Thresholds

FAULTS: tuple[str, ...] = (
    "signal_loss",
    "black",
    "frozen",
    "blur",
    "occluded",
    "color_cast",
    "dark",
    "bright",
    "noise",
    "shifted",
)

SIGNATURE_SHAPE: tuple[int, int] = (36, 64)  # (height, width): 2,304 bytes per camera

# OpenCV types its results loosely: images are uint8 (or float32) numpy arrays.
Image = npt.NDArray[Any]
Frame = Image  # BGR uint8, as `decode` returns it
Signature = Image  # uint8, SIGNATURE_SHAPE

SMALL_WIDTH = 240  # width of the copy most measures use
DETAIL_WIDTH = 480  # the fine-detail measures use the frame as decoded, at most this wide
UNIFORM_TOLERANCE = 10  # grey levels: a pixel this close to the dominant colour counts as flat
SHIFT_SEARCH = 3  # signature pixels (about 5 % of the width) searched either way for `shifted`
EDGE_MIN_RANGE = 20  # grey levels of local range for a pixel to count as on an edge
OCCLUDER_MAX_LUMA = 90.0  # an occluder is darker than this (mean grey level)
OSD_CELLS = 3  # grid cells of the 8×6 grid whose change is discounted as local (clocks, titles)


@dataclass(frozen=True, slots=True)
class Verdict:
    fault: str
    measure: float
    threshold: float
    present: bool


@dataclass(frozen=True)
class Diagnosis:
    verdicts: tuple[Verdict, ...]
    measures: dict[str, float] = field(default_factory=dict)
    # The analysed frame's signature (as `signature` makes it), for the caller to keep.
    signature: Signature | None = field(default=None, compare=False, repr=False)

    @property
    def faults(self) -> tuple[str, ...]:
        present = {v.fault for v in self.verdicts if v.present}
        return tuple(fault for fault in FAULTS if fault in present)

    def verdict(self, fault: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.fault == fault), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "faults": list(self.faults),
            "measures": {k: round(v, 4) for k, v in self.measures.items()},
            "verdicts": [
                {
                    "fault": v.fault,
                    "present": v.present,
                    "measure": round(v.measure, 4),
                    "threshold": v.threshold,
                }
                for v in self.verdicts
            ],
        }


def _k(value: float) -> Any:
    """A scalar operand for OpenCV (its type stubs accept only arrays)."""
    return value


def _shrink(image: Image, width: int) -> Image:
    if image.shape[1] <= width:
        return image
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def _halve(image: Image) -> Image:
    """`image` at half size (an even number of rows and columns kept: area
    resizing by exactly 2 is the fast case)."""
    h, w = image.shape[:2]
    even = image[: h - h % 2, : w - w % 2]
    return cv2.resize(even, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)


def _grey(frame: Frame) -> Image:
    if frame.ndim == 2:
        return frame
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def signature(frame: Frame) -> Signature:
    """The frame's grey thumbnail of SIGNATURE_SHAPE (uint8), kept as `previous`/`reference`."""
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    return _thumbnail(_grey(_shrink(_shrink(frame, DETAIL_WIDTH), SMALL_WIDTH)))


def _thumbnail(grey: Image) -> Signature:
    height, width = SIGNATURE_SHAPE
    return cv2.resize(grey, (width, height), interpolation=cv2.INTER_AREA)


# --- measures ---------------------------------------------------------------


def _histogram_stats(grey: Image) -> tuple[float, float, float]:
    """Mean, standard deviation and 98th percentile of a grey image."""
    hist = cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel()
    total = float(hist.sum())
    levels = np.arange(256, dtype=np.float64)
    mean = float(hist @ levels) / total
    std = float(np.sqrt(max(0.0, float(hist @ (levels - mean) ** 2) / total)))
    p98 = float(np.searchsorted(np.cumsum(hist), 0.98 * total))
    return mean, std, p98


def uniformity(tiny: Frame) -> tuple[float, float]:
    """Fraction of the frame within UNIFORM_TOLERANCE grey levels (every channel)
    of its dominant colour (the per-channel median), and that colour's luminance."""
    half = tiny.shape[0] * tiny.shape[1] / 2
    channels = cv2.split(tiny)
    dominant = [
        int(np.searchsorted(np.cumsum(cv2.calcHist([c], [0], None, [256], [0, 256])), half))
        for c in channels
    ]
    far: Image = cv2.absdiff(channels[0], _k(dominant[0]))
    for channel, value in zip(channels[1:], dominant[1:], strict=True):
        far = cv2.max(far, cv2.absdiff(channel, _k(value)))
    near = cv2.countNonZero(cv2.compare(far, _k(UNIFORM_TOLERANCE), cv2.CMP_LE))
    luma = 0.114 * dominant[0] + 0.587 * dominant[1] + 0.299 * dominant[2]
    return float(near / far.size), float(luma)


def sharpness(detail: Image) -> float:
    """How steep the picture's sharpest edges are. At the strongest tenth of the
    edge pixels (those whose 7×7 neighbourhood spans at least EDGE_MIN_RANGE
    grey levels) the gradient is divided by that local range, and the 90th
    percentile taken: an edge blurred over σ pixels measures about 1/(σ·2.5)
    whatever its contrast, so the measure depends little on what the camera
    sees, and a picture with a soft background but a sharp subject is sharp.
    Lower is blurrier. The top and bottom eighths of the frame, where cameras
    draw their clock and title, are left out; a picture without edges
    measures 1 (nothing to judge)."""
    h = detail.shape[0]
    band = detail[h // 8 : h - h // 8]
    kernel = np.ones((7, 7), np.uint8)
    spread = cv2.subtract(cv2.dilate(band, kernel), cv2.erode(band, kernel))
    edges = cv2.compare(spread, _k(EDGE_MIN_RANGE), cv2.CMP_GE)
    count = cv2.countNonZero(edges)
    if count < 50:
        return 1.0
    gradient = cv2.magnitude(
        cv2.Sobel(band, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(band, cv2.CV_32F, 0, 1, ksize=3)
    )
    # Sobel's gain is 8: gradient / 8 is in grey levels per pixel.
    levels = cv2.convertScaleAbs(gradient, alpha=1.0 / 8.0)
    cut = _percentile(levels, edges, count, 0.9)
    strongest = cv2.bitwise_and(edges, cv2.compare(levels, _k(cut), cv2.CMP_GE))
    chosen = cv2.countNonZero(strongest)
    if chosen == 0:
        return 1.0
    # gradient / range in steps of 1/256, over the strongest edges.
    ratio = cv2.divide(gradient, spread.astype(np.float32), scale=256.0 / 8.0)
    return _percentile(cv2.convertScaleAbs(ratio), strongest, chosen, 0.9) / 256.0


def _percentile(levels: Image, mask: Image, count: int, q: float) -> int:
    """The q-quantile of the uint8 `levels` where `mask` is set (`count` pixels)."""
    hist = cv2.calcHist([cv2.bitwise_and(levels, mask)], [0], None, [256], [0, 256]).ravel()
    hist[0] -= levels.size - count  # the pixels outside the mask, zeroed
    return int(np.searchsorted(np.cumsum(hist), q * count))


def noise_level(detail: Image) -> float:
    """Noise estimate (grey levels at the decoded scale): the residual of a 3×3
    median filter, averaged over 8×8 blocks, in the flattest tenth of the blocks.
    Scene detail is sparse, noise is everywhere."""
    residual = cv2.absdiff(detail, cv2.medianBlur(detail, 3))
    h, w = residual.shape
    grid = (max(1, w // 8), max(1, h // 8))
    blocks = cv2.resize(
        _crop_to(residual, grid).astype(np.float32), grid, interpolation=cv2.INTER_AREA
    )
    flat = blocks.ravel()
    k = max(0, int(flat.size * 0.1) - 1)
    return float(np.partition(flat, k)[k])


def colour_cast(tiny: Frame) -> float:
    """Chroma (CIELAB a*b* distance from grey) of the picture's colour balance,
    estimated from the colour of its brightest 3 % (white patch: highlights are
    mostly lit neutral surfaces) weighted 3:1 with its average colour (grey
    world). A scene's own colours pull the average; a cast moves both. Grey
    (infrared) pictures measure 0."""
    lab = cv2.cvtColor(tiny, cv2.COLOR_BGR2Lab)
    lightness = lab[:, :, 0]
    grey_world = cv2.mean(lab)
    hist = cv2.calcHist([lightness], [0], None, [256], [0, 256]).ravel()
    cut = int(np.searchsorted(np.cumsum(hist), 0.97 * lightness.size))
    white_patch = cv2.mean(lab, mask=cv2.compare(lightness, _k(cut), cv2.CMP_GE))
    a = (grey_world[1] + 3.0 * white_patch[1]) / 4.0 - 128.0
    b = (grey_world[2] + 3.0 * white_patch[2]) / 4.0 - 128.0
    return float(np.hypot(a, b))


def _crop_to(image: Image, grid: tuple[int, int]) -> Image:
    """`image` cut to a whole number of pixels per cell of a (width, height) grid
    (area resizing by an integer factor is several times faster)."""
    h, w = image.shape[:2]
    gw, gh = grid
    if h >= gh and w >= gw:
        return image[: h - h % gh, : w - w % gw]
    return image


def _block_stats(grey: Image, grid: tuple[int, int]) -> tuple[Image, Image]:
    """Mean and standard deviation of `grey` over the blocks of a (width, height) grid."""
    f = _crop_to(grey, grid).astype(np.float32)
    mean = cv2.resize(f, grid, interpolation=cv2.INTER_AREA)
    square = cv2.resize(f * f, grid, interpolation=cv2.INTER_AREA)
    return mean, np.sqrt(np.maximum(square - mean * mean, 0.0))


def occluded_fraction(
    small_grey: Image, reference: Signature, contrast: float
) -> tuple[float, float]:
    """Fraction of the view covered by large dark, featureless regions that were
    something else in the reference view, and the mean brightness of the rest.

    The 240-pixel copy is cut into 8×8 blocks; a block is covered when it is
    dark (mean below OCCLUDER_MAX_LUMA), featureless (its variation a small
    part of the frame's contrast) and was something else in the reference:
    textured, or of a brightness the current lighting does not explain. A dark
    sky or a blank wall that was already in the reference does not count (and
    without a reference nothing tells them from a covering: `analyse` judges
    occluded only with one). Only connected areas of at least 4 % of the view
    are summed. The second value is the mean brightness of the rest of the view
    (what the covering leaves visible).
    """
    h, w = small_grey.shape
    grid = (max(1, w // 8), max(1, h // 8))
    mean, local = _block_stats(small_grey, grid)
    covered = (local < max(2.0, 0.06 * contrast)) & (mean < OCCLUDER_MAX_LUMA)
    if covered.any():
        ref_mean, _ = _block_stats(reference, grid)
        # The reference's texture at its own scale (3×3 neighbourhoods), pooled.
        r = reference.astype(np.float32)
        box_mean = cv2.blur(r, (3, 3))
        box_std = np.sqrt(np.maximum(cv2.blur(r * r, (3, 3)) - box_mean * box_mean, 0.0))
        ref_texture = cv2.resize(box_std, grid, interpolation=cv2.INTER_AREA)
        visible = ~covered
        gain = 1.0
        if int(visible.sum()) >= 0.1 * visible.size:
            gain = float(np.median(mean[visible])) / max(float(np.median(ref_mean[visible])), 1.0)
        textured = ref_texture > max(2.0, 0.1 * float(reference.std()))
        expected = gain * ref_mean
        changed = np.abs(expected - mean) > 0.35 * np.maximum(expected, mean) + 12.0
        covered &= textured | changed
    mask = covered.astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    areas = stats[:, cv2.CC_STAT_AREA]
    large = np.flatnonzero(areas >= 0.04 * mask.size)
    large = large[large > 0]  # label 0 is the uncovered rest
    if large.size == 0:
        return 0.0, float(mean.mean())
    in_large = np.isin(labels, large)
    rest = mean[~in_large]
    return float(areas[large].sum() / mask.size), float(rest.mean()) if rest.size else 0.0


def frozen_change(current: Signature, previous: Signature) -> float:
    """Fraction of the picture that changed since `previous`: signature pixels that
    differ at all, the most changed cells of an 8×6 grid (an on-screen clock, a
    title, someone passing) left out. A live camera's sensor noise alone changes
    a good part of them; a frozen picture changes none. Pixels clipped to black
    or white in both frames carry no noise and are left out; with fewer than a
    tenth of the pixels left the measure is 1 (not judged frozen)."""
    changed = cv2.compare(cv2.absdiff(current, previous), _k(0), cv2.CMP_GT)
    lo = cv2.min(current, previous)
    hi = cv2.max(current, previous)
    usable = cv2.bitwise_and(
        cv2.compare(lo, _k(2), cv2.CMP_GT), cv2.compare(hi, _k(253), cv2.CMP_LT)
    )
    if cv2.countNonZero(usable) < usable.size // 10:
        return 1.0
    changed = cv2.bitwise_and(changed, usable)
    grid = (8, 6)
    cells = cv2.resize(changed.astype(np.float32), grid, interpolation=cv2.INTER_AREA)
    weights = cv2.resize(usable.astype(np.float32), grid, interpolation=cv2.INTER_AREA)
    order = np.argsort(cells.ravel() / np.maximum(weights.ravel(), 1.0))
    kept = order[: order.size - OSD_CELLS]
    return float(cells.ravel()[kept].sum() / max(float(weights.ravel()[kept].sum()), 1.0))


def reference_match(current: Signature, reference: Signature) -> float:
    """Best normalised correlation of the current view with the reference view
    over offsets up to SHIFT_SEARCH pixels either way (gain and offset of the
    lighting cancel out)."""
    r = SHIFT_SEARCH
    template = reference[r:-r, r:-r]
    if float(template.std()) < 1.0 or float(current.std()) < 1.0:
        return 0.0
    scores = cv2.matchTemplate(current, template, cv2.TM_CCOEFF_NORMED)
    return float(scores.max())


# --- verdicts ---------------------------------------------------------------


def analyse(
    frame: Frame | None,
    *,
    previous: Signature | None = None,
    reference: Signature | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Diagnosis:
    """Every fault the frame can be judged for, with its measure and verdict.

    `frame` is BGR uint8 as `decode` returns it; None (no picture) is
    signal_loss. `previous` and `reference` are signatures (`signature`):
    `frozen` is judged only with `previous`, `shifted` and `occluded` only
    with `reference`.
    """
    t = thresholds
    if frame is None or frame.size == 0:
        verdict = Verdict("signal_loss", 1.0, t.signal_loss_uniformity, True)
        return Diagnosis((verdict,), {})
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    detail_bgr = _shrink(frame, DETAIL_WIDTH)
    small = _shrink(detail_bgr, SMALL_WIDTH)
    detail = _grey(detail_bgr)
    small_grey = _grey(small)
    sig = _thumbnail(small_grey)

    brightness, contrast, highlights = _histogram_stats(small_grey)
    tiny = _halve(small)
    uniform, uniform_luma = uniformity(tiny)
    sharp = sharpness(detail)
    noise = noise_level(detail)
    cast = colour_cast(tiny)
    measures: dict[str, float] = {
        "brightness": brightness,
        "contrast": contrast,
        "highlights": highlights,
        "uniformity": uniform,
        "sharpness": sharp,
        "noise": noise,
        "colour_cast": cast,
    }
    change = match = occluded = None
    visible_brightness = brightness
    if reference is not None:
        ref = _as_signature(reference)
        occluded, visible_brightness = occluded_fraction(small_grey, ref, contrast)
        match = reference_match(sig, ref)
        measures["occluded_fraction"] = occluded
        measures["reference_match"] = match
    if previous is not None:
        change = frozen_change(sig, _as_signature(previous))
        measures["frozen_change"] = change

    black = highlights <= t.black_brightness
    bright = not black and brightness >= t.bright_brightness
    # A uniform picture darker than `dark` is dark: from the picture alone a dark
    # screen cannot be told from an unlit scene.
    signal_loss = (
        not (black or bright)
        and uniform >= t.signal_loss_uniformity
        and uniform_luma > t.dark_brightness
    )
    blank = black or signal_loss  # no camera picture to judge anything else on
    # Covered: part of the view hidden while the rest is lit (a dark picture with
    # dark flat areas is dark, not covered).
    covered = (
        occluded is not None
        and not (blank or bright)
        and occluded >= t.occluded_fraction
        and visible_brightness > t.dark_brightness
    )
    dark = not (blank or covered) and brightness <= t.dark_brightness
    noisy = not blank and noise >= t.noise_level
    blurred = not (blank or bright or dark or covered or noisy) and sharp <= t.blur_sharpness
    cast_present = not (blank or dark or bright or covered) and cast >= t.color_cast
    # A frozen picture can only be told from a still one by its noise: not in a
    # blank, dark or blown-out picture.
    frozen = change is not None and not (blank or dark or bright) and change <= t.frozen_change
    shifted = match is not None and not (blank or bright or covered) and match <= t.shifted_match

    verdicts = [
        Verdict("signal_loss", uniform, t.signal_loss_uniformity, signal_loss),
        Verdict("black", highlights, t.black_brightness, black),
    ]
    if change is not None:
        verdicts.append(Verdict("frozen", change, t.frozen_change, frozen))
    verdicts.append(Verdict("blur", sharp, t.blur_sharpness, blurred))
    if occluded is not None:
        verdicts.append(Verdict("occluded", occluded, t.occluded_fraction, covered))
    verdicts += [
        Verdict("color_cast", cast, t.color_cast, cast_present),
        Verdict("dark", brightness, t.dark_brightness, dark),
        Verdict("bright", brightness, t.bright_brightness, bright),
        Verdict("noise", noise, t.noise_level, noisy),
    ]
    if match is not None:
        verdicts.append(Verdict("shifted", match, t.shifted_match, shifted))
    return Diagnosis(tuple(verdicts), measures, sig)


def _as_signature(value: Image) -> Signature:
    if value.shape != SIGNATURE_SHAPE or value.dtype != np.uint8:
        if value.ndim == 3:
            value = _grey(value.astype(np.uint8))
        height, width = SIGNATURE_SHAPE
        value = cv2.resize(value.astype(np.uint8), (width, height), interpolation=cv2.INTER_AREA)
    return value
