"""Identifier checks: python-stdnum decides checksums; we decide messages and normalisation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter_app.domain.errors import (
    InvalidMobile,
    InvalidName,
    InvalidResidentId,
    InvalidUSCC,
    ValidationError,
)
from counter_app.domain.identifiers import (
    validate_mobile,
    validate_name,
    validate_resident_id,
    validate_uscc,
)

VALID_RIC = "11010519491231002X"
VALID_USCC = "91110000600037341L"


def test_valid_resident_id_is_normalised_to_upper_case_x() -> None:
    assert validate_resident_id(VALID_RIC.lower()) == VALID_RIC


def test_resident_id_with_bad_check_digit_is_refused_with_reason() -> None:
    with pytest.raises(InvalidResidentId) as info:
        validate_resident_id("110105194912310021")
    assert "校验位" in info.value.message("zh")
    assert "check digit" in info.value.message("en")
    assert info.value.field == "id_number"


def test_resident_id_with_impossible_birth_date_is_refused() -> None:
    # 1949-02-30 does not exist; stdnum reports the component as invalid.
    with pytest.raises(InvalidResidentId):
        validate_resident_id("110105194902300027")


def test_resident_id_born_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidResidentId) as info:
        validate_resident_id(VALID_RIC, today=dt.date(1940, 1, 1))
    assert "impossible birth date" in info.value.message("en")


def test_resident_id_of_a_district_created_after_the_birth_year_passes() -> None:
    # 140105 (Taiyuan, 小店区) exists since 1997; people born there earlier hold such numbers.
    assert validate_resident_id("140105198506122318") == "140105198506122318"


def test_resident_id_with_unknown_region_is_refused() -> None:
    with pytest.raises(InvalidResidentId):
        validate_resident_id("999999198506122318")


def test_fifteen_digit_old_resident_id_is_refused() -> None:
    with pytest.raises(InvalidResidentId):
        validate_resident_id("110105491231002")


def test_valid_uscc_passes() -> None:
    assert validate_uscc(VALID_USCC.lower()) == VALID_USCC


def test_uscc_with_bad_check_character_is_refused() -> None:
    with pytest.raises(InvalidUSCC) as info:
        validate_uscc("91110000600037341M")
    assert info.value.field == "uscc"
    assert "统一社会信用代码" in info.value.message("zh")


@pytest.mark.parametrize("number", ["13800138000", "+86 138 0013 8000", "199-1234-5678"])
def test_mainland_mobile_numbers_pass(number: str) -> None:
    assert len(validate_mobile(number)) == 11


@pytest.mark.parametrize(
    "number", ["12345678901", "1380013800", "010-12345678", "２３８００１３８０００", ""]
)
def test_non_mobile_numbers_are_refused(number: str) -> None:
    with pytest.raises(InvalidMobile):
        validate_mobile(number)


@pytest.mark.parametrize(
    "name", ["张三", "易联众信息技术股份有限公司", "Zhang San", "阿卜杜·热合曼"]
)
def test_ordinary_names_pass(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["张\t三", "张三\n", " 张三", "张三 ", "", "张\u200b三", "\u202e张三", "x" * 101, "a\x00b"],
)
def test_names_with_control_characters_or_edge_spaces_are_refused(name: str) -> None:
    with pytest.raises(InvalidName) as info:
        validate_name(name)
    assert info.value.message("zh") and info.value.message("en")


VALIDATORS = [validate_resident_id, validate_uscc, validate_mobile, validate_name]


@given(st.binary(max_size=64))
def test_random_bytes_never_crash_the_validators(data: bytes) -> None:
    text = data.decode("utf-8", errors="surrogateescape")
    for check in VALIDATORS:
        try:
            check(text)
        except ValidationError as exc:
            assert exc.message("zh") and exc.message("en")


@given(st.text(max_size=40))
def test_random_text_never_crashes_the_validators(text: str) -> None:
    for check in VALIDATORS:
        try:
            assert isinstance(check(text), str)
        except ValidationError as exc:
            assert exc.field
