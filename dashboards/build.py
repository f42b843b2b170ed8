#!/usr/bin/env python3
"""Writes Tianyan's Grafana dashboards (`dashboards/*.json`) from the definitions below.

    python dashboards/build.py           # rewrite the JSON files beside this script
    python dashboards/build.py --check   # exit 1 if a committed file differs

The JSON files are committed: Grafana's file provisioning reads them as they
are. Edit this script, run it, commit both; tests/test_dashboards.py fails when
they differ, and runs every query below against a real Prometheus.

Grafana 10/11 JSON model, schema version 39. Every panel queries the
`${datasource}` template variable (a Prometheus data source, by default the
provisioned `tianyan-prometheus`), so the dashboards also import by hand into a
Grafana whose data source is called something else. Titles are Chinese, then
English: the control-centre operators read the first, vendors and auditors the
second. Only core panels are used (no plugins to install).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATASOURCE_UID = "tianyan-prometheus"
DATASOURCE_NAME = "Tianyan Prometheus"
DS = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39
REFRESH = "30s"
TAG = "tianyan"

# Disk states that need a technician. `unknown` is a recorder that does not
# report health (ONVIF Profile G), not a failure; `idle` is a healthy spare.
DISK_FAILING = 'status!~"ok|idle|unknown"'

Json = dict[str, Any]

# -- colours and value mappings ---------------------------------------------------------


def thresholds(base: str, *steps: tuple[float, str]) -> Json:
    return {
        "mode": "absolute",
        "steps": [{"color": base, "value": None}]
        + [{"color": color, "value": value} for value, color in steps],
    }


# A rate against its target: red below, green at or above.
def target(value: float) -> Json:
    return thresholds("red", (value, "green"))


ZERO_IS_GOOD = thresholds("green", (1, "red"))
NEUTRAL = thresholds("text")


def mapping(values: Mapping[str, tuple[str, str]]) -> list[Json]:
    """Value mappings: raw value → (text, colour)."""
    return [
        {
            "type": "value",
            "options": {
                raw: {"text": text, "color": color, "index": i}
                for i, (raw, (text, color)) in enumerate(values.items())
            },
        }
    ]


UP = mapping({"0": ("离线 Offline", "red"), "1": ("在线 Online", "green")})
INTACT = mapping({"0": ("不完好 Not intact", "red"), "1": ("完好 Intact", "green")})
STAGE_OK = mapping({"0": ("失败 Failed", "red"), "1": ("通过 Passed", "green")})
FAULT_FLAG = mapping({"0": ("正常 Clear", "green"), "1": ("故障 Fault", "red")})
RECORDING = mapping({"0": ("未录像 Not recording", "red"), "1": ("录像中 Recording", "green")})
NVR_UP = mapping({"0": ("无应答 Not answering", "red"), "1": ("在线 Answering", "green")})
MET = mapping({"0": ("未达标 Not met", "red"), "1": ("达标 Met", "green")})
# Down-now table: a camera listed there is offline, or online with a bad picture.
DOWN_STATE = mapping(
    {"0": ("离线 Offline", "red"), "1": ("在线·画面或取流异常 Online, video failing", "orange")}
)
# Campus map: site status = (intact ≥ required) + (installed ≥ required).
SITE_STATUS = mapping(
    {
        "2": ("正常 OK", "green"),
        "1": ("设备故障 Cameras failing", "orange"),
        "0": ("未装足 Under-installed", "red"),
    }
)
# Campus plan and geomap: 2 = intact ≥ required, 1 = some intact but fewer than required,
# 0 = none intact where some are required.
COVERAGE = mapping(
    {
        "2": ("覆盖 Covered", "green"),
        "1": ("覆盖不足 Under-covered", "orange"),
        "0": ("无完好摄像机 No intact camera", "red"),
    }
)
STAGES = mapping(
    {
        "tcp": ("网络 network (tcp)", "red"),
        "onvif": ("ONVIF", "orange"),
        "video": ("取流 video", "orange"),
        "quality": ("画质 quality", "yellow"),
    }
)
REASONS = mapping(
    {
        "unreachable": ("网络不通 unreachable", "red"),
        "timeout": ("超时 timeout", "red"),
        "auth_failed": ("认证失败 auth failed", "orange"),
        "clock_skew": ("时钟偏差 clock skew", "orange"),
        "protocol_error": ("协议错误 protocol error", "orange"),
        "no_video": ("无视频 no video", "orange"),
        "video_fault": ("画面故障 video fault", "yellow"),
    }
)
CAUSES = mapping({"switch": ("交换机 switch", "purple"), "device": ("设备本身 device", "red")})
FAULT_NAMES = {
    "signal_loss": "无信号 signal loss",
    "black": "黑屏 black",
    "frozen": "画面冻结 frozen",
    "blur": "模糊 blur",
    "occluded": "遮挡 occluded",
    "color_cast": "偏色 colour cast",
    "dark": "过暗 dark",
    "bright": "过亮 bright",
    "noise": "噪声 noise",
    "shifted": "移位 shifted",
}
FAULTS = mapping({k: (v, "red") for k, v in FAULT_NAMES.items()})
DISK_STATES = mapping(
    {
        "ok": ("正常 ok", "green"),
        "idle": ("空闲 idle", "green"),
        "unknown": ("未报告 not reported", "blue"),
        "unformatted": ("未格式化 unformatted", "red"),
        "error": ("故障 error", "red"),
        "mismatch": ("不匹配 mismatch", "red"),
        "offline": ("离线 offline", "red"),
        "smart_failed": ("SMART 告警 smart failed", "red"),
        "repairing": ("修复中 repairing", "orange"),
        "formatting": ("格式化中 formatting", "orange"),
        "not_exist": ("不存在 not exist", "red"),
    }
)
KINDS = {
    "install": "安装率 Install",
    "online": "在线率 Online",
    "intact": "完好率 Intact",
    "storage": "存储完好率 Storage",
    "effective": "有效覆盖 Effective",
}
WINDOWS = {"24h": "24 小时 24 h", "7d": "7 天 7 days", "30d": "30 天 30 days"}

# -- queries ----------------------------------------------------------------------------


def target_query(
    expr: str,
    ref: str = "A",
    *,
    legend: str = "",
    instant: bool = False,
    table: bool = False,
) -> Json:
    """One Prometheus query of a panel; `table` implies an instant query in table format."""
    instant = instant or table
    return {
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "format": "table" if table else "time_series",
        "instant": instant,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "refId": ref,
    }


def queries(*exprs: str | tuple[str, str], instant: bool = False, table: bool = False) -> list:
    """Targets A, B, C… from expressions, or (expression, legend) pairs."""
    out = []
    for i, item in enumerate(exprs):
        expr, legend = item if isinstance(item, tuple) else (item, "")
        out.append(
            target_query(expr, chr(ord("A") + i), legend=legend, instant=instant, table=table)
        )
    return out


# -- panels -----------------------------------------------------------------------------


def override(name: str, *, matcher: str = "byName", **properties: Any) -> Json:
    """Field properties for the fields `name` (by default a field name) matches."""
    return {
        "matcher": {"id": matcher, "options": name},
        "properties": [{"id": key, "value": value} for key, value in properties.items()],
    }


def field_config(
    *,
    unit: str | None = None,
    steps: Json | None = None,
    mappings: list[Json] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    decimals: int | None = None,
    custom: Json | None = None,
    color: str = "thresholds",
    overrides: list[Json] | None = None,
) -> Json:
    defaults: Json = {"color": {"mode": color}}
    if custom is not None:
        defaults["custom"] = custom
    if decimals is not None:
        defaults["decimals"] = decimals
    defaults["mappings"] = mappings or []
    if maximum is not None:
        defaults["max"] = maximum
    if minimum is not None:
        defaults["min"] = minimum
    defaults["thresholds"] = steps or thresholds("green")
    if unit is not None:
        defaults["unit"] = unit
    return {"defaults": defaults, "overrides": overrides or []}


REDUCE_LAST = {"calcs": ["lastNotNull"], "fields": "", "values": False}
LEGEND_HIDDEN = {"calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": False}
LEGEND_TABLE = {
    "calcs": ["lastNotNull", "min", "max"],
    "displayMode": "table",
    "placement": "right",
    "showLegend": True,
}
LEGEND_LIST = {"calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": True}
TOOLTIP = {"mode": "multi", "sort": "none"}
# The field config's `custom.hideFrom` of the series panels: shown everywhere.
NOT_HIDDEN = {"legend": False, "tooltip": False, "viz": False}
# The axis settings of the panels with axes (time series, XY chart): Grafana's defaults.
AXIS = {
    "axisBorderShow": False,
    "axisCenteredZero": False,
    "axisColorMode": "text",
    "axisLabel": "",
    "axisPlacement": "auto",
}


@dataclass
class Panel:
    """A panel before placement: its size and its JSON without id and position."""

    width: int
    height: int
    body: Json


def panel(
    kind: str,
    title: str,
    targets: list[Json],
    *,
    width: int,
    height: int,
    description: str = "",
    options: Json | None = None,
    transformations: list[Json] | None = None,
    links: list[Json] | None = None,
    extra: Json | None = None,
    **config: Any,
) -> Panel:
    """A panel of any kind; `config` is its field config (the arguments of field_config)."""
    body: Json = {
        "datasource": DS,
        "description": description,
        "fieldConfig": field_config(**config),
        "options": options or {},
        "targets": targets,
        "title": title,
        "transformations": transformations or [],
        "type": kind,
    }
    if links:
        body["links"] = links
    body.update(extra or {})
    return Panel(width, height, body)


def stat(
    title: str,
    targets: list[Json],
    *,
    width: int = 4,
    height: int = 4,
    color_mode: str = "background",
    text_mode: str = "auto",
    **config: Any,
) -> Panel:
    options = {
        "colorMode": color_mode,
        "graphMode": "none",
        "justifyMode": "auto",
        "orientation": "auto",
        "reduceOptions": REDUCE_LAST,
        "showPercentChange": False,
        "textMode": text_mode,
        "wideLayout": True,
    }
    return panel("stat", title, targets, width=width, height=height, options=options, **config)


# A stat that shows a figure, not a verdict: no background colour.
PLAIN: dict[str, Any] = {"color_mode": "none", "steps": NEUTRAL}


def gauge(
    title: str, targets: list[Json], *, width: int = 4, height: int = 6, **config: Any
) -> Panel:
    options = {
        "minVizHeight": 75,
        "minVizWidth": 75,
        "orientation": "auto",
        "reduceOptions": REDUCE_LAST,
        "showThresholdLabels": False,
        "showThresholdMarkers": True,
        "sizing": "auto",
    }
    return panel("gauge", title, targets, width=width, height=height, options=options, **config)


def bargauge(
    title: str, targets: list[Json], *, width: int = 8, height: int = 6, **config: Any
) -> Panel:
    options = {
        "displayMode": "basic",
        "maxVizHeight": 300,
        "minVizHeight": 16,
        "minVizWidth": 8,
        "namePlacement": "auto",
        "orientation": "horizontal",
        "reduceOptions": REDUCE_LAST,
        "showUnfilled": True,
        "sizing": "auto",
        "valueMode": "color",
    }
    return panel("bargauge", title, targets, width=width, height=height, options=options, **config)


def timeseries(
    title: str,
    targets: list[Json],
    *,
    width: int = 12,
    height: int = 8,
    legend: Json | None = None,
    stacked: bool = False,
    bars: bool = False,
    color: str = "palette-classic",
    **config: Any,
) -> Panel:
    custom = {
        **AXIS,
        "barAlignment": 0,
        "drawStyle": "bars" if bars else "line",
        "fillOpacity": 60 if bars else 10,
        "gradientMode": "none",
        "hideFrom": NOT_HIDDEN,
        "insertNulls": False,
        "lineInterpolation": "stepAfter",
        "lineWidth": 1,
        "pointSize": 5,
        "scaleDistribution": {"type": "linear"},
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"group": "A", "mode": "normal" if stacked else "none"},
        "thresholdsStyle": {"mode": "off"},
    }
    return panel(
        "timeseries",
        title,
        targets,
        width=width,
        height=height,
        options={"legend": legend or LEGEND_LIST, "tooltip": TOOLTIP},
        custom=custom,
        color=color,
        **config,
    )


def timeline(
    title: str,
    targets: list[Json],
    *,
    kind: str = "state-timeline",
    width: int = 12,
    height: int = 8,
    **config: Any,
) -> Panel:
    """A state timeline (merged runs of one value) or status history (one cell per sample)."""
    if kind == "state-timeline":
        options: Json = {
            "alignValue": "left",
            "legend": LEGEND_HIDDEN,
            "mergeValues": True,
            "rowHeight": 0.9,
            "showValue": "auto",
            "tooltip": TOOLTIP,
        }
    else:
        options = {
            "colWidth": 0.9,
            "legend": LEGEND_HIDDEN,
            "rowHeight": 0.9,
            "showValue": "never",
            "tooltip": TOOLTIP,
        }
    custom = {
        "fillOpacity": 80,
        "hideFrom": NOT_HIDDEN,
        "lineWidth": 0 if kind == "state-timeline" else 1,
    }
    return panel(
        kind, title, targets, width=width, height=height, options=options, custom=custom, **config
    )


# The fields of an instant query's table that no table shows: the sample's time and the
# scrape's job and instance.
ALWAYS_HIDDEN = ("Time", "job", "instance")


def organize(columns: Mapping[str, str], hide: Iterable[str] = ALWAYS_HIDDEN) -> Json:
    """Keep, order and rename table columns: `columns` maps a field name to its header."""
    return {
        "id": "organize",
        "options": {
            # __name__: Prometheus's table format shows the metric name as a column.
            "excludeByName": {name: True for name in ("__name__", *hide)},
            "includeByName": {},
            "indexByName": {name: i for i, name in enumerate(columns)},
            "renameByName": dict(columns),
        },
    }


MERGE = {"id": "merge", "options": {}}


def matrix(row_field: str, column_field: str) -> Json:
    """A query's values as a matrix: a row per value of one label, a column per value of
    another. The first column, of row names, is the field `row_field\\column_field`."""
    return {
        "id": "groupingToMatrix",
        "options": {
            "columnField": column_field,
            "emptyValue": "null",
            "rowField": row_field,
            "valueField": "Value",
        },
    }


def table(
    title: str,
    targets: list[Json],
    columns: Mapping[str, str],
    *,
    width: int = 24,
    height: int = 8,
    hide: Iterable[str] = (),
    pivot: tuple[str, str] | None = None,
    sort: tuple[str, bool] | None = None,
    **config: Any,
) -> Panel:
    """An instant-query table, one row per key: queries merged, then columns organised.

    Each query carries the row's key labels (camera, nvr, site…); Grafana's
    merge puts the values of all queries with equal keys on one row. `hide` names
    columns not to show besides Time, job and instance (never shown).

    With `pivot=(row label, column label)` the one query is laid out as a `matrix`
    instead: it has no Time, job or instance column left.
    """
    if pivot is not None:
        transformations = [matrix(*pivot)]
        hidden = tuple(hide)
    else:
        transformations = [MERGE] if len(targets) > 1 else []
        hidden = (*ALWAYS_HIDDEN, *hide)
    transformations.append(organize(columns, hidden))
    options: Json = {
        "cellHeight": "sm",
        "footer": {"countRows": False, "fields": "", "reducer": ["sum"], "show": False},
        "showHeader": True,
    }
    if sort is not None:
        options["sortBy"] = [{"desc": sort[1], "displayName": sort[0]}]
    custom = {
        "align": "auto",
        "cellOptions": {"type": "auto"},
        "filterable": True,
        "inspect": False,
    }
    return panel(
        "table",
        title,
        targets,
        width=width,
        height=height,
        options=options,
        transformations=transformations,
        custom=custom,
        **config,
    )


# Table headers of the labels the monitor's series carry.
HEADERS = {
    "camera": "摄像机 Camera",
    "name": "名称 Name",
    "campus": "校区 Campus",
    "site": "点位 Site",
    "category": "类别 Category",
    "name_zh": "类别 Category",
    "unit": "责任单位 Unit",
    "nvr": "录像机 NVR",
    "kind": "类型 Kind",
    "channel": "通道 Channel",
    "switch": "交换机 Switch",
    "disk": "硬盘 Disk",
    "status": "状态 Status",
    "stage": "失败环节 Failing stage",
    "reason": "原因 Reason",
    "cause": "可能原因 Probable cause",
    "element": "故障设备 Element",
    "fault": "故障 Fault",
}


def headers(*labels: str) -> dict[str, str]:
    """Table columns of these labels, in this order, with their usual headers."""
    return {label: HEADERS[label] for label in labels}


def coloured(name: str, mappings: list[Json] | None = None, **properties: Any) -> Json:
    """A table column whose cell background shows its value's colour."""
    props: Json = {"custom.cellOptions": {"type": "color-background", "mode": "basic"}}
    if mappings is not None:
        props["mappings"] = mappings
    props.update(properties)
    return override(name, **props)


