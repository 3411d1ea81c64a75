"""The supervisor's desk: the questions services ask of day closes, the token stock and the
expiry notices.

See :mod:`counter_app.store.counter_repo` for how services use a repository.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select

from counter_app.store.backoffice import DayCloseRow, ExpiryNoticeRow, StockTokenRow
from counter_app.store.counter_repo import Rows


class BackOfficeRows(Rows):
    # -- day closes ----------------------------------------------------------------------------

    def latest_close(self, day: dt.date, counter: str) -> DayCloseRow | None:
        """The newest close or reopening of ``counter`` on ``day``."""
        return self._one(
            select(DayCloseRow)
            .where(DayCloseRow.day == day.isoformat(), DayCloseRow.counter == counter)
            .order_by(DayCloseRow.id.desc())
            .limit(1),
        )

    # -- the token stock -----------------------------------------------------------------------

    def stock_token(self, serial: str) -> StockTokenRow | None:
        return self._one(select(StockTokenRow).where(StockTokenRow.serial == serial))

    def known_stock(self, serials: Iterable[str]) -> list[str]:
        """Which of these serials the stock holds already."""
        return self._all(
            select(StockTokenRow.serial).where(StockTokenRow.serial.in_(list(serials)))
        )

    def stock(self, status: str | None = None) -> list[StockTokenRow]:
        """The stock's tokens (of one status), by batch and serial."""
        query = select(StockTokenRow).order_by(StockTokenRow.batch, StockTokenRow.serial)
        if status:
            query = query.where(StockTokenRow.status == status)
        return self._all(query)

    def stock_counts(self) -> dict[str, int]:
        """Tokens per status (only the statuses some token has)."""
        return {
            status: int(count)
            for status, count in self._session.execute(
                select(StockTokenRow.status, func.count()).group_by(StockTokenRow.status)
            ).all()
        }

    def keeps_stock(self) -> bool:
        """Whether the RA keeps a token stock at all (any token was ever received)."""
        return self._session.execute(select(StockTokenRow.id).limit(1)).first() is not None

    def issued_token(self, application_id: str) -> StockTokenRow | None:
        """The stock token issued to an application and not yet returned."""
        return self._one(
            select(StockTokenRow).where(
                StockTokenRow.application_id == application_id, StockTokenRow.status == "issued"
            ),
        )

    # -- expiry notices ------------------------------------------------------------------------

    def notified(self, days: int, serials: Iterable[str] | None = None) -> set[str]:
        """The certificates (among ``serials``) already reminded of for the ``days`` window."""
        query = select(ExpiryNoticeRow.serial).where(ExpiryNoticeRow.window_days == days)
        if serials is not None:
            query = query.where(ExpiryNoticeRow.serial.in_(list(serials)))
        return set(self._session.execute(query).scalars())
