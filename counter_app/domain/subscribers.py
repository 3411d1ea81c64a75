"""Subscribers (证书订户) and the identity documents the clerk has seen.

Three kinds: an individual (个人), a unit (单位, always served through a handling agent 经办人,
who is an individual), and a device (设备, owned by a unit). ``parse_subscriber`` reads the
``subscriber`` object of APP.json and validates every field with the identifier rules of
:mod:`counter_app.domain.identifiers`; errors carry a path like ``subscriber.agent.id_number``.

``check_documents`` says whether the documents the clerk has seen are the ones the kind of
subscriber must show: an individual their identity document; a unit its business licence, a
letter of authorisation and the agent's identity card; a device its owner's business licence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

import email_validator

from counter_app.domain.display import ChineseNamed
from counter_app.domain.errors import ValidationError
from counter_app.domain.fields import (
    Collector,
    MissingField,
    check_plain_text,
    choice,
    get_required_str,
    get_str,
    join,
    refuse_unknown_keys,
    require_list,
    require_mapping,
)
from counter_app.domain.identifiers import (
    validate_mobile,
    validate_name,
    validate_resident_id,
    validate_uscc,
)


class SubscriberKind(ChineseNamed):
    INDIVIDUAL = "individual", "个人"
    UNIT = "unit", "单位"
    DEVICE = "device", "设备"


class IdType(ChineseNamed):
    """Identity documents a person may be identified by. Only the resident ID has a checksum."""

    RESIDENT_ID = "resident_id", "居民身份证"
    PASSPORT = "passport", "护照"
    HK_MACAO_PERMIT = "hk_macao_permit", "港澳居民来往内地通行证"
    TAIWAN_PERMIT = "taiwan_permit", "台湾居民来往大陆通行证"


@dataclass(frozen=True)
class _Shape:
    """The shape rule of a number without a checksum, said to the clerk when it is broken."""

    pattern: re.Pattern[str]
    rule_zh: str
    rule_en: str

    def check(self, value: str, field: str, label_zh: str, label_en: str) -> str:
        if not self.pattern.fullmatch(value):
            raise InvalidIdentifier(
                field,
                label_zh=label_zh,
                label_en=label_en,
                rule_zh=self.rule_zh,
                rule_en=self.rule_en,
            )
        return value


class InvalidEmail(ValidationError):
    code = "invalid_email"
    zh = "电子邮箱地址无效：{field}"
    en = "invalid e-mail address: {field}"


class InvalidIdentifier(ValidationError):
    """A number without a checksum rule (passport, social insurance, device) that is malformed."""

    code = "invalid_identifier"
    zh = "{label_zh}格式不正确（{field}）：应为{rule_zh}"
    en = "{label_en} is malformed ({field}): expected {rule_en}"


class SocialInsuranceMismatch(ValidationError):
    code = "social_insurance_mismatch"
    zh = "社会保障号码应与公民身份号码一致（{field}）"
    en = "the social insurance number must equal the resident ID number ({field})"


# Passports and travel permits: letters and digits, 5 to 20 characters (no public checksum).
_DOCUMENT_NUMBER = _Shape(
    re.compile(r"[A-Z0-9]{5,20}"), "5至20位字母或数字", "5 to 20 letters or digits"
)
# Unit social insurance numbers differ by region; letters and digits, up to 30.
_UNIT_SI_NUMBER = _Shape(
    re.compile(r"[A-Z0-9]{1,30}"), "1至30位字母或数字", "1 to 30 letters or digits"
)
# A device identifier goes into the certificate subject: serial-number-like ASCII.
_DEVICE_IDENTIFIER = _Shape(
    re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}"),
    "1至64位字母、数字或 . _ : -，以字母或数字开头",
    "1 to 64 letters, digits or . _ : - starting with a letter or digit",
)


class _Mapped:
    """A subscriber as a mapping: ``kind``, then its fields in order (an agent without its kind);
    the keys its form may have are the same."""

    kind: SubscriberKind

    def to_mapping(self) -> dict[str, Any]:
        mapping: dict[str, Any] = {"kind": self.kind.value}
        for name in _keys(type(self))[1:]:
            value = getattr(self, name)
            if isinstance(value, _Mapped):
                value = value.to_mapping()
                del value["kind"]
            mapping[name] = value.value if isinstance(value, Enum) else value
        return mapping


def _keys(subscriber: type[_Mapped]) -> tuple[str, ...]:
    return ("kind", *(f.name for f in fields(subscriber)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Individual(_Mapped):
    """A natural person: an individual subscriber or a unit's handling agent (经办人)."""

    name: str
    id_type: IdType
    id_number: str
    mobile: str
    email: str | None = None
    social_insurance_number: str | None = None

    kind = SubscriberKind.INDIVIDUAL

    @property
    def identity_key(self) -> str:
        return f"{self.id_type.value}:{self.id_number}"


