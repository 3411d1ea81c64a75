"""Operations that need the root CA key: re-certifying the issuing CA and the root's CRL.

They are rare and deliberate (a key ceremony), so the root key is opened only for them: from
``ca/root.key.pem`` when the root is online, or from the removable media given back with
``--offline-root DIR`` when ``ca init --offline-root`` put it there. The issuing CA never needs
it for daily work.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from counter_app.ca.errors import OfflineRootUnusable, RootKeyOffline
from counter_app.ca.hierarchy import (
    CAFiles,
    OfflineRoot,
    _aki,
    issuer_roles,
    issuing_certificate,
)
from counter_app.ca.keys import read_encrypted_key
from counter_app.ca.signing import (
    IssuerKey,
    certificate_key,
    certificate_spki,
    signer_for,
    spki_der,
)

ROOT_CRL_DAYS = 365  # an offline root signs its CRL rarely: relying parties must not go stale


def root_key_path(files: CAFiles, offline_root: Path | None) -> Path:
    """Where the root key is, or :class:`RootKeyOffline` when the media was not given back."""
    settings = files.load_settings()
    if settings.root_key != "offline":
        return files.key("root")
    if offline_root is None:
        raise RootKeyOffline()
    path = OfflineRoot(offline_root).key
    if not path.exists():
        raise OfflineRootUnusable(
            where=str(offline_root), reason_zh="其中没有根CA私钥", reason_en="it holds no root key"
        )
    return path


def open_root_key(files: CAFiles, offline_root: Path | None, passphrase: str) -> IssuerKey:
    """The root key, checked against ``ca/root.pem`` (media from another CA is refused)."""
    key = read_encrypted_key(root_key_path(files, offline_root), passphrase)
    if spki_der(key.public_key()) != certificate_spki(files.load_cert("root")):
        raise OfflineRootUnusable(
            where=str(offline_root),
            reason_zh="其中的私钥不是本CA的根私钥",
            reason_en="the key there is not this CA's root key",
        )
    return key


def recertify_issuing(files: CAFiles, root_key: IssuerKey, now: dt.datetime) -> x509.Certificate:
    """A new certificate for the active issuing CA's key, valid from now; the old one is kept
    aside (``issuing.<serial>.pem``)."""
    role, _ = issuer_roles(files.load_settings().active_issuer)
    root, old = files.load_cert("root"), files.load_cert(role)
    cert = issuing_certificate(root, root_key, old.subject, certificate_key(old), now)
    files.cert(role).rename(files.directory / f"{role}.{old.serial_number:X}.pem")
    files.cert(role).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert


def root_crl_path(files: CAFiles) -> Path:
    return files.directory / "root.crl"


def sign_root_crl(
    files: CAFiles, root_key: IssuerKey, now: dt.datetime
) -> x509.CertificateRevocationList:
    """The root's CRL (no CA it certified is revoked), with a CRL number above the last one."""
    root = files.load_cert("root")
    path = root_crl_path(files)
    number = 1
    if path.exists():
        previous = x509.load_der_x509_crl(path.read_bytes())
        number = previous.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
    signer = signer_for(root_key)
    template = x509.CertificateRevocationListBuilder(
        issuer_name=root.subject,
        last_update=now,
        next_update=now + dt.timedelta(days=ROOT_CRL_DAYS),
        extensions=[
            x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(number)),
            x509.Extension(x509.AuthorityKeyIdentifier.oid, False, _aki(root)),
        ],
    ).sign(signer.builder_key, signer.hash)
    der = signer.crl(template.public_bytes(serialization.Encoding.DER), b"")
    path.write_bytes(der)
    return x509.load_der_x509_crl(der)
