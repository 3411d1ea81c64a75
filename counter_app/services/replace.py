"""更新 / 变更 / 增加应用项 / 补办: services on an existing certificate.

Renewal makes a new key on the same token and a new one-year certificate; reissue does so on a new
token after a loss. A change of details that the certificate carries (a name, an e-mail) re-issues
it with the *old* end of term; a change the certificate does not carry (a mobile, a new handling
agent) updates the records only. Adding an application item re-issues only when the profile
carries items. The old certificate is revoked as superseded only once the new one is on the token.
Every one runs through :mod:`counter_app.services.pipeline`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from counter_app.ca import CertificateRecord
from counter_app.domain.applications import ApplicationItem, check_application_item
from counter_app.domain.errors import CounterError, ValidationError
from counter_app.domain.fees import KeyAlgorithm, SettlementForm
from counter_app.domain.lifecycle import Transition, check_transition
from counter_app.domain.policy import Action
from counter_app.domain.subscribers import (
    DocumentSeen,
    DocumentType,
    Individual,
    Subscriber,
    Unit,
    document_for_id_type,
    parse_subscriber,
)
from counter_app.services.context import ServiceContext
from counter_app.services.enroll import EnrollmentResult, owner_name
from counter_app.services.issuance import check_issuable, drop_old_key, fulfil, supersede, undo
from counter_app.services.pipeline import Job, Operators, Plan, run
from counter_app.services.records import (
    application,
    current_record,
    owner_key,
    subscriber_as_recorded,
)
from counter_app.services.subjects import subject_for
from counter_app.services.tokens import (
    SubscriberToken,
    TokenChoice,
    certificates_on,
    check_token_belongs,
)
from counter_app.store.counter import CertificateItem
from counter_app.store.counter_repo import CounterRows
from counter_app.token import key_spec


class NotIssuedHere(CounterError):
    code = "not_issued_here"
    zh = "证书 {serial} 不是本注册中心柜台受理签发的"
    en = "certificate {serial} was not issued through this RA's counter"


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


class NothingChanged(ValidationError):
    code = "nothing_changed"
    zh = "变更内容与现有登记信息相同，没有需要变更的项目（{field}）"
    en = "the changes equal what is recorded: there is nothing to change ({field})"


class TokenNeeded(ValidationError):
    code = "token_needed"
    zh = "此项变更须重新签发证书，请插入证书所在的介质（{field}）"
    en = "this change re-issues the certificate: insert the token that holds it ({field})"


@dataclass(frozen=True)
class ItemRecorded:
    """An application item registered on the records (no new certificate)."""

    application_id: str
    serial: str
    item: str
    receipt_number: str
    fee_fen: int
    change_fen: int
    new_certificate: bool = False

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ChangeRecorded:
    """A change of details the certificate does not carry: the records only."""

    application_id: str
    serial: str
    changes: tuple[dict[str, Any], ...]
    receipt_number: str
    fee_fen: int
    change_fen: int
    new_certificate: bool = False

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["changes"] = list(self.changes)
        return data


@dataclass(frozen=True)
class ReplaceRequest:
    """Renew (证书密钥更新) or reissue (补办) a certificate: the token that will hold the new key."""

    serial: str
    token: TokenChoice
    pin: str = field(repr=False)
    settlement: SettlementForm = field(default_factory=SettlementForm)
    key_algorithm: str | None = None
    # A reissue onto the subscriber's own token rather than one from the RA's stock.
    own_token: bool = False


@dataclass(frozen=True)
class ChangeRequest:
    """变更: the corrected details and the documents that prove them; the token only when the
    certificate carries a changed field."""

    serial: str
    changes: Mapping[str, Any]
    documents: tuple[DocumentSeen, ...] = ()
    token: TokenChoice | None = None
    pin: str | None = field(default=None, repr=False)
    settlement: SettlementForm = field(default_factory=SettlementForm)
    key_algorithm: str | None = None


@dataclass(frozen=True)
class AddItemRequest:
    """增加应用项: the item; the token only when the profile carries items."""

    serial: str
    item: str
    token: TokenChoice | None = None
    pin: str | None = field(default=None, repr=False)
    settlement: SettlementForm = field(default_factory=SettlementForm)
    key_algorithm: str | None = None


@dataclass(frozen=True)
class Existing:
    """The certificate a service starts from, with its facts as last verified."""

    record: CertificateRecord
    certificate_type: str
    subscriber: Subscriber
    token_serial: str | None
    items: tuple[str, ...]
    key_algorithm: str | None = None


def existing(ctx: ServiceContext, serial: str, transition: Transition) -> Existing:
    record = ctx.signing.status(serial.strip().upper())
    if record.application_id is None:
        raise NotIssuedHere(serial=serial)
    check_transition(
        record.status.lifecycle,
        transition,
        not_after=record.not_after,
        now=ctx.clock(),
    )
    with ctx.store.session() as session:
        origin = application(session, record.application_id)
        current = current_record(session, record.serial_hex, origin.id)
        items = CounterRows(session).certificate_items(record.serial_hex)
        return Existing(
            record,
            origin.certificate_type,
            subscriber_as_recorded(session, current),
            origin.token_serial,
            items,
            origin.key_algorithm,
        )


def _in_certificate(ctx: ServiceContext, items: tuple[str, ...]) -> tuple[str, ...]:
    catalogue = ctx.application_items
    return tuple(code for code in items if code in catalogue and catalogue[code].in_certificate)


def _carry_items(ctx: ServiceContext, app_id: str, serial: str, items: tuple[str, ...]) -> None:
    now = ctx.clock()
    with ctx.store.session() as session:
        CounterRows(session).add(
            *(
                CertificateItem(serial=serial, item_code=code, application_id=app_id, added_at=now)
                for code in items
            )
        )


class _Replacing:
    """What renew, reissue, and the re-issuing change and add-item share."""

    action: Action
    transition: Transition

    def _plan(
        self,
        ctx: ServiceContext,
        old: Existing,
        *,
        token: TokenChoice | None,
        settlement: SettlementForm,
        key_algorithm: str | None,
        subscriber: Subscriber | None = None,
        details: Mapping[str, Any] | None = None,
        documents: tuple[DocumentSeen, ...] = (),
        items: tuple[str, ...] | None = None,
    ) -> Plan:
        cert_type = ctx.fee_table.certificate_type(old.certificate_type)
        fee = ctx.fee_table.fee_for(self.action.value, cert_type)
        subscriber = subscriber or old.subscriber
        items = old.items if items is None else items
        algorithm = None
        if token is not None:
            # Unless the clerk chooses, the new key is of the old one's kind: the token is the
            # same (or of the same model), and it may offer only that algorithm.
            algorithm = cert_type.check_key_algorithm(
                key_algorithm or old.key_algorithm or cert_type.default_key_algorithm.value
            ).value
            subject = subject_for(
                subscriber,
                subscriber_ref="RA00000000",
                owner_name=owner_name(ctx, subscriber),
                items=_in_certificate(ctx, items),
            )
            check_issuable(ctx, subject, cert_type.profile)
            if KeyAlgorithm(algorithm).is_dual:
                from counter_app.services.sm2_pair import check_dual_ready

                check_dual_ready(ctx.signing, ctx.tokens)
        return Plan(
            certificate_type=cert_type.code,
            subscriber=subscriber,
            # Only a change updates what the RA holds of the subscriber now; a renewal of an
            # older certificate must not put its older details (an earlier agent) back.
            update_subscriber=self.action is Action.CHANGE,
            fee=fee,
            settlement=settlement.settle(fee),
            documents=documents,
            old_serial=old.record.serial_hex,
            key_algorithm=algorithm,
            token=token,
            details={
                **(details or {}),
                "items": list(items),
                "old_token_serial": old.token_serial,
                "old_not_after": old.record.not_after.isoformat(),
            },
        )

    def check_token(self, ctx: ServiceContext, plan: Plan, token: SubscriberToken) -> Plan:
        old_token = plan.details.get("old_token_serial")
        if self.action is Action.REISSUE:
            if old_token and token.token_serial == old_token:
                raise SameTokenForReissue()
        elif old_token and token.token_serial != old_token:
            raise WrongToken(given=token.token_serial, expected=old_token)
        who = (plan.subscriber.kind.value, plan.subscriber.identity_key)
        with ctx.store.session() as session:
            held = certificates_on(
                token, lambda app_id: owner_key(session, app_id), ctx.signing.status, ctx.clock()
            )
        check_token_belongs(held, who)
        return plan

    def _issue(self, job: Job, *, keep_term: bool) -> EnrollmentResult:
        plan, ctx = job.plan, job.ctx
        assert plan.key_algorithm is not None and job.token is not None
        cert_type = ctx.fee_table.certificate_type(plan.certificate_type)
        items = tuple(plan.details.get("items", ()))
        subject = subject_for(
            plan.subscriber,
            subscriber_ref=job.subscriber_ref,
            owner_name=owner_name(ctx, plan.subscriber),
            items=_in_certificate(ctx, items),
        )
        ends = dt.datetime.fromisoformat(plan.details["old_not_after"]) if keep_term else None
        if KeyAlgorithm(plan.key_algorithm).is_dual:
            # An SM2 pair is replaced by a pair; superseding the old signing certificate below
            # revokes its encryption partner too (the KMC keeps the old key for recovery).
            from counter_app.services.sm2_pair import fulfil_pair_job

            pair = fulfil_pair_job(job, subject=subject, profile=cert_type.profile, not_after=ends)
            issued, encryption_serial = pair.signing, pair.encryption.serial_hex
        else:
            encryption_serial = None
            issued = fulfil(
                job,
                spec=key_spec(plan.key_algorithm),
                subject=subject,
                profile=cert_type.profile,
                not_after=ends,
            )
        supersede(ctx, plan.old_serial, job.operator)
        _carry_items(ctx, job.application_id, issued.serial_hex, items)
        if self.action is not Action.REISSUE and plan.old_serial:
            drop_old_key(job.token, plan.old_serial)
        result = EnrollmentResult.of(job, issued)
        return dataclasses.replace(result, encryption_serial=encryption_serial)

    def undo(self, job: Job) -> bool:
        return undo(job.ctx, job.application_id, job.token, job.operator)


class RenewService(_Replacing):
    """证书密钥更新: from 30 days before expiry until expiry; a new one-year certificate."""

    action = Action.RENEW
    transition = Transition.RENEW

    def plan(self, ctx: ServiceContext, request: ReplaceRequest) -> Plan:
        old = existing(ctx, request.serial, self.transition)
        return self._plan(
            ctx,
            old,
            token=request.token,
            settlement=request.settlement,
            key_algorithm=request.key_algorithm,
        )

    def pin(self, request: ReplaceRequest) -> str:
        return request.pin

    def perform(self, job: Job) -> EnrollmentResult:
        return self._issue(job, keep_term=False)


class ReissueService(RenewService):
    """补办: a lost or broken token; new key on a new token, the old certificate revoked."""

    action = Action.REISSUE
    transition = Transition.REISSUE


# ---------------------------------------------------------------------------------------------
# Change


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "kind":
            continue
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def field_changes(before: Subscriber, after: Subscriber) -> tuple[dict[str, Any], ...]:
    """Each changed field, before → after, for the record and the change form."""
    old, new = _flatten(before.to_mapping()), _flatten(after.to_mapping())
    return tuple(
        {"field": name, "before": old.get(name), "after": new.get(name)}
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    )


def documents_for_change(
    subscriber: Subscriber, changed: set[str]
) -> tuple[tuple[DocumentType, str | None], ...]:
    """The documents that prove a change: a new agent brings the authorisation letter and their
    ID card; a unit's own details its business licence; a person their ID card."""
    if isinstance(subscriber, Individual):
        return ((document_for_id_type(subscriber.id_type), subscriber.id_number),)
    if isinstance(subscriber, Unit):
        agent = subscriber.agent
        needed: list[tuple[DocumentType, str | None]] = [
            (document_for_id_type(agent.id_type), agent.id_number)
        ]
        if "agent.id_number" in changed or "agent.name" in changed:
            needed.append((DocumentType.AUTHORISATION_LETTER, None))
        if any(not name.startswith("agent.") for name in changed):
            needed.append((DocumentType.BUSINESS_LICENCE, subscriber.uscc))
        return tuple(needed)
    return ((DocumentType.BUSINESS_LICENCE, subscriber.owner_uscc),)