@dataclass(frozen=True)
class Unit(_Mapped):
    """An insured unit (参保单位), served through its handling agent."""

    name: str
    uscc: str
    legal_representative: str
    social_insurance_unit_number: str
    agent: Individual

    kind = SubscriberKind.UNIT

    @property
    def identity_key(self) -> str:
        return f"uscc:{self.uscc}"


@dataclass(frozen=True)
class Device(_Mapped):
    """A server or terminal certified for a unit; identified by its identifier within the owner."""

    name: str
    identifier: str
    owner_uscc: str

    kind = SubscriberKind.DEVICE

    @property
    def identity_key(self) -> str:
        return f"device:{self.owner_uscc}:{self.identifier}"


Subscriber = Individual | Unit | Device

_INDIVIDUAL_KEYS, _UNIT_KEYS, _DEVICE_KEYS = _keys(Individual), _keys(Unit), _keys(Device)


def validate_email(value: str, *, field: str = "email") -> str:
    """Syntax only (no DNS): the address must fit an ASCII rfc822Name in a certificate."""
    try:
        checked = email_validator.validate_email(
            value, check_deliverability=False, allow_smtputf8=False
        )
    except (email_validator.EmailNotValidError, ValueError, TypeError):
        raise InvalidEmail(field) from None
    return str(checked.ascii_email or checked.normalized)


def validate_document_number(value: str, *, field: str, label_zh: str, label_en: str) -> str:
    return _DOCUMENT_NUMBER.check(value.strip().upper(), field, label_zh, label_en)


def validate_person_id(
    id_type: IdType, value: str, *, field: str, today: dt.date | None = None
) -> str:
    """The resident ID by its GB 11643 checksum; other documents by a simple shape rule."""
    if id_type is IdType.RESIDENT_ID:
        return validate_resident_id(value, field=field, today=today)
    return validate_document_number(value, field=field, label_zh=id_type.zh, label_en=id_type.value)


def _parse_id_type(data: Mapping[str, Any], path: str) -> IdType:
    raw = get_str(data, "id_type", path, optional=True) or IdType.RESIDENT_ID.value
    return IdType(choice(raw, [t.value for t in IdType], join(path, "id_type")))


def _parse_social_insurance(
    data: Mapping[str, Any], path: str, id_type: IdType | None, id_number: str | None
) -> str | None:
    where = join(path, "social_insurance_number")
    raw = get_str(data, "social_insurance_number", path, optional=True)
    if raw is None:
        return None
    if id_type is IdType.RESIDENT_ID:
        # Social Insurance Law art. 58: a citizen's social security number is their ID number.
        number = validate_resident_id(raw, field=where)
        if id_number is not None and number != id_number:
            raise SocialInsuranceMismatch(where)
        return number
    return _UNIT_SI_NUMBER.check(
        raw.strip().upper(), where, "社会保障号码", "the social insurance number"
    )


def _name(data: Mapping[str, Any], path: str, key: str, label: str, label_en: str) -> str:
    """The required name at ``key`` (a person's, a unit's, its legal representative's ...)."""
    return validate_name(
        get_required_str(data, key, path), field=join(path, key), label=label, label_en=label_en
    )


def _uscc(data: Mapping[str, Any], path: str, key: str) -> str:
    return validate_uscc(get_required_str(data, key, path), field=join(path, key))


def _individual(
    data: Mapping[str, Any], path: str, bag: Collector, today: dt.date | None, label: str
) -> Individual | None:
    start = bag.mark()
    bag.take(refuse_unknown_keys, data, _INDIVIDUAL_KEYS, path)
    name = bag.take(_name, data, path, "name", label, "the name")
    id_type = bag.take(_parse_id_type, data, path)
    id_number = None
    if id_type is not None:
        id_number = bag.take(
            lambda: validate_person_id(
                id_type,
                get_required_str(data, "id_number", path),
                field=join(path, "id_number"),
                today=today,
            )
        )
    mobile = bag.take(
        lambda: validate_mobile(get_required_str(data, "mobile", path), field=join(path, "mobile"))
    )
    email = bag.take(_optional_email, data, path)
    si_number = bag.take(_parse_social_insurance, data, path, id_type, id_number)
    if not bag.clean_since(start):
        return None
    assert name and id_type and id_number and mobile
    return Individual(name, id_type, id_number, mobile, email, si_number)


