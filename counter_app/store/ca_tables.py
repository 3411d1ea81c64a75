"""The signing module's tables (ORM models) and how a row reads as a :class:`CertificateRecord`
or a :class:`PublishedCRL`."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from counter_app.ca.model import CertificateRecord, PublishedCRL, RecordStatus, RevocationReason
from counter_app.store.models import Base
from counter_app.store.types import UTCDateTime

STATUSES = tuple(s.value for s in RecordStatus)
REVOKED_STATUSES = (RecordStatus.HOLD.value, RecordStatus.REVOKED.value)


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
    # The issuing CA that signed it (1, then 2 after ``ca rollover``...): its CRL lists it.
    issuer: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','good','hold','revoked')", name="ck_ca_certificate_status"
        ),
        Index(
            "ix_ca_certificates_crl_entry",
            "issuer",
            "crl_partition",
            "crl_entry",
            sqlite_where=text("crl_entry IS NOT NULL"),
            postgresql_where=text("crl_entry IS NOT NULL"),
        ),
        # One issuer's certificates on hold or revoked, counted without reading the table.
        Index("ix_ca_certificates_issuer_status", "issuer", "status"),
    )


class CRLRecord(Base):
    """The newest signed CRL of each scope: each issuer's complete CRL (``partition`` NULL)
    and each partition CRL (older ones are replaced; the audit chain keeps their digests)."""

    __tablename__ = "ca_crls"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    this_update: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    next_update: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    der: Mapped[bytes] = mapped_column(LargeBinary)
    partition: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    issuer: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class CAState(Base):
    """One row: the last CRL number handed out (locked while the next is taken)."""

    __tablename__ = "ca_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crl_number: Mapped[int] = mapped_column(Integer)


# The columns a CertificateRecord is read from: its fields, by name (prepared.RECORD_COLUMNS).
RECORD_FIELDS = tuple(field.name for field in fields(CertificateRecord))
# What a stored CRL keeps of a PublishedCRL (its ``status_seq`` is in its audit event).
CRL_FIELDS = ("number", "this_update", "next_update", "der", "partition")


def to_record(row: Any) -> CertificateRecord:
    """The record ``ca/`` reads: from an ORM Certificate or a Core row of RECORD_COLUMNS."""
    values = {name: getattr(row, name) for name in RECORD_FIELDS}
    values["status"] = RecordStatus(row.status)
    values["reason"] = RevocationReason(row.reason) if row.reason else None
    return CertificateRecord(**values)


def crl_row(crl: PublishedCRL, issuer: int) -> CRLRecord:
    """The row that keeps ``crl`` as the newest of its scope for ``issuer``."""
    return CRLRecord(issuer=issuer, **{name: getattr(crl, name) for name in CRL_FIELDS})


def published(row: CRLRecord) -> PublishedCRL:
    """A stored CRL as ``ca/`` reads it."""
    return PublishedCRL(**{name: getattr(row, name) for name in CRL_FIELDS})


def audit_object(serial_hex: str) -> str:
    """The audit events' ``object`` of a certificate."""
    return f"certificate:{serial_hex}"
