"""The period report's sections as tables: one definition shared by the CSV and XLSX files.

Each table has columns with a machine name (the CSV header), a Chinese and an
English title (the XLSX headers) and a kind that tells the writers how to
show the value: a ratio as a percentage, a time in the report's zone, and so
on. Every rate is spread over three columns, numerator, denominator and
ratio, so a spreadsheet user can redo the division.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from monitor.history.periods import format_duration
from monitor.reports.period import (
    TARGETED_RULES,
    CameraRow,
    DayRow,
    Figure,
    PeriodReport,
    ScopeRow,
    SiteRow,
)

# Value kinds: how a writer shows a cell.
TEXT, INT, NUMBER, RATIO, SECONDS, TIME, DATE, BOOL = (
    "text",
    "int",
    "number",
    "ratio",
    "seconds",
    "time",
    "date",
    "bool",
)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str = TEXT


@dataclass(frozen=True)
class Table:
    key: str  # file name in the ZIP (without .csv)
    sheet: str  # sheet name in the workbook (at most 31 characters)
    zh: str
    en: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]


def _c(key: str, zh: str, en: str, kind: str = TEXT) -> Column:
    return Column(key, zh, en, kind)


def _rate_columns(
    prefix: str, zh: str, numerator: tuple[str, str, str], denominator: tuple[str, str, str]
) -> tuple[Column, ...]:
    """Numerator, denominator and ratio columns of one rate."""
    kind = INT if numerator[0].endswith("sites") else SECONDS
    return (
        _c(numerator[0], numerator[1], numerator[2], kind),
        _c(denominator[0], denominator[1], denominator[2], kind),
        _c(prefix, zh, prefix, RATIO),
    )


AVAILABILITY = _rate_columns(
    "availability",
    "在线率",
    ("online_seconds", "在线时长(秒)", "online seconds"),
    ("monitored_seconds", "监测时长(秒)", "monitored seconds"),
)
INTACT = _rate_columns(
    "intact",
    "完好率",
    ("intact_seconds", "完好时长(秒)", "intact seconds"),
    ("intact_monitored_seconds", "完好监测时长(秒)", "monitored seconds (intact)"),
)
STORAGE = _rate_columns(
    "storage",
    "存储完好率",
    ("recorded_seconds", "已录时长(秒)", "recorded seconds"),
    ("expected_seconds", "应录时长(秒)", "expected seconds"),
)
INSTALL = _rate_columns(
    "install",
    "安装率",
    ("install_ok_sites", "安装达标部位", "install-ok sites"),
    ("install_sites", "重点部位数", "key sites"),
)


# Column groups shared by several tables; `_site_values`, `_period_values`,
# `_outage_values` and `ScopeRow.met` give one row's values for them.
SITE = (
    _c("site", "部位", "site"),
    _c("name", "名称", "name"),
    _c("campus", "校区", "campus"),
    _c("category", "类别", "category"),
    _c("unit", "责任单位", "unit"),
)
PERIOD_RATES = (
    *AVAILABILITY,
    *INTACT,
    *STORAGE,
    _c("channels_recorded", "录像通道数", "recorded channels", INT),
)
OUTAGE_COUNTS = (
    _c("unmonitored_seconds", "未监测时长(秒)", "unmonitored seconds", SECONDS),
    _c("outages", "故障次数", "outages", INT),
    _c("outages_ended", "已修复次数", "outages ended", INT),
    _c("mttr_seconds", "平均修复时长(秒)", "MTTR seconds", SECONDS),
)
# In the order of TARGETED_RULES, as `ScopeRow.met` gives them.
TARGETS_MET = (
    _c("install_met", "安装达标", "install met", BOOL),
    _c("intact_met", "完好达标", "intact met", BOOL),
    _c("storage_met", "存储达标", "storage met", BOOL),
)


def _values(figure: Figure | None) -> tuple[Any, Any, Any]:
    if figure is None:
        return (None, None, None)
    return (figure.numerator, figure.denominator, figure.ratio)


def _site_values(site: SiteRow) -> tuple[Any, ...]:
    """A site's `SITE` columns."""
    return (site.id, site.name, site.campus, site.category, site.unit)


def _period_values(row: ScopeRow | SiteRow | DayRow) -> tuple[Any, ...]:
    """A row's `PERIOD_RATES` columns."""
    return (
        *_values(row.availability),
        *_values(row.intact),
        *_values(row.storage),
        row.channels,
    )


def _outage_values(row: ScopeRow | CameraRow) -> tuple[Any, ...]:
    """A row's `OUTAGE_COUNTS` columns."""
    return (row.unmonitored_seconds, row.outages, row.outages_ended, row.mttr_seconds)


def _join(items: Iterable[str], sep: str = ", ") -> str:
    return sep.join(items)


