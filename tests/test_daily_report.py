"""`tianyan daily-report`: the day's figures checked by hand, the zero report, every channel.

One stored day (2026-11-20, Asia/Shanghai) with known outages; times are
written in hours from that day's local midnight (`h(…)`), and the report is
built the next morning at 08:00 (`NOW = h(32)`), so every figure below can be
checked on paper. The channels are real HTTP servers (and, when aiosmtpd is
installed, a real SMTP server) on loopback ports.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from monitor.cli import main
from monitor.config import ConfigError, load_config
from monitor.daily_report import command
from monitor.daily_report.channels import dingtalk_sign
from monitor.daily_report.render import (
    NOTHING,
    TRUNCATED_NOTE,
    markdown_within,
    render_markdown,
    truncate_utf8,
)
from monitor.daily_report.summary import day_bounds, yesterday
from monitor.probing.result import DeviceIdentity, ProbeResult, Reason, Stage, StageResult
from monitor.recordings.model import Disk
from monitor.recordings.report import recordings_to_json
from monitor.recordings.snapshot import NvrStatus, RecordingSnapshot
from monitor.state import CameraState, Transition
from monitor.storage.store import RecordingRecord, Store
from site_map.loader import load_site_map
from tests.campus import PASSWORD, PASSWORD_ENV, free_port, write_yaml

TZ = "Asia/Shanghai"
DAY = date(2026, 11, 20)
H = 3600.0
D = 86400.0
ORIGIN = datetime(2026, 11, 20, tzinfo=ZoneInfo(TZ)).timestamp()


def h(hours: float) -> float:
    return ORIGIN + hours * H


NOW = h(32)  # 2026-11-21 08:00, the morning after
CAMERAS = ("cam-1", "cam-2", "cam-3", "cam-4", "cam-5")

# Secrets that must never appear in any output or log line.
WECOM_KEY = "wecom-key-0c1d2e3f4a5b"
DINGTALK_TOKEN = "dingtalk-token-9f8e7d6c5b"
DINGTALK_SECRET = "SECdingtalk-secret-123456789"
HOOK_TOKEN = "hook-bearer-token-55aa66bb"
SMTP_PASSWORD = "smtp-password-77cc88dd"
SECRETS = (WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET, HOOK_TOKEN, SMTP_PASSWORD, PASSWORD)


# --------------------------------------------------------------------------- the campus


def site_map_data(schedule: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Two campuses, four key sites, five cameras on two NVRs; cam-1 and cam-2 share a switch."""

    def cam(n: int, name: str, site: str, nvr: str, channel: int, **extra: Any) -> dict[str, Any]:
        return {
            "id": f"cam-{n}",
            "name": name,
            "sites": [site],
            # Never contacted: nothing is probed.
            "onvif": {"host": "127.0.0.1", "port": 20000 + n},
            "nvr": {"id": nvr, "channel": channel},
            **extra,
        }

    cameras = [
        cam(1, "东门人脸", "east-gate", "nvr-1", 1, roles=["face_recognition"], switch="sw-east"),
        cam(2, "东门卡口", "east-gate", "nvr-1", 2, roles=["vehicle_checkpoint"], switch="sw-east"),
        cam(3, "化学实验室走廊", "east-lab", "nvr-1", 3),
        cam(4, "财务室门口", "west-finance", "nvr-2", 1),
        cam(5, "宿舍楼道", "west-dorm", "nvr-2", 2),
    ]
    if schedule is not None:
        cameras[2]["nvr"]["schedule"] = schedule
    return {
        "school": "测试大学",
        "retention_days": 30,
        "campuses": [{"id": "east", "name": "东校区"}, {"id": "west", "name": "西校区"}],
        "sites": [
            {
                "id": "east-gate",
                "name": "东门",
                "campus": "east",
                "category": "gate",
                "requires": ["face_recognition", "vehicle_checkpoint"],
                "unit": "保卫处",
            },
            {
                "id": "east-lab",
                "name": "化学实验室",
                "campus": "east",
                "category": "laboratory",
                "unit": "化学学院",
            },
            {
                "id": "west-finance",
                "name": "财务室",
                "campus": "west",
                "category": "finance_office",
                "unit": "财务处",
            },
            {"id": "west-dorm", "name": "宿舍", "campus": "west", "category": "dormitory"},
        ],
        "nvrs": [
            {"id": "nvr-1", "name": "东区录像机", "kind": "onvif", "host": "127.0.0.1",
             "port": 20101, "campus": "east", "timezone": TZ},
            {"id": "nvr-2", "kind": "hikvision", "host": "127.0.0.1", "port": 20102,
             "campus": "west", "timezone": TZ},
        ],
        "cameras": cameras,
        "credentials": {"default": {"username": "admin", "password_env": PASSWORD_ENV}},
    }  # fmt: skip


