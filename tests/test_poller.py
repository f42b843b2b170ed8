"""The poll cycle: state folded across cycles, stored, and never lost to a database hiccup."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.config import PollSettings
from monitor.polling.poller import Poller
from monitor.simulator.faults import parse_fault
from monitor.simulator.server import build_simulator
from monitor.storage.store import Store, default_sqlite_url
from site_map.loader import load_site_map
from tests.campus import PASSWORD, PASSWORD_ENV, small_campus, write_yaml

ENV = {PASSWORD_ENV: PASSWORD}


class FlakyStore(Store):
    """A real store whose next save fails, as when the database server restarts."""

    fail_next = False

    def save_cycle(self, **kwargs):  # type: ignore[no-untyped-def]
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("database restarting")
        return super().save_cycle(**kwargs)


@pytest.fixture
async def campus(tmp_path: Path):
    path = write_yaml(tmp_path / "site-map.yaml", small_campus())
    loaded = load_site_map(path, environ=ENV)
    simulator = build_simulator(
        loaded.site_map,
        base_dir=tmp_path,
        faults={"cam-4": parse_fault("offline")},
        environ=ENV,
    )
    await simulator.start()
    try:
        yield loaded, simulator, default_sqlite_url(tmp_path)
    finally:
        await simulator.stop()


async def test_outage_follows_hysteresis_and_is_stored(campus):
    loaded, simulator, url = campus
    store = Store.open(url)
    poller = Poller(loaded, store, PollSettings(timeout_seconds=2, down_after=2, up_after=1))
    try:
        await poller.run_cycle()
        assert poller.snapshot.states["cam-1"].online
        simulator.set_fault("cam-1", parse_fault("offline"))
        await poller.run_cycle()
        assert poller.snapshot.states["cam-1"].online  # one failure is a blip
        await poller.run_cycle()
        assert not poller.snapshot.states["cam-1"].online
        simulator.set_fault("cam-1", None)
        await poller.run_cycle()
        assert poller.snapshot.states["cam-1"].online
        history = [(t.online, t.reason) for t in store.transitions("cam-1")]
        assert [online for online, _ in history] == [True, False, True]
        assert history[1][1] is not None and history[1][1].value == "unreachable"
        assert poller.snapshot.cycles_completed == 4
    finally:
        await poller.close()
        store.close()


async def test_a_restart_keeps_state_and_counters(campus):
    loaded, _, url = campus
    store = Store.open(url)
    poller = Poller(loaded, store, PollSettings(timeout_seconds=2))
    await poller.run_cycle()
    await poller.close()
    store.close()

    store = Store.open(url)
    restarted = Poller(loaded, store, PollSettings(timeout_seconds=2))
    try:
        assert not restarted.snapshot.states["cam-4"].online
        assert restarted.snapshot.states["cam-1"].online
        assert restarted.snapshot.cycle_finished_at is not None
        await restarted.run_cycle()
        assert len(store.transitions("cam-1")) == 1  # no new transition after a restart
    finally:
        await restarted.close()
        store.close()


async def test_transitions_survive_a_failed_save(campus):
    loaded, simulator, url = campus
    store = FlakyStore.open(url)
    poller = Poller(loaded, store, PollSettings(timeout_seconds=2, down_after=1, up_after=1))
    try:
        await poller.run_cycle()
        simulator.set_fault("cam-2", parse_fault("offline"))
        store.fail_next = True
        await poller.run_cycle()  # the outage happens while the database is away
        assert not poller.snapshot.states["cam-2"].online  # metrics stay live
        assert [t.online for t in store.transitions("cam-2")] == [True]
        await poller.run_cycle()
        assert [t.online for t in store.transitions("cam-2")] == [True, False]
    finally:
        await poller.close()
        store.close()


async def test_a_swapped_device_is_an_identity_change(tmp_path: Path):
    """Another device answers at a camera's address: its serial changes, and that is kept."""
    data = small_campus()
    path = write_yaml(tmp_path / "site-map.yaml", data)
    loaded = load_site_map(path, environ=ENV)
    store = Store.open(default_sqlite_url(tmp_path))
    poller = Poller(loaded, store, PollSettings(timeout_seconds=2))
    simulator = build_simulator(loaded.site_map, base_dir=tmp_path, environ=ENV)
    try:
        async with simulator:
            await poller.run_cycle()
        before = poller.snapshot.states["cam-1"].device
        # The replacement is a different unit (another id, so another serial) at the
        # same address; the monitor's site map does not change.
        swapped = dict(data, cameras=[dict(data["cameras"][0], id="replacement-unit")])
        replacement = load_site_map(write_yaml(tmp_path / "swap.yaml", swapped), environ=ENV)
        async with build_simulator(replacement.site_map, base_dir=tmp_path, environ=ENV):
            await poller.run_cycle()
        after = poller.snapshot.states["cam-1"].device
        assert before is not None and after is not None and before.serial != after.serial
        changes = store.identity_changes("cam-1")
        assert "serial" in [c.field for c in changes]
        serial = next(c for c in changes if c.field == "serial")
        assert (serial.old, serial.new) == (before.serial, after.serial)
        assert poller.snapshot.identity_changes[("cam-1", "serial")] == 1
    finally:
        await poller.close()
        store.close()


async def test_a_monitor_restart_is_unmonitored_time_not_an_outage(campus):
    """Stop the monitor for a while, start it again: the gap is reported, nothing else."""
    import time

    from monitor.history.query import HistoryReader

    loaded, _, url = campus
    store = Store.open(url)
    try:
        first = Poller(loaded, store, PollSettings(timeout_seconds=2))
        began = time.time()
        store.record_monitor_start(began)
        await first.run_cycle()
        store.record_monitor_stop(time.time())
        await first.close()
        stopped = time.time()
        await asyncio.sleep(1.0)  # the monitor is down
        second = Poller(loaded, store, PollSettings(timeout_seconds=2))
        store.record_monitor_start(time.time())
        await second.run_cycle()
        await second.close()
        now = time.time()
        reader = HistoryReader(store, loaded.site_map, (), poll_interval=60, inside_monitor=True)
        report = reader.report(began, now, now)
        healthy = report.cameras["cam-1"]
        assert healthy.outages == 0 and healthy.ratio == 1.0
        assert healthy.unmonitored_seconds >= 0.9  # at least the second it was down
        assert healthy.unmonitored_seconds < now - stopped + 0.5
        down = report.cameras["cam-4"]  # offline since its first probe, across the restart
        assert down.outages == 1 and down.ratio == 0.0
        [outage] = report.outages("cam-4")
        assert outage.end is None and outage.unmonitored_seconds >= 0.9
    finally:
        store.close()