def _about(report: PeriodReport) -> Table:
    period = report.period
    filters = ", ".join(f"{k}={v}" for k, v in report.filters.items() if v is not None)
    rows: list[tuple[Any, ...]] = [
        ("school", "学校", report.school),
        ("scope", "范围", report.scope_name),
        ("filters", "筛选", filters or "—"),
        ("from", "起始日期", period.first_day.isoformat()),
        ("to", "截止日期（含）", period.last_day.isoformat()),
        ("timezone", "时区", period.timezone),
        ("generated_at", "生成时间", report.generated_at),
        ("as_of", "地图与路网状态时刻", report.as_of),
        ("score", "得分", f"{report.scorecard.value} / {report.scorecard.maximum}"),
        *(
            (f"target_{rule}", f"{rule} 目标", f"{getattr(report.targets, rule) * 100:g}%")
            for rule in TARGETED_RULES
        ),
        ("retention_days", "录像保存目标(天)", str(report.retention_days)),
        *((f"note_{i + 1}", "说明", note) for i, note in enumerate(report.notes)),
    ]
    # Times are shown as text here: the column holds mixed values.
    shown = [
        (k, zh, _local_text(report, v) if k in ("generated_at", "as_of") else v)
        for k, zh, v in rows
    ]
    return Table(
        "about",
        "说明 About",
        "报告说明",
        "About this report",
        (_c("item", "项目", "item"), _c("item_zh", "项目（中文）", "item (Chinese)"),
         _c("value", "值", "value")),
        shown,
    )  # fmt: skip


def _local_text(report: PeriodReport, seconds: float) -> str:
    return report.period.local_time(seconds).isoformat(timespec="seconds")


