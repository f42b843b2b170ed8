"""Availability totals of many cameras at once, with numpy.

The same rules as `monitor.history.availability._scan`, applied to every
camera's transitions in a handful of array operations instead of a Python loop
per transition; the tests check that both give the same figures. Outage lists
are not built here (they are built per camera, on demand).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from monitor.history.periods import Interval, Measure, intersect, merge
from monitor.state import Transition

_AT = attrgetter("at")
_ONLINE = attrgetter("online")

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Totals:
    """Per camera (same order as the input), the figures an `Availability` is made of."""

    online: Floats
    offline: Floats
    online_maintenance: Floats
    offline_maintenance: Floats
    flaps: Ints
    outages: Ints
    outages_ended: Ints
    repair_seconds: Floats  # Σ whole length of the ended outages


def _interp(x: Floats, measure: Measure) -> Floats:
    xs, ys = measure.points()
    if not xs:
        return np.zeros_like(x)
    return np.interp(x, np.asarray(xs), np.asarray(ys))


def totals(
    transitions: Sequence[Sequence[Transition]],
    maintenance: Sequence[Sequence[Interval]],
    *,
    start: float,
    stop: float,
    now: float,
    monitored: Sequence[Interval],
) -> Totals:
    """Figures of camera i from `transitions[i]` (time-ordered) and `maintenance[i]`.

    The period is `[start, stop)` with `stop <= now`; `monitored` is the
    monitor's running time cut to it.
    """
    count = len(transitions)
    zeros = np.zeros(count)
    if stop <= start or count == 0:
        none = np.zeros(count, dtype=np.int64)
        return Totals(zeros, zeros, zeros, zeros, none, none, none, zeros)

    # Cameras ordered by their maintenance intervals, so that each distinct set
    # of intervals covers one contiguous run of the arrays below.
    groups: dict[tuple[Interval, ...], int] = {}
    group_of = [groups.setdefault(tuple(m), len(groups)) if m else -1 for m in maintenance]
    order = sorted(range(count), key=group_of.__getitem__)

    slices: list[Sequence[Transition]] = []
    lengths: list[int] = []
    positions: list[int] = []  # index into `order` of each slice's camera
    outage_starts: dict[int, float] = {}  # position → start of an outage going on at `start`
    for pos, camera in enumerate(order):
        ts = transitions[camera]
        if not ts:
            continue
        n = len(ts) if ts[-1].at <= now else bisect_right(ts, now, key=_AT)
        lo = 0 if ts[0].at >= start else bisect_left(ts, start, 0, n, key=_AT) - 1
        if lo >= n:
            continue
        if lo > 0 and not ts[lo].online:
            k = lo
            while k > 0 and not ts[k - 1].online:
                k -= 1
            outage_starts[pos] = ts[k].at
        slices.append(ts if lo == 0 and n == len(ts) else ts[lo:n])
        lengths.append(n - lo)
        positions.append(pos)
    size = sum(lengths)
    at = np.fromiter(map(_AT, chain.from_iterable(slices)), dtype=np.float64, count=size)
    online = np.fromiter(map(_ONLINE, chain.from_iterable(slices)), dtype=np.bool_, count=size)
    camera_pos = np.repeat(np.asarray(positions, dtype=np.int64), lengths)
    first = np.zeros(size, dtype=np.bool_)
    # Integer counts even when there are none (np.cumsum([]) is a float array).
    counts = np.asarray(lengths, dtype=np.int64)
    first[np.cumsum(counts) - counts] = True

    # Keep the changes of state only (a repeated state is no change).
    change = first.copy()
    change[1:] |= online[1:] != online[:-1]
    keep = np.flatnonzero(change)
    at, online, camera_pos, first = at[keep], online[keep], camera_pos[keep], first[keep]
    # Each change governs [at, next change of the same camera).
    following = np.full(at.shape, np.inf)
    same = camera_pos[1:] == camera_pos[:-1]
    following[:-1][same] = at[1:][same]
    span_lo = np.clip(at, start, stop)
    span_hi = np.clip(following, start, stop)

    measure = Measure(monitored)
    seconds = _interp(span_hi, measure) - _interp(span_lo, measure)
    in_maintenance = np.zeros(at.shape)
    if groups:
        # Positions [first, last) in `order` of each group's cameras.
        ranges: dict[int, list[int]] = {}
        for pos, camera in enumerate(order):
            g = group_of[camera]
            if g >= 0:
                ranges.setdefault(g, [pos, pos + 1])[1] = pos + 1
        for intervals, g in groups.items():
            both = intersect(monitored, merge(intervals))
            first_pos, last_pos = ranges[g]
            lo_k = int(np.searchsorted(camera_pos, first_pos))
            hi_k = int(np.searchsorted(camera_pos, last_pos))
            if not both or lo_k == hi_k:
                continue
            m = Measure(both)
            in_maintenance[lo_k:hi_k] = _interp(span_hi[lo_k:hi_k], m) - _interp(
                span_lo[lo_k:hi_k], m
            )

    offline = ~online
    bins = len(order)

    def per_camera(mask: npt.NDArray[np.bool_], weights: Floats | None = None) -> Floats:
        w = None if weights is None else weights[mask]
        return np.bincount(camera_pos[mask], weights=w, minlength=bins).astype(np.float64)

    flap = ~first & (at < stop)
    ends = np.where(np.isinf(following), now, following)
    outage = offline & (np.minimum(ends, stop) > np.maximum(at, start))
    ended = outage & ~np.isinf(following)
    outage_start = at.copy()
    if outage_starts:
        firsts = np.flatnonzero(first & offline)
        for k in firsts.tolist():
            pos = int(camera_pos[k])
            if pos in outage_starts:
                outage_start[k] = outage_starts[pos]
    whole = following - outage_start

    # Back from positions to the input order.
    back = np.empty(bins, dtype=np.int64)
    back[np.asarray(order, dtype=np.int64)] = np.arange(bins)

    def result(values: Floats) -> Floats:
        return values[back]

    return Totals(
        online=result(per_camera(online, seconds)),
        offline=result(per_camera(offline, seconds)),
        online_maintenance=result(per_camera(online, in_maintenance)),
        offline_maintenance=result(per_camera(offline, in_maintenance)),
        flaps=result(per_camera(flap)).astype(np.int64),
        outages=result(per_camera(outage)).astype(np.int64),
        outages_ended=result(per_camera(ended)).astype(np.int64),
        repair_seconds=result(per_camera(ended, whole)),
    )