def text(title: str, content: str, *, width: int = 24, height: int = 3) -> Panel:
    return Panel(
        width,
        height,
        {
            "options": {
                "code": {"language": "plaintext", "showLineNumbers": False, "showMiniMap": False},
                "content": content,
                "mode": "markdown",
            },
            "title": title,
            "type": "text",
        },
    )


@dataclass
class Row:
    title: str


# -- template variables -----------------------------------------------------------------


def datasource_variable() -> Json:
    return {
        "current": {"selected": False, "text": DATASOURCE_NAME, "value": DATASOURCE_UID},
        "hide": 0,
        "includeAll": False,
        "label": "数据源 Data source",
        "multi": False,
        "name": "datasource",
        "options": [],
        "query": "prometheus",
        "refresh": 1,
        "regex": "",
        "skipUrlSync": False,
        "type": "datasource",
    }


def query_variable(
    name: str, label: str, definition: str, *, multi: bool = False, include_all: bool = False
) -> Json:
    """A variable from `label_values(...)`; `All` stands for every listed value."""
    current = (
        {"selected": True, "text": ["All"], "value": ["$__all"]}
        if include_all and multi
        else {"selected": True, "text": "All", "value": "$__all"}
        if include_all
        else {}
    )
    return {
        "current": current,
        "datasource": DS,
        "definition": definition,
        "hide": 0,
        "includeAll": include_all,
        "label": label,
        "multi": multi,
        "name": name,
        "options": [],
        "query": {
            "qryType": 1,
            "query": definition,
            "refId": "PrometheusVariableQueryEditor-VariableQuery",
        },
        "refresh": 2,
        "regex": "",
        "skipUrlSync": False,
        "sort": 1,
        "type": "query",
    }


