"""Persistence: SQLAlchemy 2 models, Alembic migrations, repositories and the audit chain."""

from counter_app.store.db import Store, open_store

__all__ = ["Store", "open_store"]
