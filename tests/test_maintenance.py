"""Maintenance windows: parsing, validation, scope and expansion (hand-computed times)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from monitor.history.maintenance import (
    MaintenanceError,
    MaintenanceWindow,
    cameras_in_window,
    expand,
    parse_maintenance,
    validate_against,
)
from site_map.model import SiteMap

H = 3600.0
D = 86400.0


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def window(**fields: Any) -> MaintenanceWindow:
    return MaintenanceWindow.model_validate({"name": "w", **fields})


def site_map() -> SiteMap:
    def cam(n: int, *sites: str) -> dict[str, Any]:
        return {"id": f"cam-{n}", "sites": list(sites), "onvif": {"host": "127.0.0.1"}}

    return SiteMap.model_validate(
        {
            "school": "Test University",
            "campuses": [{"id": "north"}, {"id": "south"}],
            "sites": [
                {"id": "north-gate", "campus": "north", "category": "gate"},
                {"id": "north-canteen-1", "campus": "north", "category": "canteen"},
                {"id": "south-lab", "campus": "south", "category": "laboratory"},
            ],
            "cameras": [
                cam(1, "north-gate"),
                cam(2, "north-gate", "north-canteen-1"),
                cam(3, "north-canteen-1"),
                cam(4, "south-lab"),
                cam(5),  # covers no key site
            ],
        }
    )


EXAMPLE = """
maintenance:
  - {name: 北校区停电检修, campus: north, start: "2026-12-05T01:00:00+08:00", end: "2026-12-05T05:00:00+08:00"}
  - {name: 每周巡检, cameras: [cam-1, cam-2], every: weekly, weekday: sun, at: "02:00", duration: 2h, timezone: Asia/Shanghai}
  - {name: 食堂每日清洁, sites: [north-canteen-1], every: daily, at: "23:30", duration: 45m}
