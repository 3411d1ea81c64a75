"""Questions services ask of the counter's own rows, and the rows they add, each written once.

A service opens a session (``ctx.store.session()``), hands it to the repository of the concern
it needs and asks; the query text lives here, in the store, never in ``services/``
(``tests/unit/foundation/test_layering.py`` checks that). The repositories by concern:

- :class:`CounterRows` (here): subscribers, applications, agreement records, application items,
  the enrollment journal and the numbering sequences;
- :class:`counter_app.store.money_repo.MoneyRows`: payments and refunds;
- :class:`counter_app.store.operator_repo.OperatorRows`: operators;
- :class:`counter_app.store.backoffice_repo.BackOfficeRows`: day closes, the token stock,
  expiry notices.

Every one works inside the caller's transaction: it never commits.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from counter_app.store.counter import (
    AgreementRecord,
    ApplicationRow,
    CertificateItem,
    JournalEntry,
    PaymentRow,
    Sequence,
    SubscriberRow,
)
from counter_app.store.models import AuditEvent


class Rows:
    """What every repository shares: the caller's session, and adding rows to it."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, *rows: Any) -> None:
        """Add new rows and flush them, so their generated ids are known."""
        self._session.add_all(rows)
        self._session.flush()

    def _one(self, query: Any) -> Any:
        return self._session.execute(query).scalar_one_or_none()

    def _first(self, query: Any) -> Any:
        return self._session.execute(query).scalars().first()

    def _all(self, query: Any) -> list[Any]:
        return list(self._session.execute(query).scalars())


def _newest_done(*where: Any) -> Any:
    """The finished applications that match ``where``, newest first."""
    return (
        select(ApplicationRow)
        .where(ApplicationRow.status == "done", *where)
        .order_by(ApplicationRow.created_at.desc(), ApplicationRow.id.desc())
    )


