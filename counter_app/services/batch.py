"""批量更新 — a unit renews several certificates in one sitting.

One review (the reviewer signs in once), one payment of the total and one receipt that lists each
certificate; then each certificate is renewed as a service of its own through the pipeline (its
own application and journal), in turn, on its own token. A certificate that fails — its token
missing, a wrong PIN, a token that refuses the key — loses none of the others and gets back
only its own share: a refund row of that amount against the batch's receipt.

::

    plan every certificate (renewable, fees, one payer)  → nothing written yet
    authorise once (renew: maker, reviewer; supervisor for a waiver), day open, settle the total
    record the batch: application ``batch_renew`` + one payment of the total, its receipt lines
    for each certificate: run(renew, no fee of its own, linked to the batch and its share)
        refused before it was recorded → refund its share at once
        rolled back                     → the pipeline refunds its share (refund_payments)
        interrupted                     → left to counter-app recover, which refunds it too
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from counter_app.domain.errors import CounterError, ValidationError
from counter_app.domain.fees import Payment, SettlementForm, Waiver
from counter_app.domain.policy import Action
from counter_app.services import daybook
from counter_app.services.certificates import CertificateView, list_certificates
from counter_app.services.context import ServiceContext
from counter_app.services.pipeline import (
    Operators,
    Plan,
    ServiceInterrupted,
    ServiceRolledBack,
    _authorise,
    _settle,
    current_actors,
    run,
    snapshot,
    take_fee,
    takes_money,
)
from counter_app.services.records import (
    NewApplication,
    create_application,
    dumps,
    record_refund,
    subscriber_row_of,
)
from counter_app.services.replace import RenewService, ReplaceRequest
from counter_app.services.tokens import TokenChoice
from counter_app.store import audit
from counter_app.store.counter import RefundRow
from counter_app.store.counter_repo import CounterRows
from counter_app.store.money_repo import MoneyRows

BATCH_SERVICE = "batch_renew"
MAX_BATCH = 50


class BadBatch(ValidationError):
    code = "bad_batch"
    zh = "批量更新文件无效（{field}）：{reason_zh}"
    en = "invalid batch file ({field}): {reason_en}"


class BatchMixedSubscribers(ValidationError):
    code = "batch_mixed_subscribers"
    zh = "批量更新的证书须属于同一订户（或同一单位的设备）：{serial} 属于 {name}"
    en = "the certificates of a batch must belong to one subscriber (or its unit's devices): {serial} belongs to {name}"


# ---------------------------------------------------------------------------------------------
# Request


@dataclass(frozen=True)
class BatchItem:
    serial: str
    token: TokenChoice


@dataclass(frozen=True)
class BatchRequest:
    """BATCH.json: ``[{"serial": ..., "token_label": ...}, ...]``; one PIN per token (the CLI
    takes COUNTER_APP_USER_PIN for each; the GUI asks as each token is inserted)."""

    items: tuple[BatchItem, ...]
    pins: Mapping[str, str] = field(repr=False)
    settlement: SettlementForm = field(default_factory=SettlementForm)
    key_algorithm: str | None = None

    @classmethod
    def parse(
        cls,
        data: object,
        pin: str,
        settlement: SettlementForm,
        key_algorithm: str | None = None,
    ) -> BatchRequest:
        if not isinstance(data, list) or not data:
            raise BadBatch(
                "batch", reason_zh="应为非空的列表", reason_en="expected a non-empty list"
            )
        if len(data) > MAX_BATCH:
            raise BadBatch(
                "batch",
                reason_zh=f"一次最多 {MAX_BATCH} 张证书",
                reason_en=f"at most {MAX_BATCH} certificates at a time",
            )
        items = []
        for i, entry in enumerate(data):
            where = f"batch[{i}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("serial"), str):
                raise BadBatch(where, reason_zh="缺少 serial", reason_en="serial is missing")
            unknown = set(entry) - {"serial", "token_label", "token_serial"}
            if unknown:
                raise BadBatch(
                    where,
                    reason_zh=f"未知字段 {sorted(unknown)}",
                    reason_en=f"unknown keys {sorted(unknown)}",
                )
            label, token_serial = entry.get("token_label"), entry.get("token_serial")
            if not label and not token_serial:
                raise BadBatch(
                    where, reason_zh="缺少 token_label", reason_en="token_label is missing"
                )
            items.append(
                BatchItem(entry["serial"].strip().upper(), TokenChoice(label, token_serial))
            )
        serials = [i.serial for i in items]
        if len(set(serials)) != len(serials):
            raise BadBatch("batch", reason_zh="证书重复", reason_en="a certificate is repeated")
        return cls(tuple(items), {i.serial: pin for i in items}, settlement, key_algorithm)


# ---------------------------------------------------------------------------------------------
# What a subscriber may renew


RENEWAL_WINDOW_DAYS = 30


def renewable_for(ctx: ServiceContext, text: str) -> list[CertificateView]:
    """The live certificates in the renewal window of the subscribers matching ``text`` (a name
    or the end of an identity number) and, for a unit, of its devices."""
    views = list_certificates(ctx, subscriber=text, expiring_within_days=RENEWAL_WINDOW_DAYS)
    with ctx.store.session() as session:
        rows = CounterRows(session)
        devices = {
            row_id
            for identity in rows.unit_identities(text)
            for row_id in rows.devices_of_unit(identity.removeprefix("uscc:"))
        }
    if devices:
        seen = {v.serial for v in views}
        views += [
            v
            for v in list_certificates(ctx, expiring_within_days=RENEWAL_WINDOW_DAYS)
            if v.subscriber_id in devices and v.serial not in seen
        ]
    return views


# ---------------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True)
class ItemOutcome:
    serial: str
    result: str  # renewed | failed | interrupted
    share_fen: int
    application_id: str | None = None
    new_serial: str | None = None
    refund_number: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    receipt_number: str | None
    fee_fen: int
    change_fen: int
    outcomes: tuple[ItemOutcome, ...]

    @property
    def refunded_fen(self) -> int:
        return sum(o.share_fen for o in self.outcomes if o.refund_number)

    @property
    def complete(self) -> bool:
        return all(o.result == "renewed" for o in self.outcomes)

    def to_json(self) -> dict[str, Any]:
        return {
            "batch": self.batch_id,
            "receipt_number": self.receipt_number,
            "fee_fen": self.fee_fen,
            "change_fen": self.change_fen,
            "refunded_fen": self.refunded_fen,
            "certificates": [dataclasses.asdict(o) for o in self.outcomes],
        }


# ---------------------------------------------------------------------------------------------
# The child service: a renewal with no fee of its own, linked to the batch


class BatchRenewService(RenewService):
    """One certificate of a batch: a renewal whose fee was taken by the batch."""

    def __init__(self, batch_id: str, share: int) -> None:
        self.batch_id, self.share = batch_id, share

    def plan(self, ctx: ServiceContext, request: ReplaceRequest) -> Plan:
        # The renewal's own checks; the placeholder form settles its fee, which is then dropped:
        # the batch took the money.
        placeholder = dataclasses.replace(request, settlement=SettlementForm(method="card"))
        planned = super().plan(ctx, placeholder)
        return dataclasses.replace(
            planned,
            fee=None,
            settlement=None,
            details={**planned.details, "batch": self.batch_id, "share_fen": self.share},
        )


def _item_plan(ctx: ServiceContext, item: BatchItem, key_algorithm: str | None) -> Plan:
    # The per-certificate checks of a renewal (window, lifecycle, subject), without money: the
    # form is a placeholder that settles any fee; the batch settles the total itself.
    request = ReplaceRequest(
        item.serial, item.token, "-", SettlementForm(method="card"), key_algorithm
    )
    return RenewService().plan(ctx, request)


def _payer(ctx: ServiceContext, plans: Sequence[tuple[BatchItem, Plan]]) -> Plan:
    """The subscriber who pays: the unit among them (its devices' certificates are its own), or
    the one subscriber of them all; any other mix is refused."""
    chosen = next((p for _, p in plans if p.subscriber.kind.value == "unit"), plans[0][1])
    payer = chosen.subscriber
    payer_key = payer.identity_key
    for item, plan in plans:
        s = plan.subscriber
        owner = getattr(s, "owner_uscc", None)
        if s.identity_key != payer_key and (owner is None or f"uscc:{owner}" != payer_key):
            raise BatchMixedSubscribers("batch", serial=item.serial, name=s.name)
    return chosen


def _lines(ctx: ServiceContext, plans: Sequence[tuple[BatchItem, Plan]]) -> list[dict[str, Any]]:
    lines = []
    for item, plan in plans:
        type_zh = ctx.fee_table.certificate_type(plan.certificate_type).name_zh
        lines.append({"item": f"证书密钥更新 {type_zh} {item.serial}", "fee_fen": plan.fee or 0})
    return lines


@dataclass(frozen=True)
class OpenBatch:
    """A batch whose payment is recorded; its certificates are renewed one by one (the GUI
    asks for each token in turn between two calls of :func:`renew_item`)."""

    batch_id: str
    receipt_number: str | None
    fee_fen: int
    change_fen: int
    maker: str
    shares: tuple[tuple[BatchItem, int], ...]
    key_algorithm: str | None = None


def quote(ctx: ServiceContext, items: Sequence[BatchItem]) -> int:
    """The total the batch will charge, with every certificate's checks (nothing written)."""
    if not items:
        return 0
    plans = [(item, _item_plan(ctx, item, None)) for item in items]
    _payer(ctx, plans)
    return sum(plan.fee or 0 for _, plan in plans)


def start_batch(
    ctx: ServiceContext,
    items: Sequence[BatchItem],
    settlement: SettlementForm,
    operators: Operators,
    key_algorithm: str | None = None,
) -> OpenBatch:
    """Plan every certificate, authorise once, settle and record the one payment of the total.
    Raises before anything is written on any refusal."""
    plans = [(item, _item_plan(ctx, item, key_algorithm)) for item in items]
    payer = _payer(ctx, plans)
    total = sum(plan.fee or 0 for _, plan in plans)
    types = {plan.certificate_type for _, plan in plans}
    batch_plan = dataclasses.replace(
        payer,
        certificate_type=types.pop() if len(types) == 1 else "mixed",
        fee=total,
        settlement=settlement.settle(total),
        token=None,
        old_serial=None,
        key_algorithm=None,
        update_subscriber=False,
        details={
            "certificates": [item.serial for item, _ in plans],
            "receipt_lines": _lines(ctx, plans),
        },
    )
    if takes_money(batch_plan):
        daybook.check_open_now(ctx)
    auth = _authorise(Action.RENEW, current_actors(ctx.store, operators), batch_plan)
    settled = _settle(batch_plan, auth)
    batch_id, receipt = _record_batch(ctx, batch_plan, auth.maker, auth.second, settled)
    change = settled.change_due if isinstance(settled, Payment) else 0
    return OpenBatch(
        batch_id,
        receipt,
        total,
        change,
        auth.maker,
        tuple((item, plan.fee or 0) for item, plan in plans),
        key_algorithm,
    )


def renew_item(
    ctx: ServiceContext, batch: OpenBatch, item: BatchItem, pin: str, operators: Operators
) -> ItemOutcome:
    """Renew one certificate of an open batch on its token; never raises for the certificate's
    own failure (it is the outcome, with its share refunded)."""
    share = dict((i.serial, fee) for i, fee in batch.shares)[item.serial]
    return _renew_one(ctx, batch, operators, item, pin, share)


def skip_item(ctx: ServiceContext, batch: OpenBatch, item: BatchItem, reason: str) -> ItemOutcome:
    """The subscriber did not bring this certificate's token after all: its share back."""
    share = dict((i.serial, fee) for i, fee in batch.shares)[item.serial]
    refund = refund_share(ctx, batch.batch_id, batch.batch_id, share, f"{item.serial}: {reason}")
    return ItemOutcome(item.serial, "failed", share, refund_number=refund, error=reason)


def finish_batch(
    ctx: ServiceContext, batch: OpenBatch, outcomes: Sequence[ItemOutcome]
) -> BatchResult:
    _close_batch(ctx, batch.batch_id, batch.maker, outcomes)
    return BatchResult(
        batch.batch_id, batch.receipt_number, batch.fee_fen, batch.change_fen, tuple(outcomes)
    )


def renew_batch(ctx: ServiceContext, request: BatchRequest, operators: Operators) -> BatchResult:
    """Plan all, take one payment, then renew each certificate in turn."""
    batch = start_batch(ctx, request.items, request.settlement, operators, request.key_algorithm)
    outcomes = [
        renew_item(ctx, batch, item, request.pins[item.serial], operators)
        for item, _ in batch.shares
    ]
    return finish_batch(ctx, batch, outcomes)


def _record_batch(
    ctx: ServiceContext,
    plan: Plan,
    maker: str,
    reviewer: str | None,
    settled: Payment | Waiver | None,
) -> tuple[str, str | None]:
    now = ctx.clock()
    with ctx.store.session() as session:
        if takes_money(plan):
            daybook.check_open(session, ctx, now)
        subscriber_row = subscriber_row_of(session, plan.subscriber)
        app = create_application(
            session,
            NewApplication(
                service=BATCH_SERVICE,
                certificate_type=plan.certificate_type,
                clerk=maker,
                reviewer=reviewer,
                data=dict(plan.details),
            ),
            subscriber_row,
            now,
        )
        app.counter = ctx.counter
        app.snapshot = dumps(snapshot(plan, settled))
        # The batch itself is the payment; its certificates are services of their own.
        app.status, app.closed_at = "done", now
        # A batch with nothing to pay writes no receipt.
        receipt = take_fee(session, ctx, plan, app, settled, maker, now) if plan.fee else None
        return app.id, receipt


def _renew_one(
    ctx: ServiceContext,
    batch: OpenBatch,
    operators: Operators,
    item: BatchItem,
    pin: str,
    share: int,
) -> ItemOutcome:
    batch_id = batch.batch_id
    child = ReplaceRequest(item.serial, item.token, pin, SettlementForm(), batch.key_algorithm)
    try:
        result = run(ctx, BatchRenewService(batch_id, share), child, operators)
    except ServiceInterrupted as exc:
        return ItemOutcome(
            item.serial,
            "interrupted",
            share,
            application_id=exc.data.get("application"),
            error=exc.message("en"),
        )
    except ServiceRolledBack as exc:
        app_id = exc.data.get("application")
        return ItemOutcome(
            item.serial,
            "failed",
            share,
            application_id=app_id,
            refund_number=_refund_of(ctx, app_id),
            error=exc.message("en"),
        )
    except CounterError as exc:
        # Refused before anything of it was recorded (token missing, wrong PIN ...).
        refund = refund_share(ctx, batch_id, batch_id, share, f"{item.serial}: {exc.message('en')}")
        return ItemOutcome(
            item.serial, "failed", share, refund_number=refund, error=exc.message("en")
        )
    return ItemOutcome(
        item.serial,
        "renewed",
        share,
        application_id=result.application_id,
        new_serial=result.serial,
    )


def _refund_of(ctx: ServiceContext, application_id: str | None) -> str | None:
    if application_id is None:
        return None
    with ctx.store.session() as session:
        refund = MoneyRows(session).refund_of(application_id)
        return refund.refund_number if refund is not None else None


def refund_share(
    ctx: ServiceContext, batch_id: str, application_id: str, amount: int, reason: str
) -> str | None:
    """Give back one certificate's share of the batch's payment (nothing for a waiver)."""
    now = ctx.clock()
    operator = "system"
    with ctx.store.session() as session:
        audit.lock_shared(session)
        batch = CounterRows(session).application(batch_id)
        operator = batch.clerk if batch is not None else operator
        refund = share_refund(session, batch_id, application_id, amount, reason, operator, now)
        return refund.refund_number if refund is not None else None


def share_refund(
    session: Any,
    batch_id: str,
    application_id: str,
    amount: int,
    reason: str,
    operator: str,
    now: Any,
    counter: str | None = None,
) -> RefundRow | None:
    paid = MoneyRows(session).money_taken(batch_id)
    if paid is None or amount <= 0:
        return None
    return record_refund(
        session,
        paid,
        application_id=application_id,
        amount=amount,
        reason=reason,
        operator=operator,
        now=now,
        counter=counter or paid.counter,
        batch_id=batch_id,
    )


def batch_share(data: str) -> tuple[str, int] | None:
    """The batch and share of a child application's data, if it is one."""
    try:
        parsed = json.loads(data)
    except ValueError:
        return None
    batch, share = parsed.get("batch"), parsed.get("share_fen")
    if isinstance(batch, str) and isinstance(share, int):
        return batch, share
    return None


def _close_batch(
    ctx: ServiceContext, batch_id: str, operator: str, outcomes: Sequence[ItemOutcome]
) -> None:
    with ctx.store.session() as session:
        audit.append(
            session,
            operator=operator,
            action=f"{BATCH_SERVICE}.done",
            obj=f"application:{batch_id}",
            details={
                "renewed": [o.serial for o in outcomes if o.result == "renewed"],
                "failed": [o.serial for o in outcomes if o.result == "failed"],
                "interrupted": [o.serial for o in outcomes if o.result == "interrupted"],
                "refunds": [o.refund_number for o in outcomes if o.refund_number],
            },
        )
