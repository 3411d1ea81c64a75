"""证书申请 — enrollment: a new subscriber certificate with its key made on the subscriber's token.

Everything that can be checked is checked before anything is written: the application (identity,
documents, agreement, fee, settlement), the subject the signing module would refuse, the
policy (maker, reviewer, supervisor for a waiver), the token's PIN, that the token holds no other
subscriber's live certificate, and that the subscriber has no other live certificate of the type
unless the reviewer approves an additional one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from counter_app.ca import IssuedCertificate, SubjectInfo
from counter_app.domain.applications import ApplicationRequest, parse_application
from counter_app.domain.errors import CounterError
from counter_app.domain.fees import KeyAlgorithm
from counter_app.domain.policy import Action
from counter_app.domain.signature import Signature
from counter_app.domain.subscribers import Device
from counter_app.services.context import ServiceContext
from counter_app.services.issuance import check_issuable, drop_old_key, fulfil, supersede, undo
from counter_app.services.pipeline import Job, Operators, Plan, run
from counter_app.services.records import issued_to, owner_key
from counter_app.services.subjects import subject_for
from counter_app.services.tokens import (
    SubscriberToken,
    TokenChoice,
    TokenHoldsLiveKey,
    certificates_on,
    check_token_belongs,
)
from counter_app.store.counter_repo import CounterRows
from counter_app.token import key_spec


class SecondLiveCertificate(CounterError):
    code = "second_live_certificate"
    zh = (
        "该订户已有一张有效的同类证书（序列号 {serial}）：请办理更新、变更或补办；"
        "确需另发一张时，须由审核人明确批准“增发证书”"
    )
    en = (
        "the subscriber already holds a live certificate of this type (serial {serial}): renew, "
        "change or reissue it; to issue another, the reviewer must approve an additional "
        "certificate explicitly"
    )


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
    # An SM2 dual pair: the KMC's encryption certificate beside the signing one (``serial``).
    encryption_serial: str | None = None

    @property
    def new_serial(self) -> str:
        return self.serial

    @classmethod
    def of(cls, job: Job, issued: IssuedCertificate) -> EnrollmentResult:
        """The facts of a service that put a new certificate on the token."""
        assert job.token is not None
        return cls(
            application_id=job.application_id,
            serial=issued.serial_hex,
            receipt_number=job.recorded.receipt_number or "",
            not_before=issued.not_before,
            not_after=issued.not_after,
            fee_fen=job.plan.fee or 0,
            change_fen=job.recorded.change_due,
            token_serial=job.token.token_serial,
            token_label=job.token.token_label,
        )

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["not_before"] = self.not_before.isoformat()
        data["not_after"] = self.not_after.isoformat()
        if self.encryption_serial is None:
            del data["encryption_serial"]
        return data


@dataclass(frozen=True)
class EnrollRequest:
    """An enrollment: the checked APP.json, the token, and what the reviewer approved."""

    application: ApplicationRequest
    token: TokenChoice
    pin: str = field(repr=False)
    # Supersede this subscriber's live certificate already on the token.
    replace: bool = False
    # The reviewer approves a second live certificate of the type for the subscriber.
    additional_certificate: bool = False
    # The subscriber's own token rather than one from the RA's stock (no media fee).
    own_token: bool = False
    # The subscriber's signature on the pad of the subscriber's screen (optional).
    signature: Signature | None = None

    @classmethod
    def parse(
        cls,
        ctx: ServiceContext,
        data: object,
        *,
        token: TokenChoice,
        pin: str,
        replace: bool = False,
        additional_certificate: bool = False,
        own_token: bool = False,
        signature_png: bytes | None = None,
    ) -> EnrollRequest:
        request = parse_application(data, ctx.fee_table, ctx.agreements, today=ctx.clock().date())
        signature = None if signature_png is None else Signature.of(signature_png)
        return cls(request, token, pin, replace, additional_certificate, own_token, signature)


def owner_name(ctx: ServiceContext, subscriber: object) -> str | None:
    """A device's owning unit's name, as the RA holds it (the subject's O)."""
    if not isinstance(subscriber, Device):
        return None
    with ctx.store.session() as session:
        return CounterRows(session).unit_name(subscriber.owner_uscc)


def enrollment_subject(
    ctx: ServiceContext, request: ApplicationRequest, subscriber_ref: str
) -> SubjectInfo:
    return subject_for(
        request.subscriber,
        subscriber_ref=subscriber_ref,
        owner_name=owner_name(ctx, request.subscriber),
    )


class EnrollService:
    action = Action.ENROLL

    def plan(self, ctx: ServiceContext, request: EnrollRequest) -> Plan:
        app = request.application
        # The RA reference is not known before the subscriber is recorded; its length is fixed.
        check_issuable(
            ctx, enrollment_subject(ctx, app, "RA00000000"), app.certificate_type.profile
        )
        if app.key_algorithm.is_dual:
            from counter_app.services.sm2_pair import check_dual_ready

            check_dual_ready(ctx.signing, ctx.tokens)
        return Plan(
            certificate_type=app.certificate_type.code,
            subscriber=app.subscriber,
            fee=app.fee,
            settlement=app.payment or app.waiver,
            documents=app.documents,
            agreement=app.agreement,
            signature=request.signature,
            key_algorithm=app.key_algorithm.value,
            token=request.token,
            details={
                "additional_certificate": request.additional_certificate,
                "replace": request.replace,
            },
        )

    def pin(self, request: EnrollRequest) -> str:
        return request.pin

    def check_token(self, ctx: ServiceContext, plan: Plan, token: SubscriberToken) -> Plan:
        who = (plan.subscriber.kind.value, plan.subscriber.identity_key)
        with ctx.store.session() as session:
            held = certificates_on(
                token, lambda app_id: owner_key(session, app_id), ctx.signing.status, ctx.clock()
            )
            issued = issued_to(session, *who, plan.certificate_type)
        on_token = check_token_belongs(held, who)
        if on_token and not plan.details.get("replace"):
            raise TokenHoldsLiveKey(serial=on_token[0])
        now = ctx.clock()
        for serial in issued:
            if serial in on_token:
                continue
            record = ctx.signing.status(serial)
            live = record.status.issued and record.not_after > now
            if live and not plan.details.get("additional_certificate"):
                raise SecondLiveCertificate(serial=serial)
        return dataclasses.replace(plan, old_serial=on_token[0] if on_token else None)

    def perform(self, job: Job) -> EnrollmentResult:
        plan = job.plan
        ctx = job.ctx
        request_type = ctx.fee_table.certificate_type(plan.certificate_type)
        subject = subject_for(
            plan.subscriber,
            subscriber_ref=job.subscriber_ref,
            owner_name=owner_name(ctx, plan.subscriber),
        )
        assert plan.key_algorithm is not None and job.token is not None
        encryption_serial = None
        if KeyAlgorithm(plan.key_algorithm).is_dual:
            from counter_app.services.sm2_pair import fulfil_pair_job

            pair = fulfil_pair_job(job, subject=subject, profile=request_type.profile)
            issued, encryption_serial = pair.signing, pair.encryption.serial_hex
        else:
            issued = fulfil(
                job,
                spec=key_spec(plan.key_algorithm),
                subject=subject,
                profile=request_type.profile,
            )
        supersede(ctx, plan.old_serial, job.operator)
        if plan.old_serial:
            drop_old_key(job.token, plan.old_serial)
        result = EnrollmentResult.of(job, issued)
        return dataclasses.replace(result, encryption_serial=encryption_serial)

    def undo(self, job: Job) -> bool:
        return undo(job.ctx, job.application_id, job.token, job.operator)


def enroll(ctx: ServiceContext, request: EnrollRequest, operators: Operators) -> EnrollmentResult:
    """Run a whole enrollment; raise before writing on any refusal."""
    return run(ctx, EnrollService(), request, operators)
