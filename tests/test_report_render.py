"""The period report's formats: JSON against its OpenAPI schema, CSV and XLSX read back,
HTML with every section and escaped names, PDF from a real headless Chromium, and the
OpenAPI document against the routes of a fully built app.

The stored period is the one of tests/test_period_report.py (figures checked there).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from monitor.api.http import build_app
from monitor.api.openapi import openapi_document
from monitor.api.report_routes import add_report_routes
from monitor.config import load_config
from monitor.polling.snapshot import MonitorSnapshot
from monitor.reports import (
    PdfError,
    report_to_csv,
    report_to_html,
    report_to_json,
    report_to_pdf,
    report_to_xlsx,
)
from monitor.reports import pdf as pdf_module
from monitor.reports.period import PeriodReport
from monitor.reports.tables import report_tables
from site_map.loader import load_site_map
from tests import stack
from tests.test_period_report import ENV, build, campus_data, store_period, write_campus

SECTIONS = (
    "scorecard",
    "rates",
    "non-compliant",
    "cameras",
    "outages",
    "storage",
    "daily",
    "map",
    "graph",
    "method",
)
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def stored(tmp_path: Path):
    config = load_config(write_campus(tmp_path))
    store_period(config.database_url)
    return config, load_site_map(config.site_map_path, environ=ENV)


@pytest.fixture
def report(stored) -> PeriodReport:
    return build(stored)


# --------------------------------------------------------------------------- JSON


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def conforms(value: Any, schema: dict[str, Any], document: dict[str, Any], path: str) -> list[str]:
    """The places where `value` breaks `schema` (the JSON Schema keywords the document uses)."""
    schema = _resolve(schema, document)
    if "anyOf" in schema:
        if any(not conforms(value, s, document, path) for s in schema["anyOf"]):
            return []
        return [f"{path}: matches none of anyOf"]
    problems: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, k) for k in kinds):
            return [f"{path}: {type(value).__name__} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: {value} > {schema['maximum']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{path}: missing {key}")
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                problems += conforms(item, properties[key], document, f"{path}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += conforms(
                    item, schema["additionalProperties"], document, f"{path}.{key}"
                )
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += conforms(item, schema["items"], document, f"{path}[{i}]")
    return problems


def figures(value: Any) -> list[dict[str, Any]]:
    """Every {numerator, denominator, ratio, unit} in a JSON value."""
    if isinstance(value, dict):
        found = [value] if {"numerator", "denominator", "ratio", "unit"} <= set(value) else []
        return found + [f for v in value.values() for f in figures(v)]
    if isinstance(value, list):
        return [f for v in value for f in figures(v)]
    return []


def test_json_matches_its_openapi_schema_and_every_rate_carries_its_counts(report) -> None:
    data = json.loads(json.dumps(report_to_json(report), allow_nan=False))
    document = openapi_document()
    schema = document["components"]["schemas"]["PeriodReport"]
    assert conforms(data, schema, document, "report") == []
    assert set(schema["properties"]) == set(data)  # the schema names every key

    found = figures(data)
    assert len(found) > 100
    for figure in found:
        numerator, denominator, ratio = (figure[k] for k in ("numerator", "denominator", "ratio"))
        assert 0 <= numerator <= denominator + 1e-6
        if denominator == 0:
            assert ratio is None  # absent, never 0 or 1
        else:
            assert ratio == pytest.approx(numerator / denominator)
        assert figure["unit"] in (
            "sites",
            "gate sites",
            "camera-seconds",
            "seconds",
            "main-road segments",
        )
    # The library has no camera: its intact rate is absent, with its (empty) counts.
    library = next(s for s in data["scopes"]["categories"] if s["scope_id"] == "library")
    assert library["intact"] == {
        "numerator": 0.0,
        "denominator": 0.0,
        "ratio": None,
        "unit": "camera-seconds",
        "text": "0 s / 0 s camera-seconds = —",
    }
    assert data["period"] == {
        "from": "2026-11-01",
        "to": "2026-11-02",
        "timezone": "Asia/Shanghai",
        "start": report.period.start,
        "end": report.period.end,
    }
    assert [d["date"] for d in data["days"]] == ["2026-11-01", "2026-11-02"]
    assert data["non_compliant_sites"][0] == {
        "id": "east-lab",
        "name": "化学实验室",
        "reasons": list(report.non_compliant_sites[0].reasons),
    }


# --------------------------------------------------------------------------- CSV


def read_zip(body: bytes) -> dict[str, list[dict[str, str]]]:
    tables = {}
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for name in archive.namelist():
            raw = archive.read(name)
            assert raw.startswith(b"\xef\xbb\xbf"), name  # Excel reads UTF-8 with a BOM
            tables[name] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    return tables


def test_csv_is_a_zip_of_one_file_per_section(report) -> None:
    body = report_to_csv(report)
    assert body == report_to_csv(report)  # the same report, the same bytes
    tables = read_zip(body)
    assert list(tables) == [
        "01-about.csv",
        "02-scorecard.csv",
        "03-deductions.csv",
        "04-rates.csv",
        "05-non_compliant_sites.csv",
        "06-sites.csv",
        "07-cameras.csv",
        "08-outages.csv",
        "09-storage.csv",
        "10-daily.csv",
        "11-blind_routes.csv",
        "12-single_points.csv",
        "13-intersections.csv",
    ]
    card = {row["rule"]: row for row in tables["02-scorecard.csv"]}
    assert float(card["intact"]["numerator"]) == pytest.approx(343 * 3600)
    assert float(card["intact"]["denominator"]) == pytest.approx(368 * 3600)
    assert float(card["intact"]["ratio"]) == pytest.approx(343 / 368)
    assert (card["intact"]["met"], card["intact"]["points_deducted"]) == ("false", "2")
    assert (card["score"]["numerator"], card["score"]["denominator"]) == ("6", "10")
    assert card["availability"]["target"] == ""  # no target: an empty cell

    rates = {(r["scope_type"], r["scope_id"]): r for r in tables["04-rates.csv"]}
    west = rates[("campus", "west")]
    assert (west["install_ok_sites"], west["install_sites"]) == ("2", "3")
    assert float(west["recorded_seconds"]) / 3600 == pytest.approx(135)
    assert rates[("category", "library")]["intact"] == ""  # absent

    outages = tables["08-outages.csv"]
    assert [o["camera"] for o in outages] == ["cam-3", "cam-4", "cam-6", "cam-5"]
    assert outages[0]["start"] == "2026-10-31T22:00:00+08:00"  # h(-2), local time
    assert (outages[3]["end"], outages[3]["ongoing"], outages[3]["repair_seconds"]) == (
        "",
        "true",
        "",
    )
    days = tables["10-daily.csv"]
    assert [d["date"] for d in days] == ["2026-11-01", "2026-11-02"]
    assert float(days[0]["online_seconds"]) / 3600 == pytest.approx(187)
    assert {s["site"] for s in tables["05-non_compliant_sites.csv"]} == {
        "east-lab",
        "west-finance",
        "west-dorm",
        "west-library",
    }


# --------------------------------------------------------------------------- XLSX


def test_xlsx_has_a_sheet_per_section_with_bilingual_frozen_headers(report) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(report_to_xlsx(report)))
    tables = report_tables(report)
    assert workbook.sheetnames == [t.sheet for t in tables]
    assert all(len(name) <= 31 for name in workbook.sheetnames)

    sheet = workbook["评分 Scorecard"]
    assert [c.value for c in sheet[1]][:4] == ["项目", "名称", "名称（英文）", "分子"]
    assert [c.value for c in sheet[2]][:4] == ["rule", "name (Chinese)", "name", "numerator"]
    assert sheet.freeze_panes == "B3"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=3)}
    intact = rows["intact"]
    assert (intact[3].value, intact[4].value) == pytest.approx((343 * 3600, 368 * 3600))
    assert intact[6].value == pytest.approx(343 / 368)
    assert intact[6].number_format == "0.00%"
    assert intact[8].value is False and intact[9].value == 2
    assert sheet.column_dimensions["K"].width > 20  # the reasons column is wide

    outages = workbook["故障 Outages"]
    first = [c.value for c in next(outages.iter_rows(min_row=3, max_row=3))]
    # h(-2) in Asia/Shanghai, as a spreadsheet date-time.
    assert first[0] == "cam-3" and str(first[3]) == "2026-10-31 22:00:00"
    assert outages.cell(row=3, column=4).number_format == "yyyy-mm-dd hh:mm:ss"

    daily = workbook["每日 Daily"]
    assert daily.cell(row=1, column=4).value == "在线率"
    assert daily.cell(row=3, column=4).value == pytest.approx(187 / 192)
    assert daily.cell(row=3, column=4).number_format == "0.00%"
    rates = workbook["达标率 Rates"]
    assert rates.cell(row=3, column=3).value == "Test University"
    # An absent rate is an empty cell, never 0.
    library = next(r for r in rates.iter_rows(min_row=3) if r[1].value == "library")
    assert library[12].value is None  # intact ratio


def test_a_name_like_a_formula_stays_text_in_the_workbook(tmp_path: Path) -> None:
    data = campus_data()
    data["sites"][1]["name"] = '=HYPERLINK("http://198.51.100.1","x")'
    config = load_config(write_campus(tmp_path, data))
    store_period(config.database_url)
    report = build((config, load_site_map(config.site_map_path, environ=ENV)))
    sheet = openpyxl.load_workbook(io.BytesIO(report_to_xlsx(report)))["重点部位 Sites"]
    cell = next(r[1] for r in sheet.iter_rows(min_row=3) if r[0].value == "east-lab")
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


# --------------------------------------------------------------------------- HTML


def test_html_has_every_section_and_the_counts_behind_each_rate(report) -> None:
    html = report_to_html(report)
    assert html.startswith("<!doctype html>")
    for section in SECTIONS:
        assert f'<section id="{section}"' in html, section
    # The evidence, numerator and denominator, as an assessor checks it.
    assert "1,234,800 s / 1,324,800 s camera-seconds = 93.20%" in html  # intact
    assert "5 / 6 sites = 83.33%" in html  # install
    assert "1,166,400 s / 1,209,600 s = 96.42%" in html  # storage: 324 h / 336 h
    assert "得分 Score: 6" in html
    assert "3h40m" in html  # MTTR
    assert "2026-10-31 22:00" in html  # cam-3's outage began before the period
    assert "未恢复 ongoing" in html
    assert "<script" not in html  # self-contained, no script
    # Nothing fetched: no stylesheet, image or font from elsewhere (the SVG namespace is a name).
    for fetch in ("<link", 'src="http', "url(http", "@import"):
        assert fetch not in html, fetch


def test_html_escapes_names_from_the_site_map(tmp_path: Path) -> None:
    data = campus_data()
    data["school"] = "A & B <University>"
    data["sites"][1]["name"] = HOSTILE  # east-lab, non-compliant: listed with reasons
    data["cameras"][2]["name"] = HOSTILE  # cam-3, with an outage
    data["sites"][3]["unit"] = HOSTILE  # west-finance's unit
    config = load_config(write_campus(tmp_path, data))
    store_period(config.database_url)
    report = build((config, load_site_map(config.site_map_path, environ=ENV)))
    html = report_to_html(report)
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "A &amp; B &lt;University&gt;" in html


def test_html_without_map_or_graph_says_so(stored) -> None:
    report = build(stored)
    html = report_to_html(report)
    # The small campus has no roads: the graph section says why it is empty.
    assert "the site map has no roads" in html
    if report.map_svg is not None:
        assert "<svg" in html and "<?xml" not in html


# --------------------------------------------------------------------------- PDF


def test_pdf_printed_by_headless_chromium(report, tmp_path: Path) -> None:
    stack.require("chromium")
    target = report_to_pdf(report_to_html(report), tmp_path / "out" / "report.pdf")
    assert target == (tmp_path / "out" / "report.pdf").resolve()
    body = target.read_bytes()
    assert body.startswith(b"%PDF-") and len(body) > 10_000
    assert b"/Type /Page" in body or b"/Type/Page" in body


def test_pdf_without_chromium_is_a_clear_error(report, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TIANYAN_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    assert pdf_module.find_chromium() is None
    with pytest.raises(PdfError, match="PDF needs Chromium, which is not installed"):
        report_to_pdf("<html></html>", tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()


def test_pdf_command_reports_a_missing_chromium(stored, tmp_path: Path, monkeypatch) -> None:
    from monitor.reports.command import run_report
    from tests.test_period_report import NOW

    monkeypatch.delenv("TIANYAN_CHROMIUM", raising=False)
    monkeypatch.setattr(pdf_module, "find_chromium", lambda: None)
    config, loaded = stored
    err = io.StringIO()
    status = run_report(
        config,
        loaded,
        first="2026-11-01",
        last="2026-11-02",
        fmt="pdf",
        output=str(tmp_path / "r.pdf"),
        now=NOW,
        err=err,
    )
    assert status == 1
    assert "install it (Debian: apt-get install chromium)" in err.getvalue()


# --------------------------------------------------------------------------- OpenAPI


def full_app(stored) -> web.Application:
    """The monitor's app as `build_app` makes it, with the report routes."""
    _, loaded = stored
    snapshot = MonitorSnapshot.build(loaded.site_map, {})
    app = build_app(lambda: snapshot)
    add_report_routes(app)  # a no-op once build_app registers them itself
    return app


