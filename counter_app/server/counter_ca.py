"""The counter-client CA (柜台客户端CA): who may talk to the shared signing service.

A small CA of its own, apart from the subscriber CA, so that only certificates made for counters
(and for the service's own TLS endpoint) are trusted there; a subscriber's certificate from the
issuing CA is never a key to the signing service. Its key is PKCS#8 encrypted at rest with the
CA passphrase; each counter's key is encrypted with a passphrase of its own.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from counter_app.domain.errors import AlreadyExists, ConfigError, CounterError

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


@dataclass(frozen=True)
class CounterCA:
    directory: Path

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> CounterCA:
        return cls(data_dir / "est")

    @property
    def cert_path(self) -> Path:
        return self.directory / "client-ca.pem"

    @property
    def key_path(self) -> Path:
        return self.directory / "client-ca.key"

    def init(self, passphrase: str, name: str = "CN=Counter Client CA,O=Counter RA,C=CN") -> None:
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
        self.directory.mkdir(parents=True, exist_ok=True)
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
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Counter RA"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
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
        out_dir.mkdir(parents=True, exist_ok=True)
        pair = IssuedPair(out_dir / f"{name}.crt", out_dir / f"{name}.key", out_dir / "ca.pem")
        _write(pair.key, _encrypted(key, key_passphrase), private=True)
        _write(pair.cert, cert.public_bytes(serialization.Encoding.PEM))
        _write(pair.trust, ca_cert.public_bytes(serialization.Encoding.PEM))
        return pair


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
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    # Written beside, then renamed: a crash never leaves half a key or certificate.
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
