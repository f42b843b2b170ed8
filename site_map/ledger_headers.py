"""The vocabulary of camera ledgers (台账): column headers, categories, yes and no.

Ledgers are typed by hand in Chinese spreadsheets, so every word here is
compared after `normalise`: full-width characters folded (NFKC), lower case,
anything in brackets dropped (``经度(°)``, ``端口（默认80）``), and spaces,
punctuation and symbols removed (``*IP 地址`` and ``ip-address`` both become
``ip地址`` / ``ipaddress``). The tables below are written in that form.
"""

from __future__ import annotations

import re
import unicodedata

from site_map.policy import CATEGORIES

__all__ = [
    "CATEGORY_WORDS",
    "FIELDS",
    "FIELD_LABELS",
    "HEADER_WORDS",
    "IGNORE",
    "NO_WORDS",
    "NVR_KIND_WORDS",
    "REQUIRED_FIELDS",
    "YES_WORDS",
    "campus_direction_id",
    "normalise",
]

# What a ledger column may feed, in the order the site map writes them.
FIELDS: tuple[str, ...] = (
    "name",  # camera display name
    "id",  # camera id
    "site",  # key site name (sites are created from distinct names per campus)
    "category",  # key-site category
    "campus",  # campus name
    "unit",  # the site's responsible unit
    "required_cameras",  # the site's own required camera count
    "host",  # camera ONVIF host
    "port",  # camera ONVIF port
    "username",  # camera login name (the password never comes from the ledger)
    "password",  # recognised only to be ignored, with a warning
    "face_recognition",  # yes/no: the camera provides face recognition
    "vehicle_checkpoint",  # yes/no: the camera is a vehicle checkpoint (卡口)
    "nvr",  # the recorder's name or id
    "nvr_host",
    "nvr_port",
    "nvr_kind",  # onvif, hikvision, dahua
    "channel",  # the recorder channel
    "switch",
    "x",
    "y",
    "lon",
    "lat",
    "heading",
    "fov",
    "range",
)
IGNORE = "ignore"  # a --mapping target: drop the column without a warning
REQUIRED_FIELDS: tuple[str, ...] = ("name", "host", "site", "category")

# How each field is named in messages about a column that is missing.
FIELD_LABELS: dict[str, str] = {
    "name": "camera name (点位名称, 摄像机名称, 名称 or name)",
    "host": "camera IP address (IP地址, IP or host)",
    "site": "key site (安装位置, 所属部位, 重点部位 or site)",
    "category": "site category (类别, 部位类别 or category)",
}


