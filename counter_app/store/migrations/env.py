"""Alembic environment: runs on the engine the application hands over (never a URL from a file)."""

from __future__ import annotations

from alembic import context

from counter_app.store import backoffice as _backoffice  # noqa: F401  (registers models)
from counter_app.store import certificates as _certificates  # noqa: F401  (registers models)
from counter_app.store import counter as _counter  # noqa: F401  (registers models)
from counter_app.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
