"""Whole applications from APP.json, maker-checker review, application items, numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from counter_app.domain.agreement import AgreementNotAccepted, AgreementVersion
from counter_app.domain.applications import (
    ApplicationItem,
    DocumentNumber,
    InvalidNumber,
    ItemAlreadyRegistered,
    ItemNotForKind,
    NumberKind,
    ReviewerRoleRequired,
    SelfReview,
    SequenceExhausted,
    SubscriberKindMismatch,
    UnknownApplicationItem,
    check_application_item,
    check_reviewer,
    format_application_number,
    format_receipt_number,
    parse_application,
    parse_number,
    validate_application,
)
from counter_app.domain.errors import InvalidResidentId
from counter_app.domain.fees import FeeTable, InsufficientCash, KeyAlgorithm, WaiverRequest
from counter_app.domain.fields import MissingField, UnexpectedField
from counter_app.domain.subscribers import Unit

from .conftest import application

DAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize("kind", ["individual", "unit", "device"])
def test_valid_application_of_each_kind_is_accepted(
    kind: str, fee_table: FeeTable, agreements: list[AgreementVersion]
) -> None:
    data = application(kind)
    assert validate_application(data, fee_table, agreements) == []
    request = parse_application(data, fee_table, agreements)
    assert request.fee == fee_table.fee_for("enroll", kind)
    assert request.change_due == 100000 - request.fee


def test_unit_application_carries_subscriber_agreement_and_algorithm(
    fee_table: FeeTable, agreements: list[AgreementVersion]
) -> None:
    request = parse_application(application("unit"), fee_table, agreements)
    assert isinstance(request.subscriber, Unit)
    assert request.agreement.sha256 == agreements[0].sha256
    assert request.key_algorithm is KeyAlgorithm.EC_P256
    assert request.waiver is None


def test_missing_key_algorithm_takes_the_type_default(
    fee_table: FeeTable, agreements: list[AgreementVersion]
) -> None:
    data = application("individual")
    del data["key_algorithm"]
    assert parse_application(data, fee_table, agreements).key_algorithm is KeyAlgorithm.EC_P256


@pytest.mark.parametrize(
    ("kind", "section", "field", "value", "error"),
    [
        ("individual", "subscriber", "id_number", "110105194912310021", InvalidResidentId),
        ("individual", "agreement", "accepted", False, AgreementNotAccepted),
        ("unit", None, "payment", {"method": "cash", "tendered": "299.99"}, InsufficientCash),
        ("device", None, "paymnet", {}, UnexpectedField),
    ],
    ids=["first-error-raised", "agreement-not-accepted", "cash-below-the-fee", "unknown-top-key"],
)
def test_an_application_with_one_fault_is_refused_with_its_error(
    kind: str,
    section: str | None,
    field: str,
    value: object,
    error: type[Exception],
    fee_table: FeeTable,
    agreements: list[AgreementVersion],
) -> None:
    data: dict[str, Any] = application(kind)
    (data[section] if section else data)[field] = value
    with pytest.raises(error):
        parse_application(data, fee_table, agreements)


def test_every_error_is_listed_in_form_order(
    fee_table: FeeTable, agreements: list[AgreementVersion]
) -> None:
    data = application("unit")
    data["subscriber"]["agent"]["mobile"] = "1"
    data["agreement"]["accepted"] = False
    data["payment"]["tendered"] = "1.00"
    fields = [e.field for e in validate_application(data, fee_table, agreements)]
    assert fields == ["subscriber.agent.mobile", "agreement.accepted", "payment.tendered"]


def test_card_payment_may_omit_the_amount(
    fee_table: FeeTable, agreements: list[AgreementVersion]
) -> None:
    data = application("unit")
    data["payment"] = {"method": "card"}
    request = parse_application(data, fee_table, agreements)
    assert request.payment is not None and request.payment.tendered == 30000


def test_waiver_form_is_read_for_later_approval(
    fee_table: FeeTable, agreements: list[AgreementVersion]
) -> None:
    data = application("individual")
    data["payment"] = {"waiver": {"reference": "人社函〔2026〕12号", "approved_by": "王主管"}}
    request = parse_application(data, fee_table, agreements)
    assert request.payment is None
    assert request.waiver == WaiverRequest("人社函〔2026〕12号", "王主管")


def test_subscriber_kind_must_fit_the_certificate_type(
    fee_table: FeeTable, agreements: list[AgreementVersion]
) -> None:
    data = application("individual")
    data["certificate_type"] = "device"
    errors = validate_application(data, fee_table, agreements)
    assert any(isinstance(e, SubscriberKindMismatch) for e in errors)


def test_missing_sections_are_each_reported(
    fee_table: FeeTable, agreements: list[AgreementVersion]
) -> None:
    errors = validate_application({"certificate_type": "unit"}, fee_table, agreements)
    assert [e.field for e in errors] == ["subscriber", "documents", "agreement", "payment"]
    assert all(isinstance(e, MissingField) for e in errors)


# Maker-checker --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reviewer", "supervisor"])
def test_another_reviewer_or_supervisor_may_approve(role: str) -> None:
    check_reviewer("clerk1", "reviewer1", role)


def test_clerk_cannot_approve_their_own_application() -> None:
    with pytest.raises(SelfReview):
        check_reviewer("Clerk1", "clerk1", "reviewer")


@pytest.mark.parametrize("role", ["clerk", "admin", ""])
def test_approver_without_reviewer_role_is_refused(role: str) -> None:
    with pytest.raises(ReviewerRoleRequired):
        check_reviewer("clerk1", "someone", role)


# Application items ----------------------------------------------------------------------------


def test_shipped_items_include_social_insurance_online(items: dict[str, ApplicationItem]) -> None:
    assert items["si-online"].name_zh == "社会保险网上经办"


def test_known_item_is_returned(items: dict[str, ApplicationItem]) -> None:
    item = check_application_item("medical-settlement", items, subscriber_kind="unit")
    assert item.in_certificate


def test_unknown_item_is_refused(items: dict[str, ApplicationItem]) -> None:
    with pytest.raises(UnknownApplicationItem):
        check_application_item("lottery", items)


def test_item_not_offered_for_the_kind_is_refused(items: dict[str, ApplicationItem]) -> None:
    with pytest.raises(ItemNotForKind):
        check_application_item("labour-filing", items, subscriber_kind="individual")


def test_item_registered_twice_is_refused(items: dict[str, ApplicationItem]) -> None:
    with pytest.raises(ItemAlreadyRegistered):
        check_application_item("si-online", items, registered=["si-online"])


# Numbers --------------------------------------------------------------------------------------


def test_receipt_number_is_letter_date_sequence() -> None:
    assert format_receipt_number(DAY, 1) == "R2026112400001"
    assert format_application_number(DAY, 42, station="03") == "A202611240300042"


def test_numbers_parse_back() -> None:
    assert parse_number("R2026112400001") == DocumentNumber(NumberKind.RECEIPT, DAY, 1)
    assert parse_number("A202611240300042") == DocumentNumber(NumberKind.APPLICATION, DAY, 42, "03")
    assert str(parse_number("F2026112400007")) == "F2026112400007"


@pytest.mark.parametrize(
    "text", ["R2026113100001", "R2026112400000", "X2026112400001", "R20261124001"]
)
def test_malformed_numbers_are_refused(text: str) -> None:
    with pytest.raises(InvalidNumber):
        parse_number(text)


def test_sequence_beyond_the_daily_limit_is_refused() -> None:
    with pytest.raises(SequenceExhausted):
        format_receipt_number(DAY, 100_000)
