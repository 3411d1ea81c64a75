"""Fee table, money in fen, amounts in Chinese capitals, payments and waivers."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter_app.domain.fees import (
    SERVICES,
    AmountMismatch,
    FeeTable,
    InsufficientCash,
    InvalidAmount,
    InvalidFeeTable,
    KeyAlgorithm,
    KeyAlgorithmNotAllowed,
    Payment,
    PaymentMethod,
    UnknownCertificateType,
    WaiverNotApproved,
    WaiverRequest,
    WaiverSelfApproved,
    format_yuan,
    parse_yuan,
    yuan_in_capitals,
)
from counter_app.domain.operators import Role
from counter_app.domain.policy import Action

from .conftest import load_toml


def test_shipped_table_prices_every_service_for_every_type(fee_table: FeeTable) -> None:
    assert set(fee_table.types) == {"individual", "unit", "device"}
    for cert_type in fee_table.types.values():
        assert set(cert_type.fees) == set(SERVICES)


def test_unit_enrollment_costs_three_hundred_yuan(fee_table: FeeTable) -> None:
    assert fee_table.fee_for("enroll", "unit") == 30000
    assert fee_table.fee_for(Action.ENROLL, fee_table.types["unit"]) == 30000


def test_certificates_last_one_year(fee_table: FeeTable) -> None:
    assert {t.validity_days for t in fee_table.types.values()} == {365}


def test_unknown_certificate_type_is_refused(fee_table: FeeTable) -> None:
    with pytest.raises(UnknownCertificateType) as caught:
        fee_table.certificate_type("gold")
    assert caught.value.field == "certificate_type"


def test_table_with_a_missing_fee_is_refused() -> None:
    data: dict[str, Any] = copy.deepcopy(load_toml("fees.toml"))
    del data["certificate_types"]["unit"]["fees"]["unlock"]
    with pytest.raises(InvalidFeeTable) as caught:
        FeeTable.from_mapping(data)
    assert "unit.fees.unlock" in caught.value.message("en")


def test_table_with_a_decimal_fee_is_refused() -> None:
    data: dict[str, Any] = copy.deepcopy(load_toml("fees.toml"))
    data["certificate_types"]["unit"]["fees"]["enroll"] = 300.5
    with pytest.raises(InvalidFeeTable):
        FeeTable.from_mapping(data)


def test_table_whose_default_algorithm_is_not_allowed_is_refused() -> None:
    data: dict[str, Any] = copy.deepcopy(load_toml("fees.toml"))
    data["certificate_types"]["device"]["default_key_algorithm"] = "rsa-3072"
    with pytest.raises(InvalidFeeTable):
        FeeTable.from_mapping(data)


def test_key_algorithm_outside_the_type_is_refused(fee_table: FeeTable) -> None:
    device = fee_table.types["device"]
    assert device.check_key_algorithm("ec-p256") is KeyAlgorithm.EC_P256
    with pytest.raises(KeyAlgorithmNotAllowed):
        device.check_key_algorithm("rsa-3072")


def test_rsa_bits() -> None:
    assert KeyAlgorithm.RSA_3072.rsa_bits == 3072
    assert not KeyAlgorithm.EC_P256.is_rsa


# Money ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1000.00", 100000),
        ("1,000.00", 100000),
        ("0.01", 1),
        ("300", 30000),
        ("12.5", 1250),
        (" 7.05 ", 705),
        ("1,234,567.89", 123456789),
        (300, 30000),
    ],
)
def test_parse_yuan_reads_fen(text: object, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "-1.00",
        "1.005",
        "1e3",
        "abc",
        "",
        "1,00.00",
        "１００",
        "NaN",
        "1.",
        ".5",
        10.5,
        None,
        True,
        -3,
    ],
)
def test_parse_yuan_refuses_garbage(text: object) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_yuan(text, field="payment.tendered")
    assert caught.value.field == "payment.tendered"


def test_format_yuan_groups_thousands() -> None:
    assert format_yuan(100000) == "1,000.00"
    assert format_yuan(5) == "0.05"
    assert format_yuan(123456789) == "1,234,567.89"


@given(st.integers(min_value=0, max_value=10**14 - 1))
def test_format_then_parse_gives_the_same_fen(fen: int) -> None:
    assert parse_yuan(format_yuan(fen)) == fen


@pytest.mark.parametrize(
    ("fen", "capitals"),
    [
        (100000, "壹仟元整"),
        (30000, "叁佰元整"),
        (0, "零元整"),
        # The People's Bank's own examples (正确填写票据和结算凭证的基本规定).
        (168032, "壹仟陆佰捌拾元叁角贰分"),
        (10700053, "壹拾万柒仟元伍角叁分"),
        (32504, "叁佰贰拾伍元零肆分"),
        (140950, "壹仟肆佰零玖元伍角"),
        (600714, "陆仟零柒元壹角肆分"),
        (1000, "壹拾元整"),
        (100000007, "壹佰万元零柒分"),
    ],
)
def test_yuan_in_capitals(fen: int, capitals: str) -> None:
    assert yuan_in_capitals(fen) == capitals


@given(st.integers(min_value=0, max_value=10**13))
def test_capitals_end_in_zheng_exactly_for_whole_yuan(fen: int) -> None:
    text = yuan_in_capitals(fen)
    assert set(text) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
    assert text.endswith("整") == (fen % 100 == 0)
    assert ("分" in text) == (fen % 10 != 0)


def test_negative_amount_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        format_yuan(-1)


# Payment and waiver ---------------------------------------------------------------------------


def test_cash_payment_gives_change() -> None:
    assert Payment(PaymentMethod.CASH, 30000, 100000).change_due == 70000


def test_cash_below_the_fee_is_refused() -> None:
    with pytest.raises(InsufficientCash) as caught:
        Payment(PaymentMethod.CASH, 30000, 29999)
    assert caught.value.field == "payment.tendered"
    assert "299.99" in caught.value.message("zh")


@pytest.mark.parametrize("method", [PaymentMethod.CARD, PaymentMethod.TRANSFER])
def test_card_and_transfer_must_equal_the_fee(method: PaymentMethod) -> None:
    assert Payment(method, 30000, 30000).change_due == 0
    with pytest.raises(AmountMismatch):
        Payment(method, 30000, 30001)


def test_supervisor_approves_a_waiver() -> None:
    waiver = WaiverRequest.parse("人社函〔2026〕12号", "王主管").approve(
        "supervisor", clerk_name="clerk1", fee=30000
    )
    assert (waiver.approver_role, waiver.fee_waived) == (Role.SUPERVISOR, 30000)


@pytest.mark.parametrize("role", ["reviewer", "clerk", "admin", "boss"])
def test_waiver_without_supervisor_is_refused(role: str) -> None:
    request = WaiverRequest.parse("notice-1", "王五")
    with pytest.raises(WaiverNotApproved) as caught:
        request.approve(role, clerk_name="clerk1", fee=30000)
    assert caught.value.field == "payment.waiver.approved_by"


def test_clerk_cannot_approve_their_own_waiver() -> None:
    with pytest.raises(WaiverSelfApproved):
        WaiverRequest.parse("notice-1", "Alice").approve("supervisor", clerk_name="alice", fee=1)
