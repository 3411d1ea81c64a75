"""Certificates and CRLs of the signing module, and the repository ``ca/`` is handed.

Each repository method is one transaction; every lifecycle change appends its audit event in
that same transaction. :func:`open_signing_module` composes a ready CA from the data dir, the
store and a passphrase (or HSM-backed keys).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, cast

try:
    import fcntl
except ImportError:  # Windows: SQLite's own busy handler queues the writers
    fcntl = None  # type: ignore[assignment]

from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from counter_app.ca.authority import CAKeys, CertificateAuthority
from counter_app.ca.crl import encode_entry
from counter_app.ca.errors import CAError, CertificateNotFound
from counter_app.ca.hierarchy import CAFiles, CASettings
from counter_app.ca.model import (
    CertificateRecord,
    CertificateStatus,
    CRLSnapshot,
    PendingCertificate,
    PublishedCRL,
    RevocationReason,
    StatusChange,
)
from counter_app.ca.profiles import CAUrls, load_profiles
from counter_app.config import Config, resource_path
from counter_app.store import audit, state
from counter_app.store.db import Store, store_error
from counter_app.store.models import AuditEvent, AuditHead, Base
from counter_app.store.types import UTCDateTime, utcnow

STATUSES = tuple(s.value for s in CertificateStatus)
REVOKED_STATUSES = (CertificateStatus.HOLD.value, CertificateStatus.REVOKED.value)


class Certificate(Base):
    """One certificate this CA signed or was about to sign (status ``pending``)."""

    __tablename__ = "ca_certificates"

    # Serials are 16 random bytes: text (upper-case hex), never a 64-bit integer.
    serial_hex: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(Text)
    profile: Mapped[str] = mapped_column(String(32))
    application_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    tbs_der: Mapped[bytes] = mapped_column(LargeBinary)
    der: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Whole seconds since the epoch: what a CRL carries, and cheap to read a million of.
    revoked_epoch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The certificate's revokedCertificates entry (DER) while it is on hold or revoked, NULL
    # otherwise: a full CRL reads these already encoded, concatenated by the database from
    # the partial index below (a covering index: the certificates themselves are not read).
    crl_entry: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The partition CRL (/crl/N) the certificate's CRL DP names; NULL: only the complete CRL.
    crl_partition: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','good','hold','revoked')", name="ck_ca_certificate_status"
        ),
        Index(
            "ix_ca_certificates_crl_entry",
            "crl_partition",
            "crl_entry",
            sqlite_where=text("crl_entry IS NOT NULL"),
            postgresql_where=text("crl_entry IS NOT NULL"),
        ),
    )


class CRLRecord(Base):
    """The newest signed CRL of each scope: the complete CRL (``partition`` NULL) and each
    partition CRL (older ones are replaced; the audit chain keeps their digests)."""

    __tablename__ = "ca_crls"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    this_update: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    next_update: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    der: Mapped[bytes] = mapped_column(LargeBinary)
    partition: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class CAState(Base):
    """One row: the last CRL number handed out (locked while the next is taken)."""

    __tablename__ = "ca_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crl_number: Mapped[int] = mapped_column(Integer)


def _record(row: Any) -> CertificateRecord:
    # An ORM Certificate or a Core row of _RECORD_COLUMNS.
    return CertificateRecord(
        serial_hex=row.serial_hex,
        subject=row.subject,
        profile=row.profile,
        status=CertificateStatus(row.status),
        not_before=row.not_before,
        not_after=row.not_after,
        application_id=row.application_id,
        revoked_at=row.revoked_at,
        reason=RevocationReason(row.reason) if row.reason else None,
        der=row.der,
        crl_partition=row.crl_partition,
    )


def _obj(serial_hex: str) -> str:
    return f"certificate:{serial_hex}"


# Issuance is the hot path (thousands a second): a pooled connection per transaction and the
# ORM's unit of work each cost more than the signature. So the two issuance transactions run on
# one connection this repository keeps, with statements compiled once by SQLAlchemy for the
# dialect and executed on the driver's cursor.
_CERTS = cast(Table, Certificate.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)
_HEAD = cast(Table, AuditHead.__table__)
_INSERT_PENDING = insert(_CERTS).values(
    {
        name: bindparam(name)
        for name in (
            "serial_hex",
            "subject",
            "profile",
            "application_id",
            "status",
            "not_before",
            "not_after",
            "tbs_der",
            "created_at",
            "crl_partition",
        )
    }
)
_COMPLETE = (
    update(_CERTS)
    .where(_CERTS.c.serial_hex == bindparam("b_serial"))
    .where(_CERTS.c.status == CertificateStatus.PENDING.value)
    .values(der=bindparam("b_der"), status=CertificateStatus.GOOD.value)
)
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT_EVENT = insert(_EVENTS).values(
    {
        name: bindparam(name)
        for name in ("seq", "time", "operator", "action", "object", "details", "prev_hash", "hash")
    }
)
_MOVE_HEAD = (
    update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("b_seq"), hash=bindparam("b_hash"))
)
_RECORD_COLUMNS = (
    _CERTS.c.serial_hex,
    _CERTS.c.subject,
    _CERTS.c.profile,
    _CERTS.c.status,
    _CERTS.c.not_before,
    _CERTS.c.not_after,
    _CERTS.c.application_id,
    _CERTS.c.revoked_at,
    _CERTS.c.reason,
    _CERTS.c.der,
    _CERTS.c.crl_partition,
)
_REVOKED = select(_CERTS.c.serial_hex, _CERTS.c.revoked_epoch, _CERTS.c.reason).where(
    _CERTS.c.status.in_(REVOKED_STATUSES)
)
# The kept entries, concatenated by the database itself (SQLite: the BLOBs through group_concat,
# byte for byte, cast back to a BLOB; PostgreSQL: string_agg over bytea).
_JOINED_ENTRIES = {
    "sqlite": "SELECT CAST(group_concat(crl_entry, x'') AS BLOB), count(*) FROM ca_certificates"
    " WHERE crl_entry IS NOT NULL",
    "postgresql": "SELECT string_agg(crl_entry, ''::bytea), count(*) FROM ca_certificates"
    " WHERE crl_entry IS NOT NULL",
}


def _scope(partition: int | None) -> Any:
    """The stored CRLs of one scope: the complete CRL, or one partition's."""
    if partition is None:
        return CRLRecord.partition.is_(None)
    return CRLRecord.partition == partition


