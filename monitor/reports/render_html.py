"""The period report as one self-contained, printable HTML page (Jinja2, autoescaped).

The page carries its own CSS (no external file, font or script), so it can be
mailed, archived or printed to PDF as it is. Every value from the site map or
the store is escaped; the only markup inserted as is is the campus map's SVG,
produced by `monitor.map.render_campus_map` (which escapes what it draws).
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from monitor.history.periods import format_duration
from monitor.reports.period import Figure, PeriodReport, ReportPeriod, figure_text, percent_text

TEMPLATES = Path(__file__).resolve().with_name("templates")
TEMPLATE = "report.html"

REASON_NAMES = {
    "unreachable": "不可达 unreachable",
    "timeout": "超时 timeout",
    "auth_failed": "认证失败 auth failed",
    "clock_skew": "时钟偏差 clock skew",
    "protocol_error": "协议错误 protocol error",
    "no_video": "无视频 no video",
    "video_fault": "画面故障 video fault",
}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>\s*")


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value is escaped unless marked safe here
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _pct(value: Figure | float | None) -> str:
    return percent_text(value.ratio if isinstance(value, Figure) else value)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _local(seconds: float | None, period: ReportPeriod) -> str:
    if seconds is None:
        return "—"
    return period.local_time(seconds).strftime("%Y-%m-%d %H:%M")


def _duration(seconds: float | None) -> str:
    return "—" if seconds is None else format_duration(seconds)


def _mark(met: bool | None) -> str:
    """The CSS class of a verdict: `ok`, `bad`, or none when not judged."""
    if met is None:
        return ""
    return "ok" if met else "bad"


def _verdict(met: bool | None) -> str:
    if met is None:
        return "—"
    return "✓ 达标 met" if met else "✗ 未达标 not met"


def _yes_no(value: bool | None) -> str:
    if value is None:
        return "—"
    return "是 yes" if value else "否 no"


def _reason(stage: str | None, reason: str | None) -> str:
    if reason is None:
        return "—"
    name = REASON_NAMES.get(reason, reason)
    return f"{stage}: {name}" if stage else name


def _inline_svg(svg: str | None) -> Markup | None:
    """The campus map inline: the renderer's own output, without its XML declaration."""
    if svg is None:
        return None
    return Markup(_XML_DECLARATION.sub("", svg))


def report_to_html(report: PeriodReport) -> str:
    """The whole report as an HTML document (UTF-8 text)."""
    template = _environment().get_template(TEMPLATE)
    return template.render(
        r=report,
        card=report.scorecard,
        map_svg=_inline_svg(report.map_svg),
        pct=_pct,
        num=_number,
        ftext=figure_text,
        local=partial(_local, period=report.period),
        dur=_duration,
        mark=_mark,
        verdict=_verdict,
        yesno=_yes_no,
        cause=_reason,
        campus_name=lambda cid: report.campus_names.get(cid, cid),
        category_name=lambda cid: report.category_names.get(cid, cid),
        target=lambda rule: getattr(report.targets, rule),
    )
