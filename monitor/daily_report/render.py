"""The daily report as plain text, as markdown (WeCom and DingTalk robots) and as JSON.

Text and markdown are built from the same sections, so they never disagree.
The markdown keeps to what both robots render: headings, bold, quotes and
lists (no tables, no colours). Labels are Chinese with the English after
them, for the duty room and for anyone else who reads the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from monitor.daily_report.summary import (
    ChannelProblem,
    DailyReport,
    DownCamera,
    FaultyCamera,
    NvrProblem,
    OutageItem,
    Place,
    Rate,
)
from monitor.history.periods import format_duration, zone
from site_map.score import format_rate, format_target

RATE_NAMES = {
    "install": "安装率 install",
    "online": "在线率 online",
    "intact": "设备完好率 intact",
    "storage": "存储完好率 storage",
    "effective": "有效覆盖率 effective",
}
REASONS = {
    "unreachable": "不可达 unreachable",
    "timeout": "超时 timeout",
    "auth_failed": "认证失败 auth_failed",
    "clock_skew": "时钟偏差 clock_skew",
    "protocol_error": "协议错误 protocol_error",
    "no_video": "无视频 no_video",
    "video_fault": "画面故障 video_fault",
    "never_probed": "从未探测 never probed",
    "recovering": "恢复中 recovering",
}
FAULTS = {
    "signal_loss": "无信号 signal_loss",
    "black": "黑屏 black",
    "frozen": "画面冻结 frozen",
    "blur": "模糊 blur",
    "occluded": "遮挡 occluded",
    "color_cast": "偏色 color_cast",
    "dark": "过暗 dark",
    "bright": "过亮 bright",
    "noise": "噪点 noise",
    "shifted": "移位 shifted",
}
NOTHING = "今日无异常 / nothing to report"
NONE = "无 none"
TRUNCATED_NOTE = (
    "> 内容过长，已截断；完整日报见邮件或 `tianyan daily-report --dry-run`。"
    " / Truncated: the full report is in the email or `tianyan daily-report --dry-run`."
)


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    lines: tuple[str, ...]
    summary: str = ""  # shown after the heading (counts)


class _Clock:
    def __init__(self, report: DailyReport) -> None:
        self.tz = zone(report.timezone)
        self.day = report.day
        self.end = report.end

    def at(self, seconds: float | None) -> str:
        """HH:MM on the report's day, the date too otherwise."""
        if seconds is None:
            return "—"
        if seconds == self.end:  # the day's own end, not the next day's start
            return "24:00"
        moment = datetime.fromtimestamp(seconds, self.tz)
        if moment.date() == self.day:
            return moment.strftime("%H:%M")
        return moment.strftime("%Y-%m-%d %H:%M")

    def full(self, seconds: float) -> str:
        return datetime.fromtimestamp(seconds, self.tz).strftime("%Y-%m-%d %H:%M")


def _cause(stage: str | None, reason: str | None) -> str:
    text = REASONS.get(reason or "", reason or "")
    if stage:
        return f"{stage}/{text}" if text else stage
    return text or "—"


def _where(camera: str, place: Place) -> str:
    parts = [camera, place.name]
    if place.sites:
        parts.append("、".join(place.sites))
    if place.campus:
        parts.append(place.campus)
    if place.unit:
        parts.append(place.unit)
    return " · ".join(dict.fromkeys(p for p in parts if p))


def _rate_line(rate: Rate) -> str:
    text = f"{RATE_NAMES[rate.kind]} {format_rate(rate.value)}"
    if rate.target is None:
        return text
    verdict = "达标 met" if rate.met else "未达标 below target"
    return f"{text}（目标 target {format_target(rate.target)}，{verdict}）"


def _limited(lines: list[str], limit: int) -> tuple[str, ...]:
    if len(lines) <= limit:
        return tuple(lines)
    return (*lines[:limit], f"…另有 {len(lines) - limit} 项 / and {len(lines) - limit} more")