def test_openapi_describes_every_get_route_and_nothing_else(stored) -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"]
    routes = {
        route.resource.canonical
        for route in full_app(stored).router.routes()
        if route.method == "GET" and route.resource is not None
    }
    documented = set(document["paths"])
    assert routes - documented == set(), "routes without documentation"
    assert documented - routes == set(), "documented paths the app does not serve"
    brief = {
        "/metrics",
        "/-/healthy",
        "/-/ready",
        "/api/coverage",
        "/api/cameras",
        "/api/availability",
        "/api/outages",
        "/api/recordings",
        "/api/report",
        "/map",
        "/api/map.svg",
        "/api/openapi.json",
    }
    assert brief <= documented


def test_openapi_document_is_well_formed(stored) -> None:
    document = openapi_document()
    schemas = document["components"]["schemas"]
    operation_ids = []
    for path, item in document["paths"].items():
        assert path.startswith("/")
        assert set(item) == {"get"}, path  # read-only API
        operation = item["get"]
        operation_ids.append(operation["operationId"])
        assert operation["summary"]
        assert operation["responses"] and "200" in operation["responses"]
        for response in operation["responses"].values():
            assert response["description"]
        for parameter in operation.get("parameters", []):
            assert parameter["in"] == "query" and parameter["name"] and parameter["schema"]
    assert len(operation_ids) == len(set(operation_ids))

    def refs(value: Any) -> list[str]:
        if isinstance(value, dict):
            own = [value["$ref"]] if "$ref" in value else []
            return own + [r for v in value.values() for r in refs(v)]
        if isinstance(value, list):
            return [r for v in value for r in refs(v)]
        return []

    for ref in refs(document):
        assert ref.startswith("#/components/schemas/") and ref.split("/")[-1] in schemas, ref
    # The JSON endpoints have response schemas.
    for path in ("/api/coverage", "/api/cameras", "/api/availability", "/api/outages",
                 "/api/recordings", "/api/report"):  # fmt: skip
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert "schema" in content["application/json"], path
    json.dumps(document, allow_nan=False)


async def test_openapi_document_is_served(stored) -> None:
    async with TestClient(TestServer(full_app(stored))) as client:
        answer = await client.get("/api/openapi.json")
        assert answer.status == 200 and answer.content_type == "application/json"
        assert await answer.json() == openapi_document()
        # Without a history store the report says why instead of failing.
        missing = await client.get("/api/report", params={"from": "2026-11-01", "to": "2026-11-02"})
        assert missing.status == 503
        assert "without the history store" in (await missing.json())["error"]