def _optional_email(data: Mapping[str, Any], path: str) -> str | None:
    raw = get_str(data, "email", path, optional=True)
    return None if raw is None else validate_email(raw, field=join(path, "email"))


def _unit(data: Mapping[str, Any], path: str, bag: Collector, today: dt.date | None) -> Unit | None:
    start = bag.mark()
    bag.take(refuse_unknown_keys, data, _UNIT_KEYS, path)
    name = bag.take(_name, data, path, "name", "单位名称", "the unit name")
    uscc = bag.take(_uscc, data, path, "uscc")
    legal = bag.take(
        _name, data, path, "legal_representative", "法定代表人", "the legal representative"
    )
    si_unit = bag.take(_unit_si_number, data, path)
    agent_path = join(path, "agent")
    agent = None
    if data.get("agent") is None:
        bag.errors.append(MissingField(agent_path))
    else:
        agent_data = bag.take(require_mapping, data["agent"], agent_path)
        if agent_data is not None:
            agent = _individual(agent_data, agent_path, bag, today, "经办人姓名")
    if not bag.clean_since(start):
        return None
    assert name and uscc and legal and si_unit and agent
    return Unit(name, uscc, legal, si_unit, agent)


def _unit_si_number(data: Mapping[str, Any], path: str) -> str:
    key = "social_insurance_unit_number"
    number = get_required_str(data, key, path).strip().upper()
    return _UNIT_SI_NUMBER.check(
        number, join(path, key), "单位社保编号", "the unit social insurance number"
    )


def _device(data: Mapping[str, Any], path: str, bag: Collector) -> Device | None:
    start = bag.mark()
    bag.take(refuse_unknown_keys, data, _DEVICE_KEYS, path)
    name = bag.take(_name, data, path, "name", "设备名称", "the device name")
    identifier = bag.take(_device_identifier, data, path)
    owner = bag.take(_uscc, data, path, "owner_uscc")
    if not bag.clean_since(start):
        return None
    assert name and identifier and owner
    return Device(name, identifier, owner)


def _device_identifier(data: Mapping[str, Any], path: str) -> str:
    value = get_required_str(data, "identifier", path)
    return _DEVICE_IDENTIFIER.check(
        value, join(path, "identifier"), "设备标识", "the device identifier"
    )


def collect_subscriber(
    data: object, bag: Collector, *, path: str = "subscriber", today: dt.date | None = None
) -> Subscriber | None:
    """Parse a subscriber, recording every error in ``bag``; ``None`` if any field failed."""
    mapping = bag.take(require_mapping, data, path)
    if mapping is None:
        return None
    kind = bag.take(
        lambda: choice(
            get_required_str(mapping, "kind", path),
            [k.value for k in SubscriberKind],
            join(path, "kind"),
        )
    )
    if kind == SubscriberKind.INDIVIDUAL:
        return _individual(mapping, path, bag, today, "姓名")
    if kind == SubscriberKind.UNIT:
        return _unit(mapping, path, bag, today)
    if kind == SubscriberKind.DEVICE:
        return _device(mapping, path, bag)
    return None


def parse_subscriber(
    data: object, *, path: str = "subscriber", today: dt.date | None = None
) -> Subscriber:
    """Validate the ``subscriber`` object of APP.json; raise the first error found."""
    bag = Collector()
    subscriber = collect_subscriber(data, bag, path=path, today=today)
    bag.raise_first()
    assert subscriber is not None
    return subscriber


def subscriber_errors(
    data: object, *, path: str = "subscriber", today: dt.date | None = None
) -> list[ValidationError]:
    """Every error in a subscriber form, for the GUI to show beside each field."""
    bag = Collector()
    collect_subscriber(data, bag, path=path, today=today)
    return bag.errors


# ---------------------------------------------------------------------------------------------
# Documents seen at the counter


class DocumentType(ChineseNamed):
    RESIDENT_ID_CARD = "resident_id_card", "居民身份证"
    PASSPORT = "passport", "护照"
    HK_MACAO_PERMIT = "hk_macao_permit", "港澳居民来往内地通行证"
    TAIWAN_PERMIT = "taiwan_permit", "台湾居民来往大陆通行证"
    BUSINESS_LICENCE = "business_licence", "营业执照"
    AUTHORISATION_LETTER = "authorisation_letter", "授权委托书"


_DOCUMENT_FOR_ID_TYPE = {
    IdType.RESIDENT_ID: DocumentType.RESIDENT_ID_CARD,
    IdType.PASSPORT: DocumentType.PASSPORT,
    IdType.HK_MACAO_PERMIT: DocumentType.HK_MACAO_PERMIT,
    IdType.TAIWAN_PERMIT: DocumentType.TAIWAN_PERMIT,
}


