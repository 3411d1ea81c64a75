"""Payments and refunds: the questions services ask of the counter's money rows.

See :mod:`counter_app.store.counter_repo` for how services use a repository.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select

from counter_app.store.counter import PaymentRow, RefundRow
from counter_app.store.counter_repo import Rows

# The settlements that took money, and so can be given back.
MONEY_METHODS = ("cash", "card", "transfer")


class MoneyRows(Rows):
    def payment(self, receipt_number: str) -> PaymentRow | None:
        return self._one(select(PaymentRow).where(PaymentRow.receipt_number == receipt_number))

    def money_taken(self, application_id: str) -> PaymentRow | None:
        """The payment that took money for an application (not a waiver, not a free service)."""
        return self._one(
            select(PaymentRow).where(
                PaymentRow.application_id == application_id,
                PaymentRow.method.in_(MONEY_METHODS),
                PaymentRow.fee_fen > 0,
            ),
        )

    def refund_of_receipt(self, receipt_number: str) -> RefundRow | None:
        return self._one(select(RefundRow).where(RefundRow.receipt_number == receipt_number))

    def refund_of(self, application_id: str) -> RefundRow | None:
        return self._one(select(RefundRow).where(RefundRow.application_id == application_id))

    def payments_of(self, application_ids: Sequence[str]) -> list[PaymentRow]:
        if not application_ids:
            return []
        return self._all(select(PaymentRow).where(PaymentRow.application_id.in_(application_ids)))

    def refunds_of(self, application_ids: Sequence[str]) -> list[RefundRow]:
        if not application_ids:
            return []
        return self._all(select(RefundRow).where(RefundRow.application_id.in_(application_ids)))

    def payments_between(self, since: dt.datetime, until: dt.datetime) -> list[PaymentRow]:
        """The payments taken in ``[since, until)``, in the order they were taken."""
        return self._all(
            select(PaymentRow)
            .where(PaymentRow.time >= since, PaymentRow.time < until)
            .order_by(PaymentRow.time, PaymentRow.id)
        )

    def refunds_between(
        self, since: dt.datetime, until: dt.datetime
    ) -> list[tuple[RefundRow, str, str]]:
        """The refunds given in ``[since, until)`` in order, each with the service and the
        certificate type of the payment it gave back."""
        return [
            (refund, service, certificate_type)
            for refund, service, certificate_type in self._session.execute(
                select(RefundRow, PaymentRow.service, PaymentRow.certificate_type)
                .join(PaymentRow, PaymentRow.receipt_number == RefundRow.receipt_number)
                .where(RefundRow.time >= since, RefundRow.time < until)
                .order_by(RefundRow.time, RefundRow.id)
            )
        ]