def _outage_line(o: OutageItem, clock: _Clock) -> str:
    end = clock.at(o.end) if o.end is not None else "未恢复 not ended"
    line = (
        f"{_where(o.camera, o.place)} · {clock.at(o.start)} → {end}"
        f"（{format_duration(o.duration)}）{_cause(o.stage, o.reason)}"
    )
    extra = []
    if o.maintenance_seconds:
        extra.append(f"维护期内 in maintenance {format_duration(o.maintenance_seconds)}")
    if o.unmonitored_seconds:
        extra.append(f"未监控 unmonitored {format_duration(o.unmonitored_seconds)}")
    return line + (f"；{'，'.join(extra)}" if extra else "")


def _down_line(d: DownCamera, clock: _Clock) -> str:
    since = f"自 since {clock.at(d.since)}" if d.since is not None else "从未上线 never seen"
    line = f"{_where(d.camera, d.place)} · {since} · {_cause(d.stage, d.reason)}"
    if d.cause:
        kind, _, element = d.cause.partition(":")
        label = "交换机 switch" if kind == "switch" else kind
        line += f" · 可能原因 probable cause: {label} {element}"
    return line


def _fault_line(f: FaultyCamera) -> str:
    faults = "、".join(FAULTS.get(x, x) for x in f.faults) or "画面不可用 video not usable"
    return f"{_where(f.camera, f.place)} · {faults}"


def _nvr_line(n: NvrProblem, clock: _Clock) -> str:
    where = " · ".join(p for p in (n.nvr, n.name if n.name != n.nvr else "", n.campus) if p)
    if n.problem == "down":
        why = _cause(None, n.reason)
        detail = f"（{n.detail}）" if n.detail else ""
        return f"{where} · 录像机无响应 NVR down: {why}{detail}"
    if n.problem == "never_checked":
        return f"{where} · 录像从未检查 footage never checked"
    return (
        f"{where} · 录像检查停滞 footage not checked since "
        f"{clock.full(n.last_checked) if n.last_checked is not None else '—'}"
    )


def _channel_line(c: ChannelProblem, clock: _Clock) -> str:
    where = f"{_where(c.camera, c.place)} · {c.nvr}#{c.channel}"
    if c.problem == "not_recording":
        until = clock.at(c.footage_until) if c.footage_until is not None else "—"
        return f"{where} · 未在录像 not recording（最新录像止于 footage until {until}）"
    if c.problem == "retention":
        days = c.retention_days or 0.0
        return f"{where} · 录像保存 {days:.1f} 天 retention {days:.1f} d（低于目标 below target）"
    return f"{where} · 录像从未检查 footage never checked"


def sections(report: DailyReport, max_items: int = 20) -> list[Section]:
    clock = _Clock(report)
    out: list[Section] = []

    rates = [_rate_line(r) for r in report.rates]
    if report.availability is not None:
        rates.append(f"当日可用率 availability of the day {format_rate(report.availability)}")
    rates.append(f"评分 score {report.score}/{report.score_max}")
    rates += [f"−{points} {reason}" for points, reason in report.deductions]
    for cid, (name, campus) in report.campus_rates.items():
        values = {r.kind: r for r in campus}
        rates.append(
            f"{name} {cid}: 在线 online {format_rate(values['online'].value)} · "
            f"完好 intact {format_rate(values['intact'].value)} · "
            f"有效 effective {format_rate(values['effective'].value)}"
        )
    out.append(Section("覆盖率与评分 Rates and score", tuple(rates), "（生成时 at report time）"))

    o = report.outages
    lines: list[str] = []
    if o.count:
        longest = o.longest
        lines.append(
            f"{o.count} 起 outages（当日新发 began {o.began}，当日恢复 ended {o.ended}），"
            f"涉及 {o.cameras} 台 cameras；累计 total {format_duration(o.total_seconds)}"
            + (
                f"；最长 longest {format_duration(longest.duration)}（{longest.camera}）"
                if longest
                else ""
            )
            + (
                f"；平均修复 MTTR {format_duration(o.mttr_seconds)}"
                if o.mttr_seconds is not None
                else ""
            )
        )
        lines += _limited([_outage_line(x, clock) for x in o.items], max_items)
    out.append(Section("当日故障 Outages of the day", tuple(lines), str(o.count)))

    out.append(
        Section(
            "现仍中断 Still down now",
            _limited([_down_line(d, clock) for d in report.down], max_items),
            str(len(report.down)),
        )
    )
    out.append(
        Section(
            "画面故障 Video faults now",
            _limited([_fault_line(f) for f in report.video_faults], max_items),
            str(len(report.video_faults)),
        )
    )
    storage = [_nvr_line(n, clock) for n in report.nvrs]
    storage += [
        f"{d.nvr} · 硬盘 disk {d.disk} · 状态 status {d.status}（故障 failed）"
        for d in report.disks
    ]
    storage += [_channel_line(c, clock) for c in report.channels]
    out.append(
        Section(
            "存储 Storage（录像机 NVRs、硬盘 disks、通道 channels）",
            _limited(storage, max_items),
            str(len(storage)),
        )
    )
    if report.monitor_gaps:
        gaps = "，".join(f"{clock.at(g.start)}–{clock.at(g.end)}" for g in report.monitor_gaps)
        monitor = (f"未监控 unmonitored {format_duration(report.unmonitored_seconds)}: {gaps}",)
        summary = format_duration(report.unmonitored_seconds)
    else:
        monitor, summary = ("全天运行 ran all day",), "0"
    out.append(Section("监控系统自身 The monitor itself", monitor, summary))
    if report.notes:
        out.append(Section("说明 Notes", tuple(report.notes)))
    return out


