"""Tables of the foundation: operators and the audit chain.

Later parts of the product add their own modules of models on the same :class:`Base` and their
own Alembic revisions. Money is integer fen; times are UTC-aware (:class:`UTCDateTime`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from counter_app.store.types import UTCDateTime

ROLES = ("clerk", "reviewer", "supervisor", "admin")


class Base(DeclarativeBase):
    pass


class Operator(Base):
    """A person who signs in at the counter: clerk (受理员), reviewer (审核员), supervisor, admin."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Sign-in lockout: failures in a row since the last success, and the end of a lock.
    failed_signins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        CheckConstraint(
            "role IN ('clerk','reviewer','supervisor','admin')", name="ck_operator_role"
        ),
    )


class AuditEvent(Base):
    """One link of one of the append-only audit chains (one per counter, one for the signing
    module, and the chain a store held before there were several: ``main``).

    ``hash`` = SHA-256(previous hash || canonical JSON of seq, time, operator, action, object,
    details and, outside ``main``, the chain). ``seq`` starts at 1 in each chain, without gaps.
    """

    __tablename__ = "audit_events"

    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    operator: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object: Mapped[str] = mapped_column(String(255), index=True)
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One chain's head: a row per chain, locked while events are appended to that chain so its
    writers never fork it (the other chains' writers never wait for it).

    It also records the last sequence number and hash, so deleting the newest events is caught.
    """

    __tablename__ = "audit_head"

    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditRowVersion(Base):
    """How many times the chains recorded a tracked row's digest, for rows changed after their
    first record: the next record of the row carries the next version, so ``audit verify`` knows
    which of several chains' records is the newest (store/state.py). Only the writers read it; a
    row without one has been recorded once at most (its insert)."""

    __tablename__ = "audit_row_versions"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
