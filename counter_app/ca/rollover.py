"""Certificates that end before the CA does: renewing the delegated OCSP responder.

The responder certificate lives a year (``RESPONDER_DAYS``) while the issuing CA lives ten: left
alone, every relying party stops trusting the RA's status answers after a year. A new responder
key and certificate are made when half the certificate's life has passed (``serve`` does it at
start and daily; ``counter-app ca renew-responder`` does it on demand), signed by the issuing CA.
The old certificate and key are kept beside, renamed by serial, never deleted: answers signed
with them stay verifiable, and an audit can match them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from counter_app.ca.hierarchy import CAFiles, make_responder
from counter_app.ca.keys import encrypt_pkcs8

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
    issuing_key: CertificateIssuerPrivateKeyTypes,
    new_key: CertificateIssuerPrivateKeyTypes,
    now: dt.datetime,
    *,
    passphrase: str | None,
) -> RenewedResponder:
    """Certify ``new_key`` as the responder; with ``passphrase`` it is written at rest (PKCS#8),
    without one it lives in the HSM already. The previous files are renamed aside."""
    settings = files.load_settings()
    issuing, old = files.load_cert("issuing"), files.load_cert("ocsp")
    name = x509.Name.from_rfc4514_string(settings.responder_name)
    cert = make_responder(issuing, issuing_key, name, new_key.public_key(), now)
    kept = files.directory / f"ocsp.{old.serial_number:X}.pem"
    # New files first under temporary names, then the old ones aside, then the new ones in:
    # at no moment is there a certificate without its key.
    new_cert = files.directory / "ocsp.pem.new"
    new_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    new_key_path = files.directory / "ocsp.key.pem.new"
    if passphrase is not None:
        fd = os.open(new_key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(encrypt_pkcs8(new_key, passphrase))
    files.cert("ocsp").replace(kept)
    if files.key("ocsp").exists():
        files.key("ocsp").replace(files.directory / f"ocsp.{old.serial_number:X}.key.pem")
    if passphrase is not None:
        new_key_path.replace(files.key("ocsp"))
    new_cert.replace(files.cert("ocsp"))
    log.info("OCSP responder renewed: serial %X until %s", cert.serial_number,
             cert.not_valid_after_utc)  # fmt: skip
    return RenewedResponder(cert, old, kept)
