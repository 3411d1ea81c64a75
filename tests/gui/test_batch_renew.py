"""The batch renewal page on a real counter (SoftHSM tokens): the unit's certificate and its
device's listed, one review, one payment, each token in turn; a skipped one refunds its share."""

from __future__ import annotations

from counter_app.gui.batch_renew import BatchRenewPage, make_batch_page
from tests.gui.drive import click, on_screen, sign_dialog, type_text, wait_until
from tests.integration.services.conftest import OPERATORS, USER_PIN, enroll_unit_and_device


def _page(qtbot, context) -> BatchRenewPage:  # type: ignore[no-untyped-def]
    page = make_batch_page(context)
    assert isinstance(page, BatchRenewPage)
    return on_screen(qtbot, page, 1000, 600)


def _approved_and_paid(page: BatchRenewPage) -> None:
    click(page.start_button)
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible()
    sign_dialog(dialog, "rev1", OPERATORS["rev1"][1])
    wait_until(
        lambda: page.open_batch is not None or "color: #b00020" in page.message_label.styleSheet()
    )
    assert page.open_batch is not None, page.message_label.text()


def test_batch_page_renews_one_and_refunds_the_skipped_share(
    qtbot, short_lived, counter_context, en
) -> None:  # type: ignore[no-untyped-def]
    serials = enroll_unit_and_device(short_lived)
    page = _page(qtbot, counter_context)
    type_text(page.search_edit, "太原市某某科技有限公司")
    click(page.search_button)
    wait_until(lambda: len(page.found) == 2)
    wait_until(lambda: page.total_label.text() != "")
    assert page.total_label.text() == "Total ¥ 650.00"
    page.method_combo.setCurrentIndex(page.method_combo.findData("card"))
    _approved_and_paid(page)
    assert page.open_batch is not None and page.open_batch.fee_fen == 25000 + 40000
    first = page.open_batch.shares[0][0].serial
    type_text(page.pin_edit, USER_PIN)
    click(page.renew_button)
    wait_until(lambda: len(page.outcomes) == 1)
    assert page.outcomes[0].result == "renewed", page.message_label.text()
    click(page.skip_button)
    wait_until(lambda: hasattr(page, "result"))
    skipped = next(s for s in serials.values() if s != first)
    refunds = short_lived.db("SELECT amount_fen FROM refunds")
    share = 40000 if skipped == serials["DEV1"] else 25000
    assert refunds == [(share,)]
    assert "1 of 2 renewed" in page.turn_label.text()
    payments = short_lived.db("SELECT fee_fen FROM payments WHERE service = 'batch_renew'")
    assert payments == [(65000,)]
