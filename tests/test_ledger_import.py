"""`tianyan import`: camera ledgers (台账) in, site maps that `tianyan check` accepts out.

The .xlsx ledgers are built here with openpyxl, as Excel would save them
(a merged title row, merged campus cells, blank rows); the CSV ledgers are in
tests/fixtures/ledgers/ or written here in the encodings Chinese Excel uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook

from monitor.cli import main
from site_map.ledger import (
    LedgerError,
    import_ledger,
    load_mapping,
    parse_campus_ids,
    read_ledger,
    run_import,
)
from site_map.ledger_headers import CATEGORY_WORDS, normalise
from site_map.loader import load_site_map
from tests.campus import PASSWORD

LEDGERS = Path(__file__).parent / "fixtures" / "ledgers"
PASSWORD_ENV = "TIANYAN_CAMERA_PASSWORD"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=8)))


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    merges: Sequence[str] = (),
    title: str = "台账",
    sheet_before: str | None = None,
) -> Path:
    """An .xlsx ledger as Excel saves it: merged cells keep their value in the top-left cell."""
    workbook = Workbook()
    sheet = workbook.active
    if sheet_before is not None:
        sheet.title = sheet_before
        sheet["A1"] = "填表说明：每台摄像机一行。"
        sheet = workbook.create_sheet(title)
    else:
        sheet.title = title
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=row_number, column=column, value=value)
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    workbook.save(path)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def errors_of(err: str) -> list[str]:
    """The problem lines of stderr (not the warnings, not the closing summary)."""
    return [
        line for line in err.splitlines() if not line.startswith(("warning: ", "tianyan import: "))
    ]


def warnings_of(err: str) -> list[str]:
    return [
        line.removeprefix("warning: ") for line in err.splitlines() if line.startswith("warning: ")
    ]


def check_accepts(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *extra_env: str
) -> str:
    for env in (PASSWORD_ENV, *extra_env):
        monkeypatch.setenv(env, "unused-here")
    code, out, err = run(["check", str(path)], capsys)
    assert code == 0, err
    return out


# ------------------------------------------------------------- Chinese .xlsx

CHINESE_HEADER = [
    "序号", "所属校区", "安装位置", "类别", "责任单位", "点位名称", "编号", "IP地址", "端口",
    "用户名", "密码", "录像机", "录像机IP", "通道号", "交换机", "人脸识别", "车辆卡口",
    "X", "Y", "朝向",
]  # fmt: skip


def chinese_ledger(path: Path, **options: Any) -> Path:
    """Title (merged) on row 1, blank row 2, header row 3, campus cells merged, a blank row 8."""
    rows: list[list[Any]] = [
        ["示例大学校园视频监控点位台账"],
        [],
        CHINESE_HEADER,
        [1, "北校区", "北门", "校门", "保卫处", "北门入口", None, "127.0.1.11", 80, "admin",
         PASSWORD, "北区录像机", "127.0.1.2", 1, "SW-N1", "√", None, 10, 20, 90],
        [2, None, "北门", None, "保卫处", "北门出口", None, "127.0.1.12", None, None,
         PASSWORD, "北区录像机", None, 2, "SW-N1", None, "是", 14, 20, 270],
        [3, None, "化学实验室", "实验室", "化学学院", "实验室走廊", "CAM-0103", "127.0.1.13",
         "8080", None, None, "北区录像机", None, 3, None, "否", None],
        [4, None, "财务室", "财务室", "财务处", "财务室门口", None, "127.0.1.14"],
        [],
        [5, "南校区", "南门", "校门", "保卫处", "南门卡口", None, "127.0.2.11", None, None,
         None, None, None, None, None, None, "√"],
        [6, "南校区", "体育馆", "体育馆", "体育部", "体育馆大厅", None, "127.0.2.12", None,
         None, None, None, "127.0.2.2", 1],
        [7, "南校区", "Library", "图书馆", "图书馆", "Library hall", "LIB-1", "127.0.2.13", 80.0],
    ]  # fmt: skip
    return write_xlsx(path, rows, merges=["A1:T1", "B4:B7"], **options)


CHINESE_SITE_MAP: dict[str, Any] = {
    "school": "示例大学",
    "credentials": {"default": {"username": "admin", "password_env": PASSWORD_ENV}},
    "campuses": [{"id": "north", "name": "北校区"}, {"id": "south", "name": "南校区"}],
    "sites": [
        {"id": "north-site-001", "name": "北门", "campus": "north", "category": "gate",
         "unit": "保卫处", "location": {"x": 12, "y": 20}},
        {"id": "north-site-002", "name": "化学实验室", "campus": "north",
         "category": "laboratory", "unit": "化学学院"},
        {"id": "north-site-003", "name": "财务室", "campus": "north",
         "category": "finance_office", "unit": "财务处"},
        {"id": "south-site-001", "name": "南门", "campus": "south", "category": "gate",
         "unit": "保卫处"},
        {"id": "south-site-002", "name": "体育馆", "campus": "south", "category": "gymnasium",
         "unit": "体育部"},
        {"id": "south-library", "name": "Library", "campus": "south", "category": "library",
         "unit": "图书馆"},
    ],
    "nvrs": [
        {"id": "nvr-001", "name": "北区录像机", "kind": "onvif", "host": "127.0.1.2",
         "port": 80, "campus": "north"},
        {"id": "nvr-127-0-2-2", "kind": "onvif", "host": "127.0.2.2", "port": 80,
         "campus": "south"},
    ],
    "cameras": [
        {"id": "north-cam-004", "name": "北门入口", "sites": ["north-site-001"],
         "roles": ["face_recognition"], "onvif": {"host": "127.0.1.11", "port": 80},
         "nvr": {"id": "nvr-001", "channel": 1},
         "position": {"x": 10, "y": 20, "heading": 90}, "switch": "SW-N1"},
        {"id": "north-cam-005", "name": "北门出口", "sites": ["north-site-001"],
         "roles": ["vehicle_checkpoint"], "onvif": {"host": "127.0.1.12", "port": 80},
         "nvr": {"id": "nvr-001", "channel": 2},
         "position": {"x": 14, "y": 20, "heading": 270}, "switch": "SW-N1"},
        {"id": "CAM-0103", "name": "实验室走廊", "sites": ["north-site-002"],
         "onvif": {"host": "127.0.1.13", "port": 8080}, "nvr": {"id": "nvr-001", "channel": 3}},
        {"id": "north-cam-007", "name": "财务室门口", "sites": ["north-site-003"],
         "onvif": {"host": "127.0.1.14", "port": 80}},
        {"id": "south-cam-009", "name": "南门卡口", "sites": ["south-site-001"],
         "roles": ["vehicle_checkpoint"], "onvif": {"host": "127.0.2.11", "port": 80}},
        {"id": "south-cam-010", "name": "体育馆大厅", "sites": ["south-site-002"],
         "onvif": {"host": "127.0.2.12", "port": 80},
         "nvr": {"id": "nvr-127-0-2-2", "channel": 1}},
        {"id": "LIB-1", "name": "Library hall", "sites": ["south-library"],
         "onvif": {"host": "127.0.2.13", "port": 80}},
    ],
}  # fmt: skip


def test_chinese_xlsx_ledger_becomes_the_expected_site_map(tmp_path, capsys, monkeypatch):
    ledger = chinese_ledger(tmp_path / "台账.xlsx")
    out = tmp_path / "site-map.yaml"
    code, stdout, err = run(["import", str(ledger), "-o", str(out), "--school", "示例大学"], capsys)
    assert code == 0, err
    assert stdout == ""
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == CHINESE_SITE_MAP
    assert warnings_of(err) == [
        f"{ledger}:3: column 密码 ignored: passwords are never written to the site map",
        f"{ledger}:3: columns ignored (not site-map fields): 序号",
    ]
    assert err.splitlines()[-1] == (
        f"{out}: written from {ledger}: 2 campuses, 6 sites, 7 cameras, 2 NVRs"
    )
    text = out.read_text(encoding="utf-8")
    assert PASSWORD not in text + err
    assert "北校区" in text  # UTF-8 as written, not \u escapes
    summary = check_accepts(out, capsys, monkeypatch)
    assert summary.startswith(f"{out}: ok: 示例大学: 2 campuses, 6 sites (gate 2, ")


def test_written_yaml_is_tidy_and_says_where_it_came_from(tmp_path):
    ledger = chinese_ledger(tmp_path / "台账.xlsx")
    result = import_ledger(ledger, school="示例大学")
    text = result.to_yaml(NOW)
    assert text.splitlines()[:7] == [
        "# Site map imported by `tianyan import` on 2026-03-02T09:30:00+08:00",
        f"# from {ledger}, sheet 台账, header on row 3",
        "# 2 campuses, 6 sites, 7 cameras, 2 NVRs",
        "# Passwords are never taken from the ledger: the devices' passwords are read from",
        "# the environment (TIANYAN_CAMERA_PASSWORD). Check this file with `tianyan check`;",
        "# see docs/ledger.md.",
        "",
    ]
    assert "\ncampuses:\n  - {id: north, name: 北校区}\n" in text
    assert (
        "\n  - {id: north-site-001, name: 北门, campus: north, category: gate, unit: 保卫处, "
        in text
    )
    assert "    onvif: {host: 127.0.1.11, port: 80}\n" in text
    # Sections in the order the site-map docs use, sites and cameras in ledger order.
    sections = ("school", "credentials", "campuses", "sites", "nvrs", "cameras")
    order = [text.index(f"\n{key}:") for key in sections]
    assert order == sorted(order)


def test_sheet_option_picks_the_ledger_sheet(tmp_path, capsys):
    ledger = chinese_ledger(tmp_path / "ledger.xlsx", sheet_before="说明")
    out = tmp_path / "site-map.yaml"
    code, _, err = run(["import", str(ledger), "-o", str(out)], capsys)
    assert code == 2
    assert errors_of(err)[0].startswith(f"{ledger}: no header row in the first 10 rows")
    assert not out.exists()
    code, _, err = run(
        ["import", str(ledger), "-o", str(out), "--sheet", "台账", "--school", "示例大学"], capsys
    )
    assert code == 0, err
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == CHINESE_SITE_MAP
    code, _, err = run(["import", str(ledger), "-o", str(out), "--sheet", "Sheet9"], capsys)
    assert code == 2
    assert errors_of(err) == [f"{ledger}: no sheet 'Sheet9' (sheets: 说明, 台账)"]


def test_campus_ids_option_names_the_campuses(tmp_path):
    ledger = chinese_ledger(tmp_path / "ledger.xlsx")
    result = import_ledger(ledger, school="示例大学", campus_ids={"北校区": "bei", "南校区": "nan"})
    assert [c["id"] for c in result.data["campuses"]] == ["bei", "nan"]
    assert [s["id"] for s in result.data["sites"]] == [
        "bei-site-001", "bei-site-002", "bei-site-003", "nan-site-001", "nan-site-002",
        "nan-library",
    ]  # fmt: skip
    assert result.data["cameras"][0]["id"] == "bei-cam-004"
    assert parse_campus_ids("北校区=north，南校区 = south") == {
        "北校区": "north",
        "南校区": "south",
    }
    with pytest.raises(ValueError, match="'北校区' is not NAME=ID"):
        parse_campus_ids("北校区")
    with pytest.raises(ValueError, match="'北 区' is not a valid id"):
        parse_campus_ids("北校区=北 区")


# ---------------------------------------------------------------- English CSV

ENGLISH_SITE_MAP: dict[str, Any] = {
    "school": "Example University",
    "credentials": {"default": {"username": "operator", "password_env": PASSWORD_ENV}},
    "campuses": [{"id": "east", "name": "East Campus"},
                 {"id": "west-campus", "name": "West Campus"}],
    "sites": [
        {"id": "east-main-gate", "name": "Main Gate", "campus": "east", "category": "gate",
         "unit": "Security Office", "location": {"lat": 31.2305, "lon": 121.4738}},
        {"id": "east-canteen-1", "name": "Canteen 1", "campus": "east", "category": "canteen",
         "unit": "Logistics"},
        {"id": "west-campus-chemistry-lab", "name": "Chemistry Lab", "campus": "west-campus",
         "category": "laboratory", "unit": "School of Chemistry"},
    ],
    "nvrs": [{"id": "nvr-east", "kind": "onvif", "host": "127.0.3.2", "port": 80,
              "campus": "east"}],
    "cameras": [
        {"id": "cam-001", "name": "Main gate entry", "sites": ["east-main-gate"],
         "roles": ["face_recognition"], "onvif": {"host": "127.0.3.11", "port": 80},
         "nvr": {"id": "nvr-east", "channel": 1},
         "position": {"lat": 31.2304, "lon": 121.4737}, "switch": "sw-gate"},
        {"id": "cam-002", "name": "Main gate exit", "sites": ["east-main-gate"],
         "roles": ["vehicle_checkpoint"], "onvif": {"host": "127.0.3.12", "port": 80},
         "nvr": {"id": "nvr-east", "channel": 2},
         "position": {"lat": 31.2306, "lon": 121.4739}, "switch": "sw-gate"},
        {"id": "cam-003", "name": "Canteen hall", "sites": ["east-canteen-1"],
         "onvif": {"host": "127.0.3.13", "port": 8000}, "nvr": {"id": "nvr-east", "channel": 3}},
        {"id": "cam-004", "name": "Lab, 2nd floor", "sites": ["west-campus-chemistry-lab"],
         "onvif": {"host": "127.0.3.14", "port": 80}},
    ],
}  # fmt: skip


def test_english_csv_ledger(tmp_path, capsys, monkeypatch):
    ledger = LEDGERS / "english.csv"
    out = tmp_path / "site-map.yaml"
    out.write_text("# the site map before\n", encoding="utf-8")
    out.chmod(0o640)
    options = ["--school", "Example University", "--campus-ids", "East Campus=east"]
    code, _, err = run(["import", str(ledger), "-o", str(out), *options], capsys)
    assert code == 0, err
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == ENGLISH_SITE_MAP
    assert out.stat().st_mode & 0o777 == 0o640  # replaced, with its mode kept
    assert [p.name for p in tmp_path.iterdir()] == ["site-map.yaml"]  # no temporary file left
    assert warnings_of(err) == [f"{ledger}:1: columns ignored (not site-map fields): Remarks"]
    check_accepts(out, capsys, monkeypatch)


CHINESE_CSV = """\
某某中学监控台账（2026年3月）