_REVOKED_COUNT = select(func.count()).where(_CERTS.c.status.in_(REVOKED_STATUSES))
CRL_DELTA_LIMIT = 64  # status changes since the newest CRL applied to it; more: read all
_STATUS_ACTIONS = ("certificate.hold", "certificate.release", "certificate.revoke")
_GET = select(*_RECORD_COLUMNS).where(_CERTS.c.serial_hex == bindparam("b_serial"))


_CERT_COLUMNS = state.columns_of(_CERTS)

WAL_AUTOCHECKPOINT = 10_000  # pages (40 MB of WAL at most between checkpoints)


class _Prepared:
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


class _HotPath:
    """One kept connection (per process) with the issuance statements prepared.

    The connection is checked out of the store's pool once and kept, so its driver
    connection carries the pool's connect-time set-up (WAL, busy timeout, foreign keys,
    synchronous=NORMAL on SQLite).
    """

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        self.insert_pending = _Prepared(_INSERT_PENDING, dialect)
        self.complete = _Prepared(_COMPLETE, dialect)
        self.lock_head = _Prepared(_LOCK_HEAD, dialect)
        self.insert_event = _Prepared(_INSERT_EVENT, dialect)
        self.move_head = _Prepared(_MOVE_HEAD, dialect)
        # UTCDateTime's own conversion (aware -> naive UTC -> the driver's form), not a copy.
        to_db = _CERTS.c.not_before.type.bind_processor(dialect)
        self.time = to_db if to_db is not None else (lambda v: v)
        self._engine = engine
        # The transaction is driven on the driver too (SQLAlchemy's begin/commit bookkeeping
        # was a fifth of the path): BEGIN IMMEDIATE on SQLite, as the store's engine does there
        # (one writer at a time, no lock upgrade); PostgreSQL's driver begins implicitly.
        self._begin = "BEGIN IMMEDIATE" if dialect.name == "sqlite" else None
        # Processes issuing into one SQLite file queue on a lock file before BEGIN IMMEDIATE:
        # the kernel wakes the next one the moment the lock is free, where SQLite's own busy
        # handler sleeps a millisecond or more (many transactions' worth) between tries.
        database = engine.url.database
        self._queue_path = (
            f"{database}-issue.lock"
            if dialect.name == "sqlite" and database and database != ":memory:"
            else None
        )
        self._queue_fd: int | None = None
        self._queue_pid = 0
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
        with self._lock, self._queued():
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

    @contextmanager
    def _queued(self) -> Iterator[None]:
        if self._queue_path is None or fcntl is None:
            yield
            return
        if self._queue_fd is None or self._queue_pid != os.getpid():
            # Opened by each process itself: a descriptor inherited over fork() would share
            # one lock between parent and child.
            self._queue_fd = os.open(self._queue_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._queue_pid = os.getpid()
        fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)

    def _drop(self) -> None:
        # A broken connection is not reused; the next transaction opens a fresh one.
        if self._conn is not None:
            with suppress(Exception):
                self._conn.invalidate()
            self._conn = None


