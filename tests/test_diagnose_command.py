"""`tianyan diagnose IMAGE [--reference IMAGE] [--previous IMAGE]`."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from monitor.cli import main
from monitor.quality import synth
from monitor.quality.detectors import FAULTS

T0 = 1_764_900_000.0


def write(path: Path, picture: np.ndarray, seed: int, when: float = T0) -> str:
    noisy = synth.sensor_noise(picture, np.random.default_rng(seed), 2.0)
    assert cv2.imwrite(str(path), synth.osd_clock(noisy, when), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return str(path)


@pytest.fixture
def views(tmp_path: Path) -> dict[str, str]:
    scene = synth.scene("astronaut")
    return {
        "reference": write(tmp_path / "reference.jpg", scene, 1, T0 - 86_400),
        "previous": write(tmp_path / "previous.jpg", scene, 2, T0 - 60),
        "clean": write(tmp_path / "clean.jpg", scene, 3),
        "blur": write(tmp_path / "blur.jpg", synth.degrade(scene, "blur", 0.6), 4),
        "moved": write(tmp_path / "moved.jpg", synth.shifted_view(scene, 0.8), 5),
    }


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    status = main(["diagnose", *args])
    out, err = capsys.readouterr()
    return status, (json.loads(out) if out else {}), err


def test_clean_frame(capsys: pytest.CaptureFixture[str], views: dict[str, str]) -> None:
    status, report, err = run(
        capsys, views["clean"], "--reference", views["reference"], "--previous", views["previous"]
    )
    assert status == 0
    assert err == ""
    assert report["faults"] == []
    assert {"brightness", "sharpness", "frozen_change", "reference_match"} <= set(
        report["measures"]
    )
    assert all(isinstance(v, float) for v in report["measures"].values())
    assert [v["fault"] for v in report["verdicts"]] == list(FAULTS)


def test_faults_are_reported_with_exit_0(
    capsys: pytest.CaptureFixture[str], views: dict[str, str]
) -> None:
    status, report, _ = run(
        capsys, views["blur"], "--reference", views["reference"], "--previous", views["previous"]
    )
    assert (status, report["faults"]) == (0, ["blur"])
    status, report, _ = run(capsys, views["moved"], "--reference", views["reference"])
    assert (status, report["faults"]) == (0, ["shifted"])


def test_the_same_file_twice_is_frozen(
    capsys: pytest.CaptureFixture[str], views: dict[str, str]
) -> None:
    status, report, _ = run(capsys, views["clean"], "--previous", views["clean"])
    assert (status, report["faults"]) == (0, ["frozen"])


def test_without_previous_or_reference_frozen_shifted_occluded_are_not_judged(
    capsys: pytest.CaptureFixture[str], views: dict[str, str]
) -> None:
    status, report, _ = run(capsys, views["moved"])
    assert status == 0
    assert report["faults"] == []
    assert "frozen_change" not in report["measures"]
    assert "reference_match" not in report["measures"]
    assert "occluded_fraction" not in report["measures"]
    judged = {v["fault"] for v in report["verdicts"]}
    assert judged == set(FAULTS) - {"frozen", "shifted", "occluded"}


def test_png_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "frame.png"
    cv2.imwrite(str(path), synth.degrade(synth.scene("camera"), "dark", 1.0))
    status, report, _ = run(capsys, str(path))
    assert (status, report["faults"]) == (0, ["dark"])


def test_unreadable_files_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, views: dict[str, str]
) -> None:
    missing = str(tmp_path / "missing.jpg")
    status, report, err = run(capsys, missing)
    assert (status, report) == (2, {})
    assert "missing.jpg" in err
    assert "cannot read" in err

    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"\xff\xd8 this is not a JPEG")
    status, report, err = run(capsys, views["clean"], "--reference", str(garbage))
    assert (status, report) == (2, {})
    assert "reference" in err
    assert "not an image" in err