def changes_certificate(before: Subscriber, after: Subscriber) -> bool:
    """Whether the certificate carries anything that changes (then it is re-issued)."""
    return subject_for(before, subscriber_ref="-") != subject_for(after, subscriber_ref="-")


class ChangeDocumentMissing(ValidationError):
    code = "change_document_missing"
    zh = "此项变更须出示{document_zh}{number_zh}（{field}）"
    en = "this change needs the {document_en}{number_en} ({field})"


def check_change_documents(
    subscriber: Subscriber, changed: set[str], documents: tuple[DocumentSeen, ...]
) -> None:
    seen = {(d.type, d.number) for d in documents}
    types = {d.type for d in documents}
    for doc_type, number in documents_for_change(subscriber, changed):
        if (number is None and doc_type not in types) or (
            number is not None and (doc_type, number) not in seen
        ):
            raise ChangeDocumentMissing(
                "documents",
                document_zh=doc_type.zh,
                document_en=doc_type.value.replace("_", " "),
                number_zh=f"（号码 {number}）" if number else "",
                number_en=f" numbered {number}" if number else "",
            )


class ChangeService(_Replacing):
    action = Action.CHANGE

    def plan(self, ctx: ServiceContext, request: ChangeRequest) -> Plan:
        old = existing(ctx, request.serial, Transition.CHANGE)
        given = dict(request.changes.get("subscriber", request.changes))
        merged = {**old.subscriber.to_mapping(), **given}
        if isinstance(old.subscriber, Unit) and isinstance(given.get("agent"), Mapping):
            agent = {**old.subscriber.to_mapping()["agent"], **given["agent"]}
            merged["agent"] = {k: v for k, v in agent.items() if k != "kind"}
        corrected = parse_subscriber(merged, today=ctx.clock().date())
        if (
            corrected.kind != old.subscriber.kind
            or corrected.identity_key != old.subscriber.identity_key
        ):
            raise IdentityChanged("subscriber")
        changes = field_changes(old.subscriber, corrected)
        if not changes:
            raise NothingChanged("subscriber")
        check_change_documents(corrected, {c["field"] for c in changes}, request.documents)
        in_cert = changes_certificate(old.subscriber, corrected)
        if in_cert and request.token is None:
            raise TokenNeeded("token")
        return self._plan(
            ctx,
            old,
            token=request.token if in_cert else None,
            settlement=request.settlement,
            key_algorithm=request.key_algorithm,
            subscriber=corrected,
            documents=request.documents,
            details={"changes": list(changes), "new_certificate": in_cert},
        )

    def pin(self, request: ChangeRequest) -> str | None:
        return request.pin

    def perform(self, job: Job) -> EnrollmentResult | ChangeRecorded:
        if job.token is not None:
            # The certificate carries a changed field: re-issued, keeping its end of term.
            return self._issue(job, keep_term=True)
        return ChangeRecorded(
            application_id=job.application_id,
            serial=job.plan.old_serial or "",
            changes=tuple(job.plan.details["changes"]),
            receipt_number=job.recorded.receipt_number or "",
            fee_fen=job.plan.fee or 0,
            change_fen=job.recorded.change_due,
        )

    def undo(self, job: Job) -> bool:
        return True if job.token is None else super().undo(job)


