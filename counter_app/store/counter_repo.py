"""Questions services ask of the counter's own rows, each written once.

A service hands its open session to :class:`CounterRows` and asks; the query text lives here, in
the store, not repeated in the service modules. (The first questions moved here are those that
were written twice; the rest of the services' counter-row queries are to follow.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.store.counter import ApplicationRow, CertificateItem, SubscriberRow


class CounterRows:
    def __init__(self, session: Session) -> None:
        self._session = session

    def unit_name(self, uscc: str) -> str | None:
        """The name the RA holds for the unit with this unified social credit code."""
        return self._session.execute(
            select(SubscriberRow.name).where(
                SubscriberRow.kind == "unit", SubscriberRow.identity == f"uscc:{uscc}"
            )
        ).scalar_one_or_none()

    def applications_of_subscriber(self, text: str) -> list[str]:
        """The applications of every subscriber whose name holds ``text`` or whose identity
        number ends with it (the look-up screen's search)."""
        return list(
            self._session.execute(
                select(ApplicationRow.id)
                .join(SubscriberRow, SubscriberRow.id == ApplicationRow.subscriber_id)
                .where(
                    SubscriberRow.name.contains(text, autoescape=True)
                    | SubscriberRow.identity.endswith(text.upper(), autoescape=True)
                )
            ).scalars()
        )

    def certificate_items(self, serial_hex: str) -> tuple[str, ...]:
        """The application items recorded for a certificate."""
        return tuple(
            self._session.execute(
                select(CertificateItem.item_code).where(CertificateItem.serial == serial_hex)
            ).scalars()
        )
