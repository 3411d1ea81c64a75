"""CRLs brought up to date from the newest one (ca/crl.py), judged against a full read."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from counter_app.ca import IssueRequest, RevocationReason, SubjectInfo
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
        ca.issue(
            IssueRequest(x509.load_pem_x509_csr(make_csr()[1]), SUBJECT, "individual")
        ).serial_hex
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


def test_full_crl_is_made_from_the_entries_kept_encoded(library_ca: LibraryCA) -> None:
    serials = lifecycle(library_ca)
    snapshot = SQLCertificateRepository(library_ca.store).crl_snapshot(full=True)
    assert snapshot.entries == [] and snapshot.encoded  # no row went through Python
    full = library_ca.ca._build_crl(snapshot)
    listed = entries(full.der)
    assert set(listed) == {int(serials[i], 16) for i in (0, 1, 3)}
    assert listed[int(serials[0], 16)][1] == x509.ReasonFlags.key_compromise
    assert listed[int(serials[1], 16)][1] == x509.ReasonFlags.certificate_hold


def test_released_certificate_loses_its_kept_entry(library_ca: LibraryCA) -> None:
    serials = lifecycle(library_ca)
    with library_ca.store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT serial_hex, crl_entry FROM ca_certificates")
        kept = {serial: entry for serial, entry in rows}
    assert kept[serials[2]] is None and kept[serials[4]] is None
    assert kept[serials[0]] is not None and kept[serials[3]] is not None


def test_revoked_row_without_a_kept_entry_is_still_listed(library_ca: LibraryCA) -> None:
    # A row written by hand (no kept entry): the full CRL must not miss the revocation.
    serials = lifecycle(library_ca)
    with library_ca.store.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE ca_certificates SET crl_entry = NULL WHERE serial_hex = ?", (serials[0],)
        )
    full = library_ca.ca._build_crl(
        SQLCertificateRepository(library_ca.store).crl_snapshot(full=True)
    )
    assert set(entries(full.der)) == {int(serials[i], 16) for i in (0, 1, 3)}
