"""The key-algorithm plug point: a new family (say SM2) is a KeySpec plus a KeyDriver."""

from __future__ import annotations

from typing import Any

import pytest

from counter_app.token import drivers, keyspec
from counter_app.token.drivers import ECDriver, RSADriver, driver_for, driver_of
from counter_app.token.errors import TokenError
from counter_app.token.keyspec import KeySpec, key_spec

VENDOR_SM2 = 0x80000000 + 0x201


class FakeSM2Driver:
    family, key_type = "sm2", VENDOR_SM2

    def generate(self, session: Any, spec: KeySpec, **kwargs: Any) -> tuple[Any, Any]:
        return ("pub", "priv")

    def public_key(self, public_object: Any) -> Any:
        return public_object

    def private_key(self, handle: Any, public: Any, present: Any, mechanisms: Any = None) -> Any:
        return handle

    def supported_by(self, mechanisms: Any, spec: KeySpec) -> bool:
        return True


def test_shipped_specs_get_the_ec_and_rsa_drivers() -> None:
    assert isinstance(driver_for(key_spec("ec-p256")), ECDriver)
    assert isinstance(driver_for(key_spec("rsa-3072")), RSADriver)


def test_a_registered_driver_serves_its_spec_and_its_key_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(drivers._DRIVERS, "sm2", FakeSM2Driver())
    monkeypatch.setitem(keyspec._SPECS, "sm2", KeySpec("sm2", "sm2", curve="sm2p256v1"))
    assert isinstance(driver_for(key_spec("sm2")), FakeSM2Driver)
    assert isinstance(driver_of(VENDOR_SM2), FakeSM2Driver)


def test_a_spec_without_a_driver_is_refused_before_the_token_is_asked() -> None:
    with pytest.raises(TokenError):
        driver_for(KeySpec("sm2", "sm2"))


def test_objects_of_an_unknown_key_type_have_no_driver() -> None:
    assert driver_of(VENDOR_SM2) is None
