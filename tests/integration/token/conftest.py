"""Helpers the token tests share: a throw-away certificate for a token key, and openssl's and
pkcs11-tool's verdicts on what the token made."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tests.conftest import Pkcs11Judge

NAME = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "张三")])


def self_signed(public_key: Any, signer: Any) -> x509.Certificate:
    """A one-day certificate of ``public_key`` under NAME, signed by ``signer``."""
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(NAME)
        .issuer_name(NAME)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(signer, hashes.SHA256())
    )


def assert_openssl_verifies_csr(csr: x509.CertificateSigningRequest, tmp_path: Path) -> None:
    path = tmp_path / "req.pem"
    path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    verify = subprocess.run(
        ["openssl", "req", "-in", str(path), "-noout", "-verify"], capture_output=True, text=True
    )
    assert verify.returncode == 0 and "verify OK" in (verify.stdout + verify.stderr)


def assert_private_key_never_leaves(token: Pkcs11Judge, pin: str, key_id: bytes) -> None:
    """pkcs11-tool lists the private key ``key_id`` as sensitive, local and never extractable."""
    private = token.objects(pin).split("Private Key Object")[1]
    assert key_id.hex() in private
    for flag in ("sensitive", "always sensitive", "never extractable", "local"):
        assert flag in private