"""  # noqa: E501


# --- parsing -------------------------------------------------------------------------


def test_the_documented_example_parses() -> None:
    windows = parse_maintenance(yaml.safe_load(EXAMPLE)["maintenance"])
    outage, weekly, daily = windows
    assert outage.campuses == ("north",)
    assert outage.start is not None and outage.start.timestamp() == utc(2026, 12, 4, 17)
    assert outage.end is not None and outage.end.timestamp() == utc(2026, 12, 4, 21)
    assert not outage.recurring
    assert weekly.every == "weekly" and weekly.weekday == "sun"
    assert weekly.duration is not None and weekly.duration.total_seconds() == 2 * H
    assert daily.timezone == "Asia/Shanghai"  # the default
    assert daily.duration is not None and daily.duration.total_seconds() == 45 * 60
    assert parse_maintenance(None) == ()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45m", 2700), ("2h", 7200), ("1h30m", 5400), ("1d", 86400), ("90s", 90), ("PT2H", 7200)],
)
def test_durations(text: str, seconds: int) -> None:
    w = window(cameras=["cam-1"], every="weekly", weekday="sat", at="01:00", duration=text)
    assert w.duration is not None and w.duration.total_seconds() == seconds


def test_naive_times_are_read_in_the_window_timezone() -> None:
    shanghai = window(cameras=["cam-1"], start="2026-12-05T01:00", end="2026-12-05 05:00")
    assert shanghai.occurrences(0, 4e9) == [(utc(2026, 12, 4, 17), utc(2026, 12, 4, 21))]
    berlin = window(
        cameras=["cam-1"],
        start="2026-12-05T01:00:00",
        duration="4h",
        timezone="Europe/Berlin",
    )
    assert berlin.occurrences(0, 4e9) == [(utc(2026, 12, 5, 0), utc(2026, 12, 5, 4))]
    # An explicit offset wins over the window's timezone.
    explicit = window(
        cameras=["cam-1"],
        start="2026-12-05T01:00:00Z",
        end="2026-12-05T02:00:00Z",
        timezone="Europe/Berlin",
    )
    assert explicit.occurrences(0, 4e9) == [(utc(2026, 12, 5, 1), utc(2026, 12, 5, 2))]


@pytest.mark.parametrize(("name", "day"), [("Sunday", "sun"), ("MON", "mon"), ("fri", "fri")])
def test_weekday_names_are_forgiving(name: str, day: str) -> None:
    w = window(all=True, every="weekly", weekday=name, at="02:00", duration="1h")
    assert w.weekday == day


# fmt: off
BAD_WINDOWS: list[tuple[dict[str, Any], str]] = [
    ({"cameras": ["cam-1"], "start": "2026-12-05T05:00+08:00", "end": "2026-12-05T01:00+08:00"},
     "is not after start"),
    ({"cameras": ["cam-1"], "start": "2026-12-05T05:00+08:00", "end": "2026-12-05T05:00+08:00"},
     "is not after start"),
    ({"cameras": ["cam-1"], "start": "2026-12-05T05:00+08:00", "duration": "0m"},
     "longer than 0"),
    ({"cameras": ["cam-1"], "every": "daily", "at": "01:00", "duration": "24h"},
     "not shorter than the daily period"),
    ({"cameras": ["cam-1"], "every": "weekly", "weekday": "sun", "at": "01:00",
      "duration": "7d"}, "not shorter than the weekly period"),
    ({"cameras": ["cam-1"], "every": "monthly", "day": 1, "at": "01:00", "duration": "28d"},
     "not shorter than the monthly period"),
    ({"cameras": ["cam-1"], "every": "daily", "at": "01:00", "duration": "2h", "colour": 1},
     "Extra inputs are not permitted"),
    ({"campus": "north", "campuses": ["south"], "every": "daily", "at": "01:00",
      "duration": "2h"}, "campus or campuses, not both"),
    ({"every": "daily", "at": "01:00", "duration": "2h"}, "say which cameras"),
    ({"all": True, "sites": ["north-gate"], "every": "daily", "at": "01:00",
      "duration": "2h"}, "all: true covers every camera"),
    ({"all": True, "every": "weekly", "at": "01:00", "duration": "2h"}, "needs weekday"),
    ({"all": True, "every": "monthly", "at": "01:00", "duration": "2h"}, "needs day"),
    ({"all": True, "every": "daily", "day": 3, "at": "01:00", "duration": "2h"},
     "day only applies to a monthly window"),
    ({"all": True, "every": "daily", "weekday": "sun", "at": "01:00", "duration": "2h"},
     "weekday only applies to a weekly window"),
    ({"all": True, "every": "daily", "duration": "2h"}, "needs at"),
    ({"all": True, "every": "daily", "at": 1410, "duration": "45m"}, "quote it"),
    ({"all": True, "every": "daily", "at": "01:00", "duration": 90}, "has no unit"),
    ({"all": True, "every": "daily", "at": "01:00", "duration": "two hours"},
     "is not a duration"),
    ({"all": True, "every": "daily", "at": "01:00", "duration": "2h",
      "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ({"all": True, "every": "daily", "at": "01:00", "duration": "2h",
      "start": "2026-12-05T01:00+08:00"}, "not start/end"),
    ({"all": True, "every": "weekly", "weekday": "someday", "at": "01:00",
      "duration": "2h"}, "weekday"),
    ({"all": True, "at": "01:00", "duration": "2h"}, "only apply to a recurring window"),
    ({"all": True}, "give start and end"),
    ({"all": True, "start": "2026-12-05T01:00+08:00"}, "either end or duration"),
    ({"all": True, "every": "hourly", "at": "01:00", "duration": "2h"}, "every"),
]
# fmt: on


@pytest.mark.parametrize(("fields", "message"), BAD_WINDOWS)
def test_bad_windows_are_refused_with_a_clear_message(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        window(**fields)


def test_parse_maintenance_names_the_entry() -> None:
    data = yaml.safe_load(
        """
