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
    """One link of the append-only audit chain.

    ``hash`` = SHA-256(previous hash || canonical JSON of seq, time, operator, action, object,
    details). ``seq`` starts at 1 and has no gaps.
    """

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    operator: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object: Mapped[str] = mapped_column(String(255), index=True)
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's head: one row, locked while an event is appended so counters never fork it.

    It also records the last sequence number and hash, so deleting the newest events is caught.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
