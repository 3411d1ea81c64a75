"""Tables of the counter services: subscribers, applications, agreement records, payments,
application items, numbering sequences and the enrollment journal.

Certificates themselves live in :mod:`counter_app.store.certificates` (the signing module's
records); an application refers to them by serial (hexadecimal text).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from counter_app.store.models import Base
from counter_app.store.types import UTCDateTime


class SubscriberRow(Base):
    """A unit (单位), individual (个人) or device (设备) as verified at the counter."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The identity key: resident ID number, USCC, or owner USCC + device identifier.
    identity: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("kind", "identity", name="uq_subscriber_identity"),)


class ApplicationRow(Base):
    """One counter service asked for: enroll, renew, change, add item, suspend, ... ."""

    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    service: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    certificate_type: Mapped[str] = mapped_column(String(16))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    clerk: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    key_algorithm: Mapped[str | None] = mapped_column(String(16), nullable=True)
    token_serial: Mapped[str | None] = mapped_column(String(64), nullable=True)
    token_label: Mapped[str | None] = mapped_column(String(64), nullable=True)
    old_serial: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    new_serial: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The supervisor who signed in for this service (a waiver, an emergency hold), if any.
    supervisor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What was verified that day, frozen (subscriber with the agent, documents, payment): every
    # printed form, reprints included, reads this and never the subscriber's current row.
    snapshot: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The counter (柜台) that took the service, for the day's close; None before it was kept.
    counter: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class AgreementRecord(Base):
    """The subscriber's acceptance of an agreement version, approved by a reviewer."""

    __tablename__ = "agreement_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), unique=True)
    version: Mapped[str] = mapped_column(String(16))
    text_sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    clerk: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64))
    # The subscriber's signature drawn on the pad (PNG) and its SHA-256; None when signed on
    # paper or before the subscriber's screen existed (migration 0008).
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)
    signature_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


class PaymentRow(Base):
    """A fee taken (integer fen) with its receipt number, or a waiver and who approved it."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_number: Mapped[str] = mapped_column(String(32), unique=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    service: Mapped[str] = mapped_column(String(16))
    certificate_type: Mapped[str] = mapped_column(String(16))
    payer: Mapped[str] = mapped_column(String(200))
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))
    tendered_fen: Mapped[int] = mapped_column(BigInteger)
    change_fen: Mapped[int] = mapped_column(BigInteger)
    waiver_reference: Mapped[str | None] = mapped_column(String(128), nullable=True)
    waiver_approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    clerk: Mapped[str] = mapped_column(String(64))
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The counter whose till took the money (None for rows older than the day close).
    counter: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class RefundRow(Base):
    """Money given back for a service that was rolled back or refused after payment.

    A payment row is never edited or deleted: a refund is a row of its own with its own number,
    linked to the receipt it refunds.
    """

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    refund_number: Mapped[str] = mapped_column(String(32), unique=True)
    receipt_number: Mapped[str] = mapped_column(ForeignKey("payments.receipt_number"), index=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    clerk: Mapped[str] = mapped_column(String(64))
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The counter whose till gave the money back.
    counter: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class CertificateItem(Base):
    """An application item (增加应用项): a relying system the certificate is registered for."""

    __tablename__ = "certificate_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("serial", "item_code", name="uq_certificate_item"),)


class Sequence(Base):
    """Numbering per name and day (receipts, applications), taken under a row lock."""

    __tablename__ = "sequences"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class JournalEntry(Base):
    """Where a token service stands, committed before each next step (the recovery record)."""

    __tablename__ = "journal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), unique=True)
    service: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16), index=True)
    token_serial: Mapped[str | None] = mapped_column(String(64), nullable=True)
    token_label: Mapped[str | None] = mapped_column(String(64), nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cert_serial: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Who is working on the entry ("host:pid:start") and until when the claim holds without a
    # renewal; recovery never takes an entry whose owner is alive.
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# The supervisor's desk keeps its tables in a module of its own; importing it here puts them in
# the metadata wherever the counter's tables are (migrations, audit verify).
from counter_app.store import backoffice as _backoffice  # noqa: E402,F401
