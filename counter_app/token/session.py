"""Finding tokens, signing in, and the verbs of a signed-in token session.

All token I/O of a process runs on one thread (Electrum's hw_wallet rule): the verbs here are
decorated with :func:`counter_app.token.thread.runs_in_token_thread`, which hands a call from any
other thread (the CLI's, a test's, the GUI's pool) to the token thread and asserts it runs there;
the GUI's token lane is that same thread. python-pkcs11 sessions and key handles are not shared
between threads, and a :class:`TokenKey` is valid only while the session that found it is open.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import DEFAULT, Attribute, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11
from pkcs11.util.x509 import decode_x509_certificate

from counter_app.token.capabilities import TokenCapabilities, capabilities_of
from counter_app.token.drivers import KeyDriver, driver_for, driver_of
from counter_app.token.errors import (
    CertificateMismatch,
    KeyNotFound,
    KeyNotProtected,
    PinLocked,
    PinMustBeChanged,
    TokenError,
    TokenNotFound,
    TokenRemoved,
    WrongPin,
)
from counter_app.token.keyspec import KeySpec
from counter_app.token.library import (
    library,
    recover_after_failed_login,
    session_counted,
    translated,
)
from counter_app.token.mechanisms import Mechanisms
from counter_app.token.signer import TokenECPrivateKey, TokenRSAPrivateKey
from counter_app.token.thread import runs_in_token_thread

log = logging.getLogger(__name__)
Found = TypeVar("Found")


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
    so_pin_to_be_changed: bool = False

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
            so_pin_to_be_changed=bool(flags & TokenFlag.SO_PIN_TO_BE_CHANGED),
        )

    def answers_to(self, label: str | None, serial: str | None) -> bool:
        """Whether this is the token asked for by label and/or serial (None: any)."""
        return (label is None or self.label == label) and (serial is None or self.serial == serial)


def the_one(found: list[Found], label: str | None, serial: str | None, anything: str = "") -> Found:
    """The single token found by label and/or serial, PKCS#11 or SKF alike: none or several is
    :class:`TokenNotFound`, naming what was asked for (``anything`` when neither was)."""
    if len(found) != 1:
        which = " ".join(
            filter(None, (f"label={label}" if label else "", f"serial={serial}" if serial else ""))
        )
        raise TokenNotFound(which=(which or anything) + (" (several match)" if found else ""))
    return found[0]


def _slots(module: str, refresh: bool = True) -> Iterator[tuple[int, pkcs11.Token]]:
    lib = library(module, refresh=refresh)
    with translated():
        for slot in lib.get_slots(token_present=True):
            try:
                yield slot.slot_id, slot.get_token()
            except (p11.TokenNotPresent, p11.TokenNotRecognised):
                continue


@runs_in_token_thread
def list_tokens(module: str) -> list[TokenInfo]:
    """Every slot holding a token, initialised or not."""
    return [TokenInfo.of(slot_id, token) for slot_id, token in _slots(module)]


def _match(module: str, label: str | None, serial: str | None) -> tuple[int, pkcs11.Token]:
    found = [
        (slot_id, token)
        for slot_id, token in _slots(module)
        if (info := TokenInfo.of(slot_id, token)).answers_to(label, serial) and info.initialised
    ]
    return the_one(found, label, serial)


@runs_in_token_thread
def find_token(module: str, *, label: str | None = None, serial: str | None = None) -> TokenInfo:
    slot_id, token = _match(module, label, serial)
    return TokenInfo.of(slot_id, token)


def pin_error(info: TokenInfo) -> WrongPin | PinLocked:
    """The error for a refused PIN, from the flags the token reports after the refusal."""
    if info.pin_locked:
        return PinLocked()
    return WrongPin(tries_left=1 if info.pin_final_try else None, count_low=info.pin_count_low)


def login_error(exc: p11.PKCS11Error, after: TokenInfo | None) -> TokenError:
    """The error for a refused C_Login: CKR_PIN_LOCKED and CKR_PIN_EXPIRED say so themselves;
    otherwise the flags the token reports after the refusal (count low, final try, locked)
    decide. ``after`` is None when the token could no longer be read, i.e. it was pulled."""
    if isinstance(exc, p11.PinLocked):
        return PinLocked()
    if isinstance(exc, p11.PinExpired):
        return PinMustBeChanged()
    if after is None:
        return TokenRemoved()
    return pin_error(after)


LOGIN_REFUSED = (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange, p11.PinLocked, p11.PinExpired)


@dataclass
class Token:
    """A token found by label or serial; :meth:`login` opens a signed-in session."""

    module: str
    info: TokenInfo
    _token: pkcs11.Token

    @runs_in_token_thread
    def present(self) -> bool:
        """Whether the same token (same serial) still answers in its slot."""
        try:
            now = self._token.slot.get_token()
            return TokenInfo.of(self.info.slot_id, now).serial == self.info.serial
        except p11.PKCS11Error:
            return False

    @runs_in_token_thread
    def capabilities(self) -> TokenCapabilities:
        """Mechanisms, key sizes, PIN limits and flags, read without a PIN."""
        return capabilities_of(self.module, self._token)

    @contextmanager
    def login(self, pin: str, *, changing_pin: bool = False) -> Iterator[TokenSession]:
        """A signed-in read-write session, closed (and so logged out) on exit. A token whose
        user PIN is flagged to be changed is refused (:class:`PinMustBeChanged`) unless the
        session is for changing it: a service would otherwise fail half-way on such a token."""
        log.debug("login to token serial=%s", self.info.serial)
        if self.info.pin_locked:
            raise PinLocked()
        if self.info.pin_to_be_changed and not changing_pin:
            raise PinMustBeChanged()
        handle = self._open(pin)
        with session_counted(self.module, self.info.slot_id):
            try:
                yield TokenSession(self.module, self.info, handle, self.present)
            finally:
                _close(handle)

    @runs_in_token_thread
    def _open(self, pin: str) -> pkcs11.Session:
        refused: p11.PKCS11Error | None = None
        with translated(present=self.present):
            try:
                return self._token.open(rw=True, user_pin=pin)
            except LOGIN_REFUSED as exc:
                refused = exc
        assert refused is not None
        recover_after_failed_login(self.module, self.info.slot_id)
        raise login_error(refused, self._info_after_refusal()) from None

    def _info_after_refusal(self) -> TokenInfo | None:
        try:
            return TokenInfo.of(self.info.slot_id, self._token.slot.get_token())
        except p11.PKCS11Error:
            return None


@runs_in_token_thread
def _close(handle: pkcs11.Session) -> None:
    try:
        handle.close()
    except p11.PKCS11Error:
        log.debug("session already gone at close")


@runs_in_token_thread
def open_token(module: str, *, label: str | None = None, serial: str | None = None) -> Token:
    slot_id, token = _match(module, label, serial)
    return Token(module, TokenInfo.of(slot_id, token), token)


@dataclass(frozen=True)
class TokenKey:
    """A key pair on the token, valid while the session that found it is open."""

    key_id: bytes
    label: str
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
    _handle: Any = field(repr=False, compare=False)
    _present: Callable[[], bool] | None = field(default=None, repr=False, compare=False)
    _driver: KeyDriver | None = field(default=None, repr=False, compare=False)
    _mechanisms: Mechanisms | None = field(default=None, repr=False, compare=False)

    @property
    def algorithm(self) -> str:
        """The key's :class:`KeySpec` name, e.g. ``ec-p256`` or ``rsa-2048``."""
        if isinstance(self.public_key, ec.EllipticCurvePublicKey):
            return {"secp256r1": "ec-p256", "secp384r1": "ec-p384"}.get(
                self.public_key.curve.name, f"ec-{self.public_key.curve.name}"
            )
        return f"rsa-{self.public_key.key_size}"

    def private_key(self) -> TokenECPrivateKey | TokenRSAPrivateKey:
        """A ``cryptography`` private key whose ``sign`` runs on the token."""
        if self._driver is not None:
            signer: TokenECPrivateKey | TokenRSAPrivateKey = self._driver.private_key(
                self._handle, self.public_key, self._present, self._mechanisms
            )
            return signer
        if isinstance(self.public_key, ec.EllipticCurvePublicKey):
            return TokenECPrivateKey(self._handle, self.public_key, self._present, self._mechanisms)
        return TokenRSAPrivateKey(self._handle, self.public_key, self._present, self._mechanisms)


