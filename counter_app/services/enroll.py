"""证书申请 — enrollment: a new subscriber certificate with its key made on the subscriber's token.

Everything that can be checked is checked before anything is written: the application, the
maker-checker rule, the waiver's approver, the token's presence and PIN, and that the token
does not already hold this subscriber's key for another live certificate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.domain.agreement import AgreementRecord as AgreementFacts
from counter_app.domain.applications import ApplicationRequest, check_reviewer, parse_application
from counter_app.domain.errors import CounterError
from counter_app.domain.fees import Payment, Waiver, WaiverRequest
from counter_app.domain.subscribers import Device
from counter_app.services.context import ServiceContext
from counter_app.services.issuance import (
    ServiceInterrupted,
    ServiceRolledBack,
    complete,
    drop_old_key,
    fulfil,
    roll_back,
)
from counter_app.services.operators import OperatorInfo, find_operator
from counter_app.services.records import (
    NewApplication,
    create_application,
    open_journal,
    record_agreement,
    record_payment,
    upsert_subscriber,
)
from counter_app.services.subjects import subject_for
from counter_app.services.tokens import TokenChoice, check_no_live_key, open_session
from counter_app.store.counter import SubscriberRow
from counter_app.token import TokenSession, key_spec
from counter_app.token.errors import TokenError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnrollmentResult:
    application_id: str
    serial: str
    receipt_number: str
    not_before: dt.datetime
    not_after: dt.datetime
    fee_fen: int
    change_fen: int
    token_serial: str
    token_label: str

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["not_before"] = self.not_before.isoformat()
        data["not_after"] = self.not_after.isoformat()
        return data


def check_waiver(
    ctx: ServiceContext, waiver: WaiverRequest | None, clerk: str, fee: int
) -> Waiver | None:
    if waiver is None:
        return None
    approver = find_operator(ctx.store, waiver.approved_by)
    role = approver.role.value if approver is not None and approver.active else "none"
    return waiver.approve(role, clerk_name=clerk, fee=fee)


def enroll(
    ctx: ServiceContext,
    data: object,
    *,
    clerk: OperatorInfo,
    reviewer: OperatorInfo,
    token: TokenChoice,
    pin: str,
    replace: bool = False,
) -> EnrollmentResult:
    """Run a whole enrollment from the APP.json mapping; raise before writing on any bad input."""
    request = parse_application(data, ctx.fee_table, ctx.agreements, today=ctx.clock().date())
    check_reviewer(clerk.name, reviewer.name, reviewer.role.value)
    waiver = check_waiver(ctx, request.waiver, clerk.name, request.fee)
    with open_session(ctx, token, pin) as ts:
        live = check_no_live_key(ctx, ts, request.subscriber, replace=replace)
        old = live[0] if live else None
        app_id, receipt, subject, token_info = _record(
            ctx, request, clerk, reviewer, waiver, ts, old
        )
        try:
            issued = fulfil(
                ctx,
                ts,
                app_id,
                spec=key_spec(request.key_algorithm.value),
                subject=subject,
                profile=request.certificate_type.profile,
                operator=clerk.name,
            )
        except CounterError as exc:
            _undo_or_keep(ctx, app_id, ts, clerk.name, exc)
            raise
        complete(ctx, app_id, clerk.name)
        if old is not None:
            drop_old_key(ts, old)
    return EnrollmentResult(
        application_id=app_id,
        serial=issued.serial_hex,
        receipt_number=receipt,
        not_before=issued.not_before,
        not_after=issued.not_after,
        fee_fen=request.fee,
        change_fen=request.change_due,
        token_serial=token_info[0],
        token_label=token_info[1],
    )


def _record(
    ctx: ServiceContext,
    request: ApplicationRequest,
    clerk: OperatorInfo,
    reviewer: OperatorInfo,
    waiver: Waiver | None,
    ts: TokenSession,
    old_serial: str | None,
) -> tuple[str, str, Any, tuple[str, str]]:
    now = ctx.clock()
    serial, label = ts.token_serial, ts.token_label
    with ctx.store.session() as session:
        subscriber_row = upsert_subscriber(session, request.subscriber, now, clerk.name)
        app = create_application(
            session,
            NewApplication(
                service="enroll",
                certificate_type=request.certificate_type.code,
                clerk=clerk.name,
                reviewer=reviewer.name,
                key_algorithm=request.key_algorithm.value,
                token_serial=serial,
                token_label=label,
                old_serial=old_serial,
                data={"documents": [d.to_mapping() for d in request.documents]},
            ),
            subscriber_row,
            now,
        )
        record_agreement(
            session,
            app.id,
            AgreementFacts.of(
                request.agreement, accepted_at=now, clerk=clerk.name, reviewer=reviewer.name
            ),
        )
        settlement: Payment | Waiver | None = request.payment or waiver
        payment = record_payment(
            session,
            application=app,
            payer=request.subscriber.name,
            fee=request.fee,
            settlement=settlement,
            clerk=clerk.name,
            now=now,
        )
        open_journal(session, app, now)
        subject = subject_for(
            request.subscriber,
            subscriber_ref=f"RA{subscriber_row.id:08d}",
            owner_name=_owner_name(session, request),
        )
        app_id, receipt = app.id, payment.receipt_number
    ctx.step_done("recorded")
    return app_id, receipt, subject, (serial, label)


def _owner_name(session: Session, request: ApplicationRequest) -> str | None:
    if not isinstance(request.subscriber, Device):
        return None
    owner = session.execute(
        select(SubscriberRow.name).where(
            SubscriberRow.kind == "unit",
            SubscriberRow.identity == f"uscc:{request.subscriber.owner_uscc}",
        )
    ).scalar_one_or_none()
    return owner


def _undo_or_keep(
    ctx: ServiceContext, app_id: str, ts: TokenSession, operator: str, exc: CounterError
) -> None:
    """Roll back at once when the token is still there; otherwise leave the journal for recovery."""
    cause = exc.message("en")
    if isinstance(exc, TokenError) and exc.code == "token_removed":
        raise ServiceInterrupted(
            application=app_id, step="token", cause_zh=exc.message("zh"), cause_en=cause
        ) from exc
    try:
        done = roll_back(ctx, app_id, ts, operator, cause)
    except CounterError as second:
        log.warning("rollback of %s failed: %s", app_id, second.message("en"))
        done = False
    if not done:
        raise ServiceInterrupted(
            application=app_id, step="rollback", cause_zh=exc.message("zh"), cause_en=cause
        ) from exc
    raise ServiceRolledBack(application=app_id, cause_zh=exc.message("zh"), cause_en=cause) from exc