def report_tables(report: PeriodReport) -> list[Table]:
    """Every section of the report as a table, in the order of the HTML report."""
    card = report.scorecard
    scorecard_rows: list[tuple[Any, ...]] = [
        (
            line.rule,
            line.name_zh,
            line.name_en,
            line.figure.numerator,
            line.figure.denominator,
            line.figure.unit,
            line.figure.ratio,
            line.target,
            line.met,
            line.points,
            line.reason,
        )
        for line in card.lines
    ]
    scorecard_rows.append(
        ("score", "得分", "score", card.value, card.maximum, "points", card.value / card.maximum,
         None, None, card.maximum - card.value,
         "; ".join(f"-{d.points} {d.rule}" for d in card.deductions) or "no deductions / 未扣分")
    )  # fmt: skip
    tables = [
        _about(report),
        Table(
            "scorecard",
            "评分 Scorecard",
            "评分表",
            "Scorecard",
            (
                _c("rule", "项目", "rule"),
                _c("name_zh", "名称", "name (Chinese)"),
                _c("name_en", "名称（英文）", "name"),
                _c("numerator", "分子", "numerator", NUMBER),
                _c("denominator", "分母", "denominator", NUMBER),
                _c("unit", "单位", "unit"),
                _c("ratio", "比率", "ratio", RATIO),
                _c("target", "目标", "target", RATIO),
                _c("met", "达标", "met", BOOL),
                _c("points_deducted", "扣分", "points deducted", INT),
                _c("reason", "说明", "reason"),
            ),
            scorecard_rows,
        ),
        Table(
            "deductions",
            "扣分 Deductions",
            "扣分明细",
            "Deductions",
            (
                _c("rule", "项目", "rule"),
                _c("points", "扣分", "points", INT),
                _c("reason", "原因", "reason"),
            ),
            [(d.rule, d.points, d.reason) for d in card.deductions],
        ),
        Table(
            "rates",
            "达标率 Rates",
            "分范围达标情况",
            "Rates by scope",
            (
                _c("scope_type", "范围类型", "scope type"),
                _c("scope_id", "范围", "scope id"),
                _c("name", "名称", "name"),
                _c("cameras", "摄像机数", "cameras", INT),
                *INSTALL,
                *PERIOD_RATES,
                *OUTAGE_COUNTS,
                *TARGETS_MET,
            ),
            [
                (
                    r.scope_type,
                    r.scope_id,
                    r.name,
                    r.cameras,
                    *_values(r.install),
                    *_period_values(r),
                    *_outage_values(r),
                    *r.met(report.targets).values(),
                )
                for r in report.scopes
            ],
        ),
        Table(
            "non_compliant_sites",
            "不达标部位 Non-compliant",
            "不达标重点部位",
            "Non-compliant key sites",
            (*SITE, _c("reasons", "原因", "reasons")),
            [(*_site_values(s), _join(s.reasons, "; ")) for s in report.non_compliant_sites],
        ),
        Table(
            "sites",
            "重点部位 Sites",
            "重点部位",
            "Key sites",
            (
                *SITE,
                _c("required", "应装", "required", INT),
                _c("installed", "已装", "installed", INT),
                _c("provided", "具备能力", "capabilities provided"),
                _c("missing", "缺少能力", "capabilities missing"),
                _c("install_ok", "安装达标", "install ok", BOOL),
                *PERIOD_RATES,
                _c("compliant", "达标", "compliant", BOOL),
                _c("reasons", "原因", "reasons"),
            ),
            [
                (
                    *_site_values(s),
                    s.required,
                    s.installed,
                    _join(s.provided),
                    _join(s.missing),
                    s.install_ok,
                    *_period_values(s),
                    s.compliant,
                    _join(s.reasons, "; "),
                )
                for s in report.sites
            ],
        ),
        Table(
            "cameras",
            "摄像机 Cameras",
            "摄像机在线与完好",
            "Cameras: availability and intact",
            (
                _c("camera", "摄像机", "camera"),
                _c("name", "名称", "name"),
                _c("sites", "部位", "sites"),
                _c("campuses", "校区", "campuses"),
                _c("nvr", "录像机", "NVR"),
                _c("channel", "通道", "channel", INT),
                *AVAILABILITY,
                *INTACT,
                *OUTAGE_COUNTS,
                *STORAGE,
            ),
            [
                (
                    c.id,
                    c.name,
                    _join(c.sites),
                    _join(c.campuses),
                    c.nvr,
                    c.channel,
                    *_values(c.availability),
                    *_values(c.intact),
                    *_outage_values(c),
                    *_values(c.storage),
                )
                for c in report.cameras
            ],
        ),
        Table(
            "outages",
            "故障 Outages",
            "故障记录",
            "Outage log",
            (
                _c("camera", "摄像机", "camera"),
                _c("name", "名称", "name"),
                _c("sites", "部位", "sites"),
                _c("start", "开始", "start", TIME),
                _c("end", "结束", "end", TIME),
                _c("ongoing", "未恢复", "ongoing", BOOL),
                _c("stage", "失败环节", "stage"),
                _c("reason", "原因", "reason"),
                _c("seconds", "期内时长(秒)", "seconds in period", SECONDS),
                _c("offline_seconds", "期内监测到的离线(秒)", "offline seconds", SECONDS),
                _c("maintenance_seconds", "维护期内(秒)", "maintenance seconds", SECONDS),
                _c("unmonitored_seconds", "未监测(秒)", "unmonitored seconds", SECONDS),
                _c("length_seconds", "总时长(秒)", "whole length seconds", SECONDS),
                _c("repair_seconds", "修复时长(秒)", "time to repair seconds", SECONDS),
                _c("length", "总时长", "whole length"),
            ),
            [
                (
                    o.camera,
                    o.camera_name,
                    _join(o.sites),
                    o.start,
                    o.end,
                    o.ongoing,
                    o.stage,
                    o.reason,
                    o.seconds,
                    o.offline_seconds,
                    o.maintenance_seconds,
                    o.unmonitored_seconds,
                    o.length_seconds,
                    o.repair_seconds,
                    format_duration(o.length_seconds),
                )
                for o in report.outages
            ],
        ),
        Table(
            "storage",
            "录像 Storage",
            "录像存储与保存期",
            "Storage and retention per channel",
            (
                _c("camera", "摄像机", "camera"),
                _c("name", "名称", "name"),
                _c("nvr", "录像机", "NVR"),
                _c("channel", "通道", "channel", INT),
                *STORAGE,
                _c("retention_days", "当前保存(天)", "retention now (days)", NUMBER),
                _c("retention_target_days", "保存目标(天)", "retention target (days)", INT),
                _c("retention_met", "保存达标", "retention met", BOOL),
                _c("earliest", "最早录像", "earliest footage", TIME),
                _c("recording_now", "正在录像", "recording now", BOOL),
            ),
            [
                (
                    ch.camera,
                    ch.camera_name,
                    ch.nvr,
                    ch.channel,
                    *_values(ch.period),
                    ch.retention_days,
                    ch.retention_target_days,
                    ch.retention_met,
                    ch.earliest,
                    ch.recording_now,
                )
                for ch in report.channels
            ],
        ),
        Table(
            "daily",
            "每日 Daily",
            "每日趋势",
            "Daily trend",
            (_c("date", "日期", "date", DATE), *PERIOD_RATES),
            [(d.day, *_period_values(d)) for d in report.days],
        ),
        Table(
            "blind_routes",
            "盲区路线 Blind routes",
            "盲区路线",
            "Blind routes",
            (
                _c("gate_site", "校门", "gate site"),
                _c("target_site", "目标部位", "target site"),
                _c("target_category", "目标类别", "target category"),
                _c("length_m", "长度(米)", "length (m)", NUMBER),
                _c("path", "路径", "path"),
            ),
            [
                (r.gate_site, r.target_site, r.target_category, r.length_m, _join(r.path, " → "))
                for r in report.blind_routes
            ],
        ),
        Table(
            "single_points",
            "单点故障 Single points",
            "单点故障",
            "Single points of failure",
            (
                _c("site", "部位", "site"),
                _c("category", "类别", "category"),
                _c("camera", "唯一完好摄像机", "only intact camera"),
            ),
            [(p.site, p.category, p.camera) for p in report.single_points],
        ),
        Table(
            "intersections",
            "路口 Intersections",
            "路口与部位节点覆盖",
            "Intersections covered",
            (
                _c("node", "节点", "node"),
                _c("site", "部位", "site"),
                _c("covered", "已覆盖", "covered", BOOL),
                _c("covered_by", "覆盖摄像机", "covered by"),
            ),
            [(n.node, n.site, n.covered, _join(n.covered_by)) for n in report.intersections],
        ),
    ]
    return tables
