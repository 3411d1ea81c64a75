"""Money on PostgreSQL: the domain allows twelve digits of yuan, which need 64-bit fen."""

from __future__ import annotations

from sqlalchemy import select

from counter_app.store.counter import ApplicationRow, PaymentRow, SubscriberRow
from counter_app.store.db import open_store
from counter_app.store.types import utcnow

TWELVE_DIGITS_OF_YUAN_IN_FEN = 999_999_999_999_99


def test_a_twelve_digit_amount_round_trips_on_postgresql(pg_url: str) -> None:
    store = open_store(pg_url)
    now = utcnow()
    try:
        with store.session() as session:
            subscriber = SubscriberRow(
                kind="individual",
                identity="X",
                name="张三",
                data="{}",
                created_at=now,
                updated_at=now,
            )
            session.add(subscriber)
            session.flush()
            session.add(
                ApplicationRow(
                    id="A-MONEY-1",
                    service="enroll",
                    status="open",
                    certificate_type="individual",
                    subscriber_id=subscriber.id,
                    clerk="clerk1",
                    data="{}",
                    created_at=now,
                )
            )
            session.flush()
            session.add(
                PaymentRow(
                    receipt_number="R-MONEY-1",
                    application_id="A-MONEY-1",
                    service="enroll",
                    certificate_type="individual",
                    payer="张三",
                    fee_fen=TWELVE_DIGITS_OF_YUAN_IN_FEN,
                    method="cash",
                    tendered_fen=TWELVE_DIGITS_OF_YUAN_IN_FEN,
                    change_fen=0,
                    clerk="clerk1",
                    time=now,
                )
            )
        with store.session() as session:
            row = session.scalars(
                select(PaymentRow).where(PaymentRow.receipt_number == "R-MONEY-1")
            ).one()
            assert row.fee_fen == row.tendered_fen == TWELVE_DIGITS_OF_YUAN_IN_FEN
    finally:
        store.close()
