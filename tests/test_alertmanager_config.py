"""The shipped Alertmanager config: valid for the real amtool, routes as documented,
and every alert name it names is one the Prometheus rules raise."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.stack import AMTOOL, require

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))


def amtool(*args: str) -> str:
    result = subprocess.run(
        [require(AMTOOL), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_amtool_accepts_the_config() -> None:
    assert "SUCCESS" in amtool("check-config", str(CONFIG))


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        # A finance-office camera on the north campus: the wall, the duty room
        # (critical), the finance office, the north technicians.
        (
            ["alertname=CameraOffline", "severity=critical", "campus=north", "unit=财务处"],
            "control-centre,security-duty,unit-finance,technicians-north",
        ),
        # An ordinary dormitory camera in the south: the wall and the technicians.
        (
            ["alertname=CameraOffline", "severity=warning", "campus=south", "unit=学生处"],
            "control-centre,technicians-south",
        ),
        # The monitor itself: its operators, not the campus technicians.
        (["alertname=TianyanDown", "component=monitor"], "control-centre,tianyan-operators"),
        # No campus known (a school-wide rate): everyone's technicians.
        (
            ["alertname=StorageRateBelowTarget", "severity=warning"],
            "control-centre,technicians-all",
        ),
    ],
)
def test_routes(labels: list[str], receivers: str) -> None:
    out = amtool("config", "routes", "test", f"--config.file={CONFIG}", *labels)
    assert out.strip().splitlines()[-1] == receivers


def _alert_names() -> set[str]:
    names = set()
    for path in RULES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            names |= {r["alert"] for r in group["rules"] if "alert" in r}
    return names


def test_every_alert_name_in_the_config_is_raised_by_a_rule() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    known = _alert_names()
    assert known, "no alert rules found"
    named: set[str] = set()
    for rule in config["inhibit_rules"]:
        for matcher in rule["source_matchers"] + rule["target_matchers"]:
            match = re.fullmatch(r'alertname(=~|=)"([^"]+)"', matcher)
            if match:
                named |= set(match.group(2).split("|"))
    assert named and named <= known, named - known


def test_inhibitions_hold_per_camera_alerts_behind_their_cause() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    equal = {rule["source_matchers"][0]: rule["equal"] for rule in config["inhibit_rules"]}
    assert equal['alertname="SwitchDown"'] == ["switch"]
    assert equal['alertname="NvrDown"'] == ["nvr"]
    assert any(v == ["camera"] for v in equal.values())
