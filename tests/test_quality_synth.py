"""The camera pictures of monitor.quality.synth, made from bundled photographs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitor.quality import synth
from monitor.quality.detectors import FAULTS


def test_every_photograph_is_bundled_and_read_only() -> None:
    for name in synth.PHOTOS:
        image = synth.photo(name)
        assert image.dtype == np.uint8
        assert image.ndim == 3
        assert image.shape[2] == 3
        assert min(image.shape[:2]) >= 250
        assert not image.flags.writeable
    assert synth.photo("astronaut.png") is synth.photo("astronaut")
    with pytest.raises(ValueError, match="unknown photograph"):
        synth.photo("lena")


def test_scene_frames_a_photograph() -> None:
    frame = synth.scene("rocket", 640, 360)
    assert frame.shape == (360, 640, 3)
    assert frame is synth.scene("rocket", 640, 360)  # cached
    zoomed = synth.view("rocket", 640, 360, zoom=1.3, x=0.0, y=1.0)
    assert zoomed.shape == frame.shape
    assert not np.array_equal(zoomed, frame)


@pytest.mark.parametrize("fault", synth.DEGRADE_FAULTS)
def test_degrade_makes_every_fault_but_frozen_and_shifted(fault: str) -> None:
    frame = synth.scene("chelsea", 320, 180)
    out = synth.degrade(frame, fault, 0.5)
    assert out.shape == frame.shape
    assert out.dtype == np.uint8
    assert not np.array_equal(out, frame)
    # Reproducible without a generator; another generator gives another picture.
    assert np.array_equal(synth.degrade(frame, fault, 0.5), out)


def test_degrade_covers_the_vocabulary() -> None:
    assert set(synth.DEGRADE_FAULTS) | {"frozen", "shifted"} == set(FAULTS)


@pytest.mark.parametrize("strength", [0.0, -0.1, 1.01, math.nan])
def test_strength_must_be_in_0_1(strength: float) -> None:
    with pytest.raises(ValueError, match="strength"):
        synth.degrade(synth.scene("coins", 64, 36), "blur", strength)


@pytest.mark.parametrize("fault", ["frozen", "shifted", "upside_down"])
def test_degrade_refuses_what_it_does_not_make(fault: str) -> None:
    with pytest.raises(ValueError, match=fault):
        synth.degrade(synth.scene("coins", 64, 36), fault)


def test_stronger_faults_are_stronger() -> None:
    frame = synth.scene("astronaut", 320, 180)
    assert synth.degrade(frame, "dark", 1.0).mean() < synth.degrade(frame, "dark", 0.2).mean()
    assert synth.degrade(frame, "bright", 1.0).mean() > synth.degrade(frame, "bright", 0.2).mean()
    mild, strong = (synth.degrade(frame, "noise", s) for s in (0.2, 1.0))
    assert np.abs(strong.astype(int) - frame).mean() > np.abs(mild.astype(int) - frame).mean()


def test_night_picture_is_grey_and_normally_exposed() -> None:
    out = synth.night(synth.scene("coffee", 320, 180))
    assert np.array_equal(out[:, :, 0], out[:, :, 1])
    assert np.array_equal(out[:, :, 1], out[:, :, 2])
    assert 60 < out.mean() < 140


def test_osd_clock_changes_with_the_time_only_at_the_top_left() -> None:
    frame = synth.scene("camera", 640, 360)
    a, b = synth.osd_clock(frame, 1_764_900_000.0), synth.osd_clock(frame, 1_764_900_001.0)
    changed = np.argwhere((a != b).any(axis=2))
    assert changed.size
    assert changed[:, 0].max() < 360 * 0.12
    assert changed[:, 1].max() < 640 * 0.5
    assert np.array_equal(synth.osd_clock(frame, 1_764_900_000.0), a)


def test_sensor_noise_has_the_asked_deviation() -> None:
    frame = np.full((360, 640, 3), 128, np.uint8)
    noisy = synth.sensor_noise(frame, np.random.default_rng(1), 3.0).astype(float)
    luma = noisy.mean(axis=2) - 128
    assert 2.5 < luma.std() < 3.5
    other = synth.sensor_noise(frame, np.random.default_rng(2), 3.0)
    assert not np.array_equal(noisy, other)


def test_shifted_view_moves_more_when_stronger() -> None:
    frame = synth.scene("motorcycle_left", 320, 180)
    mild, strong = synth.shifted_view(frame, 0.1), synth.shifted_view(frame, 1.0)
    assert mild.shape == frame.shape
    assert not np.array_equal(mild, strong)
