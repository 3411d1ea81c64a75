"""解锁 — PIN unlock at the counter: the subscriber proves who they are, a reviewer approves, the
SO PIN resets the user PIN to one the subscriber chose, and the service is charged (or waived),
journaled and audited like every other through :mod:`counter_app.services.pipeline`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from counter_app.domain.errors import CounterError
from counter_app.domain.fees import SettlementForm
from counter_app.domain.policy import Action
from counter_app.services.context import ServiceContext
from counter_app.services.pipeline import Job, Operators, Plan, run
from counter_app.services.records import check_identity, current_record, subscriber_as_recorded
from counter_app.services.tokens import SubscriberToken, TokenChoice
from counter_app.store.counter_repo import CounterRows


class TokenNotIssuedHere(CounterError):
    code = "token_not_issued_here"
    zh = "该介质（序列号 {serial}）没有在本注册中心办理过证书，无法核对身份"
    en = "no certificate was issued here onto this token (serial {serial}): identity cannot be checked"


@dataclass(frozen=True)
class UnlockRequest:
    token: TokenChoice
    identity: str
    so_pin: str = field(repr=False)
    new_pin: str = field(repr=False)
    settlement: SettlementForm = field(default_factory=SettlementForm)


@dataclass(frozen=True)
class UnlockResult:
    application_id: str
    token_serial: str
    receipt_number: str
    fee_fen: int
    change_fen: int

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class UnlockService:
    action = Action.UNLOCK
    needs_signing = False  # the token's PIN only: no certificate is issued or changed

    def plan(self, ctx: ServiceContext, request: UnlockRequest) -> Plan:
        ctx.tokens.check_new_pin(request.new_pin)
        found = ctx.tokens.identify(request.token)
        with ctx.store.session() as session:
            origin = CounterRows(session).issued_on_token(found.serial)
            if origin is None or origin.new_serial is None:
                raise TokenNotIssuedHere(serial=found.serial)
            current = current_record(session, origin.new_serial, origin.id)
            subscriber = subscriber_as_recorded(session, current)
            certificate_type = origin.certificate_type
        shown = check_identity(subscriber, request.identity)
        fee = ctx.fee_table.fee_for("unlock", ctx.fee_table.certificate_type(certificate_type))
        return Plan(
            certificate_type=certificate_type,
            subscriber=subscriber,
            fee=fee,
            settlement=request.settlement.settle(fee),
            identity_shown=shown,
            details={"token_serial": found.serial, "token_label": found.label},
        )

    def pin(self, request: UnlockRequest) -> None:
        return None

    def check_token(self, ctx: ServiceContext, plan: Plan, token: SubscriberToken) -> Plan:
        return plan

    def perform(self, job: Job) -> UnlockResult:
        # The request's PINs reach the token here and nowhere else.
        request: UnlockRequest = job.request
        serial = str(job.plan.details["token_serial"])
        job.ctx.tokens.unblock(serial, request.so_pin, request.new_pin)
        job.step("unblocked")
        return UnlockResult(
            application_id=job.application_id,
            token_serial=serial,
            receipt_number=job.recorded.receipt_number or "",
            fee_fen=job.plan.fee or 0,
            change_fen=job.recorded.change_due,
        )

    def undo(self, job: Job) -> bool:
        # The token refused the SO PIN or the new PIN: the PIN is as it was.
        return True


def unlock(ctx: ServiceContext, request: UnlockRequest, operators: Operators) -> UnlockResult:
    return run(ctx, UnlockService(), request, operators)