def normalise(text: str) -> str:
    """A header or vocabulary word reduced to what matters for matching."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = re.sub(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】", "", folded)
    return "".join(
        ch
        for ch in folded
        if not ch.isspace() and unicodedata.category(ch)[0] not in ("P", "S", "C")
    )


def _table(words: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for target, aliases in words.items():
        for alias in aliases:
            key = normalise(alias)
            assert key not in table, f"ledger vocabulary: {alias!r} is listed twice"
            table[key] = target
    return table


# Header (normalised) -> field.
HEADER_WORDS: dict[str, str] = _table(
    {
        "name": (
            "点位名称",
            "摄像机名称",
            "摄像头名称",
            "监控点名称",
            "设备名称",
            "名称",
            "name",
            "camera name",
        ),
        "id": ("编号", "设备编号", "摄像机编号", "点位编号", "id", "camera id"),
        "site": (
            "安装位置",
            "所属部位",
            "重点部位",
            "部位名称",
            "安装地点",
            "site",
            "key site",
        ),
        "category": ("类别", "部位类别", "重点部位类别", "category", "site category"),
        "campus": ("所属校区", "校区", "campus"),
        "unit": ("责任单位", "管理单位", "责任部门", "管理部门", "unit"),
        "required_cameras": ("应装数量", "应装摄像机数", "required cameras"),
        "host": ("IP地址", "IP", "设备IP", "摄像机IP", "host", "IP address"),
        "port": ("端口", "端口号", "ONVIF端口", "port", "ONVIF port"),
        "username": ("用户名", "登录用户名", "账号", "帐号", "username", "user"),
        "password": ("密码", "登录密码", "设备密码", "口令", "password", "passwd", "pwd"),
        "face_recognition": ("人脸识别", "face recognition"),
        "vehicle_checkpoint": ("车辆卡口", "卡口", "vehicle checkpoint"),
        "nvr": ("NVR", "录像机", "硬盘录像机", "所属录像机", "录像机名称", "NVR id", "recorder"),
        "nvr_host": ("录像机IP", "硬盘录像机IP", "NVR IP", "NVR host"),
        "nvr_port": ("录像机端口", "NVR端口", "NVR port"),
        "nvr_kind": ("录像机品牌", "录像机类型", "NVR品牌", "NVR类型", "NVR kind", "NVR vendor"),
        "channel": ("通道号", "通道", "录像通道", "channel", "NVR channel"),
        "switch": ("交换机", "所属交换机", "接入交换机", "switch"),
        "x": ("X", "X坐标"),
        "y": ("Y", "Y坐标"),
        "lon": ("经度", "longitude", "lon", "lng"),
        "lat": ("纬度", "latitude", "lat"),
        "heading": ("朝向", "方向角", "方位角", "heading"),
        "fov": ("视场角", "视角", "fov"),
        "range": ("监控距离", "可视距离", "range"),
    }
)

# Category cell (normalised) -> category id. The built-in ids and the
# policy's own Chinese and English names are accepted too.
_CATEGORY_ALIASES: dict[str, tuple[str, ...]] = {
    "gate": ("校门", "大门"),
    "building_entrance": ("楼栋出入口", "门厅", "楼栋出入口及门厅"),
    "main_road": ("主要道路", "主干道"),
    "intersection": ("交叉口", "路口"),
    "gymnasium": ("体育馆",),
    "canteen": ("食堂",),
    "laboratory": ("实验室",),
    "finance_office": ("财务室",),
    "confidential_room": ("保密室",),
    "track_field": ("田径场",),
    "basketball_court": ("篮球场",),
    "hazardous_store": ("危化品储存场所", "危化品仓库"),
    "dormitory": ("宿舍",),
    "library": ("图书馆",),
}


def _category_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for category_id, aliases in _CATEGORY_ALIASES.items():
        policy = CATEGORIES[category_id]
        for word in (*aliases, policy.name_zh, policy.name_en, category_id):
            table[normalise(word)] = category_id
    return table


CATEGORY_WORDS: dict[str, str] = _category_table()

# Yes/no cells are compared after NFKC and lower-casing only: `normalise`
# would strip the ticks and crosses, which are symbols.
YES_WORDS = frozenset(("是", "有", "√", "✓", "✔", "yes", "y", "true", "1"))
NO_WORDS = frozenset(("否", "无", "×", "✗", "-", "/", "no", "n", "false", "0"))

NVR_KIND_WORDS: dict[str, str] = _table(
    {
        "onvif": ("onvif", "其他", "other"),
        "hikvision": ("海康", "海康威视", "hikvision", "hik"),
        "dahua": ("大华", "dahua"),
    }
)

# Campus names that have an obvious ASCII id: 北校区 -> north, 本部 -> main.
_DIRECTIONS = {"北": "north", "南": "south", "东": "east", "西": "west", "中": "central"}
_MAIN_CAMPUS = frozenset(("本部", "校本部", "主校区"))


def campus_direction_id(name: str) -> str | None:
    """``north`` for 北校区 or 北区, ``main`` for 本部 or 主校区, else None."""
    word = normalise(name)
    if word in _MAIN_CAMPUS:
        return "main"
    for suffix in ("校区", "区"):
        stem = word.removesuffix(suffix)
        if stem != word and stem in _DIRECTIONS:
            return _DIRECTIONS[stem]
    return None
