"""Tables of the supervisor's desk (后台): day closes, the token stock and expiry notices.

Every row here is a fact of its time. A day close is never edited: a reopening is a row of its
own, and the day is closed while its newest row says ``close``. The three tables are tracked by
the audit chain (:mod:`counter_app.store.state`), so ``audit verify`` names a row changed
behind the application's back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from counter_app.store.models import Base
from counter_app.store.types import UTCDateTime


class DayCloseRow(Base):
    """日结: a business day at one counter closed (with the till counted) or reopened."""

    __tablename__ = "day_closes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The business day in the RA's time zone, YYYY-MM-DD.
    day: Mapped[str] = mapped_column(String(10), index=True)
    counter: Mapped[str] = mapped_column(String(32), index=True)
    # "close" or "reopen".
    action: Mapped[str] = mapped_column(String(8))
    expected_cash_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    counted_cash_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    difference_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The day's figures as they stood when it was closed (JSON), for the printed report.
    figures: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    supervisor: Mapped[str] = mapped_column(String(64))
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StockTokenRow(Base):
    """介质库存: a blank token the RA received, and where it is now."""

    __tablename__ = "token_stock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    batch: Mapped[str] = mapped_column(String(64), index=True)
    # in-stock | issued | returned | faulty | lost
    status: Mapped[str] = mapped_column(String(16), index=True)
    application_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    received_by: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ExpiryNoticeRow(Base):
    """到期提醒: one e-mail sent about one certificate for one reminder window."""

    __tablename__ = "expiry_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), index=True)
    window_days: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(254))
    subscriber_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message_id: Mapped[str] = mapped_column(String(128))
    operator: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("serial", "window_days", name="uq_expiry_notice_window"),)
