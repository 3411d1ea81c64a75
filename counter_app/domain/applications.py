"""Applications (证书申请) read from APP.json, maker-checker review, application items, numbers.

``parse_application`` checks everything that needs no I/O (identity, documents, agreement,
certificate type, key algorithm, fee and payment, the waiver's form) and raises the first
error; ``validate_application`` runs the same checks and returns every error for the GUI. The
checks that need the store or a token (the waiver approver's role, the reviewer's password,
the token PIN) are the services' job, using :meth:`WaiverRequest.approve` and
:func:`check_reviewer` from here.

Application items (应用项) are the relying systems a certificate is registered for, configured
in ``resources/application_items.toml``. Receipt and application numbers are
``<letter><yyyymmdd>[<station>]<sequence>``, e.g. ``R2026112400001``; the daily sequence comes
from the database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from counter_app.domain.agreement import AgreementVersion, parse_agreement
from counter_app.domain.errors import CounterError, ValidationError
from counter_app.domain.fees import (
    CertificateType,
    FeeTable,
    KeyAlgorithm,
    Payment,
    PaymentMethod,
    SettlementForm,
    WaiverRequest,
)
from counter_app.domain.fields import (
    Collector,
    MissingField,
    get_required_str,
    get_str,
    refuse_unknown_keys,
    require_mapping,
    shown,
)
from counter_app.domain.operators import Role
from counter_app.domain.policy import Action
from counter_app.domain.subscribers import (
    DocumentSeen,
    Subscriber,
    SubscriberKind,
    check_documents,
    collect_documents,
    collect_subscriber,
)

_APPLICATION_KEYS = (
    "certificate_type",
    "subscriber",
    "documents",
    "agreement",
    "payment",
    "key_algorithm",
)


class SubscriberKindMismatch(ValidationError):
    code = "subscriber_kind_mismatch"
    zh = "{type_zh}只能为{kind_zh}申请（{field}）"
    en = "a {type_en} is only for a {kind} subscriber ({field})"


@dataclass(frozen=True)
class ApplicationRequest:
    """A fully checked application, ready for the services to record and fulfil.

    Exactly one of ``payment`` and ``waiver`` is set; a waiver still needs
    :meth:`WaiverRequest.approve` once the approver's role is looked up.
    """

    certificate_type: CertificateType
    subscriber: Subscriber
    documents: tuple[DocumentSeen, ...]
    agreement: AgreementVersion
    key_algorithm: KeyAlgorithm
    fee: int
    payment: Payment | None
    waiver: WaiverRequest | None

    @property
    def change_due(self) -> int:
        return self.payment.change_due if self.payment is not None else 0


def _settlement(
    data: Mapping[str, Any], fee: int, path: str = "payment"
) -> Payment | WaiverRequest:
    if "payment" not in data:
        raise MissingField(path)
    settled = SettlementForm.from_mapping(data["payment"], path).settle(fee, path)
    if settled is None:  # a free certificate type: nothing to pay, a receipt of nothing
        return Payment(PaymentMethod.CASH, 0, 0)
    return settled


def _certificate_type(data: Mapping[str, Any], table: FeeTable) -> CertificateType:
    code = get_required_str(data, "certificate_type", "")
    return table.certificate_type(code)


def _key_algorithm(data: Mapping[str, Any], cert_type: CertificateType) -> KeyAlgorithm:
    raw = get_str(data, "key_algorithm", "", optional=True)
    return cert_type.default_key_algorithm if raw is None else cert_type.check_key_algorithm(raw)


def _kind_matches(cert_type: CertificateType, subscriber: Subscriber) -> None:
    if subscriber.kind != cert_type.subscriber_kind:
        raise SubscriberKindMismatch(
            "subscriber.kind",
            type_zh=cert_type.name_zh,
            type_en=cert_type.name_en,
            kind=cert_type.subscriber_kind.value,
            kind_zh=cert_type.subscriber_kind.zh,
        )


def _collect(
    data: object,
    fee_table: FeeTable,
    agreement_versions: Iterable[AgreementVersion] | Mapping[str, AgreementVersion],
    bag: Collector,
    today: dt.date | None,
) -> ApplicationRequest | None:
    app = bag.take(require_mapping, data, "application")
    if app is None:
        return None
    start = bag.mark()
    bag.take(refuse_unknown_keys, app, _APPLICATION_KEYS, "")
    cert_type = bag.take(_certificate_type, app, fee_table)
    subscriber = None
    if "subscriber" not in app:
        bag.errors.append(MissingField("subscriber"))
    else:
        subscriber = collect_subscriber(app["subscriber"], bag, today=today)
    documents = None
    if "documents" not in app:
        bag.errors.append(MissingField("documents"))
    else:
        documents = collect_documents(app["documents"], bag)
    if subscriber is not None and documents is not None:
        bag.take(check_documents, subscriber, documents)
    agreement = bag.take(
        lambda: (
            parse_agreement(app.get("agreement"), agreement_versions)
            if "agreement" in app
            else _raise(MissingField("agreement"))
        )
    )
    key_algorithm = fee = settlement = None
    if cert_type is not None:
        if subscriber is not None:
            bag.take(_kind_matches, cert_type, subscriber)
        key_algorithm = bag.take(_key_algorithm, app, cert_type)
        fee = fee_table.fee_for(Action.ENROLL, cert_type)
        settlement = bag.take(_settlement, app, fee)
    if not bag.clean_since(start):
        return None
    assert cert_type and subscriber and documents is not None and agreement and key_algorithm
    assert fee is not None and settlement is not None
    return ApplicationRequest(
        certificate_type=cert_type,
        subscriber=subscriber,
        documents=documents,
        agreement=agreement,
        key_algorithm=key_algorithm,
        fee=fee,
        payment=settlement if isinstance(settlement, Payment) else None,
        waiver=settlement if isinstance(settlement, WaiverRequest) else None,
    )


def _raise(error: ValidationError) -> Any:
    raise error


def parse_application(
    data: object,
    fee_table: FeeTable,
    agreement_versions: Iterable[AgreementVersion] | Mapping[str, AgreementVersion],
    *,
    today: dt.date | None = None,
) -> ApplicationRequest:
    """Check a whole APP.json; raise the first :class:`ValidationError` found."""
    bag = Collector()
    request = _collect(data, fee_table, agreement_versions, bag, today)
    bag.raise_first()
    assert request is not None
    return request


def validate_application(
    data: object,
    fee_table: FeeTable,
    agreement_versions: Iterable[AgreementVersion] | Mapping[str, AgreementVersion],
    *,
    today: dt.date | None = None,
) -> list[ValidationError]:
    """Every error in a whole APP.json (empty when it is acceptable), in form order."""
    bag = Collector()
    _collect(data, fee_table, agreement_versions, bag, today)
    return bag.errors


# ---------------------------------------------------------------------------------------------
# Maker-checker


REVIEWER_ROLES = (Role.REVIEWER, Role.SUPERVISOR)


class SelfReview(ValidationError):
    code = "self_review"
    zh = "受理员不能审核自己受理的申请（{field}）"
    en = "the clerk cannot approve their own application ({field})"


class ReviewerRoleRequired(ValidationError):
    code = "reviewer_role_required"
    zh = "审核人须为审核员或主管：{reviewer} 的角色是 {role}"
    en = "the approver must be a reviewer or a supervisor: {reviewer} is a {role}"


def check_reviewer(
    clerk_name: str, reviewer_name: str, reviewer_role: str, *, field: str = "reviewer"
) -> None:
    """Raise unless the approver is another operator holding the reviewer or supervisor role.

    A supervisor may stand in for a reviewer; an admin manages operators and may not approve.
    Names are compared case-insensitively so that one person cannot pass as two.
    """
    if clerk_name.strip().casefold() == reviewer_name.strip().casefold():
        raise SelfReview(field)
    if reviewer_role not in {r.value for r in REVIEWER_ROLES}:
        raise ReviewerRoleRequired(field, reviewer=shown(reviewer_name), role=shown(reviewer_role))


# ---------------------------------------------------------------------------------------------
# Application items (增加应用项)


class InvalidItemCatalogue(CounterError):
    code = "invalid_item_catalogue"
    zh = "应用项配置错误：{where}：{detail}"
    en = "the application item list is wrong: {where}: {detail}"


class UnknownApplicationItem(ValidationError):
    code = "unknown_application_item"
    zh = "未知的应用项：{value}（{field}）"
    en = "unknown application item: {value} ({field})"


class ItemNotForKind(ValidationError):
    code = "item_not_for_kind"
    zh = "应用项“{name_zh}”不适用于{kind_zh}证书"
    en = "application item {code_value} is not offered for {kind} certificates"


class ItemAlreadyRegistered(ValidationError):
    code = "item_already_registered"
    zh = "证书已登记应用项“{name_zh}”"
    en = "the certificate is already registered for {code_value}"


_ITEM_CODE = re.compile(r"[a-z][a-z0-9-]{1,31}")


@dataclass(frozen=True)
class ApplicationItem:
    """A relying system; ``in_certificate`` says whether the profile carries it (new cert)."""

    code: str
    name_zh: str
    name_en: str
    kinds: frozenset[SubscriberKind]
    in_certificate: bool


def parse_application_items(data: Mapping[str, Any]) -> dict[str, ApplicationItem]:
    """The parsed application_items.toml (``[[items]]`` tables), by code."""
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise InvalidItemCatalogue(where="items", detail="missing or empty")
    items: dict[str, ApplicationItem] = {}
    for index, raw in enumerate(raw_items):
        item = _item(raw, f"items[{index}]")
        if item.code in items:
            raise InvalidItemCatalogue(where=f"items[{index}]", detail=f"duplicate {item.code}")
        items[item.code] = item
    return items


def _item(raw: object, where: str) -> ApplicationItem:
    if not isinstance(raw, Mapping):
        raise InvalidItemCatalogue(where=where, detail="not a table")
    code, name_zh, name_en = (raw.get(k) for k in ("code", "name_zh", "name_en"))
    if not isinstance(code, str) or not _ITEM_CODE.fullmatch(code):
        raise InvalidItemCatalogue(where=f"{where}.code", detail="lower-case letters, digits, -")
    if not isinstance(name_zh, str) or not isinstance(name_en, str) or not name_zh or not name_en:
        raise InvalidItemCatalogue(where=where, detail="name_zh and name_en are required")
    try:
        kinds = frozenset(SubscriberKind(k) for k in raw.get("kinds", ()))
    except ValueError as exc:
        raise InvalidItemCatalogue(where=f"{where}.kinds", detail=str(exc)) from None
    in_cert = raw.get("in_certificate", False)
    if not kinds or not isinstance(in_cert, bool):
        raise InvalidItemCatalogue(where=where, detail="kinds (non-empty) and in_certificate")
    return ApplicationItem(code, name_zh, name_en, kinds, in_cert)


def check_application_item(
    code: object,
    items: Mapping[str, ApplicationItem],
    *,
    subscriber_kind: SubscriberKind | str | None = None,
    registered: Iterable[str] = (),
    field: str = "item",
) -> ApplicationItem:
    """The item to add; raise if unknown, not offered for this kind, or already registered."""
    if not isinstance(code, str) or code not in items:
        raise UnknownApplicationItem(field, value=shown(code))
    item = items[code]
    if subscriber_kind is not None and SubscriberKind(subscriber_kind) not in item.kinds:
        kind = SubscriberKind(subscriber_kind)
        raise ItemNotForKind(
            field, name_zh=item.name_zh, code_value=code, kind=kind.value, kind_zh=kind.zh
        )
    if code in set(registered):
        raise ItemAlreadyRegistered(field, name_zh=item.name_zh, code_value=code)
    return item


# ---------------------------------------------------------------------------------------------
# Receipt, application and form numbers


class NumberKind(StrEnum):
    APPLICATION = "A"
    RECEIPT = "R"
    FORM = "F"  # change/suspend/resume/revoke form (证书变更、挂起、解挂、吊销表)
    REFUND = "T"  # refund (退款凭证), linked to the receipt it refunds


MAX_DAILY_SEQUENCE = 99_999


class SequenceExhausted(CounterError):
    code = "sequence_exhausted"
    zh = "当日编号已用尽：{kind}（{day}）"
    en = "the day's numbers are used up: {kind} ({day})"


_NUMBER = re.compile(r"(?P<kind>[ARFT])(?P<day>[0-9]{8})(?P<station>[0-9]{2})?(?P<seq>[0-9]{5})")


@dataclass(frozen=True)
class DocumentNumber:
    kind: NumberKind
    day: dt.date
    sequence: int
    station: str | None = None

    def __str__(self) -> str:
        return format_number(self.kind, self.day, self.sequence, station=self.station)


def format_number(
    kind: NumberKind | str, day: dt.date, sequence: int, *, station: str | None = None
) -> str:
    """``format_number("R", date(2026, 11, 24), 1) == "R2026112400001"``.

    ``station`` (two digits, ``"01"``–``"99"``) tells counters apart when several share no
    database; with it the number is two characters longer.
    """
    kind = NumberKind(kind)
    if not 1 <= sequence <= MAX_DAILY_SEQUENCE:
        raise SequenceExhausted(kind=kind.value, day=day.isoformat())
    if station is not None and not re.fullmatch(r"0[1-9]|[1-9][0-9]", station):
        raise ValueError("station is two digits, 01 to 99")
    return f"{kind.value}{day:%Y%m%d}{station or ''}{sequence:05d}"


def format_receipt_number(day: dt.date, sequence: int, *, station: str | None = None) -> str:
    return format_number(NumberKind.RECEIPT, day, sequence, station=station)


def format_application_number(day: dt.date, sequence: int, *, station: str | None = None) -> str:
    return format_number(NumberKind.APPLICATION, day, sequence, station=station)


class InvalidNumber(ValidationError):
    code = "invalid_number"
    zh = "编号格式不正确：{value}（{field}）"
    en = "malformed number: {value} ({field})"


def parse_number(text: object, *, field: str = "number") -> DocumentNumber:
    """Read back a number made by :func:`format_number`; raise :class:`InvalidNumber` else."""
    match = _NUMBER.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidNumber(field, value=shown(text))
    try:
        day = dt.datetime.strptime(match["day"], "%Y%m%d").date()
    except ValueError:
        raise InvalidNumber(field, value=shown(text)) from None
    station = match["station"]
    sequence = int(match["seq"])
    if sequence == 0 or station == "00":
        raise InvalidNumber(field, value=shown(text))
    return DocumentNumber(NumberKind(match["kind"]), day, sequence, station)
