"""The counter-client CA (柜台客户端CA): who may talk to the shared signing service.

A small CA of its own, apart from the subscriber CA, so that only certificates made for counters
(and for the service's own TLS endpoint) are trusted there; a subscriber's certificate from the
issuing CA is never a key to the signing service. Its key is PKCS#8 encrypted at rest with the
CA passphrase; each counter's key is encrypted with a passphrase of its own.

Every certificate it issues is kept in ``est/issued/`` so a counter can be revoked by name
(``est revoke-counter``): the revocation is a CRL signed by this CA (``est/client-ca.crl``),
which ``est serve`` re-reads whenever it changes and checks on every request
(:class:`RevokedCounters`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from counter_app.ca.keys import check_ca_passphrase, encrypt_pkcs8
from counter_app.datadir import DataDirPart, InDirectory
from counter_app.domain.errors import AlreadyExists, ConfigError, CounterError, NotFound
from counter_app.filemodes import make_private_dir

log = logging.getLogger(__name__)
CA_VALIDITY = dt.timedelta(days=3650)
LEAF_VALIDITY = dt.timedelta(days=730)


class WrongClientCAPassphrase(CounterError):
    code = "wrong_client_ca_passphrase"
    zh = "柜台客户端CA私钥口令错误"
    en = "wrong passphrase for the counter-client CA key"


@dataclass(frozen=True)
class IssuedPair:
    cert: Path
    key: Path
    trust: Path  # the counter-client CA certificate: trust anchor for the other side


class CounterCA(DataDirPart):
    part = "est"
    cert_path = InDirectory("client-ca.pem")
    key_path = InDirectory("client-ca.key")
    crl_path = InDirectory("client-ca.crl")
    issued_dir = InDirectory("issued")

    def init(self, passphrase: str, name: str = "CN=Counter Client CA,O=Counter RA,C=CN") -> None:
        check_ca_passphrase(passphrase)
        if self.cert_path.exists():
            raise AlreadyExists(
                what_zh="柜台客户端CA", what_en="counter-client CA", key=str(self.cert_path)
            )
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name.from_rfc4514_string(name)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        cert = (
            _base(subject, subject, key.public_key(), now, CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        make_private_dir(self.directory)
        _write(self.key_path, _encrypted(key, passphrase), private=True)
        _write(self.cert_path, cert.public_bytes(serialization.Encoding.PEM))

    def _load(self, passphrase: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        if not self.cert_path.exists():
            raise ConfigError(
                detail=f"no counter-client CA in {self.directory}: run counter-app est init"
            )
        cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        try:
            key = serialization.load_pem_private_key(
                self.key_path.read_bytes(), passphrase.encode()
            )
        except (ValueError, TypeError):
            raise WrongClientCAPassphrase() from None
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return cert, key

    def issue(
        self,
        name: str,
        out_dir: Path,
        *,
        ca_passphrase: str,
        key_passphrase: str,
        server_hosts: tuple[str, ...] = (),
    ) -> IssuedPair:
        """A client-auth certificate for counter ``name`` (or, with hosts, a server one)."""
        ca_cert, ca_key = self._load(ca_passphrase)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _counter_subject(name)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        purpose = (
            ExtendedKeyUsageOID.SERVER_AUTH if server_hosts else ExtendedKeyUsageOID.CLIENT_AUTH
        )
        builder = (
            _base(subject, ca_cert.subject, key.public_key(), now, LEAF_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
        )
        if server_hosts:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_general_name(h) for h in server_hosts]),
                critical=False,
            )
        cert = builder.sign(ca_key, hashes.SHA256())
        # Kept so that ``revoke`` can find a counter's certificates by name.
        self.issued_dir.mkdir(parents=True, exist_ok=True)
        pem = cert.public_bytes(serialization.Encoding.PEM)
        _write(self.issued_dir / f"{cert.serial_number:040X}.pem", pem)
        out_dir.mkdir(parents=True, exist_ok=True)
        pair = IssuedPair(out_dir / f"{name}.crt", out_dir / f"{name}.key", out_dir / "ca.pem")
        _write(pair.key, _encrypted(key, key_passphrase), private=True)
        _write(pair.cert, cert.public_bytes(serialization.Encoding.PEM))
        _write(pair.trust, ca_cert.public_bytes(serialization.Encoding.PEM))
        return pair

    def load_signer(self, passphrase: str) -> CounterSigner:
        """The CA's certificate and key, opened once (``est serve`` renews counters with it)."""
        cert, key = self._load(passphrase)
        return CounterSigner(self, cert, key)

    def _record(self, cert: x509.Certificate) -> None:
        self.issued_dir.mkdir(parents=True, exist_ok=True)
        pem = cert.public_bytes(serialization.Encoding.PEM)
        _write(self.issued_dir / f"{cert.serial_number:040X}.pem", pem)

    def latest_server_certificate(self, name: str) -> x509.Certificate | None:
        """The newest server certificate issued under ``name`` (for its host names)."""
        found = []
        for path in sorted(self.issued_dir.glob("*.pem")) if self.issued_dir.exists() else []:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            if names and names[0].value == name and not _is_client(cert):
                found.append(cert)
        return max(found, key=lambda c: c.not_valid_before_utc, default=None)

    def certificates_of(self, name: str) -> list[x509.Certificate]:
        """Client certificates this CA issued to counter ``name`` (server ones excluded)."""
        found = []
        for path in sorted(self.issued_dir.glob("*.pem")) if self.issued_dir.exists() else []:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            if names and names[0].value == name and _is_client(cert):
                found.append(cert)
        return found

    def revoke(self, name: str, *, ca_passphrase: str) -> list[int]:
        """Revoke every client certificate of counter ``name``; return the serials revoked now.

        A new CRL replaces the old one with every earlier entry kept and a higher CRL number.
        """
        ca_cert, ca_key = self._load(ca_passphrase)
        certs = self.certificates_of(name)
        if not certs:
            raise NotFound(what_zh="柜台客户端证书", what_en="counter client certificate", key=name)
        previous = self._current_crl(ca_cert)
        entries = {e.serial_number: e for e in previous} if previous is not None else {}
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        fresh = [c.serial_number for c in certs if c.serial_number not in entries]
        for serial in fresh:
            entries[serial] = (
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now)
                .add_extension(x509.CRLReason(x509.ReasonFlags.cessation_of_operation), False)
                .build()
            )
        number = _crl_number(previous) + 1 if previous is not None else 1
        crl = x509.CertificateRevocationListBuilder(
            issuer_name=ca_cert.subject,
            last_update=now,
            next_update=now + CA_VALIDITY,
            revoked_certificates=list(entries.values()),
            extensions=[x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(number))],
        ).sign(ca_key, hashes.SHA256())
        _write(self.crl_path, crl.public_bytes(serialization.Encoding.PEM))
        return fresh

    def _current_crl(self, ca_cert: x509.Certificate) -> x509.CertificateRevocationList | None:
        if not self.crl_path.exists():
            return None
        crl = x509.load_pem_x509_crl(self.crl_path.read_bytes())
        if not crl.is_signature_valid(ca_cert.public_key()):  # type: ignore[arg-type]
            raise ConfigError(detail=f"{self.crl_path} is not signed by the counter-client CA")
        return crl


