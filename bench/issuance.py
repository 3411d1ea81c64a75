"""Issuance rate through ca/ (with the SQLite record and audit), beside raw figures of this run.

Run: .venv/bin/python bench/issuance.py [N]
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from counter_app.ca import CAFiles, CASettings, SubjectInfo, init_hierarchy
from counter_app.config import load_config
from counter_app.store.certificates import open_signing_module
from counter_app.store.db import open_store


def openssl_speed() -> float:
    out = subprocess.run(
        ["openssl", "speed", "-seconds", "3", "ecdsap256"], capture_output=True, text=True
    ).stdout
    match = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)", out)
    return float(match.group(1)) if match else float("nan")


def main(n: int) -> None:
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
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([]))
            .sign(key, hashes.SHA256())
        )
        subject = SubjectInfo(common_name="Bench", organization="Bench Org")
        start = time.perf_counter()
        for _ in range(n):
            ca.issue(csr, subject, "individual")
        ours = n / (time.perf_counter() - start)
        issuing_key = ca.keys.issuing_key
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(ca.keys.issuing.subject)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=365))
        )
        start = time.perf_counter()
        for _ in range(n):
            builder.sign(issuing_key, hashes.SHA256())
        raw = n / (time.perf_counter() - start)
        store.close()
    speed = openssl_speed()
    print(f"ca.issue (P-256, SQLite record + audit): {ours:,.0f} certificates/s")
    print(f"cryptography raw CertificateBuilder.sign: {raw:,.0f} certificates/s ({ours / raw:.1%})")
    print(f"openssl speed ecdsap256 (1 core):         {speed:,.0f} signs/s ({ours / speed:.1%})")
    print("target: >= 2,000 certificates/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
