"""The repository ``ca/`` is handed: certificates and CRLs of the signing module on our store.

Each repository method is one transaction; every lifecycle change appends its audit event in
that same transaction (:mod:`counter_app.store.audit`). Issuance runs on the hot path of
:mod:`counter_app.store.prepared`. The tables are in :mod:`counter_app.store.ca_tables`; the
wiring that composes a ready CA, :func:`open_signing_module`, in
:mod:`counter_app.store.signing_module`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from counter_app.ca.crl import encode_entry
from counter_app.ca.errors import CAError, CertificateNotFound
from counter_app.ca.model import (
    CertificateRecord,
    CRLSnapshot,
    PendingCertificate,
    PublishedCRL,
    RecordStatus,
    StatusChange,
)
from counter_app.store import audit, state
from counter_app.store.ca_tables import (
    REVOKED_STATUSES,
    CAState,
    Certificate,
    CRLRecord,
    audit_object,
    crl_row,
    published,
    to_record,
)
from counter_app.store.db import Store, store_error
from counter_app.store.prepared import (
    CERT_COLUMNS,
    CERTS,
    CRL_DELTA_LIMIT,
    EVENTS,
    GET_RECORD,
    JOINED_ENTRIES,
    RECORD_COLUMNS,
    REVOKED,
    REVOKED_COUNT,
    SIGNING_HEAD,
    STATUS_ACTIONS,
    HotPath,
)
from counter_app.store.types import utcnow


def _scope(issuer: int, partition: int | None) -> Any:
    """The stored CRLs of one scope: an issuer's complete CRL, or one of its partitions'."""
    if partition is None:
        return (CRLRecord.issuer == issuer) & CRLRecord.partition.is_(None)
    return (CRLRecord.issuer == issuer) & (CRLRecord.partition == partition)


def _next_crl_number(session: Session) -> tuple[int, int]:
    """Take the next CRL number (the signing module's state row locked until the transaction
    ends) and read the audit head: the head first, so the rows read after it reflect at least
    every change up to it (the signing module's chain: its status changes are all there)."""
    state = session.execute(select(CAState).where(CAState.id == 1).with_for_update()).scalar_one()
    state.crl_number += 1
    head = session.execute(SIGNING_HEAD).scalar() or 0
    return state.crl_number, head


class SQLCertificateRepository:
    """:class:`counter_app.ca.CertificateRepository` on our SQLAlchemy store.

    ``issuer``: the issuing CA (1, or 2... after ``ca rollover``) whose certificates this
    repository records and whose CRLs it builds; looking a serial up answers for any issuer.
    """

    def __init__(self, store: Store, issuer: int = 1) -> None:
        self._store = store
        self.issuer = issuer
        self._of_issuer = {"b_issuer": issuer}
        self._hot_path: HotPath | None = None
        # When each reserved record was made, until it is completed: its digest covers it.
        self._reserved_at: dict[str, dt.datetime] = {}

    @property
    def _hot(self) -> HotPath:
        if self._hot_path is None:
            self._hot_path = HotPath(self._store.engine)
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
                            "status": RecordStatus.PENDING.value,
                            "not_before": hot.time(pending.not_before),
                            "not_after": hot.time(pending.not_after),
                            "tbs_der": pending.tbs_der,
                            "created_at": created,
                            "crl_partition": pending.crl_partition,
                            "issuer": self.issuer,
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
                audit.append_prepared(
                    hot,
                    cursor,
                    operator=pending.operator,
                    action="certificate.issue",
                    obj=audit_object(serial),
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
            "status": RecordStatus.GOOD.value,
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
            "issuer": self.issuer,
        }
        digests = state.Digests()
        digests.add(CERTS.name, pending.serial_hex, state.row_digest(CERT_COLUMNS, values))
        return digests.details()

    def get(self, serial_hex: str) -> CertificateRecord | None:
        try:
            with self._store.engine.connect() as conn:
                row = conn.execute(GET_RECORD, {"b_serial": serial_hex}).one_or_none()
        except OperationalError as exc:
            raise store_error(exc) from exc
        return None if row is None else to_record(row)

    def serial_for_application(self, application_id: str) -> str | None:
        """The certificate reserved or issued for an application, if any (recovery's question
        after a crash between the signing module's record and the counter's journal)."""
        with self._store.engine.connect() as conn:
            return conn.execute(
                select(Certificate.serial_hex)
                .where(Certificate.application_id == application_id)
                .order_by(Certificate.not_before.desc())
            ).scalar()

    def records(self, application_ids: Collection[str] | None = None) -> list[CertificateRecord]:
        """Issued records (not pending), soonest expiry first; only those of the given
        applications when ``application_ids`` is given."""
        query = (
            select(*RECORD_COLUMNS)
            .where(CERTS.c.status != RecordStatus.PENDING.value)
            .order_by(CERTS.c.not_after)
        )
        if application_ids is not None:
            query = query.where(CERTS.c.application_id.in_(list(application_ids)))
        try:
            with self._store.engine.connect() as conn:
                return [to_record(row) for row in conn.execute(query)]
        except OperationalError as exc:
            raise store_error(exc) from exc

    def change_status(
        self, serial_hex: str, decide: Callable[[CertificateRecord], StatusChange]
    ) -> CertificateRecord:
        with self._store.session(audit.SIGNING_CHAIN) as session:
            row = session.execute(
                select(Certificate).where(Certificate.serial_hex == serial_hex).with_for_update()
            ).scalar_one_or_none()
            if row is None:
                raise CertificateNotFound(serial=serial_hex)
            before = row.status
            change = decide(to_record(row))
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
                obj=audit_object(serial_hex),
                details=details,
            )
            return to_record(row)

    def status_changes_since(self, seq: int) -> tuple[int, list[str]]:
        # The head is read first: events up to it are committed (seqs are taken under its row
        # lock, so none below it can still appear). Only the events since ``seq`` are read.
        try:
            with self._store.engine.connect() as conn:
                head = conn.execute(SIGNING_HEAD).scalar() or 0
                if head <= seq:
                    return head, []
                rows = conn.execute(
                    select(EVENTS.c.object)
                    .where(EVENTS.c.chain == audit.SIGNING_CHAIN)
                    .where(EVENTS.c.seq > seq, EVENTS.c.seq <= head)
                    .where(EVENTS.c.action.in_(STATUS_ACTIONS))
                ).scalars()
                return head, [obj.removeprefix("certificate:") for obj in rows]
        except OperationalError as exc:
            raise store_error(exc) from exc

    def crl_snapshot(self, *, full: bool = False) -> CRLSnapshot:
        with self._store.session(audit.SIGNING_CHAIN) as session:
            number, head = _next_crl_number(session)
            if not full:
                delta = self._crl_delta(session, number, head)
                if delta is not None:
                    return delta
            # A million entries: kept encoded, concatenated by the database in this transaction
            # from the covering index (one value: no row reaches Python).
            joined = JOINED_ENTRIES.get(session.get_bind().dialect.name)
            if joined is None:  # another database: the entries as rows, joined here
                kept = list(
                    session.execute(
                        select(CERTS.c.crl_entry).where(
                            CERTS.c.issuer == self.issuer, CERTS.c.crl_entry.is_not(None)
                        )
                    ).scalars()
                )
                encoded, count = b"".join(kept), len(kept)
            else:
                value, count = session.execute(text(joined), self._of_issuer).one()
                encoded = bytes(value or b"")
            # As many entries as certificates on hold or revoked (the status index, counted):
            # otherwise some row lacks its kept entry (written by hand), and the list is read
            # row by row, so that a CRL never misses a revocation.
            if count != session.execute(REVOKED_COUNT, self._of_issuer).scalar():
                rows = [tuple(r) for r in session.execute(REVOKED, self._of_issuer)]
                return CRLSnapshot(number, rows, head)  # type: ignore[arg-type]
            return CRLSnapshot(number, [], head, encoded=encoded)

    def _crl_delta(self, session: Any, number: int, head: int) -> CRLSnapshot | None:
        """The newest stored CRL and what changed since it; None when a full read is better."""
        base = self._newest(session, None)
        if base is None:
            return None
        details = session.execute(
            select(EVENTS.c.details)
            .where(EVENTS.c.object == f"crl:{base.number}")
            .where(EVENTS.c.action == "crl.publish")
            .order_by(EVENTS.c.seq.desc())
            .limit(1)
        ).scalar()
        recorded = json.loads(details) if details else {}
        since = recorded.get("status_seq")
        if not isinstance(since, int) or recorded.get("status_chain") != audit.SIGNING_CHAIN:
            return None  # made before CRLs recorded it in the signing module's chain: read all

        changed = sorted(
            {
                obj.removeprefix("certificate:")
                for obj in session.execute(
                    select(EVENTS.c.object)
                    .where(EVENTS.c.chain == audit.SIGNING_CHAIN)
                    .where(EVENTS.c.seq > since, EVENTS.c.seq <= head)
                    .where(EVENTS.c.action.in_(STATUS_ACTIONS))
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
                    select(CERTS.c.serial_hex, CERTS.c.revoked_epoch, CERTS.c.reason)
                    .where(CERTS.c.serial_hex.in_(changed))
                    .where(CERTS.c.issuer == self.issuer)
                    .where(CERTS.c.status.in_(REVOKED_STATUSES))
                )
            ]
        return CRLSnapshot(number, rows, head, base.der, changed)

    def save_crl(self, crl: PublishedCRL, operator: str) -> bool:
        with self._store.session(audit.SIGNING_CHAIN) as session:
            session.execute(select(CAState).where(CAState.id == 1).with_for_update()).scalar_one()
            scope = _scope(self.issuer, crl.partition)
            newest = session.execute(select(func.max(CRLRecord.number)).where(scope)).scalar()
            if newest is not None and newest >= crl.number:
                return False
            session.execute(delete(CRLRecord).where(scope))
            session.add(crl_row(crl, self.issuer))
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
                    **(
                        {}
                        if crl.status_seq is None
                        else {"status_seq": crl.status_seq, "status_chain": audit.SIGNING_CHAIN}
                    ),
                    **({} if crl.partition is None else {"partition": crl.partition}),
                    **({} if self.issuer == 1 else {"issuer": self.issuer}),
                },
            )
            return True

    def latest_crl(self) -> PublishedCRL | None:
        return self._latest(None)

    def latest_partition_crl(self, partition: int) -> PublishedCRL | None:
        return self._latest(partition)

    def _latest(self, partition: int | None) -> PublishedCRL | None:
        with self._store.session(audit.SIGNING_CHAIN) as session:
            row = self._newest(session, partition)
            return None if row is None else published(row)

    def _newest(self, session: Session, partition: int | None) -> CRLRecord | None:
        """The newest stored CRL of one of this issuer's scopes (complete: ``partition`` None)."""
        return session.execute(
            select(CRLRecord)
            .where(_scope(self.issuer, partition))
            .order_by(CRLRecord.number.desc())
            .limit(1)
        ).scalar_one_or_none()

    def partition_fill(self) -> tuple[int, int]:
        with self._store.engine.connect() as conn:
            highest = conn.execute(
                select(func.max(CERTS.c.crl_partition)).where(CERTS.c.issuer == self.issuer)
            ).scalar()
            if highest is None:
                return 0, 0
            count = conn.execute(
                select(func.count()).where(
                    CERTS.c.issuer == self.issuer, CERTS.c.crl_partition == highest
                )
            ).scalar_one()
            return int(highest), int(count)

    def partition_snapshot(self, partition: int) -> CRLSnapshot:
        with self._store.session(audit.SIGNING_CHAIN) as session:
            number, head = _next_crl_number(session)
            # The partition's kept entries, from the covering index (crl_partition, crl_entry);
            # rows lacking their kept entry are read as rows, as for the complete CRL.
            kept = session.execute(
                select(CERTS.c.crl_entry)
                .where(CERTS.c.issuer == self.issuer)
                .where(CERTS.c.crl_entry.is_not(None))
                .where(CERTS.c.crl_partition == partition)
            ).scalars()
            encoded = b"".join(kept)
            rows = [
                tuple(r)
                for r in session.execute(
                    REVOKED.where(CERTS.c.crl_entry.is_(None)).where(
                        CERTS.c.crl_partition == partition
                    ),
                    self._of_issuer,
                )
            ]
            return CRLSnapshot(number, rows, head, encoded=encoded)  # type: ignore[arg-type]

    def outstanding(self, now: dt.datetime) -> dict[int, int]:
        """Per issuer, its certificates still needing status answers: issued (revoked ones stay
        on its CRL too) and not yet expired. An issuer absent here has none (``ca issuers``)."""
        query = (
            select(CERTS.c.issuer, func.count())
            .where(CERTS.c.status != RecordStatus.PENDING.value)
            .where(CERTS.c.not_after > now)
            .group_by(CERTS.c.issuer)
        )
        with self._store.engine.connect() as conn:
            return {int(issuer): int(count) for issuer, count in conn.execute(query)}

    def latest_crl_number(self) -> int:
        with self._store.session(audit.SIGNING_CHAIN) as session:
            return session.execute(select(func.max(CRLRecord.number))).scalar() or 0