def custom_variable(name: str, label: str, values: Mapping[str, str], default: str) -> Json:
    return {
        "current": {"selected": True, "text": values[default], "value": default},
        "hide": 0,
        "includeAll": False,
        "label": label,
        "multi": False,
        "name": name,
        "options": [
            {"selected": key == default, "text": text, "value": key} for key, text in values.items()
        ],
        "query": ",".join(f"{text} : {key}" for key, text in values.items()),
        "skipUrlSync": False,
        "type": "custom",
    }


def campus_variable(source: str = "tianyan_camera_info") -> Json:
    return query_variable(
        "campus", "校区 Campus", f"label_values({source}, campus)", multi=True, include_all=True
    )


# -- dashboards -------------------------------------------------------------------------


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    items: list[Panel | Row]
    variables: list[Json] = field(default_factory=list)
    time_from: str = "now-24h"

    def layout(self) -> list[Json]:
        """Place panels left to right in rows of 24 columns; ids in reading order."""
        out: list[Json] = []
        x = y = row_height = 0
        for number, item in enumerate(self.items, start=1):
            if isinstance(item, Row):
                if x:
                    y += row_height
                x = row_height = 0
                out.append(
                    {
                        "collapsed": False,
                        "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                        "id": number,
                        "panels": [],
                        "title": item.title,
                        "type": "row",
                    }
                )
                y += 1
                continue
            if x + item.width > 24:
                x, y, row_height = 0, y + row_height, 0
            body = dict(item.body)
            body["gridPos"] = {"h": item.height, "w": item.width, "x": x, "y": y}
            body["id"] = number
            out.append(dict(sorted(body.items())))
            x += item.width
            row_height = max(row_height, item.height)
        return out

    def to_json(self) -> Json:
        return {
            "annotations": {
                "list": [
                    {
                        "builtIn": 1,
                        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                        "enable": True,
                        "hide": True,
                        "iconColor": "rgba(0, 211, 255, 1)",
                        "name": "Annotations & Alerts",
                        "type": "dashboard",
                    }
                ]
            },
            "description": self.description,
            "editable": True,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,
            "id": None,
            "links": [
                {
                    "asDropdown": True,
                    "icon": "external link",
                    "includeVars": False,
                    "keepTime": True,
                    "tags": [TAG],
                    "targetBlank": False,
                    "title": "天眼 Tianyan",
                    "tooltip": "",
                    "type": "dashboards",
                    "url": "",
                }
            ],
            "panels": self.layout(),
            "refresh": REFRESH,
            "schemaVersion": SCHEMA_VERSION,
            "tags": [TAG],
            "templating": {"list": [datasource_variable(), *self.variables]},
            "time": {"from": self.time_from, "to": "now"},
            "timepicker": {},
            "timezone": "browser",
            "title": self.title,
            "uid": self.uid,
            "version": 1,
            "weekStart": "",
        }


def camera_link(column: str = HEADERS["camera"]) -> Json:
    """A table column of camera ids that opens the camera's detail dashboard."""
    return override(
        column,
        links=[
            {
                "targetBlank": False,
                "title": "摄像机详情 Camera detail",
                "url": "/d/tianyan-camera/tianyan-camera"
                "?var-camera=${__value.raw}&${__url_time_range}",
            }
        ],
    )


PERCENT: dict[str, Any] = {"unit": "percentunit", "minimum": 0, "maximum": 1, "decimals": 1}


# 1. School overview ---------------------------------------------------------------------


def school_overview() -> Dashboard:
    def school(kind: str) -> list[Json]:
        return queries(f'tianyan_school_coverage_ratio{{kind="{kind}"}}', instant=True)

    met = [
        (
            f'(tianyan_school_coverage_ratio{{kind="{kind}"}}'
            " >= bool on(kind) tianyan_target_ratio)"
            f' or on(kind) (0 * tianyan_target_ratio{{kind="{kind}"}})',
            KINDS[kind],
        )
        for kind in ("install", "intact", "storage")
    ]
    # The rate tables' cells: percentages, each rate coloured against its default target.
    rate_cells: dict[str, Any] = {
        "unit": "percentunit",
        "steps": target(0.95),
        "overrides": [coloured(KINDS["install"], thresholds=target(1.0))]
        + [coloured(KINDS[k]) for k in ("online", "intact", "storage", "effective")],
    }
    by_category = queries(
        "max by (campus, category, name_zh, name_en, critical) ("
        'tianyan_coverage_ratio{kind="install"}'
        " * on(category) group_left(name_zh, name_en, critical) tianyan_category_info)",
        *(
            f'max by (campus, category) (tianyan_coverage_ratio{{kind="{kind}"}})'
            for kind in ("online", "intact", "storage", "effective")
        ),
        table=True,
    )
    failing = "(tianyan_site_cameras_intact < tianyan_site_cameras_required)"
    return Dashboard(
        "tianyan-overview",
        "学校总览 School overview",
        "The assessment's three rates against their targets, the score, and where the "
        "school falls short, per campus and key-site category.",
        [
            Row("考核指标 Assessment (item 6: install 100 %, intact ≥ 95 %, storage ≥ 95 %)"),
            gauge(
                "安装率 Installation rate",
                school("install"),
                description="Key sites with every required camera and capability installed "
                "(target 100 %). Green at the default target; the 'Targets met' panel "
                "compares with the target in force (tianyan_target_ratio).",
                steps=target(1.0),
                **PERCENT,
            ),
            gauge(
                "设备完好率 Device intact rate",
                school("intact"),
                description="Cameras online, video fetched and no picture fault (target 95 %).",
                steps=target(0.95),
                **PERCENT,
            ),
            gauge(
                "存储完好率 Recording storage rate",
                school("storage"),
                description="Recorded ÷ expected seconds over the retention window, all "
                "recorded channels (target 95 %).",
                steps=target(0.95),
                **PERCENT,
            ),
            gauge(
                "考核得分 Assessment score",
                queries("tianyan_assessment_score", instant=True),
                description="10 points, less 2 for each rate below target and 3 when a gate "
                "lacks face recognition or vehicle checkpoint coverage.",
                steps=thresholds("red", (6, "orange"), (8, "yellow"), (10, "green")),
                minimum=0,
                maximum=10,
                decimals=0,
            ),
            stat(
                "达标情况 Targets met",
                queries(*met, instant=True),
                width=4,
                height=6,
                description="Each rate against the target in force; a rate that cannot be "
                "computed counts as not met, as in the assessment.",
                mappings=MET,
                steps=thresholds("red", (1, "green")),
                text_mode="value_and_name",
            ),
            stat(
                "目标值 Targets in force",
                queries(("tianyan_target_ratio", "{{kind}}"), instant=True),
                width=4,
                height=6,
                text_mode="value_and_name",
                **PLAIN,
                **PERCENT,
            ),
            Row("运行状况 Operations"),
            stat(
                "在线率 Online rate",
                school("online"),
                steps=thresholds("red", (0.9, "orange"), (0.95, "green")),
                **PERCENT,
            ),
            stat(
                "有效覆盖率 Effective coverage",
                school("effective"),
                description="Key sites whose intact cameras meet the required count.",
                steps=thresholds("red", (0.9, "orange"), (0.95, "green")),
                **PERCENT,
            ),
            stat(
                "摄像机 Cameras configured / online",
                queries(
                    ("tianyan_cameras_configured", "配置 configured"),
                    ("sum(tianyan_camera_up)", "在线 online"),
                    instant=True,
                ),
                text_mode="value_and_name",
                **PLAIN,
            ),
            stat(
                "不完好摄像机 Cameras not intact",
                queries("sum(1 - tianyan_camera_intact)", instant=True),
                description="Offline, video not fetched, or a picture fault: see 'What is "
                "down now'.",
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "未达标点位 Sites short of intact cameras",
                queries(f"count({failing}) or vector(0)", instant=True),
                description="Key sites with fewer intact cameras than required (of "
                "tianyan_sites_configured).",
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "数据新鲜度 Data age (intervals)",
                queries(
                    (
                        "(time() - tianyan_last_poll_timestamp_seconds)"
                        " / tianyan_poll_interval_seconds",
                        "摄像机巡检 cameras",
                    ),
                    (
                        "(time() - tianyan_recordings_last_pass_timestamp_seconds)"
                        " / tianyan_recordings_interval_seconds",
                        "录像检查 recordings",
                    ),
                    instant=True,
                ),
                description="Time since the last camera cycle and storage pass, in configured "
                "intervals: above 2 the monitor is late, above 3 something is stuck.",
                text_mode="value_and_name",
                steps=thresholds("green", (2, "orange"), (3, "red")),
                decimals=1,
            ),
            Row("各校区 Campuses"),
            table(
                "各校区覆盖率 Rates per campus",
                queries("tianyan_campus_coverage_ratio", table=True),
                {"campus\\kind": "校区 Campus", **KINDS},
                width=14,
                height=7,
                pivot=("campus", "kind"),
                **rate_cells,
            ),
            bargauge(
                "各校区设备完好率 Intact rate per campus",
                queries(
                    ('tianyan_campus_coverage_ratio{kind="intact"}', "{{campus}}"), instant=True
                ),
                width=10,
                height=7,
                steps=target(0.95),
                **PERCENT,
            ),
            Row("各类重点部位 Key-site categories"),
            table(
                "各校区各类别覆盖率 Rates per campus and category",
                by_category,
                {
                    **headers("campus", "name_zh"),
                    "name_en": "类别(英) Category",
                    "critical": "关键部位 Critical",
                    **{f"Value #{ref}": KINDS[k] for ref, k in zip("ABCDE", KINDS, strict=True)},
                },
                height=10,
                hide=("category",),
                sort=(KINDS["intact"], False),
                **rate_cells,
            ),
            Row("未达标点位 Sites short of intact cameras"),
            table(
                "未达标点位 Sites with fewer intact cameras than required",
                queries(
                    "max by (campus, site, name, unit, name_zh) ("
                    f"{failing} * on(site) group_left(name, unit) tianyan_site_info"
                    " * on(category) group_left(name_zh) tianyan_category_info)",
                    f"max by (site) (tianyan_site_cameras_required and on(site) {failing})",
                    f"max by (site) (tianyan_site_cameras_installed and on(site) {failing})",
                    table=True,
                ),
                {
                    **headers("site", "name", "campus", "name_zh", "unit"),
                    "Value #A": "完好 Intact",
                    "Value #B": "应装 Required",
                    "Value #C": "已装 Installed",
                },
                height=9,
                sort=("完好 Intact", False),
            ),
        ],
    )


