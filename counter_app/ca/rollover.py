"""Certificates that end before the CA does: renewing the delegated OCSP responder, and the
issuing CA itself (``ca rollover``).

The responder certificate lives a year (``RESPONDER_DAYS``) while the issuing CA lives ten: left
alone, every relying party stops trusting the RA's status answers after a year. A new responder
key and certificate are made when half the certificate's life has passed (``serve`` does it at
start and daily; ``counter-app ca renew-responder`` does it on demand), signed by the issuing CA.
The old certificate and key are kept beside, renamed by serial, never deleted: answers signed
with them stay verifiable, and an audit can match them.

The issuing CA is rolled over (:func:`new_issuer`) before it comes near its end, or when its key
is to be retired: the root certifies a new issuing CA (``issuing-N.pem``) with its own OCSP
responder (``ocsp-N.pem``), and it signs every new certificate from then on. The earlier issuer
keeps its key and certificate and goes on answering OCSP and signing CRLs for the certificates
it signed, each of which names its own issuer's certificate and CRL, until the last of them
expires (``ca issuers`` then calls it retired).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from counter_app.ca.errors import CAError
from counter_app.ca.hierarchy import (
    CAFiles,
    issuer_roles,
    issuing_certificate,
    make_responder,
)
from counter_app.ca.keys import encrypt_pkcs8, write_encrypted_key
from counter_app.ca.signing import IssuerKey

log = logging.getLogger(__name__)


def responder_due(cert: x509.Certificate, now: dt.datetime) -> bool:
    """True once half the responder certificate's validity has passed."""
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return now >= start + (end - start) / 2


@dataclass(frozen=True)
class RenewedResponder:
    certificate: x509.Certificate
    previous: x509.Certificate
    kept_as: Path


