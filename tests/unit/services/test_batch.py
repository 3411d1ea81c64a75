"""批量更新: a unit's certificate and its device's renewed in one sitting: one payment of the
total, one receipt listing each certificate, each certificate its own journaled service, and a
failure that refunds only its own share."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from counter_app.domain.fees import SettlementForm
from counter_app.services import batch, daybook
from counter_app.services.documents import render
from counter_app.store.counter import ApplicationRow, JournalEntry, PaymentRow, RefundRow
from counter_app.token.errors import TokenError
from tests.unit.services.conftest import Counter, unit, waived_device
from tests.unit.services.fakes import USER_PIN

UNIT_RENEW, DEVICE_RENEW = 25000, 40000  # resources/fees.toml


def certificates(counter: Counter) -> dict[str, str]:
    """The unit's certificate on UNIT1 and its device's on DEV1, both in the renewal window."""
    serials = {
        "unit": counter.enroll(unit(), label="UNIT1").serial,
        "device": counter.enroll(
            waived_device(), label="DEV1", operators=counter.acting(supervisor="sup1")
        ).serial,
    }
    counter.clock.advance(days=340)
    return serials


def request(entries: list[dict[str, str]], method: str = "card") -> batch.BatchRequest:
    return batch.BatchRequest.parse(entries, USER_PIN, SettlementForm(method=method))


def both(serials: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"serial": serials["unit"], "token_label": "UNIT1"},
        {"serial": serials["device"], "token_label": "DEV1"},
    ]


def payments(counter: Counter, service: str = batch.BATCH_SERVICE) -> list[PaymentRow]:
    with counter.store.session() as session:
        return list(
            session.execute(select(PaymentRow).where(PaymentRow.service == service)).scalars()
        )


def refunds(counter: Counter) -> list[RefundRow]:
    with counter.store.session() as session:
        return list(session.execute(select(RefundRow)).scalars())


def test_one_payment_of_the_total_and_each_certificate_renewed(counter: Counter) -> None:
    serials = certificates(counter)
    result = batch.renew_batch(counter.ctx, request(both(serials)), counter.acting())
    assert result.complete and result.fee_fen == UNIT_RENEW + DEVICE_RENEW
    [paid] = payments(counter)
    assert (paid.fee_fen, paid.receipt_number) == (UNIT_RENEW + DEVICE_RENEW, result.receipt_number)
    for outcome in result.outcomes:
        assert counter.status(outcome.new_serial or "") == "good"
    assert counter.status(serials["unit"]) == "revoked"  # superseded


def test_each_certificate_is_its_own_journaled_service(counter: Counter) -> None:
    serials = certificates(counter)
    result = batch.renew_batch(counter.ctx, request(both(serials)), counter.acting())
    with counter.store.session() as session:
        children = [session.get(ApplicationRow, o.application_id or "") for o in result.outcomes]
        entries = session.execute(select(JournalEntry)).scalars().all()
    assert [c.service for c in children if c] == ["renew", "renew"]
    assert {e.application_id for e in entries} >= {o.application_id for o in result.outcomes}


def test_a_failed_certificate_refunds_only_its_share(counter: Counter) -> None:
    serials = certificates(counter)
    counter.tokens.by_label("DEV1").fail_write = TokenError(detail="refused")
    result = batch.renew_batch(counter.ctx, request(both(serials)), counter.acting())
    outcome = {o.serial: o for o in result.outcomes}
    assert outcome[serials["unit"]].result == "renewed"
    assert outcome[serials["device"]].result == "failed"
    [refund] = refunds(counter)
    assert (refund.amount_fen, refund.receipt_number) == (DEVICE_RENEW, result.receipt_number)
    assert refund.refund_number == outcome[serials["device"]].refund_number
    assert counter.status(serials["device"]) == "good"  # the old one stays


def test_a_missing_token_refunds_its_share_and_loses_no_other(counter: Counter) -> None:
    serials = certificates(counter)
    entries = both(serials)
    entries[1]["token_label"] = "NOT-INSERTED"
    result = batch.renew_batch(counter.ctx, request(entries), counter.acting())
    assert [o.result for o in result.outcomes] == ["renewed", "failed"]
    [refund] = refunds(counter)
    assert refund.amount_fen == DEVICE_RENEW and result.refunded_fen == DEVICE_RENEW


def test_the_day_report_nets_the_batch_and_its_refund(counter: Counter) -> None:
    serials = certificates(counter)
    counter.tokens.by_label("DEV1").fail_write = TokenError(detail="refused")
    batch.renew_batch(counter.ctx, request(both(serials)), counter.acting())
    day = daybook.today(counter.ctx)
    report = daybook.day_report(counter.ctx, day).to_json()
    assert report["collected_fen"]["card"] == UNIT_RENEW + DEVICE_RENEW
    assert report["refunded_fen"] == DEVICE_RENEW
    assert report["net_fen"] == UNIT_RENEW


def test_certificates_of_other_subscribers_are_refused_before_anything(counter: Counter) -> None:
    zhang = counter.enroll(label="SUB1").serial
    serials = certificates(counter)
    before = counter.counts()
    entries = [*both(serials), {"serial": zhang, "token_label": "SUB1"}]
    with pytest.raises(batch.BatchMixedSubscribers):
        batch.renew_batch(counter.ctx, request(entries), counter.acting())
    assert counter.counts() == before


def test_a_batch_needs_the_reviewer(counter: Counter) -> None:
    from counter_app.domain.policy import SecondPersonRequired

    serials = certificates(counter)
    with pytest.raises(SecondPersonRequired):
        batch.renew_batch(counter.ctx, request(both(serials)), counter.acting(second=None))
    assert payments(counter) == []


def test_a_repeated_certificate_is_refused() -> None:
    with pytest.raises(batch.BadBatch):
        request([{"serial": "AB", "token_label": "T"}, {"serial": "ab", "token_label": "T"}])


def test_the_receipt_lists_each_certificate(counter: Counter, tmp_path: Path) -> None:
    serials = certificates(counter)
    result = batch.renew_batch(counter.ctx, request(both(serials)), counter.acting())
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(render(counter.ctx, "receipt", result.receipt_number or ""))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.replace("\n", " ")
    for serial in serials.values():
        assert serial[:12] in text
    assert "¥ 250.00" in text and "¥ 400.00" in text and "¥ 650.00" in text


def test_an_interrupted_certificate_is_refunded_when_recovery_rolls_it_back(
    counter: Counter,
) -> None:
    from counter_app.services import recovery
    from counter_app.token.errors import TokenRemoved

    serials = certificates(counter)
    device = counter.tokens.by_label("DEV1")
    device.fail_write = TokenRemoved()
    result = batch.renew_batch(counter.ctx, request(both(serials)), counter.acting())
    assert [o.result for o in result.outcomes] == ["renewed", "interrupted"]
    assert refunds(counter) == []
    device.fail_write = None  # re-inserted
    recovery.recover(counter.ctx, USER_PIN, rollback=True, operator="clerk1")
    [refund] = refunds(counter)
    assert (refund.amount_fen, refund.receipt_number) == (DEVICE_RENEW, result.receipt_number)
