"""Importing a camera ledger (台账) into a site map: ``tianyan import LEDGER -o site-map.yaml``.

Schools keep their cameras in a spreadsheet: one row per camera, with its
name, IP address, the key site it watches, the site's category, campus,
recorder and channel. `import_ledger` reads such a ledger (``.xlsx``, or
``.csv`` in UTF-8, UTF-16 or GB18030 with a comma, tab or semicolon), finds
the header row among the first ten rows, checks *every* row, and either
returns the site map or raises `LedgerError` with one message per problem,
located by the spreadsheet's own row number (``ledger.xlsx:14: 端口 'abc' is
not a port (1–65535)``). The result is validated with the site map's own
models and cross-reference checks before anything is written.

A password column is never read: the site map always names the environment
variable the password comes from (``TIANYAN_CAMERA_PASSWORD``). The vocabulary
of headers, categories and yes/no cells is in `site_map.ledger_headers`; the
choices made here (ids, sites, recorders) are documented in docs/ledger.md.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TextIO

import yaml
from pydantic import ValidationError

from site_map.ledger_headers import (
    CATEGORY_WORDS,
    FIELD_LABELS,
    FIELDS,
    HEADER_WORDS,
    IGNORE,
    NO_WORDS,
    NVR_KIND_WORDS,
    REQUIRED_FIELDS,
    YES_WORDS,
    campus_direction_id,
    normalise,
)
from site_map.loader import Problem
from site_map.model import ID_PATTERN, SiteMap, check_host
from site_map.policy import CATEGORIES
from site_map.validate import check_site_map, render_path

__all__ = [
    "DEFAULT_USERNAME",
    "PASSWORD_ENV",
    "LedgerError",
    "LedgerImport",
    "LedgerTable",
    "import_ledger",
    "load_mapping",
    "parse_campus_ids",
    "read_ledger",
    "run_import",
]

PASSWORD_ENV = "TIANYAN_CAMERA_PASSWORD"
DEFAULT_USERNAME = "admin"
DEFAULT_CAMPUS = "main"  # the one campus of a ledger without a campus column
HEADER_SEARCH_ROWS = 10
EXIT_OK, EXIT_INVALID = 0, 2
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_DELIMITERS = (",", "\t", ";")
_ID = re.compile(ID_PATTERN)
_ID_RULE = "up to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"
_ALLOWED_CATEGORIES = ", ".join(f"{c.name_zh} ({c.id})" for c in CATEGORIES.values())
# Camera position cells: what a valid value is, and how to say it is not one.
_POSITION_CHECKS: dict[str, tuple[Callable[[float], bool], str]] = {
    "x": (lambda value: True, "a number"),
    "y": (lambda value: True, "a number"),
    "lat": (lambda value: -90 <= value <= 90, "a latitude (−90 to 90)"),
    "lon": (lambda value: -180 <= value <= 180, "a longitude (−180 to 180)"),
    "heading": (lambda value: 0 <= value <= 360, "a heading (0 to 360 degrees)"),
    "fov": (lambda value: 0 < value <= 360, "a field of view (more than 0, up to 360 degrees)"),
    "range": (lambda value: value > 0, "a range in metres (more than 0)"),
}

Cell = Any  # what a spreadsheet cell holds: str, int, float, bool, datetime or None


class LedgerError(Exception):
    """The ledger cannot be imported; `problems` lists every reason found."""

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.warnings: tuple[Problem, ...] = tuple(warnings)
        super().__init__("\n".join(str(p) for p in self.problems))


# ------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class LedgerTable:
    """The cells of a ledger, row by row; ``rows[i]`` is spreadsheet row ``i + 1``."""

    display: str
    sheet: str | None
    rows: tuple[tuple[Cell, ...], ...]


def read_ledger(path: str | Path, *, sheet: str | None = None) -> LedgerTable:
    """Every row of the ledger (first sheet, or `sheet`); raise `LedgerError` if unreadable."""
    display = str(path)
    file = Path(path)
    suffix = file.suffix.lower()
    if not file.is_file():
        raise LedgerError([Problem(display, None, "cannot read: no such file")])
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(file, display, sheet)
    if suffix in CSV_SUFFIXES:
        if sheet is not None:
            raise LedgerError([Problem(display, None, "--sheet applies to .xlsx ledgers only")])
        return _read_csv(file, display)
    hint = " (save it as .xlsx from Excel or WPS)" if suffix in (".xls", ".et") else ""
    raise LedgerError(
        [
            Problem(
                display,
                None,
                f"cannot read '{suffix or file.name}' files: give .xlsx or .csv{hint}",
            )
        ]
    )


def _read_xlsx(file: Path, display: str, sheet: str | None) -> LedgerTable:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or "not an .xlsx workbook"
        raise LedgerError([Problem(display, None, f"cannot read: {reason}")]) from None
    try:
        if sheet is None:
            if not workbook.worksheets:
                raise LedgerError([Problem(display, None, "the workbook has no worksheet")])
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            names = ", ".join(workbook.sheetnames)
            raise LedgerError([Problem(display, None, f"no sheet '{sheet}' (sheets: {names})")])
        # Some exporters write a wrong used range; read-only mode would trust it.
        worksheet.reset_dimensions()
        try:
            rows = [list(row) for row in worksheet.iter_rows(values_only=True)]
            _fill_merged_cells(rows, _merged_ranges(worksheet))
        except (SyntaxError, zipfile.BadZipFile, KeyError, ValueError, OSError):
            # ElementTree's ParseError is a SyntaxError: the sheet's XML is damaged.
            problem = Problem(display, None, f"cannot read sheet '{worksheet.title}': damaged")
            raise LedgerError([problem]) from None
        title = str(worksheet.title)
    finally:
        workbook.close()
    return LedgerTable(display, title, tuple(tuple(row) for row in rows))


def _merged_ranges(worksheet: Any) -> list[tuple[int, int, int, int]]:
    """The merged cell ranges of a read-only sheet, as (min_col, min_row, max_col, max_row).

    Chinese ledgers merge a campus or site cell over all its rows (合并单元格);
    read-only mode does not report merges, so the ``<mergeCell>`` elements are
    read from the sheet's XML with the parser openpyxl reads the cells with.
    Without that (another openpyxl layout) the sheet is taken as unmerged.
    """
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    open_source = getattr(worksheet, "_get_source", None)
    if open_source is None:
        return []
    tag = f"{{{SHEET_MAIN_NS}}}mergeCell"
    ranges: list[tuple[int, int, int, int]] = []
    with open_source() as source:
        for _, element in iterparse(source):
            if element.tag == tag and element.get("ref"):
                bounds = range_boundaries(element.get("ref"))
                if None not in bounds:
                    ranges.append(bounds)
            element.clear()
    return ranges


def _fill_merged_cells(rows: list[list[Cell]], ranges: Sequence[tuple[int, int, int, int]]) -> None:
    """Give every cell of a merged range the value Excel shows there: its top-left cell's."""
    for min_col, min_row, max_col, max_row in ranges:
        if min_row > len(rows):
            continue
        anchor_row = rows[min_row - 1]
        value = anchor_row[min_col - 1] if min_col <= len(anchor_row) else None
        for row_index in range(min_row - 1, min(max_row, len(rows))):
            row = rows[row_index]
            if len(row) < max_col:
                row.extend([None] * (max_col - len(row)))
            for col_index in range(min_col - 1, max_col):
                row[col_index] = value