点位名称,IP地址,端口,安装位置,类别,所属校区,录像机IP,通道号
校门口,127.0.5.11,80,校门,校门,本部,127.0.5.2,1
主干道东段,127.0.5.12,,东西主干道,主干道,本部,127.0.5.2,2
一号楼门厅,127.0.5.13,,一号楼,门厅,本部,,
危化品库,127.0.5.14,,危化品仓库,危化品仓库,本部,127.0.5.2,3
"""


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("gb18030", ","), ("gbk", "\t"), ("utf-8-sig", ";"), ("utf-8", ","), ("utf-16", "\t")],
)
def test_csv_encodings_and_delimiters(tmp_path, capsys, monkeypatch, encoding, delimiter):
    ledger = tmp_path / "ledger.csv"
    ledger.write_bytes(CHINESE_CSV.replace(",", delimiter).encode(encoding))
    result = import_ledger(ledger, school="某某中学")
    assert result.header_row == 3
    assert result.data["campuses"] == [{"id": "main", "name": "本部"}]
    assert [(s["id"], s["name"], s["category"]) for s in result.data["sites"]] == [
        ("main-site-001", "校门", "gate"),
        ("main-site-002", "东西主干道", "main_road"),
        ("main-site-003", "一号楼", "building_entrance"),
        ("main-site-004", "危化品仓库", "hazardous_store"),
    ]
    assert [(c["id"], c.get("nvr")) for c in result.data["cameras"]] == [
        ("main-cam-004", {"id": "nvr-127-0-5-2", "channel": 1}),
        ("main-cam-005", {"id": "nvr-127-0-5-2", "channel": 2}),
        ("main-cam-006", None),
        ("main-cam-007", {"id": "nvr-127-0-5-2", "channel": 3}),
    ]
    out = tmp_path / "site-map.yaml"
    out.write_text(result.to_yaml(NOW), encoding="utf-8")
    check_accepts(out, capsys, monkeypatch)


def test_stdout_output(capsys):
    code, stdout, err = run(
        ["import", str(LEDGERS / "english.csv"), "-o", "-", "--school", "Example University"],
        capsys,
    )
    assert code == 0, err
    assert stdout.startswith("# Site map imported by `tianyan import` on ")
    data = yaml.safe_load(stdout)
    assert [c["id"] for c in data["campuses"]] == ["east-campus", "west-campus"]
    assert err.splitlines()[-1].startswith("standard output: written from ")


# ------------------------------------------------------------------- mistakes

UNKNOWN_CATEGORY = (
    "is not a known category (allowed: 校门 (gate), 楼栋出入口及门厅 (building_entrance), "
    "主要道路 (main_road), 交叉口 (intersection), 体育馆 (gymnasium), 食堂 (canteen), "
    "实验室 (laboratory), 财务室 (finance_office), 保密室 (confidential_room), "
    "田径场 (track_field), 篮球场 (basketball_court), 危化品储存场所 (hazardous_store), "
    "宿舍 (dormitory), 图书馆 (library))"
)


def test_a_ledger_with_mistakes_reports_each_one_and_writes_nothing(tmp_path, capsys):
    ledger = LEDGERS / "mistakes.csv"
    out = tmp_path / "site-map.yaml"
    out.write_text("# the previous site map\n", encoding="utf-8")
    code, stdout, err = run(["import", str(ledger), "-o", str(out), "--school", "X"], capsys)
    assert code == 2
    assert stdout == ""
    assert errors_of(err) == [
        f"{ledger}:3: 端口 'abc' is not a port (1–65535)",
        f"{ledger}:4: IP地址 '127.0.4.300' is not a host name or IP address",
        f"{ledger}:6: 类别 '运动场' {UNKNOWN_CATEGORY}",
        f"{ledger}:7: 安装位置 is empty",
        f"{ledger}:8: IP地址 '127.0.4.11' (port 80) is already used by row 2",
    ]
    assert warnings_of(err) == [
        f"{ledger}:1: column 密码 ignored: passwords are never written to the site map"
    ]
    assert err.splitlines()[-1] == f"tianyan import: 5 problems in {ledger}; nothing written"
    assert PASSWORD not in err
    assert out.read_text(encoding="utf-8") == "# the previous site map\n"


MISTAKES_XLSX: list[list[Any]] = [
    ["摄像机台账"],
    ["名称", "编号", "IP", "端口", "所属部位", "部位类别", "校区", "录像机", "录像机IP", "通道",
     "人脸识别", "经度", "纬度"],
    ["北门1", "c-1", "127.0.6.11", 80, "北门", "校门", "北校区", "nvr-1", "127.0.6.2", 1, "是"],
    ["北门2", "c-1", "127.0.6.12", 70000, "北门", "校门", "北校区", "nvr-1", "127.0.6.3", 1,
     "maybe"],
    [],
    [None, "c-3", "127.0.6.13", None, "操场", None, "北校区", None, None, 4, None, 121.5],
    ["北门3", "c 4", "127.0.6.2", None, "北门", "食堂", None, None, None, None, None, 200, 31],
    ["实验室", "c-5", "http://127.0.6.15", "8o", None, None, "北校区"],
]  # fmt: skip


def test_row_numbers_and_messages_in_an_xlsx_with_mistakes(tmp_path):
    ledger = write_xlsx(tmp_path / "ledger.xlsx", MISTAKES_XLSX, merges=["A1:M1"])
    with pytest.raises(LedgerError) as error:
        import_ledger(ledger, school="X")
    assert [str(p) for p in error.value.problems] == [
        f"{ledger}:4: 编号 'c-1' is already used on row 3",
        f"{ledger}:4: 端口 '70000' is not a port (1–65535)",
        f"{ledger}:4: 人脸识别 'maybe' is not yes or no (是/否, yes/no, √/×, 1/0)",
        f"{ledger}:4: 录像机IP '127.0.6.3' (port 80) differs from '127.0.6.2' (port 80) "
        "on row 3 for NVR 'nvr-1'",
        f"{ledger}:4: 通道 1 of NVR 'nvr-1' is already used on row 3",
        f"{ledger}:6: 名称 is empty",
        f"{ledger}:6: 经度 is given without 纬度",
        f"{ledger}:6: 部位类别 is empty",
        f"{ledger}:7: 编号 'c 4' is not a valid id (up to 128 letters, digits, '.', '_' or '-', "
        "starting with a letter or digit)",
        f"{ledger}:7: 校区 is empty",
        f"{ledger}:7: IP '127.0.6.2' (port 80) is already used by NVR 'nvr-1' (row 3)",
        f"{ledger}:7: 经度 '200' is not a longitude (−180 to 180)",
        f"{ledger}:8: 所属部位 is empty",
        f"{ledger}:8: IP 'http://127.0.6.15' is not a host name or IP address",
        f"{ledger}:8: 端口 '8o' is not a port (1–65535)",
    ]
    assert [str(p) for p in error.value.warnings] == [
        f"{ledger}:6: 通道 4 ignored: the row names no NVR (录像机 or 录像机IP)",
    ]


def test_missing_and_doubled_columns_are_reported_at_the_header_row(tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "标题\n序号,名称,点位名称,IP地址,类别\n1,a,b,127.0.0.1,校门\n", encoding="utf-8"
    )
    with pytest.raises(LedgerError) as error:
        import_ledger(ledger, school="X")
    assert [str(p) for p in error.value.problems] == [
        f"{ledger}:2: columns 名称 and 点位名称 are both read as name: map one of them to "
        "ignore with --mapping",
        f"{ledger}:2: no column for the key site (安装位置, 所属部位, 重点部位 or site)",
    ]


def test_a_file_that_is_not_a_ledger(tmp_path, capsys):
    for name, content, message in [
        ("notes.csv", "just some notes\nand more\n", "no header row in the first 10 rows"),
        ("old.xls", "", "cannot read '.xls' files: give .xlsx or .csv (save it as .xlsx"),
        ("broken.xlsx", "not a zip", "cannot read: not an .xlsx workbook"),
    ]:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        code, _, err = run(["import", str(path), "-o", str(tmp_path / "out.yaml")], capsys)
        assert code == 2
        assert errors_of(err)[0].startswith(f"{path}: {message}"), err
    assert not (tmp_path / "out.yaml").exists()


# -------------------------------------------------------- mapping, options


def test_mapping_file_names_other_headers(tmp_path, capsys, monkeypatch):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "Kamera;Adresse;Standort;Art;Gelände;Bemerkung;名称\n"
        "Tor Nord 1;127.0.7.11;Nordtor;gate;Nord;neu;别名一\n"
        "Tor Nord 2;127.0.7.12;Nordtor;gate;Nord;;别名二\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "Kamera: name\nADRESSE: host\nStandort: site\nArt: category\n"
        "gelände: campus\nBemerkung: ignore\n名称: ignore\nFehlt: port\n",
        encoding="utf-8",
    )
    out = tmp_path / "site-map.yaml"
    code, _, err = run(
        ["import", str(ledger), "-o", str(out), "--mapping", str(mapping), "--school", "X"],
        capsys,
    )
    assert code == 0, err
    # 名称 would be the camera name without the mapping; Bemerkung is dropped quietly.
    assert warnings_of(err) == [f"{ledger}:1: --mapping: no column 'Fehlt' in this row"]
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["campuses"] == [{"id": "nord", "name": "Nord"}]
    assert data["sites"] == [
        {"id": "nord-nordtor", "name": "Nordtor", "campus": "nord", "category": "gate"}
    ]
    assert [(c["id"], c["name"]) for c in data["cameras"]] == [
        ("nord-cam-002", "Tor Nord 1"),
        ("nord-cam-003", "Tor Nord 2"),
    ]
    check_accepts(out, capsys, monkeypatch)

    mapping.write_text("Kamera: camera_name\n", encoding="utf-8")
    code, _, err = run(["import", str(ledger), "-o", str(out), "--mapping", str(mapping)], capsys)
    assert code == 2
    assert errors_of(err)[0].startswith(
        f"{mapping}: 'Kamera': unknown field 'camera_name' (fields: name, id, site, category, "
    )
    with pytest.raises(LedgerError) as error:
        load_mapping(tmp_path / "missing.yaml")
    assert (
        str(error.value) == f"{tmp_path / 'missing.yaml'}: cannot read: No such file or directory"
    )


def test_bad_campus_ids_option(capsys):
    code, _, err = run(
        ["import", str(LEDGERS / "english.csv"), "-o", "-", "--campus-ids", "East Campus"], capsys
    )
    assert code == 2
    assert err.strip() == "tianyan import: --campus-ids: 'East Campus' is not NAME=ID"


def test_second_user_name_gets_its_own_credentials(tmp_path, capsys, monkeypatch):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "点位名称,IP地址,安装位置,类别,校区,用户名,密码\n"
        f"东门,127.0.8.11,东门,校门,东校区,admin,{PASSWORD}\n"
        f"东食堂,127.0.8.12,食堂,食堂,东校区,operator,{PASSWORD}\n"
        "西食堂,127.0.8.13,食堂,食堂,西校区,,\n",
        encoding="utf-8",
    )
    result = import_ledger(ledger, school="X")
    assert result.data["credentials"] == {
        "default": {"username": "admin", "password_env": PASSWORD_ENV},
        "user-2": {"username": "operator", "password_env": f"{PASSWORD_ENV}_2"},
    }
    assert [(c["id"], c["sites"], c["onvif"]) for c in result.data["cameras"]] == [
        ("east-cam-002", ["east-site-001"], {"host": "127.0.8.11", "port": 80}),
        ("east-cam-003", ["east-site-002"],
         {"host": "127.0.8.12", "port": 80, "credentials": "user-2"}),
        ("west-cam-004", ["west-site-001"], {"host": "127.0.8.13", "port": 80}),
    ]  # fmt: skip
    assert (
        f"{ledger}:3: 用户名 'operator' differs from the first one: its cameras log in with "
        f"credentials 'user-2', password from {PASSWORD_ENV}_2" in [str(w) for w in result.warnings]
    )
    out = tmp_path / "site-map.yaml"
    text = result.to_yaml(NOW)
    assert PASSWORD not in text
    out.write_text(text, encoding="utf-8")
    check_accepts(out, capsys, monkeypatch, f"{PASSWORD_ENV}_2")


def test_recorder_without_host_and_other_warnings(tmp_path, capsys, monkeypatch):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "点位名称,IP地址,安装位置,类别,录像机,通道号,朝向\n"
        "a,127.0.9.11,门,校门,北区NVR,1,\n"
        "点位名称,IP地址,安装位置,类别,录像机,通道号,朝向\n"
        "b,127.0.9.12,门,校门,北区NVR,2,\n"
        "c,127.0.9.13,馆,图书馆,,,45\n"
        "d,127.0.9.14,馆,图书馆,北区NVR,,\n",
        encoding="utf-8",
    )
    result = import_ledger(ledger, school="X")
    assert [str(w) for w in result.warnings] == [
        f"{ledger}:2: NVR '北区NVR' has no 录像机IP: the recording of rows 2, 4 is left out "
        "of the site map (add the NVR under nvrs: by hand)",
        f"{ledger}:5: 朝向 ignored: the camera has no position (X/Y or 经度/纬度)",
        f"{ledger}:6: NVR '北区NVR' given without 通道号: the camera's recording is left out "
        "of the site map",
    ]
    assert "nvrs" not in result.data
    assert result.data["campuses"] == [{"id": "main"}]
    assert [(c["id"], "nvr" in c) for c in result.data["cameras"]] == [
        ("main-cam-002", False),
        ("main-cam-004", False),  # row 3 repeats the header: skipped
        ("main-cam-005", False),
        ("main-cam-006", False),
    ]
    out = tmp_path / "site-map.yaml"
    out.write_text(result.to_yaml(NOW), encoding="utf-8")
    check_accepts(out, capsys, monkeypatch)
    loaded = load_site_map(out, environ={PASSWORD_ENV: "unused-here"})
    assert loaded.warnings == ()


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("*IP 地址（必填）", "host"),
        ("ＩＰ地址", "host"),
        ("经度(°)", "lon"),
        ("Camera_Name", "name"),
        ("NVR IP", "nvr_host"),
        ("硬盘录像机", "nvr"),
        ("通道号", "channel"),
        ("重点部位", "site"),
        ("部位类别", "category"),
        ("管理单位", "unit"),
        ("端口号", "port"),
        ("所属校区", "campus"),
    ],
)
def test_header_vocabulary_ignores_case_spaces_and_punctuation(header, field):
    from site_map.ledger_headers import HEADER_WORDS

    assert HEADER_WORDS[normalise(header)] == field


@pytest.mark.parametrize(
    ("word", "category"),
    [
        ("校门", "gate"), ("楼栋出入口", "building_entrance"), ("门厅", "building_entrance"),
        ("主要道路", "main_road"), ("主干道", "main_road"), ("交叉口", "intersection"),
        ("路口", "intersection"), ("体育馆", "gymnasium"), ("食堂", "canteen"),
        ("实验室", "laboratory"), ("财务室", "finance_office"), ("保密室", "confidential_room"),
        ("田径场", "track_field"), ("篮球场", "basketball_court"),
        ("危化品储存场所", "hazardous_store"), ("危化品仓库", "hazardous_store"),
        ("宿舍", "dormitory"), ("图书馆", "library"), ("Main_Road", "main_road"),
        ("Track and field", "track_field"),
    ],
)  # fmt: skip
def test_category_vocabulary(word, category):
    assert CATEGORY_WORDS[normalise(word)] == category


def test_read_ledger_keeps_spreadsheet_row_numbers(tmp_path):
    ledger = write_xlsx(tmp_path / "l.xlsx", [["t"], [], [], ["a", "b"], [], ["c"]])
    table = read_ledger(ledger)
    assert len(table.rows) == 6
    assert table.rows[3][:2] == ("a", "b")
    assert table.rows[5][0] == "c"


def test_run_import_is_callable_without_the_command_line(tmp_path):
    import io

    out, err = io.StringIO(), io.StringIO()
    code = run_import(
        str(LEDGERS / "english.csv"), "-", stdout=out, stderr=err, school="E", now=NOW
    )
    assert code == 0
    assert out.getvalue().startswith(
        "# Site map imported by `tianyan import` on 2026-03-02T09:30:00+08:00\n"
    )


def test_recorder_kind_required_count_and_rows_joining_a_recorder_by_address(tmp_path):
    ledger = tmp_path / "ledger.csv"
    header = "点位名称,IP地址,安装位置,类别,应装数量,录像机,录像机IP,通道号,录像机品牌\n"
    good = (
        "a,127.0.10.11,北门,校门,3,NVR-A,127.0.10.2,1,海康\n"
        "b,127.0.10.12,北门,校门,,,127.0.10.2,2,\n"
    )
    ledger.write_text(
        header + good + "c,127.0.10.13,南门,校门,-1,,,,\nd,127.0.10.14,东门,校门,,NVR-A,,3,大华\n",
        encoding="utf-8",
    )
    with pytest.raises(LedgerError) as error:
        import_ledger(ledger, school="X")
    assert [str(p) for p in error.value.problems] == [
        f"{ledger}:4: 应装数量 '-1' is not a camera count (0 or more)",
        f"{ledger}:5: 录像机品牌 '大华' differs from '海康' on row 2 for NVR 'NVR-A'",
    ]
    ledger.write_text(header + good, encoding="utf-8")
    data = import_ledger(ledger, school="X").data
    assert data["sites"] == [
        {"id": "main-site-001", "name": "北门", "campus": "main", "category": "gate",
         "required_cameras": 3},
    ]  # fmt: skip
    assert data["nvrs"] == [
        {"id": "NVR-A", "kind": "hikvision", "host": "127.0.10.2", "port": 80, "campus": "main"}
    ]
    assert [c["nvr"] for c in data["cameras"]] == [
        {"id": "NVR-A", "channel": 1},
        {"id": "NVR-A", "channel": 2},
    ]
