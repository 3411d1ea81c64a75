"""A service that fails after payment is rolled back: the payment row stays as it was and one
refund row, linked to the receipt, gives the money back; a waiver has nothing to refund."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from counter_app.services.certificates import show_application
from counter_app.services.pipeline import ServiceRolledBack
from counter_app.store.counter import PaymentRow, RefundRow
from counter_app.token.errors import TokenError
from tests.unit.services.conftest import Counter, waived_device


def _failing_write(counter: Counter, label: str) -> None:
    device = counter.tokens.add(label)
    device.fail_write = TokenError(detail="the token refused the certificate object")


def test_rolled_back_service_keeps_the_payment_and_adds_one_refund(counter: Counter) -> None:
    _failing_write(counter, "SUB1")
    with pytest.raises(ServiceRolledBack) as info:
        counter.enroll(label="SUB1")
    app_id = info.value.data["application"]
    shown = show_application(counter.ctx, app_id)
    assert shown["status"] == "rolled_back"
    [payment] = shown["payments"]
    # The example pays 100.00 in cash with 150.00 tendered: the receipt as it was taken.
    assert (payment["method"], payment["fee_fen"]) == ("cash", 10000)
    assert (payment["tendered_fen"], payment["change_fen"]) == (15000, 5000)
    [refund] = shown["refunds"]
    assert refund["receipt_number"] == payment["receipt_number"]
    assert (refund["amount_fen"], refund["method"]) == (10000, "cash")
    with counter.store.session() as session:
        assert len(session.execute(select(PaymentRow)).scalars().all()) == 1
        assert len(session.execute(select(RefundRow)).scalars().all()) == 1


def test_rolled_back_service_revokes_what_it_issued_and_deletes_the_key(
    counter: Counter,
) -> None:
    _failing_write(counter, "SUB1")
    with pytest.raises(ServiceRolledBack) as info:
        counter.enroll(label="SUB1")
    issued = counter.ca.serial_for_application(info.value.data["application"])
    assert issued is not None
    assert counter.status(issued) == "revoked"
    device = counter.tokens.by_label("SUB1")
    assert device.generated == 1
    assert device.keys == {} and device.certificates == []


def test_rolled_back_waiver_leaves_no_refund(counter: Counter) -> None:
    _failing_write(counter, "DEV1")
    with pytest.raises(ServiceRolledBack) as info:
        counter.enroll(waived_device(), label="DEV1", operators=counter.acting(supervisor="sup1"))
    shown = show_application(counter.ctx, info.value.data["application"])
    assert shown["status"] == "rolled_back"
    [payment] = shown["payments"]
    assert payment["method"] == "waiver"
    assert shown["refunds"] == []
    assert counter.counts().refunds == 0