def write_campus(
    tmp_path: Path,
    daily_report: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> Path:
    write_yaml(tmp_path / "site-map.yaml", data or site_map_data())
    config: dict[str, Any] = {"site_map": "site-map.yaml"}
    if daily_report is not None:
        config["daily_report"] = daily_report
    return write_yaml(tmp_path / "config.yaml", config)


# --------------------------------------------------------------------------- stored state


def good(camera: str, at: float) -> ProbeResult:
    return ProbeResult(
        target=camera,
        started_at=at,
        stages=(
            StageResult(Stage.TCP, True, 0.002),
            StageResult(Stage.ONVIF, True, 0.05),
            StageResult(Stage.VIDEO, True, 0.3),
            StageResult(Stage.QUALITY, True, 0.02),
        ),
        device=DeviceIdentity("Hikvision", "DS-2CD2143G2-I", "V5.7.3", "SN-1"),
    )


def failed(camera: str, at: float, stage: Stage, reason: Reason) -> ProbeResult:
    """A probe that failed at `stage` (tcp or onvif), every stage before it passed."""
    before = (StageResult(Stage.TCP, True, 0.01),) if stage is Stage.ONVIF else ()
    return ProbeResult(
        target=camera, started_at=at, stages=(*before, StageResult(stage, False, 3.0, reason))
    )


def black(camera: str, at: float) -> ProbeResult:
    return ProbeResult(
        target=camera,
        started_at=at,
        stages=(
            StageResult(Stage.TCP, True, 0.002),
            StageResult(Stage.ONVIF, True, 0.05),
            StageResult(Stage.VIDEO, True, 0.3),
            StageResult(Stage.QUALITY, False, 0.02, Reason.VIDEO_FAULT, detail="black"),
        ),
        image_faults=("black",),
    )


def on(camera: str, hours: float) -> Transition:
    return Transition(camera, h(hours), True)


def off(camera: str, hours: float, stage: Stage, reason: Reason) -> Transition:
    return Transition(camera, h(hours), False, stage, reason)


def cycle(store: Store, at: float, transitions: list[Transition], states: Any = ()) -> None:
    store.save_cycle(started_at=at, finished_at=at + 1, states=states, transitions=transitions)


def footage(camera: str, start: float, end: float, checked: float) -> RecordingRecord:
    return RecordingRecord(camera, ((start, end),), checked, checked)


def store_day_with_outages(url: str) -> None:
    """The day of the main scenario (see test_every_figure_of_a_day_with_outages)."""
    with Store.open(url) as store:
        store.record_monitor_start(h(-24))
        cycle(store, h(-24), [on(c, -24) for c in CAMERAS])
        cycle(store, h(-2), [off("cam-3", -2, Stage.TCP, Reason.UNREACHABLE)])
        cycle(store, h(3), [on("cam-3", 3)])
        cycle(store, h(8), [off("cam-4", 8, Stage.ONVIF, Reason.AUTH_FAILED)])
        cycle(store, h(9.5), [on("cam-4", 9.5)])
        cycle(store, h(10) - 1, [])
        store.record_monitor_stop(h(10))  # stopped 10:00-12:00 (an upgrade)
        store.record_monitor_start(h(12))
        cycle(store, h(20), [off("cam-5", 20, Stage.TCP, Reason.TIMEOUT)])
        # The next morning, after the day: the switch behind cam-1 and cam-2 dies.
        cycle(
            store,
            h(30),
            [
                off("cam-1", 30, Stage.TCP, Reason.UNREACHABLE),
                off("cam-2", 30, Stage.TCP, Reason.UNREACHABLE),
            ],
        )
        last = NOW - 30  # the last probes, half a minute ago
        unreachable, timeout = (Stage.TCP, Reason.UNREACHABLE), (Stage.TCP, Reason.TIMEOUT)
        states = [
            CameraState("cam-1", False, h(30), 12, 0, failed("cam-1", last, *unreachable)),
            CameraState("cam-2", False, h(30), 12, 0, failed("cam-2", last, *unreachable)),
            CameraState("cam-3", True, h(3), 0, 40, good("cam-3", last)),
            CameraState("cam-4", True, h(9.5), 0, 40, black("cam-4", last)),
            CameraState("cam-5", False, h(20), 60, 0, failed("cam-5", last, *timeout)),
        ]
        store.save_cycle(started_at=NOW - 30, finished_at=NOW - 10, states=states, transitions=[])
        checked = NOW - 60
        store.save_recordings(
            [
                footage("cam-1", NOW - 31 * D, h(30), checked),  # stopped with the switch
                footage("cam-2", NOW - 31 * D, h(30), checked),
                footage("cam-3", NOW - 31 * D, checked, checked),
                footage("cam-4", NOW - 10 * D, checked, checked),  # a new disk: 10 days kept
                footage("cam-5", NOW - 31 * D, h(20), checked),  # stopped with the camera
            ],
            at=checked,
        )


def store_quiet_day(url: str) -> None:
    """Every camera online and intact all day, the monitor running, footage complete."""
    with Store.open(url) as store:
        store.record_monitor_start(h(-24))
        cycle(store, h(-24), [on(c, -24) for c in CAMERAS])
        states = [CameraState(c, True, h(-24), 0, 500, good(c, NOW - 30)) for c in CAMERAS]
        store.save_cycle(started_at=NOW - 30, finished_at=NOW - 10, states=states, transitions=[])
        store.save_recordings(
            [footage(c, NOW - 31 * D, NOW - 60, NOW - 60) for c in CAMERAS], at=NOW - 60
        )


@pytest.fixture(autouse=True)
def _setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setattr(command, "clock", lambda: NOW)


def report(
    config_path: Path, *, fmt: str = "json", day: str | None = "2026-11-20", **kwargs: Any
) -> tuple[int, str, str]:
    """Run the command as the CLI does (without the CLI's logging setup); (status, out, err)."""
    config = load_config(config_path)
    loaded = load_site_map(config.site_map_path)
    out, err = io.StringIO(), io.StringIO()
    status = command.run_daily_report(
        config, loaded, day_text=day, fmt=fmt, out=out, err=err, **kwargs
    )
    return status, out.getvalue(), err.getvalue()


def place(name: str, site: str, campus: str, unit: str) -> dict[str, Any]:
    return {"name": name, "sites": [site], "campus": campus, "unit": unit}


# --------------------------------------------------------------------------- the figures


def test_every_figure_of_a_day_with_outages(tmp_path: Path) -> None:
    config = write_campus(tmp_path)
    store_day_with_outages(f"sqlite:///{tmp_path / 'tianyan.sqlite'}")
    status, out, err = report(config, dry_run=True)
    assert status == 0, err
    r = json.loads(out)
    approx = pytest.approx

    assert (r["date"], r["timezone"], r["start"], r["end"]) == ("2026-11-20", TZ, h(0), h(24))
    assert r["generated_at"] == NOW
    assert r["title"] == "测试大学 视频监控日报"

    # Rates now: online cam-3, cam-4 (2/5); intact cam-3 only (cam-4 is black: 1/5);
    # every site has its cameras and the gate both capabilities (4/4); effective:
    # only the lab has an intact camera (1/4).
    rates = {kind: (v["value"], v["target"], v["met"]) for kind, v in r["rates"].items()}
    # Storage: 30 days expected per channel, footage known up to its last search:
    # cam-1, cam-2 miss the 2 h since the switch died, cam-3 and cam-4 the last
    # minute (cam-4 holds only 10 days), cam-5 the 12 h since it went down.
    recorded = (30 * D - 2 * H) * 2 + (30 * D - 60) + (10 * D - 60) + (30 * D - 12 * H)
    assert rates == {
        "install": (1.0, 1.0, True),
        "online": (approx(2 / 5), None, None),
        "intact": (approx(1 / 5), 0.95, False),
        "storage": (approx(recorded / (150 * D)), 0.95, False),
        "effective": (approx(1 / 4), None, None),
    }
    assert r["campuses"]["east"] == {
        "name": "东校区",
        "rates": {
            "install": 1.0,
            "online": approx(1 / 3),
            "intact": approx(1 / 3),
            "storage": approx(((30 * D - 2 * H) * 2 + 30 * D - 60) / (90 * D)),
            "effective": 0.5,
        },
    }
    assert r["campuses"]["west"]["rates"]["intact"] == 0.0
    # 10 − 2 (intact) − 2 (storage); the gate has face recognition and a checkpoint.
    assert r["score"]["value"] == 6 and r["score"]["max"] == 10
    assert [d["points"] for d in r["score"]["deductions"]] == [2, 2]
    assert "intact rate 20.00% (1/5 cameras)" in r["score"]["deductions"][0]["reason"]
    assert "storage rate" in r["score"]["deductions"][1]["reason"]

    # The day: every camera monitored 24 h − 2 h (the monitor was stopped 10-12)
    # = 110 camera-hours; offline cam-3 0-3, cam-4 8-9.5, cam-5 20-24 = 8.5 h.
    assert r["availability"] == approx((110 - 8.5) / 110)
    o = r["outages"]
    assert (o["count"], o["began"], o["ended"], o["cameras"]) == (3, 2, 2, 3)
    assert o["total_seconds"] == approx(8.5 * H)  # 3 + 1.5 + 4 h inside the day
    assert o["longest"]["camera"] == "cam-3" and o["longest"]["duration"] == approx(5 * H)
    assert o["mttr_seconds"] == approx((5 + 1.5) / 2 * H)  # cam-3 (5 h) and cam-4 (1.5 h)
    items = [
        (i["camera"], i["start"], i["end"], i["seconds"], i["duration"], i["stage"], i["reason"])
        for i in o["items"]
    ]
    assert items == [
        ("cam-3", h(-2), h(3), approx(3 * H), approx(5 * H), "tcp", "unreachable"),
        ("cam-4", h(8), h(9.5), approx(1.5 * H), approx(1.5 * H), "onvif", "auth_failed"),
        ("cam-5", h(20), None, approx(4 * H), approx(4 * H), "tcp", "timeout"),
    ]
    assert o["items"][0]["place"] == place("化学实验室走廊", "化学实验室", "东校区", "化学学院")

    # Still down now (08:00 the next day), with the switch as the probable cause.
    assert [(d["camera"], d["since"], d["stage"], d["reason"], d["cause"]) for d in r["down"]] == [
        ("cam-1", h(30), "tcp", "unreachable", "switch:sw-east"),
        ("cam-2", h(30), "tcp", "unreachable", "switch:sw-east"),
        ("cam-5", h(20), "tcp", "timeout", None),
    ]
    assert r["down"][0]["place"] == place("东门人脸", "东门", "东校区", "保卫处")
    assert r["down"][2]["place"] == place("宿舍楼道", "宿舍", "西校区", "")
    assert [(f["camera"], f["faults"]) for f in r["video_faults"]] == [("cam-4", ["black"])]

    # Storage: judged at each channel's last search (a minute ago).
    assert r["nvrs"] == [] and r["disks"] == []
    channels = [
        (c["camera"], c["nvr"], c["channel"], c["problem"], c["footage_until"], c["retention_days"])
        for c in r["channels"]
    ]
    assert channels == [
        ("cam-1", "nvr-1", 1, "not_recording", h(30), None),
        ("cam-2", "nvr-1", 2, "not_recording", h(30), None),
        ("cam-4", "nvr-2", 1, "retention", None, approx(10.0)),
        ("cam-5", "nvr-2", 2, "not_recording", h(20), None),
    ]
    assert r["unmonitored_seconds"] == approx(2 * H)
    assert r["monitor_gaps"] == [{"start": h(10), "end": h(12)}]
    # 3 outages + 3 down + 1 video fault + 4 channels + the monitor's own gap.
    assert (r["issues"], r["nothing_to_report"], r["targets_met"]) == (12, False, False)
    assert r["notes"] == []  # NVR health from the store: no NVR finding stored here


def test_the_text_report_of_that_day(tmp_path: Path) -> None:
    config = write_campus(tmp_path)
    store_day_with_outages(f"sqlite:///{tmp_path / 'tianyan.sqlite'}")
    status, text, _ = report(config, fmt="text", dry_run=True)
    assert status == 0
    lines = text.splitlines()
    assert lines[0] == "测试大学 视频监控日报 2026-11-20"
    assert lines[3] == "异常 12 项 / 12 issues to report"
    for expected in (
        "设备完好率 intact 20.00%（目标 target 95%，未达标 below target）",
        "当日可用率 availability of the day 92.27%",
        "评分 score 6/10",
        "当日故障 Outages of the day：3",
        "3 起 outages（当日新发 began 2，当日恢复 ended 2），涉及 3 台 cameras；累计 total 8h30m；"
        "最长 longest 5h（cam-3）；平均修复 MTTR 3h15m",
        "cam-3 · 化学实验室走廊 · 化学实验室 · 东校区 · 化学学院 · 2026-11-19 22:00 → 03:00（5h）"
        "tcp/不可达 unreachable",
        "cam-5 · 宿舍楼道 · 宿舍 · 西校区 · 20:00 → 未恢复 not ended（4h）tcp/超时 timeout",
        "cam-1 · 东门人脸 · 东门 · 东校区 · 保卫处 · 自 since 2026-11-21 06:00 · "
        "tcp/不可达 unreachable · 可能原因 probable cause: 交换机 switch sw-east",
        "cam-4 · 财务室门口 · 财务室 · 西校区 · 财务处 · 黑屏 black",
        "cam-4 · 财务室门口 · 财务室 · 西校区 · 财务处 · nvr-2#1 · 录像保存 10.0 天 retention "
        "10.0 d（低于目标 below target）",
        "未监控 unmonitored 2h: 10:00–12:00",
    ):
        assert any(line.strip() == expected for line in lines), expected
    assert NOTHING not in text


def test_the_zero_report_when_nothing_happened(tmp_path: Path) -> None:
    config = write_campus(tmp_path)
    store_quiet_day(f"sqlite:///{tmp_path / 'tianyan.sqlite'}")
    status, out, _ = report(config, dry_run=True)
    r = json.loads(out)
    assert status == 0
    assert (r["nothing_to_report"], r["issues"], r["targets_met"]) == (True, 0, True)
    assert r["outages"]["count"] == 0 and r["outages"]["mttr_seconds"] is None
    assert r["down"] == r["video_faults"] == r["channels"] == r["nvrs"] == []
    assert r["availability"] == 1.0 and r["unmonitored_seconds"] == 0
    assert r["score"] == {"value": 10, "max": 10, "deductions": []}

    _, text, _ = report(config, fmt="text", dry_run=True)
    assert text.splitlines()[3] == NOTHING == "今日无异常 / nothing to report"
    assert "当日故障 Outages of the day：0\n  无 none" in text
    assert "全天运行 ran all day" in text
    _, markdown, _ = report(config, fmt="markdown", dry_run=True)
    assert f"**{NOTHING}**" in markdown
    assert "**当日故障 Outages of the day**：0 无 none" in markdown


def test_a_day_before_anything_was_stored_is_unmonitored(tmp_path: Path) -> None:
    """A fresh database: every camera never probed, the whole day unmonitored."""
    config = write_campus(tmp_path)
    status, out, _ = report(config, dry_run=True)
    r = json.loads(out)
    assert status == 0
    assert r["availability"] is None and r["outages"]["count"] == 0
    assert [d["reason"] for d in r["down"]] == ["never_probed"] * 5
    assert r["unmonitored_seconds"] == 24 * H
    assert [(n["nvr"], n["problem"]) for n in r["nvrs"]] == [
        ("nvr-1", "never_checked"),
        ("nvr-2", "never_checked"),
    ]
    assert r["channels"] == []  # said once per NVR, not once per channel
    assert r["rates"]["storage"]["value"] is None and r["rates"]["storage"]["met"] is False


def test_a_camera_held_offline_by_hysteresis_is_recovering(tmp_path: Path) -> None:
    config = write_campus(tmp_path)
    url = f"sqlite:///{tmp_path / 'tianyan.sqlite'}"
    store_quiet_day(url)
    with Store.open(url) as store:  # answered once; up_after is 2
        state = CameraState("cam-3", False, h(31), 0, 1, good("cam-3", NOW - 5))
        store.save_cycle(started_at=NOW - 6, finished_at=NOW - 4, states=[state], transitions=[])
    r = json.loads(report(config, dry_run=True)[1])
    assert [(d["camera"], d["since"], d["stage"], d["reason"]) for d in r["down"]] == [
        ("cam-3", h(31), None, "recovering")
    ]


def test_default_day_is_yesterday_in_the_configured_zone(tmp_path: Path) -> None:
    # 2026-11-21 07:30 in Shanghai is still 2026-11-20 in UTC.
    morning = h(31.5)
    assert yesterday(morning, TZ) == date(2026, 11, 20)
    assert yesterday(morning, "UTC") == date(2026, 11, 19)
    config = write_campus(tmp_path, {"timezone": "UTC"})
    status, out, _ = report(config, day=None, dry_run=True)
    assert status == 0
    r = json.loads(out)
    assert (r["date"], r["timezone"]) == ("2026-11-20", "UTC")  # NOW is 00:00 UTC on the 21st
    assert r["start"] == datetime(2026, 11, 20, tzinfo=ZoneInfo("UTC")).timestamp()


def test_a_daylight_saving_day_is_25_hours() -> None:
    start, end = day_bounds(date(2026, 11, 1), "America/New_York")
    assert end - start == 25 * H
    start, end = day_bounds(DAY, TZ)
    assert (start, end - start) == (ORIGIN, 24 * H)


def test_stale_storage_checks_and_recording_schedules(tmp_path: Path) -> None:
    """An NVR not searched for three hours is reported; a channel outside its
    schedule is not 'not recording'."""
    schedule = [{"from": "08:00", "to": "18:00"}]
    config = write_campus(tmp_path, data=site_map_data(schedule))
    url = f"sqlite:///{tmp_path / 'tianyan.sqlite'}"
    store_quiet_day(url)
    with Store.open(url) as store:
        store.save_recordings(
            [
                # cam-3 records 08:00-18:00: footage ending at 18:00 yesterday is complete.
                footage("cam-3", NOW - 31 * D, h(18), NOW - 60),
                # nvr-2 has not been searched since 05:00.
                footage("cam-4", NOW - 31 * D, h(29), h(29)),
                footage("cam-5", NOW - 31 * D, h(29), h(29)),
            ],
            at=NOW - 60,
        )
    _, out, _ = report(config, dry_run=True)
    r = json.loads(out)
    assert [(n["nvr"], n["problem"], n["last_checked"]) for n in r["nvrs"]] == [
        ("nvr-2", "stale", h(29))
    ]
    assert r["channels"] == []

    with Store.open(url) as store:  # cam-3's footage stopped at 17:00, inside its schedule
        store.save_recordings([footage("cam-3", NOW - 31 * D, h(17), NOW - 60)], at=NOW - 60)
    _, out, _ = report(config, dry_run=True)
    assert [
        (c["camera"], c["problem"], c["footage_until"]) for c in json.loads(out)["channels"]
    ] == [("cam-3", "not_recording", h(17))]


# --------------------------------------------------------------------------- receivers


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float


class Receiver:
    """A loopback HTTP server that records every POST; robots' paths answer as robots do."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.failing: set[str] = set()
        self.live: dict[str, Any] | None = None
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        async def post(request: web.Request) -> web.Response:
            self.received.append(
                Received(
                    request.path,
                    dict(request.query),
                    dict(request.headers),
                    json.loads(await request.read()),
                    time.time(),
                )
            )
            if request.path in self.failing:
                # A broken server that echoes the whole request URL (and its key).
                return web.Response(status=500, text=f"internal error at {request.url}")
            if request.path.startswith(("/cgi-bin/", "/robot/")):
                return web.json_response({"errcode": 0, "errmsg": "ok"})
            return web.Response(text="ok")

        async def recordings(request: web.Request) -> web.Response:
            return web.json_response(self.live)

        app = web.Application()
        app.router.add_post("/{tail:.*}", post)
        app.router.add_get("/api/recordings", recordings)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def robot_channels(receiver: Receiver) -> list[dict[str, Any]]:
    return [
        {"type": "webhook", "name": "值班系统", "url_env": "TEST_HOOK_URL",
         "bearer_token_env": "TEST_HOOK_TOKEN"},
        {"type": "wecom", "name": "值班群", "url_env": "TEST_WECOM_URL"},
        {"type": "dingtalk", "name": "保卫处群", "url_env": "TEST_DINGTALK_URL",
         "secret_env": "TEST_DINGTALK_SECRET"},
    ]  # fmt: skip


def robot_env(receiver: Receiver, hook_path: str = "/hooks/cctv") -> dict[str, str]:
    return {
        "TEST_HOOK_URL": receiver.url(hook_path),
        "TEST_HOOK_TOKEN": HOOK_TOKEN,
        "TEST_WECOM_URL": receiver.url(f"/cgi-bin/webhook/send?key={WECOM_KEY}"),
        "TEST_DINGTALK_URL": receiver.url(f"/robot/send?access_token={DINGTALK_TOKEN}"),
        "TEST_DINGTALK_SECRET": DINGTALK_SECRET,
    }


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


async def send(config: Path, environ: dict[str, str], **kwargs: Any) -> tuple[int, str, str]:
    """The command in a worker thread, so the receivers in this loop can answer."""
    return await asyncio.to_thread(report, config, environ=environ, **kwargs)


async def test_zero_report_is_sent_to_every_channel(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = write_campus(tmp_path, {"channels": robot_channels(receiver)})
    store_quiet_day(f"sqlite:///{tmp_path / 'tianyan.sqlite'}")
    status, out, err = await send(config, robot_env(receiver))
    assert (status, err) == (0, "")
    assert sorted(out.splitlines()) == sorted(
        [
            "sent 2026-11-20 to 值班系统 (webhook, 127.0.0.1)",
            "sent 2026-11-20 to 值班群 (wecom, 127.0.0.1)",
            "sent 2026-11-20 to 保卫处群 (dingtalk, 127.0.0.1)",
        ]
    )

    # Generic webhook: the whole report as JSON, with the text and markdown forms.
    (hook,) = receiver.at("/hooks/cctv")
    assert hook.headers["Authorization"] == f"Bearer {HOOK_TOKEN}"
    assert hook.headers["Content-Type"].startswith("application/json")
    assert set(hook.body) == {"title", "date", "nothing_to_report", "text", "markdown", "report"}
    assert hook.body["title"] == "测试大学 视频监控日报 2026-11-20"
    assert (hook.body["date"], hook.body["nothing_to_report"]) == ("2026-11-20", True)
    assert NOTHING in hook.body["text"] and NOTHING in hook.body["markdown"]
    assert hook.body["report"]["score"]["value"] == 10

    # WeCom: {"msgtype": "markdown", "markdown": {"content": ...}}, key in the query.
    (wecom,) = receiver.at("/cgi-bin/webhook/send")
    assert wecom.query == {"key": WECOM_KEY}
    assert wecom.body == {"msgtype": "markdown", "markdown": {"content": hook.body["markdown"]}}

    # DingTalk: {"msgtype": "markdown", "markdown": {"title", "text"}}, signed.
    (ding,) = receiver.at("/robot/send")
    assert ding.body == {
        "msgtype": "markdown",
        "markdown": {"title": hook.body["title"], "text": hook.body["markdown"]},
    }
    assert set(ding.query) == {"access_token", "timestamp", "sign"}
    assert ding.query["access_token"] == DINGTALK_TOKEN
    timestamp = int(ding.query["timestamp"])
    assert abs(timestamp / 1000 - ding.at) < 60  # milliseconds, within DingTalk's hour
    # DingTalk's documented check: base64(HMAC-SHA256(secret, "timestamp\nsecret")).
    expected = hmac.new(
        DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
    ).digest()
    assert base64.b64decode(ding.query["sign"]) == expected

    assert_no_secret(out, err, caplog.text)
    assert "daily report sent channel=值班群 type=wecom host=127.0.0.1" in caplog.text


def test_dingtalk_signature_matches_the_documented_example() -> None:
    # URL-encoded: '+', '/' and '=' of the base64 text are escaped.
    sign = dingtalk_sign("this is secret", 1577808000000)
    digest = hmac.new(b"this is secret", b"1577808000000\nthis is secret", hashlib.sha256)
    encoded = base64.b64encode(digest.digest()).decode()
    assert sign == encoded.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


async def test_a_failing_channel_exits_1_and_the_others_still_get_it(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    closed = free_port()  # nothing listens there
    channels = [
        *robot_channels(receiver),
        {"type": "wecom", "name": "备用群", "url_env": "TEST_WECOM_DOWN_URL"},
    ]
    config = write_campus(tmp_path, {"channels": channels, "timeout_seconds": 5})
    store_day_with_outages(f"sqlite:///{tmp_path / 'tianyan.sqlite'}")
    receiver.failing.add("/hooks/broken")
    env = robot_env(receiver, f"/hooks/broken?token={HOOK_TOKEN}")
    env["TEST_WECOM_DOWN_URL"] = f"http://127.0.0.1:{closed}/cgi-bin/webhook/send?key={WECOM_KEY}"
    status, out, err = await send(config, env)
    assert status == 1
    failures = err.splitlines()
    assert len(failures) == 2  # one line per failed channel
    assert failures[0].startswith("tianyan: daily-report: 值班系统 (webhook, 127.0.0.1): HTTP 500")
    assert failures[1].startswith("tianyan: daily-report: 备用群 (wecom, 127.0.0.1): ")
    assert "Client" in failures[1] or "Error" in failures[1]
    # The server's echo of the URL reached nobody.
    assert "internal error at ***" in failures[0]
    # The other channels got the report.
    assert len(receiver.at("/cgi-bin/webhook/send")) == 1
    assert len(receiver.at("/robot/send")) == 1
    assert len(receiver.at("/hooks/broken")) == 1
    assert "sent 2026-11-20 to 值班群 (wecom, 127.0.0.1)" in out
    assert "daily report not sent channel=备用群 type=wecom host=127.0.0.1" in caplog.text
    assert_no_secret(out, err, caplog.text)


async def test_robot_refusal_is_a_failure(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A robot answers HTTP 200 with a non-zero errcode when it refuses a message."""
    caplog.set_level(logging.DEBUG)

    async def refuse(request: web.Request) -> web.Response:
        return web.json_response(
            {"errcode": 93000, "errmsg": f"invalid webhook url {request.query_string}"}
        )

    app = web.Application()
    app.router.add_post("/cgi-bin/webhook/send", refuse)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        port = runner.addresses[0][1]
        config = write_campus(tmp_path, {"channels": [{"type": "wecom", "url_env": "W"}]})
        env = {"W": f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key={WECOM_KEY}"}
        status, _, err = await send(config, env)
    finally:
        await runner.cleanup()
    assert status == 1
    assert err.strip() == (
        "tianyan: daily-report: wecom (wecom, 127.0.0.1): errcode 93000: invalid webhook url ***"
    )
    assert_no_secret(err, caplog.text)


def big_campus(cameras: int, name: str = "") -> dict[str, Any]:
    data = site_map_data()
    data["nvrs"] = []
    data["cameras"] = [
        {
            "id": f"cam-{n:03d}",
            "name": name or f"教学楼{n}号摄像机",
            "sites": ["west-dorm"],
            "onvif": {"host": "127.0.0.1", "port": 20000 + n},
        }
        for n in range(1, cameras + 1)
    ]
    return data


async def test_robot_messages_fit_their_limit(tmp_path: Path, receiver: Receiver) -> None:
    """80 cameras never probed: WeCom gets the lists shortened to fit 4096 bytes,
    every section still there; the webhook gets everything."""
    channels = robot_channels(receiver)
    config = write_campus(tmp_path, {"channels": channels, "max_items": 1000}, data=big_campus(80))
    status, _, err = await send(config, robot_env(receiver))
    assert status == 0, err
    (hook,) = receiver.at("/hooks/cctv")
    full = hook.body["markdown"]
    assert len(full.encode()) > 4096 and "cam-080" in full
    content = receiver.at("/cgi-bin/webhook/send")[0].body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.startswith("### 测试大学 视频监控日报 2026-11-20\n")
    assert "**监控系统自身 The monitor itself**" in content  # nothing lost at the end
    assert "…另有" in content and "more" in content
    # DingTalk takes up to 20,000 bytes: the whole list.
    assert receiver.at("/robot/send")[0].body["markdown"]["text"] == full


async def test_robot_message_cut_cleanly_when_shortening_is_not_enough(
    tmp_path: Path, receiver: Receiver
) -> None:
    title = "很长的标题" * 400  # 6,000 bytes in the first line alone
    config = write_campus(tmp_path, {"channels": robot_channels(receiver), "title": title})
    status, _, _ = await send(config, robot_env(receiver))
    assert status == 0
    content = receiver.at("/cgi-bin/webhook/send")[0].body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.startswith("### 很长的标题很长的标题")
    assert content.endswith("\n\n" + TRUNCATED_NOTE)
    # The webhook, which has no limit, has it all.
    assert title in receiver.at("/hooks/cctv")[0].body["markdown"]


def test_truncation_keeps_whole_lines_and_characters() -> None:
    text = "\n".join(f"- 第{n}行 line {n}" for n in range(1000))
    cut = truncate_utf8(text, 500, note="NOTE")
    assert len(cut.encode()) <= 500 and cut.endswith("\n\nNOTE")
    body = cut[: -len("\n\nNOTE")]
    assert all(line in text.splitlines() for line in body.splitlines())
    assert truncate_utf8("短", 4096) == "短"
    # One line longer than the limit: cut between characters, never inside one.
    cut = truncate_utf8("汉" * 3000, 100, note="N")
    assert cut == "汉" * 32 + "\n\nN" and len(cut.encode()) == 99


def test_markdown_within_prefers_shorter_lists(tmp_path: Path) -> None:
    config_path = write_campus(tmp_path, data=big_campus(40))
    config = load_config(config_path)
    loaded = load_site_map(config.site_map_path)
    built = command.gather(config, loaded, DAY, NOW, None, None)
    assert len(render_markdown(built, 40).encode()) > 3000
    fitted = markdown_within(built, 3000, 40)
    assert len(fitted.encode()) <= 3000 and TRUNCATED_NOTE not in fitted
    assert "…另有" in fitted


# --------------------------------------------------------------------------- live NVR health


async def test_live_nvr_and_disk_health_from_the_running_monitor(
    tmp_path: Path, receiver: Receiver
) -> None:
    config = write_campus(tmp_path, {"monitor_url": receiver.url("/")})
    store_quiet_day(f"sqlite:///{tmp_path / 'tianyan.sqlite'}")
    site_map = load_site_map(tmp_path / "site-map.yaml").site_map
    snapshot = RecordingSnapshot(
        finished_at=NOW - 100,
        nvrs={
            "nvr-1": NvrStatus("nvr-1", "onvif", False, NOW - 100, 300.0, "timeout", "no answer"),
            "nvr-2": NvrStatus(
                "nvr-2",
                "hikvision",
                True,
                NOW - 100,
                2.0,
                disks=(
                    Disk("1", "HDD1", "ok", 4 * 10**12, 10**12),
                    Disk("2", "HDD2", "smart_failed", 4 * 10**12, 10**12),
                ),
            ),
        },
    )
    receiver.live = recordings_to_json(snapshot, site_map)
    status, out, _ = await asyncio.to_thread(report, config, dry_run=True)
    r = json.loads(out)
    assert status == 0
    assert [(n["nvr"], n["problem"], n["reason"], n["detail"]) for n in r["nvrs"]] == [
        ("nvr-1", "down", "timeout", "no answer")
    ]
    assert r["disks"] == [
        {"nvr": "nvr-2", "name": "nvr-2", "disk": "HDD2", "status": "smart_failed"}
    ]
    assert r["notes"] == [] and r["issues"] == 2
    _, text, _ = await asyncio.to_thread(report, config, fmt="text", dry_run=True)
    assert "nvr-1 · 东区录像机 · 东校区 · 录像机无响应 NVR down: 超时 timeout（no answer）" in text
    assert "nvr-2 · 硬盘 disk HDD2 · 状态 status smart_failed（故障 failed）" in text


def test_nvr_and_disk_health_from_the_store_without_a_running_monitor(tmp_path: Path) -> None:
    config = write_campus(tmp_path)
    url = f"sqlite:///{tmp_path / 'tianyan.sqlite'}"
    store_quiet_day(url)
    with Store.open(url) as store:
        store.save_nvr_statuses(
            [
                NvrStatus("nvr-1", "onvif", False, NOW - 100, 300.0, "timeout", "no answer"),
                NvrStatus(
                    "nvr-2",
                    "hikvision",
                    True,
                    NOW - 100,
                    2.0,
                    disks=(Disk("2", "HDD2", "smart_failed", 4 * 10**12, 10**12, "smartFailed"),),
                ),
            ]
        )
    status, out, _ = report(config, dry_run=True)
    r = json.loads(out)
    assert status == 0 and r["notes"] == []
    assert [(n["nvr"], n["problem"], n["reason"]) for n in r["nvrs"]] == [
        ("nvr-1", "down", "timeout")
    ]
    assert [(d["disk"], d["status"]) for d in r["disks"]] == [("HDD2", "smart_failed")]


def test_unreachable_monitor_is_a_note_not_a_failure(tmp_path: Path) -> None:
    closed = free_port()
    config = write_campus(tmp_path, {"monitor_url": f"http://127.0.0.1:{closed}"})
    store_quiet_day(f"sqlite:///{tmp_path / 'tianyan.sqlite'}")
    status, out, _ = report(config, dry_run=True)
    r = json.loads(out)
    assert status == 0 and r["nothing_to_report"]
    (note,) = r["notes"]
    assert note.startswith(
        "录像机实时状态不可用 live NVR health unavailable: monitor at 127.0.0.1: "
    )


# --------------------------------------------------------------------------- email


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[Any]]]:
    pytest.importorskip(
        "aiosmtpd",
        reason="aiosmtpd is not installed (add 'aiosmtpd>=1.4' to the test extras): "
        "the email channel is tested against a real SMTP server only",
    )
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    # The server's own chatter (its thread logs every connection) would reach the
    # handlers a command under test installed on a captured, since-closed stderr.
    mail_log = logging.getLogger("mail.log")
    saved_level = mail_log.level
    mail_log.setLevel(logging.WARNING)

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 OK"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"tianyan",
            SMTP_PASSWORD.encode(),
        )
        # handled=False: the server answers a refusal with its own 535.
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()
        mail_log.setLevel(saved_level)