# 2. What is down now --------------------------------------------------------------------

INFO_CAMPUS = 'tianyan_camera_info{campus=~"$campus"}'
# Puts a camera's name, campus and site on a per-camera series (and keeps the campus filter).
WITH_NAMES = f"* on(camera) group_left(name, campus, site) {INFO_CAMPUS}"
NOT_INTACT = '(tianyan_camera_intact{campus=~"$campus"} == 0)'
SWITCH_DOWN = "(tianyan_switch_down == 1)"
NVR_DOWN = "(tianyan_nvr_up == 0)"
IN_CAMPUS_NVR = 'tianyan_nvr_info{campus=~"$campus"}'

# A camera's current failure: the first probe stage that failed and why, and the
# probable cause (the camera itself, or the switch in front of it) with the element.
FAILURE_COLUMNS = headers("stage", "reason", "cause", "element")
FAILURE_OVERRIDES = [
    coloured(HEADERS["stage"], STAGES),
    override(HEADERS["reason"], mappings=REASONS),
    coloured(HEADERS["cause"], CAUSES),
]


def failure_queries(where: str) -> list[str]:
    """The failure's two series; `where` follows each metric name (a label selector,
    or ` and on(camera) …`)."""
    return [
        f"max by (camera, stage, reason) (tianyan_camera_probe_failure{where})",
        f"max by (camera, cause, element) (tianyan_camera_probable_cause{where})",
    ]


def camera_table(title: str, series: str, label: str, label_column: Json) -> Panel:
    """The cameras `series` lists, a row per camera and value of its `label`: the camera's
    id (a link to its detail), name, campus and site, then `label`, shown by the override
    `label_column`."""
    return table(
        title,
        queries(
            f"max by (camera, name, campus, site, {label}) ({series} {WITH_NAMES})", table=True
        ),
        headers("camera", "name", "campus", "site", label),
        width=12,
        height=8,
        hide=("Value",),
        overrides=[label_column, camera_link()],
    )


def picture_faults(title: str) -> Panel:
    """The cameras with a picture fault now, a row per camera and fault."""
    return camera_table(
        title, "(tianyan_camera_video_fault == 1)", "fault", coloured(HEADERS["fault"], FAULTS)
    )


def down_now() -> Dashboard:
    cameras = table(
        "离线或不完好的摄像机 Cameras offline or not intact",
        queries(
            "max by (camera, name, campus, site, category, unit) ("
            f"(tianyan_camera_up and on(camera) {NOT_INTACT})"
            " * on(camera) group_left(name, site, category) tianyan_camera_info"
            " * on(site) group_left(unit) tianyan_site_info)",
            "1000 * max by (camera) (tianyan_camera_state_since_timestamp_seconds"
            f" and on(camera) {NOT_INTACT})",
            "max by (camera) (time() - tianyan_camera_state_since_timestamp_seconds"
            f" and on(camera) {NOT_INTACT})",
            *failure_queries(f" and on(camera) {NOT_INTACT}"),
            table=True,
        ),
        {
            **headers("camera", "name", "campus", "site", "category", "unit"),
            "Value #A": "状态 State",
            "Value #B": "状态起始 Since",
            "Value #C": "持续 For",
            **FAILURE_COLUMNS,
        },
        height=12,
        description="One row per camera that is not intact. 'Since' is when it last went "
        "online or offline (for an online camera with a bad picture: since it is online). "
        "Probable cause 'switch' means every camera behind that switch is unreachable: "
        "fix the switch first. Click a camera for its detail.",
        hide=("Value #D", "Value #E"),
        sort=("持续 For", True),
        overrides=[
            coloured("状态 State", DOWN_STATE),
            override("状态起始 Since", unit="dateTimeAsIso"),
            override("持续 For", unit="dtdurations"),
            *FAILURE_OVERRIDES,
            camera_link(),
        ],
    )
    switches = table(
        "交换机故障 Switches down",
        queries(
            f"max by (switch) (tianyan_switch_cameras and on(switch) {SWITCH_DOWN})",
            f"max by (switch) (tianyan_switch_cameras_unreachable and on(switch) {SWITCH_DOWN})",
            "1000 * max by (switch, campus) (tianyan_camera_state_since_timestamp_seconds"
            " * on(camera) group_left(switch) tianyan_camera_path_info"
            ' * on(camera) group_left(campus) tianyan_camera_info{campus=~"$campus"})'
            f" and on(switch) {SWITCH_DOWN}",
            table=True,
        ),
        {
            **headers("switch", "campus"),
            "Value #A": "摄像机 Cameras",
            "Value #B": "不可达 Unreachable",
            "Value #C": "全部离线起 All down since",
        },
        width=12,
        height=8,
        description="Switches whose every camera (at least 2) is unreachable at once: one "
        "fault, many cameras.",
        overrides=[override("全部离线起 All down since", unit="dateTimeAsIso")],
    )
    return Dashboard(
        "tianyan-down-now",
        "当前故障 What is down now",
        "Everything failing right now: cameras, pictures, switches, recorders, disks and "
        "channels, each with where it is and since when.",
        [
            stat(
                "离线摄像机 Cameras offline",
                queries(
                    'count(tianyan_camera_up{campus=~"$campus"} == 0) or vector(0)', instant=True
                ),
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "不完好摄像机 Cameras not intact",
                queries(f"count({NOT_INTACT}) or vector(0)", instant=True),
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "交换机故障 Switches down",
                queries(
                    "count(max by (switch) (tianyan_camera_path_info"
                    ' * on(camera) group_left(campus) tianyan_camera_info{campus=~"$campus"})'
                    f" and on(switch) {SWITCH_DOWN}) or vector(0)",
                    instant=True,
                ),
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "录像机无应答 NVRs not answering",
                queries(
                    f"count({NVR_DOWN} and on(nvr) {IN_CAMPUS_NVR}) or vector(0)", instant=True
                ),
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "硬盘故障 Disks failing",
                queries(
                    f"count((tianyan_nvr_disk_status{{{DISK_FAILING}}} == 1)"
                    f" and on(nvr) {IN_CAMPUS_NVR}) or vector(0)",
                    instant=True,
                ),
                description="Disks in any state but ok, idle or unknown (not reported).",
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "未在录像 Channels not recording",
                queries(
                    "count((tianyan_channel_recording == 0)"
                    ' and on(camera) tianyan_camera_info{campus=~"$campus"}) or vector(0)',
                    instant=True,
                ),
                description="Recorded channels whose footage does not reach the last five minutes.",
                steps=ZERO_IS_GOOD,
            ),
            cameras,
            picture_faults("画面故障 Picture faults now"),
            switches,
            Row("录像 Recorders"),
            table(
                "录像机无应答 NVRs not answering",
                queries(
                    f"max by (nvr, name, kind, campus) ({NVR_DOWN}"
                    f" * on(nvr) group_left(name, kind, campus) {IN_CAMPUS_NVR})",
                    "1000 * max by (nvr) (tianyan_nvr_last_check_timestamp_seconds"
                    f" and on(nvr) {NVR_DOWN})",
                    f"count by (nvr) (tianyan_channel_info and on(nvr) {NVR_DOWN})",
                    table=True,
                ),
                {
                    **headers("nvr", "name", "kind", "campus"),
                    "Value #B": "最近检查 Last checked",
                    "Value #C": "通道 Channels",
                },
                width=8,
                height=8,
                hide=("Value #A",),
                overrides=[override("最近检查 Last checked", unit="dateTimeAsIso")],
            ),
            table(
                "硬盘故障 Disks failing",
                queries(
                    "max by (nvr, name, campus, disk, status) ("
                    f"(tianyan_nvr_disk_status{{{DISK_FAILING}}} == 1)"
                    f" * on(nvr) group_left(name, campus) {IN_CAMPUS_NVR})",
                    "max by (nvr, disk) (tianyan_nvr_disk_capacity_bytes and on(nvr, disk)"
                    f" (tianyan_nvr_disk_status{{{DISK_FAILING}}} == 1))",
                    table=True,
                ),
                {
                    **headers("nvr", "name", "campus", "disk", "status"),
                    "Value #B": "容量 Capacity",
                },
                width=8,
                height=8,
                hide=("Value #A",),
                overrides=[
                    coloured(HEADERS["status"], DISK_STATES),
                    override("容量 Capacity", unit="bytes"),
                ],
            ),
            table(
                "未在录像的通道 Channels not recording",
                queries(
                    "max by (camera, name, campus, nvr, channel) ("
                    "(tianyan_channel_recording == 0)"
                    " * on(camera) group_left(nvr, channel) tianyan_channel_info"
                    f" * on(camera) group_left(name, campus) {INFO_CAMPUS})",
                    "max by (camera) (tianyan_camera_up"
                    " and on(camera) (tianyan_channel_recording == 0))",
                    table=True,
                ),
                {
                    **headers("camera", "name", "campus", "nvr", "channel"),
                    "Value #B": "摄像机 Camera state",
                },
                width=8,
                height=8,
                description="A channel whose camera is online but not recording points at the "
                "recorder (schedule, disk, channel settings); an offline camera explains itself.",
                hide=("Value #A",),
                overrides=[coloured("摄像机 Camera state", UP), camera_link()],
            ),
        ],
        variables=[campus_variable()],
        time_from="now-6h",
    )


