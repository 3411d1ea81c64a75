"""A counter renews its own client certificate over EST before it ends (issue 21, item 2).

The counter makes a new key, sends a CSR over the mutual TLS it already has (its current,
still valid certificate names it), and the signing service's counter-client CA certifies the
new key under the same name. The new key is encrypted with the same passphrase; the old
certificate and key are kept beside the new ones, renamed by serial, until the operator removes
them. A counter whose certificate has already expired cannot do this (TLS refuses it): the
signing host issues a new one by hand (``est counter-cert``), docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from counter_app.ca.keys import encrypt_pkcs8
from counter_app.domain.errors import ConfigError
from counter_app.services.est_client import ESTSettings, ESTSigning

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenewedCounterCert:
    name: str
    certificate: x509.Certificate
    previous: x509.Certificate


def counter_cert_due(cert: x509.Certificate, now: dt.datetime) -> bool:
    """Renew once half the certificate's life is over (a year, for the two-year default)."""
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return now >= start + (end - start) / 2


def _spki(key: CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def renew_counter_certificate(settings: ESTSettings, passphrase: str) -> RenewedCounterCert:
    """Re-enroll this counter's client certificate; the files named by ``settings`` change."""
    current = x509.load_pem_x509_certificate(settings.client_cert.read_bytes())
    names = current.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        raise ConfigError(detail=f"{settings.client_cert} has no common name")
    name = str(names[0].value)
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .sign(key, hashes.SHA256())
    )
    client = ESTSigning(settings, lambda: passphrase)
    try:
        client.handshake()
        cert = client.renew_own_certificate(csr)
    finally:
        client.close()
    if _spki(cert.public_key()) != _spki(key.public_key()):
        raise ConfigError(detail="the signing service returned a certificate for another key")
    # The old pair is kept aside first; the new key goes in before the new certificate, so a
    # crash leaves either the old pair or the new key with the old certificate (TLS then
    # refuses: restore the .old files), never a half-written file.
    stem = f"{current.serial_number:X}.old"
    kept_key = settings.client_key.with_name(f"{settings.client_key.name}.{stem}")
    kept_cert = settings.client_cert.with_name(f"{settings.client_cert.name}.{stem}")
    _write(kept_key, settings.client_key.read_bytes(), 0o600)
    _write(kept_cert, settings.client_cert.read_bytes(), 0o644)
    _write(settings.client_key, encrypt_pkcs8(key, passphrase), 0o600)
    _write(settings.client_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    log.info("counter %s client certificate renewed until %s", name, cert.not_valid_after_utc)
    return RenewedCounterCert(name, cert, current)