def renew_responder(
    files: CAFiles,
    issuing_key: IssuerKey,
    new_key: IssuerKey,
    now: dt.datetime,
    *,
    passphrase: str | None,
    issuer: int = 1,
) -> RenewedResponder:
    """Certify ``new_key`` as issuing CA ``issuer``'s responder; with ``passphrase`` it is
    written at rest (PKCS#8), without one it lives in the HSM already. The previous files are
    renamed aside."""
    issuing_role, role = issuer_roles(issuer)
    issuing, old = files.load_cert(issuing_role), files.load_cert(role)
    name = old.subject
    if issuer == 1:
        name = x509.Name.from_rfc4514_string(files.load_settings().responder_name)
    cert = make_responder(issuing, issuing_key, name, new_key.public_key(), now)
    kept = files.directory / f"{role}.{old.serial_number:X}.pem"
    # New files first under temporary names, then the old ones aside, then the new ones in:
    # at no moment is there a certificate without its key.
    new_cert = files.directory / f"{role}.pem.new"
    new_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    new_key_path = files.directory / f"{role}.key.pem.new"
    if passphrase is not None:
        fd = os.open(new_key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(encrypt_pkcs8(new_key, passphrase))
    files.cert(role).replace(kept)
    if files.key(role).exists():
        files.key(role).replace(files.directory / f"{role}.{old.serial_number:X}.key.pem")
    if passphrase is not None:
        new_key_path.replace(files.key(role))
    new_cert.replace(files.cert(role))
    log.info("OCSP responder renewed: serial %X until %s", cert.serial_number,
             cert.not_valid_after_utc)  # fmt: skip
    return RenewedResponder(cert, old, kept)


# Issuing-CA rollover ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewIssuer:
    number: int  # 2 for the first rollover, then 3, ...
    previous: int  # the issuer that was active until now
    certificate: x509.Certificate
    responder: x509.Certificate


def numbered_name(name: str, number: int) -> x509.Name:
    """``name`` with `` N`` after its common name (``CN=Counter Issuing CA 2,O=...``)."""
    parsed = x509.Name.from_rfc4514_string(name)
    rdns, numbered = [], False
    for rdn in parsed.rdns:
        attrs = []
        for attr in rdn:
            if attr.oid == x509.NameOID.COMMON_NAME and not numbered:
                value = f"{attr.value!s} {number}" if isinstance(attr.value, str) else None
                attr, numbered = x509.NameAttribute(attr.oid, value or str(number)), True
            attrs.append(attr)
        rdns.append(x509.RelativeDistinguishedName(attrs))
    if not numbered:
        raise CAError(detail=f"{name!r} has no common name to number: give the new name")
    return x509.Name(rdns)


def new_issuer(
    files: CAFiles,
    root_key: IssuerKey,
    issuing_key: IssuerKey,
    responder_key: IssuerKey,
    now: dt.datetime,
    *,
    passphrase: str | None,
    name: str | None = None,
) -> NewIssuer:
    """Certify ``issuing_key`` as the next issuing CA under the root (named ``name``, or the
    first issuer's name numbered) and ``responder_key`` as its OCSP responder, and make it the
    active issuer. Keys are written at rest under ``passphrase``, or are in the HSM already
    (``passphrase`` None). The earlier issuers' files stay as they are.
    """
    settings = files.load_settings()
    issuers = files.issuers()
    number = issuers[-1] + 1
    try:
        subject = (
            x509.Name.from_rfc4514_string(name)
            if name
            else numbered_name(settings.issuing_name, number)
        )
    except ValueError:
        raise CAError(detail=f"not a distinguished name: {name!r}") from None
    taken = {files.load_cert(issuer_roles(n)[0]).subject for n in issuers}
    if subject in taken:
        raise CAError(detail=f"an issuing CA is already named {subject.rfc4514_string()}")
    issuing = issuing_certificate(
        files.load_cert("root"), root_key, subject, issuing_key.public_key(), now
    )
    responder_name = numbered_name(settings.responder_name, number)
    responder = make_responder(
        issuing, issuing_key, responder_name, responder_key.public_key(), now
    )
    issuing_role, responder_role = issuer_roles(number)
    for role in (issuing_role, responder_role):  # what a rollover cut short left behind
        files.key(role).unlink(missing_ok=True)
        files.cert(role).unlink(missing_ok=True)
    if passphrase is not None:  # the keys first: no certificate is ever there without its key
        write_encrypted_key(files.key(issuing_role), issuing_key, passphrase)
        write_encrypted_key(files.key(responder_role), responder_key, passphrase)
    files.cert(responder_role).write_bytes(responder.public_bytes(serialization.Encoding.PEM))
    # The issuing certificate makes the issuer known (CAFiles.issuers), the settings active.
    files.cert(issuing_role).write_bytes(issuing.public_bytes(serialization.Encoding.PEM))
    files.write_settings(replace(settings, active_issuer=number))
    log.info("issuing CA %d made (serial %X, until %s); it signs new certificates", number,
             issuing.serial_number, issuing.not_valid_after_utc)  # fmt: skip
    return NewIssuer(number, settings.active_issuer, issuing, responder)


@dataclass(frozen=True)
class IssuerState:
    number: int
    state: str  # "active", "retiring" (still answering for its certificates) or "retired"
    certificate: x509.Certificate
    outstanding: int  # its certificates not yet expired (revoked ones included: on its CRL)


def issuer_states(files: CAFiles, outstanding: dict[int, int]) -> list[IssuerState]:
    """Each issuing CA of the hierarchy, oldest first; ``outstanding``: unexpired certificates
    per issuer (the store's ``outstanding``). An earlier issuer with none left is retired:
    nothing it signed needs a status answer any more."""
    active = files.load_settings().active_issuer
    states = []
    for number in files.issuers():
        count = outstanding.get(number, 0)
        state = "active" if number == active else "retiring" if count else "retired"
        cert = files.load_cert(issuer_roles(number)[0])
        states.append(IssuerState(number, state, cert, count))
    return states