# 3. Camera detail -----------------------------------------------------------------------

CAM = 'camera="$camera"'


def camera_detail() -> Dashboard:
    def one(metric: str, legend: str = "") -> list[Json]:
        return queries((f"{metric}{{{CAM}}}", legend), instant=True)

    def age(timestamp: str) -> list[Json]:
        """Seconds since the camera's `timestamp` metric."""
        return queries(f"time() - {timestamp}{{{CAM}}}", instant=True)

    return Dashboard(
        "tianyan-camera",
        "摄像机详情 Camera detail",
        "One camera: where it is, its last probe stage by stage, its history, picture, "
        "availability and recording.",
        [
            table(
                "设备 Device",
                queries(
                    f"tianyan_camera_info{{{CAM}}}",
                    f"max by (camera, switch, nvr) (tianyan_camera_path_info{{{CAM}}})",
                    f"max by (camera, nvr, channel) (tianyan_channel_info{{{CAM}}})",
                    table=True,
                ),
                {
                    **headers("camera", "name", "campus", "site", "category"),
                    "vendor": "厂商 Vendor",
                    "model": "型号 Model",
                    "firmware": "固件 Firmware",
                    **headers("switch", "nvr", "channel"),
                },
                height=4,
                hide=("Value #A", "Value #B", "Value #C"),
            ),
            stat("在线 Online", one("tianyan_camera_up"), width=3, mappings=UP),
            stat("完好 Intact", one("tianyan_camera_intact"), width=3, mappings=INTACT),
            stat(
                "当前状态已持续 In this state for",
                age("tianyan_camera_state_since_timestamp_seconds"),
                width=3,
                unit="dtdurations",
                **PLAIN,
            ),
            stat(
                "上次探测 Last probe (ago)",
                age("tianyan_camera_last_probe_timestamp_seconds"),
                width=3,
                unit="s",
                **PLAIN,
            ),
            stat(
                "探测耗时 Probe duration",
                one("tianyan_camera_probe_duration_seconds"),
                width=3,
                unit="s",
                steps=thresholds("green", (2, "orange"), (5, "red")),
            ),
            stat(
                "时钟偏差 Clock offset",
                one("tianyan_camera_clock_offset_seconds"),
                width=3,
                description="Camera clock minus monitor clock. Large offsets break WS-Security "
                "logins and put wrong times on footage: set the camera's NTP.",
                unit="s",
                **PLAIN,
            ),
            stat(
                "近1小时状态变化 Changes last hour",
                one("tianyan_camera_state_changes_last_hour"),
                width=3,
                description="Online/offline changes in the last hour: more than two is a "
                "flapping camera (cable, PoE budget, overheating).",
                steps=thresholds("green", (3, "orange")),
            ),
            stat(
                "身份变化 Identity changes",
                one("tianyan_camera_identity_changes_total", "{{field}}"),
                width=3,
                description="A new serial is a swapped device; a new firmware an upgrade or a "
                "factory reset.",
                text_mode="value_and_name",
                steps=ZERO_IS_GOOD,
            ),
            table(
                "当前失败 Current failure",
                queries(*failure_queries(f"{{{CAM}}}"), table=True),
                FAILURE_COLUMNS,
                height=4,
                description="Empty while the camera's last probe passed. `tianyan probe "
                "HOST` repeats the diagnosis on site.",
                hide=("camera", "Value #A", "Value #B"),
                overrides=FAILURE_OVERRIDES,
            ),
            Row("历史 History"),
            timeline(
                "在线与完好 Online and intact",
                queries(
                    (f"tianyan_camera_up{{{CAM}}}", "在线 Online"),
                    (f"tianyan_camera_intact{{{CAM}}}", "完好 Intact"),
                ),
                height=5,
                mappings=mapping({"0": ("否 No", "red"), "1": ("是 Yes", "green")}),
            ),
            timeline(
                "各环节 Probe stages",
                queries((f"tianyan_camera_probe_success{{{CAM}}}", "{{stage}}")),
                kind="status-history",
                height=5,
                description="tcp → onvif → video → quality: the first failing stage stops "
                "the probe.",
                mappings=STAGE_OK,
            ),
            timeseries(
                "探测耗时 Probe duration",
                queries((f"tianyan_camera_probe_duration_seconds{{{CAM}}}", "探测 probe")),
                unit="s",
            ),
            timeseries(
                "时钟偏差 Clock offset",
                queries((f"tianyan_camera_clock_offset_seconds{{{CAM}}}", "偏差 offset")),
                unit="s",
            ),
            Row("画面 Picture"),
            timeline(
                "画面故障 Picture faults",
                queries((f"tianyan_camera_video_fault{{{CAM}}}", "{{fault}}")),
                width=24,
                height=8,
                mappings=FAULT_FLAG,
            ),
            timeseries(
                "亮度类指标 Brightness measures (0–255)",
                queries(
                    (
                        f'tianyan_camera_video_measure{{{CAM}, measure=~"brightness|contrast'
                        '|highlights|colour_cast"}',
                        "{{measure}}",
                    )
                ),
                legend=LEGEND_TABLE,
            ),
            timeseries(
                "比例类指标 Ratio measures (0–1)",
                queries(
                    (
                        f'tianyan_camera_video_measure{{{CAM}, measure!~"brightness|contrast'
                        '|highlights|colour_cast|snapshot_bytes"}',
                        "{{measure}}",
                    )
                ),
                description="sharpness (blur), noise, occluded_fraction, reference_match "
                "(shifted), uniformity, frozen_change; thresholds in docs/quality.md.",
                legend=LEGEND_TABLE,
            ),
            Row("可用率与录像 Availability and recording"),
            bargauge(
                "可用率 Availability",
                queries(
                    (f"tianyan_camera_availability_ratio{{{CAM}}}", "{{window}}"), instant=True
                ),
                steps=thresholds("red", (0.95, "orange"), (0.99, "green")),
                **PERCENT,
            ),
            stat("录像 Recording", one("tianyan_channel_recording"), mappings=RECORDING),
            stat(
                "保存天数 Retention",
                queries(f"tianyan_channel_retention_seconds{{{CAM}}} / 86400", instant=True),
                description="Days of footage on the recorder (the school standard asks for 30).",
                unit="d",
                decimals=1,
                steps=thresholds("red", (30, "green")),
            ),
            stat(
                "录像完整率 Completeness",
                one("tianyan_channel_recording_completeness_ratio"),
                steps=target(0.95),
                **PERCENT,
            ),
            stat(
                "录像缺口 Gaps",
                one("tianyan_channel_gaps"),
                width=3,
                description="Stretches of 10 s or more without footage in the retention window.",
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "已录 / 应录 Recorded / expected",
                queries(
                    (f"tianyan_channel_recorded_seconds{{{CAM}}}", "已录 recorded"),
                    (f"tianyan_channel_expected_seconds{{{CAM}}}", "应录 expected"),
                    instant=True,
                ),
                width=5,
                text_mode="value_and_name",
                unit="dtdurations",
                **PLAIN,
            ),
        ],
        variables=[
            query_variable(
                "campus",
                "校区 Campus",
                "label_values(tianyan_camera_site, campus)",
                include_all=True,
            ),
            query_variable(
                "site",
                "点位 Site",
                'label_values(tianyan_camera_site{campus=~"$campus"}, site)',
                include_all=True,
            ),
            query_variable(
                "camera",
                "摄像机 Camera",
                'label_values(tianyan_camera_site{campus=~"$campus", site=~"$site"}, camera)',
            ),
        ],
    )


# 4. Storage -----------------------------------------------------------------------------

NVR = 'nvr=~"$nvr"'
ON_NVRS = f"on(camera) tianyan_channel_info{{{NVR}}}"


