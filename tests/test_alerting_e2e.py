"""End to end, with real parts: simulated cameras → the monitor → a real Prometheus
evaluating the project's rules → a real Alertmanager with the project's routing and
inhibition → a webhook receiver.

Time is scaled: every `for:` of the rules is divided by 60 (5m → 5s), the poll
runs every second, and Alertmanager's group waits are a second, so the test
takes about a minute while every expression, label, route and inhibition is the
shipped one.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.config import PollSettings, RecordingSettings
from monitor.service import MonitorService
from monitor.simulator.faults import parse_fault
from monitor.simulator.server import build_simulator
from monitor.storage.store import default_sqlite_url
from site_map.loader import load_site_map
from tests.campus import PASSWORD, PASSWORD_ENV, free_port, small_campus, write_yaml
from tests.stack import WebhookReceiver, alertmanager, prometheus

ROOT = Path(__file__).resolve().parent.parent
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
ALERTMANAGER_CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
ENV = {PASSWORD_ENV: PASSWORD}
SCALE = 60.0  # rule durations divided by this
POLL_SECONDS = 1.0
DOWN_AFTER = 2
SWITCH_CAMERAS = ("cam-1", "cam-2", "cam-3")

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d)")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration: str) -> float:
    return sum(int(n) * _UNIT[u] for n, u in _DURATION.findall(duration))


def scaled_rules(directory: Path) -> tuple[list[Path], dict[str, float]]:
    """The shipped rule files with every `for:` divided by SCALE; alert → scaled seconds."""
    paths, waits = [], {}
    for path in RULES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in data.get("groups", []):
            group["interval"] = "1s"
            for rule in group.get("rules", []):
                if "for" in rule:
                    wait = max(1.0, seconds(rule["for"]) / SCALE)
                    rule["for"] = f"{int(wait)}s"
                    waits[rule["alert"]] = wait
        out = directory / path.name
        out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        paths.append(out)
    return paths, waits


def alertmanager_config_for_test(receiver_url: str) -> dict[str, Any]:
    """The shipped routing and inhibition; every receiver replaced by the test's webhook."""
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    config["global"] = {"resolve_timeout": "5m"}
    config.pop("templates", None)
    for receiver in config["receivers"]:
        name = receiver["name"]
        receiver.clear()
        receiver.update(
            {"name": name, "webhook_configs": [{"url": receiver_url, "send_resolved": True}]}
        )

    def quicken(route: dict[str, Any]) -> None:
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = "1s"
        for child in route.get("routes", []):
            quicken(child)

    route = config["route"]
    route.update(group_wait="1s", group_interval="1s", repeat_interval="1h")
    quicken(route)
    return config


@pytest.fixture
async def stack(tmp_path: Path):
    data = small_campus()
    for camera in data["cameras"]:
        if camera["id"] in SWITCH_CAMERAS:
            camera["switch"] = "sw-east-gate"
        else:
            camera["switch"] = f"sw-{camera['id']}"
    path = write_yaml(tmp_path / "site-map.yaml", data)
    loaded = load_site_map(path, environ=ENV)
    simulator = build_simulator(loaded.site_map, base_dir=tmp_path, environ=ENV)
    await simulator.start()
    receiver = WebhookReceiver()
    await receiver.start()
    service = MonitorService(
        loaded,
        default_sqlite_url(tmp_path),
        PollSettings(
            interval_seconds=POLL_SECONDS, timeout_seconds=1.0, down_after=DOWN_AFTER, up_after=1
        ),
        recordings=RecordingSettings(enabled=False),
    )
    port = free_port()
    await service.start_http("127.0.0.1", port)
    stop = asyncio.Event()
    running = asyncio.create_task(service.run("127.0.0.1", port, stop))
    rules, waits = scaled_rules(tmp_path)
    try:
        with alertmanager(alertmanager_config_for_test(receiver.url)) as am:
            config = {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "scrape_configs": [
                    {"job_name": "tianyan", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
                ],
                "alerting": {
                    "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am.port}"]}]}]
                },
            }
            with prometheus(config, rules) as prom:
                yield simulator, receiver, waits, am, prom
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running, 30)
        await service.close()
        await receiver.stop()
        await simulator.stop()


