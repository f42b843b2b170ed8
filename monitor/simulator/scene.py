"""Snapshot images of simulated cameras: real photographs, served cheaply.

Every camera looks at a view of a real photograph: one of the colour
photographs of `monitor.quality.synth` (the sample images bundled with
scikit-image, read from the installed package, never downloaded), framed at
one of `CROPS`, chosen from the camera id so that neighbouring cameras
(``cam-0041``, ``cam-0042``) show different photographs. A video fault turns
that view into what the faulty camera shows (`synth.degrade`,
`synth.shifted_view`, `synth.night`); ``frozen`` repeats an old frame.

What a live camera adds on top: light sensor noise, different from one
snapshot to the next, and the burned-in date and time (`synth.osd_clock`),
ticking every second.

Making that cheap for thousands of cameras:

- A *look* (a scene under a fault, or healthy) is rendered once, with
  `NOISE_VARIANTS` sensor-noise variants, each JPEG-encoded once with
  restart markers placed so that the clock lies in restart intervals of its
  own (the first interval of a few rows of 16×16 blocks). Looks are kept in
  an LRU cache bounded by memory (`CACHE_BYTES`); a miss costs one crop of a
  photograph, one fault and three full encodes, 0.1 to 0.5 s, run in a
  worker thread by `render_async`.
- A snapshot is a variant with the clock drawn on: only the clock's
  intervals (480×64 pixels of a 1920×1080 frame) are encoded again and put
  in place of the variant's, which the restart markers make independent.
  The result is byte for byte the JPEG a full encode of the frame would be
  (checked at the first rendering; if it were not, every snapshot would be
  encoded in full). About half a millisecond.
- A camera moves to its next noise variant when it is asked for a frame in a
  new second, so two snapshots in a row always differ across the whole
  picture, as a live sensor's do; finished snapshots are kept in a small LRU
  cache (`CACHE_FRAMES`) keyed by look, variant and clock second, which
  cameras of the same scene share.

Per camera the renderer keeps only a few numbers (its variant, its last
second, where it froze), so memory does not grow with the number of cameras.
A frozen camera's frame is made again from them when needed: the same bytes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import ctypes.util
import functools
import hashlib
import math
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from monitor.quality import synth

Image = npt.NDArray[Any]  # BGR uint8 (cv2 types its results loosely)

WIDTH, HEIGHT = 1920, 1080
SUB_WIDTH, SUB_HEIGHT = 640, 360  # the sub-stream, as campus cameras commonly run it
FRAME_INTERVAL = 1.0  # seconds: a live camera shows a new frame at most once per interval
JPEG_QUALITY = 80
NOISE_VARIANTS = 3  # sensor-noise variants per look; a camera cycles through them
NOISE_SIGMA = 2.0  # grey levels (synth.sensor_noise)
CACHE_BYTES = 192 * 2**20  # rendered looks kept, by memory (a look: about 0.2 to 3.5 MB)
CACHE_FRAMES = 64  # finished snapshots kept
TRIM_EVERY = 1000  # composed snapshots between two returns of freed memory to the system
# Framings of a photograph: (zoom, x, y) as `synth.view` takes them.
CROPS: tuple[tuple[float, float, float], ...] = (
    (1.0, 0.5, 0.5),
    (1.35, 0.15, 0.3),
    (1.35, 0.85, 0.7),
)
# Looks a fault name selects (besides the healthy scene).
DEGRADED: tuple[str, ...] = tuple(synth.DEGRADE_FAULTS)
LOOK_KINDS: tuple[str, ...] = (*DEGRADED, "shifted", "night")
# A photograph is a camera's daytime scene when it is in colour (mean HSV saturation).
MIN_SATURATION = 30.0

_MCU = 16  # a JPEG block row, with 4:2:0 chroma subsampling
_RST = tuple(bytes((0xFF, 0xD0 + i)) for i in range(8))
_RST_SPLIT = re.compile(rb"\xff[\xd0-\xd7]")
_EOI = b"\xff\xd9"


def _libc_trim() -> Any:
    """glibc's malloc_trim, or None elsewhere."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_malloc_trim = _libc_trim()