@dataclass(frozen=True)
class TokenCertificate:
    key_id: bytes
    label: str
    certificate: x509.Certificate


def _spki(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# Read back from the private key after generation: all must be true (and EXTRACTABLE false).
PROTECTION = (
    Attribute.SENSITIVE,
    Attribute.ALWAYS_SENSITIVE,
    Attribute.NEVER_EXTRACTABLE,
    Attribute.LOCAL,
    Attribute.PRIVATE,
)


def missing_protection(read: Callable[[Attribute], Any]) -> list[str]:
    """Names of the protections a private key lacks, from its attributes as the token reports
    them (``read(attribute)``); empty when it is sensitive, local and never extractable."""
    missing = [a.name for a in PROTECTION if not read(a)]
    if read(Attribute.EXTRACTABLE):
        missing.append("EXTRACTABLE is true")
    return missing


# Attributes a key pair made here can do without: a token that rejects one of them in a key
# generation template (e.g. CKA_DERIVE on an EC key of a token without ECDH) gets the template
# again without it. The protection attributes (SENSITIVE, EXTRACTABLE, PRIVATE) and SIGN are never
# dropped, and the key is checked afterwards as always.
OPTIONAL_PUBLIC = (Attribute.ENCRYPT, Attribute.WRAP, Attribute.VERIFY_RECOVER)
OPTIONAL_PRIVATE = (Attribute.DECRYPT, Attribute.UNWRAP, Attribute.DERIVE, Attribute.SIGN_RECOVER)
TEMPLATE_REFUSED = (
    p11.AttributeTypeInvalid,
    p11.AttributeValueInvalid,
    p11.TemplateInconsistent,
    p11.TemplateIncomplete,
)


def template_variants(
    public: Mapping[Attribute, Any], private: Mapping[Attribute, Any]
) -> Iterator[tuple[str, dict[Attribute, Any], dict[Attribute, Any]]]:
    """The templates to try, in order: as given, then without each optional attribute in turn,
    then without all of them. ``DEFAULT`` removes an attribute python-pkcs11 would add."""
    yield "", dict(public), dict(private)
    for attr in OPTIONAL_PUBLIC:
        yield attr.name, {**public, attr: DEFAULT}, dict(private)
    for attr in OPTIONAL_PRIVATE:
        yield attr.name, dict(public), {**private, attr: DEFAULT}
    yield (
        "all optional attributes",
        {**public, **dict.fromkeys(OPTIONAL_PUBLIC, DEFAULT)},
        {**private, **dict.fromkeys(OPTIONAL_PRIVATE, DEFAULT)},
    )


class _Named(Protocol):
    @property
    def serial(self) -> str: ...
    @property
    def label(self) -> str: ...


class _Keyed(Protocol):
    @property
    def key_id(self) -> bytes: ...


Key = TypeVar("Key", bound=_Keyed)


class SessionOnToken(Generic[Key]):
    """What every signed-in session does alike, the PKCS#11 :class:`TokenSession`, the SKF
    session and the services' test fake: it names its token from its ``info`` and finds a key
    by id among those it lists."""

    info: _Named

    @property
    def token_serial(self) -> str:
        return self.info.serial

    @property
    def token_label(self) -> str:
        return self.info.label

    def list_keys(self) -> list[Key]:
        raise NotImplementedError

    def _key_name(self, key_id: bytes) -> str:
        """The key id as a clerk is told it in :class:`KeyNotFound`."""
        return key_id.hex()

    @runs_in_token_thread
    def find_key(self, key_id: bytes) -> Key:
        for key in self.list_keys():
            if key.key_id == key_id:
                return key
        raise KeyNotFound(key_id=self._key_name(key_id))


class TokenSession(SessionOnToken[TokenKey]):
    """A signed-in, read-write session on one token."""

    info: TokenInfo

    def __init__(
        self,
        module: str,
        info: TokenInfo,
        handle: pkcs11.Session,
        present: Callable[[], bool] | None = None,
    ) -> None:
        self.module, self.info, self._s = module, info, handle
        self._present = present

    @cached_property
    def capabilities(self) -> TokenCapabilities:
        """What this token can do, read once per session."""
        return self._read_capabilities()

    @runs_in_token_thread
    def _read_capabilities(self) -> TokenCapabilities:
        with self._guard():
            return capabilities_of(self.module, self._s.token)

    def _offered(self) -> Mechanisms | None:
        """The token's mechanisms for the signers; None (try each) when they cannot be read."""
        try:
            return self.capabilities.mechanisms
        except TokenError as exc:
            log.debug("mechanism list unreadable: %s", exc.message("en"))
            return None

    def _guard(self) -> AbstractContextManager[None]:
        return translated(present=self._present)

    @runs_in_token_thread
    def generate_key_pair(self, spec: KeySpec, label: str) -> TokenKey:
        """A new key pair made on the token: private key sensitive, never extractable; the
        protection is read back and a key without it is destroyed (:class:`KeyNotProtected`)."""
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
        driver = driver_for(spec)
        if self._offered() is not None:
            self.capabilities.check_key_algorithm(spec.name)
        with self._guard():
            pub, priv = self._generate(driver, spec, key_id, label, public, private)
            missing = missing_protection(lambda a: priv[a])
            if missing:
                priv.destroy()
                pub.destroy()
                raise KeyNotProtected(missing=", ".join(missing))
            return TokenKey(
                key_id, label, driver.public_key(pub), priv, self._present, driver, self._offered()
            )

    def _generate(
        self,
        driver: KeyDriver,
        spec: KeySpec,
        key_id: bytes,
        label: str,
        public: dict[Attribute, Any],
        private: dict[Attribute, Any],
    ) -> tuple[Any, Any]:
        """C_GenerateKeyPair, retried without an optional attribute the token rejects."""
        refused: p11.PKCS11Error | None = None
        for dropped, pub_t, priv_t in template_variants(public, private):
            if refused is not None:
                log.debug(
                    "template refused (%s), retry without %s", type(refused).__name__, dropped
                )
            try:
                return driver.generate(
                    self._s, spec, key_id=key_id, label=label, public=pub_t, private=priv_t
                )
            except TEMPLATE_REFUSED as exc:
                refused = exc
        assert refused is not None
        raise refused

    @runs_in_token_thread
    def list_keys(self) -> list[TokenKey]:
        """Every key pair (private key with its public key of the same CKA_ID)."""
        keys = []
        with self._guard():
            # One search at a time per session (PKCS#11): materialise before the nested search.
            for priv in list(self._s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})):
                driver = driver_of(priv[Attribute.KEY_TYPE])
                key_id = bytes(priv[Attribute.ID])
                pubs = list(
                    self._s.get_objects(
                        {Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: key_id}
                    )
                )
                if driver is None or not pubs:
                    continue  # not a key pair this application made
                public_key = driver.public_key(pubs[0])
                label = priv[Attribute.LABEL]
                keys.append(
                    TokenKey(
                        key_id, label, public_key, priv, self._present, driver, self._offered()
                    )
                )
        return keys

    @runs_in_token_thread
    def check_key_protected(self, key_id: bytes) -> None:
        """Raises :class:`KeyNotProtected` unless the private key is sensitive, local and never
        extractable (e.g. before a renewal re-uses a key already on the token)."""
        key = self.find_key(key_id)
        with self._guard():
            missing = missing_protection(lambda a: key._handle[a])
        if missing:
            raise KeyNotProtected(missing=", ".join(missing))

    @runs_in_token_thread
    def write_certificate(self, cert: x509.Certificate, key_id: bytes, label: str) -> None:
        """Store the certificate beside its key (same CKA_ID)."""
        log.debug("write certificate serial=%x id=%s", cert.serial_number, key_id.hex())
        der = cert.public_bytes(serialization.Encoding.DER)
        # The default attribute set: extended_set=True crashes on certificates without SKI/AKI.
        attrs = decode_x509_certificate(der)
        attrs.update(
            {
                Attribute.TOKEN: True,
                Attribute.ID: key_id,
                Attribute.LABEL: label,
                Attribute.PRIVATE: False,
            }
        )
        with self._guard():
            self._s.create_object(attrs)

    @runs_in_token_thread
    def read_certificates(self) -> list[TokenCertificate]:
        out = []
        with self._guard():
            for obj in list(self._s.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})):
                cert = x509.load_der_x509_certificate(bytes(obj[Attribute.VALUE]))
                out.append(TokenCertificate(bytes(obj[Attribute.ID]), obj[Attribute.LABEL], cert))
        return out

    @runs_in_token_thread
    def check_certificate_matches(self, cert: x509.Certificate, key_id: bytes) -> None:
        """Read back: the certificate with this CKA_ID is on the token and certifies its key."""
        key = self.find_key(key_id)
        if _spki(cert.public_key()) != _spki(key.public_key):
            raise CertificateMismatch()
        stored = [c.certificate for c in self.read_certificates() if c.key_id == key_id]
        if cert not in stored:
            raise CertificateMismatch()

    @runs_in_token_thread
    def delete_key_pair(self, key_id: bytes) -> None:
        """The key pair and any certificate with this CKA_ID (renewal, roll-back)."""
        log.debug("delete objects id=%s", key_id.hex())
        with self._guard():
            for obj in list(self._s.get_objects({Attribute.ID: key_id})):
                obj.destroy()


