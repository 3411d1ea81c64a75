"""更新 / 变更 / 增加应用项 / 补办: services that replace a certificate with a new one.

The new key is made on the token (the same token for renew, change and add item; a new token
for reissue), the new certificate is issued and written back, and only then is the old one
revoked as superseded. Each is charged from the fee table or waived, approved by a reviewer,
journaled and audited like an enrollment.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from counter_app.ca import CertificateRecord
from counter_app.domain.applications import ApplicationItem, check_application_item, check_reviewer
from counter_app.domain.errors import CounterError, ValidationError
from counter_app.domain.fees import Payment, PaymentMethod, Waiver, WaiverRequest, parse_yuan
from counter_app.domain.lifecycle import Transition, check_transition
from counter_app.domain.subscribers import Subscriber, parse_subscriber
from counter_app.services.certificates import NotIssuedHere, stored_status
from counter_app.services.context import ServiceContext
from counter_app.services.enroll import EnrollmentResult, _undo_or_keep, check_waiver
from counter_app.services.issuance import complete, drop_old_key, fulfil
from counter_app.services.operators import OperatorInfo
from counter_app.services.records import (
    NewApplication,
    application,
    create_application,
    open_journal,
    record_payment,
    upsert_subscriber,
)
from counter_app.services.subjects import subject_for
from counter_app.services.tokens import TokenChoice, open_session
from counter_app.store import audit
from counter_app.store.counter import CertificateItem, SubscriberRow
from counter_app.token import TokenSession, key_spec


class WrongToken(CounterError):
    code = "wrong_token"
    zh = "插入的介质（{given}）不是该证书所在的介质（{expected}）"
    en = "the token inserted ({given}) is not the one holding this certificate ({expected})"


class SameTokenForReissue(CounterError):
    code = "same_token_for_reissue"
    zh = "补办须使用新的证书介质"
    en = "a reissue needs a new token, not the old one"


class IdentityChanged(ValidationError):
    code = "identity_changed"
    zh = "变更不能改变订户身份（证件号码或统一社会信用代码）；请重新申请证书（{field}）"
    en = "a change cannot alter who the subscriber is (ID number or USCC); enroll anew ({field})"


@dataclass(frozen=True)
class Settlement:
    """How the fee is settled: ``{"method": ..., "tendered": ...}`` or ``{"waiver": {...}}``."""

    data: Mapping[str, Any] | None

    def resolve(self, ctx: ServiceContext, fee: int, clerk: str) -> Payment | Waiver | None:
        if fee == 0:
            return None
        if not self.data:
            raise ValidationError("payment")
        if "waiver" in self.data:
            waiver = self.data["waiver"] or {}
            request = WaiverRequest.parse(
                str(waiver.get("reference", "")), str(waiver.get("approved_by", ""))
            )
            return check_waiver(ctx, request, clerk, fee)
        method = str(self.data.get("method", ""))
        if method not in {m.value for m in PaymentMethod}:
            raise ValidationError("payment.method")
        raw = self.data.get("tendered")
        tendered = (
            fee if raw is None and method != "cash" else parse_yuan(raw, field="payment.tendered")
        )
        return Payment(PaymentMethod(method), fee, tendered)


@dataclass(frozen=True)
class _Old:
    record: CertificateRecord
    application_id: str
    certificate_type: str
    subscriber: Subscriber
    subscriber_id: int
    token_serial: str | None
    items: tuple[str, ...]


def _old(ctx: ServiceContext, serial: str, transition: Transition) -> _Old:
    record = ctx.signing.status(serial.upper())
    if record.application_id is None:
        raise NotIssuedHere(serial=serial)
    stored = stored_status(record.status.value)
    check_transition(stored, transition, not_after=record.not_after, now=ctx.clock())
    with ctx.store.session() as session:
        origin = application(session, record.application_id)
        sub = session.get(SubscriberRow, origin.subscriber_id)
        assert sub is not None
        items = tuple(
            session.execute(
                select(CertificateItem.item_code).where(CertificateItem.serial == record.serial_hex)
            ).scalars()
        )
        return _Old(
            record,
            origin.id,
            origin.certificate_type,
            parse_subscriber(json.loads(sub.data)),
            sub.id,
            origin.token_serial,
            items,
        )


def _run(
    ctx: ServiceContext,
    service: str,
    old: _Old,
    *,
    clerk: OperatorInfo,
    reviewer: OperatorInfo,
    token: TokenChoice,
    pin: str,
    settlement: Settlement,
    subscriber: Subscriber | None = None,
    key_algorithm: str | None = None,
    new_item: ApplicationItem | None = None,
) -> EnrollmentResult:
    check_reviewer(clerk.name, reviewer.name, reviewer.role.value)
    cert_type = ctx.fee_table.certificate_type(old.certificate_type)
    fee = ctx.fee_table.fee_for(service, cert_type)
    paid = settlement.resolve(ctx, fee, clerk.name)
    algorithm = cert_type.check_key_algorithm(
        key_algorithm or cert_type.default_key_algorithm.value
    )
    subscriber = subscriber or old.subscriber
    items = old.items + ((new_item.code,) if new_item else ())
    with open_session(ctx, token, pin) as ts:
        _check_token(service, old, ts)
        now = ctx.clock()
        with ctx.store.session() as session:
            sub_row = upsert_subscriber(session, subscriber, now, clerk.name)
            app = create_application(
                session,
                NewApplication(
                    service=service,
                    certificate_type=cert_type.code,
                    clerk=clerk.name,
                    reviewer=reviewer.name,
                    key_algorithm=algorithm.value,
                    token_serial=ts.token_serial,
                    token_label=ts.token_label,
                    old_serial=old.record.serial_hex,
                    data={"items": list(items), "new_item": new_item.code if new_item else None},
                ),
                sub_row,
                now,
            )
            payment = record_payment(
                session,
                application=app,
                payer=subscriber.name,
                fee=fee,
                settlement=paid,
                clerk=clerk.name,
                now=now,
            )
            open_journal(session, app, now)
            subject = subject_for(
                subscriber, subscriber_ref=f"RA{sub_row.id:08d}", items=_in_certificate(ctx, items)
            )
            app_id, receipt = app.id, payment.receipt_number
        ctx.step_done("recorded")
        try:
            issued = fulfil(
                ctx,
                ts,
                app_id,
                spec=key_spec(algorithm.value),
                subject=subject,
                profile=cert_type.profile,
                operator=clerk.name,
            )
        except CounterError as exc:
            _undo_or_keep(ctx, app_id, ts, clerk.name, exc)
            raise
        complete(ctx, app_id, clerk.name)
        _carry_items(ctx, app_id, issued.serial_hex, items)
        if service != "reissue":
            drop_old_key(ts, old.record.serial_hex)
    return EnrollmentResult(
        application_id=app_id,
        serial=issued.serial_hex,
        receipt_number=receipt,
        not_before=issued.not_before,
        not_after=issued.not_after,
        fee_fen=fee,
        change_fen=paid.change_due if isinstance(paid, Payment) else 0,
        token_serial=ts.token_serial,
        token_label=ts.token_label,
    )


def _check_token(service: str, old: _Old, ts: TokenSession) -> None:
    if service == "reissue":
        if old.token_serial and ts.token_serial == old.token_serial:
            raise SameTokenForReissue()
    elif old.token_serial and ts.token_serial != old.token_serial:
        raise WrongToken(given=ts.token_serial, expected=old.token_serial)


def _in_certificate(ctx: ServiceContext, items: tuple[str, ...]) -> tuple[str, ...]:
    catalogue = ctx.application_items
    return tuple(code for code in items if code in catalogue and catalogue[code].in_certificate)


def _carry_items(ctx: ServiceContext, app_id: str, serial: str, items: tuple[str, ...]) -> None:
    now = ctx.clock()
    with ctx.store.session() as session:
        for code in items:
            session.add(
                CertificateItem(serial=serial, item_code=code, application_id=app_id, added_at=now)
            )


def renew(ctx: ServiceContext, serial: str, **kw: Any) -> EnrollmentResult:
    """证书密钥更新: from 30 days before expiry until expiry; never for a revoked certificate."""
    return _run(ctx, "renew", _old(ctx, serial, Transition.RENEW), **kw)


def change(
    ctx: ServiceContext, serial: str, changes: Mapping[str, Any], **kw: Any
) -> EnrollmentResult:
    """变更: corrected details, re-validated; the subscriber's identity itself cannot change."""
    old = _old(ctx, serial, Transition.CHANGE)
    merged = {**old.subscriber.to_mapping(), **dict(changes.get("subscriber", changes))}
    if "agent" in merged and isinstance(merged["agent"], Mapping) and "kind" in merged["agent"]:
        merged["agent"] = {k: v for k, v in merged["agent"].items() if k != "kind"}
    corrected = parse_subscriber(merged, today=ctx.clock().date())
    if (
        corrected.kind != old.subscriber.kind
        or corrected.identity_key != old.subscriber.identity_key
    ):
        raise IdentityChanged("subscriber")
    return _run(ctx, "change", old, subscriber=corrected, **kw)


