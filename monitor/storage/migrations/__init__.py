"""Alembic migration environment of the store (see env.py)."""
