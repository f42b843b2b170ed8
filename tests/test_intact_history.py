"""Intact changes are stored, so the intact rate can be weighted by time over a period."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from monitor.config import PollSettings
from monitor.history.query import HistoryReader
from monitor.polling.poller import Poller
from monitor.simulator.faults import parse_fault
from monitor.simulator.server import build_simulator
from monitor.storage.store import Store, default_sqlite_url
from site_map.loader import load_site_map
from tests.campus import PASSWORD, PASSWORD_ENV, small_campus, write_yaml

ENV = {PASSWORD_ENV: PASSWORD}


async def test_a_black_picture_counts_against_the_intact_time(tmp_path: Path) -> None:
    loaded = load_site_map(write_yaml(tmp_path / "s.yaml", small_campus()), environ=ENV)
    simulator = build_simulator(loaded.site_map, base_dir=tmp_path, environ=ENV)
    store = Store.open(default_sqlite_url(tmp_path))
    poller = Poller(loaded, store, PollSettings(timeout_seconds=5))
    await simulator.start()
    try:
        store.record_monitor_start(time.time())
        begin = time.time()
        await poller.run_cycle()  # every camera intact: one intact change each (the start)
        assert {t.camera for t in store.intact_transitions_for_period(begin)} == {
            f"cam-{n}" for n in range(1, 9)
        }
        simulator.set_fault("cam-3", parse_fault({"video": "black"}))
        await asyncio.sleep(0.5)
        went_black = time.time()
        await poller.run_cycle()
        await asyncio.sleep(1.0)
        await poller.run_cycle()
        end = time.time()
        store.record_monitor_stop(end)
    finally:
        await poller.close()
        await simulator.stop()
    changes = [t for t in store.intact_transitions_for_period(begin) if t.camera == "cam-3"]
    assert [c.online for c in changes] == [True, False]
    assert (changes[1].stage.value, changes[1].reason.value) == ("quality", "video_fault")
    # The online history did not change: a black picture is online, not intact.
    assert [t.online for t in store.transitions_for_period(begin) if t.camera == "cam-3"] == [True]

    reader = HistoryReader(store, loaded.site_map, (), poll_interval=60, inside_monitor=False)
    intact = reader.intact(begin, end, end)
    online = reader.report(begin, end, end)
    three = intact.cameras["cam-3"]
    assert online.cameras["cam-3"].ratio == pytest.approx(1.0)
    black_seconds = end - changes[1].at
    assert three.ratio == pytest.approx(1 - black_seconds / three.monitored_seconds, 1e-6)
    assert went_black < changes[1].at
    assert intact.cameras["cam-1"].ratio == pytest.approx(1.0)
    store.close()


async def test_a_database_from_before_intact_changes_gets_them_at_the_next_probe(
    tmp_path: Path,
) -> None:
    loaded = load_site_map(write_yaml(tmp_path / "s.yaml", small_campus()), environ=ENV)
    simulator = build_simulator(loaded.site_map, base_dir=tmp_path, environ=ENV)
    url = default_sqlite_url(tmp_path)
    await simulator.start()
    try:
        with Store.open(url) as store:
            poller = Poller(loaded, store, PollSettings(timeout_seconds=5))
            await poller.run_cycle()
            await poller.close()
            # As an older monitor would have left it: states, but no intact changes.
            with store.engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM intact_transition")
        with Store.open(url) as store:
            poller = Poller(loaded, store, PollSettings(timeout_seconds=5))
            await poller.run_cycle()
            assert len(store.intact_cameras()) == 8
            await poller.run_cycle()  # nothing changed: nothing more recorded
            await poller.close()
            assert len(store.intact_transitions_for_period(0.0)) == 8
    finally:
        await simulator.stop()
