"""The OpenAPI 3.1 document of the monitor's HTTP API (served at `/api/openapi.json`).

Written by hand next to the handlers (monitor/api/http.py, map_routes.py,
report_routes.py); tests/test_report_render.py checks that every GET route
of a fully built app is described here and every path described exists.
Schemas use JSON Schema 2020-12, as OpenAPI 3.1 does: an absent value is
`null` (a rate over an empty denominator is never 0 or 1).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

OPENAPI_VERSION = "3.1.0"
API_VERSION = "0.1.0"

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str | list[str]) -> Schema:
    kinds = [kind] if isinstance(kind, str) else list(kind)
    return {"type": [*kinds, "null"]}


def _obj(properties: dict[str, Schema], *, required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def _array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def _map(values: Schema) -> Schema:
    return {"type": "object", "additionalProperties": values}


_NUM, _INT, _STR, _BOOL = (
    {"type": "number"},
    {"type": "integer"},
    {"type": "string"},
    {"type": "boolean"},
)
_TIME = {"type": "number", "description": "unix seconds"}
_RATIO = {**_nullable("number"), "minimum": 0, "maximum": 1}
_FIGURE_OR_NULL = {"anyOf": [_ref("Figure"), {"type": "null"}]}


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _text(description: str, media: str = "text/plain") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": _STR}}}


_BAD_REQUEST = _json(_ref("Error"), "the query is not understood; `error` says why")


def _query(name: str, description: str, schema: Schema | None = None, **extra: Any) -> Schema:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": schema or _STR,
        **extra,
    }


_PERIOD = _query(
    "period",
    "24h, 7d, 30d (the last that long), 2026-12-05 (a day), 2026-12 (a month) or "
    "START/END (dates or ISO date-times); local time is Asia/Shanghai",
    {"type": "string", "default": "24h"},
)
_FLAG = {"type": "string", "enum": ["1", "true", "yes", "0", "false", "no"]}


def _schemas() -> dict[str, Schema]:
    rates = _obj(
        {
            "install": _RATIO,
            "online": _RATIO,
            "intact": _RATIO,
            "storage": _RATIO,
            "effective": _RATIO,
            "targets": _map(_NUM),
            "met": _map(_nullable("boolean")),
            "scope_type": _STR,
            "scope_id": _STR,
            "name": _STR,
            "sites_total": _INT,
            "sites_installed_ok": _INT,
            "sites_effective_ok": _INT,
            "cameras_total": _INT,
            "cameras_online": _INT,
            "cameras_intact": _INT,
            "cameras_shifted": _INT,
            "channels_recorded": _INT,
            "recorded_seconds": _NUM,
            "expected_seconds": _NUM,
            "sites_failing_install": _array(_obj({"id": _STR, "reasons": _array(_STR)})),
            "sites_failing_effective": _array(_obj({"id": _STR, "reasons": _array(_STR)})),
            "cameras_offline_ids": _array(_STR),
            "cameras_not_intact_ids": _array(_STR),
            "cameras_shifted_ids": _array(_STR),
        },
        required=["install", "online", "intact", "storage", "effective"],
    )
    availability = _obj(
        {
            "scope": {"type": "string", "enum": ["camera", "site", "campus", "school"]},
            "id": _STR,
            "start": _TIME,
            "end": _TIME,
            "period_seconds": _NUM,
            "monitored_seconds": _NUM,
            "online_seconds": _NUM,
            "offline_seconds": _NUM,
            "unmonitored_seconds": _NUM,
            "maintenance_seconds": _NUM,
            "offline_in_maintenance_seconds": _NUM,
            "ratio": _RATIO,
            "ratio_outside_maintenance": _RATIO,
            "outages": _INT,
            "flaps": _INT,
            "outages_ended": _INT,
            "mttr_seconds": _nullable("number"),
            "cameras": _INT,
            "cameras_monitored": _INT,
            "cameras_with_outages": _INT,
        },
        required=["scope", "id", "ratio", "monitored_seconds", "online_seconds"],
    )
    outage = _obj(
        {
            "camera": _STR,
            "start": _TIME,
            "end": _nullable("number"),
            "ongoing": _BOOL,
            "stage": _nullable("string"),
            "reason": _nullable("string"),
            "seconds": _NUM,
            "offline_seconds": _NUM,
            "maintenance_seconds": _NUM,
            "unmonitored_seconds": _NUM,
        }
    )
    camera = _obj(
        {
            "id": _STR,
            "name": _STR,
            "sites": _array(_STR),
            "host": _STR,
            "port": _INT,
            "online": _BOOL,
            "intact": _BOOL,
            "since": _nullable("number"),
            "last_probe": _nullable("number"),
            "failed_stage": _nullable("string"),
            "reason": _nullable("string"),
            "detail": _nullable("string"),
            "stages": _array(
                _obj(
                    {
                        "stage": _STR,
                        "ok": _BOOL,
                        "reason": _nullable("string"),
                        "seconds": _NUM,
                        "detail": _STR,
                    }
                )
            ),
            "device": {"anyOf": [_map(_STR), {"type": "null"}]},
            "clock_offset_seconds": _nullable("number"),
        }
    )
    figure = _obj(
        {
            "numerator": _NUM,
            "denominator": _NUM,
            "ratio": {**_RATIO, "description": "numerator / denominator; null when empty"},
            "unit": {
                "type": "string",
                "description": "sites, camera-seconds, seconds, gate sites, main-road segments",
            },
            "text": {"type": "string", "description": "the figure in words, for people"},
        }
    )
    scope_row = _obj(
        {
            "scope_type": {
                "type": "string",
                "enum": ["school", "scope", "campus", "category", "unit"],
            },
            "scope_id": _STR,
            "name": _STR,
            "sites": _INT,
            "cameras": _INT,
            "install": _ref("Figure"),
            "availability": _ref("Figure"),
            "intact": _ref("Figure"),
            "storage": _ref("Figure"),
            "channels_recorded": _INT,
            "unmonitored_seconds": _NUM,
            "outages": _INT,
            "outages_ended": _INT,
            "mttr_seconds": _nullable("number"),
            "met": _map(_nullable("boolean")),
        }
    )
    report = _obj(
        {
            "school": _STR,
            "scope": _obj({"name": _STR, "filtered": _BOOL, "filters": _map(_nullable("string"))}),
            "period": _obj(
                {
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date", "description": "included"},
                    "timezone": _STR,
                    "start": _TIME,
                    "end": _TIME,
                }
            ),
            "generated_at": _TIME,
            "as_of": _TIME,
            "targets": _map(_NUM),
            "retention_days": _INT,
            "scorecard": _obj(
                {
                    "lines": _array(
                        _obj(
                            {
                                "rule": {
                                    "type": "string",
                                    "enum": [
                                        "install",
                                        "intact",
                                        "storage",
                                        "availability",
                                        "gate_capabilities",
                                    ],
                                },
                                "name_zh": _STR,
                                "name_en": _STR,
                                "figure": _ref("Figure"),
                                "target": _nullable("number"),
                                "met": _nullable("boolean"),
                                "points_deducted": _INT,
                                "reason": _STR,
                            }
                        )
                    ),
                    "score": _obj(
                        {
                            "value": _INT,
                            "max": _INT,
                            "school_wide": _BOOL,
                            "deductions": _array(
                                _obj({"rule": _STR, "points": _INT, "reason": _STR})
                            ),
                        }
                    ),
                }
            ),
            "scopes": _obj(
                {
                    "total": _ref("ScopeRow"),
                    "campuses": _array(_ref("ScopeRow")),
                    "categories": _array(_ref("ScopeRow")),
                    "units": _array(_ref("ScopeRow")),
                }
            ),
            "sites": _array(
                _obj(
                    {
                        "id": _STR,
                        "name": _STR,
                        "campus": _STR,
                        "category": _STR,
                        "unit": _nullable("string"),
                        "required": _INT,
                        "installed": _INT,
                        "provided": _array(_STR),
                        "missing": _array(_STR),
                        "install_ok": _BOOL,
                        "cameras": _array(_STR),
                        "availability": _ref("Figure"),
                        "intact": _ref("Figure"),
                        "storage": _ref("Figure"),
                        "channels_recorded": _INT,
                        "compliant": _BOOL,
                        "reasons": _array(_STR),
                    }
                )
            ),
            "non_compliant_sites": _array(
                _obj({"id": _STR, "name": _STR, "reasons": _array(_STR)})
            ),
            "cameras": _array(
                _obj(
                    {
                        "id": _STR,
                        "name": _STR,
                        "sites": _array(_STR),
                        "campuses": _array(_STR),
                        "nvr": _nullable("string"),
                        "channel": _nullable("integer"),
                        "availability": _ref("Figure"),
                        "intact": _ref("Figure"),
                        "unmonitored_seconds": _NUM,
                        "outages": _INT,
                        "outages_ended": _INT,
                        "mttr_seconds": _nullable("number"),
                        "storage": _FIGURE_OR_NULL,
                    }
                )
            ),
            "outages": _obj(
                {
                    "count": _INT,
                    "ended": _INT,
                    "mttr_seconds": _nullable("number"),
                    "items": _array(
                        _obj(
                            {
                                "camera": _STR,
                                "camera_name": _STR,
                                "sites": _array(_STR),
                                "start": _TIME,
                                "end": _nullable("number"),
                                "ongoing": _BOOL,
                                "stage": _nullable("string"),
                                "reason": _nullable("string"),
                                "seconds": _NUM,
                                "offline_seconds": _NUM,
                                "maintenance_seconds": _NUM,
                                "unmonitored_seconds": _NUM,
                                "length_seconds": _NUM,
                                "repair_seconds": _nullable("number"),
                            }
                        )
                    ),
                }
            ),
            "channels": _array(
                _obj(
                    {
                        "camera": _STR,
                        "camera_name": _STR,
                        "nvr": _STR,
                        "channel": _INT,
                        "storage": _FIGURE_OR_NULL,
                        "retention_seconds": _nullable("number"),
                        "retention_days": _nullable("number"),
                        "retention_target_days": _INT,
                        "retention_met": _nullable("boolean"),
                        "earliest": _nullable("number"),
                        "recording_now": _nullable("boolean"),
                    }
                )
            ),
            "days": _array(
                _obj(
                    {
                        "date": {"type": "string", "format": "date"},
                        "start": _TIME,
                        "end": _TIME,
                        "availability": _ref("Figure"),
                        "intact": _ref("Figure"),
                        "storage": _ref("Figure"),
                        "channels_recorded": _INT,
                    }
                )
            ),
            "map": _obj(
                {"svg": {**_nullable("string"), "description": "the campus map (SVG), if any"}}
            ),
            "graph": _obj(
                {
                    "analysed": _BOOL,
                    "note": _nullable("string"),
                    "main_segments": _FIGURE_OR_NULL,
                    "intersections": _array(
                        _obj(
                            {
                                "node": _STR,
                                "site": _nullable("string"),
                                "covered": _BOOL,
                                "covered_by": _array(_STR),
                            }
                        )
                    ),
                    "blind_routes": _array(
                        _obj(
                            {
                                "gate_site": _STR,
                                "target_site": _STR,
                                "target_category": _STR,
                                "path": _array(_STR),
                                "length_m": _NUM,
                            }
                        )
                    ),
                    "single_points_of_failure": _array(
                        _obj({"site": _STR, "category": _STR, "camera": _STR})
                    ),
                }
            ),
            "notes": _array(_STR),
        }
    )
    return {
        "Error": _obj({"error": _STR}),
        "Rates": rates,
        "CoverageReport": _obj(
            {
                "school": _ref("Rates"),
                "campuses": _map(_ref("Rates")),
                "categories": _map(_ref("Rates")),
                "units": _map(_ref("Rates")),
                "campus_categories": _map(_map(_ref("Rates"))),
                "sites": _array(
                    {
                        "type": "object",
                        "properties": {
                            "id": _STR,
                            "required": _INT,
                            "installed": _INT,
                            "intact": _INT,
                            "online": _INT,
                            "install_ok": _BOOL,
                            "effective_ok": _BOOL,
                            "reasons": _array(_STR),
                            "cameras": _array(_STR),
                        },
                        "required": ["id", "required", "installed", "intact"],
                    }
                ),
                "score": _obj(
                    {
                        "value": _INT,
                        "max": _INT,
                        "deductions": _array(_obj({"rule": _STR, "points": _INT, "reason": _STR})),
                    }
                ),
                "targets": _map(_NUM),
                "school_name": _STR,
            }
        ),
        "Camera": camera,
        "Availability": availability,
        "AvailabilityReport": _obj(
            {
                "start": _TIME,
                "end": _TIME,
                "now": _TIME,
                "school": _ref("Availability"),
                "campuses": _map(_ref("Availability")),
                "sites": _map(_ref("Availability")),
                "cameras": _map(_ref("Availability")),
                "outages": _array(_ref("Outage")),
            },
            required=["start", "end", "now", "school", "campuses", "sites", "cameras"],
        ),
        "Outage": outage,
        "Recordings": _obj(
            {
                "finished_at": _nullable("number"),
                "retention_days": _INT,
                "nvrs": _array(
                    {
                        "type": "object",
                        "properties": {
                            "id": _STR,
                            "name": _STR,
                            "kind": _STR,
                            "campus": _nullable("string"),
                            "checked": _BOOL,
                            "up": _BOOL,
                            "reason": _nullable("string"),
                            "disks": _array({"type": "object"}),
                        },
                        "required": ["id", "kind", "checked"],
                    }
                ),
                "channels": _array(
                    {
                        "type": "object",
                        "properties": {
                            "camera": _STR,
                            "nvr": _STR,
                            "channel": _INT,
                            "recording": _nullable("boolean"),
                            "retention_seconds": _NUM,
                            "recorded_seconds": _NUM,
                            "expected_seconds": _NUM,
                            "completeness": _RATIO,
                            "gap_count": _INT,
                        },
                        "required": ["camera", "nvr", "channel"],
                    }
                ),
            }
        ),
        "Figure": figure,
        "ScopeRow": scope_row,
        "PeriodReport": report,
    }


def _paths() -> dict[str, Any]:
    report_formats = ["json", "html", "csv", "xlsx"]
    return {
        "/": {
            "get": {
                "summary": "Index page with links to the endpoints",
                "operationId": "index",
                "responses": {"200": _text("HTML", "text/html")},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (text exposition format)",
                "operationId": "metrics",
                "responses": {"200": _text("every tianyan_ metric family")},
            }
        },
        "/-/healthy": {
            "get": {
                "summary": "Liveness: the process answers",
                "operationId": "healthy",
                "responses": {"200": _text("Healthy.")},
            }
        },
        "/-/ready": {
            "get": {
                "summary": "Readiness: a poll cycle has finished",
                "operationId": "ready",
                "responses": {
                    "200": _text("Ready."),
                    "503": _text("no poll cycle has finished yet"),
                },
            }
        },
        "/api/coverage": {
            "get": {
                "summary": "Coverage rates per scope, key-site status and the score, now",
                "operationId": "coverage",
                "responses": {"200": _json(_ref("CoverageReport"), "the coverage JSON")},
            }
        },
        "/api/cameras": {
            "get": {
                "summary": "Every camera's state and last probe",
                "operationId": "cameras",
                "responses": {
                    "200": _json(_obj({"cameras": _array(_ref("Camera"))}), "the cameras")
                },
            }
        },
        "/api/availability": {
            "get": {
                "summary": "Availability of every camera, key site, campus and the school",
                "operationId": "availability",
                "parameters": [
                    _PERIOD,
                    _query("outages", "also list the outages", _FLAG),
                ],
                "responses": {
                    "200": _json(_ref("AvailabilityReport"), "availability over the period"),
                    "400": _BAD_REQUEST,
                    "404": _text("no history store behind this server"),
                },
            }
        },
        "/api/outages": {
            "get": {
                "summary": "Outages with cause and time to repair",
                "operationId": "outages",
                "parameters": [
                    _PERIOD,
                    _query("camera", "only this camera's outages"),
                    _query("ongoing", "only outages not over yet", _FLAG),
                ],
                "responses": {
                    "200": _json(
                        _obj(
                            {
                                "start": _TIME,
                                "end": _TIME,
                                "outages": _array(_ref("Outage")),
                                "mttr_seconds": _nullable("number"),
                            }
                        ),
                        "the outages overlapping the period",
                    ),
                    "400": _BAD_REQUEST,
                    "404": _text("no history store behind this server"),
                },
            }
        },
        "/api/recordings": {
            "get": {
                "summary": "NVRs, disks and each channel's footage: retention, completeness, gaps",
                "operationId": "recordings",
                "responses": {"200": _json(_ref("Recordings"), "the storage picture")},
            }
        },
        "/api/graph": {
            "get": {
                "summary": "Roads and intersections covered, blind routes from gates to "
                "sensitive sites, single points of failure (docs/graph.md)",
                "description": "Over the cameras watching now (online, intact, view not "
                "shifted); the same analysis as the period report's and the "
                "tianyan_road_* / tianyan_blind_route* metrics.",
                "operationId": "graph",
                "responses": {
                    "200": _json({"type": "object"}, "the findings (graph_findings_to_json)")
                },
            }
        },
        "/api/report": {
            "get": {
                "summary": "The period report for assessors (docs/report.md)",
                "description": "The scorecard over the local days from … to (both included, "
                "in daily_report.timezone), every rate with its numerator and denominator; "
                "campus, category and unit restrict every section.",
                "operationId": "report",
                "parameters": [
                    _query(
                        "from",
                        "first day, YYYY-MM-DD",
                        {"type": "string", "format": "date"},
                        required=True,
                    ),
                    _query(
                        "to",
                        "last day (included), YYYY-MM-DD",
                        {"type": "string", "format": "date"},
                        required=True,
                    ),
                    _query("campus", "only the key sites of this campus id"),
                    _query("category", "only the key sites of this category id"),
                    _query("unit", "only the key sites of this responsible unit"),
                    _query(
                        "format",
                        "json (default), html, csv (a ZIP of CSV files) or xlsx",
                        {"type": "string", "enum": report_formats, "default": "json"},
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "the report",
                        "content": {
                            "application/json": {"schema": _ref("PeriodReport")},
                            "text/html": {"schema": _STR},
                            "application/zip": {
                                "schema": {"type": "string", "contentEncoding": "binary"}
                            },
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": {"type": "string", "contentEncoding": "binary"}
                            },
                        },
                    },
                    "400": _BAD_REQUEST,
                    "503": _json(_ref("Error"), "the server has no history store or site map"),
                },
            }
        },
        "/map": {
            "get": {
                "summary": "The campus map page (预警一张图), refreshing itself every 30 s",
                "operationId": "mapPage",
                "responses": {"200": _text("HTML embedding the live SVG map", "text/html")},
            }
        },
        "/api/map.svg": {
            "get": {
                "summary": "The campus map as SVG, from the live states",
                "operationId": "mapSvg",
                "parameters": [_query("campus", "only this campus")],
                "responses": {
                    "200": _text("a standalone SVG document", "image/svg+xml"),
                    "404": _text("the site map has no such campus"),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {"200": _json({"type": "object"}, "the OpenAPI 3.1 document")},
            }
        },
    }


@cache
def _document() -> dict[str, Any]:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Tianyan (校园天眼) monitor API",
            "version": API_VERSION,
            "description": "Coverage, health, availability, storage and period reports of a "
            "campus's video surveillance. Read-only; every endpoint is GET.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {"schemas": _schemas()},
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change theirs)."""
    return copy.deepcopy(_document())
