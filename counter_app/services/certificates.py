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

from counter_app.ca import CertificateRecord
from counter_app.ca.model import subject_text
from counter_app.domain.errors import ValidationError
from counter_app.domain.lifecycle import (
    CertificateStatus,
    RecordStatus,
    RevocationReason,
    Transition,
    check_transition,
    effective_status,
    expires_within,
)
from counter_app.domain.policy import Action
from counter_app.services.context import ServiceContext
from counter_app.services.pipeline import Job, Operators, Plan, run
from counter_app.services.records import (
    application,
    check_identity,
    current_record,
    subscriber_as_recorded,
)
from counter_app.services.replace import NotIssuedHere
from counter_app.services.tokens import SubscriberToken
from counter_app.store import audit
from counter_app.store.counter_repo import CounterRows
from counter_app.store.money_repo import MoneyRows


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


def _view(session: Any, cert: CertificateRecord, now: dt.datetime) -> CertificateView:
    rows = CounterRows(session)
    app = rows.application(cert.application_id) if cert.application_id else None
    sub = rows.subscriber(app.subscriber_id) if app else None
    items = rows.certificate_items(cert.serial_hex)
    status: CertificateStatus | RecordStatus = (
        cert.status
        if cert.status is RecordStatus.PENDING
        else effective_status(cert.status.lifecycle, cert.not_after, now)
    )
    return CertificateView(
        serial=cert.serial_hex,
        status=status,
        status_zh=status.zh,
        subject=subject_text(cert.subject),
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


def record_read(ctx: ServiceContext, reader: str, what: str, key: str, **details: Any) -> None:
    """Reading subscriber data is audited: who looked at whom, and when (the event's time)."""
    with ctx.store.session() as session:
        audit.append(session, operator=reader, action=f"read.{what}", obj=key, details=details)


def show_certificate(ctx: ServiceContext, serial: str) -> CertificateView:
    record = ctx.signing.status(serial.upper())
    with ctx.store.session() as session:
        return _view(session, record, ctx.clock())


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
        # Whose certificates: the counter's rows; the certificates: the signing module's.
        applications = (
            CounterRows(session).applications_of_subscriber(subscriber) if subscriber else None
        )
    records = ctx.signing.records(applications) if applications != [] else []
    with ctx.store.session() as session:
        views = [_view(session, record, now) for record in records]
    if status:
        views = [v for v in views if v.status == status]
    if expiring_within_days is not None:
        views = [
            v
            for v in views
            if v.status in (CertificateStatus.ACTIVE, CertificateStatus.ON_HOLD)
            and expires_within(v.not_after, now, expiring_within_days)
        ]
    return views[:limit]


@dataclass(frozen=True)
class StatusRequest:
    """挂起 / 解挂 / 吊销: the certificate, the identity shown (the number on the document), and
    for an emergency hold without it, the supervisor's reason."""

    serial: str
    identity: str | None = None
    reason: RevocationReason | None = None
    emergency_reason: str | None = None


@dataclass(frozen=True)
class StatusChanged:
    application_id: str
    certificate: CertificateView

    def to_json(self) -> dict[str, Any]:
        return {"application_id": self.application_id, **self.certificate.to_json()}


class _StatusService:
    action: Action
    transition: Transition

    def plan(self, ctx: ServiceContext, request: StatusRequest) -> Plan:
        serial = request.serial.strip().upper()
        record: CertificateRecord = ctx.signing.status(serial)
        if record.application_id is None:
            raise NotIssuedHere(serial=serial)
        check_transition(
            record.status.lifecycle,
            self.transition,
            not_after=record.not_after,
            now=ctx.clock(),
        )
        with ctx.store.session() as session:
            origin = application(session, record.application_id)
            current = current_record(session, serial, origin.id)
            subscriber = subscriber_as_recorded(session, current)
            certificate_type, token_serial = origin.certificate_type, origin.token_serial
        shown = check_identity(subscriber, request.identity)
        return Plan(
            certificate_type=certificate_type,
            subscriber=subscriber,
            fee=None,
            old_serial=serial,
            identity_shown=shown,
            emergency_reason=None if shown else request.emergency_reason,
            details={
                "reason": request.reason.value if request.reason else None,
                "token_serial": token_serial,
            },
        )

    def pin(self, request: StatusRequest) -> None:
        return None

    def check_token(self, ctx: ServiceContext, plan: Plan, token: SubscriberToken) -> Plan:
        return plan

    def perform(self, job: Job) -> StatusChanged:
        serial = job.plan.old_serial
        assert serial is not None
        apply_status(job.ctx, self.transition, serial, job.operator, job.plan.details.get("reason"))
        job.step("applied")
        return StatusChanged(job.application_id, show_certificate(job.ctx, serial))

    def undo(self, job: Job) -> bool:
        # The signing module refused or could not be reached: nothing changed, nothing to undo.
        return True


def apply_status(
    ctx: ServiceContext, transition: Transition, serial: str, operator: str, reason: str | None
) -> None:
    if transition is Transition.HOLD:
        ctx.signing.hold(serial, operator=operator)
    elif transition is Transition.RELEASE:
        ctx.signing.release(serial, operator=operator)
    else:
        assert reason is not None
        ctx.signing.revoke(serial, RevocationReason(reason), operator=operator)


class SuspendService(_StatusService):
    """挂起: certificateHold; OCSP and the CRL say so at once."""

    action = Action.SUSPEND
    transition = Transition.HOLD


class ResumeService(_StatusService):
    """解挂: only from hold; a revoked certificate never comes back."""

    action = Action.RESUME
    transition = Transition.RELEASE


class RevokeService(_StatusService):
    """吊销 with an RFC 5280 reason; final."""

    action = Action.REVOKE
    transition = Transition.REVOKE


STATUS_SERVICES: dict[Transition, type[_StatusService]] = {
    Transition.HOLD: SuspendService,
    Transition.RELEASE: ResumeService,
    Transition.REVOKE: RevokeService,
}


def suspend(ctx: ServiceContext, request: StatusRequest, operators: Operators) -> StatusChanged:
    return run(ctx, SuspendService(), request, operators)


def resume(ctx: ServiceContext, request: StatusRequest, operators: Operators) -> StatusChanged:
    return run(ctx, ResumeService(), request, operators)


def revoke(ctx: ServiceContext, request: StatusRequest, operators: Operators) -> StatusChanged:
    if request.reason is None:
        raise ValidationError("reason")
    return run(ctx, RevokeService(), request, operators)


def show_application(ctx: ServiceContext, application_id: str) -> dict[str, Any]:
    with ctx.store.session() as session:
        app = application(session, application_id)
        rows, money = CounterRows(session), MoneyRows(session)
        sub = rows.subscriber(app.subscriber_id)
        agreement = rows.agreement(app.id)
        payments = money.payments_of([app.id])
        refunds = money.refunds_of([app.id])
        journal = rows.journal_entry(app.id)
        snapshot = json.loads(app.snapshot) if app.snapshot else None
        # What was verified that day; the subscriber's row holds only the latest facts.
        verified = (
            snapshot["subscriber"]
            if snapshot
            else ({"kind": sub.kind, "name": sub.name, **json.loads(sub.data)} if sub else None)
        )
        return {
            "application_id": app.id,
            "service": app.service,
            "status": app.status,
            "certificate_type": app.certificate_type,
            "clerk": app.clerk,
            "reviewer": app.reviewer,
            "supervisor": app.supervisor,
            "key_algorithm": app.key_algorithm,
            "token_serial": app.token_serial,
            "token_label": app.token_label,
            "old_serial": app.old_serial,
            "serial": app.new_serial,
            "created_at": app.created_at.isoformat(),
            "closed_at": app.closed_at.isoformat() if app.closed_at else None,
            "details": json.loads(app.data),
            "subscriber": None if verified is None else {"id": app.subscriber_id, **verified},
            "documents": (snapshot or {}).get("documents")
            or json.loads(app.data).get("documents")
            or [],
            "agreement": None
            if agreement is None
            else {
                "version": agreement.version,
                "sha256": agreement.text_sha256,
                "accepted_at": agreement.accepted_at.isoformat(),
                "clerk": agreement.clerk,
                "reviewer": agreement.reviewer,
                "signature": agreement.signature,
                "signature_sha256": agreement.signature_sha256,
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
            "refunds": [
                {
                    "refund_number": r.refund_number,
                    "receipt_number": r.receipt_number,
                    "amount_fen": r.amount_fen,
                    "method": r.method,
                    "reason": r.reason,
                    "clerk": r.clerk,
                    "time": r.time.isoformat(),
                }
                for r in refunds
            ],
            "journal": None if journal is None else {"step": journal.step, "state": journal.state},
        }
