"""Persistent storage: SQLite and PostgreSQL, Alembic migrations, round trips."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from monitor.probing.result import DeviceIdentity, ProbeResult, Reason, Stage, StageResult
from monitor.state import CameraState, Transition, advance
from monitor.storage import CycleRecord, MonitorRun, StorageError, Store, default_sqlite_url
from monitor.storage.codec import decode_probe, encode_probe
from monitor.storage.store import alembic_config, make_engine, migration_connection
from monitor.storage.tables import camera_state, metadata, state_transition

T0 = 1_764_000_000.0  # 2025-11-24, unix seconds
TABLES = {
    "camera_state",
    "state_transition",
    "device_event",
    "camera_reference",
    "poll_cycle",
    "monitor_run",
    "alembic_version",
}


# --- backends ------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return default_sqlite_url(tmp_path / "data")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = Store.open(url)
    try:
        yield opened
    finally:
        opened.close()


# --- sample data ---------------------------------------------------------------------


def good_probe(camera: str, at: float, **extra: object) -> ProbeResult:
    return ProbeResult(
        target=camera,
        started_at=at,
        stages=(
            StageResult(Stage.TCP, True, 0.002135),
            StageResult(Stage.ONVIF, True, 0.081, detail="GetDeviceInformation 200"),
            StageResult(Stage.VIDEO, True, 0.412),
            StageResult(Stage.QUALITY, True, 0.033),
        ),
        device=DeviceIdentity("Hikvision", "DS-2CD2143G2-I", "V5.7.3", "DS2143-2023", "88"),
        clock_offset_seconds=-1.25,
        snapshot_bytes=183_211,
        measures={"brightness": 112.5, "sharpness": 431.25, "noise": 2.0},
        **extra,  # type: ignore[arg-type]
    )


def failed_probe(camera: str, at: float) -> ProbeResult:
    return ProbeResult(
        target=camera,
        started_at=at,
        stages=(
            StageResult(Stage.TCP, True, 0.001),
            StageResult(
                Stage.ONVIF,
                False,
                5.0,
                Reason.AUTH_FAILED,
                detail="ter:NotAuthorized (HTTP 400) for admin",
            ),
        ),
        device=None,
        clock_offset_seconds=3.5,
    )


def faulty_video_probe(camera: str, at: float) -> ProbeResult:
    return ProbeResult(
        target=camera,
        started_at=at,
        stages=(
            StageResult(Stage.TCP, True, 0.001),
            StageResult(Stage.ONVIF, True, 0.05),
            StageResult(Stage.VIDEO, True, 0.3),
            StageResult(Stage.QUALITY, False, 0.02, Reason.VIDEO_FAULT, detail="black, frozen"),
        ),
        device=DeviceIdentity(manufacturer="Dahua", model="IPC-HFW2431S"),
        clock_offset_seconds=0.0,
        image_faults=("black", "frozen"),
        measures={"brightness": 3.0, "difference": 0.0, "ratio": math.inf},
    )


def sample_states() -> dict[str, CameraState]:
    return {
        "cam-0001": CameraState("cam-0001", True, T0, 0, 7, good_probe("cam-0001", T0 + 60)),
        "cam-0002": CameraState(
            "cam-0002", False, T0 + 12.345678, 4, 0, failed_probe("cam-0002", T0 + 61.5)
        ),
        "cam-0003": CameraState(
            "cam-0003", True, T0 + 0.5, 0, 2, faulty_video_probe("cam-0003", T0 + 62)
        ),
        "cam-0004": CameraState("cam-0004", False, T0, 0, 0, None),
    }


def sample_transitions() -> list[Transition]:
    return [
        Transition("cam-0001", T0, True),
        Transition("cam-0002", T0, True),
        Transition("cam-0002", T0 + 12.345678, False, Stage.ONVIF, Reason.AUTH_FAILED),
        Transition("cam-0003", T0 + 0.5, True),
        Transition("cam-0002", T0 + 100.25, True),
        Transition("cam-0001", T0 + 200, False, Stage.TCP, Reason.UNREACHABLE),
    ]


def assert_states_equal(loaded: dict[str, CameraState], expected: dict[str, CameraState]) -> None:
    assert set(loaded) == set(expected)
    for camera, state in expected.items():
        got = loaded[camera]
        assert got.since == pytest.approx(state.since, abs=1e-6)
        assert got == CameraState(
            camera=state.camera,
            online=state.online,
            since=got.since,
            consecutive_failures=state.consecutive_failures,
            consecutive_successes=state.consecutive_successes,
            last_probe=state.last_probe,
            device=got.device,
        )
        # The last known identity; older rows without one fall back to the probe's.
        probe_device = state.last_probe.device if state.last_probe else None
        assert got.device == (state.device or probe_device)


# --- codec ---------------------------------------------------------------------------


def test_codec_round_trip_keeps_everything() -> None:
    for probe in (
        good_probe("a", T0 + 0.123456),
        failed_probe("b", T0),
        faulty_video_probe("c", T0),
        ProbeResult(target="d", started_at=T0, stages=()),
    ):
        assert decode_probe(encode_probe(probe)) == probe


def test_codec_writes_plain_json_for_non_finite_numbers() -> None:
    probe = ProbeResult(
        target="c",
        started_at=T0,
        stages=(StageResult(Stage.TCP, False, math.inf, Reason.TIMEOUT),),
        clock_offset_seconds=math.nan,
        measures={"a": math.nan, "b": -math.inf},
    )
    data = encode_probe(probe)
    json.dumps(data, allow_nan=False)  # valid JSON, no NaN/Infinity tokens
    back = decode_probe(data)
    assert back.clock_offset_seconds is not None and math.isnan(back.clock_offset_seconds)
    assert math.isnan(back.measures["a"]) and back.measures["b"] == -math.inf
    assert back.stages[0].seconds == math.inf


def test_codec_rejects_unknown_format() -> None:
    data = encode_probe(good_probe("a", T0))
    data["format"] = 99
    with pytest.raises(ValueError, match="format"):
        decode_probe(data)


# --- opening and migrations ----------------------------------------------------------


def test_open_creates_schema_through_alembic(store: Store) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    with store.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
        heads = MigrationContext.configure(conn).get_current_heads()
    assert set(heads) == set(script.get_heads()) == {"0006"}


def test_alembic_head_matches_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_transition_index_on_camera_and_time(store: Store) -> None:
    with store.engine.connect() as conn:
        indexes = inspect(conn).get_indexes("state_transition")
    assert ["camera", "at"] in [ix["column_names"] for ix in indexes]


def test_rerunning_migrations_is_a_no_op(url: str) -> None:
    with Store.open(url) as first:
        first.save_cycle(
            started_at=T0, finished_at=T0 + 1, states=sample_states().values(), transitions=[]
        )
    with Store.open(url) as second:
        # Also the full `alembic upgrade head`, not only Store.open's fast path.
        config = alembic_config()
        with migration_connection(second.engine) as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        with second.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0006"
        assert len(second.load_states()) == 4


def test_concurrent_first_opens(url: str) -> None:
    errors: list[BaseException] = []
    stores: list[Store] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def open_store() -> None:
        try:
            barrier.wait()
            opened = Store.open(url)
            with lock:
                stores.append(opened)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert errors == []
        assert len(stores) == 6
        stores[0].save_cycle(
            started_at=T0, finished_at=T0 + 1, states=sample_states().values(), transitions=[]
        )
        for opened in stores:
            assert len(opened.load_states()) == 4
        with stores[0].engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        for opened in stores:
            opened.close()


def test_failed_migration_leaves_nothing_behind(url: str) -> None:
    with Store.open(url) as opened:
        engine = opened.engine
        with pytest.raises(RuntimeError), migration_connection(engine) as conn:
            conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
            raise RuntimeError("migration step failed")
        assert "half_done" not in inspect(engine).get_table_names()


def test_unusable_urls_are_storage_errors(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot open database"):
        Store.open("not a database url")
    with pytest.raises(StorageError, match="nosuchdriver"):
        Store.open("postgresql+nosuchdriver://u@h/db")
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StorageError, match="cannot open database"):
        Store.open(default_sqlite_url(tmp_path / "file" / "sub"))


def test_database_newer_than_the_code_is_refused(url: str) -> None:
    with Store.open(url) as opened, opened.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StorageError, match="9999"):
        Store.open(url)


def test_unreachable_database_is_a_storage_error_without_password() -> None:
    url = "postgresql+psycopg://tianyan:Hunter2-secret@127.0.0.1:1/none?connect_timeout=2"
    with pytest.raises(StorageError) as caught:
        Store.open(url)
    assert "Hunter2-secret" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


# --- states, transitions, cycles -----------------------------------------------------


def test_round_trip_of_states_with_full_probe_results(store: Store) -> None:
    states = sample_states()
    store.save_cycle(
        started_at=T0 + 59.5,
        finished_at=T0 + 63.25,
        states=states.values(),
        transitions=sample_transitions(),
    )
    loaded = store.load_states()
    assert_states_equal(loaded, states)
    probe = loaded["cam-0001"].last_probe
    assert probe is not None and probe.device is not None
    assert probe.device.serial == "DS2143-2023"
    assert probe.clock_offset_seconds == -1.25
    assert probe.measures["sharpness"] == 431.25
    failure = loaded["cam-0002"].last_probe
    assert failure is not None and failure.failure is not None
    assert (failure.failure.stage, failure.failure.reason) == (Stage.ONVIF, Reason.AUTH_FAILED)
    faulty = loaded["cam-0003"]
    assert faulty.last_probe is not None and faulty.last_probe.image_faults == ("black", "frozen")
    assert faulty.online and not faulty.intact
    assert loaded["cam-0004"].last_probe is None


def test_state_columns_for_plain_sql_reports(store: Store) -> None:
    store.save_cycle(
        started_at=T0, finished_at=T0 + 70, states=sample_states().values(), transitions=[]
    )
    c = camera_state.c
    with store.engine.connect() as conn:
        rows = {
            row.camera: row
            for row in conn.execute(
                select(c.camera, c.intact, c.failed_stage, c.failure_reason, c.probed_at)
            )
        }
    assert rows["cam-0001"].intact and rows["cam-0001"].failed_stage is None
    assert (rows["cam-0002"].failed_stage, rows["cam-0002"].failure_reason) == (
        "onvif",
        "auth_failed",
    )
    assert rows["cam-0003"].failed_stage == "quality" and not rows["cam-0003"].intact
    assert rows["cam-0004"].probed_at is None


def test_times_keep_microseconds(store: Store) -> None:
    at = T0 + 0.123457
    state = CameraState("cam-t", True, at, 0, 1, good_probe("cam-t", at))
    store.save_cycle(
        started_at=at,
        finished_at=at + 0.000001,
        states=[state],
        transitions=[Transition("cam-t", at, True)],
    )
    assert store.load_states()["cam-t"].since == pytest.approx(at, abs=5e-7)
    assert store.transitions()[0].at == pytest.approx(at, abs=5e-7)
    cycle = store.last_cycle()
    assert cycle is not None
    assert cycle.finished_at - cycle.started_at == pytest.approx(0.000001, abs=5e-7)


def test_upsert_updates_in_place(store: Store) -> None:
    states = sample_states()
    store.save_cycle(started_at=T0, finished_at=T0 + 1, states=states.values(), transitions=[])
    recovered = CameraState("cam-0002", True, T0 + 300, 0, 2, good_probe("cam-0002", T0 + 300))
    store.save_cycle(
        started_at=T0 + 299,
        finished_at=T0 + 301,
        states=[recovered],
        transitions=[Transition("cam-0002", T0 + 300, True)],
    )
    loaded = store.load_states()
    assert len(loaded) == 4
    assert_states_equal({"cam-0002": loaded["cam-0002"]}, {"cam-0002": recovered})
    assert_states_equal({"cam-0001": loaded["cam-0001"]}, {"cam-0001": states["cam-0001"]})
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(camera_state)) == 4


def test_same_camera_twice_in_one_cycle_keeps_the_last(store: Store) -> None:
    first = CameraState("cam-d", True, T0, 0, 1, good_probe("cam-d", T0))
    second = CameraState("cam-d", False, T0 + 5, 3, 0, failed_probe("cam-d", T0 + 5))
    store.save_cycle(started_at=T0, finished_at=T0 + 6, states=[first, second], transitions=[])
    assert store.load_states()["cam-d"].last_probe == second.last_probe
    cycle = store.last_cycle()
    assert cycle is not None and cycle.cameras == 1


def test_transitions_filter_by_camera_since_until(store: Store) -> None:
    store.save_cycle(
        started_at=T0,
        finished_at=T0 + 1,
        states=sample_states().values(),
        transitions=sample_transitions(),
    )
    every = store.transitions()
    assert [t.at for t in every] == sorted(t.at for t in every)
    assert len(every) == 6
    assert [t.camera for t in every[:2]] == ["cam-0001", "cam-0002"]  # same time: saved order

    cam2 = store.transitions("cam-0002")
    assert [(t.online, t.stage, t.reason) for t in cam2] == [
        (True, None, None),
        (False, Stage.ONVIF, Reason.AUTH_FAILED),
        (True, None, None),
    ]
    assert cam2[1].at == pytest.approx(T0 + 12.345678, abs=1e-6)

    assert [t.at for t in store.transitions(since=T0 + 100.25)] == [T0 + 100.25, T0 + 200]
    assert [t.at for t in store.transitions(until=T0 + 12.345678)] == [T0, T0, T0 + 0.5]
    window = store.transitions("cam-0002", since=T0 + 1, until=T0 + 200)
    assert [t.online for t in window] == [False, True]
    assert store.transitions("cam-9999") == []
    assert store.transitions(since=T0 + 500) == []


def test_transitions_from_advance_round_trip(store: Store) -> None:
    state: CameraState | None = None
    transitions: list[Transition] = []
    for i, good in enumerate([True, False, False, False, True, True]):
        at = T0 + 10 * i
        probe = good_probe("cam-h", at) if good else failed_probe("cam-h", at)
        state, change = advance(state, probe)
        if change is not None:
            transitions.append(change)
        assert state is not None
        store.save_cycle(
            started_at=at,
            finished_at=at + 1,
            states=[state],
            transitions=[change] if change else [],
        )
    assert store.transitions("cam-h") == transitions
    assert [t.online for t in transitions] == [True, False, True]
    assert store.load_states()["cam-h"] == state


def test_last_cycle(store: Store) -> None:
    assert store.last_cycle() is None
    states = sample_states()
    store.save_cycle(started_at=T0, finished_at=T0 + 4, states=states.values(), transitions=[])
    store.save_cycle(
        started_at=T0 + 60, finished_at=T0 + 65.5, states=states.values(), transitions=[]
    )
    assert store.last_cycle() == CycleRecord(
        started_at=T0 + 60, finished_at=T0 + 65.5, cameras=4, online=2, failed=3, intact=1
    )


def test_save_cycle_is_one_transaction(store: Store) -> None:
    bad = Transition(None, T0, True)  # type: ignore[arg-type]  # NOT NULL violation
    with pytest.raises(StorageError):
        store.save_cycle(
            started_at=T0, finished_at=T0 + 1, states=sample_states().values(), transitions=[bad]
        )
    assert store.load_states() == {}
    assert store.last_cycle() is None
    assert store.transitions() == []


def test_reopening_keeps_everything(url: str) -> None:
    states = sample_states()
    with Store.open(url) as before:
        before.record_monitor_start(T0 - 10)
        before.save_cycle(
            started_at=T0,
            finished_at=T0 + 3,
            states=states.values(),
            transitions=sample_transitions(),
        )
        before.record_monitor_stop(T0 + 5)
        saved = (before.load_states(), before.transitions(), before.last_cycle())
    with Store.open(url) as after:
        assert (after.load_states(), after.transitions(), after.last_cycle()) == saved
        assert_states_equal(after.load_states(), states)
        assert after.monitor_runs() == [MonitorRun(T0 - 10, T0 + 5, True)]


def test_save_of_10000_states(store: Store, url: str) -> None:
    states = [
        CameraState(
            f"cam-{i:05d}",
            i % 10 != 0,
            T0 + i * 0.001,
            0 if i % 10 else 3,
            0 if i % 10 == 0 else 5,
            good_probe(f"cam-{i:05d}", T0 + 60) if i % 10 else failed_probe(f"cam-{i:05d}", T0),
        )
        for i in range(10_000)
    ]
    transitions = [Transition(s.camera, s.since, s.online) for s in states[:500]]
    # The first cycle inserts; the second updates every row in place.
    store.save_cycle(started_at=T0, finished_at=T0 + 1, states=states, transitions=[])
    store.save_cycle(
        started_at=T0 + 60, finished_at=T0 + 61, states=states, transitions=transitions
    )
    loaded = store.load_states()
    assert len(loaded) == 10_000
    assert_states_equal({"cam-09999": loaded["cam-09999"]}, {"cam-09999": states[-1]})
    cycle = store.last_cycle()
    assert cycle is not None
    assert (cycle.cameras, cycle.online, cycle.failed) == (10_000, 9_000, 1_000)


# --- monitor runs and retention ------------------------------------------------------


def test_monitor_start_and_stop_marks(store: Store) -> None:
    assert store.monitor_runs() == []
    store.record_monitor_start(T0)
    assert store.monitor_runs() == [MonitorRun(T0, None, False)]
    store.save_cycle(started_at=T0 + 1, finished_at=T0 + 9, states=[], transitions=[])
    store.record_monitor_stop(T0 + 10)
    # A second run that crashes after its last cycle at T0 + 130 ...
    store.record_monitor_start(T0 + 100)
    store.save_cycle(started_at=T0 + 120, finished_at=T0 + 130, states=[], transitions=[])
    # ... is closed at that cycle's end when the next run starts.
    store.record_monitor_start(T0 + 500)
    store.record_monitor_stop(T0 + 600)
    store.record_monitor_stop(T0 + 700)  # no run open: ignored
    runs = store.monitor_runs()
    assert runs == [
        MonitorRun(T0, T0 + 10, True),
        MonitorRun(T0 + 100, T0 + 130, False),
        MonitorRun(T0 + 500, T0 + 600, True),
    ]
    assert store.monitor_runs(since=T0 + 131) == runs[2:]
    assert store.monitor_runs(since=T0 + 20, until=T0 + 500) == runs[1:2]


def test_crashed_run_without_any_cycle_ends_at_its_start(store: Store) -> None:
    store.record_monitor_start(T0)
    store.record_monitor_start(T0 + 50)
    assert store.monitor_runs() == [MonitorRun(T0, T0, False), MonitorRun(T0 + 50, None, False)]


def test_prune_keeps_each_cameras_latest_transition(store: Store) -> None:
    store.record_monitor_start(T0)
    store.save_cycle(
        started_at=T0,
        finished_at=T0 + 1,
        states=sample_states().values(),
        transitions=sample_transitions(),
    )
    store.record_monitor_stop(T0 + 2)
    store.record_monitor_start(T0 + 1000)
    store.save_cycle(started_at=T0 + 1000, finished_at=T0 + 1001, states=[], transitions=[])
    deleted = store.prune(before=T0 + 150)
    # cam-0002: two of three transitions before the cut go; one cycle; one run.
    assert deleted == 4
    assert [(t.camera, t.at) for t in store.transitions()] == [
        ("cam-0001", T0),
        ("cam-0003", T0 + 0.5),
        ("cam-0002", T0 + 100.25),
        ("cam-0001", T0 + 200),
    ]
    assert len(store.load_states()) == 4
    cycle = store.last_cycle()
    assert cycle is not None and cycle.finished_at == T0 + 1001
    assert store.monitor_runs() == [MonitorRun(T0 + 1000, None, False)]
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(state_transition)) == 4


# --- SQLite specifics and secrets ----------------------------------------------------


def test_default_sqlite_url_creates_directory_and_uses_wal(tmp_path: Path) -> None:
    directory = tmp_path / "nested" / "数据"
    url = default_sqlite_url(directory)
    assert make_url(url).database == str(directory / "tianyan.sqlite")
    with Store.open(url) as opened, opened.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    assert (directory / "tianyan.sqlite").is_file()


def test_sqlite_reader_is_not_blocked_by_a_writer(tmp_path: Path) -> None:
    url = default_sqlite_url(tmp_path)
    with Store.open(url) as writer, Store.open(url) as reader:
        writer.save_cycle(
            started_at=T0, finished_at=T0 + 1, states=sample_states().values(), transitions=[]
        )
        with writer.engine.connect() as conn:
            conn.execution_options(tianyan_write=True)
            with conn.begin():  # BEGIN IMMEDIATE: holds the write lock
                conn.execute(text("DELETE FROM camera_state"))
                started = time.perf_counter()
                seen = reader.load_states()
                waited = time.perf_counter() - started
                assert len(seen) == 4  # the committed snapshot, without waiting
                assert waited < 1.0
        assert reader.load_states() == {}


def test_no_password_reaches_the_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from site_map.credentials import resolve_password
    from site_map.model import Credential

    password = "Tianyan-Pa55w0rd-4c1d"
    monkeypatch.setenv("TIANYAN_CAMERA_PASSWORD", password)
    credential = Credential(username="admin", password_env="TIANYAN_CAMERA_PASSWORD")
    assert resolve_password("default", credential, tmp_path) == password  # the probe's login

    marker = "visible-detail-7f3e"
    states = list(sample_states().values())
    states.append(
        CameraState(
            "cam-marker",
            False,
            T0,
            3,
            0,
            ProbeResult(
                target="cam-marker",
                started_at=T0,
                stages=(StageResult(Stage.TCP, False, 3.0, Reason.TIMEOUT, detail=marker),),
            ),
        )
    )
    url = default_sqlite_url(tmp_path / "db")
    with Store.open(url) as opened:
        opened.record_monitor_start(T0)
        opened.save_cycle(
            started_at=T0, finished_at=T0 + 2, states=states, transitions=sample_transitions()
        )
        opened.record_monitor_stop(T0 + 3)
        files = sorted((tmp_path / "db").glob("tianyan.sqlite*"))
        content = b"".join(path.read_bytes() for path in files)
    content += b"".join(path.read_bytes() for path in (tmp_path / "db").glob("tianyan.sqlite*"))
    assert marker.encode() in content  # the grep sees what was stored ...
    assert password.encode() not in content  # ... and no password is there
    assert password.encode("utf-16-le") not in content


# --- device identity -----------------------------------------------------------------


def test_identity_changes_are_stored_and_counted(store: Store) -> None:
    from monitor.state import identity_changes

    first = good_probe("cam-1", T0)
    state, _ = advance(None, first)
    swapped = ProbeResult(
        target="cam-1",
        started_at=T0 + 60,
        stages=first.stages,
        device=DeviceIdentity("Hikvision", "DS-2CD2143G2-I", "V5.7.3", "NEWSERIAL", "88"),
    )
    changes = identity_changes(state, swapped)
    assert [(c.field, c.new) for c in changes] == [("serial", "NEWSERIAL")]
    state, _ = advance(state, swapped)
    store.save_cycle(
        started_at=T0 + 60,
        finished_at=T0 + 61,
        states=[state],
        transitions=[],
        identity_changes=changes,
    )
    [stored] = store.identity_changes("cam-1")
    assert (stored.field, stored.old, stored.new, stored.at) == (
        "serial",
        changes[0].old,
        "NEWSERIAL",
        T0 + 60,
    )
    assert store.identity_changes("cam-1", since=T0 + 61) == []
    counts, _ = store.event_counts()
    assert counts == {("cam-1", "serial"): 1}
    assert store.load_states()["cam-1"].device.serial == "NEWSERIAL"


def test_last_known_identity_survives_failed_probes(store: Store) -> None:
    state, _ = advance(None, good_probe("cam-1", T0))
    state, _ = advance(state, failed_probe("cam-1", T0 + 60))
    assert state.last_probe.device is None and state.device is not None
    store.save_cycle(started_at=T0, finished_at=T0 + 61, states=[state], transitions=[])
    assert store.load_states()["cam-1"].device == state.device


def test_upgrade_from_0001_keeps_data(url: str) -> None:
    """A database written by the first release is upgraded in place, rows intact."""
    engine = make_engine(url)
    try:
        config = alembic_config()
        with migration_connection(engine) as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO camera_state (camera, online, intact, since, "
                    "consecutive_failures, consecutive_successes, last_probe, updated_at) "
                    "VALUES ('cam-old', true, true, :at, 0, 1, :probe, :at)"
                ),
                {
                    "at": "2025-11-24 00:00:00+00:00",
                    "probe": json.dumps(encode_probe(good_probe("cam-old", T0))),
                },
            )
    finally:
        engine.dispose()
    with Store.open(url) as store:
        state = store.load_states()["cam-old"]
        assert state.online and state.device is not None
        assert state.device.serial == "DS2143-2023"


def test_transitions_for_period_reads_the_state_at_the_start_and_the_period(store: Store) -> None:
    transitions = [
        Transition("cam-1", T0, True),
        Transition("cam-1", T0 + 100, False, Stage.TCP, Reason.UNREACHABLE),
        Transition("cam-1", T0 + 500, True),
        Transition("cam-2", T0 + 50, True),
        Transition("cam-3", T0 + 900, False, Stage.ONVIF, Reason.TIMEOUT),
    ]
    store.save_cycle(started_at=T0, finished_at=T0 + 1, states=[], transitions=transitions)
    got = store.transitions_for_period(T0 + 200, T0 + 800)
    # cam-1: its last change before the period (offline at +100) and the one inside;
    # cam-2: its state since +50; cam-3: nothing before the end of the period.
    assert [(t.camera, t.at - T0, t.online) for t in got] == [
        ("cam-2", 50, True),
        ("cam-1", 100, False),
        ("cam-1", 500, True),
    ]
    assert [t.at - T0 for t in store.transitions_for_period(T0 + 200)] == [50, 100, 500, 900]


def test_reference_views(store: Store) -> None:
    from monitor.storage import Reference

    first = Reference("cam-1", T0, T0, "first", 2, 3, bytes(range(6)))
    assert store.save_reference(first)
    accepted = Reference("cam-1", T0 + 50, T0 + 60, "accepted", 2, 3, b"\xff" * 6)
    assert store.save_reference(accepted)
    # A later first good frame never overwrites a view an operator accepted.
    assert not store.save_reference(
        Reference("cam-1", T0 + 70, T0 + 70, "first", 2, 3, bytes(6)), replace=False
    )
    assert store.references() == {"cam-1": accepted}
    assert store.references(changed_since=T0 + 60) == {}
    assert store.references(changed_since=T0 + 59) == {"cam-1": accepted}
    assert store.delete_reference("cam-1") and not store.delete_reference("cam-1")
    assert store.references() == {}


def test_recordings_are_replaced_per_camera_and_read_back(store: Store) -> None:
    from monitor.storage.store import RecordingRecord

    first = RecordingRecord("cam-1", ((T0 - 7200.0, T0 - 3600.0), (T0 - 1800.0, T0)), T0, T0)
    other = RecordingRecord("cam-2", (), T0, T0 - 86400.0)
    store.save_recordings([first, other], at=T0)
    assert store.recordings() == {"cam-1": first, "cam-2": other}
    # A later pass replaces cam-1's intervals whole; cam-2 is left as it was.
    later = RecordingRecord("cam-1", ((T0 - 3600.0, T0 + 900.0),), T0 + 900.0, T0)
    store.save_recordings([later], at=T0 + 900.0)
    assert store.recordings() == {"cam-1": later, "cam-2": other}
    store.save_recordings([], at=T0)  # nothing to do
