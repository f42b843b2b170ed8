"""The storage rate of any past period, from the footage kept in the database.

The storage pass keeps each channel's merged footage over its horizon
(`retention_days` plus a margin); a period inside that horizon is judged
exactly as the live rate is: expected time from the channel's schedule,
recorded time the footage found within it, time not yet searched (after the
last search) counted as missing. A period reaching before the horizon
counts the time before the oldest footage kept as missing: a report over a
period that old should be taken from the reports made at the time.
"""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

from monitor.recordings.integrity import expected_intervals, intersect, merge, total
from monitor.recordings.model import local_zone
from monitor.storage.store import Store
from site_map.coverage import ChannelStorage
from site_map.loader import LoadedSiteMap


def period_storage(
    loaded: LoadedSiteMap, store: Store, start: float, end: float
) -> dict[str, ChannelStorage]:
    """Recorded and expected seconds of each searched channel over [start, end)."""
    site_map = loaded.site_map
    zones = {n.id: ZoneInfo(n.timezone) if n.timezone else local_zone() for n in site_map.nvrs}
    records = store.recordings()
    out: dict[str, ChannelStorage] = {}
    for camera in site_map.cameras:
        record = records.get(camera.id)
        if camera.nvr is None or record is None or camera.nvr.id not in zones:
            continue  # not recorded, or never searched: no figure rather than a false zero
        expected = expected_intervals(start, end, camera.nvr.schedule, zones[camera.nvr.id])
        known = intersect(merge(record.intervals), [(-math.inf, record.checked_until)])
        out[camera.id] = ChannelStorage(
            recorded_seconds=total(intersect(expected, known)),
            expected_seconds=total(expected),
        )
    return out
