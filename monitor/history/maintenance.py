"""Maintenance windows: planned time when cameras are expected to be down.

They come from the `maintenance:` list of the monitor's config file:

```yaml
maintenance:
  - name: 北校区停电检修
    campus: north
    start: "2026-12-05T01:00:00+08:00"
    end: "2026-12-05T05:00:00+08:00"
  - {name: 每周巡检, cameras: [cam-0001, cam-0002], every: weekly, weekday: sun,
     at: "02:00", duration: 2h, timezone: Asia/Shanghai}
  - {name: 食堂每日清洁, sites: [north-canteen-1], every: daily, at: "23:30", duration: 45m}
```

A window never removes anything from the availability figures: the time a
camera spends in maintenance is reported beside them (see docs/availability.md).
Everything here is pure: no clock, no I/O.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitor.history.periods import (
    DAY,
    DEFAULT_TIMEZONE,
    Interval,
    format_duration,
    merge,
    parse_duration,
    zone,
)
from site_map.model import Identifier, SiteMap

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_NAMES = {
    **{name: name for name in WEEKDAYS},
    **dict(zip(_FULL_NAMES, WEEKDAYS, strict=True)),
}
# The longest duration a recurring window may have: shorter than its period.
PERIOD_SECONDS: dict[str, int] = {"daily": DAY, "weekly": 7 * DAY, "monthly": 28 * DAY}

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class MaintenanceError(ValueError):
    """The `maintenance:` list cannot be used; the message names every problem."""


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class MaintenanceWindow(BaseModel):
    """One maintenance window: a scope (which cameras) and a time (once or recurring).

    Scope: any of `cameras`, `sites`, `campuses` (also spelt `campus`), whose
    cameras are all covered together; or `all: true` for every camera.

    Time, one-off: `start` and `end` (or `start` and `duration`), ISO date-times;
    a time without a UTC offset is read in the window's `timezone`.
    Recurring: `every` daily, weekly (with `weekday`) or monthly (with `day`,
    1–31; a month without that day uses its last day), starting at the local
    wall-clock time `at` in `timezone` and lasting `duration` of real time.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1)
    cameras: tuple[Identifier, ...] = ()
    sites: tuple[Identifier, ...] = ()
    campuses: tuple[Identifier, ...] = ()
    all: bool = False
    # Declared before start/end: their validator reads it.
    timezone: str = DEFAULT_TIMEZONE
    start: datetime | None = None
    end: datetime | None = None
    every: Literal["daily", "weekly", "monthly"] | None = None
    weekday: Weekday | None = None
    day: int | None = Field(None, ge=1, le=31, description="day of the month, monthly windows")
    at: time | None = None
    duration: timedelta | None = None

    @model_validator(mode="before")
    @classmethod
    def _spellings(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "campus" in data:
            if "campuses" in data:
                raise ValueError("give campus or campuses, not both")
            data["campuses"] = data.pop("campus")
        for key in ("cameras", "sites", "campuses"):
            if key in data:
                data[key] = _as_list(data[key])
        if isinstance(data.get("weekday"), str):
            name = data["weekday"].strip().lower()
            data["weekday"] = _WEEKDAY_NAMES.get(name, name)
        return data

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("start", "end", mode="after")
    @classmethod
    def _aware(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is not None and value.tzinfo is None:
            name = info.data.get("timezone", DEFAULT_TIMEZONE)
            return value.replace(tzinfo=zone(name))
        return value

    @field_validator("at", mode="before")
    @classmethod
    def _wall_clock(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads an unquoted 23:30 as the number 1410.
            raise ValueError(
                f'{value} is not a time of day; quote it, as in at: "23:30" '
                "(unquoted, YAML reads 23:30 as a number)"
            )
        return value

    @field_validator("at", mode="after")
    @classmethod
    def _naive_time(cls, value: time | None) -> time | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("a wall-clock time in the window's timezone takes no UTC offset")
        return value

    @field_validator("duration", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().upper().startswith("P"):
            return timedelta(seconds=parse_duration(value))
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                f"{value} has no unit: write a duration as 45m, 2h or 1h30m "
                "(quote it if it contains a colon)"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MaintenanceWindow:
        if self.all and (self.cameras or self.sites or self.campuses):
            raise ValueError("all: true covers every camera; drop cameras, sites and campuses")
        if not (self.all or self.cameras or self.sites or self.campuses):
            raise ValueError("say which cameras: give cameras, sites or campus(es), or all: true")
        if self.duration is not None and self.duration.total_seconds() <= 0:
            raise ValueError("duration must be longer than 0")
        if self.every is None:
            self._check_one_off()
        else:
            self._check_recurring()
        return self

    def _check_one_off(self) -> None:
        recurring = [k for k in ("weekday", "day", "at") if getattr(self, k) is not None]
        if recurring:
            raise ValueError(
                f"{', '.join(recurring)} only apply to a recurring window (with every:)"
            )
        if self.start is None:
            raise ValueError(
                "give start and end for a one-off window, or every, at and duration "
                "for a recurring one"
            )
        if (self.end is None) == (self.duration is None):
            raise ValueError("a one-off window needs start and either end or duration")
        if self.end is not None and self.end <= self.start:
            raise ValueError(
                f"end ({self.end.isoformat()}) is not after start ({self.start.isoformat()})"
            )

    def _check_recurring(self) -> None:
        assert self.every is not None
        if self.start is not None or self.end is not None:
            raise ValueError("a recurring window (every:) takes at and duration, not start/end")
        missing = [k for k in ("at", "duration") if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a recurring window needs {' and '.join(missing)}")
        if self.every == "weekly" and self.weekday is None:
            raise ValueError(f"a weekly window needs weekday (one of {', '.join(WEEKDAYS)})")
        if self.every != "weekly" and self.weekday is not None:
            raise ValueError("weekday only applies to a weekly window")
        if self.every == "monthly" and self.day is None:
            raise ValueError("a monthly window needs day (day of the month, 1-31)")
        if self.every != "monthly" and self.day is not None:
            raise ValueError("day only applies to a monthly window")
        assert self.duration is not None
        limit = PERIOD_SECONDS[self.every]
        if self.duration.total_seconds() >= limit:
            raise ValueError(
                f"duration {format_duration(self.duration.total_seconds())} is not shorter "
                f"than the {self.every} period ({format_duration(limit)})"
            )

    # --- time ---

    @property
    def recurring(self) -> bool:
        return self.every is not None

    def occurrences(self, start: float, end: float) -> list[Interval]:
        """The window's intervals that overlap `[start, end)`, cut to it, in order."""
        if end <= start:
            return []
        if self.every is None:
            assert self.start is not None
            t0 = self.start.timestamp()
            if self.end is not None:
                t1 = self.end.timestamp()
            else:
                assert self.duration is not None
                t1 = t0 + self.duration.total_seconds()
            lo, hi = max(t0, start), min(t1, end)
            return [(lo, hi)] if lo < hi else []
        assert self.at is not None and self.duration is not None
        tz = zone(self.timezone)
        length = self.duration.total_seconds()
        # Local dates that may start an occurrence reaching into the period.
        first = datetime.fromtimestamp(start - length, tz).date() - timedelta(days=1)
        last = datetime.fromtimestamp(end, tz).date() + timedelta(days=1)
        result: list[Interval] = []
        for day in self._days(first, last):
            t0 = datetime.combine(day, self.at, tzinfo=tz).timestamp()
            lo, hi = max(t0, start), min(t0 + length, end)
            if lo < hi:
                result.append((lo, hi))
        return merge(result)

    def _days(self, first: date, last: date) -> Iterable[date]:
        """The local dates in `[first, last]` on which an occurrence starts."""
        if self.every == "monthly":
            assert self.day is not None
            year, month = first.year, first.month
            while date(year, month, 1) <= last:
                length = calendar.monthrange(year, month)[1]
                candidate = date(year, month, min(self.day, length))
                if first <= candidate <= last:
                    yield candidate
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            return
        if self.every == "weekly":
            assert self.weekday is not None
            day = first + timedelta(days=(WEEKDAYS.index(self.weekday) - first.weekday()) % 7)
            step = timedelta(days=7)
        else:
            day, step = first, timedelta(days=1)
        while day <= last:
            yield day
            day += step


_WINDOW_LIST = TypeAdapter(tuple[MaintenanceWindow, ...])


def parse_maintenance(data: object) -> tuple[MaintenanceWindow, ...]:
    """Validate a `maintenance:` list (None → no windows); MaintenanceError names each problem.

    Messages read `maintenance[1] '每周巡检': at: ...`: the entry's index, its
    name when it has one, the field and what is wrong.
    """
    if data is None:
        return ()
    if not isinstance(data, list | tuple):
        raise MaintenanceError("maintenance: must be a list of windows")
    try:
        return _WINDOW_LIST.validate_python(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            where = "maintenance"
            index = loc[0] if loc else None
            if isinstance(index, int):
                loc.pop(0)
                where += f"[{index}]"
                entry = data[index]
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    where += f" '{entry['name']}'"
            field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
            if err["type"] == "extra_forbidden":
                allowed = ", ".join(sorted({*MaintenanceWindow.model_fields, "campus"}))
                message = f"unknown field (allowed: {allowed})"
            else:
                message = str(err["msg"]).removeprefix("Value error, ")
            prefix = f"{field.lstrip('.')}: " if field else ""
            problems.append(f"{where}: {prefix}{message}")
        raise MaintenanceError("; ".join(problems)) from None


# --- scope ---------------------------------------------------------------------------


def cameras_in_window(window: MaintenanceWindow, site_map: SiteMap) -> frozenset[str]:
    """The configured cameras a window covers.

    A site window covers every camera that lists the site; a campus window every
    camera that lists a site of the campus; `all: true` every camera. Ids the
    site map does not know cover nothing (`validate_against` reports them).
    """
    if window.all:
        return frozenset(camera.id for camera in site_map.cameras)
    sites = set(window.sites)
    if window.campuses:
        campuses = set(window.campuses)
        sites.update(site.id for site in site_map.sites if site.campus in campuses)
    listed = set(window.cameras)
    return frozenset(
        camera.id
        for camera in site_map.cameras
        if camera.id in listed or any(site in sites for site in camera.sites)
    )


def validate_against(windows: Sequence[MaintenanceWindow], site_map: SiteMap) -> list[str]:
    """Errors for camera, site and campus ids the site map does not know (empty: fine)."""
    cameras = {camera.id for camera in site_map.cameras}
    sites = {site.id for site in site_map.sites}
    campuses = {campus.id for campus in site_map.campuses}
    errors: list[str] = []
    for index, window in enumerate(windows):
        label = f"maintenance[{index}] '{window.name}'"
        for kind, ids, known in (
            ("camera", window.cameras, cameras),
            ("site", window.sites, sites),
            ("campus", window.campuses, campuses),
        ):
            errors.extend(f"{label}: unknown {kind} '{i}'" for i in ids if i not in known)
    return errors


def expand(
    windows: Sequence[MaintenanceWindow], site_map: SiteMap, start: float, end: float
) -> dict[str, list[Interval]]:
    """Per camera, the maintenance intervals inside `[start, end)`: merged, sorted, cut.

    Cameras that no window covers in the period are absent from the result.
    """
    per_camera: dict[str, list[Interval]] = {}
    for window in windows:
        intervals = window.occurrences(start, end)
        if not intervals:
            continue
        for camera in cameras_in_window(window, site_map):
            per_camera.setdefault(camera, []).extend(intervals)
    return {camera: merge(intervals) for camera, intervals in per_camera.items()}
