"""Rows the services write: subscribers, applications, agreement records, payments, journal.

Each helper works inside the caller's transaction and audits what it changes there.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.domain.agreement import AgreementRecord as AgreementFacts
from counter_app.domain.applications import NumberKind
from counter_app.domain.errors import NotFound
from counter_app.domain.fees import Payment, PaymentMethod, Waiver
from counter_app.domain.subscribers import Subscriber
from counter_app.services.numbers import next_number
from counter_app.store import audit
from counter_app.store.counter import (
    AgreementRecord,
    ApplicationRow,
    JournalEntry,
    PaymentRow,
    SubscriberRow,
)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def upsert_subscriber(
    session: Session, subscriber: Subscriber, now: dt.datetime, operator: str
) -> SubscriberRow:
    """The subscriber's row, created or brought up to date with what was verified today."""
    kind, identity = subscriber.kind.value, subscriber.identity_key
    row = session.execute(
        select(SubscriberRow).where(SubscriberRow.kind == kind, SubscriberRow.identity == identity)
    ).scalar_one_or_none()
    data = dumps(subscriber.to_mapping())
    if row is None:
        row = SubscriberRow(
            kind=kind,
            identity=identity,
            name=subscriber.name,
            data=data,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        audit.append(
            session,
            operator=operator,
            action="subscriber.add",
            obj=f"subscriber:{row.id}",
            details={"kind": kind, "name": subscriber.name},
        )
    elif row.data != data:
        row.name, row.data, row.updated_at = subscriber.name, data, now
        audit.append(
            session,
            operator=operator,
            action="subscriber.update",
            obj=f"subscriber:{row.id}",
            details={"kind": kind, "name": subscriber.name},
        )
    return row


@dataclass(frozen=True)
class NewApplication:
    service: str
    certificate_type: str
    clerk: str
    reviewer: str | None
    key_algorithm: str | None = None
    token_serial: str | None = None
    token_label: str | None = None
    old_serial: str | None = None
    data: dict[str, Any] | None = None


def create_application(
    session: Session, new: NewApplication, subscriber: SubscriberRow, now: dt.datetime
) -> ApplicationRow:
    app_id = next_number(session, NumberKind.APPLICATION, now)
    row = ApplicationRow(
        id=app_id,
        service=new.service,
        status="in_progress",
        certificate_type=new.certificate_type,
        subscriber_id=subscriber.id,
        clerk=new.clerk,
        reviewer=new.reviewer,
        key_algorithm=new.key_algorithm,
        token_serial=new.token_serial,
        token_label=new.token_label,
        old_serial=new.old_serial,
        data=dumps(new.data or {}),
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        operator=new.clerk,
        action=f"{new.service}.accept",
        obj=f"application:{app_id}",
        details={
            "certificate_type": new.certificate_type,
            "subscriber": subscriber.id,
            "reviewer": new.reviewer,
            "old_serial": new.old_serial,
        },
    )
    return row


def record_agreement(session: Session, application_id: str, facts: AgreementFacts) -> None:
    session.add(
        AgreementRecord(
            application_id=application_id,
            version=facts.version,
            text_sha256=facts.sha256,
            accepted_at=facts.accepted_at,
            clerk=facts.clerk,
            reviewer=facts.reviewer,
            signature=facts.signed
            if facts.form_number is None
            else f"{facts.signed}:{facts.form_number}",
        )
    )
    audit.append(
        session,
        operator=facts.reviewer,
        action="agreement.approve",
        obj=f"application:{application_id}",
        details={"version": facts.version, "sha256": facts.sha256, "clerk": facts.clerk},
    )


def record_payment(
    session: Session,
    *,
    application: ApplicationRow,
    payer: str,
    fee: int,
    settlement: Payment | Waiver | None,
    clerk: str,
    now: dt.datetime,
) -> PaymentRow:
    """The receipt of a fee (or of a waiver, or of a free service) with its unique number."""
    receipt = next_number(session, NumberKind.RECEIPT, now)
    method, tendered, change = "none", 0, 0
    waiver_ref = waiver_by = None
    if isinstance(settlement, Payment):
        method, tendered, change = (
            settlement.method.value,
            settlement.tendered,
            settlement.change_due,
        )
    elif isinstance(settlement, Waiver):
        method, waiver_ref, waiver_by = "waiver", settlement.reference, settlement.approved_by
    row = PaymentRow(
        receipt_number=receipt,
        application_id=application.id,
        service=application.service,
        certificate_type=application.certificate_type,
        payer=payer,
        fee_fen=fee,
        method=method,
        tendered_fen=tendered,
        change_fen=change,
        waiver_reference=waiver_ref,
        waiver_approved_by=waiver_by,
        clerk=clerk,
        time=now,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        operator=clerk,
        action="payment.record",
        obj=f"receipt:{receipt}",
        details={
            "application": application.id,
            "fee_fen": fee,
            "method": method,
            "tendered_fen": tendered,
            "change_fen": change,
            "waiver_reference": waiver_ref,
            "waiver_approved_by": waiver_by,
        },
    )
    return row


PAYMENT_METHODS = {m.value for m in PaymentMethod}


def open_journal(session: Session, application: ApplicationRow, now: dt.datetime) -> JournalEntry:
    entry = JournalEntry(
        application_id=application.id,
        service=application.service,
        step="recorded",
        state="open",
        token_serial=application.token_serial,
        token_label=application.token_label,
        data="{}",
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def journal_for(session: Session, application_id: str) -> JournalEntry:
    entry = session.execute(
        select(JournalEntry).where(JournalEntry.application_id == application_id)
    ).scalar_one_or_none()
    if entry is None:
        raise NotFound(what_zh="业务日志", what_en="journal entry", key=application_id)
    return entry


def application(session: Session, application_id: str) -> ApplicationRow:
    row = session.get(ApplicationRow, application_id)
    if row is None:
        raise NotFound(what_zh="申请", what_en="application", key=application_id)
    return row