def firing(receiver: WebhookReceiver, alertname: str, **labels: str) -> list[dict[str, Any]]:
    return [
        a
        for a in receiver.alerts("firing")
        if a["labels"].get("alertname") == alertname
        and all(a["labels"].get(k) == v for k, v in labels.items())
    ]


def resolved(receiver: WebhookReceiver, alertname: str, **labels: str) -> list[dict[str, Any]]:
    return [
        a
        for a in receiver.alerts("resolved")
        if a["labels"].get("alertname") == alertname
        and all(a["labels"].get(k) == v for k, v in labels.items())
    ]


async def test_offline_camera_then_switch_down_then_recovery(stack) -> None:
    simulator, receiver, waits, am, _prometheus = stack
    # Let the campus settle: every camera online, nothing firing.
    await asyncio.sleep(4 * POLL_SECONDS)
    assert not receiver.alerts("firing"), receiver.notifications

    # 1. One camera unplugged: CameraOffline within `for:` + two poll intervals
    #    (plus the hysteresis, a scrape and an evaluation).
    began = time.monotonic()
    simulator.set_fault("cam-5", parse_fault("offline"))
    budget = waits["CameraOffline"] + 2 * POLL_SECONDS + DOWN_AFTER * POLL_SECONDS + 6
    await receiver.wait_for(lambda _: firing(receiver, "CameraOffline", camera="cam-5"), budget)
    arrived = time.monotonic() - began
    alert = firing(receiver, "CameraOffline", camera="cam-5")[0]
    labels, annotations = alert["labels"], alert["annotations"]
    assert labels["campus"] == "west" and labels["site"] == "west-finance"
    assert labels["category"] == "finance_office" and labels["unit"] == "财务处"
    assert labels["severity"] == "critical"  # a finance office is a critical site
    assert labels["switch"] == "sw-cam-5"
    assert "Camera 5" in annotations["summary_en"] and "财务室" in annotations["summary_zh"]
    assert annotations["runbook_zh"] and annotations["runbook_en"] and annotations["cause"]
    assert arrived <= budget

    # 2. The gate's switch dies: one SwitchDown page, its cameras' alerts held back.
    for camera in SWITCH_CAMERAS:
        simulator.set_fault(camera, parse_fault("offline"))
    budget = waits["SwitchDown"] + 2 * POLL_SECONDS + DOWN_AFTER * POLL_SECONDS + 6
    await receiver.wait_for(lambda _: firing(receiver, "SwitchDown", switch="sw-east-gate"), budget)
    # Long enough for the camera alerts to fire in Prometheus and be inhibited.
    await asyncio.sleep(waits["CameraOffline"] + 4 * POLL_SECONDS)
    switch_pages = firing(receiver, "SwitchDown", switch="sw-east-gate")
    assert len({a["fingerprint"] for a in switch_pages}) == 1
    for camera in SWITCH_CAMERAS:
        assert not firing(receiver, "CameraOffline", camera=camera), camera
    # (The API's `inhibited=true` means "inhibited ones too": filter on inhibitedBy.)
    held = [
        a
        for a in am.get("/api/v2/alerts", filter="alertname=CameraOffline")
        if a["status"]["inhibitedBy"]
    ]
    assert {a["labels"]["camera"] for a in held} == set(SWITCH_CAMERAS)

    # 3. Everything back: resolved notifications for the switch and the camera.
    for camera in (*SWITCH_CAMERAS, "cam-5"):
        simulator.set_fault(camera, None)
    await receiver.wait_for(
        lambda _: (
            resolved(receiver, "SwitchDown", switch="sw-east-gate")
            and resolved(receiver, "CameraOffline", camera="cam-5")
        ),
        30,
    )
