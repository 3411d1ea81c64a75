"""The CA hierarchy on disk: root, issuing CA and delegated OCSP responder (``ca init``).

Layout of ``<data dir>/ca/`` (0700): ``settings.toml`` (names, algorithm, key storage, base
URL), ``identifier.salt`` (0600: the secret salt of hashed personal identifiers, see
``docs/identifiers.md``), ``root.pem``, ``issuing.pem``, ``ocsp.pem``, and for keys kept at
rest ``*.key.pem`` (PKCS#8, encrypted with the CA passphrase; the root key is elsewhere after
``ca init --offline-root``). An unencrypted key is never written. After ``ca rollover`` the
next issuing CA and its responder are ``issuing-2.pem`` and ``ocsp-2.pem`` (then 3, ...), and
``settings.toml`` names the one that signs new certificates (``active_issuer``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import secrets
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from counter_app.ca.errors import (
    CAAlreadyInitialised,
    CAError,
    CANotInitialised,
    OfflineRootUnusable,
)
from counter_app.ca.keys import (
    check_ca_passphrase,
    generate_key,
    read_encrypted_key,
    write_encrypted_key,
)
from counter_app.ca.signing import (
    IssuerKey,
    SubjectKey,
    builder_public_key,
    signature_hash,
    signer_for,
    subject_key_identifier,
)
from counter_app.datadir import DataDirPart, InDirectory
from counter_app.filemodes import make_private_dir

log = logging.getLogger(__name__)
ROOT_YEARS, ISSUING_YEARS = 20, 10
RESPONDER_DAYS = 365
ROLES = ("root", "issuing", "ocsp")
_NUMBERED_ISSUER = re.compile(r"issuing-([1-9][0-9]*)\.pem")
KeyFactory = Callable[[str], IssuerKey]  # role -> new key
__all__ = ["signature_hash"]  # re-exported: callers imported it from here before signing.py


@dataclass(frozen=True)
class CASettings:
    root_name: str
    issuing_name: str
    responder_name: str
    algorithm: str
    key_storage: str  # "pkcs8" or "hsm"
    base_url: str
    identifier_salt: bytes
    hsm_module: str | None = None
    hsm_label: str | None = None
    root_key: str = "online"  # "online" (ca/root.key.pem) or "offline" (``--offline-root``)
    # Certificates per partition CRL; None: one complete CRL only (docs/deployment.md).
    crl_partition_size: int | None = None
    active_issuer: int = 1  # the issuing CA that signs new certificates (``ca rollover``)

    @classmethod
    def software(
        cls,
        name: str,
        *,
        base_url: str,
        identifier_salt: bytes,
        organization: str | None = None,
    ) -> CASettings:
        """P-256 keys kept at rest (PKCS#8), the three certificates named ``CN=<name> Root``,
        ``<name> Issuing`` and ``<name> OCSP`` (with ``O=<organization>``): a throw-away CA for
        tests, benchmarks and trials."""
        o = f",O={organization}" if organization else ""
        return cls(
            f"CN={name} Root{o},C=CN",
            f"CN={name} Issuing{o},C=CN",
            f"CN={name} OCSP{o},C=CN",
            "p256",
            "pkcs8",
            base_url,
            identifier_salt,
        )

    def to_toml(self) -> str:
        lines = [f"{k} = {json.dumps(v)}" for k, v in self._items() if v is not None]
        return "# Written by `counter-app ca init`; no secret is kept here.\n" + "\n".join(lines)

    def _items(self) -> list[tuple[str, str | int | None]]:
        return [
            ("root_name", self.root_name),
            ("issuing_name", self.issuing_name),
            ("responder_name", self.responder_name),
            ("algorithm", self.algorithm),
            ("key_storage", self.key_storage),
            ("base_url", self.base_url),
            ("hsm_module", self.hsm_module),
            ("hsm_label", self.hsm_label),
            ("root_key", self.root_key if self.root_key != "online" else None),
            ("crl_partition_size", self.crl_partition_size),
            ("active_issuer", self.active_issuer if self.active_issuer != 1 else None),
        ]

    @classmethod
    def from_toml(cls, text: str, identifier_salt: bytes | None = None) -> CASettings:
        """Settings from ``settings.toml``; the salt comes from its own file when given."""
        data = tomllib.loads(text)
        if identifier_salt is None:
            identifier_salt = bytes.fromhex(data["identifier_salt"])
        return cls(
            root_name=data["root_name"],
            issuing_name=data["issuing_name"],
            responder_name=data["responder_name"],
            algorithm=data["algorithm"],
            key_storage=data["key_storage"],
            base_url=data["base_url"],
            identifier_salt=identifier_salt,
            hsm_module=data.get("hsm_module"),
            hsm_label=data.get("hsm_label"),
            root_key=data.get("root_key", "online"),
            crl_partition_size=_partition_size(data.get("crl_partition_size")),
            active_issuer=int(data.get("active_issuer", 1)),
        )


def _partition_size(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CAError(detail=f"crl_partition_size must be a positive whole number, not {value!r}")
    return value


def issuer_roles(issuer: int) -> tuple[str, str]:
    """The file roles of issuing CA ``issuer`` and of its OCSP responder: ``issuing`` and
    ``ocsp`` for the first, ``issuing-N`` and ``ocsp-N`` for the ones ``ca rollover`` made."""
    return ("issuing", "ocsp") if issuer == 1 else (f"issuing-{issuer}", f"ocsp-{issuer}")


class CAFiles(DataDirPart):
    part = "ca"
    settings = InDirectory("settings.toml")
    salt = InDirectory("identifier.salt")
    # 8 bytes rewritten after every committed status change: responders on this host map the
    # file and compare it on each request (see ``server/watch.py``).
    status_stamp = InDirectory("status.stamp")

    def cert(self, role: str) -> Path:
        return self.directory / f"{role}.pem"

    def key(self, role: str) -> Path:
        return self.directory / f"{role}.key.pem"

    @property
    def crl(self) -> Path:
        return self.crl_of(1)

    def crl_of(self, issuer: int) -> Path:
        """Where issuing CA ``issuer``'s newest complete CRL is published."""
        return self.directory / ("current.crl" if issuer == 1 else f"current-{issuer}.crl")

    def issuers(self) -> list[int]:
        """The issuing CAs of this hierarchy, oldest first: 1, then those of ``ca rollover``."""
        numbered = (_NUMBERED_ISSUER.fullmatch(p.name) for p in self.directory.iterdir())
        return [1, *sorted(int(m.group(1)) for m in numbered if m is not None)]

    def roles(self) -> list[str]:
        """Every CA role of this hierarchy: the root, then each issuer and its responder."""
        return ["root", *(role for n in self.issuers() for role in issuer_roles(n))]

    def exists(self) -> bool:
        return self.settings.exists()

    def require(self) -> None:
        if not self.exists():
            raise CANotInitialised(where=str(self.directory))

    def load_settings(self) -> CASettings:
        self.require()
        text = self.settings.read_text(encoding="utf-8")
        if not self.salt.exists():
            # A CA made before the salt had its own file kept it in settings.toml: move it.
            settings = CASettings.from_toml(text)
            self.write_salt(settings.identifier_salt)
            self.write_settings(settings)
            log.warning("moved the identifier salt out of %s into %s", self.settings, self.salt)
            return settings
        return CASettings.from_toml(text, bytes.fromhex(self.salt.read_text().strip()))

    def write_salt(self, salt: bytes) -> None:
        """The salt file, 0600 from its creation: whoever reads it can test guesses of IDs."""
        tmp = self.salt.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(salt.hex() + "\n")
        tmp.replace(self.salt)

    def load_cert(self, role: str) -> x509.Certificate:
        self.require()
        return x509.load_pem_x509_certificate(self.cert(role).read_bytes())

    def load_key(self, role: str, passphrase: str) -> IssuerKey:
        self.require()
        return read_encrypted_key(self.key(role), passphrase)

    def mark_status_change(self) -> None:
        fd = os.open(self.status_stamp, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.write(fd, secrets.token_bytes(8))  # any new value; the reader asks the database
        finally:
            os.close(fd)

    def publish_crl(self, der: bytes, issuer: int = 1) -> None:
        """Replace the published CRL atomically, so the server sees whole files only."""
        _write_atomic(self.crl_of(issuer), der)

    def write_settings(self, settings: CASettings) -> None:
        _write_atomic(self.settings, (settings.to_toml() + "\n").encode())


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _serial() -> int:
    # 16 random bytes, top bit cleared (positive) and the next one set (always 16 octets).
    return (int.from_bytes(secrets.token_bytes(16), "big") & ~(1 << 127)) | (1 << 126)


def new_serial() -> int:
    return _serial()


def _ca_builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: SubjectKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(builder_public_key(public_key))
        .serial_number(_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(subject_key_identifier(public_key), critical=False)
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _aki(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def make_hierarchy(
    settings: CASettings, keys: dict[str, IssuerKey], now: dt.datetime
) -> dict[str, x509.Certificate]:
    """Root (self-signed), issuing CA (pathLen 0) and OCSP responder certificates."""
    root_name = x509.Name.from_rfc4514_string(settings.root_name)
    issuing_name = x509.Name.from_rfc4514_string(settings.issuing_name)
    responder_name = x509.Name.from_rfc4514_string(settings.responder_name)
    root_key, issuing_key, ocsp_key = keys["root"], keys["issuing"], keys["ocsp"]
    root_signer = signer_for(root_key)
    root_builder = (
        _ca_builder(
            root_name,
            root_name,
            root_key.public_key(),
            now,
            now + dt.timedelta(days=365 * ROOT_YEARS),
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_usage(), critical=True)
    )
    root = root_signer.certificate(root_builder, root_key.public_key())
    issuing = issuing_certificate(root, root_key, issuing_name, issuing_key.public_key(), now)
    responder = make_responder(issuing, issuing_key, responder_name, ocsp_key.public_key(), now)
    return {"root": root, "issuing": issuing, "ocsp": responder}


def issuing_certificate(
    root: x509.Certificate,
    root_key: IssuerKey,
    subject: x509.Name,
    public_key: SubjectKey,
    now: dt.datetime,
) -> x509.Certificate:
    """An issuing CA certificate (pathLen 0) signed by the root, for ``ISSUING_YEARS`` or
    until the root ends if that is sooner."""
    not_after = min(now + dt.timedelta(days=365 * ISSUING_YEARS), root.not_valid_after_utc)
    builder = (
        _ca_builder(subject, root.subject, public_key, now, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(_aki(root), critical=False)
    )
    return signer_for(root_key).certificate(builder, public_key)


def make_responder(
    issuing: x509.Certificate,
    issuing_key: IssuerKey,
    name: x509.Name,
    public_key: SubjectKey,
    now: dt.datetime,
) -> x509.Certificate:
    """A delegated OCSP responder: id-kp-OCSPSigning and ocsp-nocheck (RFC 6960 4.2.2.2.1)."""
    usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    builder = (
        _ca_builder(name, issuing.subject, public_key, now, now + dt.timedelta(RESPONDER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(_aki(issuing), critical=False)
    )
    return signer_for(issuing_key).certificate(builder, public_key)


def init_hierarchy(
    files: CAFiles,
    settings: CASettings,
    *,
    passphrase: str | None,
    key_factory: KeyFactory | None = None,
    now: dt.datetime,
    offline_root: Path | None = None,
    root_passphrase: str | None = None,
) -> dict[str, x509.Certificate]:
    """Create keys and certificates. Keys are written encrypted, or made by ``key_factory``.

    With ``offline_root`` the root key is written only there (removable media), under a
    passphrase of its own; the issuing and responder keys stay online in ``ca/``.
    """
    if files.exists():
        raise CAAlreadyInitialised(where=str(files.directory))
    for name in (settings.root_name, settings.issuing_name, settings.responder_name):
        try:
            x509.Name.from_rfc4514_string(name)
        except ValueError:
            raise CAError(detail=f"not a distinguished name: {name!r}") from None
    if key_factory is None:
        if not passphrase:
            raise CAError(detail="a passphrase is needed to encrypt the CA keys")
        check_ca_passphrase(passphrase)
        keys: dict[str, IssuerKey] = {role: generate_key(settings.algorithm) for role in ROLES}
    else:
        keys = {role: key_factory(role) for role in ROLES}
    if offline_root is not None:
        _check_offline_root(offline_root, root_passphrase, key_factory is not None)
        settings = replace(settings, root_key="offline")
    certs = make_hierarchy(settings, keys, now)
    if offline_root is not None:
        # The root key goes to the removable media first and only there.
        assert root_passphrase is not None
        offline = OfflineRoot(offline_root)
        write_encrypted_key(offline.key, keys["root"], root_passphrase)
        offline.cert.write_bytes(certs["root"].public_bytes(serialization.Encoding.PEM))
    make_private_dir(files.directory)
    for role in ROLES:
        files.cert(role).write_bytes(certs[role].public_bytes(serialization.Encoding.PEM))
        if key_factory is None and not (role == "root" and offline_root is not None):
            assert passphrase is not None
            write_encrypted_key(files.key(role), keys[role], passphrase)
    files.write_salt(settings.identifier_salt)
    # settings.toml last: its presence is what "initialised" means, so a crash leaves no half CA.
    files.settings.write_text(settings.to_toml() + "\n", encoding="utf-8")
    return certs


@dataclass(frozen=True)
class OfflineRoot:
    """The removable media that holds the root key (``ca init --offline-root DIR``)."""

    directory: Path
    key = InDirectory("root.key.pem")
    cert = InDirectory("root.pem")


def _check_offline_root(directory: Path, root_passphrase: str | None, in_hsm: bool) -> None:
    if in_hsm:
        raise OfflineRootUnusable(
            where=str(directory),
            reason_zh="CA私钥保存在密码机中时不能使用离线根",
            reason_en="an offline root cannot be combined with CA keys in an HSM",
        )
    if not directory.is_dir():
        raise OfflineRootUnusable(
            where=str(directory), reason_zh="目录不存在", reason_en="no such directory"
        )
    if OfflineRoot(directory).key.exists():
        raise OfflineRootUnusable(
            where=str(directory),
            reason_zh="其中已有根CA私钥",
            reason_en="it already holds a root key",
        )
    if not root_passphrase:
        raise CAError(detail="a passphrase is needed to encrypt the offline root key")
    check_ca_passphrase(root_passphrase)
