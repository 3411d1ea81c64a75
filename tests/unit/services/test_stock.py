"""介质库存: tokens received into stock by a supervisor; once the RA keeps stock, an enrollment
takes a token from it (issued, linked to the application, charged the media fee as its own line
on the receipt) or the subscriber's own token; a rollback puts the token back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from counter_app.domain.errors import PermissionDenied
from counter_app.domain.fees import InsufficientCash
from counter_app.services import stock
from counter_app.services.documents import render
from counter_app.services.enroll import enroll
from counter_app.services.pipeline import ServiceRolledBack
from counter_app.store import audit
from counter_app.store.counter import ApplicationRow
from counter_app.token.errors import TokenError
from tests.unit.services.conftest import Counter, example

MEDIA_FEE = 6000  # resources/fees.toml [media] token_fen


def receive(counter: Counter, *serials: str, batch: str = "B2026-01") -> None:
    stock.receive(counter.ctx, counter.people["sup1"], list(serials), batch)


def stock_token(counter: Counter, label: str, serial: str) -> None:
    counter.tokens.add(label, serial=serial)


def enroll_with(counter: Counter, label: str, *, own_token: bool = False, tendered: str = "200.00"):  # type: ignore[no-untyped-def]
    data = example("individual")
    data["payment"]["tendered"] = tendered
    request = counter.enroll_request(data, label)
    if own_token:
        import dataclasses

        request = dataclasses.replace(request, own_token=True)
    return enroll(counter.ctx, request, counter.acting())


def status_of(counter: Counter, serial: str) -> str:
    [token] = [t for t in stock.list_stock(counter.ctx) if t.serial == serial]
    return token.status


def test_received_tokens_are_in_stock(counter: Counter) -> None:
    receive(counter, "SN001", "SN002")
    assert stock.levels(counter.ctx)["in-stock"] == 2
    assert [t.batch for t in stock.list_stock(counter.ctx, "in-stock")] == ["B2026-01"] * 2


def test_a_clerk_cannot_receive_stock(counter: Counter) -> None:
    with pytest.raises(PermissionDenied):
        stock.receive(counter.ctx, counter.people["clerk1"], ["SN001"], "B1")


def test_a_serial_received_twice_is_refused_and_nothing_received(counter: Counter) -> None:
    receive(counter, "SN001")
    with pytest.raises(stock.DuplicateSerials):
        receive(counter, "SN002", "SN001", batch="B2")
    assert stock.levels(counter.ctx)["in-stock"] == 1


def test_serials_file_skips_blanks_and_comments() -> None:
    assert stock.parse_serials("SN1\n\n# box 2\nSN2  # spare\n") == ["SN1", "SN2"]


def test_without_stock_any_token_serves_without_media_fee(counter: Counter) -> None:
    result = counter.enroll(label="SUB1")
    assert result.fee_fen == 10000


def test_a_token_from_stock_is_issued_and_charged_the_media_fee(counter: Counter) -> None:
    receive(counter, "SN001")
    stock_token(counter, "SUB1", "SN001")
    result = enroll_with(counter, "SUB1")
    assert result.fee_fen == 10000 + MEDIA_FEE
    assert result.change_fen == 20000 - 10000 - MEDIA_FEE
    [token] = stock.list_stock(counter.ctx)
    assert (token.status, token.application_id) == ("issued", result.application_id)


def test_a_token_not_in_stock_is_refused_before_anything_is_written(counter: Counter) -> None:
    receive(counter, "SN001")
    counter.tokens.add("SUB1", serial="ELSEWHERE")
    before = counter.counts()
    with pytest.raises(stock.TokenNotInStock) as info:
        enroll_with(counter, "SUB1")
    assert "--own-token" in info.value.message("en")
    assert counter.counts() == before


def test_a_token_marked_faulty_is_refused(counter: Counter) -> None:
    receive(counter, "SN001")
    stock.mark(counter.ctx, counter.people["clerk1"], "SN001", "faulty")
    stock_token(counter, "SUB1", "SN001")
    with pytest.raises(stock.TokenNotInStock) as info:
        enroll_with(counter, "SUB1")
    assert "faulty" in info.value.message("en")


def test_the_subscribers_own_token_is_recorded_without_media_fee(counter: Counter) -> None:
    receive(counter, "SN001")
    counter.tokens.add("OWN", serial="OWN-1")
    result = enroll_with(counter, "OWN", own_token=True)
    assert result.fee_fen == 10000
    with counter.store.session() as session:
        app = session.get(ApplicationRow, result.application_id)
        assert app is not None and json.loads(app.data)["token_source"] == "own"
    assert stock.levels(counter.ctx)["in-stock"] == 1


def test_cash_must_cover_the_media_fee_too(counter: Counter) -> None:
    receive(counter, "SN001")
    stock_token(counter, "SUB1", "SN001")
    with pytest.raises(InsufficientCash):
        enroll_with(counter, "SUB1", tendered="150.00")
    assert status_of(counter, "SN001") == "in-stock"


def test_a_rolled_back_service_puts_the_token_back(counter: Counter) -> None:
    receive(counter, "SN001")
    stock_token(counter, "SUB1", "SN001")
    counter.tokens.by_label("SUB1").fail_write = TokenError(detail="refused")
    with pytest.raises(ServiceRolledBack):
        enroll_with(counter, "SUB1")
    assert status_of(counter, "SN001") == "in-stock"


def test_the_receipt_has_the_media_fee_as_its_own_line(counter: Counter, tmp_path: Path) -> None:
    receive(counter, "SN001")
    stock_token(counter, "SUB1", "SN001")
    result = enroll_with(counter, "SUB1")
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(render(counter.ctx, "receipt", result.receipt_number))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "收费明细" in text
    assert "介质费（SN001）" in text and "¥ 60.00" in text
    assert "¥ 100.00" in text and "¥ 160.00" in text


def test_marks_follow_the_allowed_moves(counter: Counter) -> None:
    receive(counter, "SN001")
    stock.mark(counter.ctx, counter.people["clerk1"], "SN001", "lost")
    with pytest.raises(stock.StockMarkRefused):
        stock.mark(counter.ctx, counter.people["clerk1"], "SN001", "returned")


def test_an_unknown_token_cannot_be_marked(counter: Counter) -> None:
    with pytest.raises(stock.StockTokenUnknown):
        stock.mark(counter.ctx, counter.people["clerk1"], "NOPE", "faulty")


def test_every_stock_act_is_audited_and_verified(counter: Counter) -> None:
    receive(counter, "SN001", "SN002")
    stock_token(counter, "SUB1", "SN001")
    enroll_with(counter, "SUB1")
    stock.mark(counter.ctx, counter.people["clerk1"], "SN002", "faulty")
    with counter.store.session() as session:
        actions = [e.action for e in audit.iter_events(session)]
        assert {"stock.receive", "stock.issue", "stock.mark"} <= set(actions)
        assert audit.verify(session).ok
