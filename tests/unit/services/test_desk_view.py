"""What the desk shows, without Qt: the view of a day, the stock warning, the chart's scale."""

from __future__ import annotations

import datetime as dt

from counter_app.services import desk, stock
from counter_app.services.desk import DayBar, bar_heights
from tests.unit.services.conftest import Counter
from tests.unit.services.test_daybook import business


def test_the_view_holds_the_day_and_the_last_week(counter: Counter) -> None:
    day = business(counter)
    view = desk.desk_view(counter.ctx, day.date)
    assert dict(view.money_rows())["net"] == 45000
    assert len(view.bars) == desk.CHART_DAYS and view.bars[-1].day == day.date
    assert (view.bars[-1].collected_fen, view.bars[-1].refunded_fen) == (55000, 10000)
    assert not view.closed and not view.keeps_stock and not view.stock_low


def test_stock_below_the_threshold_is_low(counter: Counter) -> None:
    stock.receive(counter.ctx, counter.people["sup1"], ["SN1"], "B1")
    view = desk.desk_view(counter.ctx)
    assert view.stock_low and view.stock_levels["in-stock"] == 1


def test_bars_scale_to_the_tallest() -> None:
    day = dt.date(2026, 3, 1)
    bars = (DayBar(day, 20000, 5000), DayBar(day, 10000, 0), DayBar(day, 0, 0))
    assert bar_heights(bars, 100) == [(100, 25), (50, 0), (0, 0)]