def storage() -> Dashboard:
    per_nvr = "* on(camera) group_left(nvr) tianyan_channel_info"
    return Dashboard(
        "tianyan-storage",
        "录像存储 Recording storage",
        "The recorders behind the storage rate: NVRs, disks, how long the disks last, "
        "and each channel's retention and completeness.",
        [
            gauge(
                "存储完好率 Storage rate (school)",
                queries('tianyan_school_coverage_ratio{kind="storage"}', instant=True),
                steps=target(0.95),
                **PERCENT,
            ),
            bargauge(
                "各校区存储完好率 Storage rate per campus",
                queries(
                    (
                        'tianyan_campus_coverage_ratio{kind="storage", campus=~"$campus"}',
                        "{{campus}}",
                    ),
                    instant=True,
                ),
                width=6,
                steps=target(0.95),
                **PERCENT,
            ),
            bargauge(
                "各录像机存储完好率 Storage rate per NVR",
                queries(
                    (
                        f"sum by (nvr) (tianyan_channel_recorded_seconds {per_nvr}{{{NVR}}})"
                        f" / sum by (nvr) (tianyan_channel_expected_seconds {per_nvr}{{{NVR}}})",
                        "{{nvr}}",
                    ),
                    instant=True,
                ),
                width=6,
                steps=target(0.95),
                **PERCENT,
            ),
            stat(
                "录像机 NVRs answering / configured",
                queries(
                    (f"sum(tianyan_nvr_up{{{NVR}}})", "应答 answering"),
                    (f"count(tianyan_nvr_info{{{NVR}}})", "配置 configured"),
                    instant=True,
                ),
                width=4,
                height=3,
                text_mode="value_and_name",
                **PLAIN,
            ),
            stat(
                "硬盘故障 Disks failing",
                queries(
                    f"count(tianyan_nvr_disk_status{{{NVR}, {DISK_FAILING}}} == 1) or vector(0)",
                    instant=True,
                ),
                width=4,
                height=3,
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "未在录像通道 Channels not recording",
                queries(
                    f"count((tianyan_channel_recording == 0) and {ON_NVRS}) or vector(0)",
                    instant=True,
                ),
                width=4,
                height=3,
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "保存期不足 NVRs short of retention",
                queries(
                    f"count(tianyan_nvr_retention_forecast_days{{{NVR}}} == 0) or vector(0)",
                    instant=True,
                ),
                width=4,
                height=3,
                description="Recorders whose footage does not reach the retention target now.",
                steps=ZERO_IS_GOOD,
            ),
            Row("录像机 NVRs"),
            table(
                "录像机 NVRs",
                queries(
                    f"tianyan_nvr_info{{{NVR}}}",
                    f"max by (nvr) (tianyan_nvr_up{{{NVR}}})",
                    f"sum by (nvr) (tianyan_nvr_disk_capacity_bytes{{{NVR}}})",
                    f"sum by (nvr) (tianyan_nvr_disk_free_bytes{{{NVR}}})",
                    f"max by (nvr) (tianyan_nvr_write_bytes_per_second{{{NVR}}})",
                    f"max by (nvr) (tianyan_nvr_storage_capacity_days{{{NVR}}})",
                    f"max by (nvr) (tianyan_nvr_days_until_full{{{NVR}}})",
                    f"max by (nvr) (tianyan_nvr_retention_forecast_days{{{NVR}}})",
                    f"max by (nvr) (time() - tianyan_nvr_last_check_timestamp_seconds{{{NVR}}})",
                    table=True,
                ),
                {
                    **headers("nvr", "name", "kind", "campus"),
                    "Value #B": "应答 Answering",
                    "Value #C": "容量 Capacity",
                    "Value #D": "剩余 Free",
                    "Value #E": "写入 Write rate",
                    "Value #F": "可存天数 Holds (days)",
                    "Value #G": "写满还需 Full in (days)",
                    "Value #H": "保存期告急 Retention lost in (days)",
                    "Value #I": "上次检查 Checked (ago)",
                },
                height=8,
                description="'Retention lost in' is empty when the disks hold more than the "
                "target; 0 means the footage does not reach it now. ONVIF recorders report "
                "no sizes.",
                hide=("Value #A",),
                overrides=[
                    coloured("应答 Answering", NVR_UP),
                    override("容量 Capacity", unit="bytes"),
                    override("剩余 Free", unit="bytes"),
                    override("写入 Write rate", unit="Bps"),
                    override("可存天数 Holds (days)", decimals=1),
                    override("写满还需 Full in (days)", decimals=1),
                    coloured(
                        "保存期告急 Retention lost in (days)",
                        thresholds=thresholds("red", (7, "orange"), (30, "green")),
                        decimals=1,
                    ),
                    override("上次检查 Checked (ago)", unit="s"),
                ],
            ),
            table(
                "硬盘 Disks",
                queries(
                    f"max by (nvr, disk, status) (tianyan_nvr_disk_status{{{NVR}}} == 1)",
                    f"max by (nvr, disk) (tianyan_nvr_disk_capacity_bytes{{{NVR}}})",
                    f"max by (nvr, disk) (tianyan_nvr_disk_free_bytes{{{NVR}}})",
                    table=True,
                ),
                {
                    **headers("nvr", "disk", "status"),
                    "Value #B": "容量 Capacity",
                    "Value #C": "剩余 Free",
                },
                width=12,
                height=8,
                hide=("Value #A",),
                overrides=[
                    coloured(HEADERS["status"], DISK_STATES),
                    override("容量 Capacity", unit="bytes"),
                    override("剩余 Free", unit="bytes"),
                ],
            ),
            timeseries(
                "剩余空间 Free space",
                queries((f"sum by (nvr) (tianyan_nvr_disk_free_bytes{{{NVR}}})", "{{nvr}}")),
                unit="bytes",
            ),
            bargauge(
                "写满还需 Days until full",
                queries((f"tianyan_nvr_days_until_full{{{NVR}}}", "{{nvr}}"), instant=True),
                width=12,
                description="At the measured write rate; after that the recorder overwrites "
                "its oldest footage.",
                unit="d",
                steps=thresholds("red", (7, "orange"), (30, "green")),
            ),
            timeseries(
                "写入速率 Write rate",
                queries((f"tianyan_nvr_write_bytes_per_second{{{NVR}}}", "{{nvr}}")),
                unit="Bps",
            ),
            Row("通道 Channels"),
            table(
                "通道 Channels",
                queries(
                    f"max by (camera, name, nvr, channel) (tianyan_channel_info{{{NVR}}}"
                    " * on(camera) group_left(name) tianyan_camera_info)",
                    f"max by (camera) (tianyan_channel_recording and {ON_NVRS})",
                    f"max by (camera) (tianyan_channel_retention_seconds and {ON_NVRS}) / 86400",
                    f"max by (camera) (tianyan_channel_recording_completeness_ratio and {ON_NVRS})",
                    f"max by (camera) (tianyan_channel_gaps and {ON_NVRS})",
                    table=True,
                ),
                {
                    **headers("camera", "name", "nvr", "channel"),
                    "Value #B": "录像 Recording",
                    "Value #C": "保存天数 Retention (days)",
                    "Value #D": "完整率 Completeness",
                    "Value #E": "缺口 Gaps",
                },
                height=10,
                hide=("Value #A",),
                sort=("完整率 Completeness", False),
                overrides=[
                    coloured("录像 Recording", RECORDING),
                    coloured(
                        "保存天数 Retention (days)",
                        thresholds=thresholds("red", (30, "green")),
                        decimals=1,
                    ),
                    coloured("完整率 Completeness", thresholds=target(0.95), unit="percentunit"),
                    camera_link(),
                ],
            ),
            timeseries(
                "完整率最低的通道 Lowest completeness",
                queries(
                    (
                        f"bottomk(10, tianyan_channel_recording_completeness_ratio and {ON_NVRS})",
                        "{{camera}}",
                    )
                ),
                width=24,
                unit="percentunit",
                minimum=0,
                maximum=1,
            ),
        ],
        variables=[
            campus_variable("tianyan_nvr_info"),
            query_variable(
                "nvr",
                "录像机 NVR",
                'label_values(tianyan_nvr_info{campus=~"$campus"}, nvr)',
                multi=True,
                include_all=True,
            ),
        ],
        time_from="now-7d",
    )


# 5. Video quality -----------------------------------------------------------------------

IN_CAMPUS = 'on(camera) tianyan_camera_info{campus=~"$campus"}'


