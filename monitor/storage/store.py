"""The monitor's persistent store: camera states, state transitions, poll cycles, runs.

One `Store` wraps one SQLAlchemy engine. `Store.open` brings the schema up to
date with Alembic (never `metadata.create_all`), under a lock so that several
processes opening a fresh database at once do not trip over each other. Times
are unix-second floats at this API and timezone-aware UTC timestamps in the
database (microsecond resolution).

SQLite (the default) runs in WAL mode with a busy timeout, so `tianyan
coverage` can read while the monitor writes; every write transaction starts
with `BEGIN IMMEDIATE`, so two writers queue instead of failing. PostgreSQL
works the same through `postgresql+psycopg://user@host/db`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    and_,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from monitor.probing.result import Reason, Stage
from monitor.recordings.model import Disk
from monitor.recordings.snapshot import NvrStatus
from monitor.state import CameraState, IdentityChange, Transition
from monitor.storage.codec import decode_device, decode_probe, encode_probe
from monitor.storage.tables import (
    camera_reference,
    camera_state,
    device_event,
    intact_transition,
    monitor_run,
    nvr_status,
    poll_cycle,
    recording_check,
    recording_interval,
    state_transition,
)

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
SQLITE_FILENAME = "tianyan.sqlite"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connection execution option: begin SQLite transactions with BEGIN IMMEDIATE.
_WRITE_OPTION = "tianyan_write"
_MIGRATION_LOCK = "tianyan-migrations:"


class StorageError(Exception):
    """The database cannot be opened, migrated, read or written (names no password)."""


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """One completed poll cycle. `failed` counts cameras whose last probe failed."""

    started_at: float
    finished_at: float
    cameras: int
    online: int
    failed: int
    intact: int = 0


@dataclass(frozen=True, slots=True)
class Reference:
    """A camera's reference view: grayscale pixels of the frame signature."""

    camera: str
    taken_at: float
    updated_at: float
    origin: str  # "first" or "accepted"
    height: int
    width: int
    pixels: bytes


@dataclass(frozen=True, slots=True)
class RecordingRecord:
    """What is known of one camera's footage: merged intervals and how far searched."""

    camera: str
    intervals: tuple[tuple[float, float], ...]
    checked_until: float
    full_check_at: float


@dataclass(frozen=True, slots=True)
class MonitorRun:
    """One run of the monitor process.

    `stopped_at` is None while the run goes on. `clean_stop` is False when the
    process ended without a stop mark; `stopped_at` is then the end of its last
    poll cycle (or its start), as found when the next run started.
    """

    started_at: float
    stopped_at: float | None
    clean_stop: bool


# --- time conversion at the API boundary -------------------------------------------


def to_datetime(seconds: float) -> datetime:
    """Unix seconds → aware UTC datetime (rounded to the microsecond)."""
    return datetime.fromtimestamp(seconds, UTC)


def to_seconds(value: datetime) -> float:
    """Aware (or naive UTC, as SQLite returns it) datetime → unix seconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


# --- engine and migrations -----------------------------------------------------------


def default_sqlite_url(directory: Path) -> str:
    """URL of the SQLite file `tianyan.sqlite` in `directory`."""
    path = Path(directory).expanduser().absolute() / SQLITE_FILENAME
    if any(ch in str(path) for ch in "?#%"):
        return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)
    return f"sqlite:///{path}"


def safe_url(url: str | URL) -> str:
    """The URL with any password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is echoed by nobody
        return "<invalid database URL>"


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if url.query.get("mode") == "memory":
        return None
    return Path(database)


