"""Certificates and CRLs of the signing module, and the repository ``ca/`` is handed.

Each repository method is one transaction; every lifecycle change appends its audit event in
that same transaction. :func:`open_signing_module` composes a ready CA from the data dir, the
store and a passphrase (or HSM-backed keys).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Integer,
    LargeBinary,
    String,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from counter_app.ca.authority import CAKeys, CertificateAuthority
from counter_app.ca.errors import CAError, CertificateNotFound
from counter_app.ca.hierarchy import CAFiles, CASettings
from counter_app.ca.model import (
    CertificateRecord,
    CertificateStatus,
    CRLSnapshot,
    PendingCertificate,
    PublishedCRL,
    RevocationReason,
    RevokedEntry,
    StatusChange,
)
from counter_app.ca.profiles import CAUrls, load_profiles
from counter_app.config import Config, resource_path
from counter_app.store import audit
from counter_app.store.db import Store
from counter_app.store.models import Base
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

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','good','hold','revoked')", name="ck_ca_certificate_status"
        ),
    )


class CRLRecord(Base):
    """The newest signed CRL (older ones are replaced; the audit chain keeps their digests)."""

    __tablename__ = "ca_crls"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    this_update: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    next_update: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    der: Mapped[bytes] = mapped_column(LargeBinary)


class CAState(Base):
    """One row: the last CRL number handed out (locked while the next is taken)."""

    __tablename__ = "ca_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crl_number: Mapped[int] = mapped_column(Integer)


def _record(row: Certificate) -> CertificateRecord:
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
    )


def _obj(serial_hex: str) -> str:
    return f"certificate:{serial_hex}"


class SQLCertificateRepository:
    """:class:`counter_app.ca.CertificateRepository` on our SQLAlchemy store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def reserve(self, pending: PendingCertificate) -> None:
        try:
            with self._store.session() as session:
                session.add(
                    Certificate(
                        serial_hex=pending.serial_hex,
                        subject=pending.subject,
                        profile=pending.profile,
                        application_id=pending.application_id,
                        status=CertificateStatus.PENDING.value,
                        not_before=pending.not_before,
                        not_after=pending.not_after,
                        tbs_der=pending.tbs_der,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            raise CAError(detail=f"serial {pending.serial_hex} already recorded") from None

    def complete(self, serial_hex: str, der: bytes, operator: str) -> None:
        with self._store.session() as session:
            row = session.get(Certificate, serial_hex)
            if row is None or row.status != CertificateStatus.PENDING.value:
                raise CAError(detail=f"serial {serial_hex} is not pending")
            row.der, row.status = der, CertificateStatus.GOOD.value
            audit.append(
                session,
                operator=operator,
                action="certificate.issue",
                obj=_obj(serial_hex),
                details={
                    "profile": row.profile,
                    "subject": row.subject,
                    "application_id": row.application_id,
                    "not_after": row.not_after.isoformat(),
                    "sha256": hashlib.sha256(der).hexdigest(),
                },
            )

    def get(self, serial_hex: str) -> CertificateRecord | None:
        with self._store.session() as session:
            row = session.get(Certificate, serial_hex)
            return None if row is None else _record(row)

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

    def crl_snapshot(self) -> CRLSnapshot:
        with self._store.session() as session:
            state = session.execute(
                select(CAState).where(CAState.id == 1).with_for_update()
            ).scalar_one()
            state.crl_number += 1
            number = state.crl_number
            rows = session.execute(
                select(Certificate.serial_hex, Certificate.revoked_epoch, Certificate.reason).where(
                    Certificate.status.in_(REVOKED_STATUSES)
                )
            ).all()
            return CRLSnapshot(number, _entries(rows))

    def save_crl(self, crl: PublishedCRL, operator: str) -> bool:
        with self._store.session() as session:
            session.execute(select(CAState).where(CAState.id == 1).with_for_update()).scalar_one()
            newest = session.execute(select(func.max(CRLRecord.number))).scalar()
            if newest is not None and newest >= crl.number:
                return False
            session.execute(delete(CRLRecord))
            session.add(
                CRLRecord(
                    number=crl.number,
                    this_update=crl.this_update,
                    next_update=crl.next_update,
                    der=crl.der,
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
                },
            )
            return True

    def latest_crl(self) -> PublishedCRL | None:
        with self._store.session() as session:
            row = session.execute(
                select(CRLRecord).order_by(CRLRecord.number.desc()).limit(1)
            ).scalar_one_or_none()
            if row is None:
                return None
            return PublishedCRL(row.number, row.this_update, row.next_update, row.der)

    def latest_crl_number(self) -> int:
        with self._store.session() as session:
            return session.execute(select(func.max(CRLRecord.number))).scalar() or 0


def _entries(rows: Any) -> list[RevokedEntry]:
    # A million rows: keep the per-row work to int(), a cached datetime and an enum lookup.
    reasons = {r.value: r for r in RevocationReason}
    times: dict[int, dt.datetime] = {}
    from_ts = dt.datetime.fromtimestamp
    out = []
    for serial_hex, epoch, reason in rows:
        when = times.get(epoch)
        if when is None:
            when = times[epoch] = from_ts(epoch, dt.UTC)
        out.append(RevokedEntry(int(serial_hex, 16), when, reasons[reason or "unspecified"]))
    return out


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
    )