def listed_key(key_id: bytes, label: str, algorithm: str, protection: str) -> dict[str, str]:
    """A key pair as ``token objects`` lists it, PKCS#11 or SKF (no secret, nothing private)."""
    return {"id": key_id.hex(), "label": label, "algorithm": algorithm, "protection": protection}


def listed_certificate(c: TokenCertificate) -> dict[str, str]:
    """A certificate on the token as ``token objects`` lists it, PKCS#11 or SKF."""
    return {
        "id": c.key_id.hex(),
        "label": c.label,
        "subject": c.certificate.subject.rfc4514_string(),
        "serial": f"{c.certificate.serial_number:x}",
        "not_after": c.certificate.not_valid_after_utc.isoformat(),
    }


def describe_objects(ts: TokenSession) -> dict[str, list[dict[str, str]]]:
    """What is on the token, as plain data for a listing (no secret, nothing private)."""
    keys = []
    for key in ts.list_keys():
        try:
            ts.check_key_protected(key.key_id)
            protection = "protected"
        except KeyNotProtected as exc:
            protection = f"NOT protected: {exc.data.get('missing', '')}"
        keys.append(listed_key(key.key_id, key.label, key.algorithm, protection))
    certificates = [listed_certificate(c) for c in ts.read_certificates()]
    return {"keys": keys, "certificates": certificates}


def build_csr(key: TokenKey, subject: x509.Name) -> x509.CertificateSigningRequest:
    """A PKCS#10 request signed by the token key (SHA-256)."""
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .sign(key.private_key(), hashes.SHA256())
    )