def _give_back_memory() -> None:
    """Return freed heap memory to the system. Rendering a look allocates and frees some
    hundred megabytes of temporaries, which glibc would otherwise keep for good."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def _stable(value: str) -> int:
    return int.from_bytes(hashlib.sha256(value.encode("utf-8")).digest()[:8], "big")


def _saturation(name: str) -> float:
    hsv = cv2.cvtColor(synth.photo(name), cv2.COLOR_BGR2HSV)
    return float(hsv[:, :, 1].mean())


# Close-ups dominated by one warm hue (a cup of coffee, a cat's fur): no
# surveillance camera looks at such a scene, and a colour-balance check rightly
# reads them as tinted.
NOT_A_CAMERA_VIEW = frozenset({"coffee", "chelsea"})


@functools.cache
def scene_photos() -> tuple[str, ...]:
    """The photographs cameras look at: the colour ones of `synth.PHOTOS`.

    (The grey ones, textures and a black-and-white portrait, would pass for
    night pictures or for a camera that lost its colour.)
    """
    chosen = tuple(
        name
        for name in synth.PHOTOS
        if _saturation(name) >= MIN_SATURATION and name not in NOT_A_CAMERA_VIEW
    )
    return chosen or tuple(synth.PHOTOS)


def scene_key(index: int) -> str:
    """The `index`-th scene (any integer), ``PHOTO/CROP``: consecutive indexes differ in
    both the photograph and its framing (two of the photographs are a stereo pair)."""
    photos = scene_photos()
    index %= len(photos) * len(CROPS)
    crop = (index // len(photos) + index) % len(CROPS)
    return f"{photos[index % len(photos)]}/{crop}"


def scene_for(category: str | None, camera_id: str) -> str:
    """The scene a camera looks at, fixed by its id.

    An id ending in a number (``cam-0042``) is numbered on from its prefix, so
    cameras numbered in a row look at different photographs; `category` is
    not used (the photographs are not of campuses).
    """
    match = re.fullmatch(r"(.*?)(\d+)", camera_id)
    if match is None:
        return scene_key(_stable(camera_id))
    return scene_key(_stable(match.group(1)) + int(match.group(2)))


def _parse_scene(scene: str, camera_id: str) -> tuple[str, int]:
    """(photograph, crop) of a scene key; anything else means the camera's own scene."""
    name, _, crop = scene.rpartition("/")
    if name in scene_photos() and crop.isdigit() and int(crop) < len(CROPS):
        return name, int(crop)
    return _parse_scene(scene_for(None, camera_id), camera_id)


class Look(NamedTuple):
    """What a camera shows, apart from the clock and the sensor noise."""

    photo: str
    crop: int
    kind: str | None = None  # None: the healthy scene; else one of LOOK_KINDS
    strength: float = 1.0


def picture(look: Look, width: int = WIDTH, height: int = HEIGHT) -> Image:
    """The look's picture (BGR), before sensor noise and the clock."""
    zoom, x, y = CROPS[look.crop]
    img = synth.view(look.photo, width, height, zoom=zoom, x=x, y=y)
    if look.kind is None:
        return img
    if look.kind == "shifted":
        return synth.shifted_view(img, look.strength)
    if look.kind == "night":
        return synth.night(img)
    rng = np.random.default_rng(_stable(f"{look.photo}/{look.crop}/{look.kind}"))
    return synth.degrade(img, look.kind, look.strength, rng=rng)


def _clock_extent(width: int, height: int) -> tuple[int, int, int]:
    """Rows [top, bottom) and columns [0, right) `synth.osd_clock` draws in (with a margin)."""
    grey = np.full((height, width, 3), 128, np.uint8)
    changed = np.zeros_like(grey)
    for i in range(24):  # dates and times over a century: every digit in most places
        when = 946_684_800 + i * (1_597 * 86_400 + 7 * 3_661)
        cv2.bitwise_or(changed, cv2.absdiff(synth.osd_clock(grey, when), grey), dst=changed)
    mask = changed.max(axis=2) > 0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return 0, 0, 0
    margin = 4
    top = max(0, int(rows[0]) - margin)
    bottom = min(height, int(rows[-1]) + 1 + margin)
    return top, bottom, min(width, int(cols[-1]) + 1 + margin)


