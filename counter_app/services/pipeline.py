"""One pipeline for every counter service (业务流水线).

::

    request (frozen dataclass, built alike by the GUI and the CLI)
      → plan       the service's own checks, no side effect: validation, lifecycle, fee and
                   settlement, subject lengths the signing module would refuse
      → authorise  the policy (domain/policy.py) on the operators as they are now in the store
      → token      opened with the PIN when the service needs one; ownership checked
      → record     application + frozen snapshot + agreement + payment + journal, one commit
      → perform    the service's own steps, each committed to the journal this process holds
      → close      done; or rolled back, with a refund row linked to the receipt

A service module supplies a request type and a :class:`CounterService` (its ``plan``, its token
checks and its ``perform``); everything else is here, once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from counter_app.domain.agreement import AgreementRecord as AgreementFacts
from counter_app.domain.agreement import AgreementVersion
from counter_app.domain.errors import CounterError, OperatorDisabled
from counter_app.domain.fees import Payment, Waiver, WaiverRequest
from counter_app.domain.policy import Action, Actors, Authorisation, Person, authorise, check_maker
from counter_app.domain.signature import Signature
from counter_app.domain.subscribers import DocumentSeen, Subscriber
from counter_app.services import daybook, journal, stock
from counter_app.services.context import ServiceContext
from counter_app.services.doctor import preflight_signing
from counter_app.services.operators import OperatorInfo
from counter_app.services.records import (
    NewApplication,
    application,
    create_application,
    dumps,
    record_agreement,
    record_payment,
    record_refund,
    subscriber_row_of,
    upsert_subscriber,
)
from counter_app.services.tokens import SubscriberToken, TokenChoice
from counter_app.store import audit
from counter_app.store.counter import ApplicationRow, RefundRow
from counter_app.store.db import Store
from counter_app.store.money_repo import MoneyRows
from counter_app.store.operator_repo import OperatorRows
from counter_app.token.errors import TokenError

log = logging.getLogger(__name__)

Req = TypeVar("Req", contravariant=True)
Res = TypeVar("Res", covariant=True)


class ServiceInterrupted(CounterError):
    """A step failed after the application was recorded and could not be undone at once."""

    code = "interrupted"
    zh = "业务 {application} 在“{step}”步骤中断：{cause_zh}。请重新插入证书介质后运行 counter-app recover 完成或回退。"
    en = (
        "service {application} was interrupted at step '{step}': {cause_en}. Re-insert the token "
        "and run counter-app recover to finish or roll it back."
    )


class ServiceRolledBack(CounterError):
    """A step failed and everything it had done was undone; any fee taken was refunded."""

    code = "rolled_back"
    zh = "业务 {application} 未完成，已回退{refund_zh}：{cause_zh}"
    en = "service {application} did not complete and was rolled back{refund_en}: {cause_en}"


# ---------------------------------------------------------------------------------------------
# Who acts


@dataclass(frozen=True)
class Operators:
    """The operators who signed in for a service: the maker (经办人), the second person who
    approves (审核人) and a supervisor (主管) where the policy or a waiver asks for one."""

    maker: OperatorInfo
    second: OperatorInfo | None = None
    supervisor: OperatorInfo | None = None


def _person(session: Session, info: OperatorInfo) -> Person:
    # Re-read at the moment of acting: a role changed or an account disabled a second ago
    # counts now, not when the operator signed in.
    row = OperatorRows(session).by_id(info.id)
    if row is None or row.name != info.name:
        raise OperatorDisabled(name=info.name)
    return Person(row.name, OperatorInfo.of(row).role, row.active)


def current_actors(store: Store, operators: Operators) -> Actors:
    with store.session() as session:
        return Actors(
            maker=_person(session, operators.maker),
            second=_person(session, operators.second) if operators.second else None,
            supervisor=_person(session, operators.supervisor) if operators.supervisor else None,
        )


# ---------------------------------------------------------------------------------------------
# What a service plans


@dataclass(frozen=True)
class Plan:
    """Everything a service checked and will record; made without any side effect."""

    certificate_type: str
    subscriber: Subscriber
    # None: a service without a receipt (suspend, resume, revoke); 0: a free one with a receipt.
    fee: int | None
    settlement: Payment | WaiverRequest | None = None
    documents: tuple[DocumentSeen, ...] = ()
    agreement: AgreementVersion | None = None
    # The subscriber's signature on the pad for the agreement (the subscriber's screen), if any.
    signature: Signature | None = None
    old_serial: str | None = None
    key_algorithm: str | None = None
    identity_shown: bool = False
    emergency_reason: str | None = None
    # The token the service works on (opened with the request's PIN), if any.
    token: TokenChoice | None = None
    # Service facts recorded in the application's data (items, changes, reasons ...).
    details: Mapping[str, Any] = field(default_factory=dict)
    # Whether the subscriber's row takes these details as the latest (enroll, change); the
    # application's snapshot always holds them.
    update_subscriber: bool = True


@dataclass(frozen=True)
class Recorded:
    application_id: str
    receipt_number: str | None
    subscriber_id: int
    settled: Payment | Waiver | None
    token_serial: str | None
    token_label: str | None

    @property
    def change_due(self) -> int:
        """Change handed back for cash, in fen."""
        return self.settled.change_due if isinstance(self.settled, Payment) else 0


@dataclass
class Job:
    """One recorded service being performed: its journal steps go through here."""

    ctx: ServiceContext
    plan: Plan
    auth: Authorisation
    recorded: Recorded
    token: SubscriberToken | None
    # The service's own request (its PINs reach the token from here and nowhere else).
    request: Any = None

    @property
    def application_id(self) -> str:
        return self.recorded.application_id

    @property
    def operator(self) -> str:
        return self.auth.maker

    @property
    def subscriber_ref(self) -> str:
        """The RA's own reference for the subscriber (no personal data), for serialNumber."""
        return f"RA{self.recorded.subscriber_id:08d}"

    def step(self, name: str, **fields: Any) -> None:
        """Commit the journal's next step (and what it produced) before anything else happens."""
        with self.ctx.store.session() as session:
            journal.step(session, self.application_id, name, self.ctx.clock(), **fields)
        self.ctx.step_done(name)


