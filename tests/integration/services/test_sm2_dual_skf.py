"""SM2 dual certificates end to end: the counter's enrollment on the SKF test token (the real
ctypes driver over tests/skf's GM/T 0016 library on OpenSSL 3), the SM2 signing module and its
KMC; judged by OpenSSL 3 and by gmssl. Then key recovery onto a second token."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from counter_app.ca import CertificateAuthority
from counter_app.kmc import KeyManagementCentre
from counter_app.services.key_recovery import RecoveryRequest, recover_key
from counter_app.services.signing import LocalSigning
from counter_app.services.tokens import TokenChoice
from counter_app.token.skf import (
    SKFTokens,
    build_sm2_csr,
    certificate_point,
    cipher_blob,
    init_skf_token,
    skf_login,
)
from tests.conftest import SKFStore
from tests.skf.kmc import sm2_encrypt
from tests.sm2_judge import DISTID, gmssl_verifies, openssl_verify
from tests.unit.services.conftest import (  # noqa: F401 (fixtures)
    ID_A,
    KMC_PASSPHRASE,
    Counter,
    ca_keys,
    ca_with_kmc,
    counter,
    example,
    sm2_ca_keys,
    template,
)

SO, PIN = "admin-8642", "user-1357"


@dataclass
class SM2Counter:
    counter: Counter
    ca: CertificateAuthority
    kmc: KeyManagementCentre
    skf: SKFStore
    tmp: Path


@pytest.fixture
def sm2_counter(counter: Counter, skf: SKFStore, tmp_path: Path) -> SM2Counter:  # noqa: F811
    keys = sm2_ca_keys()
    ca, kmc = ca_with_kmc(counter, keys)
    counter.ctx.signing_factory = lambda: LocalSigning(ca, kmc)
    counter.ctx.token_access = SKFTokens(skf.module)
    for serial, label in (("SKF-T1", "SUB1"), ("SKF-T2", "SUB2")):
        skf.insert(serial, serial=serial)
        init_skf_token(skf.module, new_label=label, so_pin=SO, user_pin=PIN, serial=serial)
    (tmp_path / "issuing.pem").write_bytes(keys.issuing.public_bytes(serialization.Encoding.PEM))
    return SM2Counter(counter, ca, kmc, skf, tmp_path)


def _enroll(c: SM2Counter) -> tuple[str, str]:
    data = example("individual")
    data["key_algorithm"] = "sm2"
    request = c.counter.enroll_request(data, "SUB1", pin=PIN)
    request = type(request)(request.application, TokenChoice(label="SUB1"), PIN)
    from counter_app.services.enroll import enroll

    result = enroll(c.counter.ctx, request, c.counter.acting())
    assert result.encryption_serial is not None
    return result.serial, result.encryption_serial


def _cert(c: SM2Counter, serial: str) -> x509.Certificate:
    record = c.ca.status(serial)
    assert record.der is not None
    return x509.load_der_x509_certificate(record.der)


def test_sm2_enrollment_on_the_skf_token_writes_both_certificates(sm2_counter: SM2Counter) -> None:
    sign, enc = _enroll(sm2_counter)
    with skf_login(sm2_counter.skf.module, PIN, label="SUB1") as ts:
        stored = {(c.usage, c.certificate.serial_number) for c in ts.read_certificates()}
    assert stored == {("sign", int(sign, 16)), ("encrypt", int(enc, 16))}
    for serial in (sign, enc):
        path = sm2_counter.tmp / f"{serial}.pem"
        path.write_bytes(_cert(sm2_counter, serial).public_bytes(serialization.Encoding.PEM))
        issuing = str(sm2_counter.tmp / "issuing.pem")
        result = openssl_verify("-vfyopt", DISTID, "-partial_chain", "-CAfile", issuing, str(path))
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_signature_made_on_the_token_verifies_with_the_signing_certificate(
    sm2_counter: SM2Counter,
) -> None:
    sign, _ = _enroll(sm2_counter)
    point = certificate_point(_cert(sm2_counter, sign))
    assert point is not None
    with skf_login(sm2_counter.skf.module, PIN, label="SUB1") as ts:
        (key,) = ts.list_keys()
        signature = key.sign(b"a document signed at the counter")
    assert gmssl_verifies(point, b"a document signed at the counter", signature)


def _encrypted_to(c: SM2Counter, serial: str, data: bytes) -> bytes:
    """``data`` encrypted by gmssl to the public key of certificate ``serial``: the token's blob."""
    point = certificate_point(_cert(c, serial))
    assert point is not None
    return cipher_blob(*sm2_encrypt(point, data))


def test_data_encrypted_to_the_encryption_certificate_decrypts_on_the_token(
    sm2_counter: SM2Counter,
) -> None:
    _, enc = _enroll(sm2_counter)
    blob = _encrypted_to(sm2_counter, enc, b"an archive for the subscriber")
    with skf_login(sm2_counter.skf.module, PIN, label="SUB1") as ts:
        (key,) = ts.list_keys()
        assert ts.decrypt(key.key_id, blob) == b"an archive for the subscriber"


def test_kmc_recover_restores_the_encryption_key_onto_a_new_token(
    sm2_counter: SM2Counter,
) -> None:
    _, enc = _enroll(sm2_counter)
    blob = _encrypted_to(sm2_counter, enc, b"encrypted before the token was lost")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "张三")])
    with skf_login(sm2_counter.skf.module, PIN, label="SUB2") as ts:
        key = ts.generate_sm2_signing_key("RECOVERY")
        csr = x509.load_der_x509_csr(build_sm2_csr(key, name))
        recovered = recover_key(
            sm2_counter.counter.store, sm2_counter.kmc, RecoveryRequest(enc, csr, ID_A),
            sm2_counter.counter.acting(maker="sup1", second="rev1"),
            lambda: sm2_counter.kmc.open_key(KMC_PASSPHRASE),
        )  # fmt: skip
        ts.import_encryption_key(key.key_id, recovered.envelope)
        assert ts.decrypt(key.key_id, blob) == b"encrypted before the token was lost"


def test_revoking_the_signing_certificate_revokes_the_pair(sm2_counter: SM2Counter) -> None:
    sign, enc = _enroll(sm2_counter)
    sm2_counter.counter.revoke(sign, identity=ID_A)
    assert sm2_counter.ca.status(enc).status.value == "revoked"
