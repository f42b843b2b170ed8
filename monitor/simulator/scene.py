"""Snapshot images of simulated cameras: plausible scenes, cheap to make.

A handful of scene kinds (gate, road, building entrance, hall, room, sports
field) are drawn once, wider than the frame, and shared by every camera. A
camera's view is a crop of its scene at an offset fixed by its id, so every
camera has its own stable reference frame. Each frame adds what a live camera
adds: the on-screen display (camera id, device clock), a moving passer-by and
sensor noise, so consecutive frames differ the way real ones do.

Image faults (`VIDEO_FAULTS`) are applied to the finished frame. Frames are
JPEG-encoded at most once per camera per `FRAME_INTERVAL` and kept in a small
LRU cache, so memory stays flat however many cameras there are; a frozen
camera's frame is kept for good (that is the fault).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import OrderedDict
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[Any]  # BGR uint8 (cv2 types its results loosely)

WIDTH, HEIGHT = 640, 360
SCENE_MARGIN = 160  # scenes are this much wider than a frame: room for per-camera crops
FRAME_INTERVAL = 1.0  # seconds: a camera renders at most one new frame per interval
CACHE_FRAMES = 256
JPEG_QUALITY = 80

SCENE_KINDS: tuple[str, ...] = ("gate", "road", "entrance", "hall", "room", "field")

# Which scene a key-site category looks like.
CATEGORY_SCENES: dict[str, str] = {
    "gate": "gate",
    "main_road": "road",
    "intersection": "road",
    "building_entrance": "entrance",
    "dormitory": "entrance",
    "library": "entrance",
    "gymnasium": "hall",
    "canteen": "hall",
    "laboratory": "room",
    "finance_office": "room",
    "confidential_room": "room",
    "hazardous_store": "room",
    "track_field": "field",
    "basketball_court": "field",
}


def scene_for(category: str | None, camera_id: str) -> str:
    """The scene kind of a camera: from its key site's category, else from its id."""
    if category in CATEGORY_SCENES:
        return CATEGORY_SCENES[category]
    return SCENE_KINDS[_stable(camera_id) % len(SCENE_KINDS)]


def _stable(value: str) -> int:
    return int.from_bytes(hashlib.sha256(value.encode("utf-8")).digest()[:8], "big")


def _vertical_gradient(height: int, width: int, top: tuple[int, ...], bottom: tuple[int, ...]):
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    top_a = np.array(top, dtype=np.float32)[None, None, :]
    bottom_a = np.array(bottom, dtype=np.float32)[None, None, :]
    column = top_a + (bottom_a - top_a) * ramp
    return np.ascontiguousarray(np.broadcast_to(column, (height, width, 3)).astype(np.uint8))


def _windows(img: Image, x0: int, y0: int, x1: int, y1: int, rng: np.random.Generator) -> None:
    for wy in range(y0 + 12, y1 - 20, 34):
        for wx in range(x0 + 10, x1 - 22, 30):
            lit = rng.random() < 0.35
            colour = (150, 210, 235) if lit else (95, 80, 70)
            cv2.rectangle(img, (wx, wy), (wx + 16, wy + 20), colour, -1)
            cv2.rectangle(img, (wx, wy), (wx + 16, wy + 20), (60, 60, 60), 1)


