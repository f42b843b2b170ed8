"""Recording integrity maths: pure functions, checked by hand."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.recordings.integrity import (
    DAY,
    MIN_GAP_SECONDS,
    channel_integrity,
    expected_intervals,
    forecast,
    intersect,
    merge,
    subtract,
    total,
    write_rate,
)
from monitor.recordings.model import Disk, Segment
from site_map.model import RecordingWindow

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Thursday 2026-11-26 12:00 in Shanghai.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI).timestamp()
GB = 1024**3


def test_interval_arithmetic() -> None:
    assert merge([(5, 6), (0, 2), (1, 3), (3, 4), (7, 7)]) == [(0, 4), (5, 6)]
    assert merge([(0, 1), (2, 3)], join_within=1.0) == [(0, 3)]
    assert intersect([(0, 4), (6, 10)], [(3, 7), (9, 12)]) == [(3, 4), (6, 7), (9, 10)]
    assert subtract([(0, 10)], [(2, 3), (5, 6)]) == [(0, 2), (3, 5), (6, 10)]
    assert subtract([(0, 2), (4, 6)], [(1, 5)]) == [(0, 1), (5, 6)]
    assert subtract([(0, 2)], []) == [(0, 2)]
    assert total([(0, 2), (5, 6)]) == 3


def test_expected_time_follows_the_schedule_in_local_time() -> None:
    assert expected_intervals(0.0, 100.0, (), SHANGHAI) == [(0.0, 100.0)]
    weekdays = RecordingWindow.model_validate(
        {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "18:00"}
    )
    start = datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI).timestamp()  # a Monday
    week = expected_intervals(start, start + 7 * DAY, (weekdays,), SHANGHAI)
    assert len(week) == 5 and total(week) == 5 * 10 * 3600
    assert datetime.fromtimestamp(week[0][0], SHANGHAI).hour == 8
    # Windows clip to the range asked for.
    clipped = expected_intervals(start + 9 * 3600, start + 10 * 3600, (weekdays,), SHANGHAI)
    assert clipped == [(start + 9 * 3600, start + 10 * 3600)]


def test_a_complete_channel() -> None:
    footage = [(NOW - 40 * DAY, NOW - 5)]
    c = channel_integrity(footage, now=NOW, retention_days=30, zone=SHANGHAI)
    assert c.recording and c.completeness == pytest.approx(1 - 5 / (30 * DAY))
    assert c.expected_seconds == 30 * DAY
    assert c.retention_seconds == 40 * DAY and c.earliest == NOW - 40 * DAY
    assert c.gaps == ()  # the last five seconds are not a gap (MIN_GAP_SECONDS)


def test_gaps_retention_and_recording_now() -> None:
    footage = [
        (NOW - 20 * DAY, NOW - 10 * DAY),
        (NOW - 10 * DAY + 5, NOW - 2 * DAY),  # five seconds apart: not a gap
        (NOW - DAY, NOW - 3600),
    ]
    c = channel_integrity(footage, now=NOW, retention_days=30, zone=SHANGHAI)
    assert not c.recording  # the footage stopped an hour ago
    assert c.retention_seconds == 20 * DAY
    assert c.gaps == (
        Segment(NOW - 30 * DAY, NOW - 20 * DAY),
        Segment(NOW - 2 * DAY, NOW - DAY),
        Segment(NOW - 3600, NOW),
    )
    assert c.recorded_seconds == pytest.approx(19 * DAY - 3600 - 5)
    assert c.completeness == pytest.approx((19 * DAY - 3605) / (30 * DAY))
    assert MIN_GAP_SECONDS > 5


def test_footage_outside_the_schedule_is_neither_credit_nor_blame() -> None:
    nights = RecordingWindow.model_validate({"from": "00:00", "to": "06:00"})
    footage = [(NOW - 30 * DAY, NOW)]
    c = channel_integrity(footage, now=NOW, retention_days=30, zone=SHANGHAI, schedule=[nights])
    assert c.expected_seconds == pytest.approx(30 * 6 * 3600)
    assert c.completeness == 1.0
    daytime_only = [(NOW - 30 * DAY + 7 * 3600, NOW - 30 * DAY + 8 * 3600)]
    d = channel_integrity(
        daytime_only, now=NOW, retention_days=30, zone=SHANGHAI, schedule=[nights]
    )
    assert d.recorded_seconds == 0 and d.completeness == 0.0


def test_unverified_time_counts_as_missing() -> None:
    footage = [(NOW - 30 * DAY, NOW)]
    c = channel_integrity(
        footage, now=NOW, retention_days=30, zone=SHANGHAI, verified_until=NOW - 2 * 3600
    )
    assert c.recorded_seconds == pytest.approx(30 * DAY - 2 * 3600)
    assert c.gaps == (Segment(NOW - 2 * 3600, NOW),)


def test_no_footage_at_all() -> None:
    c = channel_integrity([], now=NOW, retention_days=30, zone=SHANGHAI)
    assert not c.recording and c.earliest is None and c.retention_seconds == 0
    assert c.completeness == 0.0 and c.gaps == (Segment(NOW - 30 * DAY, NOW),)


def disk(capacity_gb: float, free_gb: float, status: str = "ok") -> Disk:
    return Disk("1", "hdd1", status, int(capacity_gb * GB), int(free_gb * GB))


def test_forecast_from_the_bytes_written_per_day() -> None:
    # 10 days of footage in 1,000 GB: 100 GB a day; 4,000 GB hold 40 days.
    f = forecast([disk(4000, 3000)], footage_days=10, retention_days=30)
    assert f is not None
    assert f.write_bytes_per_second == pytest.approx(100 * GB / DAY)
    assert f.capacity_days == pytest.approx(40)
    assert f.days_until_full == pytest.approx(30)
    assert f.days_until_short is None  # 40 days held at this rate: the target holds
    # 35 days of footage (the target met), but the cameras now write 300 GB a
    # day: 6,000 GB hold 20 days at that rate, and fill in 3 days.
    f = forecast(
        [disk(6000, 900)],
        footage_days=35,
        retention_days=30,
        write_bytes_per_second=write_rate((0.0, 0), (DAY, 300 * GB)),
    )
    assert f is not None and f.capacity_days == pytest.approx(20)
    assert f.days_until_short == pytest.approx(3)
    # Only 10 days since the recorder was installed, disks too small: not met now.
    f = forecast([disk(2000, 1000)], footage_days=10, retention_days=30)
    assert f is not None and f.days_until_short == 0.0
    # Full and overwriting at 12 days: not met now.
    f = forecast([disk(1200, 0)], footage_days=12, retention_days=30)
    assert f is not None and f.days_until_short == 0.0
    # A failed disk's bytes do not count; nothing known: no forecast.
    assert forecast([disk(4000, 0, "error")], footage_days=10, retention_days=30) is None
    assert forecast([Disk("1", "x", "ok", None, None)], footage_days=10, retention_days=30) is None
    assert forecast([disk(4000, 3000)], footage_days=0, retention_days=30) is None


def test_write_rate_needs_time_and_growth() -> None:
    assert write_rate((0.0, 0), (7200.0, 7200)) == 1.0
    assert write_rate((0.0, 0), (60.0, 600)) is None  # too close together
    assert write_rate((0.0, 500), (7200.0, 500)) is None  # full: overwriting
