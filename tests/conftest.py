"""Shared fixtures: the real PostgreSQL server, isolated per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get(
    "TIANYAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

_postgres_problem: list[str] = []


def _postgres_unreachable() -> str | None:
    """Why the PostgreSQL test server cannot be used, or None (checked once)."""
    if not _postgres_problem:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            _postgres_problem.append("")
        except Exception as exc:
            _postgres_problem.append(
                f"PostgreSQL test server {make_url(POSTGRES_URL).render_as_string()} "
                f"unreachable: {type(exc).__name__}"
            )
        finally:
            engine.dispose()
    return _postgres_problem[0] or None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections see only a fresh schema of their own, dropped afterwards.

    Skipped where no server answers, except in CI, where a missing server is a
    failure: CI must prove the PostgreSQL path.
    """
    problem = _postgres_unreachable()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