# ---------------------------------------------------------------------------------------------
# Add an application item


class AddItemService(_Replacing):
    action = Action.ADD_ITEM

    def plan(self, ctx: ServiceContext, request: AddItemRequest) -> Plan:
        old = existing(ctx, request.serial, Transition.ADD_ITEM)
        item: ApplicationItem = check_application_item(
            request.item,
            ctx.application_items,
            subscriber_kind=old.subscriber.kind,
            registered=old.items,
        )
        if item.in_certificate and request.token is None:
            raise TokenNeeded("token")
        return self._plan(
            ctx,
            old,
            token=request.token if item.in_certificate else None,
            settlement=request.settlement,
            key_algorithm=request.key_algorithm,
            items=(*old.items, item.code),
            details={"new_item": item.code, "new_certificate": item.in_certificate},
        )

    def pin(self, request: AddItemRequest) -> str | None:
        return request.pin

    def perform(self, job: Job) -> EnrollmentResult | ItemRecorded:
        if job.token is not None:
            return self._issue(job, keep_term=True)
        code = str(job.plan.details["new_item"])
        serial = job.plan.old_serial or ""
        _carry_items(job.ctx, job.application_id, serial, (code,))
        return ItemRecorded(
            application_id=job.application_id,
            serial=serial,
            item=code,
            receipt_number=job.recorded.receipt_number or "",
            fee_fen=job.plan.fee or 0,
            change_fen=job.recorded.change_due,
        )

    def undo(self, job: Job) -> bool:
        return True if job.token is None else super().undo(job)


def renew(ctx: ServiceContext, request: ReplaceRequest, operators: Operators) -> EnrollmentResult:
    return run(ctx, RenewService(), request, operators)


def reissue(ctx: ServiceContext, request: ReplaceRequest, operators: Operators) -> EnrollmentResult:
    return run(ctx, ReissueService(), request, operators)


def change(
    ctx: ServiceContext, request: ChangeRequest, operators: Operators
) -> EnrollmentResult | ChangeRecorded:
    return run(ctx, ChangeService(), request, operators)


def add_item(
    ctx: ServiceContext, request: AddItemRequest, operators: Operators
) -> EnrollmentResult | ItemRecorded:
    return run(ctx, AddItemService(), request, operators)


__all__ = [
    "AddItemRequest",
    "ChangeRecorded",
    "ChangeRequest",
    "ItemRecorded",
    "ReplaceRequest",
    "add_item",
    "change",
    "reissue",
    "renew",
]
