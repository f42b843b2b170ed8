"""Recording integrity as pure functions: completeness, gaps, retention, forecast.

No I/O: the storage poller feeds these with the recorded segments it found
and the time; tests feed them by hand.

- *Expected* time is the channel's schedule (24/7 unless the site map gives
  windows, in the recorder's local time) over the window of the last
  `retention_days`.
- *Recorded* time is the union of the segments found, within expected time
  (footage outside the schedule is neither credit nor blame).
- *Completeness* = recorded ÷ expected; summed over channels it is the
  design's storage rate. *Gaps* are the expected stretches without footage,
  longer than `MIN_GAP_SECONDS` (recorders leave a second or two between
  files; that is not a gap).
- *Retention* is how far back the footage reaches: now − its earliest start.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from monitor.recordings.model import Disk, Segment
from site_map.model import WEEKDAYS, RecordingWindow

DAY = 86_400.0
MIN_GAP_SECONDS = 10.0
# Footage ending this close to now counts as recording now: recorders index
# the file being written with a delay of up to a few minutes.
RECORDING_NOW_SECONDS = 300.0

Interval = tuple[float, float]


# -- interval arithmetic ---------------------------------------------------------------------
def merge(intervals: Iterable[Interval], join_within: float = 0.0) -> list[Interval]:
    """Sorted, non-overlapping union; stretches less than `join_within` apart are joined."""
    out: list[list[float]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1] + join_within:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Intersection of two merged interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The parts of merged list `a` not covered by merged list `b`."""
    out: list[Interval] = []
    j = 0
    for start, end in a:
        cursor = start
        while j < len(b) and b[j][1] <= cursor:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cursor:
                out.append((cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def total(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in intervals)


# -- schedules -------------------------------------------------------------------------------
def _seconds_of_day(clock: str) -> float:
    hours, minutes = clock.split(":")
    return int(hours) * 3600.0 + int(minutes) * 60.0


def expected_intervals(
    start: float, end: float, schedule: Sequence[RecordingWindow], zone: tzinfo
) -> list[Interval]:
    """When recording is expected within [start, end): all of it for an empty schedule."""
    if end <= start:
        return []
    if not schedule:
        return [(start, end)]
    out: list[Interval] = []
    day = datetime.fromtimestamp(start, zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, zone).date()
    while day <= last:
        weekday = WEEKDAYS[day.weekday()]
        for window in schedule:
            if weekday not in window.days:
                continue
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
            # Wall-clock arithmetic: a window keeps its local hours across DST changes.
            a = (midnight + timedelta(seconds=_seconds_of_day(window.start))).timestamp()
            b = (midnight + timedelta(seconds=_seconds_of_day(window.end))).timestamp()
            out.append((max(a, start), min(b, end)))
        day += timedelta(days=1)
    return merge(out)


# -- one channel -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChannelIntegrity:
    """What one recorded channel's footage looks like over the retention window."""

    recording: bool  # footage reaches (almost) now
    earliest: float | None  # start of the oldest footage known, POSIX seconds
    retention_seconds: float  # now − earliest (0 without footage)
    recorded_seconds: float  # within the window and the schedule
    expected_seconds: float
    gaps: tuple[Segment, ...]  # expected stretches without footage, oldest first
    window_start: float
    checked_at: float

    @property
    def completeness(self) -> float | None:
        if self.expected_seconds <= 0:
            return None
        return min(1.0, self.recorded_seconds / self.expected_seconds)


def channel_integrity(
    recorded: Sequence[Interval],
    *,
    now: float,
    retention_days: float,
    schedule: Sequence[RecordingWindow] = (),
    zone: tzinfo,
    verified_until: float | None = None,
) -> ChannelIntegrity:
    """Integrity of one channel from its (merged) recorded intervals.

    Time after `verified_until` (the end of the last successful search, when the
    recorder has not answered since) is expected but not known to be recorded:
    it counts as missing until a search shows the footage.
    """
    footage = merge(recorded)
    window_start = now - retention_days * DAY
    expected = expected_intervals(window_start, now, schedule, zone)
    known = footage if verified_until is None else intersect(footage, [(-math.inf, verified_until)])
    covered = intersect(expected, known)
    missing = [g for g in subtract(expected, covered) if g[1] - g[0] >= MIN_GAP_SECONDS]
    earliest = footage[0][0] if footage else None
    latest = footage[-1][1] if footage else None
    return ChannelIntegrity(
        recording=latest is not None and latest >= now - RECORDING_NOW_SECONDS,
        earliest=earliest,
        retention_seconds=max(0.0, now - earliest) if earliest is not None else 0.0,
        recorded_seconds=total(covered),
        expected_seconds=total(expected),
        gaps=tuple(Segment(a, b) for a, b in missing),
        window_start=window_start,
        checked_at=now,
    )


# -- forecast --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StorageForecast:
    """How long a recorder's disks keep footage at the rate it writes."""

    write_bytes_per_second: float  # all channels together, averaged over the footage kept
    capacity_days: float  # days of footage the disks hold once full (overwriting the oldest)
    days_until_full: float
    # Days until the retention target can no longer be met: 0 when it is not
    # met now; None when the disks hold more than the target at this rate.
    days_until_short: float | None


def forecast(
    disks: Sequence[Disk],
    *,
    footage_days: float,
    retention_days: float,
    write_bytes_per_second: float | None = None,
) -> StorageForecast | None:
    """From the healthy disks' sizes, the days of footage they hold now, and the
    write rate measured from the growth of the used space between passes.

    Without a measured rate (the first pass, or disks already full and
    overwriting, whose used space no longer grows) the rate is the average
    over the footage kept: bytes used ÷ its span. Once the disks are full the
    recorder overwrites its oldest footage and keeps `capacity_days`; if that
    is below the target, the target is lost from that day on (the forecast
    counts to it: `days_until_full`, the conservative end), or now if the
    footage does not reach the target already. None when the disks do not
    tell their size or nothing is recorded yet.
    """
    sized = [d for d in disks if d.healthy and d.capacity_bytes and d.free_bytes is not None]
    if not sized or footage_days <= 0:
        return None
    capacity = float(sum(d.capacity_bytes or 0 for d in sized))
    free = float(sum(d.free_bytes or 0 for d in sized))
    used = capacity - free
    if used <= 0:
        return None
    rate = write_bytes_per_second or used / (footage_days * DAY)
    capacity_days = capacity / rate / DAY
    days_until_full = free / rate / DAY
    short: float | None = None
    if capacity_days < retention_days:
        short = 0.0 if footage_days < retention_days else days_until_full
    return StorageForecast(
        write_bytes_per_second=rate,
        capacity_days=capacity_days,
        days_until_full=days_until_full,
        days_until_short=short,
    )


def write_rate(
    earlier: tuple[float, int], later: tuple[float, int], min_seconds: float = 3600.0
) -> float | None:
    """Bytes a second written between two (time, used bytes) readings, or None when
    they are too close together or the used space did not grow (full, or cleared)."""
    seconds = later[0] - earlier[0]
    grown = later[1] - earlier[1]
    if seconds < min_seconds or grown <= 0:
        return None
    return grown / seconds
