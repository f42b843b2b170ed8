"""Outages and availability from transitions and monitor runs, with hand-computed intervals.

Times are written in hours from an origin (`h(…)`), so every expected figure
can be checked on paper.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from monitor.history.availability import (
    WINDOWS,
    Availability,
    Outage,
    Run,
    RunLike,
    availability_report,
    camera_availability,
    camera_outages,
    camera_timeline,
    group_by_camera,
    monitored_intervals,
    mttr,
    scope_availability,
    settle_runs,
)
from monitor.history.periods import (
    format_duration,
    intersect,
    last,
    merge,
    parse_duration,
    parse_period,
    total,
)
from monitor.probing.result import Reason, Stage
from monitor.state import Transition
from monitor.storage.store import MonitorRun, Store, default_sqlite_url
from site_map.model import SiteMap

H = 3600.0
ORIGIN = 1_796_400_000.0  # 2026-12-05 00:00 in Shanghai


def h(hours: float) -> float:
    return ORIGIN + hours * H


def on(hours: float, camera: str = "cam-1") -> Transition:
    return Transition(camera, h(hours), True)


def off(
    hours: float, stage: str = "tcp", reason: str = "unreachable", camera: str = "cam-1"
) -> Transition:
    return Transition(camera, h(hours), False, Stage(stage), Reason(reason))


def run(start: float, stop: float | None = None, clean: bool | None = None) -> MonitorRun:
    """A monitor run from `start` to `stop` hours (None: still running)."""
    stopped = None if stop is None else h(stop)
    return MonitorRun(h(start), stopped, stopped is not None if clean is None else clean)


def hours(intervals: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(h(a), h(b)) for a, b in intervals]


def measure(
    transitions: Sequence[Transition],
    runs: Sequence[RunLike],
    maintenance: Sequence[tuple[float, float]] = (),
    *,
    start: float = 0,
    end: float = 24,
    now: float = 48,
) -> tuple[Availability, list[Outage]]:
    """Availability and outages of cam-1, both checked against each other."""
    kwargs: dict[str, Any] = {"start": h(start), "end": h(end), "now": h(now)}
    maint = hours(maintenance)
    a = camera_availability("cam-1", transitions, runs, maint, **kwargs)
    outages = camera_outages("cam-1", transitions, runs, maint, **kwargs)
    check_invariants(a, outages)
    return a, outages


def check_invariants(a: Availability, outages: Sequence[Outage]) -> None:
    approx = pytest.approx
    assert a.period_seconds == approx(a.monitored_seconds + a.unmonitored_seconds)
    assert a.monitored_seconds == approx(a.online_seconds + a.offline_seconds)
    assert a.offline_seconds == approx(sum(o.offline_seconds for o in outages), abs=1e-6)
    assert a.offline_in_maintenance_seconds == approx(
        sum(o.maintenance_seconds for o in outages), abs=1e-6
    )
    assert a.outages == len(outages)
    for o in outages:
        assert o.seconds > 0
        assert 0 <= o.unmonitored_seconds <= o.seconds + 1e-9
        assert 0 <= o.maintenance_seconds <= o.seconds - o.unmonitored_seconds + 1e-9


def outage(
    start: float,
    end: float | None,
    seconds: float,
    *,
    maintenance: float = 0,
    unmonitored: float = 0,
    stage: str | None = "tcp",
    reason: str | None = "unreachable",
) -> Outage:
    return Outage(
        camera="cam-1",
        start=h(start),
        end=None if end is None else h(end),
        stage=stage,
        reason=reason,
        seconds=seconds * H,
        maintenance_seconds=maintenance * H,
        unmonitored_seconds=unmonitored * H,
    )


# --- one camera ----------------------------------------------------------------------


def test_simple_outage() -> None:
    a, outages = measure([on(0), off(10), on(12)], [run(-1)])
    assert outages == [outage(10, 12, 2)]
    assert a.period_seconds == 24 * H
    assert (a.online_seconds, a.offline_seconds) == (22 * H, 2 * H)
    assert a.unmonitored_seconds == 0
    assert a.ratio == pytest.approx(22 / 24)
    assert a.ratio_outside_maintenance == pytest.approx(22 / 24)
    assert (a.outages, a.outages_ended, a.flaps) == (1, 1, 2)
    assert a.mttr_seconds == 2 * H
    assert (a.scope, a.id, a.start, a.end) == ("camera", "cam-1", h(0), h(24))


def test_outage_across_the_period_boundaries() -> None:
    transitions = [on(-5), off(10, "onvif", "auth_failed"), on(30)]
    # Entirely inside the outage: the outage keeps its own start and end.
    a, outages = measure(transitions, [run(-10)], start=12, end=24)
    assert outages == [outage(10, 30, 12, stage="onvif", reason="auth_failed")]
    assert (a.online_seconds, a.offline_seconds, a.ratio) == (0, 12 * H, 0.0)
    assert a.flaps == 0  # both changes lie outside the period
    # The outage's end inside a later period.
    a, outages = measure(transitions, [run(-10)], start=20, end=40)
    assert outages == [outage(10, 30, 10, stage="onvif", reason="auth_failed")]
    assert (a.online_seconds, a.offline_seconds, a.flaps) == (10 * H, 10 * H, 1)
    # The whole outage length counts for the time to repair, not its part in the period.
    assert a.mttr_seconds == 20 * H


def test_transition_on_a_boundary_belongs_to_the_later_segment() -> None:
    transitions = [on(-5), off(0), on(24)]
    a, outages = measure(transitions, [run(-10)], start=0, end=24)
    assert outages == [outage(0, 24, 24)]
    assert (a.online_seconds, a.offline_seconds, a.flaps) == (0, 24 * H, 1)
    a, outages = measure(transitions, [run(-10)], start=24, end=30)
    assert outages == []  # the outage ends exactly where the period starts
    assert (a.online_seconds, a.flaps) == (6 * H, 1)
    a, outages = measure(transitions, [run(-10)], start=-5, end=0)
    assert outages == []  # the outage starts exactly where the period ends
    assert (a.online_seconds, a.flaps) == (5 * H, 0)  # the first probe is no flap


def test_still_down_camera() -> None:
    a, outages = measure([on(0), off(20)], [run(0)], start=0, end=48, now=30)
    assert outages == [outage(20, None, 10)]
    assert outages[0].ongoing and outages[0].duration(h(30)) == 10 * H
    assert a.period_seconds == 30 * H  # the period is cut at now
    assert (a.online_seconds, a.offline_seconds) == (20 * H, 10 * H)
    assert (a.outages, a.outages_ended, a.mttr_seconds) == (1, 0, None)
    # Asked about an earlier period, the outage still has no end.
    a, outages = measure([on(0), off(20)], [run(0)], start=0, end=24, now=30)
    assert outages == [outage(20, None, 4)]


def test_camera_first_probed_mid_period() -> None:
    a, outages = measure([on(6)], [run(0)])
    assert outages == []
    assert (a.unmonitored_seconds, a.monitored_seconds, a.ratio) == (6 * H, 18 * H, 1.0)
    assert a.flaps == 0
    # A first probe that finds the camera down starts an outage, and is no flap.
    a, outages = measure([off(6, "video", "no_video"), on(8)], [run(0)])
    assert outages == [outage(6, 8, 2, stage="video", reason="no_video")]
    assert (a.online_seconds, a.offline_seconds, a.unmonitored_seconds) == (16 * H, 2 * H, 6 * H)
    assert a.flaps == 1


def test_monitor_restart_while_online_is_no_outage() -> None:
    transitions = [on(0)]
    runs = [run(0, 10), run(11)]
    a, outages = measure(transitions, runs, start=0, end=24, now=24)
    assert outages == []
    assert (a.online_seconds, a.unmonitored_seconds, a.offline_seconds) == (23 * H, H, 0)
    assert (a.ratio, a.flaps) == (1.0, 0)
    assert camera_timeline(transitions, runs, start=h(0), end=h(24), now=h(24)) == [
        (h(0), h(10), "online"),
        (h(10), h(11), "unmonitored"),
        (h(11), h(24), "online"),
    ]


def test_monitor_down_during_an_outage_is_one_outage() -> None:
    transitions = [on(0), off(8), on(14)]
    runs = [run(0, 10), run(12)]
    a, outages = measure(transitions, runs, start=0, end=24, now=24)
    assert outages == [outage(8, 14, 6, unmonitored=2)]
    assert outages[0].offline_seconds == 4 * H
    assert (a.online_seconds, a.offline_seconds, a.unmonitored_seconds) == (18 * H, 4 * H, 2 * H)
    assert a.ratio == pytest.approx(18 / 22)
    assert (a.outages, a.flaps, a.mttr_seconds) == (1, 2, 6 * H)
    assert camera_timeline(transitions, runs, start=h(0), end=h(24), now=h(24)) == [
        (h(0), h(8), "online"),
        (h(8), h(10), "offline"),
        (h(10), h(12), "unmonitored"),
        (h(12), h(14), "offline"),
        (h(14), h(24), "online"),
    ]


def test_worked_example_of_the_docs() -> None:
    """docs/availability.md, "Worked example"."""
    a, outages = measure([on(0), off(8), on(14)], [run(0, 10), run(12)], [(12, 16)], now=24)
    assert outages == [outage(8, 14, 6, unmonitored=2, maintenance=2)]
    assert (a.online_seconds, a.offline_seconds, a.unmonitored_seconds) == (18 * H, 4 * H, 2 * H)
    assert a.ratio == pytest.approx(18 / 22)
    assert (a.maintenance_seconds, a.offline_in_maintenance_seconds) == (4 * H, 2 * H)
    assert a.ratio_outside_maintenance == pytest.approx(16 / 18)
    assert (a.flaps, a.outages, a.mttr_seconds) == (2, 1, 6 * H)


def test_monitor_down_is_never_an_outage_by_itself() -> None:
    # Offline before the monitor stopped, online at the first probe after it restarted.
    a, outages = measure([on(0), off(9), on(12.5)], [run(0, 10), run(12)], now=24)
    assert outages == [outage(9, 12.5, 3.5, unmonitored=2)]
    # Online before and after a long stop: nothing.
    a, outages = measure([on(0)], [run(0, 2), run(20)], now=24)
    assert outages == [] and a.unmonitored_seconds == 18 * H


def test_crash_run_closed_by_the_store(tmp_path: Path) -> None:
    """The store closes a crashed run at its last cycle; the maths is the same."""
    with Store.open(default_sqlite_url(tmp_path)) as store:
        store.record_monitor_start(h(0))
        store.save_cycle(started_at=h(0), finished_at=h(0) + 1, states=[], transitions=[on(0)])
        store.save_cycle(started_at=h(8), finished_at=h(8) + 1, states=[], transitions=[off(8)])
        store.save_cycle(started_at=h(10) - 1, finished_at=h(10), states=[], transitions=[])
        # The process dies here: no stop mark. The next run starts at 12 h.
        store.record_monitor_start(h(12))
        store.save_cycle(started_at=h(14), finished_at=h(14) + 1, states=[], transitions=[on(14)])
        runs = store.monitor_runs(since=h(0), until=h(24))
        transitions = store.transitions("cam-1")
    assert runs == [run(0, 10, clean=False), run(12, None, clean=False)]
    a, outages = measure(transitions, runs, start=0, end=24, now=24)
    assert outages == [outage(8, 14, 6, unmonitored=2)]
    assert (a.online_seconds, a.offline_seconds, a.unmonitored_seconds) == (18 * H, 4 * H, 2 * H)


def test_settle_runs_closes_a_dead_monitors_open_run() -> None:
    runs = [run(0, 10, clean=False), run(12)]
    # The last cycle ended at 20 h and it is 24 h: the monitor is gone since 20 h.
    settled = settle_runs(runs, last_cycle_at=h(20), now=h(24), grace=180)
    assert settled == [Run(h(0), h(10), False), Run(h(12), h(20), False)]
    # Within the grace time the run is still going.
    assert settle_runs(runs, last_cycle_at=h(24) - 60, now=h(24), grace=180)[1].stopped_at is None
    # A run that never finished a cycle stopped at its start.
    assert settle_runs([run(12)], last_cycle_at=h(5), now=h(24), grace=180) == [
        Run(h(12), h(12), False)
    ]
    a, _ = measure([on(0)], settled, now=24)
    assert a.unmonitored_seconds == 6 * H  # 10-12 and 20-24


def test_maintenance_over_part_of_an_outage() -> None:
    a, outages = measure([on(0), off(10), on(14)], [run(0)], [(12, 16)], now=24)
    assert outages == [outage(10, 14, 4, maintenance=2)]
    assert a.maintenance_seconds == 4 * H  # 12-16, online or not
    assert a.offline_in_maintenance_seconds == 2 * H  # 12-14
    # Maintenance never removes offline time from the ratio ...
    assert a.ratio == pytest.approx(20 / 24)
    # ... and is taken out of both sides for the ratio outside maintenance:
    # online outside maintenance 0-10 and 16-24 = 18 h, over 24 - 4 = 20 h.
    assert a.ratio_outside_maintenance == pytest.approx(18 / 20)


def test_maintenance_while_the_monitor_is_down_is_not_monitored_time() -> None:
    a, outages = measure([on(0), off(10), on(14)], [run(0, 11), run(13)], [(9, 16)], now=24)
    assert outages == [outage(10, 14, 4, maintenance=2, unmonitored=2)]
    assert a.maintenance_seconds == 5 * H  # 9-11 and 13-16
    assert a.offline_in_maintenance_seconds == 2 * H  # 10-11 and 13-14
    assert a.ratio_outside_maintenance == pytest.approx((9 + 8) / (22 - 5))


def test_everything_in_maintenance_has_no_ratio_outside_it() -> None:
    a, _ = measure([on(0), off(10)], [run(0)], [(-5, 30)], now=24)
    assert a.maintenance_seconds == 24 * H
    assert a.ratio == pytest.approx(10 / 24)
    assert a.ratio_outside_maintenance is None


def test_flaps_count_changes_only() -> None:
    transitions = [
        on(0),
        off(1),
        off(2, "onvif", "timeout"),  # a repeat: same outage, first cause kept
        on(3),
        on(4),  # a repeat after a restart: nothing
        off(5, "video", "video_fault"),
        on(6),
        off(30),  # after the period
    ]
    a, outages = measure(transitions, [run(0)])
    assert a.flaps == 4
    assert outages == [outage(1, 3, 2), outage(5, 6, 1, stage="video", reason="video_fault")]
    assert a.online_seconds == 21 * H


def test_mttr() -> None:
    transitions = [on(0), off(1), on(2), off(5), on(8), off(20)]
    a, outages = measure(transitions, [run(0)], now=24)
    assert [o.end for o in outages] == [h(2), h(8), None]
    assert mttr(outages) == 2 * H  # (1 h + 3 h) / 2; the ongoing outage does not count
    assert a.mttr_seconds == 2 * H
    assert mttr([]) is None
    assert mttr(outages[2:]) is None


@pytest.mark.parametrize(("start", "end", "now"), [(10, 10, 48), (12, 10, 48), (30, 40, 24)])
def test_empty_period(start: float, end: float, now: float) -> None:
    a, outages = measure([on(0), off(5)], [run(0)], start=start, end=end, now=now)
    assert outages == []
    assert (a.period_seconds, a.monitored_seconds, a.unmonitored_seconds) == (0, 0, 0)
    assert (a.ratio, a.ratio_outside_maintenance, a.flaps, a.outages) == (None, None, 0, 0)
    timeline = camera_timeline([on(0)], [run(0)], start=h(start), end=h(end), now=h(now))
    assert timeline == []


def test_no_transitions_at_all() -> None:
    a, outages = measure([], [run(0)])
    assert outages == []
    assert (a.unmonitored_seconds, a.monitored_seconds, a.ratio) == (24 * H, 0, None)
    assert a.cameras_monitored == 0
    assert camera_timeline([], [run(0)], start=h(0), end=h(24), now=h(48)) == [
        (h(0), h(24), "unmonitored")
    ]


def test_no_monitor_runs_means_nothing_was_monitored() -> None:
    a, outages = measure([on(0), off(5), on(7)], [])
    assert (a.monitored_seconds, a.unmonitored_seconds, a.ratio) == (0, 24 * H, None)
    assert outages == [outage(5, 7, 2, unmonitored=2)]


def test_other_cameras_and_unsorted_input_are_handled() -> None:
    transitions = [on(12), off(10), on(0), off(3, camera="cam-2")]
    a, outages = measure(transitions, [run(0)])
    assert outages == [outage(10, 12, 2)]
    assert a.online_seconds == 22 * H


def test_transitions_after_now_are_ignored() -> None:
    a, outages = measure([on(0), off(10), on(30)], [run(0)], start=0, end=24, now=20)
    assert outages == [outage(10, None, 10)]
    assert (a.period_seconds, a.offline_seconds) == (20 * H, 10 * H)


def test_timeline_of_an_unprobed_then_flapping_camera() -> None:
    transitions = [off(2), on(4)]
    assert camera_timeline(transitions, [run(1, 20)], start=h(0), end=h(24), now=h(48)) == [
        (h(0), h(2), "unmonitored"),
        (h(2), h(4), "offline"),
        (h(4), h(20), "online"),
        (h(20), h(24), "unmonitored"),
    ]


def test_monitored_intervals_merge_and_stop_at_now() -> None:
    runs = [run(0, 5), run(4, 8), run(10), run(12, 11)]
    assert monitored_intervals(runs, h(20)) == hours([(0, 8), (10, 20)])


# --- scopes --------------------------------------------------------------------------


def campus_map() -> SiteMap:
    def cam(name: str, *sites: str) -> dict[str, Any]:
        return {"id": name, "sites": list(sites), "onvif": {"host": "127.0.0.1"}}

    return SiteMap.model_validate(
        {
            "school": "Test University",
            "campuses": [{"id": "north"}, {"id": "south"}, {"id": "west"}],
            "sites": [
                {"id": "n1", "campus": "north", "category": "gate"},
                {"id": "n2", "campus": "north", "category": "canteen"},
                {"id": "s1", "campus": "south", "category": "laboratory"},
            ],
            "cameras": [
                cam("cam-a", "n1", "n2"),  # two sites of one campus
                cam("cam-b", "n2"),
                cam("cam-c", "s1"),  # never probed
                cam("cam-d", "n1", "s1"),  # two campuses
                cam("cam-e"),  # no key site
            ],
        }
    )


def campus_transitions() -> list[Transition]:
    return [
        on(0, "cam-a"),
        off(6, camera="cam-a"),
        on(10, "cam-a"),
        on(0, "cam-b"),
        off(0, camera="cam-d"),
        on(12, "cam-d"),
        on(0, "cam-e"),
    ]


def test_scope_aggregation_with_a_camera_in_two_sites() -> None:
    report = availability_report(
        campus_map(),
        group_by_camera(campus_transitions()),
        [run(0)],
        {},
        start=h(0),
        end=h(24),
        now=h(24),
    )
    r = {
        scope_id: (a.online_seconds / H, a.monitored_seconds / H, a.period_seconds / H, a.cameras)
        for scope_id, a in [
            *report.sites.items(),
            *report.campuses.items(),
            ("school", report.school),
        ]
    }
    assert r == {
        "n1": (32, 48, 48, 2),  # cam-a 20 h + cam-d 12 h
        "n2": (44, 48, 48, 2),  # cam-a 20 h + cam-b 24 h
        "s1": (12, 24, 48, 2),  # cam-c never probed, cam-d 12 h
        "north": (56, 72, 72, 3),  # cam-a once
        "south": (12, 24, 48, 2),
        "west": (0, 0, 0, 0),
        "school": (56, 72, 96, 4),  # cam-d once; cam-e covers no key site
    }
    assert report.sites["n2"].ratio == pytest.approx(44 / 48)
    assert report.campuses["west"].ratio is None
    school = report.school
    assert (school.outages, school.outages_ended, school.flaps) == (2, 2, 3)
    assert school.mttr_seconds == pytest.approx(8 * H)  # (4 h + 12 h) / 2
    assert (school.cameras_monitored, school.cameras_with_outages) == (3, 2)
    assert school.unmonitored_seconds == 24 * H
    assert report.sites["s1"].cameras_monitored == 1
    assert set(report.cameras) == {"cam-a", "cam-b", "cam-c", "cam-d", "cam-e"}
    assert report.cameras["cam-e"].ratio == 1.0
    assert [o.camera for o in report.all_outages()] == ["cam-d", "cam-a"]
    assert report.outages("cam-a")[0].start == h(6)
    assert report.outages("cam-zzz") == []
    data = report.to_dict(with_outages=True)
    assert data["school"]["ratio"] == pytest.approx(56 / 72)  # type: ignore[index]
    assert len(data["outages"]) == 2  # type: ignore[arg-type]


def test_scope_availability_sums_its_members() -> None:
    by_camera = group_by_camera(campus_transitions())
    period: dict[str, Any] = {"start": h(0), "end": h(24), "now": h(24)}
    cams = {
        c: camera_availability(c, by_camera.get(c, []), [run(0)], [], **period)
        for c in ("cam-a", "cam-b", "cam-d")
    }
    north = scope_availability("campus", "north", cams.values(), start=h(0), end=h(24))
    assert (north.online_seconds, north.monitored_seconds) == (56 * H, 72 * H)
    assert (north.outages, north.flaps, north.cameras) == (2, 3, 3)
    assert north.mttr_seconds == pytest.approx(8 * H)
    empty = scope_availability("site", "nothing", [], start=h(0), end=h(24))
    assert (empty.cameras, empty.ratio, empty.mttr_seconds) == (0, None, None)


def test_report_with_maintenance() -> None:
    report = availability_report(
        campus_map(),
        group_by_camera(campus_transitions()),
        [run(0)],
        {"cam-a": hours([(5, 8)]), "cam-d": hours([(5, 8)])},
        start=h(0),
        end=h(24),
        now=h(24),
    )
    a = report.cameras["cam-a"]
    assert (a.maintenance_seconds, a.offline_in_maintenance_seconds) == (3 * H, 2 * H)
    assert a.ratio_outside_maintenance == pytest.approx(19 / 21)
    n1 = report.sites["n1"]  # cam-a and cam-d, both offline 6-8 h, cam-d also 5-6 h
    assert (n1.maintenance_seconds, n1.offline_in_maintenance_seconds) == (6 * H, 5 * H)
    assert report.outages("cam-a") == [
        Outage("cam-a", h(6), h(10), "tcp", "unreachable", 4 * H, 2 * H, 0.0)
    ]


# --- the fast path and the reference agree -------------------------------------------


def _random_case(rng: random.Random) -> tuple[SiteMap, list[Transition], list[MonitorRun]]:
    campuses = [{"id": "north"}, {"id": "south"}]
    sites = [{"id": f"s{i}", "campus": campuses[i % 2]["id"], "category": "gate"} for i in range(6)]
    cameras = []
    transitions: list[Transition] = []
    for i in range(40):
        chosen = rng.sample([s["id"] for s in sites], rng.choice([0, 1, 1, 2]))
        cameras.append({"id": f"cam-{i}", "sites": chosen, "onvif": {"host": "127.0.0.1"}})
        t = rng.uniform(-30, 10)
        state = rng.random() < 0.5
        for _ in range(rng.choice([0, 1, 3, 8, 20])):
            transitions.append(Transition(f"cam-{i}", h(t), state, None if state else Stage.TCP))
            t += rng.choice([0.0, rng.expovariate(1 / 4)])
            state = state if rng.random() < 0.2 else not state
    runs = []
    t = rng.uniform(-40, 0)
    while t < 40:
        stop = t + rng.expovariate(1 / 15)
        runs.append(MonitorRun(h(t), h(stop) if stop < 30 else None, rng.random() < 0.5))
        t = stop + rng.expovariate(1 / 3)
    site_map = SiteMap.model_validate(
        {"school": "Random", "campuses": campuses, "sites": sites, "cameras": cameras}
    )
    transitions.sort(key=lambda t: t.at)
    return site_map, transitions, runs


def _close(a: Availability, b: Availability) -> None:
    left, right = a.to_dict(), b.to_dict()
    for key, value in left.items():
        if isinstance(value, float):
            assert right[key] == pytest.approx(value, abs=1e-6), key
        else:
            assert right[key] == value, key


@pytest.mark.parametrize("seed", range(12))
def test_report_matches_per_camera_and_timeline_figures(seed: int) -> None:
    rng = random.Random(seed)
    site_map, transitions, runs = _random_case(rng)
    start, end = h(rng.uniform(-10, 5)), h(rng.uniform(5, 40))
    now = h(rng.uniform(0, 30))
    maintenance = {
        c.id: hours(merge((a, a + rng.uniform(0.1, 6)) for a in (rng.uniform(-5, 30),)))
        for c in site_map.cameras
        if rng.random() < 0.5
    }
    by_camera = group_by_camera(transitions)
    report = availability_report(
        site_map, by_camera, runs, maintenance, start=start, end=end, now=now
    )
    singles = {}
    for camera in site_map.cameras:
        own = by_camera.get(camera.id, [])
        maint = maintenance.get(camera.id, [])
        args: dict[str, Any] = {"start": start, "end": end, "now": now}
        single = camera_availability(camera.id, own, runs, maint, **args)
        outages = camera_outages(camera.id, own, runs, maint, **args)
        singles[camera.id] = single
        check_invariants(single, outages)
        _close(single, report.cameras[camera.id])
        assert report.outages(camera.id) == outages
        # The timeline says the same.
        timeline = camera_timeline(own, runs, start=start, end=end, now=now)
        spans = {
            state: [(t0, t1) for t0, t1, s in timeline if s == state]
            for state in ("online", "offline", "unmonitored")
        }
        assert total(spans["online"]) == pytest.approx(single.online_seconds, abs=1e-6)
        assert total(spans["offline"]) == pytest.approx(single.offline_seconds, abs=1e-6)
        assert total(spans["unmonitored"]) == pytest.approx(single.unmonitored_seconds, abs=1e-6)
        in_maint = total(intersect(merge(spans["offline"]), maint))
        assert in_maint == pytest.approx(single.offline_in_maintenance_seconds, abs=1e-6)
    by_site = site_map.cameras_by_site()
    for site in site_map.sites:
        expected = scope_availability(
            "site", site.id, [singles[c.id] for c in by_site[site.id]], start=start, end=end
        )
        _close(expected, report.sites[site.id])
    in_school = [singles[c.id] for c in site_map.cameras if c.sites]
    _close(scope_availability("school", "Random", in_school, start=start, end=end), report.school)


# --- periods -------------------------------------------------------------------------


def test_windows_and_periods() -> None:
    assert WINDOWS == {"24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
    now = h(100)
    assert last("7d", now) == (now - 7 * 86400, now)
    assert last(600, now) == (now - 600, now)
    assert parse_period("30d", now) == (now - 30 * 86400, now)
    assert parse_period("90m", now) == (now - 5400, now)
    # Local days and months (Shanghai by default).
    assert parse_period("2026-12-05", now) == (h(0), h(24))
    assert parse_period("2026-12", now) == (h(-4 * 24), h(27 * 24))
    assert parse_period("2026-12-05/2026-12-06", now) == (h(0), h(48))
    assert parse_period("2026-12-05T06:00/2026-12-05T08:00+08:00", now) == (h(6), h(8))
    assert parse_period("2026-12-05", now, "UTC") == (h(8), h(32))
    for bad in ("yesterday", "2026-12-06/2026-12-05", "2026-13", "0m"):
        with pytest.raises(ValueError, match="is not a period"):
            parse_period(bad, now)


def test_durations_round_trip() -> None:
    for text, seconds in [("1h30m", 5400), ("7d", 604800), ("45m", 2700), ("1d2h3m4s", 93784)]:
        assert parse_duration(text) == seconds
        assert format_duration(seconds) == text
    assert format_duration(0) == "0s"


def test_availability_of_a_history_without_any_transition() -> None:
    # A fresh database: two cameras, not one transition yet (this used to raise).
    from monitor.history.batch import totals

    found = totals([[], []], [[], []], start=0.0, stop=100.0, now=100.0, monitored=[(0.0, 100.0)])
    assert list(found.online) == [0.0, 0.0]
