"""A pure-Python subscriber token and token access for the service tests.

:class:`FakeTokens` implements :class:`counter_app.services.tokens.TokenAccess` and
:class:`FakeTokenSession` implements :class:`counter_app.services.tokens.SubscriberToken` on a
:class:`FakeDevice` (the "physical" token: its PINs, keys and certificates). Keys are real
``cryptography`` P-256 keys, so CSRs and certificates are real; only PKCS#11 is left out.

These fakes prove the services' *logic* (policy, checks, records, journal, roll-back) quickly.
They prove nothing about the real token: the SoftHSM tests in ``tests/integration/token`` and
``tests/integration/services`` do that, through the same protocols.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Mechanism, MechanismFlag

from counter_app.domain.errors import CounterError
from counter_app.services.tokens import TokenChoice, TokenIdentity
from counter_app.token import KeySpec, check_pin_policy
from counter_app.token.capabilities import TokenCapabilities
from counter_app.token.errors import SOPinWrong, TokenError, TokenNotFound, WrongPin
from counter_app.token.mechanisms import MechanismLimits
from counter_app.token.session import SessionOnToken

USER_PIN = "246813"
SO_PIN = "87654321"


@dataclass(frozen=True)
class FakeKey:
    key_id: bytes
    label: str
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = field(repr=False)

    def private_key(self) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
        return self.key


@dataclass(frozen=True)
class FakeCertificate:
    key_id: bytes
    label: str
    certificate: x509.Certificate


@dataclass
class FakeDevice:
    """One token as it sits on the counter: what a session on it reads and changes."""

    serial: str
    label: str
    pin: str = USER_PIN
    so_pin: str = SO_PIN
    keys: dict[bytes, FakeKey] = field(default_factory=dict)
    certificates: list[FakeCertificate] = field(default_factory=list)
    # Every key pair ever made on this token (deleted ones included).
    generated: int = 0
    unblocked: int = 0
    # Raised by write_certificate when set (a perform step that fails after payment).
    fail_write: CounterError | None = None


def _spki(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class CertificateMismatchOnFake(TokenError):
    code = "certificate_mismatch"


class FakeTokenSession(SessionOnToken[FakeKey]):
    """A signed-in session on a :class:`FakeDevice` (the SubscriberToken protocol); its token's
    serial and label come, as a real session's do, from its ``info``: here the device."""

    def __init__(self, device: FakeDevice) -> None:
        self.device = self.info = device

    @property
    def capabilities(self) -> TokenCapabilities:
        """What a SoftHSM-like token offers: RSA 1024–4096 and EC P-256/P-384."""
        gen, sign = int(MechanismFlag.GENERATE_KEY_PAIR), int(MechanismFlag.SIGN)
        return TokenCapabilities(
            serial=self.device.serial,
            label=self.device.label,
            model="fake",
            mechanisms={
                int(Mechanism.RSA_PKCS_KEY_PAIR_GEN): MechanismLimits(1024, 4096, gen),
                int(Mechanism.SHA256_RSA_PKCS): MechanismLimits(1024, 4096, sign),
                int(Mechanism.EC_KEY_PAIR_GEN): MechanismLimits(256, 384, gen),
                int(Mechanism.ECDSA): MechanismLimits(256, 384, sign),
            },
            min_pin=4,
            max_pin=255,
        )

    def generate_key_pair(self, spec: KeySpec, label: str) -> FakeKey:
        private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        if spec.family == "rsa":
            assert spec.bits is not None
            private = rsa.generate_private_key(public_exponent=65537, key_size=spec.bits)
        else:
            curve = ec.SECP384R1() if spec.curve == "secp384r1" else ec.SECP256R1()
            private = ec.generate_private_key(curve)
        key = FakeKey(os.urandom(16), label, private)
        self.device.keys[key.key_id] = key
        self.device.generated += 1
        return key

    def list_keys(self) -> list[FakeKey]:
        return list(self.device.keys.values())

    def write_certificate(self, cert: x509.Certificate, key_id: bytes, label: str) -> None:
        if self.device.fail_write is not None:
            raise self.device.fail_write
        self.device.certificates.append(FakeCertificate(key_id, label, cert))

    def read_certificates(self) -> list[FakeCertificate]:
        return list(self.device.certificates)

    def check_certificate_matches(self, cert: x509.Certificate, key_id: bytes) -> None:
        key = self.device.keys.get(key_id)
        if key is None or _spki(cert.public_key()) != _spki(key.key.public_key()):
            raise CertificateMismatchOnFake(detail="certificate does not match its key")
        if not any(c.key_id == key_id and c.certificate == cert for c in self.device.certificates):
            raise CertificateMismatchOnFake(detail="certificate not on the token")

    def delete_key_pair(self, key_id: bytes) -> None:
        self.device.keys.pop(key_id, None)
        self.device.certificates = [c for c in self.device.certificates if c.key_id != key_id]


class FakeTokens:
    """The tokens on the counter (the TokenAccess protocol)."""

    def __init__(self) -> None:
        self.devices: dict[str, FakeDevice] = {}
        # Called with the device each time a session opens (a test's way to act meanwhile).
        self.on_session: Callable[[FakeDevice], None] | None = None

    def add(self, label: str, serial: str | None = None, pin: str = USER_PIN) -> FakeDevice:
        device = FakeDevice(serial or f"FAKE{len(self.devices) + 1:04d}", label, pin)
        self.devices[device.serial] = device
        return device

    def by_label(self, label: str) -> FakeDevice:
        return next(d for d in self.devices.values() if d.label == label)

    @property
    def keys_generated(self) -> int:
        return sum(d.generated for d in self.devices.values())

    def _find(self, choice: TokenChoice) -> FakeDevice:
        for device in self.devices.values():
            if (choice.label is None or device.label == choice.label) and (
                choice.serial is None or device.serial == choice.serial
            ):
                return device
        raise TokenNotFound(which=choice.label or choice.serial or "?")

    @contextmanager
    def session(self, choice: TokenChoice, pin: str) -> Iterator[FakeTokenSession]:
        device = self._find(choice)
        if pin != device.pin:
            raise WrongPin()
        if self.on_session is not None:
            self.on_session(device)
        yield FakeTokenSession(device)

    def identify(self, choice: TokenChoice) -> TokenIdentity:
        device = self._find(choice)
        return TokenIdentity(device.serial, device.label)

    def check_new_pin(self, pin: str) -> None:
        check_pin_policy(pin, field="new_pin")

    def unblock(self, serial: str, so_pin: str, new_pin: str) -> None:
        device = self.devices.get(serial)
        if device is None:
            raise TokenNotFound(which=serial)
        if so_pin != device.so_pin:
            raise SOPinWrong()
        device.pin = new_pin
        device.unblocked += 1
