"""Issuance rate through ca/ (with the SQLite record and audit), beside raw figures of this run.

Each figure is the best of several interleaved rounds (this machine is shared; the best round is
the one least disturbed by other work), printed with the ratio to cryptography's raw builder
and to `openssl speed ecdsap256`, both measured in the same run. The "no database" line is the
same ca.issue with a repository that keeps nothing: the split between crypto/Python and storage.

Run: .venv/bin/python bench/issuance.py [N per round] [rounds]
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from counter_app.ca import CAFiles, CASettings, CertificateAuthority, SubjectInfo, init_hierarchy
from counter_app.ca.model import PendingCertificate
from counter_app.config import load_config
from counter_app.store.certificates import open_signing_module
from counter_app.store.db import open_store

TARGET = 2_000


def openssl_speed() -> float:
    out = subprocess.run(
        ["openssl", "speed", "-seconds", "3", "ecdsap256"], capture_output=True, text=True
    ).stdout
    match = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)", out)
    return float(match.group(1)) if match else float("nan")


class NullRepository:
    """Keeps nothing: ca.issue's crypto and Python work alone."""

    def reserve(self, pending: PendingCertificate) -> None:
        pass

    def complete(self, pending: PendingCertificate, der: bytes) -> None:
        pass

    def get(self, serial_hex: str) -> None:
        return None


def rate(n: int, work: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(n):
        work()
    return n / (time.perf_counter() - start)


def main(n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(data_dir=Path(tmp), environ={})
        store = open_store(config.db_url, create=True)
        files = CAFiles.in_data_dir(config.data_dir)
        settings = CASettings(
            "CN=Bench Root,C=CN", "CN=Bench Issuing,C=CN", "CN=Bench OCSP,C=CN",
            "p256", "pkcs8", "http://127.0.0.1:8080", b"bench-salt",
        )  # fmt: skip
        init_hierarchy(files, settings, passphrase="bench", now=dt.datetime.now(dt.UTC))
        ca = open_signing_module(config, store, lambda: "bench")
        bare = CertificateAuthority(
            keys=ca.keys,
            repository=NullRepository(),  # type: ignore[arg-type]
            profiles=ca.profiles,
            urls=ca._urls,
            identifier_salt=b"bench-salt",
        )
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([]))
            .sign(key, hashes.SHA256())
        )
        subject = SubjectInfo(common_name="Bench", organization="Bench Org")
        now = dt.datetime.now(dt.UTC)
        raw_builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(ca.keys.issuing.subject)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=365))
        )
        issuing_key = ca.keys.issuing_key
        runs: dict[str, list[float]] = {"ours": [], "bare": [], "raw": []}
        for _ in range(rounds):
            runs["ours"].append(rate(n, lambda: ca.issue(csr, subject, "individual")))
            runs["bare"].append(rate(n, lambda: bare.issue(csr, subject, "individual")))
            runs["raw"].append(rate(n, lambda: raw_builder.sign(issuing_key, hashes.SHA256())))
        with store.engine.connect() as conn:
            stored = conn.exec_driver_sql(
                "SELECT count(*) FROM ca_certificates WHERE status = 'good'"
            ).scalar()
        store.close()
    speed = openssl_speed()
    ours, bare, raw = (max(runs[k]) for k in ("ours", "bare", "raw"))
    print(f"rounds: {rounds} x {n} certificates; best round shown; {stored:,} records stored")
    print(f"ca.issue (P-256, SQLite record + audit): {ours:9,.0f} certificates/s")
    print(f"ca.issue, no database (crypto + Python): {bare:9,.0f} certificates/s")
    print(f"cryptography raw CertificateBuilder.sign:{raw:9,.0f} certificates/s")
    print(f"openssl speed ecdsap256 (1 core):        {speed:9,.0f} signs/s")
    print(f"ratios: ours/raw builder {ours / raw:.1%}, ours/openssl {ours / speed:.1%}")
    print(f"target: >= {TARGET:,} certificates/s: {'met' if ours >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 2000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 5,
    )