def append_audit(
    hot: _HotPath, cursor: Any, *, operator: str, action: str, obj: str, details: dict[str, Any]
) -> None:
    """:func:`counter_app.store.audit.append` on the hot path: same chain, same hashes.

    The head row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite's BEGIN IMMEDIATE already
    holds the writer lock), exactly as ``audit.append`` does, so both extend one chain.
    """
    seq, prev = hot.lock_head.run(cursor, {}).fetchone()
    when = utcnow()
    seq += 1
    text = audit.encode_details(details)
    digest = audit.chain_hash(prev, audit.canonical_content(seq, when, operator, action, obj, text))
    hot.insert_event.run(
        cursor,
        {
            "seq": seq,
            "time": hot.time(when),
            "operator": operator,
            "action": action,
            "object": obj,
            "details": text,
            "prev_hash": prev,
            "hash": digest,
        },
    )
    hot.move_head.run(cursor, {"b_seq": seq, "b_hash": digest})


class SQLCertificateRepository:
    """:class:`counter_app.ca.CertificateRepository` on our SQLAlchemy store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._hot_path: _HotPath | None = None
        # When each reserved record was made, until it is completed: its digest covers it.
        self._reserved_at: dict[str, dt.datetime] = {}

    @property
    def _hot(self) -> _HotPath:
        if self._hot_path is None:
            self._hot_path = _HotPath(self._store.engine)
        return self._hot_path

    def reserve(self, pending: PendingCertificate) -> None:
        self.reserve_many((pending,))

    def reserve_many(self, pendings: Sequence[PendingCertificate]) -> None:
        hot = self._hot
        try:
            with hot.transaction() as cursor:
                now = utcnow()
                created = hot.time(now)
                for pending in pendings:
                    hot.insert_pending.run(
                        cursor,
                        {
                            "serial_hex": pending.serial_hex,
                            "subject": pending.subject,
                            "profile": pending.profile,
                            "application_id": pending.application_id,
                            "status": CertificateStatus.PENDING.value,
                            "not_before": hot.time(pending.not_before),
                            "not_after": hot.time(pending.not_after),
                            "tbs_der": pending.tbs_der,
                            "created_at": created,
                            "crl_partition": pending.crl_partition,
                        },
                    )
        except hot.integrity_error:
            serials = ", ".join(p.serial_hex for p in pendings)
            raise CAError(detail=f"serial already recorded: {serials}") from None
        for pending in pendings:
            self._reserved_at[pending.serial_hex] = now

    def complete(self, pending: PendingCertificate, der: bytes) -> None:
        self.complete_many(((pending, der),))

    def complete_many(self, signed: Sequence[tuple[PendingCertificate, bytes]]) -> None:
        hot = self._hot
        with hot.transaction() as cursor:
            for pending, der in signed:
                serial = pending.serial_hex
                # The pending row is ours (just reserved): no need to read it back, only to
                # check that it is still pending (a recovery may have revoked it meanwhile).
                if hot.complete.run(cursor, {"b_serial": serial, "b_der": der}).rowcount != 1:
                    raise CAError(detail=f"serial {serial} is not pending")
                append_audit(
                    hot,
                    cursor,
                    operator=pending.operator,
                    action="certificate.issue",
                    obj=_obj(serial),
                    details={
                        "profile": pending.profile,
                        "subject": pending.subject,
                        "application_id": pending.application_id,
                        "not_after": pending.not_after.astimezone(dt.UTC).isoformat(),
                        "sha256": hashlib.sha256(der).hexdigest(),
                        state.DETAILS_KEY: self._issued_digest(pending, der),
                    },
                )

    def _issued_digest(self, pending: PendingCertificate, der: bytes) -> dict[str, Any]:
        """The row digest of a record just completed (the hot path bypasses the session events)."""
        created = self._reserved_at.pop(pending.serial_hex, None)
        if created is None:  # reserved by another repository object: read when it was
            with self._store.engine.connect() as conn:
                created = conn.execute(
                    select(Certificate.created_at).where(
                        Certificate.serial_hex == pending.serial_hex
                    )
                ).scalar_one()
        values = {
            "serial_hex": pending.serial_hex,
            "subject": pending.subject,
            "profile": pending.profile,
            "application_id": pending.application_id,
            "status": CertificateStatus.GOOD.value,
            "not_before": pending.not_before,
            "not_after": pending.not_after,
            "tbs_der": pending.tbs_der,
            "der": der,
            "created_at": created,
            "revoked_at": None,
            "revoked_epoch": None,
            "reason": None,
            "crl_entry": None,
            "crl_partition": pending.crl_partition,
        }
        digests = state.Digests()
        digests.add(_CERTS.name, pending.serial_hex, state.row_digest(_CERT_COLUMNS, values))
        return digests.details()

    def get(self, serial_hex: str) -> CertificateRecord | None:
        try:
            with self._store.engine.connect() as conn:
                row = conn.execute(_GET, {"b_serial": serial_hex}).one_or_none()
        except OperationalError as exc:
            raise store_error(exc) from exc
        return None if row is None else _record(row)

    def serial_for_application(self, application_id: str) -> str | None:
        """The certificate reserved or issued for an application, if any (recovery's question
        after a crash between the signing module's record and the counter's journal)."""
        with self._store.engine.connect() as conn:
            return conn.execute(
                select(Certificate.serial_hex)
                .where(Certificate.application_id == application_id)
                .order_by(Certificate.not_before.desc())
            ).scalar()

    def change_status(
        self, serial_hex: str, decide: Callable[[CertificateRecord], StatusChange]
    ) -> CertificateRecord:
        with self._store.session() as session:
            row = session.execute(
                select(Certificate).where(Certificate.serial_hex == serial_hex).with_for_update()
            ).scalar_one_or_none()
            if row is None:
                raise CertificateNotFound(serial=serial_hex)
            before = row.status
            change = decide(_record(row))
            row.status = change.status.value
            row.revoked_at = change.revoked_at
            row.revoked_epoch = (
                None if change.revoked_at is None else int(change.revoked_at.timestamp())
            )
            row.reason = None if change.reason is None else change.reason.value
            row.crl_entry = (
                None
                if change.revoked_at is None or row.status not in REVOKED_STATUSES
                else encode_entry(row.serial_hex, row.revoked_epoch or 0, row.reason)
            )
            details: dict[str, Any] = {"from": before, "to": change.status.value}
            if change.reason is not None:
                details["reason"] = change.reason.value
            if change.revoked_at is not None:
                details["time"] = change.revoked_at.isoformat()
            audit.append(
                session,
                operator=change.operator,
                action=change.action,
                obj=_obj(serial_hex),
                details=details,
            )
            return _record(row)

    def status_changes_since(self, seq: int) -> tuple[int, list[str]]:
        # The head is read first: events up to it are committed (seqs are taken under its row
        # lock, so none below it can still appear). Only the events since ``seq`` are read.
        try:
            with self._store.engine.connect() as conn:
                head = conn.execute(select(_HEAD.c.seq).where(_HEAD.c.id == 1)).scalar() or 0
                if head <= seq:
                    return head, []
                rows = conn.execute(
                    select(_EVENTS.c.object)
                    .where(_EVENTS.c.seq > seq, _EVENTS.c.seq <= head)
                    .where(_EVENTS.c.action.in_(_STATUS_ACTIONS))
                ).scalars()
                return head, [obj.removeprefix("certificate:") for obj in rows]
        except OperationalError as exc:
            raise store_error(exc) from exc

    def crl_snapshot(self, *, full: bool = False) -> CRLSnapshot:
        with self._store.session() as session:
            state = session.execute(
                select(CAState).where(CAState.id == 1).with_for_update()
            ).scalar_one()
            state.crl_number += 1
            number = state.crl_number
            # The head first: the rows read after it reflect at least every change up to it.
            head = session.execute(select(_HEAD.c.seq).where(_HEAD.c.id == 1)).scalar() or 0
            if not full:
                delta = self._crl_delta(session, number, head)
                if delta is not None:
                    return delta
            # A million entries: kept encoded, concatenated by the database in this transaction
            # from the covering index (one value: no row reaches Python).
            joined = _JOINED_ENTRIES.get(session.get_bind().dialect.name)
            if joined is None:  # another database: the entries as rows, joined here
                kept = list(
                    session.execute(
                        select(_CERTS.c.crl_entry).where(_CERTS.c.crl_entry.is_not(None))
                    ).scalars()
                )
                encoded, count = b"".join(kept), len(kept)
            else:
                value, count = session.execute(text(joined)).one()
                encoded = bytes(value or b"")
            # As many entries as certificates on hold or revoked (the status index, counted):
            # otherwise some row lacks its kept entry (written by hand), and the list is read
            # row by row, so that a CRL never misses a revocation.
            if count != session.execute(_REVOKED_COUNT).scalar():
                rows = [tuple(r) for r in session.execute(_REVOKED)]
                return CRLSnapshot(number, rows, head)  # type: ignore[arg-type]
            return CRLSnapshot(number, [], head, encoded=encoded)

    def _crl_delta(self, session: Any, number: int, head: int) -> CRLSnapshot | None:
        """The newest stored CRL and what changed since it; None when a full read is better."""
        base = session.execute(
            select(CRLRecord.number, CRLRecord.der)
            .where(CRLRecord.partition.is_(None))
            .order_by(CRLRecord.number.desc())
            .limit(1)
        ).one_or_none()
        if base is None:
            return None
        details = session.execute(
            select(_EVENTS.c.details)
            .where(_EVENTS.c.object == f"crl:{base.number}")
            .where(_EVENTS.c.action == "crl.publish")
            .order_by(_EVENTS.c.seq.desc())
            .limit(1)
        ).scalar()
        since = json.loads(details).get("status_seq") if details else None
        if not isinstance(since, int):
            return None  # made before CRLs recorded it: read everything once
        changed = sorted(
            {
                obj.removeprefix("certificate:")
                for obj in session.execute(
                    select(_EVENTS.c.object)
                    .where(_EVENTS.c.seq > since, _EVENTS.c.seq <= head)
                    .where(_EVENTS.c.action.in_(_STATUS_ACTIONS))
                ).scalars()
            }
        )
        if len(changed) > CRL_DELTA_LIMIT:
            return None  # each removal searches the list once: past this, reading it is cheaper
        rows: list[tuple[str, int, str | None]] = []
        if changed:
            rows = [
                (r.serial_hex, r.revoked_epoch, r.reason)
                for r in session.execute(
                    select(_CERTS.c.serial_hex, _CERTS.c.revoked_epoch, _CERTS.c.reason)
                    .where(_CERTS.c.serial_hex.in_(changed))
                    .where(_CERTS.c.status.in_(REVOKED_STATUSES))
                )
            ]
        return CRLSnapshot(number, rows, head, base.der, changed)

    def save_crl(self, crl: PublishedCRL, operator: str) -> bool:
        with self._store.session() as session:
            session.execute(select(CAState).where(CAState.id == 1).with_for_update()).scalar_one()
            scope = _scope(crl.partition)
            newest = session.execute(select(func.max(CRLRecord.number)).where(scope)).scalar()
            if newest is not None and newest >= crl.number:
                return False
            session.execute(delete(CRLRecord).where(scope))
            session.add(
                CRLRecord(
                    number=crl.number,
                    this_update=crl.this_update,
                    next_update=crl.next_update,
                    der=crl.der,
                    partition=crl.partition,
                )
            )
            audit.append(
                session,
                operator=operator,
                action="crl.publish",
                obj=f"crl:{crl.number}",
                details={
                    "this_update": crl.this_update.isoformat(),
                    "next_update": crl.next_update.isoformat(),
                    "sha256": hashlib.sha256(crl.der).hexdigest(),
                    # The audit event its list reflects: the next CRL starts from this one.
                    **({} if crl.status_seq is None else {"status_seq": crl.status_seq}),
                    **({} if crl.partition is None else {"partition": crl.partition}),
                },
            )
            return True

    def latest_crl(self) -> PublishedCRL | None:
        return self._latest(None)

    def latest_partition_crl(self, partition: int) -> PublishedCRL | None:
        return self._latest(partition)

    def _latest(self, partition: int | None) -> PublishedCRL | None:
        with self._store.session() as session:
            row = session.execute(
                select(CRLRecord)
                .where(_scope(partition))
                .order_by(CRLRecord.number.desc())
                .limit(1)
            ).scalar_one_or_none()
            if row is None:
                return None
            return PublishedCRL(
                row.number, row.this_update, row.next_update, row.der, partition=row.partition
            )

    def partition_fill(self) -> tuple[int, int]:
        with self._store.engine.connect() as conn:
            highest = conn.execute(select(func.max(_CERTS.c.crl_partition))).scalar()
            if highest is None:
                return 0, 0
            count = conn.execute(
                select(func.count()).where(_CERTS.c.crl_partition == highest)
            ).scalar_one()
            return int(highest), int(count)

    def partition_snapshot(self, partition: int) -> CRLSnapshot:
        with self._store.session() as session:
            state = session.execute(
                select(CAState).where(CAState.id == 1).with_for_update()
            ).scalar_one()
            state.crl_number += 1
            number = state.crl_number
            head = session.execute(select(_HEAD.c.seq).where(_HEAD.c.id == 1)).scalar() or 0
            # The partition's kept entries, from the covering index (crl_partition, crl_entry);
            # rows lacking their kept entry are read as rows, as for the complete CRL.
            kept = session.execute(
                select(_CERTS.c.crl_entry)
                .where(_CERTS.c.crl_entry.is_not(None))
                .where(_CERTS.c.crl_partition == partition)
            ).scalars()
            encoded = b"".join(kept)
            rows = [
                tuple(r)
                for r in session.execute(
                    _REVOKED.where(_CERTS.c.crl_entry.is_(None)).where(
                        _CERTS.c.crl_partition == partition
                    )
                )
            ]
            return CRLSnapshot(number, rows, head, encoded=encoded)  # type: ignore[arg-type]

    def latest_crl_number(self) -> int:
        with self._store.session() as session:
            return session.execute(select(func.max(CRLRecord.number))).scalar() or 0


HSMKeyLoader = Callable[
    [CASettings], tuple[CertificateIssuerPrivateKeyTypes, CertificateIssuerPrivateKeyTypes]
]


def open_signing_module(
    config: Config,
    store: Store,
    passphrase_provider: Callable[[], str],
    *,
    hsm_keys: HSMKeyLoader | None = None,
    profiles_path: str | None = None,
) -> CertificateAuthority:
    """The CA of this data dir, ready to issue: keys decrypted (or opened on the HSM).

    ``passphrase_provider`` is only called for keys kept at rest; ``hsm_keys`` returns the
    issuing and responder keys when ``ca init`` put them in an HSM.
    """
    files = CAFiles.in_data_dir(config.data_dir)
    settings = files.load_settings()
    if settings.key_storage == "hsm":
        if hsm_keys is None:
            raise CAError(detail="the CA keys are in an HSM but no HSM access was given")
        issuing_key, responder_key = hsm_keys(settings)
    else:
        passphrase = passphrase_provider()
        issuing_key = files.load_key("issuing", passphrase)
        responder_key = files.load_key("ocsp", passphrase)
    keys = CAKeys(
        root=files.load_cert("root"),
        issuing=files.load_cert("issuing"),
        issuing_key=issuing_key,
        responder=files.load_cert("ocsp"),
        responder_key=responder_key,
    )
    path = profiles_path or config.extra.get("profiles") or resource_path("profiles.toml")
    from pathlib import Path

    return CertificateAuthority(
        keys=keys,
        repository=SQLCertificateRepository(store),
        profiles=load_profiles(Path(str(path))),
        urls=CAUrls.from_base(settings.base_url),
        identifier_salt=settings.identifier_salt,
        on_crl=lambda crl: files.publish_crl(crl.der),
        on_status_change=lambda serial: files.mark_status_change(),
        crl_partition_size=settings.crl_partition_size,
    )