@dataclass(frozen=True, slots=True)
class _Layout:
    """How a frame's JPEG is cut so that the clock can be encoded apart.

    The scan has a restart marker every `interval` blocks (16×16 pixels), a
    whole number of times per block row; the clock lies in the first interval
    of block rows [first, last). Those intervals, columns [0, right) of pixel
    rows [top, bottom), are the only part encoded per snapshot.
    """

    width: int
    height: int
    first: int
    last: int
    interval: int  # blocks per restart interval

    @classmethod
    def for_frame(cls, width: int, height: int) -> _Layout:
        top, bottom, right = _clock_extent(width, height)
        per_row = math.ceil(width / _MCU)
        needed = math.ceil(right / _MCU) if right else per_row  # no clock: whole rows
        interval = min(d for d in range(needed, per_row + 1) if per_row % d == 0)
        return cls(width, height, top // _MCU, math.ceil(bottom / _MCU), interval)

    @property
    def top(self) -> int:
        return self.first * _MCU

    @property
    def bottom(self) -> int:
        return min(self.height, self.last * _MCU)

    @property
    def right(self) -> int:
        return min(self.width, self.interval * _MCU)

    @property
    def per_row(self) -> int:
        return math.ceil(self.width / _MCU) // self.interval

    @property
    def segments(self) -> int:
        """Restart intervals in a frame."""
        return math.ceil(self.height / _MCU) * self.per_row

    @property
    def clock_segments(self) -> list[int]:
        """The restart intervals (by index) the clock is in."""
        return [row * self.per_row for row in range(self.first, self.last)]

    def params(self) -> list[int]:
        """cv2.imencode parameters of every JPEG the renderer makes."""
        return [
            cv2.IMWRITE_JPEG_QUALITY,
            JPEG_QUALITY,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
            cv2.IMWRITE_JPEG_RST_INTERVAL,
            self.interval,
        ]


def _encode(img: Image, params: list[int]) -> bytes:
    ok, buffer = cv2.imencode(".jpg", img, params)
    if not ok:  # pragma: no cover - cv2 only fails on invalid input
        raise RuntimeError("JPEG encoding failed")
    return buffer.tobytes()


def _entropy(jpeg: bytes) -> tuple[bytes, list[bytes]]:
    """A baseline JPEG's headers (up to its scan) and the scan's restart intervals."""
    i = 2
    while True:
        if jpeg[i] != 0xFF:
            raise ValueError("not a JPEG the renderer made")
        marker, length = jpeg[i + 1], int.from_bytes(jpeg[i + 2 : i + 4], "big")
        i += 2 + length
        if marker == 0xDA:  # start of scan
            break
    end = jpeg.rindex(_EOI)
    return jpeg[:i], _RST_SPLIT.split(jpeg[i:end])


class _Variant(NamedTuple):
    """One noise variant of a look, encoded, cut around the clock's restart intervals:
    the frame is pieces[0] + clock[0] + pieces[1] + ... + clock[-1] + pieces[-1]."""

    pieces: tuple[bytes, ...]
    clock: tuple[bytes, ...]  # the intervals under the clock, as encoded without it

    def jpeg(self, clock: tuple[bytes, ...] | list[bytes] | None = None) -> bytes:
        inserts = self.clock if clock is None else clock
        parts = [self.pieces[0]]
        for insert, piece in zip(inserts, self.pieces[1:], strict=True):
            parts += (insert, piece)
        return b"".join(parts)


def _cut(jpeg: bytes, layout: _Layout) -> _Variant:
    """Cut a frame's JPEG around the clock's restart intervals (each piece keeps the
    markers after its intervals; the last interval of a frame has none)."""
    header, segments = _entropy(jpeg)
    if len(segments) != layout.segments:
        raise RuntimeError("the JPEG encoder did not put restart markers where asked")
    last = len(segments) - 1

    def marked(index: int) -> bytes:
        return segments[index] + (_RST[index % 8] if index < last else b"")

    cuts = layout.clock_segments
    pieces, start = [], 0
    for index in cuts:
        pieces.append(b"".join(marked(i) for i in range(start, index)))
        start = index + 1
    pieces.append(b"".join(marked(i) for i in range(start, len(segments))) + _EOI)
    pieces[0] = header + pieces[0]
    return _Variant(tuple(pieces), tuple(marked(i) for i in cuts))


@dataclass(slots=True)
class _Rendered:
    """A look, rendered: its encoded variants and the clean pixels under the clock."""

    variants: tuple[_Variant, ...]
    clock_area: Image  # the picture's clock intervals, without noise or clock
    nbytes: int


@dataclass(slots=True)
class _CameraState:
    second: int | None = None  # the frame interval the camera last showed a frame in
    variant: int = 0
    clock: int = 0  # the clock second of its last frame
    frozen: tuple[int, int] | None = None  # (variant, clock second) a frozen camera repeats


def sub_stream_renderer() -> SnapshotRenderer:
    """Snapshots of a camera's sub-stream (the simulator's second media profile)."""
    return SnapshotRenderer(width=SUB_WIDTH, height=SUB_HEIGHT, cache_bytes=CACHE_BYTES // 4)


class SnapshotRenderer:
    """JPEG snapshots for every camera, from a few shared, cached renderings."""

    def __init__(
        self,
        cache_frames: int = CACHE_FRAMES,
        *,
        width: int = WIDTH,
        height: int = HEIGHT,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        self.width, self.height = width, height
        self._cameras: dict[str, _CameraState] = {}
        self._looks: OrderedDict[Look, _Rendered] = OrderedDict()
        self._looks_bytes = 0
        self._frames: OrderedDict[tuple[Look, int, int], bytes] = OrderedDict()
        self._building: dict[Look, asyncio.Task[_Rendered]] = {}
        self._bytes_limit = cache_bytes
        self._frame_limit = max(1, cache_frames)
        self._composed = 0
        self._layout: _Layout | None = None
        self._noise: tuple[Image, Image] | None = None  # (up, down) halves, uint8
        self._area_noise: dict[int, tuple[Image, Image]] = {}  # the same, in the clock's area
        self._spliced: bool | None = None  # None until checked, on the first rendering
        self._scratch: Image | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        # Snapshots served from the frame cache / composed; looks found / rendered.
        self.stats = {"frame_hits": 0, "frame_misses": 0, "look_hits": 0, "look_misses": 0}

    @property
    def cached_bytes(self) -> int:
        """Memory held by the rendered looks."""
        return self._looks_bytes

    # -- what a camera shows now ---------------------------------------------------------
    def render(
        self,
        camera_id: str,
        scene: str,
        *,
        device_time: float,
        video_fault: str | None = None,
        strength: float = 1.0,
        clock_running: bool = False,
        now: float | None = None,
    ) -> bytes:
        """The camera's current frame as JPEG bytes (a missing look is rendered inline)."""
        key = self._plan(camera_id, scene, device_time, video_fault, strength, clock_running, now)
        frame = self._cached_frame(key)
        if frame is not None:
            return frame
        rendered = self._looks.get(key[0])
        if rendered is None:
            self.stats["look_misses"] += 1
            rendered = self._store_look(key[0], self._render_look(key[0]))
        else:
            self._touch_look(key[0])
        return self._store_frame(key, self._compose(rendered, key[1], key[2]))

    async def render_async(
        self,
        camera_id: str,
        scene: str,
        *,
        device_time: float,
        video_fault: str | None = None,
        strength: float = 1.0,
        clock_running: bool = False,
        now: float | None = None,
    ) -> bytes:
        """As `render`, but a missing look is rendered in a worker thread: the event loop
        keeps serving meanwhile, and requests for the same look wait for that one rendering."""
        key = self._plan(camera_id, scene, device_time, video_fault, strength, clock_running, now)
        frame = self._cached_frame(key)
        if frame is not None:
            return frame
        look = key[0]
        rendered = self._looks.get(look)
        if rendered is None:
            task = self._building.get(look)
            if task is None:
                self.stats["look_misses"] += 1
                task = asyncio.ensure_future(self._build(look))
                self._building[look] = task
                task.add_done_callback(lambda done: self._built(look, done))
            rendered = await asyncio.shield(task)
        else:
            self._touch_look(look)
        return self._store_frame(key, self._compose(rendered, key[1], key[2]))

    def frame(
        self,
        camera_id: str,
        scene: str,
        device_time: float,
        video_fault: str | None,
        now: float,
        *,
        strength: float = 1.0,
        variant: int = 0,
    ) -> Image:
        """The pixels (BGR) of a frame of the camera as `render` encodes them (see `encode`):
        noise variant `variant`, the clock at `device_time`. Not cached; the camera's state
        is left alone; frozen shows the scene."""
        photo, crop = _parse_scene(scene, camera_id)
        kind = None if video_fault == "frozen" else video_fault
        if kind is not None and kind not in LOOK_KINDS:
            raise ValueError(f"unknown video fault {video_fault!r}")
        look = Look(photo, crop, kind, strength if kind else 1.0)
        noisy = self._noisy(picture(look, self.width, self.height), variant % NOISE_VARIANTS)
        return synth.osd_clock(noisy, math.floor(device_time))

    def encode(self, img: Image) -> bytes:
        """`img` as a JPEG encoded the way snapshots are (restart markers and all)."""
        return _encode(img, self._frame_layout().params())

    def forget(self, camera_id: str) -> None:
        """Drop what the renderer remembers of a camera (its noise cycle, its frozen frame)."""
        self._cameras.pop(camera_id, None)

    def close(self) -> None:
        """Stop the worker thread (a later `render_async` starts another)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # -- planning ---------------------------------------------------------------------------
    def _plan(
        self,
        camera_id: str,
        scene: str,
        device_time: float,
        video_fault: str | None,
        strength: float,
        clock_running: bool,
        now: float | None,
    ) -> tuple[Look, int, int]:
        """(look, noise variant, clock second) of the camera's frame now; moves its state on."""
        if video_fault is not None and video_fault != "frozen" and video_fault not in LOOK_KINDS:
            raise ValueError(f"unknown video fault {video_fault!r}")
        now = time.time() if now is None else now
        photo, crop = _parse_scene(scene, camera_id)
        clock = math.floor(device_time)
        state = self._cameras.get(camera_id)
        if state is None:
            state = _CameraState(variant=_stable(camera_id) % NOISE_VARIANTS)
            self._cameras[camera_id] = state
        if video_fault == "frozen":
            # A stuck encoder: its last frame again (or the first it makes).
            if state.frozen is None:
                shown = state.clock if state.second is not None else clock
                state.frozen = (state.variant, shown)
            variant, stopped = state.frozen
            return Look(photo, crop), variant, clock if clock_running else stopped
        state.frozen = None
        interval = math.floor(now / FRAME_INTERVAL)
        if interval != state.second:
            state.second = interval
            state.variant = (state.variant + 1) % NOISE_VARIANTS
        state.clock = clock
        look = Look(photo, crop, video_fault, strength if video_fault else 1.0)
        return look, state.variant, clock

    # -- caches -----------------------------------------------------------------------------
    def _cached_frame(self, key: tuple[Look, int, int]) -> bytes | None:
        frame = self._frames.get(key)
        if frame is None:
            self.stats["frame_misses"] += 1
            return None
        self.stats["frame_hits"] += 1
        self._frames.move_to_end(key)
        return frame

    def _store_frame(self, key: tuple[Look, int, int], frame: bytes) -> bytes:
        self._frames[key] = frame
        while len(self._frames) > self._frame_limit:
            self._frames.popitem(last=False)
        self._composed += 1
        if self._composed % TRIM_EVERY == 0:
            _give_back_memory()
        return frame

    def _touch_look(self, look: Look) -> None:
        self.stats["look_hits"] += 1
        self._looks.move_to_end(look)

    def _store_look(self, look: Look, rendered: _Rendered) -> _Rendered:
        old = self._looks.pop(look, None)
        if old is not None:
            self._looks_bytes -= old.nbytes
        self._looks[look] = rendered
        self._looks_bytes += rendered.nbytes
        while self._looks_bytes > self._bytes_limit and len(self._looks) > 1:
            _, evicted = self._looks.popitem(last=False)
            self._looks_bytes -= evicted.nbytes
        return rendered

    async def _build(self, look: Look) -> _Rendered:
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="snapshot-render"
            )
        loop = asyncio.get_running_loop()
        rendered = await loop.run_in_executor(self._executor, self._render_look, look)
        return self._store_look(look, rendered)

    def _built(self, look: Look, task: asyncio.Task[_Rendered]) -> None:
        if self._building.get(look) is task:
            del self._building[look]
        if not task.cancelled():
            task.exception()  # retrieved here; every waiter sees it raised

    # -- rendering ---------------------------------------------------------------------------
    def _frame_layout(self) -> _Layout:
        if self._layout is None:
            self._layout = _Layout.for_frame(self.width, self.height)
        return self._layout

    def _noise_fields(self) -> tuple[Image, Image]:
        """One frame of sensor noise (`synth.sensor_noise` of mid-grey) as two
        non-negative halves, for saturating adds; the variants are shifts of it."""
        if self._noise is None:
            grey = np.full((self.height, self.width, 3), 128, np.uint8)
            noisy = synth.sensor_noise(grey, np.random.default_rng(20_251_126), NOISE_SIGMA)
            delta = noisy.astype(np.int16) - 128
            self._noise = (
                np.clip(delta, 0, 255).astype(np.uint8),
                np.clip(-delta, 0, 255).astype(np.uint8),
            )
        return self._noise

    def _noisy(self, img: Image, variant: int) -> Image:
        """The frame `img` with the sensor noise of `variant` (the noise frame, shifted
        by an amount of the variant's own)."""
        up, down = self._noise_fields()
        shift = self._shift(variant)
        return cv2.subtract(
            cv2.add(img, np.roll(up, shift, axis=(0, 1))), np.roll(down, shift, axis=(0, 1))
        )

    def _shift(self, variant: int) -> tuple[int, int]:
        return (variant * 389) % self.height, (variant * 1013) % self.width

    def _noisy_clock_area(self, pixels: Image, variant: int) -> Image:
        """The clock's area `pixels` with the same noise as `_noisy` gives it."""
        area = self._area_noise.get(variant)
        if area is None:
            layout = self._frame_layout()
            region = (slice(layout.top, layout.bottom), slice(0, layout.right))
            up, down = (
                np.roll(field, self._shift(variant), axis=(0, 1))[region].copy()
                for field in self._noise_fields()
            )
            area = self._area_noise[variant] = (up, down)
        return cv2.subtract(cv2.add(pixels, area[0]), area[1])

    def _render_look(self, look: Look) -> _Rendered:
        """Picture, noise variants, full encodes. Runs in the worker thread: touches no
        shared state but the splicing check of the very first rendering."""
        layout = self._frame_layout()
        params = layout.params()
        img = picture(look, self.width, self.height)
        variants = []
        noisy_first: Image | None = None
        for variant in range(NOISE_VARIANTS):
            noisy = self._noisy(img, variant)
            if noisy_first is None:
                noisy_first = noisy
            variants.append(_cut(_encode(noisy, params), layout))
        # A copy, not a view: the frame itself is let go.
        clean = img[layout.top : layout.bottom, : layout.right].copy()
        size = clean.nbytes + sum(
            sum(map(len, v.pieces)) + sum(map(len, v.clock)) for v in variants
        )
        rendered = _Rendered(tuple(variants), clean, size)
        if self._spliced is None and noisy_first is not None:
            self._spliced = self._splicing_works(rendered, noisy_first)
        del img, noisy, noisy_first
        _give_back_memory()
        return rendered

    def _draw_clock(self, pixels: Image, clock: int, scratch: Image | None = None) -> Image:
        """The clock drawn into `pixels` (the clock's area) as `synth.osd_clock` draws it
        on a whole frame: it lays the clock out by the frame's height and draws it at the
        left, so a frame as tall as the picture and as wide as the area is enough."""
        layout = self._frame_layout()
        if scratch is None:
            if self._scratch is None:
                self._scratch = np.zeros((self.height, layout.right, 3), np.uint8)
            scratch = self._scratch
        scratch[layout.top : layout.bottom] = pixels
        return synth.osd_clock(scratch, clock)[layout.top : layout.bottom]

    def _splice(
        self, rendered: _Rendered, variant: int, clock: int, scratch: Image | None = None
    ) -> bytes:
        """The variant with the clock's intervals encoded afresh, clock drawn, and put in."""
        layout = self._frame_layout()
        pixels = self._noisy_clock_area(rendered.clock_area, variant)
        jpeg = _encode(self._draw_clock(pixels, clock, scratch), layout.params())
        _, segments = _entropy(jpeg)
        last = layout.segments - 1
        inserts = [
            segment + (_RST[index % 8] if index < last else b"")
            for segment, index in zip(segments, layout.clock_segments, strict=True)
        ]
        return rendered.variants[variant].jpeg(inserts)

    def _compose(self, rendered: _Rendered, variant: int, clock: int) -> bytes:
        """The variant with the clock drawn on."""
        if self._spliced:
            return self._splice(rendered, variant, clock)
        # Fallback: decode the variant, draw the clock on the whole frame, encode it all.
        jpeg = rendered.variants[variant].jpeg()
        img: Any = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if img is None:  # pragma: no cover - the renderer's own JPEG
            raise RuntimeError("cannot decode a rendered frame")
        return self.encode(synth.osd_clock(img, clock))

    def _splicing_works(self, rendered: _Rendered, noisy: Image) -> bool:
        """Whether a spliced frame is byte for byte the full encode of the same frame
        (the clock drawn in its area exactly as on the whole frame, and nowhere else)."""
        layout = self._frame_layout()
        clock = 1_764_158_400  # any time will do
        expected = synth.osd_clock(noisy, clock)
        outside = expected.copy()
        outside[layout.top : layout.bottom, : layout.right] = noisy[
            layout.top : layout.bottom, : layout.right
        ]
        if not np.array_equal(outside, noisy):
            return False  # the clock is drawn (partly) outside its area
        scratch = np.zeros((self.height, layout.right, 3), np.uint8)
        return self._splice(rendered, 0, clock, scratch) == self.encode(expected)