def _enable_wal(cursor: Any) -> None:
    """Switch the database file to WAL (persistent), retrying while others hold it.

    SQLite does not call the busy handler for this switch, so concurrent first
    opens of a new file would otherwise fail with "database is locked".
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if mode in ("wal", "memory"):
                return
            mode = str(cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            if mode != "wal":
                log.warning("SQLite refused WAL mode (journal mode %s): readers may wait", mode)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below), so DDL is transactional too.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE_OPTION) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _json_dumps(value: Any) -> str:
    # Compact, and UTF-8 text as it is (details may be Chinese).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_engine(url: str | URL) -> Engine:
    """An engine for `url`; for SQLite: WAL, busy timeout, parent directory created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(parsed)
        if path is not None:
            path.expanduser().absolute().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            json_serializer=_json_dumps,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(parsed, pool_pre_ping=True, json_serializer=_json_dumps)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the store's migrations, built without an ini file.

    With a connection in `config.attributes["connection"]` the migration
    environment uses it; otherwise it connects to `url`.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction holding the database's migration lock.

    SQLite: `BEGIN IMMEDIATE` (one writer at a time). PostgreSQL: a
    transaction-scoped advisory lock per schema. DDL is transactional on both,
    so a failed migration leaves nothing half-done.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text(
                        "SELECT pg_advisory_xact_lock("
                        "hashtext(:name || coalesce(current_schema(), '')))"
                    ),
                    {"name": _MIGRATION_LOCK},
                )
            yield conn


def _check_known(script: ScriptDirectory, revisions: Iterable[str]) -> None:
    for revision in revisions:
        try:
            known = script.get_revision(revision)
        except (CommandError, RevisionError):
            known = None
        if known is None:
            raise StorageError(
                f"the database schema is at revision {revision!r}, which this version of "
                "tianyan does not know (was it written by a newer version?)"
            )


