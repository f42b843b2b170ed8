"""Simulated cameras serve real photographs, degraded by their `video` faults.

Snapshots are fetched over HTTP Digest from an in-process simulator on
127.0.0.1, as the monitor fetches them, and measured on the decoded frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import cv2
import numpy as np
import pytest

from monitor.quality import synth
from monitor.simulator import Fault, FaultError, Simulator, build_simulator, load_faults
from monitor.simulator.faults import parse_fault
from monitor.simulator.scene import (
    CROPS,
    NOISE_VARIANTS,
    SnapshotRenderer,
    scene_for,
    scene_key,
    scene_photos,
)
from site_map.model import SiteMap
from tests.campus import PASSWORD, PASSWORD_ENV, free_port

USER = "admin"
SCENE = scene_key(2)  # every camera of a test looks at this one, unless it says otherwise
OSD_ROWS = 128  # the clock is drawn in the rows above (at 1080 lines)


def site_map(cameras: list[tuple[str, int]], *, nvr: bool = False) -> SiteMap:
    return SiteMap.model_validate(
        {
            "school": "Video Test",
            "campuses": [{"id": "c"}],
            "sites": [{"id": "s", "campus": "c", "category": "library"}],
            "cameras": [
                {"id": cid, "sites": ["s"], "onvif": {"host": "127.0.0.1", "port": port}}
                for cid, port in cameras
            ],
            "nvrs": [{"id": "nvr-1", "host": "127.0.0.1", "port": 8003}] if nvr else [],
            "credentials": {"default": {"username": USER, "password_env": PASSWORD_ENV}},
        }
    )


@contextlib.asynccontextmanager
async def serving(faults: dict[str, Any], scene: str | None = SCENE) -> AsyncIterator[Simulator]:
    """A started simulator with one camera per entry of `faults` (None: healthy)."""
    cameras = [(cid, free_port()) for cid in faults]
    parsed = {cid: parse_fault(value) for cid, value in faults.items() if value is not None}
    sim = build_simulator(
        site_map(cameras), base_dir=Path("."), faults=parsed, environ={PASSWORD_ENV: PASSWORD}
    )
    if scene is not None:
        for device in sim.devices.values():
            device.scene = scene
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def snapshot(sim: Simulator, camera_id: str) -> bytes:
    url = sim.devices[camera_id].snapshot_url("Profile_1")
    async with (
        aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware(USER, PASSWORD),)) as s,
        s.get(url) as response,
    ):
        assert response.status == 200, response.status
        assert response.content_type == "image/jpeg"
        return await response.read()


async def next_second() -> None:
    """Wait into the next wall-clock second (a live camera's next frame)."""
    await asyncio.sleep(1.05 - time.time() % 1.0)


def decode(jpeg: bytes) -> Any:
    frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert frame is not None, "not a decodable image"
    return frame


def below_clock(frame: Any) -> Any:
    """The picture under the clock's rows, a quarter of its size, grey."""
    grey = cv2.cvtColor(frame[OSD_ROWS:], cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)


def sharpness(frame: Any) -> float:
    return float(cv2.Laplacian(below_clock(frame), cv2.CV_64F).var())


def correlation(a: Any, b: Any) -> float:
    return float(np.corrcoef(below_clock(a).ravel(), below_clock(b).ravel())[0, 1])


def brightness(frame: Any) -> float:
    return float(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).mean())


def saturation(frame: Any) -> float:
    return float(cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)[:, :, 1].mean())


def balance(frame: Any) -> Any:
    """Mean of each channel (B, G, R) relative to their average."""
    means = frame.reshape(-1, 3).mean(axis=0)
    return means / means.mean()


def noise_level(frame: Any) -> float:
    """Fine noise: what a 3×3 median removes, at full size, under the clock."""
    grey = cv2.cvtColor(frame[OSD_ROWS:], cv2.COLOR_BGR2GRAY)
    return float(np.abs(grey.astype(int) - cv2.medianBlur(grey, 3).astype(int)).mean())


