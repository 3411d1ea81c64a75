"""SM2 issuance per second through ca/, beside `openssl speed sm2` and the P-256 figure.

All measured in the same run, each the best of a few rounds (the machine is shared):

* raw signatures/s: `openssl speed sm2` and `openssl speed ecdsap256` (OpenSSL 3, one core),
  and tongsuopy's SM2 sign (what the SM2 CA signs with);
* ca.issue/s without a database (a repository that keeps nothing): P-256 CA and P-256 CSR,
  SM2 CA and SM2 CSR (the CSR's SM2 signature verified each time, as in production);
* ca.issue/s on SQLite (record before signing, audit event), P-256 and SM2;
* SM2 dual pairs/s on SQLite: signing certificate + KMC key pair, escrow, encryption
  certificate, links, GM/T 0016 envelope.

Run: .venv/bin/python bench/sm2.py [N per round] [rounds]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchlib import bench_ca, without_store
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from counter_app.ca import CertificateAuthority, IssueRequest, SubjectInfo
from counter_app.ca.sm2 import SM2PrivateKey
from counter_app.kmc import KeyManagementCentre, KMCFiles, init_kmc, issue_pair
from counter_app.services.sm2_pair import build_sm2_csr

PASSPHRASE = "bench-passphrase-1"
SUBJECT = SubjectInfo("张三", organization="某某单位")
NAME = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "bench")])


def openssl_speed(algorithm: str, pattern: str) -> float:
    out = subprocess.run(
        ["openssl", "speed", "-seconds", "3", algorithm], capture_output=True, text=True
    ).stdout
    match = re.search(pattern, out)
    return float(match.group(1)) if match else float("nan")


def best_rate(n: int, rounds: int, work: Callable[[], object]) -> float:
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            work()
        best = max(best, n / (time.perf_counter() - start))
    return best


def make_ca(root: Path, algorithm: str) -> tuple[CertificateAuthority, Path]:
    ca, _ = bench_ca(root / algorithm, PASSPHRASE, algorithm=algorithm)
    return ca, root / algorithm


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    os.environ.setdefault("COUNTER_APP_TEST_KDF_ITERATIONS", "2000")  # throw-away CA keys
    raw_sm2 = openssl_speed("sm2", r"256 bits SM2 \(CurveSM2\)\s+\S+s\s+\S+s\s+([\d.]+)")
    raw_p256 = openssl_speed("ecdsap256", r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)")
    token_key = SM2PrivateKey.generate()
    tongsuo = best_rate(n * 3, rounds, lambda: token_key.sign(b"x" * 300))
    sm2_csr = build_sm2_csr(token_key.public_key(), token_key.sign, NAME)
    p256_key = ec.generate_private_key(ec.SECP256R1())
    p256_csr = (
        x509.CertificateSigningRequestBuilder().subject_name(NAME).sign(p256_key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as tmp:
        p256_ca, _ = make_ca(Path(tmp), "p256")
        sm2_ca, sm2_dir = make_ca(Path(tmp), "sm2")
        init_kmc(KMCFiles.in_data_dir(sm2_dir), PASSPHRASE)
        kmc = KeyManagementCentre(KMCFiles.in_data_dir(sm2_dir))
        p256_mem, sm2_mem = without_store(p256_ca), without_store(sm2_ca)
        rates = {
            "P-256 ca.issue, no database": best_rate(
                n, rounds, lambda: p256_mem.issue(IssueRequest(p256_csr, SUBJECT, "individual"))
            ),
            "SM2 ca.issue, no database": best_rate(
                n, rounds, lambda: sm2_mem.issue(IssueRequest(sm2_csr, SUBJECT, "individual"))
            ),
            "P-256 ca.issue, SQLite": best_rate(
                n, rounds, lambda: p256_ca.issue(IssueRequest(p256_csr, SUBJECT, "individual"))
            ),
            "SM2 ca.issue, SQLite": best_rate(
                n, rounds, lambda: sm2_ca.issue(IssueRequest(sm2_csr, SUBJECT, "individual"))
            ),
            "SM2 dual pair (2 certs + KMC), SQLite": best_rate(
                max(1, n // 3),
                rounds,
                lambda: issue_pair(
                    sm2_ca, kmc, IssueRequest(sm2_csr, SUBJECT, "individual", operator="bench")
                ),
            ),
        }
    print(f"openssl speed sm2 (sign/s, one core):        {raw_sm2:10.0f}")
    print(f"openssl speed ecdsap256 (sign/s, one core):  {raw_p256:10.0f}")
    print(f"tongsuopy SM2 sign/s (the SM2 CA's signer):  {tongsuo:10.0f}")
    for label, rate in rates.items():
        print(f"{label + ':':45s}{rate:10.0f} /s")
    sm2_issue = rates["SM2 ca.issue, no database"]
    print(
        f"SM2 issuance is {sm2_issue / raw_sm2:.2f}× openssl's SM2 sign rate and "
        f"{sm2_issue / rates['P-256 ca.issue, no database']:.2f}× the P-256 issuance rate"
    )


if __name__ == "__main__":
    main()