def add_item(
    ctx: ServiceContext, serial: str, item_code: str, **kw: Any
) -> EnrollmentResult | dict[str, Any]:
    """增加应用项: recorded; when the profile carries items, a new certificate is issued."""
    old = _old(ctx, serial, Transition.ADD_ITEM)
    item = check_application_item(
        item_code, ctx.application_items, subscriber_kind=old.subscriber.kind, registered=old.items
    )
    if item.in_certificate:
        return _run(ctx, "add_item", old, new_item=item, **kw)
    return _record_item_only(ctx, old, item, kw["clerk"], kw["settlement"])


def _record_item_only(
    ctx: ServiceContext,
    old: _Old,
    item: ApplicationItem,
    clerk: OperatorInfo,
    settlement: Settlement,
) -> dict[str, Any]:
    cert_type = ctx.fee_table.certificate_type(old.certificate_type)
    fee = ctx.fee_table.fee_for("add_item", cert_type)
    paid = settlement.resolve(ctx, fee, clerk.name)
    now = ctx.clock()
    with ctx.store.session() as session:
        sub = session.get(SubscriberRow, old.subscriber_id)
        assert sub is not None
        app = create_application(
            session,
            NewApplication(
                service="add_item",
                certificate_type=cert_type.code,
                clerk=clerk.name,
                reviewer=None,
                old_serial=old.record.serial_hex,
                data={"new_item": item.code},
            ),
            sub,
            now,
        )
        payment = record_payment(
            session,
            application=app,
            payer=sub.name,
            fee=fee,
            settlement=paid,
            clerk=clerk.name,
            now=now,
        )
        session.add(
            CertificateItem(
                serial=old.record.serial_hex,
                item_code=item.code,
                application_id=app.id,
                added_at=now,
            )
        )
        app.status, app.closed_at = "done", now
        audit.append(
            session,
            operator=clerk.name,
            action="add_item.done",
            obj=f"application:{app.id}",
            details={"serial": old.record.serial_hex, "item": item.code},
        )
        return {
            "application_id": app.id,
            "serial": old.record.serial_hex,
            "item": item.code,
            "receipt_number": payment.receipt_number,
            "new_certificate": False,
        }


def reissue(ctx: ServiceContext, serial: str, **kw: Any) -> EnrollmentResult:
    """补办: a lost or broken token; new key on a new token, the old certificate revoked."""
    return _run(ctx, "reissue", _old(ctx, serial, Transition.REISSUE), **kw)


__all__ = ["Settlement", "add_item", "change", "reissue", "renew"]
