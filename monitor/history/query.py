"""Reading a period's history from the store and computing its availability.

The one place that knows which rows a period needs, shared by the API, the
`availability` command and the metrics refresher.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from monitor.history.availability import (
    AvailabilityReport,
    RunLike,
    availability_report,
    group_by_camera,
    settle_runs,
)
from monitor.history.maintenance import MaintenanceWindow, expand
from monitor.history.periods import WINDOWS
from monitor.storage.store import Store
from site_map.model import SiteMap


def period_availability(
    store: Store,
    site_map: SiteMap,
    windows: Sequence[MaintenanceWindow],
    *,
    start: float,
    end: float,
    now: float,
    poll_interval: float,
    inside_monitor: bool,
    intact: bool = False,
) -> AvailabilityReport:
    """Availability over `[start, end)` — or, with `intact`, the time-weighted intact
    rate: the same report where "online" means intact (online, video fetched, no
    image fault), from the stored intact changes.

    `inside_monitor`: the caller is the running monitor, whose own run is
    open and alive. Any other reader settles an open run whose monitor has
    not finished a cycle for three poll intervals (it died), so a dead
    monitor's silence is unmonitored time, not online time.
    """
    transitions = (
        store.intact_transitions_for_period(start, end)
        if intact
        else store.transitions_for_period(start, end)
    )
    runs: Sequence[RunLike] = store.monitor_runs(since=start, until=end)
    if not inside_monitor:
        last = store.last_cycle()
        runs = settle_runs(
            runs,
            last_cycle_at=last.finished_at if last else None,
            now=now,
            grace=3 * poll_interval,
        )
    return availability_report(
        site_map,
        group_by_camera(transitions),
        runs,
        expand(windows, site_map, start, end),
        start=start,
        end=end,
        now=now,
    )


class HistoryReader:
    """Availability over any period, and over the standard windows for the metrics."""

    def __init__(
        self,
        store: Store,
        site_map: SiteMap,
        windows: Sequence[MaintenanceWindow],
        *,
        poll_interval: float,
        inside_monitor: bool,
    ) -> None:
        self.store = store
        self.site_map = site_map
        self.windows = tuple(windows)
        self.poll_interval = poll_interval
        self.inside_monitor = inside_monitor

    def report(self, start: float, end: float, now: float | None = None) -> AvailabilityReport:
        return self._period(start, end, now, intact=False)

    def intact(self, start: float, end: float, now: float | None = None) -> AvailabilityReport:
        """The time-weighted intact rate over a period: `report`'s shape, "online" read as
        intact. Time before the monitor stored intact changes (before migration 0005)
        counts as not known: unmonitored."""
        return self._period(start, end, now, intact=True)

    def _period(
        self, start: float, end: float, now: float | None, *, intact: bool
    ) -> AvailabilityReport:
        return period_availability(
            self.store,
            self.site_map,
            self.windows,
            start=start,
            end=end,
            now=time.time() if now is None else now,
            poll_interval=self.poll_interval,
            inside_monitor=self.inside_monitor,
            intact=intact,
        )

    def standard_windows(self, now: float | None = None) -> dict[str, AvailabilityReport]:
        """The last 24 h, 7 d and 30 d, as exported to Prometheus."""
        now = time.time() if now is None else now
        return {name: self.report(now - seconds, now, now) for name, seconds in WINDOWS.items()}
