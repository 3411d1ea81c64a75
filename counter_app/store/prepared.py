"""The issuance hot path's statement cache: statements compiled once per dialect and run on one
kept driver connection (see :class:`HotPath`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import OperationalError

from counter_app.ca.model import RecordStatus
from counter_app.store import audit, state
from counter_app.store.ca_tables import RECORD_FIELDS, REVOKED_STATUSES, Certificate
from counter_app.store.db import store_error
from counter_app.store.models import AuditEvent, AuditHead
from counter_app.store.writer_queue import LockFileQueue

# Issuance is the hot path (thousands a second): a pooled connection per transaction and the
# ORM's unit of work each cost more than the signature. So the two issuance transactions run on
# one connection this repository keeps, with statements compiled once by SQLAlchemy for the
# dialect and executed on the driver's cursor.
CERTS = cast(Table, Certificate.__table__)
EVENTS = cast(Table, AuditEvent.__table__)
HEAD = cast(Table, AuditHead.__table__)


def _insert(table: Table, *, lacking: tuple[str, ...] = ()) -> Insert:
    """An insert of every column of ``table`` but those ``lacking``, each bound by its name."""
    return insert(table).values(
        {c.name: bindparam(c.name) for c in table.columns if c.name not in lacking}
    )


# A pending record has no certificate, revocation or CRL entry yet.
INSERT_PENDING = _insert(
    CERTS, lacking=("der", "revoked_at", "revoked_epoch", "reason", "crl_entry")
)
COMPLETE = (
    update(CERTS)
    .where(CERTS.c.serial_hex == bindparam("b_serial"))
    .where(CERTS.c.status == RecordStatus.PENDING.value)
    .values(der=bindparam("b_der"), status=RecordStatus.GOOD.value)
)
# The signing module's chain (store/audit.py): its head is the only one issuance locks.
LOCK_HEAD = (
    select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.chain == bindparam("b_chain")).with_for_update()
)
SIGNING_HEAD = select(HEAD.c.seq).where(HEAD.c.chain == audit.SIGNING_CHAIN)
INSERT_EVENT = _insert(EVENTS)
MOVE_HEAD = (
    update(HEAD)
    .where(HEAD.c.chain == bindparam("b_chain"))
    .values(seq=bindparam("b_seq"), hash=bindparam("b_hash"))
)
RECORD_COLUMNS = tuple(CERTS.c[name] for name in RECORD_FIELDS)
# One issuer's certificates on hold or revoked (bound: ``b_issuer``), as its CRL lists them.
OF_ISSUER = CERTS.c.issuer == bindparam("b_issuer")
REVOKED = select(CERTS.c.serial_hex, CERTS.c.revoked_epoch, CERTS.c.reason).where(
    OF_ISSUER, CERTS.c.status.in_(REVOKED_STATUSES)
)
# The kept entries, concatenated by the database itself (SQLite: the BLOBs through group_concat,
# byte for byte, cast back to a BLOB; PostgreSQL: string_agg over bytea).
JOINED_ENTRIES = {
    "sqlite": "SELECT CAST(group_concat(crl_entry, x'') AS BLOB), count(*) FROM ca_certificates"
    " WHERE issuer = :b_issuer AND crl_entry IS NOT NULL",
    "postgresql": "SELECT string_agg(crl_entry, ''::bytea), count(*) FROM ca_certificates"
    " WHERE issuer = :b_issuer AND crl_entry IS NOT NULL",
}
REVOKED_COUNT = select(func.count()).where(OF_ISSUER, CERTS.c.status.in_(REVOKED_STATUSES))
CRL_DELTA_LIMIT = 64  # status changes since the newest CRL applied to it; more: read all
STATUS_ACTIONS = ("certificate.hold", "certificate.release", "certificate.revoke")
GET_RECORD = select(*RECORD_COLUMNS).where(CERTS.c.serial_hex == bindparam("b_serial"))


CERT_COLUMNS = state.columns_of(CERTS)

WAL_AUTOCHECKPOINT = 10_000  # pages (40 MB of WAL at most between checkpoints)


class Prepared:
    """A statement compiled once for a dialect, run on the DBAPI cursor."""

    def __init__(self, statement: Any, dialect: Dialect, *, literal: bool = False) -> None:
        # ``literal``: a statement whose only values are constants of ours (an IN list of
        # statuses), rendered into the SQL once.
        compiled = statement.compile(
            dialect=dialect, compile_kwargs={"literal_binds": True} if literal else {}
        )
        self.sql = compiled.string
        self._order = compiled.positiontup  # qmark/format styles; None for named styles
        # Values fixed in the statement itself, such as status = 'pending'.
        self._fixed = {
            compiled.bind_names[b]: b.value for b in compiled.binds.values() if not b.required
        }

    def params(self, values: dict[str, Any]) -> Any:
        merged = self._fixed | values
        return tuple(merged[k] for k in self._order) if self._order else merged

    def run(self, cursor: Any, values: dict[str, Any]) -> Any:
        cursor.execute(self.sql, self.params(values))
        return cursor


class HotPath:
    """One kept connection (per process) with the issuance statements prepared.

    The connection is checked out of the store's pool once and kept, so its driver
    connection carries the pool's connect-time set-up (WAL, busy timeout, foreign keys,
    synchronous=NORMAL on SQLite).
    """

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        self.insert_pending = Prepared(INSERT_PENDING, dialect)
        self.complete = Prepared(COMPLETE, dialect)
        self.lock_head = Prepared(LOCK_HEAD, dialect)
        self.create_head = Prepared(audit.head_insert(dialect.name), dialect)
        self.insert_event = Prepared(INSERT_EVENT, dialect)
        self.move_head = Prepared(MOVE_HEAD, dialect)
        # UTCDateTime's own conversion (aware -> naive UTC -> the driver's form), not a copy.
        to_db = CERTS.c.not_before.type.bind_processor(dialect)
        self.time = to_db if to_db is not None else (lambda v: v)
        self._engine = engine
        # The transaction is driven on the driver too (SQLAlchemy's begin/commit bookkeeping
        # was a fifth of the path): BEGIN IMMEDIATE on SQLite, as the store's engine does there
        # (one writer at a time, no lock upgrade); PostgreSQL's driver begins implicitly.
        self._begin = "BEGIN IMMEDIATE" if dialect.name == "sqlite" else None
        # Processes issuing into one SQLite file queue on a lock file before BEGIN IMMEDIATE.
        self._queue = LockFileQueue.beside_sqlite(dialect.name, engine.url.database)
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._cursor: Any = None
        self._pid = 0
        # Connections inherited over fork() are abandoned, never closed or rolled back: they
        # belong to the parent's database session.
        self._inherited: list[Connection] = []
        self.integrity_error: type[Exception] = engine.dialect.dbapi.IntegrityError  # type: ignore[union-attr]
        self.operational_error: type[Exception] = engine.dialect.dbapi.OperationalError  # type: ignore[union-attr]

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """The driver cursor inside one committed transaction; rolled back on any exception."""
        with self._lock, self._queue.held():
            if self._conn is None or self._pid != os.getpid():
                if self._conn is not None:
                    self._inherited.append(self._conn)
                try:
                    self._conn = self._engine.connect()
                except OperationalError as exc:  # the server is down: one line, not a traceback
                    raise store_error(exc) from exc
                self._cursor = self._conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                if self._engine.dialect.name == "sqlite":
                    # Issuance appends ~14 WAL frames; checkpointing (with its fsync) every 1,000
                    # frames cost more than everything else on this path. Every 10,000, and the
                    # pages rewritten meanwhile (audit head, last leaves) are copied back once.
                    self._cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
                self._pid = os.getpid()
            driver = self._conn.connection.driver_connection
            try:
                if self._begin is not None:
                    self._cursor.execute(self._begin)
                try:
                    yield self._cursor
                except BaseException:
                    driver.rollback()  # type: ignore[union-attr]
                    raise
                driver.commit()  # type: ignore[union-attr]
            except self.operational_error as exc:
                self._drop()
                raise store_error(OperationalError(None, None, exc)) from exc
            except OperationalError as exc:
                self._drop()
                raise store_error(exc) from exc

    def _drop(self) -> None:
        # A broken connection is not reused; the next transaction opens a fresh one.
        if self._conn is not None:
            with suppress(Exception):
                self._conn.invalidate()
            self._conn = None
