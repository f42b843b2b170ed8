"""Image-fault detectors on camera frames made from real photographs.

Every frame goes through what a camera and the monitor do: the picture (a
bundled photograph, framed at 1920×1080), the sensor's noise and the
on-screen clock, JPEG encoding, and `decode` at reduced resolution.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest

from monitor.quality import synth
from monitor.quality.decode import decode, jpeg_size, reduction_for
from monitor.quality.detectors import (
    FAULTS,
    SIGNATURE_SHAPE,
    Diagnosis,
    Verdict,
    analyse,
    signature,
)
from monitor.quality.thresholds import (
    DEFAULT_THRESHOLDS,
    QualityConfig,
    Thresholds,
    thresholds_for,
)

T0 = 1_764_900_000.0


def jpeg(picture: np.ndarray, quality: int = 80) -> bytes:
    ok, buffer = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buffer.tobytes()


def shot(picture: np.ndarray, *, seed: int = 0, when: float = T0, sigma: float = 2.0) -> bytes:
    """The JPEG a camera would send of `picture`: sensor noise, clock, encoding."""
    noisy = synth.sensor_noise(picture, np.random.default_rng(seed), sigma)
    return jpeg(synth.osd_clock(noisy, when))


def frame_of(data: bytes) -> np.ndarray:
    frame = decode(data)
    assert frame is not None
    return frame


@functools.cache
def base(photo: str = "motorcycle_left") -> np.ndarray:
    return synth.scene(photo)


@functools.cache
def live(photo: str = "motorcycle_left", seed: int = 0, when: float = T0) -> np.ndarray:
    return frame_of(shot(base(photo), seed=seed, when=when))


@functools.cache
def reference(photo: str = "motorcycle_left") -> np.ndarray:
    return signature(live(photo, seed=99, when=T0 - 86_400))


@functools.cache
def previous(photo: str = "motorcycle_left") -> np.ndarray:
    return signature(live(photo, seed=98, when=T0 - 60))


def judge(frame: np.ndarray | None, photo: str = "motorcycle_left", **kw: object) -> Diagnosis:
    kw.setdefault("previous", previous(photo))
    kw.setdefault("reference", reference(photo))
    return analyse(frame, **kw)  # type: ignore[arg-type]


def faulty(
    fault: str, strength: float, photo: str = "motorcycle_left", seed: int = 1
) -> np.ndarray:
    picture = synth.degrade(base(photo), fault, strength, np.random.default_rng(seed))
    if fault == "signal_loss":
        return frame_of(jpeg(picture))
    return frame_of(shot(picture, seed=seed + 10))


def night(photo: str = "motorcycle_left", seed: int = 3) -> np.ndarray:
    return frame_of(shot(synth.night(base(photo)), seed=seed))


# --- clean pictures ------------------------------------------------------------


@pytest.mark.parametrize("photo", ["motorcycle_left", "astronaut", "camera"])
def test_clean_frames_have_no_fault(photo: str) -> None:
    diagnosis = judge(live(photo), photo)
    assert diagnosis.faults == ()
    assert {v.fault for v in diagnosis.verdicts} == set(FAULTS)


def test_night_infrared_picture_has_no_fault_against_the_daytime_reference() -> None:
    earlier = signature(night(seed=4))
    diagnosis = judge(night(), previous=earlier)
    assert diagnosis.faults == ()
    # Grey by design: not a colour cast; normally exposed: neither dark nor bright.
    assert diagnosis.measures["colour_cast"] < 1.0
    assert diagnosis.verdict("dark") == Verdict(
        "dark", diagnosis.measures["brightness"], DEFAULT_THRESHOLDS.dark_brightness, False
    )


# --- signal_loss, black ----------------------------------------------------------


def test_no_frame_is_signal_loss_only() -> None:
    diagnosis = analyse(None, previous=previous(), reference=reference())
    assert diagnosis.faults == ("signal_loss",)
    assert [v.fault for v in diagnosis.verdicts] == ["signal_loss"]


@pytest.mark.parametrize("strength", [0.15, 1.0])
def test_no_signal_screen_is_signal_loss(strength: float) -> None:
    assert judge(faulty("signal_loss", strength)).faults == ("signal_loss",)


@pytest.mark.parametrize("strength", [0.15, 1.0])
def test_black_frame_is_black_not_dark_or_signal_loss(strength: float) -> None:
    assert judge(faulty("black", strength)).faults == ("black",)


def test_dark_frame_is_not_black() -> None:
    diagnosis = judge(faulty("dark", 1.0))
    assert diagnosis.faults == ("dark",)
    assert diagnosis.verdict("black") is not None
    assert not diagnosis.verdict("black").present  # type: ignore[union-attr]


# --- dark, bright ------------------------------------------------------------------


@pytest.mark.parametrize("strength", [0.1, 0.6, 1.0])
def test_underexposed_frame_is_dark(strength: float) -> None:
    assert judge(faulty("dark", strength)).faults == ("dark",)


@pytest.mark.parametrize("strength", [0.1, 1.0])
def test_overexposed_frame_is_bright(strength: float) -> None:
    assert judge(faulty("bright", strength)).faults == ("bright",)


def test_dark_scene_photograph_is_not_dark() -> None:
    # rocket.jpg is a dusk scene (mean luminance about 60): dim, not underexposed.
    assert "dark" not in judge(live("rocket"), "rocket").faults


# --- blur --------------------------------------------------------------------------


@pytest.mark.parametrize(("photo", "strength"), [("motorcycle_left", 0.1), ("astronaut", 0.5)])
def test_defocused_frame_is_blur(photo: str, strength: float) -> None:
    assert judge(faulty("blur", strength, photo), photo).faults == ("blur",)


def test_sharp_frame_with_soft_background_is_not_blur() -> None:
    # chelsea.png: a sharp cat before an out-of-focus background.
    diagnosis = judge(live("chelsea"), "chelsea")
    assert diagnosis.measures["sharpness"] > DEFAULT_THRESHOLDS.blur_sharpness
    assert "blur" not in diagnosis.faults


# --- noise -------------------------------------------------------------------------


@pytest.mark.parametrize("strength", [0.1, 1.0])
def test_snow_is_noise(strength: float) -> None:
    assert judge(faulty("noise", strength)).faults == ("noise",)


def test_live_sensor_noise_is_not_noise() -> None:
    frame = frame_of(shot(base(), seed=5, sigma=3.0))
    diagnosis = judge(frame)
    assert diagnosis.faults == ()
    assert diagnosis.measures["noise"] < DEFAULT_THRESHOLDS.noise_level / 2


# --- color_cast --------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_white_balance_failure_is_color_cast(seed: int) -> None:
    assert judge(faulty("color_cast", 0.1, seed=seed)).faults == ("color_cast",)


def test_cast_on_a_grey_photograph_is_color_cast() -> None:
    assert judge(faulty("color_cast", 0.3, "camera"), "camera").faults == ("color_cast",)


def test_grey_pictures_are_not_color_cast() -> None:
    assert judge(live("camera"), "camera").measures["colour_cast"] < 1.0
    assert "color_cast" not in judge(night()).faults


# --- occluded ----------------------------------------------------------------------


@pytest.mark.parametrize(("strength", "seed"), [(0.1, 1), (0.5, 2), (1.0, 3)])
def test_covered_lens_is_occluded(strength: float, seed: int) -> None:
    assert judge(faulty("occluded", strength, seed=seed)).faults == ("occluded",)


def test_dark_sky_already_in_the_reference_is_not_occluded() -> None:
    diagnosis = judge(live("rocket"), "rocket")
    assert diagnosis.measures["occluded_fraction"] < DEFAULT_THRESHOLDS.occluded_fraction


# --- frozen ------------------------------------------------------------------------


def test_repeated_frame_is_frozen() -> None:
    data = shot(base(), seed=7)
    diagnosis = judge(frame_of(data), previous=signature(frame_of(data)))
    assert diagnosis.faults == ("frozen",)
    assert diagnosis.measures["frozen_change"] == 0.0


def test_frozen_picture_with_a_running_clock_is_frozen() -> None:
    still = synth.sensor_noise(base(), np.random.default_rng(8), 2.0)
    before = frame_of(jpeg(synth.osd_clock(still, T0 - 3_671)))
    now = frame_of(jpeg(synth.osd_clock(still, T0)))
    assert judge(now, previous=signature(before)).faults == ("frozen",)


def test_clock_change_and_sensor_noise_of_a_still_scene_is_not_frozen() -> None:
    # Nothing in the scene moves: only the sensor's noise and the clock differ.
    before = live(seed=11, when=T0 - 60)
    now = live(seed=12, when=T0)
    diagnosis = judge(now, previous=signature(before))
    assert "frozen" not in diagnosis.faults
    assert diagnosis.measures["frozen_change"] > 3 * DEFAULT_THRESHOLDS.frozen_change


def test_frozen_needs_a_previous_frame() -> None:
    diagnosis = analyse(live(), reference=reference())
    assert "frozen" not in {v.fault for v in diagnosis.verdicts}
    assert "frozen_change" not in diagnosis.measures


def test_a_persistent_black_picture_is_black_not_frozen() -> None:
    black = faulty("black", 1.0)
    assert judge(black, previous=signature(black)).faults == ("black",)


# --- shifted -----------------------------------------------------------------------


@pytest.mark.parametrize("strength", [0.1, 0.5, 1.0])
def test_turned_camera_is_shifted(strength: float) -> None:
    moved = frame_of(shot(synth.shifted_view(base(), strength), seed=13))
    diagnosis = judge(moved)
    assert diagnosis.faults == ("shifted",)
    assert diagnosis.measures["reference_match"] <= DEFAULT_THRESHOLDS.shifted_match


@pytest.mark.parametrize("gain", [0.6, 1.4])
def test_lighting_change_is_not_shifted(gain: float) -> None:
    relit = frame_of(shot(cv2.convertScaleAbs(base(), alpha=gain), seed=14))
    diagnosis = judge(relit)
    assert "shifted" not in diagnosis.faults
    assert diagnosis.measures["reference_match"] > 0.9


def test_small_shift_of_a_few_pixels_is_not_shifted() -> None:
    matrix = np.float32([[1, 0, 9], [0, 1, -6]])  # 9 and 6 pixels at 1920×1080
    nudged = cv2.warpAffine(base(), matrix, (1920, 1080), borderMode=cv2.BORDER_REFLECT_101)
    diagnosis = judge(frame_of(shot(nudged, seed=15)))
    assert diagnosis.faults == ()


def test_shifted_needs_a_reference() -> None:
    moved = frame_of(shot(synth.shifted_view(base(), 1.0), seed=16))
    diagnosis = analyse(moved, previous=previous())
    assert "shifted" not in {v.fault for v in diagnosis.verdicts}


def test_occluded_needs_a_reference() -> None:
    # Without one, a covering cannot be told from a dark, featureless part of
    # the scene (rocket.jpg's dusk sky).
    covered = faulty("occluded", 0.8)
    assert "occluded" not in {v.fault for v in analyse(covered).verdicts}
    assert "occluded_fraction" not in analyse(live("rocket")).measures


# --- results, thresholds, signatures -----------------------------------------------


def test_faults_follow_the_vocabulary_order() -> None:
    verdicts = tuple(Verdict(f, 0.0, 0.0, True) for f in reversed(FAULTS))
    assert Diagnosis(verdicts, {}).faults == FAULTS


def test_thresholds_decide_the_verdict() -> None:
    dark = faulty("dark", 0.5)
    assert judge(dark).faults == ("dark",)
    lenient = Thresholds(dark_brightness=10.0)
    diagnosis = judge(dark, thresholds=lenient)
    assert "dark" not in diagnosis.faults
    assert diagnosis.verdict("dark").threshold == 10.0  # type: ignore[union-attr]


def test_signature_is_a_small_grey_thumbnail() -> None:
    frame = live()
    sig = signature(frame)
    assert sig.shape == SIGNATURE_SHAPE
    assert sig.dtype == np.uint8
    from_grey = signature(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert np.abs(from_grey.astype(int) - sig).max() <= 1
    # What analyse compares is what signature() makes.
    assert np.array_equal(judge(frame).signature, sig)


def test_decode_reduces_by_the_snapshot_size() -> None:
    assert [reduction_for(w) for w in (352, 640, 704, 1280, 1920, 2560, 3840)] == [
        1,
        1,
        1,
        2,
        4,
        4,
        8,
    ]
    data = jpeg(synth.scene("coins", 1280, 720))
    assert jpeg_size(data) == (1280, 720)
    assert frame_of(data).shape == (360, 640, 3)
    png = cv2.imencode(".png", synth.scene("coins", 1920, 1080))[1].tobytes()
    assert jpeg_size(png) is None
    assert frame_of(png).shape == (270, 480, 3)
    assert decode(b"") is None
    assert decode(b"not an image") is None
    assert decode(data[: len(data) // 3]) is None or frame_of(data[: len(data) // 3]).ndim == 3


def test_quality_config_precedence_and_validation() -> None:
    config = QualityConfig(
        thresholds={"dark_brightness": 30},
        categories={"track_field": {"dark_brightness": 25, "occluded_fraction": 0.5}},
        cameras={"cam-1": {"dark_brightness": 20}},
    )
    assert thresholds_for(config, "cam-9", None).dark_brightness == 30
    in_field = thresholds_for(config, "cam-9", "track_field")
    assert (in_field.dark_brightness, in_field.occluded_fraction) == (25, 0.5)
    own = thresholds_for(config, "cam-1", "track_field")
    assert (own.dark_brightness, own.occluded_fraction) == (20, 0.5)
    assert thresholds_for(config, "cam-1", "track_field") is own  # cached
    assert thresholds_for(QualityConfig(), "cam-1", None) is DEFAULT_THRESHOLDS
    with pytest.raises(ValueError, match="unknown threshold 'darkness'"):
        QualityConfig(cameras={"cam-1": {"darkness": 3}})
    with pytest.raises(ValueError, match=r"categories\.gate"):
        QualityConfig(categories={"gate": {"occluded_fraction": 2.0}})
    with pytest.raises(ValueError):
        QualityConfig(sample_every=0)