- {name: ok, all: true, every: daily, at: "01:00", duration: 1h}
- {name: bad, sites: [north-gate], every: daily, at: 23:30, duration: 45m}
"""
    )
    with pytest.raises(MaintenanceError) as caught:
        parse_maintenance(data)
    text = str(caught.value)
    assert text == (
        "maintenance[1] 'bad': at: 1410 is not a time of day; quote it, as in "
        'at: "23:30" (unquoted, YAML reads 23:30 as a number)'
    )
    with pytest.raises(MaintenanceError, match=r"^maintenance\[0\]: name: Field required$"):
        parse_maintenance([{"all": True, "every": "daily", "at": "01:00", "duration": "1h"}])


def test_parse_maintenance_messages() -> None:
    with pytest.raises(MaintenanceError, match=r"^maintenance: must be a list of windows$"):
        parse_maintenance({"name": "x"})
    with pytest.raises(MaintenanceError) as caught:
        parse_maintenance(
            [{"name": "清洁", "all": True, "every": "daily", "at": "01:00", "duration": "1d"}]
        )
    assert str(caught.value) == (
        "maintenance[0] '清洁': duration 1d is not shorter than the daily period (1d)"
    )
    with pytest.raises(MaintenanceError) as caught:
        parse_maintenance([{"name": "x", "all": True, "start": "2026-12-05T01:00Z", "ends": 1}])
    assert str(caught.value).startswith(
        "maintenance[0] 'x': ends: unknown field (allowed: all, at,"
    )


def test_windows_are_frozen() -> None:
    w = window(all=True, every="daily", at="01:00", duration="1h")
    with pytest.raises(ValidationError):
        w.name = "other"  # type: ignore[misc]


# --- occurrences ---------------------------------------------------------------------


def test_one_off_is_clipped_to_the_period() -> None:
    w = window(cameras=["cam-1"], start="2026-12-05T01:00+08:00", end="2026-12-05T05:00+08:00")
    t0 = utc(2026, 12, 4, 17)
    assert w.occurrences(t0 + H, t0 + 10 * H) == [(t0 + H, t0 + 4 * H)]
    assert w.occurrences(t0 + 4 * H, t0 + 10 * H) == []  # end is exclusive
    assert w.occurrences(t0 - 10 * H, t0) == []
    assert w.occurrences(t0 + H, t0 + H) == []


def test_daily_window_across_midnight() -> None:
    w = window(sites=["north-canteen-1"], every="daily", at="23:30", duration="45m")
    # 2026-12-05 00:00 to 2026-12-06 00:00 in Shanghai (UTC+8, no DST).
    start, end = utc(2026, 12, 4, 16), utc(2026, 12, 5, 16)
    assert w.occurrences(start, end) == [
        (start, start + 15 * 60),  # the one from 23:30 the evening before
        (start + 23.5 * H, end),  # 23:30 → 00:00, cut at the period's end
    ]


def test_weekly_window_in_a_zone_without_dst() -> None:
    w = window(
        cameras=["cam-1"], every="weekly", weekday="sun", at="03:00", duration="2h",
        timezone="Asia/Shanghai",
    )  # fmt: skip
    got = w.occurrences(utc(2026, 3, 16), utc(2026, 4, 6))
    # Sundays 22 and 29 March and 5 April, 03:00 UTC+8 = 19:00 UTC the day before.
    assert got == [
        (utc(2026, 3, 21, 19), utc(2026, 3, 21, 21)),
        (utc(2026, 3, 28, 19), utc(2026, 3, 28, 21)),
        (utc(2026, 4, 4, 19), utc(2026, 4, 4, 21)),
    ]
    assert got[1][0] - got[0][0] == 7 * D


def test_weekly_window_in_a_dst_zone_keeps_the_local_time() -> None:
    w = window(
        cameras=["cam-1"], every="weekly", weekday="sun", at="03:00", duration="2h",
        timezone="Europe/Berlin",
    )  # fmt: skip
    spring = w.occurrences(utc(2026, 3, 16), utc(2026, 4, 1))
    # 22 March 03:00 CET (UTC+1) = 02:00 UTC; 29 March clocks go to CEST (UTC+2):
    # 03:00 CEST = 01:00 UTC. Two hours of real time each.
    assert spring == [
        (utc(2026, 3, 22, 2), utc(2026, 3, 22, 4)),
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 3)),
    ]
    assert spring[1][0] - spring[0][0] == 7 * D - H
    autumn = w.occurrences(utc(2026, 10, 12), utc(2026, 10, 27))
    # 18 October 03:00 CEST = 01:00 UTC; 25 October (back to CET) 03:00 CET = 02:00 UTC.
    assert autumn == [
        (utc(2026, 10, 18, 1), utc(2026, 10, 18, 3)),
        (utc(2026, 10, 25, 2), utc(2026, 10, 25, 4)),
    ]
    assert autumn[1][0] - autumn[0][0] == 7 * D + H


def test_local_times_skipped_or_repeated_by_dst() -> None:
    skipped = window(all=True, every="daily", at="02:30", duration="1h", timezone="Europe/Berlin")
    # 29 March 2026: 02:30 does not exist in Berlin; the window starts at the
    # same moment as 02:30 CET, i.e. 03:30 CEST = 01:30 UTC.
    assert skipped.occurrences(utc(2026, 3, 29), utc(2026, 3, 29, 12)) == [
        (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2, 30))
    ]
    # 25 October 2026: 02:30 happens twice; the window starts at the first (CEST).
    assert skipped.occurrences(utc(2026, 10, 25), utc(2026, 10, 25, 12)) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30))
    ]


def test_monthly_window_uses_the_last_day_of_short_months() -> None:
    w = window(all=True, every="monthly", day=31, at="22:00", duration="4h", timezone="UTC")
    got = w.occurrences(utc(2026, 1, 1), utc(2026, 5, 1))
    assert got == [
        (utc(2026, 1, 1), utc(2026, 1, 1, 2)),  # the end of the one of 31 December 2025
        (utc(2026, 1, 31, 22), utc(2026, 2, 1, 2)),
        (utc(2026, 2, 28, 22), utc(2026, 3, 1, 2)),
        (utc(2026, 3, 31, 22), utc(2026, 4, 1, 2)),
        (utc(2026, 4, 30, 22), utc(2026, 5, 1)),  # cut at the period's end
    ]


# --- scope and expansion -------------------------------------------------------------


def test_cameras_in_window() -> None:
    sm = site_map()
    daily = {"every": "daily", "at": "01:00", "duration": "1h"}
    assert cameras_in_window(window(campus="north", **daily), sm) == {"cam-1", "cam-2", "cam-3"}
    assert cameras_in_window(window(sites=["north-canteen-1"], **daily), sm) == {"cam-2", "cam-3"}
    assert cameras_in_window(window(cameras="cam-4", **daily), sm) == {"cam-4"}
    assert cameras_in_window(
        window(cameras=["cam-5", "cam-99"], sites=["south-lab"], **daily), sm
    ) == {"cam-4", "cam-5"}
    assert cameras_in_window(window(all=True, **daily), sm) == {f"cam-{n}" for n in range(1, 6)}


def test_validate_against_names_unknown_ids() -> None:
    sm = site_map()
    daily = {"every": "daily", "at": "01:00", "duration": "1h"}
    windows = [
        window(name="fine", campus="north", **daily),
        window(name="每周巡检", cameras=["cam-1", "cam-99"], sites=["west-gate"], **daily),
        window(name="campus", campuses=["east"], **daily),
    ]
    assert validate_against(windows, sm) == [
        "maintenance[1] '每周巡检': unknown camera 'cam-99'",
        "maintenance[1] '每周巡检': unknown site 'west-gate'",
        "maintenance[2] 'campus': unknown campus 'east'",
    ]
    assert validate_against(windows[:1], sm) == []


def test_expand_merges_sorts_and_clips_per_camera() -> None:
    sm = site_map()
    start = utc(2026, 12, 4, 16)  # 2026-12-05 00:00 Shanghai
    end = start + D
    windows = parse_maintenance(yaml.safe_load(EXAMPLE)["maintenance"])
    got = expand(windows, sm, start, end)
    power = (start + H, start + 5 * H)  # 01:00-05:00 on the 5th
    cleaning = [(start, start + 15 * 60), (start + 23.5 * H, end)]
    # 5 December 2026 is a Saturday: no weekly inspection in this period.
    assert got == {
        "cam-1": [power],
        "cam-2": [cleaning[0], power, cleaning[1]],
        "cam-3": [cleaning[0], power, cleaning[1]],
    }
    # The next day is a Sunday: the inspection (02:00-04:00) lies inside nothing else.
    sunday = expand(windows, sm, end, end + D)
    assert sunday["cam-1"] == [(end + 2 * H, end + 4 * H)]
    assert sunday["cam-2"] == [(end, end + 15 * 60), (end + 2 * H, end + 4 * H),
                               (end + 23.5 * H, end + D)]  # fmt: skip
    assert "cam-4" not in sunday


def test_overlapping_windows_merge() -> None:
    sm = site_map()
    start = utc(2026, 12, 4, 16)
    windows = [
        window(cameras=["cam-4"], start="2026-12-05T01:00+08:00", end="2026-12-05T03:00+08:00"),
        window(sites=["south-lab"], start="2026-12-05T02:00+08:00", end="2026-12-05T04:00+08:00"),
        window(all=True, start="2026-12-05T04:00+08:00", end="2026-12-05T05:00+08:00"),
    ]
    got = expand(windows, sm, start, start + D)
    assert got["cam-4"] == [(start + H, start + 5 * H)]  # touching intervals merge too
    assert got["cam-5"] == [(start + 4 * H, start + 5 * H)]
