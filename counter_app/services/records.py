"""Rows the services write: subscribers, applications, agreement records, payments, journal.

Each helper works inside the caller's transaction and audits what it changes there.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from counter_app.domain.agreement import AgreementRecord as AgreementFacts
from counter_app.domain.applications import NumberKind
from counter_app.domain.errors import NotFound, ValidationError
from counter_app.domain.fees import Payment, Waiver
from counter_app.domain.subscribers import Subscriber, parse_subscriber
from counter_app.services.numbers import next_number
from counter_app.store import audit
from counter_app.store.counter import (
    AgreementRecord,
    ApplicationRow,
    PaymentRow,
    RefundRow,
    SubscriberRow,
)
from counter_app.store.counter_repo import CounterRows


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def upsert_subscriber(
    session: Session, subscriber: Subscriber, now: dt.datetime, operator: str
) -> SubscriberRow:
    """The subscriber's row, created or brought up to date with what was verified today."""
    kind, identity = subscriber.kind.value, subscriber.identity_key
    rows = CounterRows(session)
    row = rows.subscriber_by_identity(kind, identity)
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
        rows.add(row)
        action = "subscriber.add"
    elif row.data != data:
        row.name, row.data, row.updated_at = subscriber.name, data, now
        action = "subscriber.update"
    else:
        return row
    audit.append(
        session,
        operator=operator,
        action=action,
        obj=f"subscriber:{row.id}",
        details={"kind": kind, "name": subscriber.name},
    )
    return row


def subscriber_row_of(session: Session, subscriber: Subscriber) -> SubscriberRow:
    """The subscriber's row as it stands (a service on an existing certificate)."""
    row = CounterRows(session).subscriber_by_identity(
        subscriber.kind.value, subscriber.identity_key
    )
    if row is None:
        raise NotFound(what_zh="订户", what_en="subscriber", key=subscriber.identity_key)
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
    CounterRows(session).add(row)
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
    CounterRows(session).add(
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
            signature_png=None if facts.signature is None else facts.signature.png,
            signature_sha256=None if facts.signature is None else facts.signature.sha256,
        )
    )
    details = {"version": facts.version, "sha256": facts.sha256, "clerk": facts.clerk}
    if facts.signature is not None:
        details["signature_sha256"] = facts.signature.sha256
    audit.append(
        session,
        operator=facts.reviewer,
        action="agreement.approve",
        obj=f"application:{application_id}",
        details=details,
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
    counter: str | None = None,
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
        counter=counter,
    )
    CounterRows(session).add(row)
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


def record_refund(
    session: Session,
    paid: PaymentRow,
    *,
    application_id: str,
    amount: int,
    reason: str,
    operator: str,
    now: dt.datetime,
    counter: str | None,
    batch_id: str | None = None,
) -> RefundRow:
    """Money given back from the payment ``paid`` (the payment row itself is never touched):
    a refund row of its own, with its own number, audited."""
    refund = RefundRow(
        refund_number=next_number(session, NumberKind.REFUND, now),
        receipt_number=paid.receipt_number,
        application_id=application_id,
        amount_fen=amount,
        method=paid.method,
        reason=reason[:500],
        clerk=operator,
        time=now,
        counter=counter,
    )
    CounterRows(session).add(refund)
    batch = {} if batch_id is None else {"batch": batch_id}
    audit.append(
        session,
        operator=operator,
        action="refund.record",
        obj=f"refund:{refund.refund_number}",
        details={
            "application": application_id,
            **batch,
            "receipt": paid.receipt_number,
            "amount_fen": amount,
            "method": paid.method,
        },
    )
    return refund


def application(session: Session, application_id: str) -> ApplicationRow:
    row = CounterRows(session).application(application_id)
    if row is None:
        raise NotFound(what_zh="申请", what_en="application", key=application_id)
    return row


# ---------------------------------------------------------------------------------------------
# What the RA knows of a certificate's subscriber, as it was verified


class IdentityMismatch(ValidationError):
    code = "identity_mismatch"
    zh = "出示的证件号码与证书订户（或办理该证书的经办人）不符"
    en = "the identity document shown does not match the certificate's subscriber or its agent"


def current_record(session: Session, serial: str, application_id: str) -> ApplicationRow:
    """The application whose snapshot holds the current facts of certificate ``serial``: the one
    that issued it, or a later change made on the records only (a new agent, a new mobile)."""
    later = CounterRows(session).later_record(serial)
    return later or application(session, application_id)


def subscriber_as_recorded(session: Session, app: ApplicationRow) -> Subscriber:
    """The subscriber (with the handling agent) as verified for ``app``; for applications made
    before snapshots existed, the subscriber's row."""
    if app.snapshot:
        return parse_subscriber(json.loads(app.snapshot)["subscriber"])
    row = CounterRows(session).subscriber(app.subscriber_id)
    assert row is not None
    return parse_subscriber(json.loads(row.data))


def identity_numbers(subscriber: Subscriber) -> set[str]:
    """The document numbers that prove who may act for ``subscriber``: the person's ID, or a
    unit's USCC and its agent's ID, or a device owner's USCC."""
    data = subscriber.to_mapping()
    numbers = {str(data.get(k, "")).upper() for k in ("id_number", "uscc", "owner_uscc")}
    agent = data.get("agent")
    if isinstance(agent, dict):
        numbers.add(str(agent.get("id_number", "")).upper())
    return numbers - {""}


def check_identity(subscriber: Subscriber, identity: str | None) -> bool:
    """Whether an identity was shown; raise if it was and is not this subscriber's or agent's."""
    if identity is None or not identity.strip():
        return False
    if identity.strip().upper() not in identity_numbers(subscriber):
        raise IdentityMismatch("identity")
    return True


def owner_key(session: Session, application_id: str | None) -> tuple[str, str] | None:
    """(kind, identity key) of the subscriber an application was for."""
    if not application_id:
        return None
    rows = CounterRows(session)
    app = rows.application(application_id)
    if app is None:
        return None
    row = rows.subscriber(app.subscriber_id)
    return (row.kind, row.identity) if row is not None else None


def issued_to(session: Session, kind: str, identity: str, certificate_type: str) -> list[str]:
    """Serials the counter issued to this subscriber for this certificate type (any status)."""
    return CounterRows(session).issued_serials(kind, identity, certificate_type)
