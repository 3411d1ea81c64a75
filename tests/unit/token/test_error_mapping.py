"""Paths SoftHSM cannot produce (a locked PIN, the final try, a pulled token), tested where the
PKCS#11 error codes and token flags are mapped."""

from __future__ import annotations

import pytest
from pkcs11 import Attribute
from pkcs11 import exceptions as p11

from counter_app.domain.errors import ValidationError
from counter_app.token import check_pin_policy, key_spec
from counter_app.token.admin import init_error
from counter_app.token.errors import (
    PinLocked,
    PinPolicy,
    SOPinWrong,
    TokenError,
    TokenFull,
    TokenRemoved,
    WrongPin,
)
from counter_app.token.library import translated
from counter_app.token.session import TokenInfo, login_error, missing_protection, pin_error


def _info(**flags: bool) -> TokenInfo:
    base = dict(pin_count_low=False, pin_final_try=False, pin_locked=False, pin_to_be_changed=False)
    base.update(flags)
    return TokenInfo(
        slot_id=1,
        label="T",
        manufacturer="m",
        model="x",
        serial="1",
        initialised=True,
        user_pin_initialised=True,
        **base,
    )


def test_locked_flag_gives_pin_locked_with_the_way_out() -> None:
    error = pin_error(_info(pin_locked=True))
    assert isinstance(error, PinLocked)
    assert "unblock with the SO PIN" in error.message("en")


def test_final_try_flag_says_one_try_left() -> None:
    error = pin_error(_info(pin_final_try=True))
    assert isinstance(error, WrongPin) and error.tries_left == 1
    assert "1 tries left" in error.message("en") and "还可尝试1次" in error.message("zh")


def test_count_low_flag_warns_without_a_number() -> None:
    error = pin_error(_info(pin_count_low=True))
    assert isinstance(error, WrongPin) and error.tries_left is None
    assert "few tries left" in error.message("en")


@pytest.mark.parametrize(
    "raised",
    [
        p11.DeviceRemoved,
        p11.TokenNotPresent,
        p11.SessionClosed,
        p11.SessionHandleInvalid,
        p11.DeviceError,
    ],
)
def test_token_pulled_mid_operation_becomes_token_removed(raised: type[Exception]) -> None:
    with pytest.raises(TokenRemoved), translated():
        raise raised()


def test_full_token_becomes_token_full() -> None:
    with pytest.raises(TokenFull), translated():
        raise p11.DeviceMemory()


@pytest.mark.parametrize("pin", ["12345", "00000000", "a" * 17, "１２３４５６", "12 34\x0056"])
def test_pin_policy_refuses(pin: str) -> None:
    with pytest.raises(PinPolicy):
        check_pin_policy(pin)


@pytest.mark.parametrize("pin", ["123456", "246813", "Pa55word", "1234567890123456"])
def test_pin_policy_accepts(pin: str) -> None:
    check_pin_policy(pin)


def test_unknown_key_algorithm_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        key_spec("sm2-but-no-driver")


def test_pin_locked_return_code_gives_pin_locked_even_without_the_flag() -> None:
    assert isinstance(login_error(p11.PinLocked(), _info()), PinLocked)


def test_refused_pin_on_a_token_that_no_longer_answers_is_token_removed() -> None:
    assert isinstance(login_error(p11.PinIncorrect(), None), TokenRemoved)


def test_refused_pin_with_final_try_flag_is_wrong_pin_with_one_try() -> None:
    error = login_error(p11.PinIncorrect(), _info(pin_final_try=True))
    assert isinstance(error, WrongPin) and error.tries_left == 1


def test_any_failure_of_a_token_that_is_gone_becomes_token_removed() -> None:
    with pytest.raises(TokenRemoved), translated(present=lambda: False):
        raise p11.GeneralError()


def test_a_failure_of_a_token_still_present_stays_a_token_error() -> None:
    with pytest.raises(TokenError) as info, translated(present=lambda: True):
        raise p11.GeneralError()
    assert not isinstance(info.value, TokenRemoved)
    assert "GeneralError" in info.value.message("en")


PROTECTED = {
    Attribute.SENSITIVE: True,
    Attribute.ALWAYS_SENSITIVE: True,
    Attribute.NEVER_EXTRACTABLE: True,
    Attribute.LOCAL: True,
    Attribute.PRIVATE: True,
    Attribute.EXTRACTABLE: False,
}


def test_sensitive_local_never_extractable_key_lacks_nothing() -> None:
    assert missing_protection(PROTECTED.__getitem__) == []


@pytest.mark.parametrize(
    ("attribute", "value", "named"),
    [
        (Attribute.LOCAL, False, "LOCAL"),
        (Attribute.NEVER_EXTRACTABLE, False, "NEVER_EXTRACTABLE"),
        (Attribute.SENSITIVE, False, "SENSITIVE"),
        (Attribute.EXTRACTABLE, True, "EXTRACTABLE is true"),
    ],
)
def test_key_without_a_protection_is_refused(attribute: Attribute, value: bool, named: str) -> None:
    read = {**PROTECTED, attribute: value}
    assert named in missing_protection(read.__getitem__)


@pytest.mark.parametrize(
    ("rv", "expected"), [(0xA0, SOPinWrong), (0xA4, SOPinWrong), (0xB6, TokenError)]
)
def test_init_token_return_codes_become_errors(rv: int, expected: type[Exception]) -> None:
    assert isinstance(init_error(rv), expected)


def test_init_token_ok_is_no_error() -> None:
    assert init_error(0) is None