def video_quality() -> Dashboard:
    per_fault = f"sum by (fault) (tianyan_camera_video_fault and {IN_CAMPUS})"
    fault_names = [override(raw, displayName=name) for raw, name in FAULT_NAMES.items()]
    measures = timeseries(
        "画面指标 Picture measures — $camera",
        queries(
            (
                'tianyan_camera_video_measure{camera="$camera", measure!="snapshot_bytes"}',
                "{{measure}}",
            )
        ),
        width=24,
        height=9,
        description="The figures the fault thresholds apply to (docs/quality.md). "
        "brightness, contrast, highlights and colour_cast are on 0–255, the rest 0–1: "
        "hide a group by clicking the legend.",
        legend=LEGEND_TABLE,
    )
    return Dashboard(
        "tianyan-video-quality",
        "视频质量 Video quality",
        "Picture faults across the school, over time, and the measures behind them for one camera.",
        [
            stat(
                "画面故障摄像机 Cameras with a picture fault",
                queries(
                    f"count(max by (camera) (tianyan_camera_video_fault and {IN_CAMPUS}) == 1)"
                    " or vector(0)",
                    instant=True,
                ),
                width=6,
                steps=ZERO_IS_GOOD,
            ),
            stat(
                "取不到画面 Video not fetched",
                queries(
                    f'count(tianyan_camera_probe_failure{{stage="video"}} and {IN_CAMPUS})'
                    " or vector(0)",
                    instant=True,
                ),
                width=6,
                description="Online cameras whose snapshot could not be fetched or decoded.",
                steps=ZERO_IS_GOOD,
            ),
            bargauge(
                "各类故障摄像机数 Cameras per fault now",
                queries((per_fault, "{{fault}}"), instant=True),
                width=12,
                height=8,
                steps=ZERO_IS_GOOD,
                decimals=0,
                overrides=fault_names,
            ),
            picture_faults("画面故障摄像机 Cameras with picture faults"),
            camera_table(
                "取流失败 Video stage failing",
                'tianyan_camera_probe_failure{stage="video"}',
                "reason",
                override(HEADERS["reason"], mappings=REASONS),
            ),
            Row("趋势 Over time"),
            timeseries(
                "各类故障随时间 Faults by type over time",
                queries((per_fault, "{{fault}}")),
                width=24,
                stacked=True,
                decimals=0,
                overrides=fault_names,
            ),
            Row("单台摄像机 One camera"),
            timeline(
                "画面故障 Picture faults — $camera",
                queries(('tianyan_camera_video_fault{camera="$camera"}', "{{fault}}")),
                width=18,
                height=8,
                mappings=FAULT_FLAG,
                overrides=fault_names,
            ),
            stat(
                "参考画面 Reference view age",
                queries(
                    'time() - tianyan_camera_reference_timestamp_seconds{camera="$camera"}',
                    instant=True,
                ),
                width=6,
                height=8,
                description="The view `shifted` compares with: the first clean frame, or the "
                "last `tianyan reference accept`.",
                unit="dtdurations",
                **PLAIN,
            ),
            measures,
        ],
        variables=[
            campus_variable(),
            query_variable(
                "camera",
                "摄像机 Camera",
                'label_values(tianyan_camera_info{campus=~"$campus"}, camera)',
            ),
        ],
    )


# 6. Availability trends -----------------------------------------------------------------


def availability() -> Dashboard:
    window = 'window="$window"'
    good = thresholds("red", (0.95, "orange"), (0.99, "green"))
    changes = "tianyan_camera_state_changes_total"
    available = "可用率 Availability"

    def lowest(title: str, series: str, labels: Iterable[str], *links: Json) -> Panel:
        """The 20 rows of `series` with the lowest availability, with their `labels`."""
        return table(
            title,
            queries(f"bottomk(20, {series})", table=True),
            {**headers(*labels), "Value": available},
            width=8,
            height=9,
            sort=(available, False),
            overrides=[coloured(available, thresholds=good, unit="percentunit"), *links],
        )

    return Dashboard(
        "tianyan-availability",
        "可用性趋势 Availability trends",
        "Online time over 24 h, 7 and 30 days for the school, campuses, sites and cameras; "
        "unmonitored time; cameras that keep going up and down.",
        [
            stat(
                "全校可用率 School availability",
                queries(("tianyan_school_availability_ratio", "{{window}}"), instant=True),
                width=8,
                text_mode="value_and_name",
                steps=good,
                **PERCENT,
            ),
            stat(
                "维护时段外 Outside maintenance",
                queries(
                    ("tianyan_school_availability_outside_maintenance_ratio", "{{window}}"),
                    instant=True,
                ),
                width=8,
                description="Maintenance windows are reported apart, never dropped.",
                text_mode="value_and_name",
                steps=good,
                **PERCENT,
            ),
            stat(
                "未监测时间 Unmonitored",
                queries(("tianyan_school_unmonitored_ratio", "{{window}}"), instant=True),
                width=8,
                description="Share of the window in which the monitor itself was not running: "
                "no one knows what the cameras did then.",
                text_mode="value_and_name",
                steps=thresholds("green", (0.01, "orange"), (0.05, "red")),
                **PERCENT,
            ),
            timeseries(
                "可用率趋势 Availability over time ($window)",
                queries(
                    (f"tianyan_school_availability_ratio{{{window}}}", "全校 school"),
                    (
                        f'tianyan_campus_availability_ratio{{{window}, campus=~"$campus"}}',
                        "{{campus}}",
                    ),
                ),
                unit="percentunit",
                maximum=1,
            ),
            timeseries(
                "未监测比例 Unmonitored over time ($window)",
                queries((f"tianyan_school_unmonitored_ratio{{{window}}}", "未监测 unmonitored")),
                unit="percentunit",
                minimum=0,
            ),
            Row("校区、点位与摄像机 Campuses, sites and cameras"),
            table(
                "各校区可用率 Campus availability",
                queries('tianyan_campus_availability_ratio{campus=~"$campus"}', table=True),
                {"campus\\window": "校区 Campus", **WINDOWS},
                width=8,
                height=9,
                pivot=("campus", "window"),
                unit="percentunit",
                steps=good,
                overrides=[coloured(name) for name in WINDOWS.values()],
            ),
            lowest(
                "可用率最低的点位 Sites with the lowest availability ($window)",
                "max by (campus, site, name, unit) ("
                f'tianyan_site_availability_ratio{{{window}, campus=~"$campus"}}'
                " * on(site) group_left(name, unit) tianyan_site_info)",
                ("site", "name", "campus", "unit"),
            ),
            lowest(
                "可用率最低的摄像机 Cameras with the lowest availability ($window)",
                "max by (camera, name, campus, site) ("
                f"tianyan_camera_availability_ratio{{{window}}} {WITH_NAMES})",
                ("camera", "name", "campus", "site"),
                camera_link(),
            ),
            Row("状态变化 State changes (flapping)"),
            stat(
                "所选时段内状态变化 Changes in the time range",
                queries(
                    f"sum(increase({changes}[$__range]) and {IN_CAMPUS})",
                    instant=True,
                ),
                width=6,
                height=8,
                description="Online/offline changes of all cameras in the dashboard's time range.",
                decimals=0,
                **PLAIN,
            ),
            timeseries(
                "每小时状态变化 State changes per hour",
                queries(
                    (
                        f"sum(tianyan_camera_state_changes_last_hour and {IN_CAMPUS})",
                        "近1小时 last hour",
                    ),
                    (
                        f"3600 * sum(rate({changes}[$__rate_interval]) and {IN_CAMPUS})",
                        "速率 rate",
                    ),
                ),
                width=9,
                description="'last hour' is the monitor's own count; 'rate' is the same from "
                "the counter, as changes per hour at this moment.",
                decimals=0,
            ),
            table(
                "频繁变化的摄像机 Flapping cameras (last hour)",
                queries(
                    "topk(20, max by (camera, name, campus, site) ("
                    f"tianyan_camera_state_changes_last_hour {WITH_NAMES}) > 0)",
                    f"max by (camera) ({changes}"
                    " and on(camera) (tianyan_camera_state_changes_last_hour > 0))",
                    table=True,
                ),
                {
                    **headers("camera", "name", "campus", "site"),
                    "Value #A": "近1小时 Last hour",
                    "Value #B": "累计 Total",
                },
                width=9,
                height=8,
                description="Cameras that went up or down at least once in the last hour; "
                "three or more is a flapping camera.",
                sort=("近1小时 Last hour", True),
                overrides=[
                    coloured("近1小时 Last hour", thresholds=thresholds("yellow", (3, "red"))),
                    camera_link(),
                ],
            ),
        ],
        variables=[
            campus_variable(),
            custom_variable("window", "时间窗 Window", WINDOWS, "7d"),
        ],
        time_from="now-7d",
    )


# 7. Campus map ----------------------------------------------------------------------------

SITE_FILTER = 'campus=~"$campus", category=~"$category"'
# 2 = enough intact cameras, 1 = installed but some failing, 0 = not enough installed.
SITE_STATUS_EXPR = (
    f"((tianyan_site_cameras_intact{{{SITE_FILTER}}} >= bool tianyan_site_cameras_required)"
    " + (tianyan_site_cameras_installed >= bool tianyan_site_cameras_required))"
)

SITE_INTACT = f"tianyan_site_cameras_intact{{{SITE_FILTER}}}"
# 2 = covered (intact ≥ required), 1 = some intact but fewer than required, 0 = none intact
# where some are required. A site that requires none counts as covered.
COVERAGE_EXPR = (
    f"2 * ({SITE_INTACT} >= bool tianyan_site_cameras_required)"
    f" + ({SITE_INTACT} < bool tianyan_site_cameras_required) * ({SITE_INTACT} > bool 0)"
)
COVERAGE_STEPS = thresholds("red", (1, "orange"), (2, "green"))


def located_sites(first: str, second: str, columns: tuple[str, str]) -> tuple[list, list[Json]]:
    """Queries and transformations for one table of located sites, one row per site.

    `first` and `second` are the two coordinate gauges, renamed to `columns`. Only
    the first query carries the site's name and campus; the others carry `site`
    alone, so joining on it leaves one column of each. Time (one per query) is
    dropped before the join, and the inner join keeps only sites with a location
    in this frame: the map panels need a row with both coordinates and a status.
    """
    targets = queries(
        f'max by (site, name, campus) ({first}{{campus=~"$campus"}}'
        f" * on(site) group_left(name) tianyan_site_info{{{SITE_FILTER}}})",
        f'max by (site) ({second}{{campus=~"$campus"}})',
        f"max by (site) ({COVERAGE_EXPR})",
        f"max by (site) ({SITE_INTACT})",
        f"max by (site) (tianyan_site_cameras_required{{{SITE_FILTER}}})",
        table=True,
    )
    renamed = {
        "site": "site",
        "name": "name",
        "campus": "campus",
        "Value #A": columns[0],
        "Value #B": columns[1],
        "Value #C": "status",
        "Value #D": "intact",
        "Value #E": "required",
    }
    return targets, [
        organize(renamed),
        {"id": "joinByField", "options": {"byField": "site", "mode": "inner"}},
    ]


