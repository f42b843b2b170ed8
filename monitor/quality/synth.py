"""Camera pictures made from real photographs, and the faults applied to them.

The photographs are those bundled with scikit-image (its `skimage/data`
directory, read from the installed package: nothing is downloaded). They are
used by the detector evaluation (bench/quality_eval.py), the unit tests and
the device simulator.

`scene` frames a photograph as a camera picture; `degrade` applies an image
fault at a strength in (0, 1]: 1 is the clear case, lower is milder, and even
the mildest is a picture an operator would want flagged (docs/quality.md
lists what each strength means). `frozen` has no `degrade`: a frozen camera
repeats an old frame. `shifted_view` is a knocked or turned camera, `night`
an infrared night picture (grey by design, not a fault), `osd_clock` the
burned-in date and time, `sensor_noise` the small noise of a live sensor.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import math
import zlib
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[Any]  # BGR uint8 (OpenCV types its results loosely)

# Bundled photographs that look like something a camera might watch (people,
# a street-level scene, objects, ground textures). Not used: microscopy,
# astronomy, documents and synthetic test charts.
_FILES: dict[str, str] = {
    "astronaut": "astronaut.png",
    "camera": "camera.png",
    "chelsea": "chelsea.png",
    "coffee": "coffee.png",
    "rocket": "rocket.jpg",
    "motorcycle_left": "motorcycle_left.png",
    "motorcycle_right": "motorcycle_right.png",
    "brick": "brick.png",
    "grass": "grass.png",
    "gravel": "gravel.png",
    "coins": "coins.png",
}
PHOTOS: tuple[str, ...] = tuple(_FILES)

# Faults `degrade` applies (the vocabulary but `frozen` and `shifted`).
DEGRADE_FAULTS: tuple[str, ...] = (
    "signal_loss",
    "black",
    "blur",
    "occluded",
    "color_cast",
    "dark",
    "bright",
    "noise",
)

# "No signal" screens of recorders and encoders (BGR): blues and greys.
_SCREEN_COLOURS: tuple[tuple[int, int, int], ...] = (
    (200, 60, 0),
    (160, 40, 20),
    (230, 110, 30),
    (128, 128, 128),
    (90, 90, 90),
    (170, 170, 165),
    (110, 80, 40),
)
_SCREEN_TEXTS: tuple[str, ...] = ("NO SIGNAL", "NO VIDEO", "VIDEO LOSS", "Signal Lost")

# Colour casts: the hue (CIELAB a*b* angle, degrees) a neutral grey takes. A
# failed white balance towards red, yellow, green, cyan or blue, the magenta
# of a stuck infrared-cut filter.
_CAST_HUES: tuple[float, ...] = (25.0, 95.0, 160.0, 200.0, 265.0, 330.0)


def _check_strength(strength: float) -> float:
    if not 0.0 < strength <= 1.0 or math.isnan(strength):
        raise ValueError(f"strength must be in (0, 1], not {strength!r}")
    return float(strength)


def photo(name: str) -> Frame:
    """A bundled photograph (name as in PHOTOS, or its file name) as a BGR uint8
    image (read-only, cached)."""
    key = name.rsplit(".", 1)[0] if name.endswith((".png", ".jpg")) else name
    if key not in _FILES:
        raise ValueError(f"unknown photograph {name!r} (known: {', '.join(PHOTOS)})")
    return _photo(key)


@functools.cache
def _photo(key: str) -> Frame:
    data = (importlib.resources.files("skimage") / "data" / _FILES[key]).read_bytes()
    image: Frame | None = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:  # pragma: no cover - a broken scikit-image installation
        raise RuntimeError(f"cannot decode the bundled photograph {_FILES[key]}")
    image.setflags(write=False)
    return image


def view(
    name: str,
    width: int = 1920,
    height: int = 1080,
    *,
    zoom: float = 1.0,
    x: float = 0.5,
    y: float = 0.5,
) -> Frame:
    """A camera frame of a photograph: the crop of aspect width:height, `zoom`
    times narrower than the largest, centred at (x, y) of the free room
    (0..1), resized to width × height."""
    src = photo(name)
    h, w = src.shape[:2]
    crop_w = min(w, h * width / height) / max(zoom, 1.0)
    crop_h = crop_w * height / width
    x0 = (w - crop_w) * min(max(x, 0.0), 1.0)
    y0 = (h - crop_h) * min(max(y, 0.0), 1.0)
    sx, sy = width / crop_w, height / crop_h
    matrix = np.array([[sx, 0.0, -x0 * sx], [0.0, sy, -y0 * sy]])
    interpolation = cv2.INTER_AREA if sx < 1 else cv2.INTER_CUBIC
    out = cv2.warpAffine(
        src, matrix, (width, height), flags=interpolation, borderMode=cv2.BORDER_REFLECT_101
    )
    return np.ascontiguousarray(out)


@functools.lru_cache(maxsize=32)
def _scene(name: str, width: int, height: int) -> Frame:
    frame = view(name, width, height)
    frame.setflags(write=False)
    return frame


def scene(name: str, width: int = 1920, height: int = 1080) -> Frame:
    """A photograph framed as a camera picture (centre crop, resized; read-only, cached)."""
    return _scene(name, width, height)


def _rng(rng: np.random.Generator | None, *key: object) -> np.random.Generator:
    if rng is not None:
        return rng
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


_FIELD_PAD = 256


@functools.lru_cache(maxsize=4)
def _field(height: int, width: int, channels: int) -> npt.NDArray[Any]:
    """A fixed field of unit Gaussian noise, larger than the frame: noise for a
    frame is a crop at a random offset (cheap; 66,000 offsets never repeat in
    practice between two frames that are compared)."""
    rng = np.random.default_rng(20251205 + channels)
    shape = (height + _FIELD_PAD, width + _FIELD_PAD, channels)
    field = rng.standard_normal(shape, dtype=np.float32)
    field.setflags(write=False)
    return field


def _gauss(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> npt.NDArray[Any]:
    """Gaussian noise of `shape` ((h, w) or (h, w, c)), standard deviation `sigma`."""
    h, w = shape[0], shape[1]
    c = shape[2] if len(shape) == 3 else 1
    y, x = (int(v) for v in rng.integers(0, _FIELD_PAD + 1, 2))
    crop = _field(h, w, c)[y : y + h, x : x + w]
    if rng.random() < 0.5:
        crop = crop[::-1]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    out = np.multiply(crop, np.float32(sigma if rng.random() < 0.5 else -sigma))
    return out if len(shape) == 3 else out[:, :, 0]


def _add(frame: Frame, noise: npt.NDArray[Any]) -> Frame:
    if noise.ndim == 2 and frame.ndim == 3:
        noise = cv2.merge([noise] * frame.shape[2])
    return cv2.add(frame, noise, dtype=cv2.CV_8U)


def sensor_noise(frame: Frame, rng: np.random.Generator, sigma: float = 2.0) -> Frame:
    """The small noise of a live sensor: Gaussian, `sigma` grey levels in
    luminance plus coarser, weaker colour noise."""
    h, w = frame.shape[:2]
    luma = _gauss(rng, (h, w), sigma)
    if frame.ndim == 2:
        return _add(frame, luma)
    chroma = _gauss(rng, ((h + 1) // 2, (w + 1) // 2, 3), sigma * 0.4)
    chroma = cv2.resize(chroma, (w, h), interpolation=cv2.INTER_NEAREST)
    return _add(frame, cv2.add(chroma, cv2.merge([luma, luma, luma])))


def _luma(frame: Frame) -> float:
    return float(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).mean())


def _scaled(frame: Frame, gain: float, offset: float = 0.0) -> Frame:
    return cv2.convertScaleAbs(frame, alpha=gain, beta=offset)


def _signal_loss(frame: Frame, s: float, rng: np.random.Generator) -> Frame:
    h, w = frame.shape[:2]
    colour = _SCREEN_COLOURS[int(rng.integers(len(_SCREEN_COLOURS)))]
    out = np.empty_like(frame)
    out[:] = colour
    # Milder = a busier screen: larger text, a boxed banner, a little noise.
    text = _SCREEN_TEXTS[int(rng.integers(len(_SCREEN_TEXTS)))]
    scale = h / 1080 * (1.2 + 2.0 * (1.0 - s))
    thickness = max(1, round(scale * 2))
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    x0 = int(rng.integers(0, max(1, w - tw)))
    y0 = int(rng.integers(th, max(th + 1, h - th)))
    ink = (255, 255, 255) if sum(colour) < 450 else (20, 20, 20)
    if s < 0.6:
        pad = th // 2
        cv2.rectangle(out, (x0 - pad, y0 - th - pad), (x0 + tw + pad, y0 + pad), ink, 2)
    cv2.putText(out, text, (x0, y0), cv2.FONT_HERSHEY_SIMPLEX, scale, ink, thickness, cv2.LINE_AA)
    return sensor_noise(out, rng, 1.0 + 3.0 * (1.0 - s))


def _black(frame: Frame, s: float, rng: np.random.Generator) -> Frame:
    # A covered lens or dead sensor: at most a faint trace of the scene.
    return sensor_noise(_scaled(frame, 0.05 * (1.0 - s)), rng, 1.0)


def _dark(frame: Frame, s: float, rng: np.random.Generator) -> Frame:
    target = 34.0 - 18.0 * s  # mean luminance: 16 (s = 1) .. 30 (s = 0.25)
    target *= float(rng.uniform(0.9, 1.1))
    return _scaled(frame, target / max(_luma(frame), 1.0))


def _bright(frame: Frame, s: float, rng: np.random.Generator) -> Frame:
    target = 212.0 + 28.0 * s  # mean luminance: 219 (s = 0.25) .. 240 (s = 1)
    target = min(target * float(rng.uniform(0.98, 1.02)), 250.0)
    # Over-exposure: a gain with clipping, lifted until the mean reaches the target.
    gain, mean = 1.0, _luma(frame)
    for _ in range(12):
        out = _scaled(frame, gain, 255.0 * 0.35 * s)
        mean = _luma(out)
        if abs(mean - target) < 1.5:
            break
        gain *= max(0.5, min(2.0, (target - 0.35 * 255 * s) / max(mean - 0.35 * 255 * s, 1.0)))
    return out


def _blur(frame: Frame, s: float, rng: np.random.Generator) -> Frame:
    # Focus lost: a defocus disk, radius 0.35 % (s → 0) .. 1.2 % of the width.
    radius = frame.shape[1] * (0.0035 + 0.0085 * s) * float(rng.uniform(0.9, 1.1))
    r = max(1, round(radius))
    kernel = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    cv2.circle(kernel, (r, r), r, 1.0, -1, cv2.LINE_AA)
    kernel /= kernel.sum()
    return cv2.filter2D(frame, -1, kernel, borderType=cv2.BORDER_REFLECT_101)


def _occluded(frame: Frame, s: float, rng: np.random.Generator) -> Frame:
    # Something close to the lens (a hand, a bag, a sheet, foliage): dark or
    # dull, featureless because far out of focus, covering 30 % (s → 0) to
    # 85 % of the view, entering from a side or a corner.
    h, w = frame.shape[:2]
    mh, mw = max(8, h // 4), max(8, w // 4)
    cover = 0.3 + 0.55 * s
    mask = np.zeros((mh, mw), np.float32)
    side = int(rng.integers(4))
    along = float(rng.uniform(0.25, 0.75))
    angle = float(rng.uniform(-25, 25))
    size = 0.3
    for _ in range(20):
        mask[:] = 0
        if side < 2:  # from the top or the bottom
            cy = -0.15 * mh if side == 0 else 1.15 * mh
            centre, axes = (along * mw, cy), (mw * (0.45 + size), mh * (0.2 + 1.6 * size))
        else:  # from the left or the right
            cx = -0.1 * mw if side == 2 else 1.1 * mw
            centre, axes = (cx, along * mh), (mw * (0.1 + size), mh * (0.6 + size))
        cv2.ellipse(
            mask,
            (round(centre[0]), round(centre[1])),
            (max(1, round(axes[0])), max(1, round(axes[1]))),
            angle,
            0,
            360,
            1.0,
            -1,
        )
        covered = float(mask.mean())
        if abs(covered - cover) < 0.02:
            break
        size *= (cover / max(covered, 0.01)) ** 0.5
    feather = max(1, round(mw * 0.02)) * 2 + 1
    mask = cv2.resize(cv2.GaussianBlur(mask, (feather, feather), 0), (w, h))
    luma = float(rng.uniform(12, 70))
    tint = rng.uniform(0.8, 1.2, 3)
    colour = np.clip(luma * tint / tint.mean(), 0, 255).astype(np.float32)
    # A soft shading across the occluder, as light falls off round it.
    ramp = np.linspace(0.8, 1.2, w, dtype=np.float32)[None, :]
    if rng.random() < 0.5:
        ramp = ramp[:, ::-1]
    shade = np.repeat(ramp, h, axis=0)
    occluder = cv2.merge([shade * float(c) for c in colour])
    m3 = cv2.merge([mask, mask, mask])
    out = cv2.add(cv2.multiply(frame.astype(np.float32), 1.0 - m3), cv2.multiply(occluder, m3))
    return sensor_noise(np.clip(out, 0, 255).astype(np.uint8), rng, 1.5)


def _color_cast(frame: Frame, s: float, rng: np.random.Generator) -> Frame:
    # A white-balance error: channel gains that turn a mid grey into a colour of
    # chroma 30 (s → 0: a clear tint) to 50 (s = 1) in CIELAB a*b*, keeping its
    # luminance.
    hue = math.radians(_CAST_HUES[int(rng.integers(len(_CAST_HUES)))] + rng.uniform(-10, 10))
    chroma = 30.0 + 20.0 * s
    lab = np.array(
        [[[128.0, 128.0 + chroma * math.cos(hue), 128.0 + chroma * math.sin(hue)]]], np.float32
    )
    tint = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_Lab2BGR)
    bgr = tint[0, 0].astype(np.float32)
    gains = bgr / max(float(bgr @ np.array([0.114, 0.587, 0.299], np.float32)), 1.0)
    return np.clip(frame.astype(np.float32) * gains[None, None, :], 0, 255).astype(np.uint8)


def _noise(frame: Frame, s: float, rng: np.random.Generator) -> Frame:
    # Snow / heavy noise (sigma 14 .. 50 grey levels): fine per-pixel noise plus
    # the coarser grain a camera's processing or an analogue link leaves, some
    # colour noise, and a sprinkle of white impulses.
    h, w = frame.shape[:2]
    sigma = 14.0 + 36.0 * s
    fine = _gauss(rng, (h, w), sigma * 0.8)
    grain = cv2.resize(
        _gauss(rng, (max(1, h // 4), max(1, w // 4)), sigma * 0.6),
        (w, h),
        interpolation=cv2.INTER_LINEAR,
    )
    chroma = cv2.resize(
        _gauss(rng, ((h + 1) // 2, (w + 1) // 2, 3), sigma * 0.3),
        (w, h),
        interpolation=cv2.INTER_NEAREST,
    )
    luma = cv2.add(fine, grain)
    out = _add(frame, cv2.add(chroma, cv2.merge([luma, luma, luma])))
    impulses = rng.random((h, w), dtype=np.float32) < 0.01 * s
    out[impulses] = 255
    return out


_DEGRADERS = {
    "signal_loss": _signal_loss,
    "black": _black,
    "blur": _blur,
    "occluded": _occluded,
    "color_cast": _color_cast,
    "dark": _dark,
    "bright": _bright,
    "noise": _noise,
}


def degrade(
    frame: Frame, fault: str, strength: float = 1.0, rng: np.random.Generator | None = None
) -> Frame:
    """`frame` (BGR uint8) showing `fault` at `strength` (in (0, 1]; 1 = the clear case).

    Every fault of the vocabulary but `frozen` (repeat an old frame) and
    `shifted` (use `shifted_view`). Without `rng` the result is reproducible.
    """
    degrader = _DEGRADERS.get(fault)
    if degrader is None:
        if fault in ("frozen", "shifted"):
            hint = "repeat an earlier frame" if fault == "frozen" else "use shifted_view()"
            raise ValueError(f"degrade() does not make {fault!r}: {hint}")
        raise ValueError(f"unknown image fault {fault!r}")
    s = _check_strength(strength)
    return degrader(frame, s, _rng(rng, fault, s, frame.shape))


def shifted_view(frame: Frame, strength: float = 1.0) -> Frame:
    """The camera knocked or turned: the view panned by 10 % (s → 0) to 30 % of
    the frame and tilted by 2° to 8°, the uncovered edge filled with the
    picture's own mirror image."""
    s = _check_strength(strength)
    h, w = frame.shape[:2]
    angle = 2.0 + 6.0 * s
    zoom = 1.0 + 0.05 * s
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    matrix[0, 2] -= (0.1 + 0.2 * s) * w
    matrix[1, 2] += (0.05 + 0.1 * s) * h
    return cv2.warpAffine(
        frame, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101
    )