def _decode(data: bytes) -> str | None:
    """The text: UTF-16 by its BOM (Excel's "Unicode text"), UTF-8 (BOM or not), else GB18030
    (which covers GBK, what Chinese Excel writes for "CSV")."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _sniff_delimiter(text: str) -> str:
    """The delimiter giving the widest of the first rows (ties: comma, tab, semicolon)."""
    sample = "\n".join(text.splitlines()[: HEADER_SEARCH_ROWS + 5])

    def width(delimiter: str) -> int:
        try:
            rows = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            return max((len(row) for row in rows), default=0)
        except csv.Error:
            return 0

    return max(_DELIMITERS, key=width)


def _read_csv(file: Path, display: str) -> LedgerTable:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise LedgerError([Problem(display, None, f"cannot read: {exc.strerror}")]) from None
    text = _decode(data)
    if text is None:
        raise LedgerError(
            [Problem(display, None, "cannot read: not UTF-8, UTF-16 or GB18030 text")]
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        # One record is one spreadsheet row, even with line breaks inside a quoted cell.
        rows = tuple(tuple(record) for record in reader)
    except csv.Error as exc:
        raise LedgerError([Problem(display, reader.line_num, f"cannot read: {exc}")]) from None
    return LedgerTable(display, None, rows)


# ---------------------------------------------------------------------- cells


def _text(raw: Cell) -> str:
    """A cell as the text Excel shows, spaces and line breaks collapsed."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() and abs(raw) < 1e15 else repr(raw)
    if isinstance(raw, datetime | date | time):
        return raw.isoformat()
    return " ".join(str(raw).split())


def _folded(raw: Cell) -> str:
    """Text with full-width digits and letters folded (１０．０．０．１ -> 10.0.0.1)."""
    return unicodedata.normalize("NFKC", _text(raw)).strip()


def _integer(raw: Cell) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    match = re.fullmatch(r"\+?(\d+)(?:\.0*)?", _folded(raw))
    return int(match.group(1)) if match else None


def _number(raw: Cell) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        try:
            value = float(_folded(raw))
        except ValueError:
            return None
    return value if value == value and abs(value) != float("inf") else None


def _tidy_number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _address_key(host: str, port: int) -> str:
    try:
        return f"{ipaddress.ip_address(host).compressed}:{port}"
    except ValueError:
        return f"{host.lower().rstrip('.')}:{port}"


def _host_slug(host: str | None, port: int | None) -> str:
    """``127.0.5.2`` -> ``127-0-5-2``; the port is added when it is not 80."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", host or "").strip("-")
    return slug if port in (None, 80) else f"{slug}-{port}"


def _ascii_slug(text: str) -> str | None:
    """``Main Gate`` -> ``main-gate``; None for a name with Chinese (or other) letters."""
    folded = unicodedata.normalize("NFKC", text)
    if not folded.isascii():
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:100].rstrip("-") or None


class _Ids:
    """Hands out ids unique within one kind: ``base``, then ``base-2``, ``base-3``..."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def claim(self, base: str) -> str:
        candidate, n = base, 2
        while candidate in self.used:
            candidate = f"{base}-{n}"
            n += 1
        self.used.add(candidate)
        return candidate


