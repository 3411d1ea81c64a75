"""The subscriber's token as the services see it: chosen by label or serial, opened with a PIN,
and checked to belong to one subscriber only.

Services reach tokens through :class:`TokenAccess` (the PKCS#11 module by default), so the pipeline
can be tested on a fake token for its logic while the SoftHSM tests prove the real one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509

from counter_app.ca import CertificateNotFound
from counter_app.ca.ocsp import serial_hex
from counter_app.domain.errors import CounterError, ValidationError
from counter_app.token import (
    KeySpec,
    TokenCapabilities,
    check_pin_policy,
    find_token,
    open_token,
    unblock_pin,
)


class TokenNotChosen(ValidationError):
    code = "token_not_chosen"
    zh = "请指定证书介质（标签或序列号）"
    en = "name the token by label or serial"


@dataclass(frozen=True)
class TokenChoice:
    """Which token: by label, by serial, or both (both must match)."""

    label: str | None = None
    serial: str | None = None

    def __post_init__(self) -> None:
        if not self.label and not self.serial:
            raise TokenNotChosen("token")


class KeyOnToken(Protocol):
    @property
    def key_id(self) -> bytes: ...

    @property
    def label(self) -> str: ...

    def private_key(self) -> Any: ...


class CertificateOnToken(Protocol):
    @property
    def key_id(self) -> bytes: ...

    @property
    def certificate(self) -> x509.Certificate: ...


class SubscriberToken(Protocol):
    """The verbs of a signed-in token session that the services use."""

    @property
    def token_serial(self) -> str: ...

    @property
    def token_label(self) -> str: ...

    @property
    def capabilities(self) -> TokenCapabilities: ...

    def generate_key_pair(self, spec: KeySpec, label: str) -> KeyOnToken: ...

    def list_keys(self) -> list[Any]: ...

    def write_certificate(self, cert: x509.Certificate, key_id: bytes, label: str) -> None: ...

    def read_certificates(self) -> list[Any]: ...

    def check_certificate_matches(self, cert: x509.Certificate, key_id: bytes) -> None: ...

    def delete_key_pair(self, key_id: bytes) -> None: ...


@dataclass(frozen=True)
class TokenIdentity:
    serial: str
    label: str


class TokenAccess(Protocol):
    def session(self, choice: TokenChoice, pin: str) -> AbstractContextManager[SubscriberToken]: ...

    def identify(self, choice: TokenChoice) -> TokenIdentity: ...

    def check_new_pin(self, pin: str) -> None: ...

    def unblock(self, serial: str, so_pin: str, new_pin: str) -> None: ...


class PKCS11Tokens:
    """Tokens through the configured PKCS#11 module."""

    def __init__(self, module: str) -> None:
        self.module = module

    @contextmanager
    def session(self, choice: TokenChoice, pin: str) -> Iterator[SubscriberToken]:
        token = open_token(self.module, label=choice.label, serial=choice.serial)
        with token.login(pin) as session:
            yield session

    def identify(self, choice: TokenChoice) -> TokenIdentity:
        info = find_token(self.module, label=choice.label, serial=choice.serial)
        return TokenIdentity(info.serial, info.label)

    def check_new_pin(self, pin: str) -> None:
        check_pin_policy(pin, field="new_pin")

    def unblock(self, serial: str, so_pin: str, new_pin: str) -> None:
        unblock_pin(self.module, serial=serial, so_pin=so_pin, new_pin=new_pin)


# ---------------------------------------------------------------------------------------------
# One subscriber per token


class TokenHeldByAnother(CounterError):
    code = "token_held_by_another"
    zh = (
        "该介质存有另一订户的有效证书（序列号 {serial}）：请先为该订户吊销或补办，"
        "或换用一枚所存证书均已吊销或过期的介质并先格式化"
    )
    en = (
        "this token holds another subscriber's live certificate (serial {serial}): revoke or "
        "reissue that one first, or format a token whose certificates are all revoked or expired"
    )


class TokenHoldsForeignCertificate(CounterError):
    code = "token_holds_foreign_certificate"
    zh = "该介质存有非本注册中心签发且未过期的证书（序列号 {serial}）：请换用空白介质或先格式化"
    en = (
        "this token holds an unexpired certificate not issued here (serial {serial}): use a "
        "blank token or format it first"
    )


class TokenHoldsLiveKey(CounterError):
    code = "token_holds_live_key"
    zh = "该介质已存有此订户另一张有效证书（序列号 {serial}）的密钥；如需替换请明确选择替换"
    en = (
        "this token already holds the subscriber's key for another live certificate "
        "(serial {serial}); ask to replace it explicitly"
    )


@dataclass(frozen=True)
class HeldCertificate:
    serial: str
    live: bool
    # (kind, identity key) of the subscriber the RA issued it to; None when not issued here.
    owner: tuple[str, str] | None


def certificates_on(
    ts: SubscriberToken, owner_of: Any, status_of: Any, now: dt.datetime
) -> list[HeldCertificate]:
    """What the token holds: each certificate's serial, whether it is live, and whose it is."""
    from counter_app.kmc.pair import ENCRYPTION_SUFFIX

    # Every status first, then the owners: ``owner_of`` reads in the caller's open session, and
    # a status read between two of its reads would wait on that session's lock (SQLite).
    found = []
    for item in ts.read_certificates():
        serial = serial_hex(item.certificate.serial_number)
        try:
            found.append((item, serial, status_of(serial)))
        except CertificateNotFound:
            found.append((item, serial, None))
    held = []
    for item, serial, record in found:
        if record is None:
            live = item.certificate.not_valid_after_utc > now
            held.append(HeldCertificate(serial, live, None))
            continue
        live = record.status.issued and record.not_after > now
        # The encryption certificate of an SM2 pair belongs to its signing one's application.
        application_id = record.application_id
        if application_id is not None:
            application_id = application_id.removesuffix(ENCRYPTION_SUFFIX)
        held.append(HeldCertificate(serial, live, owner_of(application_id)))
    return held


def check_token_belongs(held: list[HeldCertificate], subscriber_key: tuple[str, str]) -> list[str]:
    """Raise when the token holds a live certificate of anyone else; return this subscriber's
    live serials on it (a replacement supersedes them)."""
    own = []
    for item in held:
        if not item.live:
            continue
        if item.owner is None:
            raise TokenHoldsForeignCertificate(serial=item.serial)
        if item.owner != subscriber_key:
            raise TokenHeldByAnother(serial=item.serial)
        own.append(item.serial)
    return own