def night(frame: Frame) -> Frame:
    """An infrared night picture of the scene: grey, flatter, softer, a little
    noisy, lit most at the centre by the camera's illuminator."""
    h, w = frame.shape[:2]
    grey: Any = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    grey = cv2.GaussianBlur(grey, (0, 0), max(0.5, w / 1920))
    grey = 40.0 + 0.55 * grey
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    grey *= 1.1 - 0.25 * r2
    rng = np.random.default_rng(zlib.crc32(frame[:: max(1, h // 16), :: max(1, w // 16)].tobytes()))
    grey = cv2.add(grey, _gauss(rng, (h, w), 3.0))
    out = np.clip(grey, 0, 255).astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)


def osd_clock(frame: Frame, when: float) -> Frame:
    """`frame` with the date and time (`when`, unix seconds, shown in UTC+8)
    burned in at the top left, white on a dark outline, as cameras draw it."""
    h = frame.shape[0]
    stamp = dt.datetime.fromtimestamp(when, dt.UTC) + dt.timedelta(hours=8)
    text = stamp.strftime("%Y-%m-%d %H:%M:%S")
    scale = h / 1080 * 1.3
    thickness = max(1, round(h / 1080 * 3))
    origin = (round(h * 0.03), round(h * 0.07))
    out = frame.copy()
    for colour, extra in (((0, 0, 0), 2 * thickness), ((255, 255, 255), 0)):
        cv2.putText(
            out,
            text,
            origin,
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            colour,
            thickness + extra,
            cv2.LINE_AA,
        )
    return out