def _named_id(ids: _Ids, text: str, prefix: str, ordinal: int) -> str:
    """An id for a named thing: the name itself when it is a valid id, its ASCII
    slug, else ``PREFIX-001`` by order of first appearance."""
    if _ID.match(text):
        return ids.claim(text)
    slug = _ascii_slug(text)
    return ids.claim(slug if slug and _ID.match(slug) else f"{prefix}-{ordinal:03d}")


# ---------------------------------------------------------------- header row


@dataclass(frozen=True)
class _Column:
    index: int
    header: str  # as written in the ledger
    field: str


def load_mapping(path: str | Path) -> dict[str, str]:
    """A ``--mapping`` file: ``{their header: our field}`` (``ignore`` drops a column).

    Returns header (as written in the file) -> field; raises `LedgerError` when
    the file is bad. Headers are matched as the built-in ones are (`normalise`).
    """
    display = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise LedgerError([Problem(display, None, f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise LedgerError([Problem(display, None, "cannot read: not UTF-8 text")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise LedgerError([Problem(display, line, "invalid YAML")]) from None
    if not isinstance(data, dict):
        raise LedgerError([Problem(display, None, "must be a mapping of ledger headers to fields")])
    allowed = (*FIELDS, IGNORE)
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for header, target in data.items():
        target_name = IGNORE if target is None else str(target).strip()
        key = normalise(str(header))
        if target_name not in allowed:
            problems.append(
                Problem(
                    display,
                    None,
                    f"'{header}': unknown field '{target_name}' (fields: {', '.join(allowed)})",
                )
            )
        elif not key:
            problems.append(Problem(display, None, f"'{header}': not a usable header"))
        else:
            mapping[str(header)] = target_name
    if problems:
        raise LedgerError(problems)
    return mapping


def _field_of(header: str, mapping: Mapping[str, str]) -> str | None:
    """The field a header feeds; `mapping` is normalised header -> field."""
    key = normalise(header)
    return mapping.get(key) or HEADER_WORDS.get(key)


def _find_header(table: LedgerTable, mapping: Mapping[str, str]) -> int:
    """The index of the header row: the one of the first ten naming most known fields."""
    best, best_score = -1, 1  # at least two known headers
    for index, row in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        fields = {_field_of(_text(cell), mapping) for cell in row if _text(cell)}
        score = len(fields - {None, IGNORE})
        if score > best_score:
            best, best_score = index, score
    if best < 0:
        raise LedgerError(
            [
                Problem(
                    table.display,
                    None,
                    f"no header row in the first {HEADER_SEARCH_ROWS} rows: expected columns "
                    "such as 点位名称, IP地址, 安装位置, 类别 (or name, host, site, category; "
                    "other headers can be named with --mapping)",
                )
            ]
        )
    return best


# ------------------------------------------------------------------ building


@dataclass
class _Site:
    id: str
    name: str
    campus: str
    rows: list[int] = field(default_factory=list)
    category: tuple[str, int, str] | None = None  # id, row, as written
    category_tried: bool = False  # some row gave a category, maybe a bad one
    unit: tuple[str, int] | None = None
    required: tuple[int, int] | None = None
    positions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Nvr:
    id: str
    name: str
    first_row: int
    address: tuple[str, int, int] | None = None  # host, port, row
    kind: tuple[str, int, str] | None = None  # kind, row, as written
    campuses: set[str] = field(default_factory=set)
    rows: list[int] = field(default_factory=list)


@dataclass
class _Camera:
    row: int
    id: str
    name: str
    site: _Site
    host: str
    port: int
    credentials: str
    roles: list[str]
    nvr: _Nvr | None
    channel: int | None
    position: dict[str, Any] | None
    switch: str | None


@dataclass
class _Credential:
    key: str  # under credentials:
    env: str  # the variable its password is read from


@dataclass(frozen=True)
class LedgerImport:
    """A ledger turned into a valid site map (`data`, ready for YAML)."""

    data: dict[str, Any]
    warnings: tuple[Problem, ...]
    source: str
    sheet: str | None
    header_row: int

    def summary(self) -> str:
        """``2 campuses, 8 sites, 12 cameras, 1 NVR``."""
        counts = [
            (len(self.data["campuses"]), "campus", "campuses"),
            (len(self.data.get("sites", ())), "site", "sites"),
            (len(self.data.get("cameras", ())), "camera", "cameras"),
            (len(self.data.get("nvrs", ())), "NVR", "NVRs"),
        ]
        return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts)

    def to_yaml(self, now: datetime | None = None) -> str:
        """The site map as tidy YAML, headed by a comment saying where it came from."""
        moment = now or datetime.now()
        if moment.tzinfo is None:
            moment = moment.astimezone()
        stamp = moment.isoformat(timespec="seconds")
        where = self.source if self.sheet is None else f"{self.source}, sheet {self.sheet}"
        logins = sorted({entry["password_env"] for entry in self.data["credentials"].values()})
        lines = [
            f"# Site map imported by `tianyan import` on {stamp}",
            f"# from {where}, header on row {self.header_row}",
            f"# {self.summary()}",
            "# Passwords are never taken from the ledger: the devices' passwords are read from",
            f"# the environment ({', '.join(logins)}). Check this file with `tianyan check`;",
            "# see docs/ledger.md.",
            "",
            "",
        ]
        # A line break in a file or sheet name would end the comment.
        lines = [" ".join(line.split()) if line else line for line in lines]
        sections = ("school", "credentials", "campuses", "sites", "nvrs", "cameras")
        blocks = [_dump({key: self.data[key]}) for key in sections if key in self.data]
        return "\n".join(lines) + "\n".join(blocks)


class _Builder:
    """Reads the rows under the header into sites, cameras and NVRs, noting every problem."""

    def __init__(
        self,
        table: LedgerTable,
        columns: Sequence[_Column],
        campus_ids: Mapping[str, str],
    ) -> None:
        self.display = table.display
        self.columns = {column.field: column for column in columns}
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.campus_overrides = {normalise(name): ident for name, ident in campus_ids.items()}
        self.campus_ids = _Ids()
        self.campus_ids.used.update(self.campus_overrides.values())
        self.campuses: dict[str, tuple[str, str]] = {}  # normalised name -> (id, name)
        self.site_ids = _Ids()
        self.sites: dict[tuple[str, str], _Site] = {}
        self.sites_per_campus: dict[str, int] = {}
        self.cameras: list[_Camera] = []
        self.camera_ids: dict[str, int] = {}  # id -> row
        self.addresses: dict[str, str] = {}  # host:port -> "row N" or "NVR 'x' (row N)"
        self.nvr_ids = _Ids()
        self.nvrs: dict[str, _Nvr] = {}  # name as written (or host:port) -> NVR
        self.nvr_by_address: dict[str, str] = {}  # host:port -> key in `nvrs`
        self.channels: dict[tuple[str, int], int] = {}  # (nvr id, channel) -> row
        self.switch_ids = _Ids()
        self.switches: dict[str, str] = {}
        self.usernames: dict[str, _Credential] = {}

    # -- cells and messages

    def header(self, name: str) -> str:
        column = self.columns.get(name)
        return column.header if column else name

    def raw(self, cells: Sequence[Cell], name: str) -> Cell:
        column = self.columns.get(name)
        if column is None or column.index >= len(cells):
            return None
        return cells[column.index]

    def error(self, row: int, message: str) -> None:
        self.problems.append(Problem(self.display, row, message))

    def warn(self, row: int | None, message: str) -> None:
        self.warnings.append(Problem(self.display, row, message))

    def bad(self, row: int, name: str, raw: Cell, what: str) -> None:
        self.error(row, f"{self.header(name)} '{_text(raw)}' is not {what}")

    # -- one row

    def add_row(self, row: int, cells: Sequence[Cell]) -> None:
        # Each check runs whatever the others found, so that every problem of
        # the row is reported at once.
        name = _text(self.raw(cells, "name"))
        if not name:
            self.error(row, f"{self.header('name')} is empty")
        explicit_id = self.camera_id(row, cells)
        campus = self.campus(row, cells)
        camera_id = explicit_id
        if camera_id is None and campus is not None and not _text(self.raw(cells, "id")):
            camera_id = f"{campus}-cam-{row:03d}"
        if camera_id is not None:
            first = self.camera_ids.setdefault(camera_id, row)
            if first != row:
                which = self.header("id") if explicit_id else "the generated id"
                self.error(row, f"{which} '{camera_id}' is already used on row {first}")
        site = self.site(row, cells, campus)
        host, port = self.host_and_port(row, cells)
        if host is not None and port is not None:
            self.claim_address(row, "host", host, port, f"row {row}")
        credentials = self.credentials(row, cells)
        roles = self.roles(row, cells)
        nvr, channel = self.recording(row, cells, campus)
        switch = self.switch(cells)
        position = self.position(row, cells)
        if camera_id is None or site is None or host is None or port is None:
            return  # reported above; nothing is written anyway
        if position is not None:
            site.positions.append(position)
        self.cameras.append(
            _Camera(
                row=row,
                id=camera_id,
                name=name,
                site=site,
                host=host,
                port=port,
                credentials=credentials,
                roles=roles,
                nvr=nvr,
                channel=channel,
                position=position,
                switch=switch,
            )
        )

    def camera_id(self, row: int, cells: Sequence[Cell]) -> str | None:
        raw = self.raw(cells, "id")
        text = _folded(raw)
        if not text:
            return None
        if not _ID.match(text):
            self.bad(row, "id", raw, f"a valid id ({_ID_RULE})")
            return None
        return text

    def campus(self, row: int, cells: Sequence[Cell]) -> str | None:
        if "campus" not in self.columns:
            return self.campus_id(DEFAULT_CAMPUS, "")
        name = _text(self.raw(cells, "campus"))
        if not name:
            self.error(row, f"{self.header('campus')} is empty")
            return None
        return self.campus_id(name, name)

    def campus_id(self, key_name: str, name: str) -> str:
        key = normalise(key_name) or key_name
        known = self.campuses.get(key)
        if known is not None:
            return known[0]
        ident = self.campus_overrides.get(key)
        if ident is None:
            base = campus_direction_id(name) or _ascii_slug(name) or key_name
            if not _ID.match(base):
                base = f"campus-{len(self.campuses) + 1}"
            ident = self.campus_ids.claim(base)
        self.campuses[key] = (ident, name)
        return ident

    def site(self, row: int, cells: Sequence[Cell], campus: str | None) -> _Site | None:
        name = _text(self.raw(cells, "site"))
        if not name:
            self.error(row, f"{self.header('site')} is empty")
        category = self.category(row, cells)
        unit = _text(self.raw(cells, "unit")) or None
        required = self.count(row, cells)
        if campus is None or not name:
            return None
        site = self.sites.get((campus, name))
        if site is None:
            ordinal = self.sites_per_campus.get(campus, 0) + 1
            self.sites_per_campus[campus] = ordinal
            slug = _ascii_slug(name)
            base = f"{campus}-{slug}" if slug else f"{campus}-site-{ordinal:03d}"
            site = _Site(self.site_ids.claim(base[:120]), name, campus)
            self.sites[(campus, name)] = site
        site.rows.append(row)
        raw_category = self.raw(cells, "category")
        if _text(raw_category):
            site.category_tried = True
        if category is not None:
            if site.category is None:
                site.category = (category, row, _text(raw_category))
            elif site.category[0] != category:
                self.error(
                    row,
                    f"{self.header('category')} '{_text(raw_category)}' differs from "
                    f"'{site.category[2]}' on row {site.category[1]} for site '{name}'",
                )
        if unit is not None:
            if site.unit is None:
                site.unit = (unit, row)
            elif site.unit[0] != unit:
                self.error(
                    row,
                    f"{self.header('unit')} '{unit}' differs from '{site.unit[0]}' on row "
                    f"{site.unit[1]} for site '{name}'",
                )
        if required is not None:
            if site.required is None:
                site.required = (required, row)
            elif site.required[0] != required:
                self.error(
                    row,
                    f"{self.header('required_cameras')} {required} differs from "
                    f"{site.required[0]} on row {site.required[1]} for site '{name}'",
                )
        return site

    def category(self, row: int, cells: Sequence[Cell]) -> str | None:
        raw = self.raw(cells, "category")
        if not _text(raw):
            return None  # another row of the same site may give it (checked at the end)
        category = CATEGORY_WORDS.get(normalise(_text(raw)))
        if category is None:
            self.bad(row, "category", raw, f"a known category (allowed: {_ALLOWED_CATEGORIES})")
        return category

    def count(self, row: int, cells: Sequence[Cell]) -> int | None:
        raw = self.raw(cells, "required_cameras")
        if not _text(raw):
            return None
        value = _integer(raw)
        if value is None or value < 0:
            self.bad(row, "required_cameras", raw, "a camera count (0 or more)")
            return None
        return value

    def port(self, row: int, cells: Sequence[Cell], name: str) -> int | None:
        raw = self.raw(cells, name)
        if not _text(raw):
            return 80
        value = _integer(raw)
        if value is None or not 1 <= value <= 65535:
            self.bad(row, name, raw, "a port (1–65535)")
            return None
        return value

    def host(self, row: int, cells: Sequence[Cell], name: str) -> str | None:
        raw = self.raw(cells, name)
        text = _folded(raw)
        if not text:
            return None
        try:
            return check_host(text)
        except ValueError:
            self.bad(row, name, raw, "a host name or IP address")
            return None

    def host_and_port(self, row: int, cells: Sequence[Cell]) -> tuple[str | None, int | None]:
        host = self.host(row, cells, "host")
        if host is None and not _text(self.raw(cells, "host")):
            self.error(row, f"{self.header('host')} is empty")
        return host, self.port(row, cells, "port")

    def claim_address(self, row: int, name: str, host: str, port: int, owner: str) -> bool:
        key = _address_key(host, port)
        other = self.addresses.get(key)
        if other is not None:
            self.error(
                row, f"{self.header(name)} '{host}' (port {port}) is already used by {other}"
            )
            return False
        self.addresses[key] = owner
        return True

    def credentials(self, row: int, cells: Sequence[Cell]) -> str:
        username = _text(self.raw(cells, "username"))
        if not username:
            return "default"
        known = self.usernames.get(username)
        if known is None:
            n = len(self.usernames) + 1
            key, env = ("default", PASSWORD_ENV) if n == 1 else (f"user-{n}", f"{PASSWORD_ENV}_{n}")
            known = self.usernames[username] = _Credential(key, env)
            if n > 1:
                self.warn(
                    row,
                    f"{self.header('username')} '{username}' differs from the first one: its "
                    f"cameras log in with credentials '{key}', password from {env}",
                )
        return known.key

    def flag(self, row: int, cells: Sequence[Cell], name: str) -> bool:
        raw = self.raw(cells, name)
        if isinstance(raw, bool):
            return raw
        word = _folded(raw).lower()
        if not word or word in NO_WORDS:
            return False
        if word in YES_WORDS:
            return True
        self.bad(row, name, raw, "yes or no (是/否, yes/no, √/×, 1/0)")
        return False

    def roles(self, row: int, cells: Sequence[Cell]) -> list[str]:
        return [
            role
            for role in ("face_recognition", "vehicle_checkpoint")
            if role in self.columns and self.flag(row, cells, role)
        ]

    def recording(
        self, row: int, cells: Sequence[Cell], campus: str | None
    ) -> tuple[_Nvr | None, int | None]:
        name = _text(self.raw(cells, "nvr"))
        host = self.host(row, cells, "nvr_host")
        port = self.port(row, cells, "nvr_port")
        raw_kind = self.raw(cells, "nvr_kind")
        kind = None
        if _text(raw_kind):
            kind = NVR_KIND_WORDS.get(normalise(_text(raw_kind)))
            if kind is None:
                self.bad(
                    row, "nvr_kind", raw_kind, "a recorder kind (海康/hikvision, 大华/dahua, onvif)"
                )
        channel = None
        raw_channel = self.raw(cells, "channel")
        if _text(raw_channel):
            channel = _integer(raw_channel)
            if channel is None or channel < 1:
                self.bad(row, "channel", raw_channel, "a channel number (1 or more)")
                channel = None
        if not name and host is None:
            if channel is not None:
                self.warn(
                    row,
                    f"{self.header('channel')} {channel} ignored: the row names no NVR "
                    f"({self.header('nvr')} or {self.header('nvr_host')})",
                )
            return None, None
        if not name and port is None:
            return None, None  # the NVR port is reported above
        # Rows that give only the recorder's address join the NVR named with it elsewhere.
        key = name or self.nvr_by_address.get(_address_key(host or "", port or 80), "")
        key = key or f"{host}:{port}"
        nvr = self.nvrs.get(key)
        if nvr is None:
            ident = (
                _named_id(self.nvr_ids, name, "nvr", len(self.nvrs) + 1)
                if name
                else self.nvr_ids.claim(f"nvr-{_host_slug(host, port)}")
            )
            nvr = self.nvrs[key] = _Nvr(ident, name, row)
        label = f"NVR '{name or nvr.id}'"
        if host is not None and port is not None:
            if nvr.address is None:
                if self.claim_address(row, "nvr_host", host, port, f"{label} (row {row})"):
                    nvr.address = (host, port, row)
                    self.nvr_by_address[_address_key(host, port)] = key
            elif _address_key(host, port) != _address_key(nvr.address[0], nvr.address[1]):
                self.error(
                    row,
                    f"{self.header('nvr_host')} '{host}' (port {port}) differs from "
                    f"'{nvr.address[0]}' (port {nvr.address[1]}) on row {nvr.address[2]} "
                    f"for {label}",
                )
        if kind is not None:
            if nvr.kind is None:
                nvr.kind = (kind, row, _text(raw_kind))
            elif nvr.kind[0] != kind:
                self.error(
                    row,
                    f"{self.header('nvr_kind')} '{_text(raw_kind)}' differs from "
                    f"'{nvr.kind[2]}' on row {nvr.kind[1]} for {label}",
                )
        if campus is not None:
            nvr.campuses.add(campus)
        if channel is None:
            if not _text(raw_channel):
                self.warn(
                    row,
                    f"{label} given without {self.header('channel')}: the camera's recording "
                    "is left out of the site map",
                )
            return None, None
        slot = (nvr.id, channel)
        if slot in self.channels:
            self.error(
                row,
                f"{self.header('channel')} {channel} of {label} is already used on row "
                f"{self.channels[slot]}",
            )
            return None, None
        self.channels[slot] = row
        nvr.rows.append(row)
        return nvr, channel

    def switch(self, cells: Sequence[Cell]) -> str | None:
        name = _text(self.raw(cells, "switch"))
        if not name:
            return None
        if name not in self.switches:
            ordinal = len(self.switches) + 1
            self.switches[name] = _named_id(self.switch_ids, name, "switch", ordinal)
        return self.switches[name]

    def position(self, row: int, cells: Sequence[Cell]) -> dict[str, Any] | None:
        given = [name for name in _POSITION_CHECKS if _text(self.raw(cells, name))]
        values: dict[str, float] = {}
        for name in given:
            raw = self.raw(cells, name)
            valid, what = _POSITION_CHECKS[name]
            value = _number(raw)
            if value is None or not valid(value):
                self.bad(row, name, raw, what)
            else:
                values[name] = value % 360 if name == "heading" else value
        frames = [pair for pair in (("x", "y"), ("lat", "lon")) if set(pair) & set(given)]
        ok = len(values) == len(given)
        for first, second in frames:
            if (first in given) != (second in given):
                have, lack = (first, second) if first in given else (second, first)
                self.error(row, f"{self.header(have)} is given without {self.header(lack)}")
                ok = False
        if len(frames) > 1:
            self.error(
                row,
                f"give either {self.header('x')}/{self.header('y')} or "
                f"{self.header('lon')}/{self.header('lat')}, not both",
            )
            ok = False
        extras = [name for name in ("heading", "fov", "range") if name in given]
        if not frames:
            if extras and ok:
                shown = ", ".join(self.header(name) for name in extras)
                self.warn(row, f"{shown} ignored: the camera has no position (X/Y or 经度/纬度)")
            return None
        if not ok:
            return None
        return {name: _tidy_number(values[name]) for name in (*frames[0], *extras)}

    # -- after the last row

    def finish(self) -> None:
        if "category" in self.columns:
            for site in self.sites.values():
                if site.category is None and not site.category_tried:
                    rows = ", ".join(str(r) for r in site.rows)
                    where = f" on every row of site '{site.name}' (rows {rows})"
                    self.error(
                        site.rows[0],
                        f"{self.header('category')} is empty{where if len(site.rows) > 1 else ''}",
                    )
        nvr_host = self.header("nvr_host") if "nvr_host" in self.columns else "录像机IP"
        for nvr in self.nvrs.values():
            if nvr.address is None and nvr.rows:
                rows = ", ".join(str(r) for r in nvr.rows)
                self.warn(
                    nvr.first_row,
                    f"NVR '{nvr.name or nvr.id}' has no {nvr_host}: the recording of "
                    f"{'row' if len(nvr.rows) == 1 else 'rows'} {rows} is left out of the "
                    "site map (add the NVR under nvrs: by hand)",
                )

    def site_map(self, school: str) -> dict[str, Any]:
        # Always a `default` login: the first user name of the ledger, else admin.
        credentials = {"default": {"username": DEFAULT_USERNAME, "password_env": PASSWORD_ENV}}
        for username, login in self.usernames.items():
            credentials[login.key] = {"username": username, "password_env": login.env}
        data: dict[str, Any] = {"school": school, "credentials": credentials}
        data["campuses"] = [
            {"id": ident, **({"name": name} if name else {})}
            for ident, name in self.campuses.values()
        ]
        sites = []
        for site in self.sites.values():
            entry: dict[str, Any] = {"id": site.id, "name": site.name, "campus": site.campus}
            entry["category"] = site.category[0] if site.category else ""
            if site.unit is not None:
                entry["unit"] = site.unit[0]
            if site.required is not None:
                entry["required_cameras"] = site.required[0]
            location = _centre(site.positions)
            if location is not None:
                entry["location"] = location
            sites.append(entry)
        data["sites"] = sites
        nvrs = []
        for nvr in self.nvrs.values():
            if nvr.address is None or not nvr.rows:
                continue
            entry = {"id": nvr.id}
            if nvr.name and nvr.name != nvr.id:
                entry["name"] = nvr.name
            entry["kind"] = nvr.kind[0] if nvr.kind else "onvif"
            entry["host"], entry["port"] = nvr.address[0], nvr.address[1]
            if len(nvr.campuses) == 1:
                entry["campus"] = next(iter(nvr.campuses))
            nvrs.append(entry)
        if nvrs:
            data["nvrs"] = nvrs
        cameras = []
        for camera in self.cameras:
            entry = {"id": camera.id, "name": camera.name, "sites": [camera.site.id]}
            if camera.roles:
                entry["roles"] = camera.roles
            onvif: dict[str, Any] = {"host": camera.host, "port": camera.port}
            if camera.credentials != "default":
                onvif["credentials"] = camera.credentials
            entry["onvif"] = onvif
            if camera.nvr is not None and camera.nvr.address is not None:
                entry["nvr"] = {"id": camera.nvr.id, "channel": camera.channel}
            if camera.position is not None:
                entry["position"] = camera.position
            if camera.switch is not None:
                entry["switch"] = camera.switch
            cameras.append(entry)
        data["cameras"] = cameras
        return data


def _centre(positions: Sequence[Mapping[str, Any]]) -> dict[str, float] | None:
    """A site's location: the centre of its cameras' positions (in the first one's frame).

    The ledger gives where cameras hang, not where sites are; the centre is
    close enough to draw the site on the campus map.
    """
    if not positions:
        return None
    keys = ("x", "y") if "x" in positions[0] else ("lat", "lon")
    same = [p for p in positions if keys[0] in p]
    digits = 2 if keys[0] == "x" else 6
    return {
        key: _tidy_number(round(sum(float(p[key]) for p in same) / len(same), digits))
        for key in keys
    }


def _columns(
    table: LedgerTable, header_index: int, mapping: Mapping[str, str]
) -> tuple[list[_Column], list[Problem], list[Problem]]:
    display, row = table.display, header_index + 1
    columns: list[_Column] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    ignored: list[str] = []
    taken: dict[str, _Column] = {}
    for index, cell in enumerate(table.rows[header_index]):
        header = _text(cell)
        if not header:
            continue
        name = _field_of(header, mapping)
        if name is None:
            ignored.append(header)
            continue
        if name == IGNORE:
            continue
        if name == "password":
            warnings.append(
                Problem(
                    display,
                    row,
                    f"column {header} ignored: passwords are never written to the site map",
                )
            )
            continue
        if name in taken:
            problems.append(
                Problem(
                    display,
                    row,
                    f"columns {taken[name].header} and {header} are both read as {name}: "
                    "map one of them to ignore with --mapping",
                )
            )
            continue
        taken[name] = _Column(index, header, name)
        columns.append(taken[name])
    for name in REQUIRED_FIELDS:
        if name not in taken:
            problems.append(Problem(display, row, f"no column for the {FIELD_LABELS[name]}"))
    if ignored:
        warnings.append(
            Problem(display, row, f"columns ignored (not site-map fields): {', '.join(ignored)}")
        )
    return columns, problems, warnings


def parse_campus_ids(text: str) -> dict[str, str]:
    """``北校区=north,南校区=south`` -> ``{"北校区": "north", ...}``; ValueError if bad."""
    result: dict[str, str] = {}
    for part in re.split(r"[,，;；]", text):
        if not part.strip():
            continue
        name, sep, ident = part.partition("=")
        name, ident = name.strip(), ident.strip()
        if not sep or not name or not ident:
            raise ValueError(f"'{part.strip()}' is not NAME=ID")
        if not _ID.match(ident):
            raise ValueError(f"'{ident}' is not a valid id ({_ID_RULE})")
        if ident in result.values():
            raise ValueError(f"id '{ident}' is given to two campuses")
        result[name] = ident
    return result


def import_ledger(
    path: str | Path,
    *,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
    campus_ids: Mapping[str, str] | None = None,
    school: str | None = None,
) -> LedgerImport:
    """Read and check a whole ledger; the site map, or `LedgerError` with every problem.

    `mapping` is from `load_mapping`; `campus_ids` maps campus names as
    written in the ledger to ids; `school` defaults to the file's name.
    """
    table = read_ledger(path, sheet=sheet)
    display = table.display
    given = dict(mapping or {})
    by_key = {normalise(header): target for header, target in given.items()}
    header_index = _find_header(table, by_key)
    columns, problems, warnings = _columns(table, header_index, by_key)
    headers = {normalise(_text(cell)) for cell in table.rows[header_index]}
    for header in given:
        if normalise(header) not in headers:
            warnings.append(
                Problem(display, header_index + 1, f"--mapping: no column '{header}' in this row")
            )
    if problems:
        raise LedgerError(problems, warnings)
    builder = _Builder(table, columns, campus_ids or {})
    builder.warnings.extend(warnings)
    header_cells = [_text(cell) for cell in table.rows[header_index]]
    for index in range(header_index + 1, len(table.rows)):
        cells = table.rows[index]
        texts = [_text(cell) for cell in cells]
        if not any(texts):
            continue  # blank rows separate blocks of a ledger; they are not cameras
        if texts[: len(header_cells)] == header_cells:
            continue  # the header repeated on each printed page
        builder.add_row(index + 1, cells)
    builder.finish()
    if campus_ids:
        seen = set(builder.campuses)
        for name in campus_ids:
            if normalise(name) not in seen:
                builder.warn(None, f"--campus-ids: no campus '{name}' in the ledger")
    if not school:
        school = Path(path).stem
        builder.warn(None, f"no --school given: the school is called '{school}' (the file name)")
    if not builder.problems and not builder.cameras:
        builder.problems.append(Problem(display, None, "no camera rows under the header"))
    ordered = sorted(builder.problems, key=lambda p: p.line or 0)
    if ordered:
        raise LedgerError(ordered, _sorted(builder.warnings))
    data = builder.site_map(school)
    _validate(display, data)
    return LedgerImport(data, _sorted(builder.warnings), display, table.sheet, header_index + 1)


def _sorted(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(sorted(problems, key=lambda p: p.line or 0))


def _validate(display: str, data: dict[str, Any]) -> None:
    """The site map's own checks, as a last guard: a ledger that passed the row checks
    should always pass these. Credentials are left out: the variables are read where
    the site map is used, not where it is written."""
    try:
        site_map = SiteMap.model_validate(data)
    except ValidationError as exc:
        raise LedgerError(
            Problem(display, None, f"site map: {render_path(tuple(e['loc']))}: {e['msg']}")
            for e in exc.errors(include_url=False, include_input=False)
        ) from None
    findings = [
        finding
        for finding in check_site_map(site_map, base_dir=Path.cwd(), environ={})
        if not finding.warning and finding.path[:1] != ("credentials",)
    ]
    if findings:
        raise LedgerError(
            Problem(display, None, f"site map: {render_path(f.path)}: {f.message}")
            for f in findings
        )


# ---------------------------------------------------------------------- YAML


class _Dumper(yaml.SafeDumper):
    """Block style for sections and cameras, one-line mappings for the small parts."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as the site-map docs write them.
        return super().increase_indent(flow, False)


class _Flow(dict):
    pass


class _FlowList(list):
    pass


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


def _represent_flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_FlowList, _represent_flow_list)


def _styled(section: str, value: Any) -> Any:
    if section in ("campuses", "sites", "nvrs"):
        return [_Flow(entry) for entry in value]
    if section == "credentials":
        return {key: _Flow(entry) for key, entry in value.items()}
    if section == "cameras":
        return [
            {
                key: (
                    _Flow(part)
                    if isinstance(part, dict)
                    else _FlowList(part)
                    if isinstance(part, list)
                    else part
                )
                for key, part in camera.items()
            }
            for camera in value
        ]
    return value


def _dump(section: dict[str, Any]) -> str:
    styled = {key: _styled(key, value) for key, value in section.items()}
    return yaml.dump(styled, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)


# ----------------------------------------------------------------------- command


def _write(path: str, text: str) -> None:
    """Replace `path` in one step, so a reader never sees half a site map."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        # mkstemp makes the file private; a site map holds no secret and the
        # service may run as another user: keep the old file's mode, else the usual one.
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0o022)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run_import(
    ledger: str,
    output: str,
    *,
    stdout: TextIO,
    stderr: TextIO,
    sheet: str | None = None,
    mapping: str | None = None,
    campus_ids: str | None = None,
    school: str | None = None,
    now: datetime | None = None,
) -> int:
    """`tianyan import`: 0 when the site map was written (warnings on stderr), else 2."""
    try:
        ids = parse_campus_ids(campus_ids) if campus_ids else None
    except ValueError as exc:
        print(f"tianyan import: --campus-ids: {exc}", file=stderr)
        return EXIT_INVALID
    try:
        columns = load_mapping(mapping) if mapping else None
        result = import_ledger(ledger, sheet=sheet, mapping=columns, campus_ids=ids, school=school)
    except LedgerError as exc:
        for problem in exc.problems:
            print(problem, file=stderr)
        for warning in exc.warnings:
            print(f"warning: {warning}", file=stderr)
        count = len(exc.problems)
        print(
            f"tianyan import: {count} {'problem' if count == 1 else 'problems'} in {ledger}; "
            "nothing written",
            file=stderr,
        )
        return EXIT_INVALID
    for warning in result.warnings:
        print(f"warning: {warning}", file=stderr)
    text = result.to_yaml(now)
    if output == "-":
        stdout.write(text)
        stdout.flush()
        where = "standard output"
    else:
        try:
            _write(output, text)
        except OSError as exc:
            print(f"tianyan import: cannot write {output}: {exc.strerror or exc}", file=stderr)
            return EXIT_INVALID
        where = output
    print(f"{where}: written from {ledger}: {result.summary()}", file=stderr)
    return EXIT_OK
