"""CRLs brought up to date from the newest one (ca/crl.py), judged against a full read."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from counter_app.ca import RevocationReason, SubjectInfo
from counter_app.store.certificates import SQLCertificateRepository
from tests.integration.ca.conftest import LibraryCA, make_csr

SUBJECT = SubjectInfo(common_name="王五")


def entries(der: bytes) -> dict[int, tuple[object, object]]:
    found: dict[int, tuple[object, object]] = {}
    for entry in x509.load_der_x509_crl(der):
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = None
        found[entry.serial_number] = (entry.revocation_date_utc, reason)
    return found


def lifecycle(library_ca: LibraryCA) -> list[str]:
    """Five certificates: revoked, held, held then released, held then revoked, untouched."""
    ca = library_ca.ca
    serials = [
        ca.issue(x509.load_pem_x509_csr(make_csr()[1]), SUBJECT, "individual").serial_hex
        for _ in range(5)
    ]
    ca.revoke(serials[0], RevocationReason.KEY_COMPROMISE, operator="o")
    ca.hold(serials[1], operator="o")
    ca.hold(serials[2], operator="o")
    ca.release(serials[2], operator="o")
    ca.hold(serials[3], operator="o")
    ca.revoke(serials[3], RevocationReason.SUPERSEDED, operator="o")
    return serials


def test_crl_made_from_the_previous_one_lists_what_a_full_read_lists(
    library_ca: LibraryCA,
) -> None:
    serials = lifecycle(library_ca)
    incremental = library_ca.ca.publish_crl(operator="o")
    full = library_ca.ca._build_crl(
        SQLCertificateRepository(library_ca.store).crl_snapshot(full=True)
    )
    assert entries(incremental.der) == entries(full.der)
    assert {s for s in entries(incremental.der)} == {int(serials[i], 16) for i in (0, 1, 3)}


def test_crl_after_a_few_status_changes_starts_from_the_previous_crl(
    library_ca: LibraryCA,
) -> None:
    repo = SQLCertificateRepository(library_ca.store)
    lifecycle(library_ca)
    snapshot = repo.crl_snapshot()
    assert snapshot.base is not None  # brought up to date, not read whole


def test_incremental_crl_is_accepted_by_openssl(library_ca: LibraryCA, tmp_path: Path) -> None:
    lifecycle(library_ca)
    crl = tmp_path / "crl.der"
    crl.write_bytes(library_ca.ca.publish_crl(operator="o").der)
    issuing = tmp_path / "issuing.pem"
    issuing.write_bytes(library_ca.ca.keys.issuing.public_bytes(serialization.Encoding.PEM))
    result = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-in", str(crl), "-CAfile", str(issuing), "-noout"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "verify OK" in result.stderr + result.stdout, result.stderr