def flat_fraction(frame: Any, spread: float = 4.0) -> float:
    """Fraction of 16×16 blocks (at quarter size) with almost no detail."""
    small = below_clock(frame).astype(np.float32)
    h, w = small.shape[0] // 16 * 16, small.shape[1] // 16 * 16
    blocks = small[:h, :w].reshape(h // 16, 16, w // 16, 16).std(axis=(1, 3))
    return float((blocks < spread).mean())


# -- healthy cameras ----------------------------------------------------------------------
async def test_healthy_snapshot_is_a_real_photograph_at_full_hd() -> None:
    async with serving({"cam-1": None}, scene=None) as sim:
        jpeg = await snapshot(sim, "cam-1")
    assert jpeg[:2] == b"\xff\xd8" and jpeg[-2:] == b"\xff\xd9"
    frame = decode(jpeg)
    assert frame.shape == (1080, 1920, 3)
    assert sharpness(frame) > 100  # textured, not a drawing of flat shapes
    assert saturation(frame) > 50  # a colour daytime picture
    assert 40 < brightness(frame) < 200
    # It is the camera's own framing of a bundled photograph.
    photo, crop = scene_for(None, "cam-1").split("/")
    zoom, x, y = CROPS[int(crop)]
    assert correlation(frame, synth.view(photo, 1920, 1080, zoom=zoom, x=x, y=y)) > 0.97


async def test_live_snapshots_change_while_the_scene_stays() -> None:
    async with serving({"cam-1": None}) as sim:
        first = await snapshot(sim, "cam-1")
        await next_second()
        second = await snapshot(sim, "cam-1")
    assert first != second
    a, b = decode(first).astype(int), decode(second).astype(int)
    # The clock ticked ...
    assert np.abs(a[:OSD_ROWS] - b[:OSD_ROWS]).max() > 100
    # ... and the sensor noise moved across the whole picture ...
    assert 0.8 < float(np.abs(a[OSD_ROWS:] - b[OSD_ROWS:]).mean()) < 4
    # ... of the same scene.
    assert correlation(decode(first), decode(second)) > 0.99


def test_neighbouring_cameras_look_at_different_photographs() -> None:
    scenes = [scene_for("gate", f"cam-{n:04d}") for n in range(1, 40)]
    for a, b in itertools.pairwise(scenes):
        assert a.split("/")[0] != b.split("/")[0] and a.split("/")[1] != b.split("/")[1]
    assert len(set(scenes)) == len(scene_photos()) * len(CROPS)
    assert scene_for("gate", "cam-0007") == scene_for(None, "cam-0007")  # by id alone
    assert scene_for(None, "north-gate-left") == scene_for(None, "north-gate-left")


# -- every video fault ----------------------------------------------------------------------
VIDEO = {
    "healthy": None,
    "black": {"video": "black"},
    "dark": {"video": "dark"},
    "bright": {"video": "bright"},
    "blur": {"video": "blur"},
    "blur-half": {"video": {"fault": "blur", "strength": 0.5}},
    "occluded": {"video": "occluded"},
    "color_cast": {"video": "color_cast"},
    "noise": {"video": "noise"},
    "signal_loss": {"video": "signal_loss"},
    "shifted": {"video": "shifted"},
    "night": {"video": "night"},
}


@pytest.fixture(scope="module")
def frames() -> dict[str, Any]:
    """One decoded snapshot of every camera of VIDEO (all looking at SCENE)."""

    async def fetch() -> dict[str, Any]:
        async with serving(VIDEO) as sim:
            jpegs = await asyncio.gather(*(snapshot(sim, cid) for cid in VIDEO))
        return {cid: decode(jpeg) for cid, jpeg in zip(VIDEO, jpegs, strict=True)}

    return asyncio.run(fetch())


def test_every_fault_keeps_the_frame_size(frames: dict[str, Any]) -> None:
    assert {f.shape for f in frames.values()} == {(1080, 1920, 3)}


def test_black(frames: dict[str, Any]) -> None:
    black = frames["black"]
    assert brightness(black) < 5
    assert np.percentile(cv2.cvtColor(black[OSD_ROWS:], cv2.COLOR_BGR2GRAY), 98) < 14
    assert np.abs(black[:OSD_ROWS].astype(int)).max() > 200  # the clock is still drawn


def test_dark_and_bright(frames: dict[str, Any]) -> None:
    healthy = brightness(frames["healthy"])
    assert brightness(frames["dark"]) < min(40, healthy / 3)
    assert brightness(frames["bright"]) > 200


def test_blur(frames: dict[str, Any]) -> None:
    healthy, half, full = (sharpness(frames[k]) for k in ("healthy", "blur-half", "blur"))
    assert full < healthy / 10
    assert full < half < healthy / 3


def test_occluded(frames: dict[str, Any]) -> None:
    assert flat_fraction(frames["occluded"]) > max(0.6, flat_fraction(frames["healthy"]) + 0.4)
    assert brightness(frames["occluded"]) < brightness(frames["healthy"])


def test_color_cast(frames: dict[str, Any]) -> None:
    healthy, cast = balance(frames["healthy"]), balance(frames["color_cast"])
    assert float(np.abs(cast / healthy - 1).max()) > 0.3  # a channel well off its share
    assert brightness(frames["color_cast"]) > 40  # a cast, not a dark picture


def test_noise(frames: dict[str, Any]) -> None:
    assert noise_level(frames["noise"]) > 4 * noise_level(frames["healthy"])


def test_signal_loss(frames: dict[str, Any]) -> None:
    grey = cv2.cvtColor(frames["signal_loss"][OSD_ROWS:], cv2.COLOR_BGR2GRAY).astype(int)
    assert float((np.abs(grey - np.median(grey)) < 12).mean()) > 0.9  # one flat screen
    assert correlation(frames["signal_loss"], frames["healthy"]) < 0.2


def test_shifted(frames: dict[str, Any]) -> None:
    shifted = frames["shifted"]
    assert correlation(shifted, frames["healthy"]) < 0.6
    assert sharpness(shifted) > 100 and saturation(shifted) > 50  # still a sharp day picture


def test_night_is_a_grey_infrared_picture(frames: dict[str, Any]) -> None:
    night, healthy = frames["night"], frames["healthy"]
    assert saturation(healthy) > 50 and saturation(night) < 12
    assert 40 < brightness(night) < 200
    assert correlation(night, healthy) > 0.8  # the same scene
    assert not parse_fault({"video": "night"}).active  # not a fault


# -- frozen -------------------------------------------------------------------------------
async def test_frozen_repeats_the_last_frame_and_its_stopped_clock() -> None:
    async with serving({"cam-1": None}) as sim:
        await snapshot(sim, "cam-1")
        await next_second()
        last_live = await snapshot(sim, "cam-1")
        sim.set_fault("cam-1", parse_fault({"video": "frozen"}))
        frozen = [await snapshot(sim, "cam-1")]
        await next_second()
        frozen.append(await snapshot(sim, "cam-1"))
        await next_second()
        frozen.append(await snapshot(sim, "cam-1"))
        sim.set_fault("cam-1", None)
        await next_second()
        live_again = await snapshot(sim, "cam-1")
    assert frozen == [last_live] * 3  # the same old bytes
    assert live_again != last_live


async def test_frozen_with_a_running_clock_changes_only_the_clock() -> None:
    fault = {"video": {"fault": "frozen", "clock": "running"}}
    async with serving({"cam-1": fault}) as sim:
        first = await snapshot(sim, "cam-1")
        await next_second()
        second = await snapshot(sim, "cam-1")
    assert first != second
    a, b = decode(first).astype(int), decode(second).astype(int)
    assert np.abs(a[:OSD_ROWS] - b[:OSD_ROWS]).max() > 100
    assert np.array_equal(a[OSD_ROWS:], b[OSD_ROWS:])  # not one pixel of the picture moves


def test_frozen_bytes_survive_cache_eviction() -> None:
    renderer = SnapshotRenderer(cache_frames=1, cache_bytes=1)
    t = 1_764_158_400.0
    first = renderer.render("cam-1", SCENE, device_time=t, video_fault="frozen", now=t)
    renderer.render("cam-2", scene_key(3), device_time=t, video_fault="dark", now=t)
    again = renderer.render("cam-1", SCENE, device_time=t + 60, video_fault="frozen", now=t + 60)
    assert again == first and again is not first


# -- run time, shared work --------------------------------------------------------------------
async def test_set_fault_turns_a_camera_away_and_back() -> None:
    async with serving({"cam-1": None}) as sim:
        healthy = decode(await snapshot(sim, "cam-1"))
        sim.set_fault("cam-1", parse_fault({"video": "shifted"}))
        shifted = decode(await snapshot(sim, "cam-1"))
        await next_second()
        shifted_later = decode(await snapshot(sim, "cam-1"))
        sim.set_fault("cam-1", None)
        back = decode(await snapshot(sim, "cam-1"))
    assert correlation(shifted, healthy) < 0.6
    assert correlation(shifted_later, shifted) > 0.99  # it stays turned
    assert correlation(back, healthy) > 0.99


async def test_cameras_of_one_scene_share_one_rendering() -> None:
    cameras = {f"cam-{n}": None for n in range(12)}
    renderer = SnapshotRenderer()
    t = time.time()
    frames = await asyncio.gather(
        *(renderer.render_async(cid, SCENE, device_time=t, now=t) for cid in [*cameras, *cameras])
    )
    assert renderer.stats["look_misses"] == 1
    assert len(set(frames)) <= NOISE_VARIANTS  # same scene, variant and second: same bytes
    renderer.close()


def test_snapshot_is_byte_for_byte_a_full_encode() -> None:
    """The clock band spliced into a cached frame gives exactly the JPEG of the frame."""
    renderer = SnapshotRenderer()
    t = 1_764_158_400.0
    for second in range(3):
        jpeg = renderer.render("cam-1", SCENE, device_time=t + second, now=t + second)
        full = [
            renderer.encode(renderer.frame("cam-1", SCENE, t + second, None, t, variant=v))
            for v in range(NOISE_VARIANTS)
        ]
        assert jpeg in full


def test_snapshot_size_follows_the_renderer() -> None:
    renderer = SnapshotRenderer(width=640, height=360)
    jpeg = renderer.render("cam-1", SCENE, device_time=1_764_158_400.0)
    assert decode(jpeg).shape == (360, 640, 3)


# -- faults file ------------------------------------------------------------------------------
def test_video_fault_forms() -> None:
    assert parse_fault({"video": "blur"}) == Fault(video="blur")
    assert parse_fault({"video": {"fault": "blur", "strength": 0.5}}) == Fault(
        video="blur", video_strength=0.5
    )
    assert parse_fault({"video": {"fault": "frozen", "clock": "running"}}) == Fault(
        video="frozen", video_clock_running=True
    )
    assert parse_fault({"video": {"fault": "frozen", "clock": "stopped"}}) == Fault(video="frozen")
    assert parse_fault({"video": {"fault": "shifted", "strength": 1}}) == Fault(video="shifted")
    assert parse_fault({"video": {"fault": "blur", "strength": 0.5}}).describe() == (
        "video: blur (strength 0.5)"
    )
    assert parse_fault({"video": {"fault": "frozen", "clock": "running"}}).describe() == (
        "video: frozen (clock running)"
    )
    assert parse_fault({"video": "noise"}).active and parse_fault({"video": "signal_loss"}).active
    assert not parse_fault({"video": "night"}).active
    assert parse_fault(["auth_fail", {"video": "night"}]).active


VIDEO_ERRORS = [
    (
        "cam-1: {video: purple}\n",
        "faults.yaml:1: device 'cam-1': unknown video fault 'purple' (expected one of: black, "
        "frozen, blur, occluded, color_cast, dark, bright, shifted, noise, signal_loss, night)",
    ),
    (
        "cam-1: {video: 3}\n",
        "faults.yaml:1: device 'cam-1': video needs a fault name or a mapping (e.g. 'blur' or "
        "{fault: blur, strength: 0.5} or {fault: frozen, clock: running}), got 3",
    ),
    (
        "cam-1: offline\ncam-2: {video: {strength: 0.5}}\n",
        "faults.yaml:2: device 'cam-2': video: the mapping needs 'fault' (e.g. 'blur' or "
        "{fault: blur, strength: 0.5} or {fault: frozen, clock: running})",
    ),
    (
        "cam-1: {video: {fault: blur, strength: 2}}\n",
        "faults.yaml:1: device 'cam-1': video strength must be more than 0 and at most 1, got 2",
    ),
    (
        "cam-1: {video: {fault: blur, strength: 0}}\n",
        "faults.yaml:1: device 'cam-1': video strength must be more than 0 and at most 1, got 0",
    ),
    (
        "cam-1: {video: {fault: blur, strength: strong}}\n",
        "faults.yaml:1: device 'cam-1': video strength needs a number, got 'strong'",
    ),
    (
        "cam-1: {video: {fault: frozen, strength: 0.5}}\n",
        "faults.yaml:1: device 'cam-1': video: strength does not apply to frozen",
    ),
    (
        "cam-1: {video: {fault: night, strength: 0.5}}\n",
        "faults.yaml:1: device 'cam-1': video: strength does not apply to night",
    ),
    (
        "cam-1: {video: {fault: blur, clock: running}}\n",
        "faults.yaml:1: device 'cam-1': video: clock applies to frozen only, not to blur",
    ),
    (
        "cam-1: {video: {fault: frozen, clock: fast}}\n",
        "faults.yaml:1: device 'cam-1': video clock must be 'stopped' or 'running', got 'fast'",
    ),
    (
        "cam-1: {video: {fault: blur, level: 3}}\n",
        "faults.yaml:1: device 'cam-1': video: unknown key 'level' (expected fault, strength, "
        "clock)",
    ),
    (
        "nvr-1: {video: night}\n",
        "faults.yaml:1: device 'nvr-1': video applies to cameras only",
    ),
]


@pytest.mark.parametrize(("text", "message"), VIDEO_ERRORS)
def test_video_fault_errors(tmp_path: Path, text: str, message: str) -> None:
    cameras = site_map([("cam-1", 8001), ("cam-2", 8002)], nvr=True)
    path = tmp_path / "faults.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FaultError) as excinfo:
        load_faults(path, cameras)
    assert str(excinfo.value) == message.replace("faults.yaml", str(path))
