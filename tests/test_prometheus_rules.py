"""The shipped Prometheus config and rules: valid for the real promtool, their unit
tests pass, every alert carries what Alertmanager and the technicians need, and
every metric the rules read is one the monitor exports."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.core import CounterMetricFamily

from monitor.exporter.collector import SnapshotCollector
from monitor.polling.snapshot import MonitorSnapshot
from site_map.model import SiteMap
from tests.campus import small_campus
from tests.stack import AMTOOL, PROMTOOL, alertmanager, require

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS = ROOT / "deploy" / "prometheus"
CONFIG = PROMETHEUS / "prometheus.yml"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
UNIT_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
RUNBOOK = ROOT / "docs" / "runbook.md"
RUNBOOK_URL = "https://github.com/tianyan/tianyan/blob/main/docs/runbook.md#"

# The alerts the Alertmanager config, the dashboards and the runbook rely on.
EXPECTED_ALERTS = {
    "CameraOffline",
    "CameraVideoFault",
    "CameraViewShifted",
    "CameraClockDrift",
    "KeySiteUnwatched",
    "InstallRateBelowTarget",
    "IntactRateBelowTarget",
    "StorageRateBelowTarget",
    "NvrDown",
    "NvrDiskFailed",
    "RecordingStopped",
    "ChannelRetentionBelowTarget",
    "NvrRetentionForecastLow",
    "SwitchDown",
    "TianyanDown",
    "TianyanPollStale",
    "TianyanStoragePassStale",
}
# Per-camera and per-channel alerts: routed by campus/unit, held back by
# Alertmanager behind SwitchDown (switch), NvrDown (nvr), CameraOffline (camera).
CAMERA_ALERTS = {
    "CameraOffline",
    "CameraVideoFault",
    "CameraViewShifted",
    "CameraClockDrift",
    "RecordingStopped",
    "ChannelRetentionBelowTarget",
}
JOIN = "camera:tianyan_camera_info:join"
CAMERA_LABELS = {"camera_name", "campus", "site", "site_name", "category", "unit", "switch", "nvr"}
ANNOTATIONS = {"summary_zh", "summary_en", "since", "runbook_zh", "runbook_en", "runbook_url"}
COMPONENTS = {"camera", "site", "coverage", "recording", "network", "monitor"}
SEVERITIES = {"critical", "warning"}
# `for:` the brief fixes, as the minimum where it says "at least".
MINIMUM_FOR = {
    "CameraOffline": 300,
    "CameraVideoFault": 600,
    "CameraViewShifted": 600,
    "CameraClockDrift": 1800,
}

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d)")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Identifiers in PromQL and in the query strings of annotation templates.
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_SELECTOR = re.compile(r"(tianyan_[a-z0-9_]+)\{([^}]*)\}")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
_TEMPLATE = re.compile(r"{{.*?}}", re.DOTALL)
_HAN = re.compile(r"[\u4e00-\u9fff]")


def seconds(duration: str) -> float:
    return sum(int(n) * _UNIT[u] for n, u in _DURATION.findall(duration))


def promtool(*args: str) -> str:
    """Run promtool; fail with everything it printed unless it exits 0."""
    result = subprocess.run(
        [require(PROMTOOL), *args], capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, (
        f"promtool {' '.join(args)} exited {result.returncode}:\n{output}"
    )
    return output


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _rules() -> list[dict[str, Any]]:
    return [
        rule for path in RULE_FILES for group in _load(path)["groups"] for rule in group["rules"]
    ]


ALERTS = {rule["alert"]: rule for rule in _rules() if "alert" in rule}
RECORDS = {rule["record"]: rule for rule in _rules() if "record" in rule}


def _texts(rule: dict[str, Any]) -> list[str]:
    """The expression and every annotation (their templates query metrics too)."""
    return [rule["expr"], *rule.get("annotations", {}).values()]


# --- promtool -------------------------------------------------------------------


def test_config_is_valid_and_finds_both_rule_files() -> None:
    # The rule_files glob is relative to the config file, wherever promtool runs.
    output = promtool("check", "config", str(CONFIG))
    assert f"SUCCESS: {len(RULE_FILES)} rule files found" in output, output
    assert len(RULE_FILES) == 2


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rule_file_is_valid(path: Path) -> None:
    promtool("check", "rules", str(path))


@pytest.mark.parametrize("path", UNIT_TESTS, ids=lambda p: p.name)
def test_promtool_unit_tests_pass(path: Path) -> None:
    assert "SUCCESS" in promtool("test", "rules", str(path))


def test_unit_tests_load_the_shipped_rule_files() -> None:
    assert UNIT_TESTS
    for path in UNIT_TESTS:
        loaded = {(path.parent / name).resolve() for name in _load(path)["rule_files"]}
        assert loaded <= {p.resolve() for p in RULE_FILES}, path.name
        assert PROMETHEUS / "rules" / "tianyan-recording.yml" in loaded, path.name


# --- what every alert carries ----------------------------------------------------


def test_the_expected_alerts_and_no_others() -> None:
    assert set(ALERTS) == EXPECTED_ALERTS


@pytest.mark.parametrize("name", sorted(EXPECTED_ALERTS))
def test_alert_has_severity_component_and_annotations(name: str) -> None:
    rule = ALERTS[name]
    labels, annotations = rule.get("labels", {}), rule.get("annotations", {})
    assert labels.get("component") in COMPONENTS
    # Severity is fixed by the rule, or comes from the site's category through a join.
    if "severity" in labels:
        assert labels["severity"] in SEVERITIES
    else:
        copied = re.search(r"group_left\s*\(([^)]*\bseverity\b[^)]*)\)", rule["expr"])
        assert copied, f"{name}: no severity label and none joined in"
    assert seconds(rule.get("for", "0s")) >= max(60, MINIMUM_FOR.get(name, 0))
    missing = ANNOTATIONS - set(annotations)
    assert not missing, f"{name}: missing annotations {sorted(missing)}"
    for key in ("runbook_zh", "runbook_en", "summary_zh", "summary_en"):
        assert annotations[key].strip() and "\n" not in annotations[key], key
    assert _HAN.search(_TEMPLATE.sub("", annotations["summary_zh"])), "summary_zh: not Chinese"
    assert _HAN.search(annotations["runbook_zh"]), "runbook_zh: not Chinese"
    assert not _HAN.search(_TEMPLATE.sub("", annotations["summary_en"])), "summary_en"
    assert not _HAN.search(annotations["runbook_en"]), "runbook_en"


@pytest.mark.parametrize("name", sorted(EXPECTED_ALERTS))
def test_runbook_url_points_at_a_runbook_section(name: str) -> None:
    assert ALERTS[name]["annotations"]["runbook_url"] == RUNBOOK_URL + name.lower()
    headings = re.findall(r"^## (\S+)\s*$", RUNBOOK.read_text(encoding="utf-8"), re.MULTILINE)
    assert name in headings, f"docs/runbook.md has no section '## {name}'"


@pytest.mark.parametrize("name", sorted(CAMERA_ALERTS))
def test_camera_alert_carries_routing_and_inhibition_labels(name: str) -> None:
    rule = ALERTS[name]
    joined = re.search(r"group_left\s*\(([^)]*)\)\s*" + re.escape(JOIN), rule["expr"])
    assert joined, f"{name}: does not join {JOIN}"
    copied = {label.strip() for label in joined.group(1).split(",")}
    assert copied >= CAMERA_LABELS, CAMERA_LABELS - copied
    annotations = rule["annotations"]
    assert "cause" in annotations
    for key in ("summary_zh", "summary_en"):
        for label in ("camera_name", "camera", "site_name", "campus", "unit"):
            assert f"$labels.{label} " in annotations[key], (key, label)


def test_camera_offline_severity_follows_the_site_category() -> None:
    rule = ALERTS["CameraOffline"]
    assert "severity" not in rule.get("labels", {})
    assert 'critical="true"' in RECORDS["category:tianyan_category_info:severity"]["expr"]
    assert "$value | humanizeTimestamp" in rule["annotations"]["since"]
    assert "tianyan_camera_state_since_timestamp_seconds" in rule["expr"]
    # Fires whatever the probable cause: inhibition is Alertmanager's job.
    assert "probable_cause" not in rule["expr"] and "switch_down" not in rule["expr"]


def _unit_test_cases() -> dict[str, list[bool]]:
    """alertname → for each of its promtool test cases, whether an alert fires."""
    cases: dict[str, list[bool]] = {}
    for path in UNIT_TESTS:
        for group in _load(path)["tests"]:
            for case in group.get("alert_rule_test", []):
                cases.setdefault(case["alertname"], []).append(bool(case.get("exp_alerts")))
    return cases


@pytest.mark.parametrize("name", sorted(EXPECTED_ALERTS))
def test_alert_has_a_firing_and_a_quiet_unit_test(name: str) -> None:
    outcomes = _unit_test_cases().get(name, [])
    assert True in outcomes, f"{name}: no promtool case where it fires"
    assert False in outcomes, f"{name}: no promtool case where it stays quiet"


def test_every_recording_rule_is_used_and_its_value_tested() -> None:
    used = " ".join(text for rule in _rules() for text in _texts(rule))
    tested = " ".join(
        case["expr"]
        for path in UNIT_TESTS
        for group in _load(path)["tests"]
        for case in group.get("promql_expr_test", [])
    )
    for name, rule in RECORDS.items():
        others = used.replace(rule["expr"], "")
        assert re.search(re.escape(name) + r"\b", others), f"{name}: no rule uses it"
        assert name in tested, f"{name}: no promtool case checks its value"


# --- every metric read is exported ------------------------------------------------


def _exported() -> dict[str, set[str]]:
    """Exposition name → label names, from the collector's describe()."""
    collector = SnapshotCollector(_small_snapshot, availability=lambda: {})
    names: dict[str, set[str]] = {}
    for family in collector.describe():
        labels = set(getattr(family, "_labelnames", ()))
        names[family.name] = labels
        if isinstance(family, CounterMetricFamily):
            names[family.name + "_total"] = labels
    return names