def headline(report: DailyReport) -> str:
    if report.nothing_to_report:
        return NOTHING
    return f"异常 {report.issues} 项 / {report.issues} issues to report"


def _period(report: DailyReport) -> str:
    clock = _Clock(report)
    return (
        f"统计日 day {report.day.isoformat()}（{report.timezone}）· "
        f"生成 generated {clock.full(report.generated_at)} · 摄像机 cameras {report.cameras}"
    )


def render_text(report: DailyReport, max_items: int = 20) -> str:
    lines = [f"{report.title} {report.day.isoformat()}", _period(report), "", headline(report)]
    for section in sections(report, max_items):
        lines.append("")
        heading = section.heading + (f"：{section.summary}" if section.summary else "")
        lines.append(heading)
        lines += [f"  {line}" for line in section.lines or (NONE,)]
    return "\n".join(lines) + "\n"


def render_markdown(report: DailyReport, max_items: int = 20) -> str:
    lines = [
        f"### {report.title} {report.day.isoformat()}",
        f"> {_period(report)}",
        "",
        f"**{headline(report)}**",
    ]
    for section in sections(report, max_items):
        lines.append("")
        heading = f"**{section.heading}**" + (f"：{section.summary}" if section.summary else "")
        if not section.lines:
            lines.append(f"{heading} {NONE}")
            continue
        lines.append(heading)
        lines += [f"- {line}" for line in section.lines]
    return "\n".join(lines) + "\n"


def markdown_within(report: DailyReport, limit: int, max_items: int = 20) -> str:
    """Markdown of at most `limit` UTF-8 bytes, for a robot with a message limit.

    Lists are shortened first (each still says how many more there are), so
    every section arrives; only if the shortest form is still too long is
    the text cut, at a line, with a note saying where the whole report is.
    """
    text = ""
    for items in dict.fromkeys((max_items, 10, 5, 3, 1, 0)):
        if items > max_items:
            continue
        text = render_markdown(report, items)
        if len(text.encode("utf-8")) <= limit:
            return text
    return truncate_utf8(text, limit)


def render_json(report: DailyReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def truncate_utf8(text: str, limit: int, note: str = TRUNCATED_NOTE) -> str:
    """`text` cut to at most `limit` UTF-8 bytes: whole lines, then the note.

    A robot refuses (or silently cuts, mid-character) a message over its
    limit; cutting at a line keeps the markdown well formed and the note
    says where the rest is.
    """
    if len(text.encode("utf-8")) <= limit:
        return text
    tail = "\n\n" + note
    budget = limit - len(tail.encode("utf-8"))
    if budget <= 0:
        return _cut_bytes(note, limit)
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        size = len(line.encode("utf-8")) + 1
        if used + size > budget:
            if not kept:  # a single line longer than the budget: cut it at a character
                kept.append(_cut_bytes(line, budget))
            break
        kept.append(line)
        used += size
    return "\n".join(kept).rstrip() + tail


def _cut_bytes(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
