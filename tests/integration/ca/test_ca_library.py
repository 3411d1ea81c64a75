"""The CA library on a real SQLite store: lifecycle rules, records before signing, audit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import select

from counter_app.ca import (
    BadCSR,
    InvalidTransition,
    IssueRequest,
    RecordStatus,
    RevocationReason,
    SubjectInfo,
    WeakKey,
)
from counter_app.ca.keys import RecordingECKey
from counter_app.store import audit
from counter_app.store.ca_tables import Certificate
from counter_app.store.models import AuditEvent
from tests.integration.ca.conftest import LibraryCA, make_csr

SUBJECT = SubjectInfo(common_name="李四", serial_number="ID-1", organization="某单位")


def csr() -> x509.CertificateSigningRequest:
    return x509.load_pem_x509_csr(make_csr()[1])


def test_subject_comes_from_ra_data_not_from_csr(library_ca: LibraryCA) -> None:
    issued = library_ca.ca.issue(IssueRequest(csr(), SUBJECT, "individual"))
    assert (
        issued.certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
        == "李四"
    )
    assert "from-the-csr" not in issued.certificate.subject.rfc4514_string()


def test_serial_is_16_random_bytes_printed_as_openssl_does(library_ca: LibraryCA) -> None:
    issued = library_ca.ca.issue(IssueRequest(csr(), SUBJECT, "individual"))
    assert issued.serial_hex == f"{issued.certificate.serial_number:032X}"
    assert issued.certificate.serial_number.bit_length() == 127


def test_certificate_is_valid_one_year(library_ca: LibraryCA) -> None:
    issued = library_ca.ca.issue(IssueRequest(csr(), SUBJECT, "device"))
    assert (issued.not_after - issued.not_before).days == 365


def test_csr_with_bad_signature_is_refused(library_ca: LibraryCA) -> None:
    _, pem = make_csr()
    der = bytearray(x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01  # flip a bit inside the signature
    with pytest.raises(BadCSR):
        library_ca.ca.issue(IssueRequest(x509.load_der_x509_csr(bytes(der)), SUBJECT, "individual"))


def test_short_rsa_key_is_refused(library_ca: LibraryCA) -> None:
    key = rsa.generate_private_key(65537, 1024)
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(WeakKey):
        library_ca.ca.issue(IssueRequest(request, SUBJECT, "individual"))


def test_record_with_tbs_exists_when_signing_crashes(library_ca: LibraryCA) -> None:
    class PowerCut(Exception):
        pass

    def cut(_tbs: bytes) -> None:
        raise PowerCut()

    # The power goes after the record was committed and before the signature is made.
    real = library_ca.ca.keys.issuing_key
    assert isinstance(real, ec.EllipticCurvePrivateKey)
    library_ca.ca.keys = dataclasses.replace(
        library_ca.ca.keys, issuing_key=RecordingECKey(real, cut)
    )
    with pytest.raises(PowerCut):
        library_ca.ca.issue(IssueRequest(csr(), SUBJECT, "individual", application_id="APP-7"))
    with library_ca.store.session() as session:
        row = session.execute(select(Certificate)).scalar_one()
        assert row.status == "pending"
        assert row.application_id == "APP-7"
        assert row.tbs_der[:1] == b"\x30" and row.der is None


def test_revoked_certificate_cannot_be_released(library_ca: LibraryCA) -> None:
    issued = library_ca.ca.issue(IssueRequest(csr(), SUBJECT, "individual"))
    library_ca.ca.revoke(issued.serial_hex, RevocationReason.KEY_COMPROMISE, operator="clerk1")
    with pytest.raises(InvalidTransition):
        library_ca.ca.release(issued.serial_hex, operator="clerk1")


def test_hold_then_release_returns_to_good(library_ca: LibraryCA) -> None:
    issued = library_ca.ca.issue(IssueRequest(csr(), SUBJECT, "individual"))
    library_ca.ca.hold(issued.serial_hex, operator="clerk1")
    assert library_ca.ca.status(issued.serial_hex).status is RecordStatus.HOLD
    library_ca.ca.release(issued.serial_hex, operator="clerk1")
    assert library_ca.ca.status(issued.serial_hex).status is RecordStatus.GOOD


def test_each_status_change_publishes_a_higher_crl_number(library_ca: LibraryCA) -> None:
    issued = library_ca.ca.issue(IssueRequest(csr(), SUBJECT, "individual"))
    numbers = []
    for change in (
        lambda: library_ca.ca.hold(issued.serial_hex, operator="o"),
        lambda: library_ca.ca.release(issued.serial_hex, operator="o"),
        lambda: library_ca.ca.revoke(issued.serial_hex, RevocationReason.SUPERSEDED, operator="o"),
    ):
        change()
        crl = x509.load_der_x509_crl(library_ca.files.crl.read_bytes())
        numbers.append(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
        assert crl.next_update_utc - crl.last_update_utc <= dt.timedelta(days=7)
    assert numbers == sorted(set(numbers)) and len(numbers) == 3


def test_lifecycle_changes_are_audited_in_an_intact_chain(library_ca: LibraryCA) -> None:
    issued = library_ca.ca.issue(IssueRequest(csr(), SUBJECT, "individual", operator="clerk1"))
    library_ca.ca.hold(issued.serial_hex, operator="clerk2")
    library_ca.ca.revoke(
        issued.serial_hex, RevocationReason.CESSATION_OF_OPERATION, operator="clerk3"
    )
    with library_ca.store.session() as session:
        assert audit.verify(session).ok
        events = session.execute(
            select(AuditEvent.action, AuditEvent.operator).where(
                AuditEvent.object == f"certificate:{issued.serial_hex}"
            )
        ).all()
    assert [tuple(e) for e in events] == [
        ("certificate.issue", "clerk1"),
        ("certificate.hold", "clerk2"),
        ("certificate.revoke", "clerk3"),
    ]


def test_identifier_is_hashed_when_the_profile_says_so(library_ca: LibraryCA) -> None:
    subject = SubjectInfo(
        common_name="王五",
        identifiers={"1.2.156.10260.4.1.1": "110101199003071234", "1.2.156.10260.4.1.2": "SI-9"},
    )
    cert = library_ca.ca.issue(IssueRequest(csr(), subject, "individual")).certificate
    ext = {
        e.oid.dotted_string: e.value.value
        for e in cert.extensions
        if isinstance(e.value, x509.UnrecognizedExtension)
    }  # type: ignore[attr-defined]
    assert b"110101199003071234" not in ext["1.2.156.10260.4.1.1"]
    # The social-insurance number is the ID number (since 2011): hashed as well.
    assert b"SI-9" not in ext["1.2.156.10260.4.1.2"]


def test_processes_issuing_into_one_sqlite_file_keep_one_chain(library_ca: LibraryCA) -> None:
    # Two forked processes (as `serve --workers 2` runs) issue at once into the one SQLite file
    # through the issuance lock file: every certificate recorded once, one unbroken audit chain.
    request, per_process = csr(), 40
    context = multiprocessing.get_context("fork")

    def issue_many(out: Any) -> None:
        library_ca.store.engine.dispose(close=False)
        serials = [
            library_ca.ca.issue(IssueRequest(request, SUBJECT, "individual")).serial_hex
            for _ in range(per_process)
        ]
        out.put(serials)

    queue = context.Queue()
    workers = [context.Process(target=issue_many, args=(queue,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    serials = [s for _ in workers for s in queue.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    with library_ca.store.session() as session:
        good = session.execute(
            select(Certificate.serial_hex).where(Certificate.status == "good")
        ).scalars()
        assert sorted(good) == sorted(serials)
        assert len(set(serials)) == 2 * per_process
        result = audit.verify(session)
        assert result.ok, result
        issued = session.execute(
            select(AuditEvent.object).where(AuditEvent.action == "certificate.issue")
        ).scalars()
        assert sorted(issued) == sorted(f"certificate:{s}" for s in serials)