def _small_snapshot() -> MonitorSnapshot:
    site_map = SiteMap.model_validate(small_campus(list(range(9001, 9009))))
    return MonitorSnapshot.build(site_map, {}, poll_interval_seconds=60.0)


def test_describe_lists_every_family_a_scrape_has() -> None:
    # The check below trusts describe(); a real collection must not have more.
    collector = SnapshotCollector(_small_snapshot, availability=lambda: {})
    described = {family.name for family in collector.describe()}
    collected = {family.name for family in collector.collect()}
    assert collected <= described, collected - described


@pytest.mark.parametrize("name", sorted({*ALERTS, *RECORDS}))
def test_every_metric_and_label_the_rule_reads_exists(name: str) -> None:
    rule = ALERTS.get(name) or RECORDS[name]
    exported = _exported()
    for text in _texts(rule):
        for token in _NAME.findall(text):
            if ":" in token and "tianyan_" in token:
                assert token in RECORDS, f"{name}: unknown recording rule {token}"
            elif token.startswith("tianyan_"):
                assert token in exported, f"{name}: the monitor does not export {token}"
        for metric, body in _SELECTOR.findall(text):
            body = re.sub(r'"(?:[^"\\]|\\.)*"', '""', body)
            unknown = set(_MATCHER.findall(body)) - exported[metric]
            assert not unknown, f"{name}: {metric} has no label {sorted(unknown)}"


