"""挂起 / 解挂 / 吊销 and look-up: what a clerk does with an existing certificate.

Each status change is an application of its own (with its change form's facts), checked
against the lifecycle rules in :mod:`counter_app.domain.lifecycle`, applied by the signing
module (which publishes a new CRL and refreshes OCSP at once) and audited.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from counter_app.ca import CertificateRecord
from counter_app.ca import RevocationReason as CAReason
from counter_app.domain.errors import CounterError, ValidationError
from counter_app.domain.lifecycle import (
    CertificateStatus,
    RevocationReason,
    Transition,
    check_transition,
    effective_status,
    expires_within,
)
from counter_app.services.context import ServiceContext
from counter_app.services.operators import OperatorInfo
from counter_app.services.records import NewApplication, application, create_application
from counter_app.store import audit
from counter_app.store.certificates import Certificate
from counter_app.store.counter import ApplicationRow, CertificateItem, SubscriberRow

_CA_TO_DOMAIN = {
    "good": CertificateStatus.ACTIVE,
    "hold": CertificateStatus.ON_HOLD,
    "revoked": CertificateStatus.REVOKED,
}


def stored_status(ca_status: str) -> CertificateStatus:
    """The lifecycle status of a signing-module record; one still being signed counts as on hold."""
    return _CA_TO_DOMAIN.get(ca_status, CertificateStatus.ON_HOLD)


class NotIssuedHere(CounterError):
    code = "not_issued_here"
    zh = "证书 {serial} 不是本注册中心柜台受理签发的"
    en = "certificate {serial} was not issued through this RA's counter"


class IdentityMismatch(ValidationError):
    code = "identity_mismatch"
    zh = "出示的证件号码与证书订户不符"
    en = "the identity document shown does not match the certificate's subscriber"


@dataclass(frozen=True)
class CertificateView:
    serial: str
    status: str
    status_zh: str
    subject: str
    profile: str
    not_before: dt.datetime
    not_after: dt.datetime
    revoked_at: dt.datetime | None
    reason: str | None
    application_id: str | None
    subscriber_id: int | None
    subscriber_name: str | None
    subscriber_kind: str | None
    certificate_type: str | None
    token_serial: str | None
    items: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("not_before", "not_after", "revoked_at"):
            out[key] = out[key].isoformat() if out[key] else None
        out["items"] = list(self.items)
        return out


def _status(record_status: str, not_after: dt.datetime, now: dt.datetime) -> CertificateStatus:
    stored = _CA_TO_DOMAIN.get(record_status)
    if stored is None:  # pending: signing never completed
        return (
            CertificateStatus.REVOKED if record_status == "revoked" else CertificateStatus.ON_HOLD
        )
    return effective_status(stored, not_after, now)


def _view(session: Any, cert: Certificate, now: dt.datetime) -> CertificateView:
    app = session.get(ApplicationRow, cert.application_id) if cert.application_id else None
    sub = session.get(SubscriberRow, app.subscriber_id) if app else None
    items = tuple(
        session.execute(
            select(CertificateItem.item_code).where(CertificateItem.serial == cert.serial_hex)
        ).scalars()
    )
    status = _status(cert.status, cert.not_after, now) if cert.status != "pending" else None
    return CertificateView(
        serial=cert.serial_hex,
        status=status.value if status else "pending",
        status_zh=status.zh if status else "签发中",
        subject=cert.subject.replace("2.5.4.5=", "serialNumber="),
        profile=cert.profile,
        not_before=cert.not_before,
        not_after=cert.not_after,
        revoked_at=cert.revoked_at,
        reason=cert.reason,
        application_id=cert.application_id,
        subscriber_id=sub.id if sub else None,
        subscriber_name=sub.name if sub else None,
        subscriber_kind=sub.kind if sub else None,
        certificate_type=app.certificate_type if app else None,
        token_serial=app.token_serial if app else None,
        items=items,
    )


def show_certificate(ctx: ServiceContext, serial: str) -> CertificateView:
    with ctx.store.session() as session:
        cert = session.get(Certificate, serial.upper())
        if cert is None:
            from counter_app.ca import CertificateNotFound

            raise CertificateNotFound(serial=serial)
        return _view(session, cert, ctx.clock())


def list_certificates(
    ctx: ServiceContext,
    *,
    subscriber: str | None = None,
    status: str | None = None,
    expiring_within_days: int | None = None,
    limit: int = 500,
) -> list[CertificateView]:
    """Filters: subscriber name (substring) or identity number, status (effective), expiring."""
    now = ctx.clock()
    with ctx.store.session() as session:
        query = (
            select(Certificate)
            .where(Certificate.status != "pending")
            .order_by(Certificate.not_after)
        )
        if subscriber:
            query = (
                query.join(ApplicationRow, ApplicationRow.id == Certificate.application_id)
                .join(SubscriberRow, SubscriberRow.id == ApplicationRow.subscriber_id)
                .where(
                    SubscriberRow.name.contains(subscriber)
                    | SubscriberRow.identity.endswith(subscriber.upper())
                )
            )
        views = [_view(session, c, now) for c in session.execute(query).scalars()]
    if status:
        views = [v for v in views if v.status == status]
    if expiring_within_days is not None:
        views = [
            v
            for v in views
            if v.status in ("active", "on_hold")
            and expires_within(v.not_after, now, expiring_within_days)
        ]
    return views[:limit]


def check_identity(session: Any, app: ApplicationRow, identity: str | None) -> SubscriberRow:
    """The application's subscriber; the number shown must be theirs or their agent's."""
    sub = session.get(SubscriberRow, app.subscriber_id)
    assert sub is not None
    if identity is not None:
        data = json.loads(sub.data)
        shown = {sub.identity.split(":")[-1].upper()}
        if "agent" in data:
            shown.add(str(data["agent"].get("id_number", "")).upper())
        if identity.strip().upper() not in shown:
            raise IdentityMismatch("identity")
    return sub


def _change_status(
    ctx: ServiceContext,
    serial: str,
    transition: Transition,
    operator: OperatorInfo,
    *,
    identity: str | None,
    reason: RevocationReason | None = None,
) -> CertificateView:
    serial = serial.upper()
    record: CertificateRecord = ctx.signing.status(serial)
    if record.application_id is None:
        raise NotIssuedHere(serial=serial)
    stored = stored_status(record.status.value)
    check_transition(stored, transition, not_after=record.not_after, now=ctx.clock())
    now = ctx.clock()
    with ctx.store.session() as session:
        origin = application(session, record.application_id)
        sub = check_identity(session, origin, identity)
        service = {
            Transition.HOLD: "suspend",
            Transition.RELEASE: "resume",
            Transition.REVOKE: "revoke",
        }[transition]
        app = create_application(
            session,
            NewApplication(
                service=service,
                certificate_type=origin.certificate_type,
                clerk=operator.name,
                reviewer=None,
                old_serial=serial,
                token_serial=origin.token_serial,
                data={
                    "reason": reason.value if reason else None,
                    "identity_checked": identity is not None,
                },
            ),
            sub,
            now,
        )
        app_id = app.id
    if transition is Transition.HOLD:
        ctx.signing.hold(serial, operator=operator.name)
    elif transition is Transition.RELEASE:
        ctx.signing.release(serial, operator=operator.name)
    else:
        assert reason is not None
        ctx.signing.revoke(serial, CAReason(reason.value), operator=operator.name)
    with ctx.store.session() as session:
        app = application(session, app_id)
        app.status, app.closed_at, app.new_serial = "done", ctx.clock(), None
        audit.append(
            session,
            operator=operator.name,
            action=f"{service}.done",
            obj=f"application:{app_id}",
            details={"serial": serial, "reason": reason.value if reason else None},
        )
    return show_certificate(ctx, serial)


def suspend(
    ctx: ServiceContext, serial: str, operator: OperatorInfo, *, identity: str | None = None
) -> CertificateView:
    """挂起: certificateHold; OCSP and the CRL say so at once."""
    return _change_status(ctx, serial, Transition.HOLD, operator, identity=identity)


def resume(
    ctx: ServiceContext, serial: str, operator: OperatorInfo, *, identity: str | None = None
) -> CertificateView:
    """解挂: only from hold; a revoked certificate never comes back."""
    return _change_status(ctx, serial, Transition.RELEASE, operator, identity=identity)


def revoke(
    ctx: ServiceContext,
    serial: str,
    reason: RevocationReason,
    operator: OperatorInfo,
    *,
    identity: str | None = None,
) -> CertificateView:
    """吊销 with an RFC 5280 reason; final."""
    return _change_status(
        ctx, serial, Transition.REVOKE, operator, identity=identity, reason=reason
    )


def show_application(ctx: ServiceContext, application_id: str) -> dict[str, Any]:
    from counter_app.store.counter import AgreementRecord, JournalEntry, PaymentRow

    with ctx.store.session() as session:
        app = application(session, application_id)
        sub = session.get(SubscriberRow, app.subscriber_id)
        agreement = session.execute(
            select(AgreementRecord).where(AgreementRecord.application_id == app.id)
        ).scalar_one_or_none()
        payments = (
            session.execute(select(PaymentRow).where(PaymentRow.application_id == app.id))
            .scalars()
            .all()
        )
        journal = session.execute(
            select(JournalEntry).where(JournalEntry.application_id == app.id)
        ).scalar_one_or_none()
        return {
            "application_id": app.id,
            "service": app.service,
            "status": app.status,
            "certificate_type": app.certificate_type,
            "clerk": app.clerk,
            "reviewer": app.reviewer,
            "key_algorithm": app.key_algorithm,
            "token_serial": app.token_serial,
            "token_label": app.token_label,
            "old_serial": app.old_serial,
            "serial": app.new_serial,
            "created_at": app.created_at.isoformat(),
            "closed_at": app.closed_at.isoformat() if app.closed_at else None,
            "details": json.loads(app.data),
            "subscriber": {"id": sub.id, "kind": sub.kind, "name": sub.name, **json.loads(sub.data)}
            if sub
            else None,
            "agreement": None
            if agreement is None
            else {
                "version": agreement.version,
                "sha256": agreement.text_sha256,
                "accepted_at": agreement.accepted_at.isoformat(),
                "clerk": agreement.clerk,
                "reviewer": agreement.reviewer,
                "signature": agreement.signature,
            },
            "payments": [
                {
                    "receipt_number": p.receipt_number,
                    "fee_fen": p.fee_fen,
                    "method": p.method,
                    "tendered_fen": p.tendered_fen,
                    "change_fen": p.change_fen,
                    "waiver_reference": p.waiver_reference,
                    "waiver_approved_by": p.waiver_approved_by,
                    "time": p.time.isoformat(),
                }
                for p in payments
            ],
            "journal": None if journal is None else {"step": journal.step, "state": journal.state},
        }
