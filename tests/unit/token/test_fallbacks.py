"""Mechanism and template fallbacks on paths neither SoftHSM nor opencryptoki can produce: a token
with CKM_ECDSA_SHA256, one that lists a mechanism and refuses it, one that rejects an optional
key-generation attribute. The fake token signs with a real key, so the signatures are checked
for real."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric import utils as asym_utils
from pkcs11 import DEFAULT, Attribute, Mechanism
from pkcs11 import exceptions as p11

from counter_app.token import drivers, key_spec
from counter_app.token.errors import (
    KeyNotProtected,
    MechanismUnavailable,
    PinMustBeChanged,
    TokenError,
)
from counter_app.token.keyspec import KeySpec
from counter_app.token.mechanisms import MechanismLimits
from counter_app.token.session import Token, TokenSession, login_error
from counter_app.token.signer import TokenECPrivateKey, TokenRSAPrivateKey
from tests.unit.token.test_error_mapping import _info

ANY = MechanismLimits(None, None, 0)


class FakeECHandle:
    """Signs as a token would: CKM_ECDSA_SHA256 over data, CKM_ECDSA over a digest; raw r||s."""

    def __init__(self, refuse: set[Mechanism] | None = None) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.refuse, self.used = refuse or set(), []  # type: list[Mechanism]

    def sign(self, payload: bytes, mechanism: Mechanism) -> bytes:
        self.used.append(mechanism)
        if mechanism in self.refuse:
            raise p11.MechanismInvalid()
        algorithm: Any = hashes.SHA256()
        if mechanism == Mechanism.ECDSA:
            algorithm = asym_utils.Prehashed(hashes.SHA256())
        der = self.key.sign(payload, ec.ECDSA(algorithm))
        r, s = asym_utils.decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _ec_signer(handle: FakeECHandle, offered: set[Mechanism] | None) -> TokenECPrivateKey:
    mechanisms = None if offered is None else {int(m): ANY for m in offered}
    return TokenECPrivateKey(handle, handle.key.public_key(), None, mechanisms)


def test_ecdsa_sha256_is_used_when_the_token_offers_it() -> None:
    handle = FakeECHandle()
    signer = _ec_signer(handle, {Mechanism.ECDSA_SHA256, Mechanism.ECDSA})
    signature = signer.sign(b"data", ec.ECDSA(hashes.SHA256()))
    handle.key.public_key().verify(signature, b"data", ec.ECDSA(hashes.SHA256()))
    assert handle.used == [Mechanism.ECDSA_SHA256]


def test_ecdsa_over_a_host_hash_when_the_token_lacks_ecdsa_sha256() -> None:
    handle = FakeECHandle()
    signature = _ec_signer(handle, {Mechanism.ECDSA}).sign(b"data", ec.ECDSA(hashes.SHA256()))
    handle.key.public_key().verify(signature, b"data", ec.ECDSA(hashes.SHA256()))
    assert handle.used == [Mechanism.ECDSA]


def test_a_listed_mechanism_the_token_refuses_gives_way_to_the_next() -> None:
    handle = FakeECHandle(refuse={Mechanism.ECDSA_SHA256})
    signature = _ec_signer(handle, None).sign(b"data", ec.ECDSA(hashes.SHA256()))
    handle.key.public_key().verify(signature, b"data", ec.ECDSA(hashes.SHA256()))
    assert handle.used == [Mechanism.ECDSA_SHA256, Mechanism.ECDSA]


def test_a_token_offering_no_signing_mechanism_is_a_typed_error() -> None:
    handle = FakeECHandle()
    with pytest.raises(MechanismUnavailable):
        _ec_signer(handle, {Mechanism.SHA256}).sign(b"data", ec.ECDSA(hashes.SHA256()))


class FakeRSAHandle:
    """CKM_RSA_PKCS only: pads and signs the bytes given (a DigestInfo), as a smart card does."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(65537, 2048)

    def sign(self, payload: bytes, mechanism: Mechanism) -> bytes:
        assert mechanism == Mechanism.RSA_PKCS
        n = self.key.private_numbers().public_numbers.n
        d = self.key.private_numbers().d
        k = (n.bit_length() + 7) // 8
        em = b"\x00\x01" + b"\xff" * (k - len(payload) - 3) + b"\x00" + payload
        return pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big")