def email_channel(port: int) -> dict[str, Any]:
    return {
        "type": "email",
        "name": "值班邮箱",
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,  # a loopback test server without a certificate
        "from": "tianyan@example.edu.cn",
        "to": ["duty@example.edu.cn", "security@example.edu.cn"],
        "username": "tianyan",
        "password_env": "TEST_SMTP_PASSWORD",
    }


def test_email_to_a_real_smtp_server(
    tmp_path: Path, smtp_server: tuple[int, list[Any]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port, received = smtp_server
    config = write_campus(tmp_path, {"channels": [email_channel(port)]})
    store_day_with_outages(f"sqlite:///{tmp_path / 'tianyan.sqlite'}")
    status, out, err = report(config, environ={"TEST_SMTP_PASSWORD": SMTP_PASSWORD})
    assert (status, err) == (0, "")
    assert out.strip() == "sent 2026-11-20 to 值班邮箱 (email, 127.0.0.1)"
    (envelope,) = received
    assert envelope.mail_from == "tianyan@example.edu.cn"
    assert envelope.rcpt_tos == ["duty@example.edu.cn", "security@example.edu.cn"]
    message: EmailMessage = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "测试大学 视频监控日报 2026-11-20"
    text, attachment = [part for part in message.walk() if not part.is_multipart()]
    assert "异常 12 项 / 12 issues to report" in text.get_content()
    assert attachment.get_filename() == "daily-report-2026-11-20.json"
    assert json.loads(attachment.get_content())["outages"]["count"] == 3
    assert_no_secret(out, err, caplog.text, envelope.content.decode("utf-8", "replace"))


def test_email_with_a_wrong_password_fails(
    tmp_path: Path, smtp_server: tuple[int, list[Any]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port, received = smtp_server
    config = write_campus(tmp_path, {"channels": [email_channel(port)]})
    status, _, err = report(config, environ={"TEST_SMTP_PASSWORD": "wrong-" + SMTP_PASSWORD})
    assert status == 1 and received == []
    assert err.startswith(
        "tianyan: daily-report: 值班邮箱 (email, 127.0.0.1): login refused (SMTP 535)"
    )
    assert SMTP_PASSWORD not in err + caplog.text


def test_starttls_is_never_skipped(tmp_path: Path, smtp_server: tuple[int, list[Any]]) -> None:
    """With starttls (the default) a server that does not offer it gets nothing in clear."""
    port, received = smtp_server
    channel = {**email_channel(port), "starttls": True}
    config = write_campus(tmp_path, {"channels": [channel]})
    status, _, err = report(config, environ={"TEST_SMTP_PASSWORD": SMTP_PASSWORD})
    assert status == 1 and received == []
    assert "值班邮箱 (email, 127.0.0.1): SMTPNotSupportedError" in err
    assert SMTP_PASSWORD not in err


# --------------------------------------------------------------------------- config and CLI


def test_secrets_are_never_literal_in_the_config(tmp_path: Path) -> None:
    for channel, key in (
        ({"type": "dingtalk", "url_env": "U", "secret": "SECabc"}, "secret"),
        ({**email_channel(25), "password": "x"}, "password"),
        ({"type": "webhook", "url": "http://127.0.0.1/x", "token": "t"}, "token"),
    ):
        config = write_campus(tmp_path, {"channels": [channel]})
        with pytest.raises(ConfigError) as error:
            load_config(config)
        assert f"'{key}' is not accepted in the file" in str(error.value)
        assert "SECabc" not in str(error.value)


def test_config_mistakes_are_refused(tmp_path: Path) -> None:
    for section, message in (
        ({"channels": [{"type": "wecom"}]}, "give exactly one of url and url_env"),
        ({"channels": [{"type": "wecom", "url": "ftp://x/y?key=abc"}]}, "not an http"),
        ({"channels": [{"type": "sms", "url_env": "X"}]}, "does not match any of the expected"),
        ({"channels": [{"type": "wecom", "url_env": "1X"}]}, "not an environment variable"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"channel": []}, "Extra inputs are not permitted"),
        (
            {"channels": [{**email_channel(25), "ssl": True, "starttls": True}]},
            "exclude each other",
        ),
    ):
        config = write_campus(tmp_path, section)
        with pytest.raises(ConfigError) as error:
            load_config(config)
        assert message in str(error.value)
        assert "key=abc" not in str(error.value)


async def test_cli_exit_statuses(
    tmp_path: Path,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through `tianyan daily-report`: 2 for a missing secret (nothing sent), 0 when sent,
    1 when a channel fails; the log names the host only."""
    config = write_campus(tmp_path, {"channels": robot_channels(receiver)})
    store_quiet_day(f"sqlite:///{tmp_path / 'tianyan.sqlite'}")
    env = robot_env(receiver)
    for name, value in env.items():
        if name != "TEST_DINGTALK_SECRET":
            monkeypatch.setenv(name, value)
    assert await cli(["daily-report", str(config), "--date", "2026-11-20"]) == 2
    err = capsys.readouterr().err
    assert "environment variable TEST_DINGTALK_SECRET (signing secret) is not set" in err
    assert receiver.received == []

    monkeypatch.setenv("TEST_DINGTALK_SECRET", DINGTALK_SECRET)
    assert await cli(["daily-report", str(config), "--date", "2026-11-20"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3 and len(receiver.received) == 3

    receiver.failing.add("/cgi-bin/webhook/send")
    assert await cli(["daily-report", str(config)]) == 1  # yesterday: 2026-11-20 as well
    captured = capsys.readouterr()
    assert "值班群 (wecom, 127.0.0.1): HTTP 500" in captured.err
    assert "daily report not sent channel=值班群 type=wecom host=127.0.0.1" in captured.err
    assert_no_secret(captured.out, captured.err)

    assert await cli(["daily-report", str(config), "--date", "2026-02-30", "--dry-run"]) == 2
    assert "--date: '2026-02-30' is not a date" in capsys.readouterr().err


async def test_cli_dry_run_prints_and_sends_nothing(
    tmp_path: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    # No environment variables at all: a dry run needs no secret.
    config = write_campus(tmp_path, {"channels": robot_channels(receiver)})
    store_quiet_day(f"sqlite:///{tmp_path / 'tianyan.sqlite'}")
    assert await cli(["daily-report", str(config), "--dry-run", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### 测试大学 视频监控日报 2026-11-20\n")
    assert f"**{NOTHING}**" in out
    assert receiver.received == []


async def cli(argv: list[str]) -> int:
    """`tianyan ...` in a worker thread, so the receivers in this loop can answer."""
    return await asyncio.to_thread(main, argv)


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["daily-report", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for word in ("--date", "--dry-run", "--format", "零报告", "wecom", "dingtalk"):
        assert word in out