class CounterRows(Rows):
    # -- subscribers ---------------------------------------------------------------------------

    def subscriber(self, subscriber_id: int) -> SubscriberRow | None:
        return self._session.get(SubscriberRow, subscriber_id)

    def subscriber_by_identity(self, kind: str, identity: str) -> SubscriberRow | None:
        """The subscriber of this kind and identity key (``uscc:…``, ``resident_id:…``, …)."""
        return self._one(
            select(SubscriberRow).where(
                SubscriberRow.kind == kind, SubscriberRow.identity == identity
            ),
        )

    def unit_name(self, uscc: str) -> str | None:
        """The name the RA holds for the unit with this unified social credit code."""
        return self._one(
            select(SubscriberRow.name).where(
                SubscriberRow.kind == "unit", SubscriberRow.identity == f"uscc:{uscc}"
            ),
        )

    def _named(self, query: Any, text: str) -> list[Any]:
        """``query`` narrowed to the subscribers whose name holds ``text`` or whose identity
        number ends with it."""
        return self._all(
            query.where(
                SubscriberRow.name.contains(text, autoescape=True)
                | SubscriberRow.identity.endswith(text.upper(), autoescape=True)
            )
        )

    def applications_of_subscriber(self, text: str) -> list[str]:
        """The applications of every subscriber whose name holds ``text`` or whose identity
        number ends with it (the look-up screen's search)."""
        return self._named(
            select(ApplicationRow.id).join(
                SubscriberRow, SubscriberRow.id == ApplicationRow.subscriber_id
            ),
            text,
        )

    def unit_identities(self, text: str) -> list[str]:
        """The identity keys of the units whose name holds ``text`` or whose USCC ends with it."""
        return self._named(select(SubscriberRow.identity).where(SubscriberRow.kind == "unit"), text)

    def devices_of_unit(self, uscc: str) -> list[int]:
        """The subscriber ids of the devices a unit owns."""
        return self._all(
            select(SubscriberRow.id).where(
                SubscriberRow.kind == "device",
                SubscriberRow.identity.startswith(f"device:{uscc}:", autoescape=True),
            )
        )

    def search_subscribers(self, text: str, limit: int) -> list[tuple[SubscriberRow, str]]:
        """Subscribers matching ``text`` by any key, each with the key that matched, best kind
        of match first (a subscriber may come more than once)."""
        upper = text.upper()
        scalars = self._session.execute
        joined = select(SubscriberRow).join(
            ApplicationRow, ApplicationRow.subscriber_id == SubscriberRow.id
        )
        found: list[tuple[SubscriberRow, str]] = []
        for matched, query in (
            # The identity key is "resident_id:<number>", "uscc:<code>", "device:<uscc>:<id>".
            (
                "identity",
                select(SubscriberRow).where(
                    or_(
                        SubscriberRow.identity == text,
                        SubscriberRow.identity.endswith(":" + text, autoescape=True),
                        SubscriberRow.identity.endswith(":" + upper, autoescape=True),
                    )
                ),
            ),
            ("application", joined.where(ApplicationRow.id.in_((text, upper)))),
            (
                "receipt",
                joined.join(PaymentRow, PaymentRow.application_id == ApplicationRow.id).where(
                    PaymentRow.receipt_number.in_((text, upper))
                ),
            ),
            ("token", joined.where(ApplicationRow.token_serial.in_((text, upper)))),
        ):
            found += [(row, matched) for row in scalars(query).scalars()]
        # An agent's ID number is inside the subscriber's data (JSON text): a substring match
        # narrowed by reading the JSON, so "agent" never matches a number elsewhere in it.
        quoted = json.dumps(text, ensure_ascii=False)
        for row in scalars(
            select(SubscriberRow).where(SubscriberRow.data.contains(quoted)).limit(limit)
        ).scalars():
            agent = json.loads(row.data).get("agent") or {}
            if str(agent.get("id_number", "")).upper() == upper:
                found.append((row, "agent"))
        by_name = (
            select(SubscriberRow)
            .where(SubscriberRow.name.contains(text))
            .order_by(SubscriberRow.name)
            .limit(limit)
        )
        found += [(row, "name") for row in scalars(by_name).scalars()]
        return found

    # -- applications --------------------------------------------------------------------------

    def application(self, application_id: str) -> ApplicationRow | None:
        return self._session.get(ApplicationRow, application_id)

    def applications_of(self, subscriber_id: int) -> list[ApplicationRow]:
        """A subscriber's applications, newest first."""
        return self._all(
            select(ApplicationRow)
            .where(ApplicationRow.subscriber_id == subscriber_id)
            .order_by(ApplicationRow.created_at.desc())
        )

    def later_record(self, serial: str) -> ApplicationRow | None:
        """The newest change of certificate ``serial`` made on the records only (a new agent,
        a new mobile, an item added without a new certificate), if any."""
        return self._first(
            _newest_done(
                ApplicationRow.old_serial == serial,
                ApplicationRow.new_serial.is_(None),
                ApplicationRow.service.in_(("change", "add_item")),
            )
        )

    def issued_serials(self, kind: str, identity: str, certificate_type: str) -> list[str]:
        """Serials the counter issued to this subscriber for this certificate type."""
        return [
            serial
            for serial in self._session.execute(
                select(ApplicationRow.new_serial)
                .join(SubscriberRow, SubscriberRow.id == ApplicationRow.subscriber_id)
                .where(
                    SubscriberRow.kind == kind,
                    SubscriberRow.identity == identity,
                    ApplicationRow.certificate_type == certificate_type,
                    ApplicationRow.status == "done",
                    ApplicationRow.new_serial.is_not(None),
                )
            ).scalars()
            if serial
        ]

    def issued_on_token(self, token_serial: str) -> ApplicationRow | None:
        """The newest finished application that issued a certificate onto this token."""
        return self._first(
            _newest_done(
                ApplicationRow.token_serial == token_serial, ApplicationRow.new_serial.is_not(None)
            )
        )

    def last_on_token(self, token_serial: str) -> tuple[ApplicationRow, str] | None:
        """The latest application written to a token of this serial, with its subscriber's
        name."""
        row = self._session.execute(
            select(ApplicationRow, SubscriberRow.name)
            .join(SubscriberRow, SubscriberRow.id == ApplicationRow.subscriber_id)
            .where(ApplicationRow.token_serial == token_serial)
            .order_by(ApplicationRow.created_at.desc())
            .limit(1)
        ).first()
        return None if row is None else (row[0], row[1])

    def applications_between(self, since: dt.datetime, until: dt.datetime) -> list[ApplicationRow]:
        """The applications made in ``[since, until)``, oldest first."""
        return self._all(
            select(ApplicationRow)
            .where(ApplicationRow.created_at >= since, ApplicationRow.created_at < until)
            .order_by(ApplicationRow.created_at)
        )

    def in_progress(self, counter: str, until: dt.datetime) -> list[str]:
        """The ids of the applications still in progress at ``counter`` made before ``until``."""
        return self._all(
            select(ApplicationRow.id)
            .where(
                ApplicationRow.status == "in_progress",
                ApplicationRow.counter == counter,
                ApplicationRow.created_at < until,
            )
            .order_by(ApplicationRow.id)
        )

    # -- what was recorded with an application ------------------------------------------------

    def agreement(self, application_id: str) -> AgreementRecord | None:
        return self._one(
            select(AgreementRecord).where(AgreementRecord.application_id == application_id),
        )

    def certificate_items(self, serial_hex: str) -> tuple[str, ...]:
        """The application items recorded for a certificate."""
        return tuple(
            self._session.execute(
                select(CertificateItem.item_code).where(CertificateItem.serial == serial_hex)
            ).scalars()
        )

    def certificate_events(self, serial_hex: str, since: dt.datetime) -> list[str]:
        """The details (JSON text) of the audit events on a certificate since ``since``, in
        the chain's order."""
        return self._all(
            select(AuditEvent.details)
            .where(AuditEvent.object == f"certificate:{serial_hex}")
            .where(AuditEvent.time >= since)
            .order_by(AuditEvent.seq)
        )

    # -- the journal ----------------------------------------------------------------------------

    def journal_entry(self, application_id: str, *, lock: bool = False) -> JournalEntry | None:
        """An application's journal entry; ``lock`` holds its row for the transaction."""
        query = select(JournalEntry).where(JournalEntry.application_id == application_id)
        return self._one(query.with_for_update() if lock else query)

    def open_journal_entries(self) -> list[JournalEntry]:
        return self._all(
            select(JournalEntry).where(JournalEntry.state == "open").order_by(JournalEntry.id)
        )

    # -- numbering -----------------------------------------------------------------------------

    def take_number(self, name: str, day: str) -> int:
        """The next value of the sequence ``name`` on ``day``, its row locked until commit."""
        session = self._session
        query = select(Sequence).where(Sequence.name == name, Sequence.day == day).with_for_update()
        row = session.execute(query).scalar_one_or_none()
        if row is None:
            row = Sequence(name=name, day=day, value=0)
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:
                # Another counter created the day's row first; take it under the lock.
                row = session.execute(query).scalar_one()
        row.value += 1
        session.flush()
        return row.value
