"""What the supervisor's desk shows, gathered in one call (no Qt): the day's figures at a counter,
the last days' money for the chart, the token stock with its low-stock warning, and how many
certificates wait for an expiry reminder. The GUI page (:mod:`counter_app.gui.desk`) runs this
in a worker and only displays it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from counter_app.domain.daybook import METHODS
from counter_app.services import daybook, reminders, reports, stock
from counter_app.services.context import ServiceContext
from counter_app.store.backoffice_repo import BackOfficeRows

CHART_DAYS = 7
REMINDER_WINDOW_DAYS = 30


@dataclass(frozen=True)
class DayBar:
    day: dt.date
    collected_fen: int
    refunded_fen: int


@dataclass(frozen=True)
class DeskView:
    day: dt.date
    counter: str
    report: dict[str, Any]
    bars: tuple[DayBar, ...]
    stock_levels: dict[str, int]
    stock_threshold: int
    keeps_stock: bool
    expiring: int
    to_remind: int

    @property
    def closed(self) -> bool:
        return bool(self.report["closed"])

    @property
    def stock_low(self) -> bool:
        return self.keeps_stock and self.stock_levels["in-stock"] < self.stock_threshold

    def money_rows(self) -> list[tuple[str, int]]:
        """(key, fen) in the order the desk lists them."""
        r = self.report
        rows = [(m, r["collected_fen"][m]) for m in METHODS]
        rows += [
            ("refunded", r["refunded_fen"]),
            ("waived", r["waived_fen"]),
            ("net", r["net_fen"]),
            ("expected_cash", r["expected_cash_fen"]),
        ]
        return rows


def desk_view(
    ctx: ServiceContext, day: dt.date | None = None, counter: str | None = None
) -> DeskView:
    day = day or daybook.today(ctx)
    name = counter or ctx.counter
    report = daybook.day_report(ctx, day, name).to_json()
    first = day - dt.timedelta(days=CHART_DAYS - 1)
    period = reports.period_report(ctx, first, day, "counter", name)
    bars = tuple(DayBar(d, f.collected_total_fen, f.refunded_fen) for d, f in period.days.items())
    levels = stock.levels(ctx)
    items = reminders.expiring(ctx, REMINDER_WINDOW_DAYS)
    with ctx.store.session() as session:
        done = BackOfficeRows(session).notified(REMINDER_WINDOW_DAYS)
    return DeskView(
        day=day,
        counter=name,
        report=report,
        bars=bars,
        stock_levels=levels,
        stock_threshold=stock.low_threshold(ctx),
        keeps_stock=sum(levels.values()) > 0,
        expiring=len(items),
        to_remind=sum(1 for i in items if i.certificate.serial not in done),
    )


def bar_heights(bars: tuple[DayBar, ...], height: int) -> list[tuple[int, int]]:
    """Pixel heights of each day's collected and refunded bars, scaled to the tallest."""
    top = max([1, *(max(b.collected_fen, b.refunded_fen) for b in bars)])
    return [
        (round(b.collected_fen * height / top), round(b.refunded_fen * height / top)) for b in bars
    ]


def service_names() -> dict[str, str]:
    """Services by their Chinese names, for the desk's counts."""
    return reports.service_names()