def _tree(img: Image, x: int, y: int, size: int) -> None:
    cv2.rectangle(img, (x - 4, y), (x + 4, y + size), (40, 60, 85), -1)
    cv2.circle(img, (x, y - size // 3), size // 2 + 6, (45, 115, 60), -1)
    cv2.circle(img, (x - size // 4, y - size // 5), size // 3, (55, 135, 70), -1)


def _draw_scene(kind: str) -> Image:
    """Draw one scene kind (BGR), SCENE_MARGIN wider than a frame."""
    width, height = WIDTH + SCENE_MARGIN, HEIGHT
    rng = np.random.default_rng(SCENE_KINDS.index(kind) + 7)
    horizon = 150
    if kind in ("hall", "room"):
        img = _vertical_gradient(height, width, (200, 205, 210), (150, 150, 155))
        floor = np.array([110, 120, 135] if kind == "hall" else [120, 130, 125], np.uint8)
        img[220:] = floor
        for x in range(0, width, 48):  # floor tiles
            cv2.line(img, (x, 220), (x + (x - width // 2) // 2, height), (90, 95, 105), 1)
        cv2.line(img, (0, 220), (width, 220), (80, 80, 85), 2)
        if kind == "hall":
            for x in range(40, width - 80, 150):  # tables
                cv2.rectangle(img, (x, 250), (x + 110, 270), (60, 90, 130), -1)
                cv2.rectangle(img, (x + 10, 270), (x + 18, 320), (50, 70, 100), -1)
                cv2.rectangle(img, (x + 92, 270), (x + 100, 320), (50, 70, 100), -1)
            cv2.rectangle(img, (60, 40), (width - 60, 70), (40, 40, 140), -1)  # banner
        else:
            for x in range(30, width - 60, 170):  # cabinets / benches
                cv2.rectangle(img, (x, 120), (x + 90, 220), (170, 175, 180), -1)
                cv2.rectangle(img, (x, 120), (x + 90, 220), (90, 90, 95), 2)
                cv2.line(img, (x + 45, 120), (x + 45, 220), (90, 90, 95), 1)
            cv2.rectangle(img, (width // 2 - 40, 60), (width // 2 + 40, 220), (70, 100, 140), -1)
        for x in range(80, width, 200):  # ceiling lights
            cv2.ellipse(img, (x, 12), (40, 8), 0, 0, 360, (245, 250, 250), -1)
        return img

    img = _vertical_gradient(height, width, (235, 190, 140), (215, 215, 205))  # sky, BGR
    ground = _vertical_gradient(height - horizon, width, (95, 120, 95), (70, 95, 70))
    img[horizon:] = ground
    if kind == "field":
        img[horizon + 20 :] = (60, 70, 170)  # red running track
        cv2.rectangle(img, (0, horizon + 60), (width, height), (60, 140, 70), -1)
        for y in range(horizon + 24, horizon + 60, 9):
            cv2.line(img, (0, y), (width, y), (235, 235, 235), 1)
        cv2.rectangle(
            img, (width // 2 - 70, horizon + 90), (width // 2 + 70, height - 20), (240, 240, 240), 2
        )
        for x in range(30, width, 90):
            _tree(img, x, horizon - 10, 38)
        return img

    # Buildings along the horizon.
    x = 0
    while x < width:
        w = int(rng.integers(90, 170))
        h = int(rng.integers(70, 140))
        colour = tuple(int(c) for c in rng.integers(120, 200, 3))
        cv2.rectangle(img, (x, horizon - h), (x + w - 6, horizon + 10), colour, -1)
        _windows(img, x, horizon - h, x + w - 6, horizon + 10, rng)
        x += w
    if kind == "road":
        pts = np.array(
            [
                [width // 2 - 60, horizon + 10],
                [width // 2 + 60, horizon + 10],
                [width, height],
                [0, height],
            ],
            np.int32,
        )
        cv2.fillPoly(img, [pts], (85, 85, 90))
        for i in range(6):
            y0 = horizon + 20 + i * 34
            cv2.line(img, (width // 2, y0), (width // 2, y0 + 16), (240, 240, 240), 3)
        cv2.rectangle(img, (40, 260), (150, 300), (30, 30, 160), -1)  # parked car
        cv2.circle(img, (65, 302), 11, (20, 20, 20), -1)
        cv2.circle(img, (125, 302), 11, (20, 20, 20), -1)
    elif kind == "gate":
        cv2.rectangle(img, (100, 60), (width - 100, 120), (60, 60, 150), -1)  # gate beam
        cv2.rectangle(img, (100, 60), (150, height - 40), (170, 170, 175), -1)
        cv2.rectangle(img, (width - 150, 60), (width - 100, height - 40), (170, 170, 175), -1)
        cv2.putText(
            img,
            "MAIN GATE",
            (width // 2 - 100, 102),
            cv2.FONT_HERSHEY_DUPLEX,
            1.1,
            (0, 215, 255),
            2,
            cv2.LINE_AA,
        )
        cv2.rectangle(img, (150, 250), (width - 150, 258), (0, 200, 230), -1)  # barrier arm
        cv2.fillPoly(
            img,
            [np.array([[150, 300], [width - 150, 300], [width, height], [0, height]], np.int32)],
            (90, 92, 96),
        )
    else:  # entrance
        cv2.rectangle(img, (width // 2 - 120, 90), (width // 2 + 120, 300), (150, 160, 175), -1)
        cv2.rectangle(img, (width // 2 - 60, 170), (width // 2 + 60, 300), (110, 80, 50), -1)
        cv2.line(img, (width // 2, 170), (width // 2, 300), (60, 50, 40), 2)
        for i in range(4):  # steps
            y = 300 + i * 12
            cv2.rectangle(
                img,
                (width // 2 - 140 - i * 10, y),
                (width // 2 + 140 + i * 10, y + 12),
                (185 - i * 10, 185 - i * 10, 190 - i * 10),
                -1,
            )
    for x in range(20, width, 140):
        _tree(img, x, horizon + 25, 44)
    return img


class SceneLibrary:
    """The shared scene images, drawn on first use."""

    def __init__(self) -> None:
        self._scenes: dict[str, Image] = {}
        noise_rng = np.random.default_rng(12345)
        # One noise field, rolled to a new offset for every frame (cheap, never repeats
        # exactly). Stored as two non-negative halves for saturating cv2.add/subtract.
        noise = noise_rng.normal(0.0, 3.0, (HEIGHT, WIDTH, 3))
        self._noise_up = np.clip(noise, 0, 255).astype(np.uint8)
        self._noise_down = np.clip(-noise, 0, 255).astype(np.uint8)

    def scene(self, kind: str) -> Image:
        img = self._scenes.get(kind)
        if img is None:
            img = _draw_scene(kind)
            self._scenes[kind] = img
        return img

    def noise(self, seed: int) -> tuple[Image, Image]:
        dy, dx = (seed >> 8) % HEIGHT, seed % WIDTH
        return (
            np.roll(self._noise_up, (dy, dx), axis=(0, 1)),
            np.roll(self._noise_down, (dy, dx), axis=(0, 1)),
        )


def _apply_video_fault(img: Image, fault: str, camera_id: str) -> Image:
    if fault == "black":
        return np.zeros_like(img)
    if fault == "dark":
        return cv2.convertScaleAbs(img, alpha=0.12, beta=0)
    if fault == "bright":
        return cv2.convertScaleAbs(img, alpha=1.6, beta=120)
    if fault == "blur":
        return cv2.GaussianBlur(img, (0, 0), sigmaX=9)
    if fault == "color_cast":
        out = img.copy()
        out[:, :, 0] = cv2.convertScaleAbs(img[:, :, 0], alpha=0.35)  # blue drained
        out[:, :, 1] = cv2.convertScaleAbs(img[:, :, 1], alpha=0.9)
        out[:, :, 2] = cv2.convertScaleAbs(img[:, :, 2], alpha=1.0, beta=90)  # red cast
        return out
    if fault == "occluded":
        out = img.copy()
        seed = _stable(camera_id)
        cx = WIDTH // 3 + seed % (WIDTH // 3)
        cv2.ellipse(
            out, (cx, HEIGHT // 2), (WIDTH // 2, HEIGHT // 2 + 40), 15, 0, 360, (28, 30, 32), -1
        )
        return out
    return img


class SnapshotRenderer:
    """JPEG snapshots per camera, with a small shared cache."""

    def __init__(self, cache_frames: int = CACHE_FRAMES) -> None:
        self._library = SceneLibrary()
        self._cache: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._frozen: dict[str, bytes] = {}
        self._limit = cache_frames

    def render(
        self,
        camera_id: str,
        scene: str,
        *,
        device_time: float,
        video_fault: str | None = None,
        now: float | None = None,
    ) -> bytes:
        """The camera's current frame as JPEG bytes."""
        now = time.time() if now is None else now
        if video_fault == "frozen":
            frame = self._frozen.get(camera_id)
            if frame is None:
                frame = self._encode(camera_id, scene, device_time, None, now)
                self._frozen[camera_id] = frame
            return frame
        self._frozen.pop(camera_id, None)
        key = f"{camera_id}\0{video_fault or ''}"
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < FRAME_INTERVAL:
            self._cache.move_to_end(key)
            return cached[1]
        frame = self._encode(camera_id, scene, device_time, video_fault, now)
        self._cache[key] = (now, frame)
        self._cache.move_to_end(key)
        while len(self._cache) > self._limit:
            self._cache.popitem(last=False)
        return frame

    def frame(
        self, camera_id: str, scene: str, device_time: float, video_fault: str | None, now: float
    ) -> Image:
        """The camera's frame as a BGR image (not cached)."""
        seed = _stable(camera_id)
        base = self._library.scene(scene)
        offset = seed % SCENE_MARGIN
        if video_fault == "shifted":
            # The camera has been knocked: it now looks at another part of the scene,
            # tilted and lower.
            offset = (offset + SCENE_MARGIN // 2) % SCENE_MARGIN
            view = base[:, offset : offset + WIDTH]
            matrix = cv2.getRotationMatrix2D((WIDTH / 2, HEIGHT / 2), 12.0, 1.25)
            matrix[1, 2] += 60
            img = cv2.warpAffine(view, matrix, (WIDTH, HEIGHT), borderMode=cv2.BORDER_REFLECT)
        else:
            img = base[:, offset : offset + WIDTH].copy()

        # A passer-by crossing the view, at a position given by the time.
        phase = (now / 20.0 + (seed % 1000) / 1000.0) % 1.0
        px = int(phase * (WIDTH + 40)) - 20
        py = 250 + (seed >> 12) % 40
        cv2.ellipse(img, (px, py), (9, 22), 0, 0, 360, (40, 50, 70), -1)
        cv2.circle(img, (px, py - 30), 8, (120, 150, 190), -1)

        # On-screen display: camera id and the device's own (local, UTC+8) clock.
        stamp = dt.datetime.fromtimestamp(device_time, dt.UTC) + dt.timedelta(hours=8)
        osd = stamp.strftime("%Y-%m-%d %H:%M:%S")
        for colour, thickness in (((0, 0, 0), 3), ((255, 255, 255), 1)):
            cv2.putText(
                img, osd, (12, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, thickness, cv2.LINE_AA
            )
            cv2.putText(
                img,
                camera_id,
                (12, HEIGHT - 14),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.6,
                colour,
                thickness,
                cv2.LINE_AA,
            )

        up, down = self._library.noise(int(now * 1000) ^ seed)
        img = cv2.subtract(cv2.add(img, up), down)
        if video_fault:
            img = _apply_video_fault(img, video_fault, camera_id)
        return img

    def _encode(
        self, camera_id: str, scene: str, device_time: float, video_fault: str | None, now: float
    ) -> bytes:
        img = self.frame(camera_id, scene, device_time, video_fault, now)
        ok, buffer = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:  # pragma: no cover - cv2 only fails on invalid input
            raise RuntimeError("JPEG encoding failed")
        return buffer.tobytes()
