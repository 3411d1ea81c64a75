"""The capability record's checks, on mechanism lists as tokens report them (no token needed)."""

from __future__ import annotations

import pytest
from pkcs11 import Mechanism, MechanismFlag

from counter_app.token.capabilities import TokenCapabilities
from counter_app.token.errors import (
    KeyAlgorithmNotSupported,
    PinLocked,
    PinMustBeChanged,
    PinPolicy,
)
from counter_app.token.mechanisms import MechanismLimits

SIGN = int(MechanismFlag.SIGN | MechanismFlag.VERIFY)
GEN = int(MechanismFlag.GENERATE_KEY_PAIR)


def _caps(mechanisms: dict[int, MechanismLimits], **kw: object) -> TokenCapabilities:
    base: dict[str, object] = {"min_pin": 4, "max_pin": 8}
    base.update(kw)
    return TokenCapabilities(
        serial="1",
        label="T",
        model="m",
        mechanisms=mechanisms,
        **base,  # type: ignore[arg-type]
    )


RSA_2048_ONLY = {
    int(Mechanism.RSA_PKCS_KEY_PAIR_GEN): MechanismLimits(1024, 2048, GEN),
    int(Mechanism.RSA_PKCS): MechanismLimits(1024, 2048, SIGN),
}
EC_P256_HASHING_ONLY = {
    int(Mechanism.EC_KEY_PAIR_GEN): MechanismLimits(256, 256, GEN),
    int(Mechanism.ECDSA_SHA256): MechanismLimits(256, 256, SIGN),
}


def test_refusal_names_the_one_algorithm_the_token_supports() -> None:
    with pytest.raises(KeyAlgorithmNotSupported) as refused:
        _caps(RSA_2048_ONLY).check_key_algorithm("ec-p256")
    assert refused.value.message("en").endswith("this token supports RSA 2048 only")
    assert refused.value.message("zh").endswith("该介质仅支持 RSA 2048")


def test_rsa_key_larger_than_the_token_generates_is_refused() -> None:
    with pytest.raises(KeyAlgorithmNotSupported):
        _caps(RSA_2048_ONLY).check_key_algorithm("rsa-3072")


def test_rsa_pkcs_without_the_sign_flag_cannot_sign() -> None:
    encrypt_only = dict(RSA_2048_ONLY)
    encrypt_only[int(Mechanism.RSA_PKCS)] = MechanismLimits(
        1024, 2048, int(MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT)
    )
    assert _caps(encrypt_only).key_algorithms() == ()


def test_ec_with_only_the_hashing_ecdsa_mechanism_is_supported() -> None:
    _caps(EC_P256_HASHING_ONLY).check_key_algorithm("ec-p256")


def test_ec_sizes_reported_in_bytes_are_understood() -> None:
    in_bytes = {
        int(Mechanism.EC_KEY_PAIR_GEN): MechanismLimits(32, 48, GEN),
        int(Mechanism.ECDSA): MechanismLimits(32, 48, SIGN),
    }
    assert _caps(in_bytes).key_algorithms() == ("ec-p256", "ec-p384")


def test_refusal_lists_only_what_the_certificate_type_offers() -> None:
    both = {**RSA_2048_ONLY, **EC_P256_HASHING_ONLY}
    with pytest.raises(KeyAlgorithmNotSupported) as refused:
        _caps(both).check_key_algorithm("rsa-3072", offered=("rsa-2048", "rsa-3072"))
    assert refused.value.allowed == ("RSA 2048",)


def test_token_without_any_usable_algorithm_says_so() -> None:
    with pytest.raises(KeyAlgorithmNotSupported) as refused:
        _caps({}).check_key_algorithm("rsa-2048")
    assert "none of the key algorithms" in refused.value.message("en")


@pytest.mark.parametrize("pin", ["123", "123456789"])
def test_pin_outside_the_tokens_limits_is_refused(pin: str) -> None:
    with pytest.raises(PinPolicy) as refused:
        _caps({}).check_new_pin(pin)
    assert "4至8位" in refused.value.message("zh")


def test_pin_within_the_tokens_limits_passes() -> None:
    _caps({}).check_new_pin("12345678")


def test_token_reporting_no_pin_limits_leaves_the_counters_policy_alone() -> None:
    _caps({}, min_pin=0, max_pin=0).check_new_pin("1234567890123456")


def test_user_pin_to_be_changed_stops_a_service_before_it_starts() -> None:
    with pytest.raises(PinMustBeChanged):
        _caps({}, user_pin_to_be_changed=True).check_user_pin_usable()


def test_locked_user_pin_stops_a_service_before_it_starts() -> None:
    with pytest.raises(PinLocked):
        _caps({}, user_pin_locked=True).check_user_pin_usable()
