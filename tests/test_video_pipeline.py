"""Video faults flow from the simulator through the poll to the metrics and the rates."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.cli import main
from monitor.config import PollSettings
from monitor.exporter.collector import SnapshotCollector
from monitor.polling.poller import Poller
from monitor.quality.detectors import FAULTS
from monitor.quality.thresholds import QualityConfig
from monitor.simulator.faults import parse_fault
from monitor.simulator.server import build_simulator
from monitor.storage.store import Store, default_sqlite_url
from site_map.loader import load_site_map
from tests.campus import PASSWORD, PASSWORD_ENV, small_campus, write_yaml

ENV = {PASSWORD_ENV: PASSWORD}


@pytest.fixture
async def campus(tmp_path: Path):
    path = write_yaml(tmp_path / "site-map.yaml", small_campus())
    loaded = load_site_map(path, environ=ENV)
    simulator = build_simulator(loaded.site_map, base_dir=tmp_path, environ=ENV)
    store = Store.open(default_sqlite_url(tmp_path))
    poller = Poller(
        loaded,
        store,
        PollSettings(timeout_seconds=5),
        quality=QualityConfig.model_validate({"frozen_after_seconds": 1.0}),
    )
    await simulator.start()
    try:
        yield simulator, poller, store
    finally:
        await poller.close()
        store.close()
        await simulator.stop()


def metric(poller: Poller, name: str, **labels: str) -> float | None:
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: poller.snapshot))
    return registry.get_sample_value(name, labels)


async def test_video_faults_reach_metrics_intact_and_effective(campus):
    simulator, poller, store = campus
    await poller.run_cycle()  # every camera healthy: each first clean frame is its reference
    states = poller.snapshot.states
    assert all(states[c].intact for c in states), {c: states[c].last_probe for c in states}
    assert set(store.references()) == set(states)
    before = poller.snapshot.coverage.school

    simulator.set_fault("cam-3", parse_fault({"video": "black"}))
    simulator.set_fault("cam-7", parse_fault({"video": "blur"}))
    simulator.set_fault("cam-6", parse_fault({"video": "shifted"}))
    simulator.set_fault("cam-8", parse_fault({"video": "frozen"}))
    await asyncio.sleep(1.2)  # frames compared for `frozen` must be apart
    await poller.run_cycle()
    await asyncio.sleep(1.2)
    await poller.run_cycle()  # a frozen camera repeats the frame of the cycle before

    faults = {c: s.last_probe.image_faults for c, s in poller.snapshot.states.items()}
    assert "black" in faults["cam-3"]
    assert "blur" in faults["cam-7"]
    assert "shifted" in faults["cam-6"]
    assert "frozen" in faults["cam-8"]
    assert all(not faults[c] for c in ("cam-1", "cam-2", "cam-4", "cam-5"))

    states = poller.snapshot.states
    failure = states["cam-3"].last_probe.failure
    assert (failure.stage.value, failure.reason.value) == ("quality", "video_fault")
    assert states["cam-3"].online and not states["cam-3"].intact
    # A turned camera still works (intact) but no longer covers its site.
    assert states["cam-6"].intact

    school = poller.snapshot.coverage.school
    assert before.intact == 1.0 and school.intact == pytest.approx(5 / 8)
    # east-lab (cam-3 black), west-dorm (cam-7 blur, cam-8 frozen) and
    # west-finance (cam-6 shifted, cam-5 still fine: 1 ≥ 1 required) …
    sites = {s.id: s for s in poller.snapshot.coverage.sites}
    assert not sites["east-lab"].effective_ok
    assert not sites["west-dorm"].effective_ok
    assert sites["west-finance"].intact == 1 and sites["west-finance"].effective_ok
    assert school.effective == pytest.approx(before.effective - 2 / 6)

    for fault in FAULTS:
        assert metric(poller, "tianyan_camera_video_fault", camera="cam-1", fault=fault) == 0
    assert metric(poller, "tianyan_camera_video_fault", camera="cam-3", fault="black") == 1
    assert metric(poller, "tianyan_camera_video_fault", camera="cam-6", fault="shifted") == 1
    assert metric(poller, "tianyan_camera_intact", camera="cam-3", campus="east") == 0
    assert metric(poller, "tianyan_camera_intact", camera="cam-6", campus="west") == 1
    assert metric(poller, "tianyan_camera_probe_success", camera="cam-3", stage="quality") == 0
    assert metric(poller, "tianyan_camera_reference_timestamp_seconds", camera="cam-1")


async def test_an_accepted_view_stops_the_shifted_fault(campus, tmp_path, monkeypatch, capsys):
    simulator, poller, store = campus
    await poller.run_cycle()
    simulator.set_fault("cam-1", parse_fault({"video": "shifted"}))
    await poller.run_cycle()
    assert "shifted" in poller.snapshot.states["cam-1"].last_probe.image_faults
    # An operator accepts the new view with the command; the running poller
    # picks it up from the database at the end of its next cycle.
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    config = write_yaml(
        tmp_path / "config.yaml",
        {"site_map": "site-map.yaml", "database": default_sqlite_url(tmp_path)},
    )
    code = await asyncio.to_thread(main, ["reference", "accept", "cam-1", "--config", str(config)])
    assert code == 0
    assert "cam-1: current view accepted" in capsys.readouterr().out
    await poller.run_cycle()  # picks the accepted view up at its end
    await poller.run_cycle()
    assert "shifted" not in poller.snapshot.states["cam-1"].last_probe.image_faults
    assert store.references()["cam-1"].origin == "accepted"


async def test_sampled_analysis_decodes_only_the_frames_it_analyses(tmp_path, monkeypatch):
    path = write_yaml(tmp_path / "site-map.yaml", small_campus())
    loaded = load_site_map(path, environ=ENV)
    simulator = build_simulator(loaded.site_map, base_dir=tmp_path, environ=ENV)
    store = Store.open(default_sqlite_url(tmp_path))
    poller = Poller(
        loaded,
        store,
        PollSettings(timeout_seconds=5),
        quality=QualityConfig.model_validate({"sample_every": 3}),
    )
    from monitor.probing import video

    decoded: list[int] = []
    real_decode = video.decode
    monkeypatch.setattr(video, "decode", lambda data: decoded.append(1) or real_decode(data))
    await simulator.start()
    try:
        await poller.run_cycle()  # analysed: every camera
        cameras = len(poller.snapshot.states)
        assert len(decoded) == cameras
        simulator.set_fault("cam-3", parse_fault({"video": "black"}))
        simulator.set_fault("cam-4", parse_fault("bad_snapshot"))
        for _ in range(2):  # not analysed: the last analysis stands, nothing decoded...
            await poller.run_cycle()
            states = poller.snapshot.states
            assert states["cam-3"].last_probe.image_faults == ()
            assert "sharpness" not in states["cam-3"].last_probe.measures
        # ...except the snapshot that is not a whole JPEG: decoded to be sure, and refused.
        assert len(decoded) == cameras + 2
        failure = poller.snapshot.states["cam-4"].last_probe.failure
        assert (failure.stage.value, failure.reason.value) == ("video", "video_fault")
        await poller.run_cycle()  # analysed again: the black picture is seen
        assert "black" in poller.snapshot.states["cam-3"].last_probe.image_faults
        assert len(decoded) == 2 * cameras + 2
    finally:
        await poller.close()
        store.close()
        await simulator.stop()
