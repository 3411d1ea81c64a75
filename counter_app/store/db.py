"""Engine, sessions and schema migration for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from counter_app.domain.errors import (
    ConfigError,
    CounterError,
    StoreNotInitialised,
    StoreUnavailable,
)
from counter_app.filemodes import FILE_MODE, make_private_dir

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# pg_advisory_lock key held while Alembic migrates a shared PostgreSQL schema ("counter" in ASCII).
MIGRATION_LOCK_KEY = 0x636F756E746572


# SQLSTATE class 40 (transaction rollback): serialization failure, deadlock detected. The
# transaction was undone whole; nothing is wrong with the server.
_ROLLBACK_SQLSTATES = {"40001", "40P01"}


class StoreConflict(CounterError):
    """Another counter changed the same records at the same moment; nothing was written."""

    code = "store_conflict"
    zh = "其他柜台同时修改了相同的记录，本次操作未保存，请重试"
    en = "another counter changed the same records at the same moment; nothing was saved, try again"


def store_error(exc: OperationalError) -> CounterError:
    """Our error for a driver's OperationalError: one line, no URL, no password."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _ROLLBACK_SQLSTATES:
        return StoreConflict()
    text_ = str(orig) if orig is not None else str(exc)
    first = next((line for line in text_.splitlines() if line.strip()), "no detail")
    return StoreUnavailable(detail=first.strip())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is switched off so that every write transaction starts
    # with BEGIN IMMEDIATE (see _sqlite_begin): one writer at a time, no upgrade deadlocks.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does; its -wal and -shm files copy the mode."""
    if not path.parent.exists():
        make_private_dir(path.parent)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for ``url``; for SQLite without ``create`` the file must exist already."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(detail=f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            if not create and not path.exists():
                raise StoreNotInitialised(where=str(path))
            _private_sqlite_file(path)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def _alembic_config(engine: Engine) -> Any:
    # Alembic is imported only when a migration is due: it costs a third of a second at start-up.
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*=\s*['\"]?([\w]+|None)['\"]?", re.M)


def code_head_revision() -> str | None:
    """The newest revision in the code, read from the migration files without importing Alembic."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision", "None"))
    heads = revisions - parents
    if len(heads) > 1:
        raise ConfigError(detail=f"several migration heads: {sorted(heads)}")
    return next(iter(heads), None)


class Store:
    """The counter's database: a session factory and the schema's migration state."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        from counter_app.store.audit import CHAIN, DEFERRED, LEGACY_CHAIN

        # The events a transaction appends are written at its commit (store/audit.py), to this
        # counter's chain (:meth:`use_chain`).
        self._sessions = sessionmaker(
            engine, expire_on_commit=False, info={DEFERRED: True, CHAIN: LEGACY_CHAIN}
        )
        # Every change to a tracked row records the row's digest in the audit chain.
        from counter_app.store import state

        state.install(self._sessions)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def use_chain(self, chain: str) -> None:
        """Append this store's events to ``chain`` (the counter's name) from now on."""
        from counter_app.store.audit import CHAIN

        self._sessions.kw["info"] = {**self._sessions.kw["info"], CHAIN: chain}

    @property
    def chain(self) -> str:
        from counter_app.store.audit import CHAIN

        return str(self._sessions.kw["info"][CHAIN])

    @contextmanager
    def session(self, chain: str | None = None) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any exception; its
        events go to ``chain`` (the store's by default)."""
        try:
            with self._sessions() as session, session.begin():
                if chain is not None:
                    from counter_app.store.audit import CHAIN

                    session.info[CHAIN] = chain
                yield session
        except OperationalError as exc:
            raise store_error(exc) from exc

    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("alembic_version"):
                    return None
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError as exc:
            raise store_error(exc) from exc

    def head_revision(self) -> str | None:
        return code_head_revision()

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        log.info("migrating schema at %s", self.url)
        from alembic import command

        try:
            with self._migration_lock():
                command.upgrade(_alembic_config(self.engine), "head")
        except OperationalError as exc:
            raise store_error(exc) from exc

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """One migrating counter at a time on a shared server.

        Two counters updated together both find the schema behind; without the lock both ran
        the same CREATE TABLEs and one failed. The second now waits, then finds nothing to do.
        SQLite needs nothing: its migration transaction holds the writer lock.
        """
        if self.engine.dialect.name != "postgresql":
            yield
            return
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()

    def is_initialised(self) -> bool:
        return self.current_revision() is not None

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, create: bool = False, migrate: bool = True) -> Store:
    """Open the database; with ``create`` the schema is made, otherwise it must exist already.

    An existing schema behind the code's head is migrated forward (``migrate``), so a counter that
    was updated keeps working on its old data dir.
    """
    store = Store(make_engine(url, create=create))
    if create:
        store.upgrade()
        return store
    current = store.current_revision()
    if current is None:
        store.close()
        raise StoreNotInitialised(where=store.url)
    if migrate and current != store.head_revision():
        store.upgrade()
    return store