def document_for_id_type(id_type: IdType) -> DocumentType:
    """The identity document that carries a person's ID number of this type."""
    return _DOCUMENT_FOR_ID_TYPE[id_type]


@dataclass(frozen=True)
class DocumentSeen:
    """A document the clerk has inspected; ``number`` is the number printed on it."""

    type: DocumentType
    number: str

    def to_mapping(self) -> dict[str, str]:
        return {"type": self.type.value, "number": self.number}


class MissingDocument(ValidationError):
    code = "missing_document"
    zh = "缺少证明材料：{document_zh}"
    en = "a required document was not seen: {document_en}"


class DocumentMismatch(ValidationError):
    code = "document_mismatch"
    zh = "证明材料号码与申请信息不一致：{document_zh}（{field}）"
    en = "the document's number does not match the application: {document_en} ({field})"


class DuplicateDocument(ValidationError):
    code = "duplicate_document"
    zh = "证明材料重复：{document_zh}（{field}）"
    en = "the same document is listed twice: {document_en} ({field})"


def _document_number(doc_type: DocumentType, raw: str, where: str) -> str:
    if doc_type is DocumentType.RESIDENT_ID_CARD:
        return validate_resident_id(raw, field=where)
    if doc_type is DocumentType.BUSINESS_LICENCE:
        # Since the 2015 licence reform a business licence carries the unit's USCC.
        return validate_uscc(raw, field=where)
    if doc_type is DocumentType.AUTHORISATION_LETTER:
        return check_plain_text(raw, where, max_length=64)
    return validate_document_number(raw, field=where, label_zh=doc_type.zh, label_en=doc_type.value)


def _document(item: object, where: str) -> DocumentSeen:
    data = require_mapping(item, where)
    refuse_unknown_keys(data, ("type", "number"), where)
    raw_type = get_required_str(data, "type", where)
    doc_type = DocumentType(choice(raw_type, [d.value for d in DocumentType], join(where, "type")))
    number = _document_number(
        doc_type, get_required_str(data, "number", where), join(where, "number")
    )
    return DocumentSeen(doc_type, number)


def collect_documents(
    data: object, bag: Collector, *, path: str = "documents"
) -> tuple[DocumentSeen, ...] | None:
    items = bag.take(require_list, data, path)
    if items is None:
        return None
    start = bag.mark()
    seen: list[DocumentSeen] = []
    for index, item in enumerate(items):
        document = bag.take(_document, item, join(path, index))
        if document is not None:
            seen.append(document)
    return tuple(seen) if bag.clean_since(start) else None


def parse_documents(data: object, *, path: str = "documents") -> tuple[DocumentSeen, ...]:
    bag = Collector()
    documents = collect_documents(data, bag, path=path)
    bag.raise_first()
    assert documents is not None
    return documents


def required_documents(subscriber: Subscriber) -> tuple[tuple[DocumentType, str | None], ...]:
    """(type, number the document must carry or ``None`` if any number will do) for a subscriber."""
    if isinstance(subscriber, Individual):
        return ((_DOCUMENT_FOR_ID_TYPE[subscriber.id_type], subscriber.id_number),)
    if isinstance(subscriber, Unit):
        return (
            (DocumentType.BUSINESS_LICENCE, subscriber.uscc),
            (DocumentType.AUTHORISATION_LETTER, None),
            (_DOCUMENT_FOR_ID_TYPE[subscriber.agent.id_type], subscriber.agent.id_number),
        )
    return ((DocumentType.BUSINESS_LICENCE, subscriber.owner_uscc),)


def check_documents(
    subscriber: Subscriber, documents: Sequence[DocumentSeen], *, path: str = "documents"
) -> None:
    """Raise unless every required document was seen once, with the subscriber's numbers."""
    positions: dict[DocumentType, int] = {}
    for index, document in enumerate(documents):
        if document.type in positions:
            raise DuplicateDocument(
                join(path, index), document_zh=document.type.zh, document_en=document.type.value
            )
        positions[document.type] = index
    for doc_type, number in required_documents(subscriber):
        if doc_type not in positions:
            raise MissingDocument(path, document_zh=doc_type.zh, document_en=doc_type.value)
        index = positions[doc_type]
        if number is not None and documents[index].number != number:
            raise DocumentMismatch(
                join(join(path, index), "number"),
                document_zh=doc_type.zh,
                document_en=doc_type.value,
            )