@dataclass(frozen=True)
class CounterSigner:
    """The counter-client CA with its key open: re-certifies a counter over EST (issue 21)."""

    ca: CounterCA
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def renew_client(self, name: str, csr: x509.CertificateSigningRequest) -> x509.Certificate:
        """A new client certificate for counter ``name`` (taken from its current, verified
        certificate, never from the CSR) on the CSR's key."""
        if not csr.is_signature_valid:
            raise ConfigError(detail="the CSR's signature does not verify")
        public_key = csr.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.key_size < 256:
            raise ConfigError(detail="a counter key must be EC P-256 or larger")
        subject = _counter_subject(name)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        cert = (
            _base(subject, self.cert.subject, public_key, now, LEAF_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.ca._record(cert)
        return cert


def _is_client(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.CLIENT_AUTH in usage


def _crl_number(crl: x509.CertificateRevocationList) -> int:
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return 0


@dataclass
class RevokedCounters:
    """The serials on the counter-client CA's CRL, re-read whenever the file changes.

    Asked on every request, so a counter revoked while the service runs is refused at its next
    request, even on a connection it opened before. A CRL that is there but does not verify
    against the CA is treated as "every counter revoked": failing open would let a forged or
    truncated file undo revocations.
    """

    crl_path: Path
    ca_cert_path: Path
    _stamp: tuple[int, int] | None = None
    _serials: frozenset[int] | None = field(default=frozenset())

    def is_revoked(self, serial: int) -> bool:
        serials = self._current()
        return serials is None or serial in serials

    def _current(self) -> frozenset[int] | None:
        try:
            st = self.crl_path.stat()
        except FileNotFoundError:
            self._stamp, self._serials = None, frozenset()
            return self._serials
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._serials = self._load()
            self._stamp = stamp
        return self._serials

    def _load(self) -> frozenset[int] | None:
        try:
            ca = x509.load_pem_x509_certificate(self.ca_cert_path.read_bytes())
            crl = x509.load_pem_x509_crl(self.crl_path.read_bytes())
            if crl.issuer != ca.subject or not crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]
                raise ValueError("signature")
        except (OSError, ValueError, TypeError):
            log.error("the counter revocation list %s does not verify: refusing", self.crl_path)
            return None
        return frozenset(entry.serial_number for entry in crl)


def _counter_subject(name: str) -> x509.Name:
    """The subject of counter ``name``'s certificate."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Counter RA"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )


def _base(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: dt.datetime,
    validity: dt.timedelta,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(int.from_bytes(os.urandom(16), "big") >> 1)
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + validity)
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _encrypted(key: ec.EllipticCurvePrivateKey, passphrase: str) -> bytes:
    return encrypt_pkcs8(key, passphrase)


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    # Written beside, then renamed: a crash never leaves half a key or certificate.
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