@pytest.mark.parametrize("algorithm", [hashes.SHA256(), hashes.SHA384(), hashes.SHA512()])
def test_rsa_pkcs_over_a_host_digest_info_verifies(algorithm: hashes.HashAlgorithm) -> None:
    handle = FakeRSAHandle()
    signer = TokenRSAPrivateKey(
        handle, handle.key.public_key(), None, {int(Mechanism.RSA_PKCS): ANY}
    )
    signature = signer.sign(b"data", padding.PKCS1v15(), algorithm)
    handle.key.public_key().verify(signature, b"data", padding.PKCS1v15(), algorithm)


# Key generation: a driver that rejects one optional attribute, as some tokens reject CKA_DERIVE.


class FakeKey(dict[Attribute, Any]):
    destroyed = False

    def destroy(self) -> None:
        self.destroyed = True


class PickyDriver:
    family, key_type = "picky", 0x80000001

    def __init__(self, rejects: Attribute, protected: bool = True) -> None:
        self.rejects, self.protected, self.templates = rejects, protected, []  # type: ignore[var-annotated]
        self.made: tuple[FakeKey, FakeKey] | None = None

    def generate(self, session: Any, spec: KeySpec, **kw: Any) -> tuple[Any, Any]:
        self.templates.append((kw["public"], kw["private"]))
        # python-pkcs11 adds capability attributes (CKA_DERIVE...) unless set to DEFAULT.
        if kw["private"].get(self.rejects) is not DEFAULT:
            raise p11.TemplateInconsistent()
        private = FakeKey({a: self.protected for a in (Attribute.SENSITIVE, Attribute.LOCAL)})
        private.update(
            {
                Attribute.ALWAYS_SENSITIVE: True,
                Attribute.NEVER_EXTRACTABLE: True,
                Attribute.PRIVATE: True,
                Attribute.EXTRACTABLE: False,
            }
        )
        self.made = (FakeKey(), private)
        return self.made

    def public_key(self, public_object: Any) -> Any:
        return ec.generate_private_key(ec.SECP256R1()).public_key()


def _generate(monkeypatch: pytest.MonkeyPatch, driver: PickyDriver) -> Any:
    monkeypatch.setitem(drivers._DRIVERS, "picky", driver)
    session = TokenSession("fake.so", _info(), handle=object())  # type: ignore[arg-type]
    monkeypatch.setattr(TokenSession, "_offered", lambda self: None)
    return session.generate_key_pair(KeySpec("picky", "picky"), "k")


def test_keygen_is_retried_without_the_optional_attribute_the_token_rejects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    driver = PickyDriver(rejects=Attribute.DERIVE)
    _generate(monkeypatch, driver)
    last = driver.templates[-1][1]
    assert len(driver.templates) > 1 and last[Attribute.DERIVE] is DEFAULT
    assert last[Attribute.SENSITIVE] is True and last[Attribute.EXTRACTABLE] is False


def test_a_retried_keygen_still_destroys_a_key_without_protection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    driver = PickyDriver(rejects=Attribute.DERIVE, protected=False)
    with pytest.raises(KeyNotProtected):
        _generate(monkeypatch, driver)
    assert driver.made is not None and driver.made[1].destroyed


def test_a_rejected_protection_attribute_is_never_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    driver = PickyDriver(rejects=Attribute.SENSITIVE)
    with pytest.raises(TokenError):
        _generate(monkeypatch, driver)
    assert all(private[Attribute.SENSITIVE] is True for _pub, private in driver.templates)


def test_login_to_a_token_whose_pin_must_be_changed_is_refused_before_the_pin_is_sent() -> None:
    token = Token("fake.so", _info(pin_to_be_changed=True), _token=None)  # type: ignore[arg-type]
    with pytest.raises(PinMustBeChanged), token.login("123456"):
        pass


def test_expired_pin_return_code_gives_pin_must_be_changed() -> None:
    assert isinstance(login_error(p11.PinExpired(), _info()), PinMustBeChanged)


def test_shipped_ec_spec_is_checked_against_the_capabilities_before_generation() -> None:
    assert key_spec("ec-p256").key_bits == 256 and key_spec("rsa-3072").key_bits == 3072
