"""Persistent storage of the monitor's state (SQLAlchemy 2, Alembic migrations).

See docs/storage.md for what is stored and how to migrate.
"""

from monitor.storage.store import (
    CycleRecord,
    MonitorRun,
    Reference,
    StorageError,
    Store,
    default_sqlite_url,
)

__all__ = [
    "CycleRecord",
    "MonitorRun",
    "Reference",
    "StorageError",
    "Store",
    "default_sqlite_url",
]