class CounterService(Protocol, Generic[Req, Res]):
    action: Action

    def plan(self, ctx: ServiceContext, request: Req) -> Plan: ...

    def pin(self, request: Req) -> str | None: ...

    def check_token(self, ctx: ServiceContext, plan: Plan, token: SubscriberToken) -> Plan: ...

    def perform(self, job: Job) -> Res: ...

    def undo(self, job: Job) -> bool: ...


def run(
    ctx: ServiceContext, service: CounterService[Req, Res], request: Req, operators: Operators
) -> Res:
    """Run one service through the pipeline; raise before any side effect on any refusal."""
    actors = current_actors(ctx.store, operators)
    check_maker(service.action, actors.maker)
    plan = service.plan(ctx, request)
    if takes_money(plan):
        # A closed day takes no more money at this counter (日结); checked again at record.
        daybook.check_open_now(ctx)
    auth = _authorise(service.action, actors, plan)
    settled = _settle(plan, auth)
    if getattr(service, "needs_signing", True):
        # The signing client opens now (its secrets, the remote service's answer and version):
        # a counter that cannot sign takes no fee and makes no key (issue 21).
        preflight_signing(lambda: ctx.signing)
    with _token(ctx, plan, service.pin(request)) as token:
        if token is not None:
            _check_key_algorithm(ctx, plan, token)
            plan = service.check_token(ctx, plan, token)
            # From the RA's stock (media fee added) or the subscriber's own token (介质库存).
            plan = stock.plan_token_source(
                ctx,
                service.action,
                plan,
                token.token_serial,
                bool(getattr(request, "own_token", False)),
            )
        # Once more at the moment of acting: the PIN and the token checks took time.
        auth = _authorise(service.action, current_actors(ctx.store, operators), plan)
        settled = _settle(plan, auth)
        recorded = record(ctx, service.action, plan, auth, settled, token)
        job = Job(ctx, plan, auth, recorded, token, request)
        try:
            result = service.perform(job)
        except CounterError as exc:
            _undo_or_keep(service, job, exc)
            raise
        close_done(ctx, recorded.application_id, auth.maker, new_serial=_new_serial(result))
    return result


def takes_money(plan: Plan) -> bool:
    """Whether the service writes a receipt with an amount (paid or waived) into the day."""
    return bool(plan.fee)


def _check_key_algorithm(ctx: ServiceContext, plan: Plan, token: SubscriberToken) -> None:
    """The token must be able to make the chosen key before anything is recorded or paid; the
    refusal names what it can make among the certificate type's choices."""
    if plan.key_algorithm is not None:
        offered = ctx.fee_table.certificate_type(plan.certificate_type).key_algorithms
        token.capabilities.check_key_algorithm(plan.key_algorithm, tuple(a.value for a in offered))


def _new_serial(result: object) -> str | None:
    serial = getattr(result, "new_serial", None)
    return serial if isinstance(serial, str) else None


def _authorise(action: Action, actors: Actors, plan: Plan) -> Authorisation:
    return authorise(
        action,
        actors,
        identity_shown=plan.identity_shown,
        waiver=isinstance(plan.settlement, WaiverRequest),
        emergency_reason=plan.emergency_reason,
    )


