"""Full CRLs from the kept entries on PostgreSQL (string_agg over bytea), judged by openssl."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from counter_app.ca import (
    CAFiles,
    CASettings,
    IssueRequest,
    RevocationReason,
    SubjectInfo,
    init_hierarchy,
)
from counter_app.config import load_config
from counter_app.store.certificates import SQLCertificateRepository
from counter_app.store.db import open_store
from counter_app.store.signing_module import open_signing_module
from tests.integration.ca.conftest import PASSPHRASE, make_csr


def test_full_crl_from_kept_entries_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    config = load_config(data_dir=tmp_path / "lib", environ={})
    config.data_dir.mkdir(parents=True)
    store = open_store(pg_url)
    try:
        files = CAFiles.in_data_dir(config.data_dir)
        settings = CASettings(
            "CN=PG Root,C=CN", "CN=PG Issuing,C=CN", "CN=PG OCSP,C=CN",
            "p256", "pkcs8", "http://127.0.0.1:9", b"salt-for-tests!!",
        )  # fmt: skip
        init_hierarchy(files, settings, passphrase=PASSPHRASE, now=dt.datetime.now(dt.UTC))
        ca = open_signing_module(config, store, lambda: PASSPHRASE)
        serials = [
            ca.issue(
                IssueRequest(
                    x509.load_pem_x509_csr(make_csr()[1]),
                    SubjectInfo(common_name="赵六"),
                    "individual",
                )
            ).serial_hex
            for _ in range(3)
        ]
        ca.revoke(serials[0], RevocationReason.KEY_COMPROMISE, operator="o")
        ca.hold(serials[1], operator="o")
        snapshot = SQLCertificateRepository(store).crl_snapshot(full=True)
        assert snapshot.entries == [] and snapshot.encoded
        crl = ca._build_crl(snapshot)
    finally:
        store.close()
    listed = {e.serial_number for e in x509.load_der_x509_crl(crl.der)}
    assert listed == {int(serials[0], 16), int(serials[1], 16)}
    (tmp_path / "crl.der").write_bytes(crl.der)
    (tmp_path / "issuing.pem").write_bytes(ca.keys.issuing.public_bytes(serialization.Encoding.PEM))
    result = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-in", str(tmp_path / "crl.der"),
         "-CAfile", str(tmp_path / "issuing.pem"), "-noout"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "verify OK" in result.stderr + result.stdout, result.stderr
