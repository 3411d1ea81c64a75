"""Finding tokens, signing in, and the verbs of a signed-in token session.

All token I/O of a process is meant to run on one thread (the CLI's main thread, the GUI's token
worker); python-pkcs11 sessions are not shared between threads.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Attribute, KeyType, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pkcs11.util.x509 import decode_x509_certificate

from counter_app.token.errors import (
    CertificateMismatch,
    KeyNotFound,
    KeyNotProtected,
    PinLocked,
    TokenNotFound,
    WrongPin,
)
from counter_app.token.keyspec import KeySpec
from counter_app.token.library import (
    library,
    recover_after_failed_login,
    session_counted,
    translated,
)
from counter_app.token.signer import TokenECPrivateKey, TokenRSAPrivateKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenInfo:
    slot_id: int
    label: str
    manufacturer: str
    model: str
    serial: str
    initialised: bool
    user_pin_initialised: bool
    pin_count_low: bool
    pin_final_try: bool
    pin_locked: bool
    pin_to_be_changed: bool

    @classmethod
    def of(cls, slot_id: int, token: pkcs11.Token) -> TokenInfo:
        flags = token.flags
        return cls(
            slot_id=slot_id,
            label=token.label,
            manufacturer=token.manufacturer_id,
            model=token.model,
            serial=token.serial if isinstance(token.serial, str) else token.serial.decode().strip(),
            initialised=bool(flags & TokenFlag.TOKEN_INITIALIZED),
            user_pin_initialised=bool(flags & TokenFlag.USER_PIN_INITIALIZED),
            pin_count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW),
            pin_final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
            pin_locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
            pin_to_be_changed=bool(flags & TokenFlag.USER_PIN_TO_BE_CHANGED),
        )


def _slots(module: str, refresh: bool = True) -> Iterator[tuple[int, pkcs11.Token]]:
    lib = library(module, refresh=refresh)
    with translated():
        for slot in lib.get_slots(token_present=True):
            try:
                yield slot.slot_id, slot.get_token()
            except (p11.TokenNotPresent, p11.TokenNotRecognised):
                continue


def list_tokens(module: str) -> list[TokenInfo]:
    """Every slot holding a token, initialised or not."""
    return [TokenInfo.of(slot_id, token) for slot_id, token in _slots(module)]


def _match(module: str, label: str | None, serial: str | None) -> tuple[int, pkcs11.Token]:
    found = [
        (slot_id, token)
        for slot_id, token in _slots(module)
        if (label is None or token.label == label)
        and (serial is None or TokenInfo.of(slot_id, token).serial == serial)
        and token.flags & TokenFlag.TOKEN_INITIALIZED
    ]
    if len(found) != 1:
        which = " ".join(
            filter(None, (f"label={label}" if label else "", f"serial={serial}" if serial else ""))
        )
        raise TokenNotFound(which=which + (" (several match)" if found else ""))
    return found[0]


def find_token(module: str, *, label: str | None = None, serial: str | None = None) -> TokenInfo:
    slot_id, token = _match(module, label, serial)
    return TokenInfo.of(slot_id, token)


def pin_error(info: TokenInfo) -> WrongPin | PinLocked:
    """The error for a refused PIN, from the flags the token reports after the refusal."""
    if info.pin_locked:
        return PinLocked()
    return WrongPin(tries_left=1 if info.pin_final_try else None, count_low=info.pin_count_low)


@dataclass
class Token:
    """A token found by label or serial; :meth:`login` opens a signed-in session."""

    module: str
    info: TokenInfo
    _token: pkcs11.Token

    @contextmanager
    def login(self, pin: str) -> Iterator[TokenSession]:
        log.debug("login to token serial=%s", self.info.serial)
        if self.info.pin_locked:
            raise PinLocked()
        with translated():
            try:
                handle = self._token.open(rw=True, user_pin=pin)
            except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange, p11.PinLocked):
                handle = None
        if handle is None:
            recover_after_failed_login(self.module)
            raise pin_error(find_token(self.module, serial=self.info.serial))
        with session_counted(self.module):
            try:
                yield TokenSession(self.module, self.info, handle)
            finally:
                try:
                    handle.close()
                except p11.PKCS11Error:
                    log.debug("session already gone at close")


def open_token(module: str, *, label: str | None = None, serial: str | None = None) -> Token:
    slot_id, token = _match(module, label, serial)
    return Token(module, TokenInfo.of(slot_id, token), token)


@dataclass(frozen=True)
class TokenKey:
    key_id: bytes
    label: str
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
    _handle: Any

    def private_key(self) -> TokenECPrivateKey | TokenRSAPrivateKey:
        """A ``cryptography`` private key whose ``sign`` runs on the token."""
        if isinstance(self.public_key, ec.EllipticCurvePublicKey):
            return TokenECPrivateKey(self._handle, self.public_key)
        return TokenRSAPrivateKey(self._handle, self.public_key)


@dataclass(frozen=True)
class TokenCertificate:
    key_id: bytes
    label: str
    certificate: x509.Certificate


def _public_key(obj: Any) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    if obj.key_type == KeyType.EC:
        key = serialization.load_der_public_key(encode_ec_public_key(obj))
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key
    n = int.from_bytes(obj[Attribute.MODULUS], "big")
    e = int.from_bytes(obj[Attribute.PUBLIC_EXPONENT], "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def _spki(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


PROTECTION = (
    Attribute.SENSITIVE,
    Attribute.ALWAYS_SENSITIVE,
    Attribute.NEVER_EXTRACTABLE,
    Attribute.LOCAL,
)


class TokenSession:
    """A signed-in, read-write session on one token."""

    def __init__(self, module: str, info: TokenInfo, handle: pkcs11.Session) -> None:
        self.module, self.info, self._s = module, info, handle

    @property
    def token_serial(self) -> str:
        return self.info.serial

    @property
    def token_label(self) -> str:
        return self.info.label

    def generate_key_pair(self, spec: KeySpec, label: str) -> TokenKey:
        """A new key pair made on the token: private key sensitive, never extractable."""
        log.debug("generate %s key pair label=%s", spec.name, label)
        key_id = os.urandom(16)
        private = {
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.PRIVATE: True,
            Attribute.SIGN: True,
            Attribute.TOKEN: True,
        }
        public = {Attribute.VERIFY: True, Attribute.TOKEN: True}
        with translated():
            if spec.family == "ec":
                params = self._s.create_domain_parameters(
                    KeyType.EC,
                    {Attribute.EC_PARAMS: encode_named_curve_parameters(spec.curve or "secp256r1")},
                    local=True,
                )
                pub, priv = params.generate_keypair(
                    store=True,
                    label=label,
                    id=key_id,
                    public_template=public,
                    private_template=private,
                )
            else:
                pub, priv = self._s.generate_keypair(
                    KeyType.RSA,
                    spec.bits,
                    store=True,
                    label=label,
                    id=key_id,
                    public_template=public,
                    private_template=private,
                )
            missing = [a.name for a in PROTECTION if not priv[a]] + (
                ["not EXTRACTABLE"] if priv[Attribute.EXTRACTABLE] else []
            )
            if missing:
                priv.destroy()
                pub.destroy()
                raise KeyNotProtected(missing=", ".join(missing))
            return TokenKey(key_id, label, _public_key(pub), priv)

    def list_keys(self) -> list[TokenKey]:
        keys = []
        with translated():
            # One search at a time per session (PKCS#11): materialise before the nested search.
            for priv in list(self._s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})):
                key_id = bytes(priv[Attribute.ID])
                pubs = list(
                    self._s.get_objects(
                        {Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: key_id}
                    )
                )
                if pubs:
                    keys.append(TokenKey(key_id, priv[Attribute.LABEL], _public_key(pubs[0]), priv))
        return keys

    def find_key(self, key_id: bytes) -> TokenKey:
        for key in self.list_keys():
            if key.key_id == key_id:
                return key
        raise KeyNotFound(key_id=key_id.hex())

    def write_certificate(self, cert: x509.Certificate, key_id: bytes, label: str) -> None:
        """Store the certificate beside its key (same CKA_ID)."""
        log.debug("write certificate serial=%x", cert.serial_number)
        der = cert.public_bytes(serialization.Encoding.DER)
        attrs = decode_x509_certificate(der)
        attrs.update(
            {
                Attribute.TOKEN: True,
                Attribute.ID: key_id,
                Attribute.LABEL: label,
                Attribute.PRIVATE: False,
            }
        )
        with translated():
            self._s.create_object(attrs)

    def read_certificates(self) -> list[TokenCertificate]:
        out = []
        with translated():
            for obj in list(self._s.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})):
                cert = x509.load_der_x509_certificate(bytes(obj[Attribute.VALUE]))
                out.append(TokenCertificate(bytes(obj[Attribute.ID]), obj[Attribute.LABEL], cert))
        return out

    def check_certificate_matches(self, cert: x509.Certificate, key_id: bytes) -> None:
        """Read back: the certificate with this CKA_ID is on the token and certifies its key."""
        key = self.find_key(key_id)
        if _spki(cert.public_key()) != _spki(key.public_key):
            raise CertificateMismatch()
        stored = [c for c in self.read_certificates() if c.key_id == key_id]
        if not stored or stored[0].certificate != cert:
            raise CertificateMismatch()

    def delete_key_pair(self, key_id: bytes) -> None:
        """The key pair and any certificate with this CKA_ID (renewal, roll-back)."""
        log.debug("delete objects id=%s", key_id.hex())
        with translated():
            for obj in list(self._s.get_objects({Attribute.ID: key_id})):
                obj.destroy()


def build_csr(key: TokenKey, subject: x509.Name) -> x509.CertificateSigningRequest:
    """A PKCS#10 request signed by the token key (SHA-256)."""
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .sign(key.private_key(), hashes.SHA256())
    )