def _settle(plan: Plan, auth: Authorisation) -> Payment | Waiver | None:
    if isinstance(plan.settlement, WaiverRequest):
        assert auth.waiver_approved_by is not None and plan.fee is not None
        return plan.settlement.granted_by(auth.waiver_approved_by, plan.fee)
    return plan.settlement


@contextmanager
def _token(ctx: ServiceContext, plan: Plan, pin: str | None) -> Iterator[SubscriberToken | None]:
    if plan.token is None:
        yield None
        return
    assert pin is not None, "a service that names a token gives its PIN"
    with ctx.tokens.session(plan.token, pin) as token:
        yield token


# ---------------------------------------------------------------------------------------------
# Record


def snapshot(plan: Plan, settled: Payment | Waiver | None) -> dict[str, Any]:
    """What was verified and paid, frozen with the application; printing reads only this."""
    payment: dict[str, Any] | None = None
    if isinstance(settled, Payment):
        payment = {
            "method": settled.method.value,
            "fee_fen": settled.fee,
            "tendered_fen": settled.tendered,
            "change_fen": settled.change_due,
        }
    elif isinstance(settled, Waiver):
        payment = {
            "method": "waiver",
            "fee_fen": settled.fee_waived,
            "waiver_reference": settled.reference,
            "waiver_approved_by": settled.approved_by,
        }
    return {
        "subscriber": plan.subscriber.to_mapping(),
        "documents": [d.to_mapping() for d in plan.documents],
        "payment": payment,
        "identity_shown": plan.identity_shown,
    }


def take_fee(
    session: Session,
    ctx: ServiceContext,
    plan: Plan,
    app: ApplicationRow,
    settled: Payment | Waiver | None,
    clerk: str,
    now: dt.datetime,
) -> str:
    """The plan's fee, paid (or waived) by its subscriber at this counter, recorded as the
    application's receipt; the receipt's number. A service and a batch take it alike."""
    assert plan.fee is not None
    return record_payment(
        session,
        application=app,
        payer=plan.subscriber.name,
        fee=plan.fee,
        settlement=settled,
        clerk=clerk,
        now=now,
        counter=ctx.counter,
    ).receipt_number


def record(
    ctx: ServiceContext,
    action: Action,
    plan: Plan,
    auth: Authorisation,
    settled: Payment | Waiver | None,
    token: SubscriberToken | None,
) -> Recorded:
    """The application, its snapshot, agreement, payment and journal: one commit."""
    now = ctx.clock()
    token_serial = token.token_serial if token is not None else None
    token_label = token.token_label if token is not None else None
    with ctx.store.session() as session:
        if takes_money(plan):
            # Under the audit head's lock, which a day close also takes: never both at once.
            daybook.check_open(session, ctx, now)
        subscriber_row = (
            upsert_subscriber(session, plan.subscriber, now, auth.maker)
            if plan.update_subscriber
            else subscriber_row_of(session, plan.subscriber)
        )
        details = {
            **plan.details,
            "documents": [d.to_mapping() for d in plan.documents],
            # The subscriber's identity was checked by the number shown or the documents seen.
            "identity_checked": plan.identity_shown or bool(plan.documents),
            "emergency_reason": auth.emergency_reason,
        }
        app = create_application(
            session,
            NewApplication(
                service=action.value,
                certificate_type=plan.certificate_type,
                clerk=auth.maker,
                reviewer=auth.second,
                key_algorithm=plan.key_algorithm,
                token_serial=token_serial or _details_token(plan, "token_serial"),
                token_label=token_label or _details_token(plan, "token_label"),
                old_serial=plan.old_serial,
                data=details,
            ),
            subscriber_row,
            now,
        )
        app.supervisor = auth.supervisor
        app.counter = ctx.counter
        app.snapshot = dumps(snapshot(plan, settled))
        if plan.agreement is not None:
            assert auth.second is not None, "an agreement is approved by the second person"
            record_agreement(
                session,
                app.id,
                AgreementFacts.of(
                    plan.agreement,
                    accepted_at=now,
                    clerk=auth.maker,
                    reviewer=auth.second,
                    signature=plan.signature,
                ),
            )
        # A free service (fee 0) has its receipt too; a service without a fee has none.
        receipt = (
            take_fee(session, ctx, plan, app, settled, auth.maker, now)
            if plan.fee is not None
            else None
        )
        stock.take(session, plan, app.id, auth.maker, now)
        journal.open_entry(session, app, now)
        recorded = Recorded(
            app.id, receipt, subscriber_row.id, settled, app.token_serial, app.token_label
        )
    ctx.step_done("recorded")
    return recorded