# --- the runbook's silences work as written -----------------------------------------

_RUNBOOK_AM = "--alertmanager.url=http://127.0.0.1:9093"


def _runbook_sections() -> dict[str, str]:
    parts = re.split(r"^## (.+)$", RUNBOOK.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def _silence_commands(text: str) -> list[list[str]]:
    return [
        shlex.split(line)
        for line in text.splitlines()
        if line.startswith("amtool ") and " silence add " in line
    ]


@pytest.mark.parametrize("name", sorted(EXPECTED_ALERTS))
def test_runbook_section_is_bilingual_and_shows_a_silence(name: str) -> None:
    body = _runbook_sections()[name]
    assert _HAN.search(body) and "**Meaning**" in body and "**Verify**" in body
    commands = _silence_commands(body)
    assert commands, f"{name}: no amtool silence add command"
    assert any(f"alertname={name}" in command for command in commands), name


def test_runbook_silence_commands_are_accepted_by_amtool() -> None:
    amtool_path = require(AMTOOL)
    commands = _silence_commands(RUNBOOK.read_text(encoding="utf-8"))
    assert len(commands) >= len(EXPECTED_ALERTS)
    config = {"route": {"receiver": "none"}, "receivers": [{"name": "none"}]}
    with alertmanager(config) as server:
        for command in commands:
            assert command[:2] == ["amtool", _RUNBOOK_AM], command
            args = [amtool_path, f"--alertmanager.url={server.url}", *command[2:]]
            result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
            assert result.returncode == 0, f"{shlex.join(command)}:\n{result.stderr}"
        silences = server.get("/api/v2/silences")
    assert len(silences) == len(commands)
    assert all(s["status"]["state"] == "active" and s["comment"] for s in silences)
