"""Subscribers parsed from APP.json's ``subscriber`` object, and the documents each must show."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from counter_app.domain.errors import InvalidMobile, InvalidName, InvalidResidentId, InvalidUSCC
from counter_app.domain.fields import MissingField, UnexpectedField, UnknownChoice, WrongType
from counter_app.domain.subscribers import (
    Device,
    DocumentMismatch,
    DocumentSeen,
    DocumentType,
    DuplicateDocument,
    IdType,
    Individual,
    InvalidEmail,
    InvalidIdentifier,
    MissingDocument,
    SocialInsuranceMismatch,
    Unit,
    check_documents,
    parse_documents,
    parse_subscriber,
    subscriber_errors,
)

from .conftest import DEVICE, ID_CARD, LETTER, LICENCE, PERSON, RESIDENT_ID, UNIT, USCC

TODAY = dt.date(2026, 11, 24)


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data.update(changes)
    return data


def test_individual_is_parsed_with_normalised_id_number() -> None:
    person = parse_subscriber(with_(PERSON, id_number=RESIDENT_ID.lower()), today=TODAY)
    assert person == Individual(
        "张三", IdType.RESIDENT_ID, RESIDENT_ID, "13800138000", "zhangsan@example.com", RESIDENT_ID
    )


def test_unit_is_parsed_with_its_agent() -> None:
    unit = parse_subscriber(UNIT, today=TODAY)
    assert isinstance(unit, Unit)
    assert unit.uscc == USCC
    assert unit.agent.id_number == RESIDENT_ID


def test_device_is_parsed() -> None:
    assert parse_subscriber(DEVICE) == Device("医保结算前置机", "SRV-0001", USCC)


def test_to_mapping_parses_back_to_the_same_subscriber() -> None:
    for data in (PERSON, UNIT, DEVICE):
        subscriber = parse_subscriber(data, today=TODAY)
        assert parse_subscriber(subscriber.to_mapping(), today=TODAY) == subscriber


def test_optional_fields_may_be_left_out() -> None:
    person = parse_subscriber(
        {
            k: v
            for k, v in PERSON.items()
            if k not in ("email", "social_insurance_number", "id_type")
        }
    )
    assert isinstance(person, Individual)
    assert (person.email, person.social_insurance_number) == (None, None)
    assert person.id_type is IdType.RESIDENT_ID


@pytest.mark.parametrize(
    ("base", "changes", "error", "field"),
    [
        (PERSON, {"id_number": "110105194912310021"}, InvalidResidentId, "subscriber.id_number"),
        (UNIT, {"uscc": "91110000600037341A"}, InvalidUSCC, "subscriber.uscc"),
        (DEVICE, {"owner_uscc": "91110000600037341M"}, InvalidUSCC, "subscriber.owner_uscc"),
        (PERSON, {"name": "张\n三"}, InvalidName, "subscriber.name"),
        (
            PERSON,
            {"id_type": "passport", "id_number": "E1-2"},
            InvalidIdentifier,
            "subscriber.id_number",
        ),
        (PERSON, {"id_type": "driving_licence"}, UnknownChoice, "subscriber.id_type"),
        (PERSON, {"mobil": "13800138000"}, UnexpectedField, "subscriber.mobil"),
        (PERSON, {"mobile": 13800138000}, WrongType, "subscriber.mobile"),
    ],
    ids=[
        "bad-id-checksum",
        "bad-uscc",
        "bad-device-owner-uscc",
        "name-with-control-character",
        "malformed-passport-number",
        "unknown-id-type",
        "misspelt-key-refused-not-dropped",
        "number-where-text-expected",
    ],
)
def test_a_bad_field_is_refused_naming_the_field(
    base: dict[str, Any], changes: dict[str, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as caught:
        parse_subscriber(with_(base, **changes))
    assert caught.value.field == field  # type: ignore[attr-defined]


def test_agent_error_names_the_nested_field() -> None:
    data = with_(UNIT, agent=with_(UNIT["agent"], id_number="110105194912310021"))
    with pytest.raises(InvalidResidentId) as caught:
        parse_subscriber(data)
    assert caught.value.field == "subscriber.agent.id_number"


def test_bad_mobile_is_refused() -> None:
    with pytest.raises(InvalidMobile):
        parse_subscriber(with_(PERSON, mobile="12345678901"))


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "张三@example.com", "a@@example.com"])
def test_bad_email_is_refused(email: str) -> None:
    with pytest.raises(InvalidEmail) as caught:
        parse_subscriber(with_(PERSON, email=email))
    assert caught.value.field == "subscriber.email"


def test_passport_number_follows_the_shape_rule() -> None:
    person = parse_subscriber(with_(PERSON, id_type="passport", id_number="e12345678"))
    assert isinstance(person, Individual)
    assert person.id_number == "E12345678"


def test_social_insurance_number_must_equal_resident_id() -> None:
    with pytest.raises(SocialInsuranceMismatch):
        parse_subscriber(with_(PERSON, social_insurance_number="110101199003074477"))


def test_missing_kind_is_reported() -> None:
    with pytest.raises(MissingField) as caught:
        parse_subscriber({k: v for k, v in PERSON.items() if k != "kind"})
    assert caught.value.field == "subscriber.kind"


def test_unit_without_agent_is_refused() -> None:
    with pytest.raises(MissingField) as caught:
        parse_subscriber({k: v for k, v in UNIT.items() if k != "agent"})
    assert caught.value.field == "subscriber.agent"


def test_subscriber_errors_lists_every_bad_field() -> None:
    data = with_(UNIT, uscc="X", agent=with_(UNIT["agent"], mobile="1", name=""))
    fields = [e.field for e in subscriber_errors(data)]
    assert fields == ["subscriber.uscc", "subscriber.agent.name", "subscriber.agent.mobile"]


def test_error_messages_name_the_field_in_both_languages() -> None:
    (error,) = subscriber_errors(with_(PERSON, email="nope"))
    assert "subscriber.email" in error.message("zh")
    assert "subscriber.email" in error.message("en")


# Documents ------------------------------------------------------------------------------------


def docs(*items: dict[str, str]) -> tuple[DocumentSeen, ...]:
    return parse_documents(list(items))


def test_individual_needs_only_the_id_card() -> None:
    check_documents(parse_subscriber(PERSON), docs(ID_CARD))


def test_unit_with_licence_letter_and_agent_card_passes() -> None:
    check_documents(parse_subscriber(UNIT), docs(LICENCE, LETTER, ID_CARD))


def test_device_needs_the_owner_licence() -> None:
    check_documents(parse_subscriber(DEVICE), docs(LICENCE))


def test_unit_without_authorisation_letter_is_refused() -> None:
    with pytest.raises(MissingDocument) as caught:
        check_documents(parse_subscriber(UNIT), docs(LICENCE, ID_CARD))
    assert caught.value.data["document_en"] == DocumentType.AUTHORISATION_LETTER.value


def test_id_card_of_someone_else_is_refused() -> None:
    other = {"type": "resident_id_card", "number": "110101199003074477"}
    with pytest.raises(DocumentMismatch) as caught:
        check_documents(parse_subscriber(PERSON), docs(other))
    assert caught.value.field == "documents[0].number"


def test_licence_of_another_unit_is_refused() -> None:
    other = {"type": "business_licence", "number": "91350100M000100Y43"}
    with pytest.raises(DocumentMismatch):
        check_documents(parse_subscriber(DEVICE), docs(other))


def test_same_document_twice_is_refused() -> None:
    with pytest.raises(DuplicateDocument) as caught:
        check_documents(parse_subscriber(PERSON), docs(ID_CARD, ID_CARD))
    assert caught.value.field == "documents[1]"


def test_passport_holder_must_show_the_passport() -> None:
    person = parse_subscriber(
        with_(PERSON, id_type="passport", id_number="E12345678", social_insurance_number=None)
    )
    with pytest.raises(MissingDocument):
        check_documents(person, docs(ID_CARD))
    check_documents(person, docs({"type": "passport", "number": "E12345678"}))


def test_document_with_bad_id_number_is_refused_when_read() -> None:
    with pytest.raises(InvalidResidentId) as caught:
        parse_documents([ID_CARD, {"type": "resident_id_card", "number": "110105194912310021"}])
    assert caught.value.field == "documents[1].number"


def test_unknown_document_type_is_refused() -> None:
    with pytest.raises(UnknownChoice) as caught:
        parse_documents([{"type": "library_card", "number": "1"}])
    assert caught.value.field == "documents[0].type"