def coverage_override() -> Json:
    """The status column: its colour (by thresholds) and its words (by value mapping)."""
    return override(
        "status", color={"mode": "thresholds"}, mappings=COVERAGE, thresholds=COVERAGE_STEPS
    )


def site_plan() -> Panel:
    """An XY chart of one campus's sites at their campus-local metres, one per campus.

    Written in the XY chart's first options format (series with x, y, pointColor):
    Grafana 10 reads it as is and Grafana 11.1+ converts it when the dashboard loads.
    """
    targets, transformations = located_sites(
        "tianyan_site_location_x_metres", "tianyan_site_location_y_metres", ("x", "y")
    )
    custom = {
        **AXIS,
        "hideFrom": NOT_HIDDEN,
        "pointSize": {"fixed": 14},
        "scaleDistribution": {"type": "linear"},
        "show": "points",
    }
    return panel(
        "xychart",
        "点位平面图 Site plan — $campus",
        targets,
        width=24,
        height=14,
        description="Each key site with an x/y `location:` in the site map, at its campus-local "
        "metres (x east, y north). Colour: green covered (intact ≥ required), orange "
        "under-covered (some intact, fewer than required), red no intact camera. Hover a "
        "point for the site's name and its intact and required cameras.",
        custom=custom,
        overrides=[
            coverage_override(),
            override("x", unit="lengthm", **{"custom.axisLabel": "x 东 east (m)"}),
            override("y", unit="lengthm", **{"custom.axisLabel": "y 北 north (m)"}),
        ],
        options={
            "dims": {"exclude": [], "frame": 0, "x": "x"},
            "legend": LEGEND_HIDDEN,
            "series": [
                {
                    "frame": 0,
                    "name": "点位 Sites",
                    "pointColor": {"field": "status"},
                    "pointSize": {"fixed": 14, "max": 20, "min": 6},
                    "x": "x",
                    "y": "y",
                }
            ],
            "seriesMapping": "manual",
            "tooltip": {"mode": "single", "sort": "none"},
        },
        transformations=transformations,
        # One chart per campus: each campus has its own local frame, so two campuses'
        # metres on one chart would overlap meaninglessly.
        extra={"maxPerRow": 2, "repeat": "campus", "repeatDirection": "h"},
    )


def site_geomap() -> Panel:
    """A Geomap of the sites located by latitude and longitude, all selected campuses."""
    targets, transformations = located_sites(
        "tianyan_site_location_latitude_degrees",
        "tianyan_site_location_longitude_degrees",
        ("lat", "lon"),
    )
    style = {
        "color": {"field": "status", "fixed": "dark-green"},
        "opacity": 0.8,
        "rotation": {"fixed": 0, "max": 360, "min": -360, "mode": "mod"},
        "size": {"fixed": 10, "max": 15, "min": 2},
        "symbol": {"fixed": "img/icons/marker/circle.svg", "mode": "fixed"},
        "symbolAlign": {"horizontal": "center", "vertical": "center"},
        "text": {"field": "name", "fixed": "", "mode": "field"},
        "textConfig": {
            "fontSize": 12,
            "offsetX": 0,
            "offsetY": -14,
            "textAlign": "center",
            "textBaseline": "bottom",
        },
    }
    return panel(
        "geomap",
        "点位地图 Sites by latitude/longitude",
        targets,
        width=24,
        height=12,
        description="Key sites whose `location:` in the site map is lat/lon (WGS-84), on "
        "Grafana's base map; same colours as the site plan. Empty when every site is "
        "located by x/y metres (those are on the site plan above).",
        custom={"hideFrom": NOT_HIDDEN},
        overrides=[coverage_override()],
        options={
            "basemap": {"config": {}, "name": "底图 Base map", "type": "default"},
            "controls": {
                "mouseWheelZoom": True,
                "showAttribution": True,
                "showDebug": False,
                "showMeasure": False,
                "showScale": True,
                "showZoom": True,
            },
            "layers": [
                {
                    "config": {"showLegend": False, "style": style},
                    "location": {"latitude": "lat", "longitude": "lon", "mode": "coords"},
                    "name": "点位 Sites",
                    "tooltip": True,
                    "type": "markers",
                }
            ],
            "tooltip": {"mode": "details"},
            # Fit to the markers, zooming in no further than a campus.
            "view": {"allLayers": True, "id": "fit", "lat": 0, "lon": 0, "zoom": 17},
        },
        transformations=transformations,
    )


def campus_map() -> Dashboard:
    named = (
        f"max by (campus, site, name) ({SITE_STATUS_EXPR}"
        " * on(site) group_left(name) tianyan_site_info)"
    )
    # Keeps a per-site series of the sites in a critical category.
    critical = ' * on(category) group_left() tianyan_category_info{critical="true"}'
    return Dashboard(
        "tianyan-campus-map",
        "校园点位图 Campus site map",
        "Every key site on a plan of its campus (x/y metres) or a map (lat/lon), coloured by "
        "coverage; a coloured tile per site and campus; the status grid by category; and "
        "when each site lost its coverage.",
        [
            text(
                "图例 Legend",
                "**平面图与地图 Plan and map**: **绿 覆盖 Covered** — intact ≥ required · "
                "**橙 覆盖不足 Under-covered** — some intact, fewer than required · "
                "**红 无完好摄像机 No intact camera**. "
                "**色块 Tiles**: **绿 正常 OK** — intact cameras ≥ required · "
                "**橙 设备故障 Cameras failing** — enough installed, too few intact · "
                "**红 未装足 Under-installed** — fewer installed than required. "
                "The category filter narrows all of them (e.g. gate, finance_office, "
                "hazardous_store).",
                height=3,
            ),
            site_plan(),
            site_geomap(),
            panel(
                "stat",
                "点位状态 Sites — $campus",
                queries((named, "{{name}}"), instant=True),
                width=24,
                height=10,
                mappings=SITE_STATUS,
                steps=thresholds("red", (1, "orange"), (2, "green")),
                options={
                    "colorMode": "background",
                    "graphMode": "none",
                    "justifyMode": "center",
                    "orientation": "auto",
                    "reduceOptions": REDUCE_LAST,
                    "showPercentChange": False,
                    "text": {"titleSize": 12, "valueSize": 14},
                    "textMode": "value_and_name",
                    "wideLayout": True,
                },
                extra={"maxPerRow": 2, "repeat": "campus", "repeatDirection": "v"},
            ),
            table(
                "状态网格 Status grid: effective coverage by category and campus",
                queries(
                    f'tianyan_coverage_ratio{{kind="effective", {SITE_FILTER}}}'
                    " * on(category) group_left(name_zh) tianyan_category_info",
                    table=True,
                ),
                {"name_zh\\campus": "类别 Category"},
                width=12,
                height=12,
                pivot=("name_zh", "campus"),
                unit="percentunit",
                steps=target(1.0),
                # Every campus column coloured: the campuses are known only at run time.
                overrides=[
                    override(
                        "number",
                        matcher="byType",
                        **{"custom.cellOptions": {"mode": "basic", "type": "color-background"}},
                    )
                ],
            ),
            table(
                "关键部位 Critical sites",
                queries(
                    f"{named} * on(site) group_left() (tianyan_site_info{critical})",
                    f"max by (site) (tianyan_site_cameras_intact{critical})",
                    f"max by (site) (tianyan_site_cameras_required{critical})",
                    table=True,
                ),
                {
                    **headers("site", "name", "campus"),
                    "Value #A": "状态 Status",
                    "Value #B": "完好 Intact",
                    "Value #C": "应装 Required",
                },
                width=12,
                height=12,
                description="Gates, finance offices, confidential rooms and hazardous-chemical "
                "stores: the sites the site map's policy marks critical.",
                sort=("状态 Status", False),
                overrides=[coloured("状态 Status", SITE_STATUS)],
            ),
            timeline(
                "点位状态历史 Site status over time",
                queries((named, "{{name}}")),
                kind="status-history",
                width=24,
                height=16,
                mappings=SITE_STATUS,
                steps=thresholds("red", (1, "orange"), (2, "green")),
            ),
        ],
        variables=[
            campus_variable("tianyan_site_info"),
            query_variable(
                "category",
                "类别 Category",
                'label_values(tianyan_site_info{campus=~"$campus"}, category)',
                multi=True,
                include_all=True,
            ),
        ],
    )


# -- output -----------------------------------------------------------------------------

DASHBOARDS = {
    "school-overview.json": school_overview,
    "down-now.json": down_now,
    "camera-detail.json": camera_detail,
    "storage.json": storage,
    "video-quality.json": video_quality,
    "availability.json": availability,
    "campus-map.json": campus_map,
}


def render() -> dict[str, str]:
    """File name → JSON text of every dashboard, exactly as committed."""
    return {
        name: json.dumps(build().to_json(), ensure_ascii=False, indent=2) + "\n"
        for name, build in DASHBOARDS.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: here)")
    args = parser.parse_args(argv)
    stale = []
    for name, content in render().items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(name)
        else:
            path.write_text(content, encoding="utf-8")
    if stale:
        print(f"out of date (run python dashboards/build.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
