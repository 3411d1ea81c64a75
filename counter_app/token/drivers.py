"""Key drivers: how one key family is made on a token, read back and signed with.

This is the plug point for another algorithm. A driver for SM2 (vendor-defined CKK/CKM codes on
a GM/T token) implements :class:`KeyDriver`, registers itself with :func:`register_driver` and
its :class:`~counter_app.token.keyspec.KeySpec` with ``register_key_spec``; the session code does
not change. EC and RSA are the two drivers shipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Attribute, KeyType, Mechanism
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from counter_app.token.errors import TokenError
from counter_app.token.keyspec import KeySpec
from counter_app.token.mechanisms import (
    Mechanisms,
    SigningRoute,
    ecdsa_signing_routes,
    rsa_signing_routes,
)
from counter_app.token.signer import TokenECPrivateKey, TokenRSAPrivateKey

Template = Mapping[Attribute, Any]


class KeyDriver(Protocol):
    family: str  # KeySpec.family it serves
    key_type: int  # CKA_KEY_TYPE of its objects (CKK_*), vendor-defined for SM2

    def generate(
        self,
        session: Any,
        spec: KeySpec,
        *,
        key_id: bytes,
        label: str,
        public: Template,
        private: Template,
    ) -> tuple[Any, Any]:
        """Generate and store the pair on the token; returns (public, private) objects."""

    def public_key(self, public_object: Any) -> Any:
        """The public key as a ``cryptography`` object, from the token's public key object."""

    def private_key(
        self,
        handle: Any,
        public: Any,
        present: Callable[[], bool] | None,
        mechanisms: Mechanisms | None = None,
    ) -> Any:
        """A ``cryptography``-shaped private key whose ``sign`` runs on the token, with the
        mechanisms the token offers (None: not known, try each)."""

    def supported_by(self, mechanisms: Mechanisms, spec: KeySpec) -> bool:
        """Whether a token offering ``mechanisms`` can make this key and sign with it."""


def _generates(mechanisms: Mechanisms, mechanism: int, bits: int | None) -> bool:
    limits = mechanisms.get(int(mechanism))
    return limits is not None and (bits is None or limits.fits(bits))


class _ShippedDriver:
    """What the EC and RSA drivers share: storing a new pair with its id, label and templates,
    the token key class that signs, and the check that a token can make the key (its
    pair-generation mechanism) and sign with it (a signing route)."""

    _signer: type[TokenECPrivateKey] | type[TokenRSAPrivateKey]
    _pair_generation: Mechanism
    _signing_routes: Callable[[str, Mechanisms | None], list[SigningRoute]]

    def generate(
        self,
        session: Any,
        spec: KeySpec,
        *,
        key_id: bytes,
        label: str,
        public: Template,
        private: Template,
    ) -> tuple[Any, Any]:
        make_pair = self._pair_maker(session, spec)
        return make_pair(
            store=True, label=label, id=key_id, public_template=public, private_template=private
        )

    def _pair_maker(self, session: Any, spec: KeySpec) -> Callable[..., tuple[Any, Any]]:
        """The session's (or its domain parameters') ``generate_keypair`` for this family."""
        raise NotImplementedError

    def private_key(
        self,
        handle: Any,
        public: Any,
        present: Callable[[], bool] | None,
        mechanisms: Mechanisms | None = None,
    ) -> TokenECPrivateKey | TokenRSAPrivateKey:
        return self._signer(handle, public, present, mechanisms)

    def supported_by(self, mechanisms: Mechanisms, spec: KeySpec) -> bool:
        bits = spec.key_bits
        signs = self._signing_routes("sha256", mechanisms)
        return _generates(mechanisms, self._pair_generation, bits) and any(
            bits is None or mechanisms[int(r.mechanism)].fits(bits) for r in signs
        )


class ECDriver(_ShippedDriver):
    family, key_type = "ec", int(KeyType.EC)
    _signer, _pair_generation = TokenECPrivateKey, Mechanism.EC_KEY_PAIR_GEN
    _signing_routes = staticmethod(ecdsa_signing_routes)

    def _pair_maker(self, session: Any, spec: KeySpec) -> Callable[..., tuple[Any, Any]]:
        params = session.create_domain_parameters(
            KeyType.EC,
            {Attribute.EC_PARAMS: encode_named_curve_parameters(spec.curve or "secp256r1")},
            local=True,
        )
        return params.generate_keypair  # type: ignore[no-any-return]

    def public_key(self, public_object: Any) -> ec.EllipticCurvePublicKey:
        key = serialization.load_der_public_key(encode_ec_public_key(public_object))
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key


class RSADriver(_ShippedDriver):
    family, key_type = "rsa", int(KeyType.RSA)
    _signer, _pair_generation = TokenRSAPrivateKey, Mechanism.RSA_PKCS_KEY_PAIR_GEN
    _signing_routes = staticmethod(rsa_signing_routes)

    def _pair_maker(self, session: Any, spec: KeySpec) -> Callable[..., tuple[Any, Any]]:
        return partial(session.generate_keypair, KeyType.RSA, spec.bits)

    def public_key(self, public_object: Any) -> rsa.RSAPublicKey:
        n = int.from_bytes(public_object[Attribute.MODULUS], "big")
        e = int.from_bytes(public_object[Attribute.PUBLIC_EXPONENT], "big")
        return rsa.RSAPublicNumbers(e, n).public_key()


_DRIVERS: dict[str, KeyDriver] = {"ec": ECDriver(), "rsa": RSADriver()}


def register_driver(driver: KeyDriver) -> None:
    _DRIVERS[driver.family] = driver


def driver_for(spec: KeySpec) -> KeyDriver:
    try:
        return _DRIVERS[spec.family]
    except KeyError:
        raise TokenError(detail=f"no key driver for {spec.name}") from None


def driver_of(key_type: int) -> KeyDriver | None:
    """The driver for objects of this CKA_KEY_TYPE; None for a kind we do not handle."""
    return next((d for d in _DRIVERS.values() if d.key_type == int(key_type)), None)
