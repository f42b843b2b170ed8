"""`tianyan report` and `/api/report`: every headline figure of a stored period checked by hand.

The campus is tests/campus.small_campus() (two campuses, six key sites, eight
cameras; west-library has no camera) with two NVRs recording cam-1 … cam-7
(cam-8 is not recorded). The period is 2026-11-01 … 2026-11-02 in
Asia/Shanghai, 48 hours; times are written in hours from its first midnight
(`h(…)`), and the report is made at NOW = h(50), 2026-11-03 02:00.

What happened (the monitor ran from h(-24), except h(30)–h(32), an upgrade):

    camera  online history                         intact history (extra)
    cam-3   offline h(-2) → h(3)   unreachable     same
    cam-4   offline h(10) → h(12)  auth_failed     same
    cam-5   offline h(40) → still down at NOW      same
    cam-6   offline h(29) → h(33)  timeout         same (2 h of it unmonitored)
    cam-7   always online                          black picture h(20) → h(26)
    cam-8   always online                          frozen picture h(44) → NOW

Footage (searched up to a minute before NOW): every channel from NOW − 31 days, except
cam-2 (a new disk: from h(-100)); cam-3 lost h(0)–h(3), cam-5 stops at
h(40), cam-6 lost h(20)–h(21).
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from monitor.config import ResolvedConfig, load_config
from monitor.history.query import HistoryReader
from monitor.probing.result import Reason, Stage
from monitor.reports import ReportError, build_period_report, report_to_json
from monitor.reports.command import run_report
from monitor.reports.period import Figure, PeriodReport, parse_report_period
from monitor.state import Transition
from monitor.storage.store import RecordingRecord, Store
from site_map.loader import LoadedSiteMap, load_site_map
from tests.campus import PASSWORD, PASSWORD_ENV, small_campus, write_yaml

TZ = "Asia/Shanghai"
H = 3600.0
D = 86400.0
ORIGIN = datetime(2026, 11, 1, tzinfo=ZoneInfo(TZ)).timestamp()
FIRST, LAST = date(2026, 11, 1), date(2026, 11, 2)
ENV = {PASSWORD_ENV: PASSWORD}


def h(hours: float) -> float:
    return ORIGIN + hours * H


NOW = h(50)
CHECKED = NOW - 60  # the last footage search, a minute ago
CAMERAS = [f"cam-{n}" for n in range(1, 9)]


# --------------------------------------------------------------------------- the campus


def campus_data() -> dict[str, Any]:
    data = small_campus(list(range(21001, 21009)))  # never contacted: nothing is probed
    nvr = {"kind": "onvif", "host": "127.0.0.1", "timezone": TZ}
    data["nvrs"] = [
        {"id": "nvr-east", "port": 21101, "campus": "east", **nvr},
        {"id": "nvr-west", "port": 21102, "campus": "west", **nvr},
    ]
    for camera in data["cameras"]:
        n = int(camera["id"].split("-")[1])
        if n <= 4:
            camera["nvr"] = {"id": "nvr-east", "channel": n}
        elif n <= 7:
            camera["nvr"] = {"id": "nvr-west", "channel": n - 4}
    return data


def write_campus(tmp_path: Path, data: dict[str, Any] | None = None) -> Path:
    write_yaml(tmp_path / "site-map.yaml", data or campus_data())
    return write_yaml(tmp_path / "config.yaml", {"site_map": "site-map.yaml"})


def on(camera: str, hours: float) -> Transition:
    return Transition(camera, h(hours), True)


def off(camera: str, hours: float, stage: Stage, reason: Reason) -> Transition:
    return Transition(camera, h(hours), False, stage, reason)


def cycle(
    store: Store, hours: float, online: list[Transition], intact: list[Transition] | None = None
) -> None:
    """One stored cycle; intact changes default to the online ones (offline = not intact)."""
    store.save_cycle(
        started_at=h(hours),
        finished_at=h(hours) + 1,
        states=[],
        transitions=online,
        intact_changes=online if intact is None else intact,
    )


def footage(camera: str, *intervals: tuple[float, float]) -> RecordingRecord:
    return RecordingRecord(camera, tuple(intervals), CHECKED, CHECKED)


def store_period(url: str) -> None:
    """The stored history of the module docstring."""
    video = (Stage.QUALITY, Reason.VIDEO_FAULT)
    with Store.open(url) as store:
        store.record_monitor_start(h(-24))
        cycle(store, -24, [on(c, -24) for c in CAMERAS])
        cycle(store, -2, [off("cam-3", -2, Stage.TCP, Reason.UNREACHABLE)])
        cycle(store, 3, [on("cam-3", 3)])
        cycle(store, 10, [off("cam-4", 10, Stage.ONVIF, Reason.AUTH_FAILED)])
        cycle(store, 12, [on("cam-4", 12)])
        cycle(store, 20, [], [Transition("cam-7", h(20), False, *video)])
        cycle(store, 26, [], [on("cam-7", 26)])
        cycle(store, 29, [off("cam-6", 29, Stage.ONVIF, Reason.TIMEOUT)])
        cycle(store, 30 - 1 / 60, [])
        store.record_monitor_stop(h(30))  # an upgrade: not monitored h(30)–h(32)
        store.record_monitor_start(h(32))
        cycle(store, 33, [on("cam-6", 33)])
        cycle(store, 40, [off("cam-5", 40, Stage.TCP, Reason.TIMEOUT)])
        cycle(store, 44, [], [Transition("cam-8", h(44), False, *video)])
        store.save_cycle(started_at=NOW - 30, finished_at=NOW - 10, states=[], transitions=[])
        start = NOW - 31 * D
        store.save_recordings(
            [
                footage("cam-1", (start, CHECKED)),
                footage("cam-2", (h(-100), CHECKED)),
                footage("cam-3", (start, h(0)), (h(3), CHECKED)),
                footage("cam-4", (start, CHECKED)),
                footage("cam-5", (start, h(40))),
                footage("cam-6", (start, h(20)), (h(21), CHECKED)),
                footage("cam-7", (start, CHECKED)),
            ],
            at=CHECKED,
        )


@pytest.fixture
def stored(tmp_path: Path) -> tuple[ResolvedConfig, LoadedSiteMap]:
    config = load_config(write_campus(tmp_path))
    store_period(config.database_url)
    return config, load_site_map(config.site_map_path, environ=ENV)


def build(stored: tuple[ResolvedConfig, LoadedSiteMap], **filters: str | None) -> PeriodReport:
    config, loaded = stored
    with Store.open(config.database_url) as store:
        return build_period_report(loaded, store, config, FIRST, LAST, now=NOW, **filters)


def hours(figure: Figure) -> tuple[float, float]:
    return (figure.numerator / H, figure.denominator / H)


approx = pytest.approx


# --------------------------------------------------------------------------- the school


def test_the_scorecard_of_the_period_by_hand(stored) -> None:
    report = build(stored)
    assert (report.period.start, report.period.end) == (h(0), h(48))
    card = {line.rule: line for line in report.scorecard.lines}

    # Install, as of the end: every site but west-library (no camera, 1 required) → 5 / 6.
    assert (card["install"].figure.numerator, card["install"].figure.denominator) == (5, 6)
    assert card["install"].figure.unit == "sites"
    assert (card["install"].met, card["install"].points) == (False, 2)

    # Monitored: 48 h − 2 h (monitor down h(30)–h(32)) = 46 h for each of 8 cameras = 368 h.
    # Not intact while monitored: cam-3 3 h (h0–h3), cam-4 2 h, cam-5 8 h (h40–h48),
    # cam-6 2 h (h29–h30, h32–h33), cam-7 6 h (black), cam-8 4 h (frozen) = 25 h.
    # Intact = 343 h / 368 h = 93.21 % < 95 % → −2.
    assert hours(card["intact"].figure) == approx((343, 368))
    assert card["intact"].figure.unit == "camera-seconds"
    assert card["intact"].figure.ratio == approx(343 / 368)
    assert (card["intact"].met, card["intact"].points) == (False, 2)
    assert "1,234,800 s / 1,324,800 s camera-seconds = 93.20%" in card["intact"].reason

    # Storage: 7 recorded channels × 48 h = 336 h expected; missing cam-3 3 h, cam-5 8 h,
    # cam-6 1 h = 12 h; recorded 324 h / 336 h = 96.43 % ≥ 95 % → no deduction.
    assert hours(card["storage"].figure) == approx((324, 336))
    assert (card["storage"].met, card["storage"].points) == (True, 0)

    # Availability (no target): offline while monitored cam-3 3 h, cam-4 2 h, cam-5 8 h,
    # cam-6 2 h = 15 h; online 353 h / 368 h = 95.92 %.
    assert hours(card["availability"].figure) == approx((353, 368))
    assert (card["availability"].target, card["availability"].points) == (None, 0)

    # The east gate has face recognition (cam-1) and a vehicle checkpoint (cam-2): 1 / 1.
    gate = card["gate_capabilities"]
    assert (gate.figure.numerator, gate.figure.denominator, gate.met, gate.points) == (
        1,
        1,
        True,
        0,
    )

    # Score: 10 − 2 (install) − 2 (intact) = 6.
    score = report.scorecard
    assert (score.value, score.maximum, score.school_wide) == (6, 10, True)
    assert [(d.rule, d.points) for d in score.deductions] == [("install", 2), ("intact", 2)]
    assert "5 / 6 sites = 83.33%" in score.deductions[0].reason
    assert "设备完好率" in score.deductions[1].reason


def test_rates_per_campus_category_and_unit(stored) -> None:
    report = build(stored)
    scopes = {(r.scope_type, r.scope_id): r for r in report.scopes}
    school = scopes[("school", "")]
    assert (school.sites, school.cameras, school.channels) == (6, 8, 7)
    assert school.unmonitored_seconds == approx(8 * 2 * H)  # 8 cameras × 2 h

    # East: cam-1 … cam-4, 4 × 46 h = 184 h monitored; offline cam-3 3 h + cam-4 2 h.
    east = scopes[("campus", "east")]
    assert (east.install.numerator, east.install.denominator) == (3, 3)
    assert hours(east.availability) == approx((179, 184))
    assert hours(east.intact) == approx((179, 184))
    # Channels 1–4: 4 × 48 h = 192 h expected, cam-3 lost 3 h.
    assert hours(east.storage) == approx((189, 192))

    # West: cam-5 … cam-8; offline cam-5 8 h + cam-6 2 h; not intact also cam-7 6 h,
    # cam-8 4 h; channels cam-5, cam-6, cam-7: 144 h expected, 9 h lost.
    west = scopes[("campus", "west")]
    assert (west.install.numerator, west.install.denominator) == (2, 3)
    assert hours(west.availability) == approx((174, 184))
    assert hours(west.intact) == approx((164, 184))
    assert hours(west.storage) == approx((135, 144))
    assert west.channels == 3

    gate = scopes[("category", "gate")]
    assert hours(gate.availability) == approx((92, 92))
    assert hours(gate.storage) == approx((96, 96))
    library = scopes[("category", "library")]
    assert (library.install.numerator, library.install.denominator, library.cameras) == (0, 1, 0)
    assert library.intact.ratio is None and library.storage.ratio is None  # absent, never 0

    finance = scopes[("unit", "财务处")]  # west-finance: cam-5, cam-6
    assert hours(finance.availability) == approx((82, 92))
    assert hours(finance.storage) == approx((87, 96))

    # MTTR over the outages that ended: cam-3 5 h (h(-2)–h(3)), cam-4 2 h, cam-6 4 h.
    assert (school.outages, school.outages_ended) == (4, 3)
    assert school.mttr_seconds == approx(11 / 3 * H)


def test_non_compliant_sites_with_their_reasons(stored) -> None:
    report = build(stored)
    reasons = {s.id: s.reasons for s in report.non_compliant_sites}
    assert list(reasons) == ["east-lab", "west-finance", "west-dorm", "west-library"]
    # east-lab (cam-3): intact 43 h / 46 h = 93.47 %, storage 45 h / 48 h = 93.75 %.
    assert reasons["east-lab"] == (
        "intact 154,800 s / 165,600 s camera-seconds = 93.47% below target 95%",
        "storage 162,000 s / 172,800 s = 93.75% below target 95%",
    )
    # west-finance (cam-5, cam-6): intact 82 h / 92 h; storage 87 h / 96 h.
    assert [r.split(" = ")[1] for r in reasons["west-finance"]] == [
        "89.13% below target 95%",
        "90.62% below target 95%",
    ]
    # west-dorm: cam-7 black 6 h, cam-8 frozen 4 h → 82 h / 92 h; its footage (cam-7) is whole.
    assert len(reasons["west-dorm"]) == 1 and "89.13%" in reasons["west-dorm"][0]
    assert reasons["west-library"] == ("0 of 1 required cameras installed",)
    sites = {s.id: s for s in report.sites}
    assert sites["east-gate"].compliant and sites["east-canteen"].compliant
    # east-canteen (cam-4): intact 44 h / 46 h = 95.65 % meets 95 %.
    assert hours(sites["east-canteen"].intact) == approx((44, 46))


def test_cameras_outage_log_and_mttr(stored) -> None:
    report = build(stored)
    cameras = {c.id: c for c in report.cameras}
    assert hours(cameras["cam-3"].availability) == approx((43, 46))
    assert hours(cameras["cam-7"].availability) == approx((46, 46))
    assert hours(cameras["cam-7"].intact) == approx((40, 46))
    assert hours(cameras["cam-8"].intact) == approx((42, 46))
    assert cameras["cam-8"].storage is None  # not recorded
    assert hours(cameras["cam-5"].storage) == approx((40, 48))

    log = [
        (o.camera, o.start, o.end, o.stage, o.reason, o.seconds, o.repair_seconds)
        for o in report.outages
    ]
    assert log == [
        # Began before the period: 3 h inside it, 5 h to repair.
        ("cam-3", h(-2), h(3), "tcp", "unreachable", approx(3 * H), approx(5 * H)),
        ("cam-4", h(10), h(12), "onvif", "auth_failed", approx(2 * H), approx(2 * H)),
        ("cam-6", h(29), h(33), "onvif", "timeout", approx(4 * H), approx(4 * H)),
        # Still down when the report was made: 8 h in the period, no time to repair.
        ("cam-5", h(40), None, "tcp", "timeout", approx(8 * H), None),
    ]
    outages = {o.camera: o for o in report.outages}
    assert outages["cam-6"].unmonitored_seconds == approx(2 * H)  # the monitor's upgrade
    assert outages["cam-5"].length_seconds == approx(10 * H)  # h(40) → NOW
    assert report.mttr_seconds == approx((5 + 2 + 4) / 3 * H)  # 3 h 40 min


def test_daily_trend(stored) -> None:
    report = build(stored)
    days = {d.day: d for d in report.days}
    assert list(days) == [FIRST, LAST]
    first, second = days[FIRST], days[LAST]
    # 1 November: 8 × 24 h = 192 h monitored; offline cam-3 3 h, cam-4 2 h → 187 h;
    # not intact also cam-7 h(20)–h(24) → 183 h; footage 7 × 24 h = 168 h, lost cam-3 3 h,
    # cam-6 1 h → 164 h.
    assert (first.start, first.end) == (h(0), h(24))
    assert hours(first.availability) == approx((187, 192))
    assert hours(first.intact) == approx((183, 192))
    assert hours(first.storage) == approx((164, 168))
    # 2 November: 8 × 22 h = 176 h monitored; offline cam-5 8 h, cam-6 2 h → 166 h; not
    # intact also cam-7 2 h, cam-8 4 h → 160 h; footage lost cam-5 8 h → 160 h of 168 h.
    assert hours(second.availability) == approx((166, 176))
    assert hours(second.intact) == approx((160, 176))
    assert hours(second.storage) == approx((160, 168))
    # The days add up to the period.
    assert first.intact.numerator + second.intact.numerator == approx(343 * H)


def test_storage_and_retention_per_channel(stored) -> None:
    report = build(stored)
    channels = {c.camera: c for c in report.channels}
    assert list(channels) == [f"cam-{n}" for n in range(1, 8)]
    assert (channels["cam-5"].nvr, channels["cam-5"].channel) == ("nvr-west", 1)
    assert hours(channels["cam-6"].period) == approx((47, 48))
    # Retention now: footage from NOW − 31 days (met), cam-2 only from h(-100) (6.25 days).
    assert channels["cam-1"].retention_seconds == approx(31 * D)
    assert channels["cam-1"].retention_met is True
    assert channels["cam-2"].retention_seconds == approx(150 * H)
    assert channels["cam-2"].retention_met is False
    assert channels["cam-5"].recording_now is False  # stopped at h(40)
    assert channels["cam-1"].recording_now is True


# --------------------------------------------------------------------------- filters


def test_a_campus_filter_restricts_every_section(stored) -> None:
    report = build(stored, campus="west")
    assert report.scope_name == "Test University — campus west"
    assert [c.id for c in report.cameras] == ["cam-5", "cam-6", "cam-7", "cam-8"]
    assert [s.id for s in report.sites] == ["west-finance", "west-dorm", "west-library"]
    assert {o.camera for o in report.outages} == {"cam-5", "cam-6"}
    assert [c.camera for c in report.channels] == ["cam-5", "cam-6", "cam-7"]
    assert [r.scope_id for r in report.campuses] == ["west"]
    card = {line.rule: line for line in report.scorecard.lines}
    # The west campus's figures (see test_rates_per_campus_category_and_unit).
    assert (card["install"].figure.numerator, card["install"].figure.denominator) == (2, 3)
    assert hours(card["intact"].figure) == approx((164, 184))
    assert hours(card["storage"].figure) == approx((135, 144))  # 93.75 % < 95 %
    # No gate on the west campus: the gate rule does not apply to this scope.
    assert (card["gate_capabilities"].met, card["gate_capabilities"].points) == (None, 0)
    assert (report.scorecard.value, report.scorecard.school_wide) == (4, False)
    days = {d.day: d for d in report.days}
    # 2 November, west: 4 × 22 h = 88 h; offline cam-5 8 h, cam-6 2 h.
    assert hours(days[LAST].availability) == approx((78, 88))


def test_category_and_unit_filters(stored) -> None:
    gate = build(stored, category="gate")
    assert [s.id for s in gate.sites] == ["east-gate"]
    assert gate.scorecard.value == 10 and not gate.scorecard.deductions
    finance = build(stored, unit="财务处")
    assert [c.id for c in finance.cameras] == ["cam-5", "cam-6"]
    assert hours(finance.total.intact) == approx((82, 92))
    # 10 − 2 (intact 89.1 %) − 2 (storage 87 h / 96 h = 90.6 %); no gate in the unit.
    assert [(d.rule, d.points) for d in finance.scorecard.deductions] == [
        ("intact", 2),
        ("storage", 2),
    ]
    both = build(stored, campus="east", category="laboratory")
    assert [s.id for s in both.sites] == ["east-lab"] and both.total.cameras == 1


def test_unknown_filters_and_bad_dates_are_refused(stored) -> None:
    with pytest.raises(ReportError, match=r"unknown campus 'south'.*east, west"):
        build(stored, campus="south")
    with pytest.raises(ReportError, match="unknown category 'kitchen'"):
        build(stored, category="kitchen")
    with pytest.raises(ReportError, match=r"unknown unit '后勤处'.*保卫处, 财务处"):
        build(stored, unit="后勤处")
    with pytest.raises(ReportError, match="'2026-13-01' is not a date"):
        parse_report_period("2026-13-01", "2026-12-02", TZ)
    with pytest.raises(ReportError, match=r"ends .* before it begins"):
        parse_report_period("2026-11-05", "2026-11-01", TZ)
    with pytest.raises(ReportError, match="at most 366 days"):
        parse_report_period("2025-01-01", "2026-01-02", TZ)  # 367 days
    assert parse_report_period("2024-01-01", "2024-12-31", TZ).days()[-1][0] == date(2024, 12, 31)
    config, loaded = stored
    with Store.open(config.database_url) as store, pytest.raises(ReportError, match="not begun"):
        build_period_report(loaded, store, config, date(2026, 12, 1), date(2026, 12, 2), now=NOW)


def test_a_period_still_running_stops_at_now(stored) -> None:
    """2 November … 3 November, made at 3 November 02:00: 2 h of the 3rd counted."""
    config, loaded = stored
    with Store.open(config.database_url) as store:
        report = build_period_report(loaded, store, config, LAST, date(2026, 11, 3), now=NOW)
    assert [d.day for d in report.days] == [LAST, date(2026, 11, 3)]
    third = report.days[1]
    # h(48)–h(50): 8 × 2 h = 16 h; cam-5 is down: 14 h online.
    assert hours(third.availability) == approx((14, 16))
    # Footage is expected only up to NOW and known up to its last search, a minute
    # before: 7 × 2 h = 14 h expected; cam-5 lost 2 h, the others the last minute.
    assert (third.storage.numerator, third.storage.denominator) == approx(
        (6 * (2 * H - 60), 14 * H)
    )
    assert report.as_of == NOW


# --------------------------------------------------------------------------- command and API


def test_the_command_writes_every_format(stored, tmp_path: Path) -> None:
    config, loaded = stored
    out, err = io.StringIO(), io.StringIO()
    args = {"first": "2026-11-01", "last": "2026-11-02", "now": NOW, "out": out, "err": err}
    assert run_report(config, loaded, fmt="json", **args) == 0, err.getvalue()
    data = json.loads(out.getvalue())
    assert data["scorecard"]["score"]["value"] == 6
    assert data == json.loads(json.dumps(report_to_json(build(stored))))
    for fmt, magic in (("xlsx", b"PK"), ("csv", b"PK"), ("html", b"<!doctype html>")):
        target = tmp_path / f"report.{fmt}"
        assert run_report(config, loaded, fmt=fmt, output=str(target), **args) == 0
        assert target.read_bytes().startswith(magic)
    assert "score 6/10, 4 of 6 key sites not compliant" in err.getvalue()
    err.truncate(0)
    assert run_report(config, loaded, fmt="json", campus="south", **args) == 2
    assert "unknown campus 'south'" in err.getvalue()
    bad = {**args, "first": "yesterday"}
    assert run_report(config, loaded, fmt="json", **bad) == 2


def test_the_cli_parses_its_options(stored, tmp_path: Path, monkeypatch, capsys) -> None:
    from monitor.cli import main
    from monitor.reports import command

    config, _ = stored
    seen: dict[str, Any] = {}

    def fake(config: ResolvedConfig, loaded: LoadedSiteMap, **kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setattr(command, "run_report", fake)
    argv = ["report", str(config.path), "--from", "2026-11-01", "--to", "2026-11-02"]
    argv += ["--format", "xlsx", "-o", "x.xlsx", "--campus", "west", "--unit", "财务处"]
    assert main(argv) == 0
    assert seen == {
        "first": "2026-11-01",
        "last": "2026-11-02",
        "fmt": "xlsx",
        "output": "x.xlsx",
        "campus": "west",
        "category": None,
        "unit": "财务处",
    }


async def test_the_api_serves_the_report(stored) -> None:
    from monitor.api.http import HISTORY
    from monitor.api.report_routes import REPORT, ReportContext, add_report_routes

    config, loaded = stored
    store = Store.open(config.database_url)
    app = web.Application()
    app[HISTORY] = HistoryReader(store, loaded.site_map, (), poll_interval=60, inside_monitor=False)
    app[REPORT] = ReportContext(loaded, config, clock=lambda: NOW)
    add_report_routes(app)
    async with TestClient(TestServer(app)) as client:
        answer = await client.get("/api/report", params={"from": "2026-11-01", "to": "2026-11-02"})
        assert answer.status == 200, await answer.text()
        assert answer.content_type == "application/json"
        data = await answer.json()
        assert data == json.loads(json.dumps(report_to_json(build(stored))))
        west = await client.get(
            "/api/report", params={"from": "2026-11-01", "to": "2026-11-02", "campus": "west"}
        )
        assert (await west.json())["scorecard"]["score"]["value"] == 4
        for params, message in (
            ({"from": "2026-11-01"}, "give to as YYYY-MM-DD"),
            ({"from": "2026-11-31", "to": "2026-12-01"}, "'2026-11-31' is not a date"),
            ({"from": "2026-11-01", "to": "2026-11-02", "unit": "x"}, "unknown unit 'x'"),
            ({"from": "2026-11-01", "to": "2026-11-02", "format": "pdf"}, "unknown format"),
        ):
            bad = await client.get("/api/report", params=params)
            assert bad.status == 400
            assert message in (await bad.json())["error"]
        xlsx = await client.get(
            "/api/report", params={"from": "2026-11-01", "to": "2026-11-02", "format": "xlsx"}
        )
        assert xlsx.status == 200 and (await xlsx.read()).startswith(b"PK")
        assert "tianyan-report-2026-11-01-2026-11-02.xlsx" in xlsx.headers["Content-Disposition"]
    store.close()
