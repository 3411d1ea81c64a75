"""The independent SM2 judge of the tests: gmssl (pure Python), not the tongsuopy that signs.

Also OpenSSL 3 as a second maker of SM2 keys and CSRs, so nothing here trusts our own SM2 code.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from asn1crypto import ocsp as asn1_ocsp
from asn1crypto.algos import DSASignature
from cryptography import x509
from gmssl import sm2

from counter_app.ca.der import read_tlv, sequence_items

DISTID = "distid:1234567812345678"
SM2_SM3 = "1.2.156.10197.1.501"


def gmssl_key(point: bytes, mode: int = 0) -> sm2.CryptSM2:
    """gmssl's SM2 object for the public point 04 | X | Y (``mode=1``: C1C3C2 ciphertexts)."""
    assert len(point) == 65 and point[0] == 4
    judge = sm2.CryptSM2(private_key="", public_key="", mode=mode)
    # Set after construction: gmssl 3.2.2's constructor does ``public_key.lstrip("04")`` when the
    # hex starts with "04", which eats an x coordinate's leading 0 and 4 digits too (one key in
    # 256 without the prefix, one in 8 with it), and verification then fails or raises.
    judge.public_key = point[1:].hex()
    return judge


def _rs_hex(signature_der: bytes) -> str:
    parsed = DSASignature.load(signature_der)
    return f"{parsed['r'].native:064x}{parsed['s'].native:064x}"


def gmssl_verifies(point: bytes, data: bytes, signature_der: bytes) -> bool:
    """gmssl's SM2-with-SM3 verification with the GM/T 0009 default ID."""
    return bool(gmssl_key(point).verify_with_sm3(_rs_hex(signature_der), data))


def gmssl_verifies_signed(point: bytes, signed_der: bytes) -> bool:
    """A certificate's, CSR's or CRL's signature (SEQUENCE { tbs, algorithm, BIT STRING })."""
    tbs, algorithm, signature = sequence_items(signed_der)[:3]
    assert SM2_SM3_OID_DER in algorithm
    _, start, end = read_tlv(signature, 0)
    return gmssl_verifies(point, tbs, signature[start + 1 : end])


SM2_SM3_OID_DER = bytes.fromhex("06082a811ccf55018375")


def gmssl_verifies_ocsp(point: bytes, response_der: bytes) -> bool:
    response = asn1_ocsp.OCSPResponse.load(response_der)
    basic = response["response_bytes"]["response"].parsed
    assert basic["signature_algorithm"]["algorithm"].dotted == SM2_SM3
    tbs = basic["tbs_response_data"].dump()
    return gmssl_verifies(point, tbs, basic["signature"].native)


def cert_point(cert: x509.Certificate) -> bytes:
    from counter_app.ca.signing import certificate_spki

    spki = certificate_spki(cert)
    return spki[-65:]


def openssl_sm2_csr(directory: Path, name: str = "leaf", distid: bool = True) -> Path:
    """An SM2 key and a CSR signed by OpenSSL 3 (with the default ID unless told otherwise)."""
    key, csr = directory / f"{name}.key", directory / f"{name}.csr"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "SM2", "-out", str(key)], check=True, timeout=30
    )
    args = ["openssl", "req", "-new", "-key", str(key), "-sm3", "-subj", "/CN=from-the-csr"]
    if distid:
        args += ["-sigopt", DISTID]
    subprocess.run([*args, "-out", str(csr)], check=True, timeout=30, capture_output=True)
    return csr


def openssl_verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", "verify", *args], capture_output=True, text=True, timeout=60, check=False
    )
