"""Periods and interval arithmetic shared by availability and maintenance windows.

Every interval is half-open, `[start, end)`, in unix seconds: a moment exactly
on a boundary belongs to the later interval. Lists of intervals returned here
are sorted, disjoint and never touch (touching intervals are merged).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = tuple[float, float]

DAY = 86400
WINDOWS: dict[str, int] = {"24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY}
DEFAULT_TIMEZONE = "Asia/Shanghai"

_DURATION = re.compile(
    r"^(?:(?P<d>\d+)\s*d)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m(?:in)?)?\s*(?:(?P<s>\d+)\s*s)?$"
)


# --- durations and periods -----------------------------------------------------------


def parse_duration(text: str) -> int:
    """`45m`, `2h`, `1h30m`, `7d`, `90s` → seconds. Units d, h, m, s, in that order."""
    cleaned = text.strip().lower()
    match = _DURATION.match(cleaned)
    if not cleaned or match is None or not any(match.groupdict().values()):
        raise ValueError(
            f"'{text}' is not a duration: write a number with a unit, "
            "such as 45m, 2h, 1h30m or 7d (units d, h, m, s)"
        )
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return parts["d"] * DAY + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def format_duration(seconds: float) -> str:
    """Seconds → `1d2h30m` (the format `parse_duration` reads); `0s` for nothing."""
    rest = round(seconds)
    parts = []
    for unit, size in (("d", DAY), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or a ValueError that says what is expected."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{name}': use an IANA name such as Asia/Shanghai"
        ) from None


def last(window: str | float, now: float) -> Interval:
    """The period `[now - window, now)` for a named window (`24h`, `7d`, `30d`) or seconds."""
    if isinstance(window, str):
        seconds: float = WINDOWS[window] if window in WINDOWS else parse_duration(window)
    else:
        seconds = float(window)
    if seconds <= 0:
        raise ValueError("a period must be longer than 0 seconds")
    return (now - seconds, now)


def _local_midnight(day: date, tz: ZoneInfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def _instant(text: str, tz: ZoneInfo, *, end: bool) -> float:
    """A date (local midnight; as an end: the midnight after it) or an ISO date-time."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = date.fromisoformat(text)
        return _local_midnight(day + timedelta(days=1) if end else day, tz)
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.timestamp()


def parse_period(text: str, now: float, timezone: str = DEFAULT_TIMEZONE) -> Interval:
    """A period as an operator or assessor writes it → `(start, end)` in unix seconds.

    - `24h`, `7d`, `30d` or any duration (`90m`, `14d`): the last that long, up to `now`;
    - `2026-12-05`: that local day; `2026-12`: that local month;
    - `START/END`, each a date or an ISO date-time: a date as START is its
      local midnight, a date as END includes that day (`2026-12-01/2026-12-07`
      is the first seven days of December); a date-time without an offset is
      local time. Local means `timezone` (default Asia/Shanghai).
    """
    tz = zone(timezone)
    text = text.strip()
    try:
        if "/" in text:
            first, _, second = text.partition("/")
            start, end = _instant(first, tz, end=False), _instant(second, tz, end=True)
        elif re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = (int(part) for part in text.split("-"))
            following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
            start = _local_midnight(date(year, month, 1), tz)
            end = _local_midnight(following, tz)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            start, end = _instant(text, tz, end=False), _instant(text, tz, end=True)
        else:
            return last(text, now)
    except ValueError as exc:
        raise ValueError(
            f"'{text}' is not a period ({exc}): write 24h, 7d, 30d, a day "
            "(2026-12-05), a month (2026-12) or START/END"
        ) from None
    if end <= start:
        raise ValueError(f"'{text}' is not a period: its end is not after its start")
    return (start, end)


# --- interval arithmetic -------------------------------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort, drop empty intervals and merge overlapping or touching ones."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def clip(intervals: Iterable[Interval], start: float, end: float) -> list[Interval]:
    """Merged intervals cut to `[start, end)`."""
    return merge((max(a, start), min(b, end)) for a, b in intervals)


def intersect(left: Sequence[Interval], right: Sequence[Interval]) -> list[Interval]:
    """Intersection of two merged interval lists (a merged list)."""
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a0, a1 = left[i]
        b0, b1 = right[j]
        lo, hi = max(a0, b0), min(a1, b1)
        if lo < hi:
            result.append((lo, hi))
        if a1 <= b1:
            i += 1
        else:
            j += 1
    return result


def total(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in intervals)


class Measure:
    """Seconds of a merged interval list before any moment, in O(log n).

    `measure.upto(t)` is the length of the part of the intervals before `t`;
    `measure.between(a, b)` of the part inside `[a, b)`.
    """

    __slots__ = ("_cum", "_ends", "_starts", "total")

    def __init__(self, intervals: Sequence[Interval]) -> None:
        self._starts = [start for start, _ in intervals]
        self._ends = [end for _, end in intervals]
        self._cum: list[float] = []
        running = 0.0
        for start, end in intervals:
            self._cum.append(running)
            running += end - start
        self.total = running

    def upto(self, t: float) -> float:
        k = bisect_right(self._starts, t) - 1
        if k < 0:
            return 0.0
        end = self._ends[k]
        return self._cum[k] + (t if t < end else end) - self._starts[k]

    def between(self, a: float, b: float) -> float:
        return self.upto(b) - self.upto(a) if b > a else 0.0

    def points(self) -> tuple[list[float], list[float]]:
        """Breakpoints `(xs, ys)` of `upto` as a piecewise-linear function (for numpy.interp)."""
        xs: list[float] = []
        ys: list[float] = []
        for start, end, before in zip(self._starts, self._ends, self._cum, strict=True):
            xs += (start, end)
            ys += (before, before + end - start)
        return xs, ys

    def covers(self, t: float) -> bool:
        """Whether `t` lies inside one of the intervals."""
        k = bisect_right(self._starts, t) - 1
        return k >= 0 and t < self._ends[k]