def _details_token(plan: Plan, key: str) -> str | None:
    value = plan.details.get(key)
    return value if isinstance(value, str) else None


# ---------------------------------------------------------------------------------------------
# Close


def close_done(
    ctx: ServiceContext, application_id: str, operator: str, *, new_serial: str | None = None
) -> None:
    now = ctx.clock()
    with ctx.store.session() as session:
        entry = journal.finish(session, application_id, "done", now)
        app = application(session, application_id)
        serial = new_serial or entry.cert_serial
        app.status, app.new_serial, app.closed_at = "done", serial, now
        audit.append(
            session,
            operator=operator,
            action=f"{app.service}.done",
            obj=f"application:{application_id}",
            details={"serial": serial, "superseded": app.old_serial if serial else None},
        )


def close_rolled_back(
    ctx: ServiceContext, application_id: str, operator: str, cause: str, **facts: Any
) -> RefundRow | None:
    """Close as rolled back; money taken for it is refunded with a row of its own."""
    now = ctx.clock()
    with ctx.store.session() as session:
        journal.finish(session, application_id, "rolled_back", now, {"rollback_cause": cause})
        app = application(session, application_id)
        app.status, app.closed_at = "rolled_back", now
        refund = refund_payments(session, app.id, operator, cause, now, counter=ctx.counter)
        stock.put_back(session, app.id, operator, now)
        audit.append(
            session,
            operator=operator,
            action=f"{app.service}.rollback",
            obj=f"application:{application_id}",
            details={
                **facts,
                "cause": cause,
                "refund": refund.refund_number if refund else None,
            },
        )
        return refund


def refund_payments(
    session: Session,
    application_id: str,
    operator: str,
    reason: str,
    now: dt.datetime,
    *,
    counter: str | None = None,
) -> RefundRow | None:
    """A refund of the money collected for the application (a waiver or a free service has
    none to give back); the payment row itself is never touched."""
    money = MoneyRows(session)
    paid = money.money_taken(application_id)
    if paid is None:
        return _refund_batch_share(session, application_id, operator, reason, now, counter)
    already = money.refund_of_receipt(paid.receipt_number)
    if already is not None:
        return already
    return record_refund(
        session,
        paid,
        application_id=application_id,
        amount=paid.fee_fen,
        reason=reason,
        operator=operator,
        now=now,
        counter=counter,
    )


def _refund_batch_share(
    session: Session,
    application_id: str,
    operator: str,
    reason: str,
    now: dt.datetime,
    counter: str | None,
) -> RefundRow | None:
    """A certificate of a batch renewal paid nothing itself: its share of the batch's payment
    is given back (once), whether it is rolled back now or later by recovery."""
    from counter_app.services import batch

    link = batch.batch_share(application(session, application_id).data)
    if link is None:
        return None
    already = MoneyRows(session).refund_of(application_id)
    if already is not None:
        return already
    return batch.share_refund(
        session, link[0], application_id, link[1], reason, operator, now, counter
    )


def _undo_or_keep(service: CounterService[Any, Any], job: Job, exc: CounterError) -> None:
    """Roll back at once when possible; otherwise leave the journal for recovery."""
    cause_zh, cause_en = exc.message("zh"), exc.message("en")
    app_id = job.application_id
    if isinstance(exc, TokenError) and exc.code == "token_removed":
        raise ServiceInterrupted(
            application=app_id, step="token", cause_zh=cause_zh, cause_en=cause_en
        ) from exc
    if isinstance(exc, journal.JournalTaken):
        raise exc
    try:
        undone = service.undo(job)
    except CounterError as second:
        log.warning("rollback of %s failed: %s", app_id, second.message("en"))
        undone = False
    if not undone:
        raise ServiceInterrupted(
            application=app_id, step="rollback", cause_zh=cause_zh, cause_en=cause_en
        ) from exc
    refund = close_rolled_back(job.ctx, app_id, job.operator, cause_en)
    raise ServiceRolledBack(
        application=app_id,
        cause_zh=cause_zh,
        cause_en=cause_en,
        refund_zh=f"（已退款，退款凭证 {refund.refund_number}）" if refund else "",
        refund_en=f" (refunded: {refund.refund_number})" if refund else "",
    ) from exc


def application_snapshot(session: Session, application_id: str) -> dict[str, Any] | None:
    app = application(session, application_id)
    return json.loads(app.snapshot) if app.snapshot else None


__all__ = [
    "CounterService",
    "Job",
    "Operators",
    "Plan",
    "Recorded",
    "ServiceInterrupted",
    "ServiceRolledBack",
    "close_done",
    "close_rolled_back",
    "current_actors",
    "record",
    "run",
]