def upgrade_database(engine: Engine) -> None:
    """`alembic upgrade heads`, run in-process; a no-op on an up-to-date database."""
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return
    _check_known(script, current)
    with migration_connection(engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")


# --- the store -----------------------------------------------------------------------


@contextmanager
def _errors(what: str) -> Iterator[None]:
    try:
        yield
    except StorageError:
        raise
    except DBAPIError as exc:
        # The driver's message only: SQLAlchemy's own would repeat every parameter.
        raise StorageError(f"{what}: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"{what}: {exc}") from exc
    except ModuleNotFoundError as exc:  # a database driver that is not installed
        raise StorageError(f"{what}: database driver not installed ({exc})") from exc
    except OSError as exc:  # e.g. the SQLite file's directory cannot be created
        raise StorageError(f"{what}: {exc}") from exc


def _upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: str) -> None:
    """Insert or replace `rows` by primary key `key`, as one executemany."""
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        ins = sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
        stmt = ins.on_conflict_do_update(
            index_elements=[table.c[key]],
            set_={c.name: ins.excluded[c.name] for c in table.columns if c.name != key},
        )
        conn.execute(stmt, list(rows))
        return
    # Any other database: delete, then insert, in the caller's transaction.
    keys = [row[key] for row in rows]
    for start in range(0, len(keys), 500):
        conn.execute(delete(table).where(table.c[key].in_(keys[start : start + 500])))
    conn.execute(insert(table), list(rows))


def _state_row(state: CameraState, updated_at: datetime) -> dict[str, Any]:
    probe = state.last_probe
    failure = probe.failure if probe is not None else None
    return {
        "camera": state.camera,
        "online": state.online,
        "intact": state.intact,
        "since": to_datetime(state.since),
        "consecutive_failures": state.consecutive_failures,
        "consecutive_successes": state.consecutive_successes,
        "probed_at": to_datetime(probe.started_at) if probe is not None else None,
        "failed_stage": failure.stage.value if failure is not None else None,
        "failure_reason": (
            failure.reason.value if failure is not None and failure.reason else None
        ),
        "last_probe": encode_probe(probe) if probe is not None else None,
        "updated_at": updated_at,
        "device": state.device.to_dict() if state.device is not None else None,
    }


def _history(
    stmt: Select[Any], table: Table, camera: str | None, since: float | None, until: float | None
) -> Select[Any]:
    """Rows of an append-only history table for one camera (or all) in `[since, until)`."""
    c = table.c
    if camera is not None:
        stmt = stmt.where(c.camera == camera)
    if since is not None:
        stmt = stmt.where(c.at >= to_datetime(since))
    if until is not None:
        stmt = stmt.where(c.at < to_datetime(until))
    return stmt


def _superseded_before(table: Table, cutoff: datetime) -> Any:
    """Rows older than `cutoff` except each camera's latest one (its state at `cutoff`)."""
    newer = table.alias("newer")
    superseded = exists().where(
        newer.c.camera == table.c.camera,
        newer.c.at < cutoff,
        or_(newer.c.at > table.c.at, and_(newer.c.at == table.c.at, newer.c.id > table.c.id)),
    )
    return delete(table).where(table.c.at < cutoff, superseded)


def _transition_row(t: Transition, flag: str) -> dict[str, Any]:
    return {
        "camera": t.camera,
        "at": to_datetime(t.at),
        flag: t.online,
        "stage": t.stage.value if t.stage is not None else None,
        "reason": t.reason.value if t.reason is not None else None,
    }


def _transition(
    camera: str, at: datetime, online: bool, stage: str | None, reason: str | None
) -> Transition:
    return Transition(
        camera=camera,
        at=to_seconds(at),
        online=bool(online),
        stage=Stage(stage) if stage else None,
        reason=Reason(reason) if reason else None,
    )


class Store:
    """Persistent state of the monitor. Thread-safe; every method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to `url`, bring the schema up to date, return the store."""
        what = f"cannot open database {safe_url(url)}"
        with _errors(what):
            engine = make_engine(url)
        try:
            with _errors(what):
                upgrade_database(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _writing(self, what: str) -> Iterator[Connection]:
        with _errors(what), self._engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def _reading(self, what: str) -> Iterator[Connection]:
        with _errors(what), self._engine.connect() as conn, conn.begin():
            yield conn

    # --- camera states and cycles ---

    def load_states(self) -> dict[str, CameraState]:
        """The latest saved state of every camera, with its last probe result."""
        c = camera_state.c
        with self._reading("cannot load camera states") as conn:
            rows = conn.execute(
                select(
                    c.camera,
                    c.online,
                    c.since,
                    c.consecutive_failures,
                    c.consecutive_successes,
                    c.last_probe,
                    c.device,
                )
            ).all()
        states: dict[str, CameraState] = {}
        for camera, online, since, failures, successes, probe_data, device_data in rows:
            probe = None
            if probe_data is not None:
                try:
                    probe = decode_probe(probe_data)
                except (KeyError, TypeError, ValueError) as exc:
                    log.warning("camera %s: stored probe result unreadable (%s)", camera, exc)
            states[camera] = CameraState(
                camera=camera,
                online=bool(online),
                since=to_seconds(since),
                consecutive_failures=int(failures),
                consecutive_successes=int(successes),
                last_probe=probe,
                device=decode_device(device_data) or (probe.device if probe else None),
            )
        return states

    def save_cycle(
        self,
        *,
        started_at: float,
        finished_at: float,
        states: Iterable[CameraState],
        transitions: Iterable[Transition],
        identity_changes: Iterable[IdentityChange] = (),
        intact_changes: Iterable[Transition] = (),
    ) -> None:
        """In one transaction: upsert the states, append the transitions and the cycle.

        A camera given twice keeps its last state. The cycle's counts are over
        the given states: cameras, online, intact, and failed (last probe
        missing or failed at some stage, before hysteresis).
        """
        updated_at = to_datetime(finished_at)
        latest: dict[str, CameraState] = {}
        for state in states:
            latest[state.camera] = state
        state_rows = [_state_row(state, updated_at) for state in latest.values()]
        transition_rows = [_transition_row(t, "online") for t in transitions]
        intact_rows = [_transition_row(t, "intact") for t in intact_changes]
        event_rows = [
            {
                "camera": e.camera,
                "at": to_datetime(e.at),
                "field": e.field,
                "old": e.old,
                "new": e.new,
            }
            for e in identity_changes
        ]
        cycle_row = {
            "started_at": to_datetime(started_at),
            "finished_at": updated_at,
            "cameras": len(state_rows),
            "online": sum(1 for row in state_rows if row["online"]),
            "intact": sum(1 for row in state_rows if row["intact"]),
            "failed": sum(
                1 for s in latest.values() if s.last_probe is None or not s.last_probe.ok
            ),
        }
        with self._writing("cannot save poll cycle") as conn:
            if state_rows:
                _upsert(conn, camera_state, state_rows, "camera")
            if transition_rows:
                conn.execute(insert(state_transition), transition_rows)
            if intact_rows:
                conn.execute(insert(intact_transition), intact_rows)
            if event_rows:
                conn.execute(insert(device_event), event_rows)
            conn.execute(insert(poll_cycle), [cycle_row])

    def transitions(
        self, camera: str | None = None, since: float | None = None, until: float | None = None
    ) -> list[Transition]:
        """Stored transitions ordered by time, `since <= at < until` (bounds optional)."""
        t = state_transition.c
        stmt = _history(
            select(t.camera, t.at, t.online, t.stage, t.reason).order_by(t.at, t.id),
            state_transition,
            camera,
            since,
            until,
        )
        with self._reading("cannot read transitions") as conn:
            rows = conn.execute(stmt).all()
        return [_transition(*row) for row in rows]

    def transitions_for_period(self, start: float, until: float | None = None) -> list[Transition]:
        """What a period's history needs: each camera's last transition before
        `start` (its state when the period begins) and every transition in
        `[start, until)`, ordered by time. Older history is not read.
        """
        return self._for_period(state_transition, "online", start, until)

    def intact_transitions_for_period(
        self, start: float, until: float | None = None
    ) -> list[Transition]:
        """The same for intact/not-intact changes (`online` meaning intact)."""
        return self._for_period(intact_transition, "intact", start, until)

    def intact_cameras(self) -> set[str]:
        """Cameras with at least one stored intact change."""
        t = intact_transition.c
        with self._reading("cannot read intact_transition rows") as conn:
            return set(conn.execute(select(t.camera).distinct()).scalars())

    def _for_period(
        self, table: Table, flag: str, start: float, until: float | None
    ) -> list[Transition]:
        t = table.c
        latest_before = select(func.max(t.id)).where(t.at < to_datetime(start)).group_by(t.camera)
        columns = (t.camera, t.at, t[flag], t.stage, t.reason)
        in_period = t.at >= to_datetime(start)
        if until is not None:
            in_period = and_(in_period, t.at < to_datetime(until))
        stmt = select(*columns).where(or_(t.id.in_(latest_before), in_period)).order_by(t.at, t.id)
        with self._reading(f"cannot read {table.name} rows") as conn:
            rows = conn.execute(stmt).all()
        return [_transition(*row) for row in rows]

    def identity_changes(
        self, camera: str | None = None, since: float | None = None, until: float | None = None
    ) -> list[IdentityChange]:
        """Identity changes in `[since, until)`, ordered by time."""
        e = device_event.c
        stmt = _history(
            select(e.camera, e.at, e.field, e.old, e.new).order_by(e.at, e.id),
            device_event,
            camera,
            since,
            until,
        )
        with self._reading("cannot read device events") as conn:
            rows = conn.execute(stmt).all()
        return [
            IdentityChange(cam, to_seconds(at), field, old, new)
            for cam, at, field, old, new in rows
        ]

    def event_counts(self) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """Stored identity changes per (camera, field) and transitions per camera.

        Counters exported to Prometheus start from these, so they never go
        backwards when the monitor restarts.
        """
        e, t = device_event.c, state_transition.c
        with self._reading("cannot count events") as conn:
            changes = conn.execute(
                select(e.camera, e.field, func.count()).group_by(e.camera, e.field)
            ).all()
            transitions = conn.execute(select(t.camera, func.count()).group_by(t.camera)).all()
        return (
            {(cam, field): int(n) for cam, field, n in changes},
            {cam: int(n) for cam, n in transitions},
        )

    def save_reference(self, reference: Reference, *, replace: bool = True) -> bool:
        """Store a camera's reference view; returns whether it was written.

        With `replace=False` an existing view is kept: a first good frame must
        never overwrite a view an operator accepted.
        """
        row = {
            "camera": reference.camera,
            "taken_at": to_datetime(reference.taken_at),
            "updated_at": to_datetime(reference.updated_at),
            "origin": reference.origin,
            "height": reference.height,
            "width": reference.width,
            "pixels": reference.pixels,
        }
        r = camera_reference.c
        with self._writing("cannot save reference view") as conn:
            present = conn.execute(select(r.camera).where(r.camera == reference.camera)).first()
            if present and not replace:
                return False
            _upsert(conn, camera_reference, [row], "camera")
        return True

    def references(self, changed_since: float | None = None) -> dict[str, Reference]:
        """Reference views: all, or those changed since a time (a running monitor's reload)."""
        r = camera_reference.c
        stmt = select(r.camera, r.taken_at, r.updated_at, r.origin, r.height, r.width, r.pixels)
        if changed_since is not None:
            stmt = stmt.where(r.updated_at > to_datetime(changed_since))
        with self._reading("cannot read reference views") as conn:
            rows = conn.execute(stmt).all()
        return {
            camera: Reference(
                camera,
                to_seconds(taken),
                to_seconds(updated),
                origin,
                int(height),
                int(width),
                bytes(pixels),
            )
            for camera, taken, updated, origin, height, width, pixels in rows
        }

    def delete_reference(self, camera: str) -> bool:
        r = camera_reference.c
        with self._writing("cannot delete reference view") as conn:
            result = conn.execute(delete(camera_reference).where(r.camera == camera))
        return bool(result.rowcount)

    # --- recordings ---

    def save_recordings(self, records: Iterable[RecordingRecord], *, at: float) -> None:
        """Replace the stored footage of each given camera (one transaction)."""
        records = list(records)
        if not records:
            return
        cameras = [r.camera for r in records]
        intervals = [
            {"camera": r.camera, "start": to_datetime(a), "end": to_datetime(b)}
            for r in records
            for a, b in r.intervals
        ]
        checks = [
            {
                "camera": r.camera,
                "checked_until": to_datetime(r.checked_until),
                "full_check_at": to_datetime(r.full_check_at),
                "updated_at": to_datetime(at),
            }
            for r in records
        ]
        with self._writing("cannot save recordings") as conn:
            for chunk in range(0, len(cameras), 500):
                part = cameras[chunk : chunk + 500]
                conn.execute(
                    delete(recording_interval).where(recording_interval.c.camera.in_(part))
                )
            if intervals:
                conn.execute(insert(recording_interval), intervals)
            _upsert(conn, recording_check, checks, "camera")

    def save_nvr_statuses(self, statuses: Iterable[NvrStatus]) -> None:
        """Upsert each NVR's last finding (one row per NVR)."""
        rows = [
            {
                "nvr": s.nvr,
                "checked_at": to_datetime(s.checked_at),
                "up": s.up,
                "seconds": s.seconds,
                "reason": s.reason,
                "detail": s.detail,
                "disks": {"disks": [asdict(d) for d in s.disks]},
                "failed_channels": dict(s.failed_channels),
            }
            for s in statuses
        ]
        if rows:
            with self._writing("cannot save NVR statuses") as conn:
                _upsert(conn, nvr_status, rows, "nvr")

    def nvr_statuses(self) -> dict[str, NvrStatus]:
        """Each NVR's last stored finding (without its forecast: the caller computes it)."""
        n = nvr_status.c
        columns = (n.nvr, n.checked_at, n.up, n.seconds, n.reason, n.detail, n.disks)
        with self._reading("cannot read NVR statuses") as conn:
            rows = conn.execute(select(*columns, n.failed_channels)).all()
        found = {}
        for nvr, checked, up, seconds, reason, detail, disks, failed in rows:
            found[nvr] = NvrStatus(
                nvr=nvr,
                kind="",
                up=bool(up),
                checked_at=to_seconds(checked),
                seconds=float(seconds),
                reason=reason,
                detail=detail,
                disks=tuple(Disk(**d) for d in (disks or {}).get("disks", [])),
                failed_channels=dict(failed or {}),
            )
        return found

    def recordings(self) -> dict[str, RecordingRecord]:
        """Every camera's stored footage and search progress."""
        i, c = recording_interval.c, recording_check.c
        with self._reading("cannot read recordings") as conn:
            checks = conn.execute(select(c.camera, c.checked_until, c.full_check_at)).all()
            rows = conn.execute(select(i.camera, i.start, i.end).order_by(i.camera, i.start)).all()
        found: dict[str, list[tuple[float, float]]] = {}
        for camera, start, end in rows:
            found.setdefault(camera, []).append((to_seconds(start), to_seconds(end)))
        return {
            camera: RecordingRecord(
                camera,
                tuple(found.get(camera, ())),
                to_seconds(until),
                to_seconds(full),
            )
            for camera, until, full in checks
        }

    def last_cycle(self) -> CycleRecord | None:
        """The most recently finished poll cycle, or None before the first one."""
        p = poll_cycle.c
        stmt = (
            select(p.started_at, p.finished_at, p.cameras, p.online, p.failed, p.intact)
            .order_by(p.finished_at.desc(), p.id.desc())
            .limit(1)
        )
        with self._reading("cannot read poll cycles") as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        started, finished, cameras, online, failed, intact = row
        return CycleRecord(
            started_at=to_seconds(started),
            finished_at=to_seconds(finished),
            cameras=int(cameras),
            online=int(online),
            failed=int(failed),
            intact=int(intact),
        )

    # --- monitor runs ---

    def record_monitor_start(self, at: float) -> None:
        """Mark the start of a monitor run; close any run left open by a crash."""
        start = to_datetime(at)
        r, p = monitor_run.c, poll_cycle.c
        with self._writing("cannot record monitor start") as conn:
            open_runs = conn.execute(select(r.id, r.started_at).where(r.stopped_at.is_(None))).all()
            for run_id, run_start in open_runs:
                last = conn.execute(
                    select(func.max(p.finished_at)).where(
                        p.finished_at >= run_start, p.finished_at <= start
                    )
                ).scalar()
                end = last if last is not None else run_start
                conn.execute(
                    update(monitor_run)
                    .where(r.id == run_id)
                    .values(stopped_at=end, clean_stop=False)
                )
                log.warning(
                    "the monitor run started at %s ended without a stop mark; "
                    "counting it as stopped at %s",
                    run_start,
                    end,
                )
            conn.execute(
                insert(monitor_run),
                [{"started_at": start, "stopped_at": None, "clean_stop": False}],
            )

    def record_monitor_stop(self, at: float) -> None:
        """Mark the clean end of the current monitor run."""
        r = monitor_run.c
        with self._writing("cannot record monitor stop") as conn:
            run_id = conn.execute(
                select(r.id)
                .where(r.stopped_at.is_(None))
                .order_by(r.started_at.desc(), r.id.desc())
                .limit(1)
            ).scalar()
            if run_id is None:
                log.warning("monitor stop recorded without a running monitor start; ignored")
                return
            conn.execute(
                update(monitor_run)
                .where(r.id == run_id)
                .values(stopped_at=to_datetime(at), clean_stop=True)
            )

    def monitor_runs(
        self, since: float | None = None, until: float | None = None
    ) -> list[MonitorRun]:
        """Monitor runs overlapping `[since, until)`, ordered by start."""
        r = monitor_run.c
        stmt = select(r.started_at, r.stopped_at, r.clean_stop).order_by(r.started_at, r.id)
        if since is not None:
            stmt = stmt.where(or_(r.stopped_at.is_(None), r.stopped_at >= to_datetime(since)))
        if until is not None:
            stmt = stmt.where(r.started_at < to_datetime(until))
        with self._reading("cannot read monitor runs") as conn:
            rows = conn.execute(stmt).all()
        return [
            MonitorRun(
                started_at=to_seconds(started),
                stopped_at=to_seconds(stopped) if stopped is not None else None,
                clean_stop=bool(clean),
            )
            for started, stopped, clean in rows
        ]

    # --- retention ---

    def prune(self, before: float) -> int:
        """Delete history older than `before`; return the number of rows deleted.

        Removes poll cycles finished and monitor runs stopped before `before`,
        and transitions before it except each camera's latest one, so the
        state of every camera at `before` stays known. Current states are kept.
        """
        cutoff = to_datetime(before)
        deleted = 0
        with self._writing("cannot prune history") as conn:
            for table in (state_transition, intact_transition):
                deleted += conn.execute(_superseded_before(table, cutoff)).rowcount
            for stmt in (
                delete(poll_cycle).where(poll_cycle.c.finished_at < cutoff),
                delete(monitor_run).where(monitor_run.c.stopped_at < cutoff),
            ):
                deleted += conn.execute(stmt).rowcount
        return deleted
