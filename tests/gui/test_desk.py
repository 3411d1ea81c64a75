"""The supervisor's desk page on a real counter: the day's figures, the close through the page
(and the service's refusal for a clerk), the stock warning, the reminders' count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from counter_app.gui.desk import DeskPage, make_desk
from counter_app.services import stock
from tests.gui.conftest import counter_session
from tests.gui.drive import click, on_screen, type_text, wait_until
from tests.integration.services.conftest import Counter


@pytest.fixture
def supervisor_context(counter: Counter, gui_app) -> Iterator[object]:  # type: ignore[no-untyped-def]
    ctx = counter_session(counter, "supervisor")
    yield ctx
    ctx.close()


def _desk(qtbot, context) -> DeskPage:  # type: ignore[no-untyped-def]
    page = make_desk(context)
    assert isinstance(page, DeskPage)
    on_screen(qtbot, page, 1000, 760)
    wait_until(lambda: page.view is not None)
    return page


def test_desk_shows_the_days_figures(qtbot, supervisor_context, counter, zh) -> None:  # type: ignore[no-untyped-def]
    counter.enrolled()
    page = _desk(qtbot, supervisor_context)
    assert page.money_labels["cash"].text() == "¥ 100.00"
    assert page.money_labels["net"].text() == "¥ 100.00"
    assert page.status_label.text() == "未日结"


def test_desk_opens_on_the_ras_business_day(qtbot, supervisor_context, counter, zh) -> None:  # type: ignore[no-untyped-def]
    # 20:00 UTC on 1 March is already 2 March in Beijing (the RA's default zone).
    services = supervisor_context.service_context()
    services.clock = lambda: dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)
    page = _desk(qtbot, supervisor_context)
    assert page.date_edit.date().toString("yyyy-MM-dd") == "2026-03-02"


def test_closing_the_day_from_the_desk(qtbot, supervisor_context, counter, zh) -> None:  # type: ignore[no-untyped-def]
    counter.enrolled()
    page = _desk(qtbot, supervisor_context)
    type_text(page.counted_edit, "99.00")
    click(page.close_button)
    wait_until(lambda: page.view is not None and page.view.closed)
    assert page.status_label.text() == "已日结"
    assert "-1.00" in page.close_info.text()


def test_a_clerk_pressing_close_reads_the_refusal(qtbot, counter_context, counter, en) -> None:  # type: ignore[no-untyped-def]
    page = _desk(qtbot, counter_context)
    type_text(page.counted_edit, "0.00")
    click(page.close_button)
    wait_until(lambda: page.message_label.text() != "")
    assert "supervisor" in page.message_label.text()
    assert page.view is not None and not page.view.closed


def test_a_bad_amount_is_shown_beside_the_field(qtbot, supervisor_context, counter, zh) -> None:  # type: ignore[no-untyped-def]
    page = _desk(qtbot, supervisor_context)
    type_text(page.counted_edit, "12.345")
    click(page.close_button)
    assert page.counted_error.text() != ""
    assert page.message_label.text() == ""


def test_low_stock_is_warned(qtbot, supervisor_context, counter, en) -> None:  # type: ignore[no-untyped-def]
    ctx = supervisor_context.service_context()
    stock.receive(ctx, supervisor_context.clerk(), ["SN-1", "SN-2"], "B1")
    page = _desk(qtbot, supervisor_context)
    assert page.stock_labels["in-stock"].text() == "2"
    assert "Fewer than 20 tokens" in page.stock_warning.text()
