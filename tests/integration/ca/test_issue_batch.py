"""Batch issuance (``ca.issue_batch``) and the signing service's batcher, on a real SQLite store:
each request checked on its own, every record committed before the first signature, one audit
event per certificate, certificates judged by ``openssl verify``."""

from __future__ import annotations

import asyncio
import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from counter_app.ca import (
    BadCSR,
    IssuedCertificate,
    IssueRequest,
    SubjectInfo,
    UnknownProfile,
)
from counter_app.ca.keys import RecordingECKey
from counter_app.domain.errors import CounterError
from counter_app.server.batch import IssueBatcher
from counter_app.store import audit
from counter_app.store.ca_tables import Certificate
from counter_app.store.models import AuditEvent
from tests.integration.ca.conftest import LibraryCA, make_csr, run


def request(cn: str, profile: str = "individual") -> IssueRequest:
    csr = x509.load_pem_x509_csr(make_csr()[1])
    return IssueRequest(csr, SubjectInfo(common_name=cn, organization="某单位"), profile)


def tampered() -> x509.CertificateSigningRequest:
    der = bytearray(x509.load_pem_x509_csr(make_csr()[1]).public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01  # a bit of the signature: no proof of possession
    return x509.load_der_x509_csr(bytes(der))


def statuses(library_ca: LibraryCA) -> dict[str, str]:
    with library_ca.store.session() as session:
        rows = session.execute(select(Certificate.serial_hex, Certificate.status)).all()
    return {serial: status for serial, status in rows}


def test_bad_requests_get_their_own_error_and_the_rest_are_issued(
    library_ca: LibraryCA, tmp_path: Path
) -> None:
    good = [request(f"用户{i}") for i in range(3)]
    batch = [
        good[0],
        dataclasses.replace(good[1], csr=tampered()),
        good[1],
        request("某人", profile="no-such-profile"),
        good[2],
    ]
    results = library_ca.ca.issue_batch(batch)

    assert isinstance(results[1], BadCSR)
    assert isinstance(results[3], UnknownProfile)
    issued = [results[0], results[2], results[4]]
    assert all(isinstance(r, IssuedCertificate) for r in issued)
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        library_ca.files.cert("issuing").read_bytes() + library_ca.files.cert("root").read_bytes()
    )
    for number, (result, sent) in enumerate(zip(issued, good, strict=True)):
        assert isinstance(result, IssuedCertificate)
        cn = result.certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        assert cn[0].value == sent.subject.common_name
        leaf = tmp_path / f"leaf{number}.pem"
        leaf.write_bytes(result.certificate.public_bytes(serialization.Encoding.PEM))
        verdict = run("openssl", "verify", "-CAfile", str(chain), str(leaf))
        assert verdict.returncode == 0, verdict.stderr
    # Only the three issued were ever recorded, all good, each with one issuance event.
    serials = {r.serial_hex for r in issued if isinstance(r, IssuedCertificate)}
    assert statuses(library_ca) == dict.fromkeys(serials, "good")
    with library_ca.store.session() as session:
        assert audit.verify(session).ok
        events = session.execute(
            select(AuditEvent.object).where(AuditEvent.action == "certificate.issue")
        ).scalars()
        assert sorted(events) == sorted(f"certificate:{s}" for s in serials)


def test_every_record_is_committed_before_the_first_signature(library_ca: LibraryCA) -> None:
    real = library_ca.ca.keys.issuing_key
    assert isinstance(real, ec.EllipticCurvePrivateKey)
    seen_at_first_signature: list[dict[str, str]] = []
    tbs_signed: list[bytes] = []

    class Watching(RecordingECKey):
        # Sees real signatures only: capturing a TBS stops before the key is asked to sign.
        def sign(self, data: bytes, signature_algorithm: object) -> bytes:  # type: ignore[override]
            if not seen_at_first_signature:  # read through another connection of the store
                seen_at_first_signature.append(statuses(library_ca))
            tbs_signed.append(data)
            return real.sign(data, signature_algorithm)  # type: ignore[arg-type]

    library_ca.ca.keys = dataclasses.replace(
        library_ca.ca.keys, issuing_key=Watching(real, lambda _tbs: None)
    )
    results = library_ca.ca.issue_batch([request(f"用户{i}") for i in range(4)])
    serials = {r.serial_hex for r in results if isinstance(r, IssuedCertificate)}
    assert len(serials) == 4
    assert seen_at_first_signature == [dict.fromkeys(serials, "pending")]
    with library_ca.store.session() as session:
        recorded = dict(session.execute(select(Certificate.serial_hex, Certificate.tbs_der)).all())
    # The bytes signed are the bytes recorded, for every certificate of the batch.
    assert sorted(tbs_signed) == sorted(recorded[s] for s in serials)
    assert statuses(library_ca) == dict.fromkeys(serials, "good")


def test_records_stay_pending_when_the_signing_fails_mid_batch(library_ca: LibraryCA) -> None:
    class PowerCut(Exception):
        pass

    real = library_ca.ca.keys.issuing_key
    assert isinstance(real, ec.EllipticCurvePrivateKey)
    signatures: list[bytes] = []

    class CutAfterOne(RecordingECKey):
        def sign(self, data: bytes, signature_algorithm: object) -> bytes:  # type: ignore[override]
            if signatures:
                raise PowerCut()
            signatures.append(real.sign(data, signature_algorithm))  # type: ignore[arg-type]
            return signatures[-1]

    library_ca.ca.keys = dataclasses.replace(
        library_ca.ca.keys, issuing_key=CutAfterOne(real, lambda _tbs: None)
    )
    with pytest.raises(PowerCut):
        library_ca.ca.issue_batch([request(f"用户{i}") for i in range(3)])
    # Nothing was stored as issued; all three are on record, pending, for recovery to settle.
    assert sorted(statuses(library_ca).values()) == ["pending"] * 3


def test_requests_arriving_together_are_issued_in_few_batches(library_ca: LibraryCA) -> None:
    worker = ThreadPoolExecutor(1, "test-ca")
    batcher = IssueBatcher(library_ca.ca, worker)
    requests = [request(f"用户{i}") for i in range(20)]
    requests[7] = dataclasses.replace(requests[7], csr=tampered())

    async def all_at_once() -> list[IssuedCertificate | BaseException]:
        return await asyncio.gather(*(batcher.issue(r) for r in requests), return_exceptions=True)

    try:
        results = asyncio.run(all_at_once())
    finally:
        worker.shutdown()
    assert isinstance(results[7], BadCSR)
    issued = [r for r in results if isinstance(r, IssuedCertificate)]
    assert len(issued) == 19 and len({r.serial_hex for r in issued}) == 19
    for result, sent in zip(results, requests, strict=True):
        if isinstance(result, IssuedCertificate):
            cn = result.certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
            assert cn[0].value == sent.subject.common_name  # each caller gets its own
    assert sum(batcher.batch_sizes) == 20
    assert max(batcher.batch_sizes) > 1, batcher.batch_sizes
    with library_ca.store.session() as session:
        assert audit.verify(session).ok


def test_a_store_failure_reaches_every_request_of_the_batch(library_ca: LibraryCA) -> None:
    worker = ThreadPoolExecutor(1, "test-ca")
    batcher = IssueBatcher(library_ca.ca, worker)
    with library_ca.store.engine.begin() as conn:  # the table is gone from under the service
        conn.exec_driver_sql("ALTER TABLE ca_certificates RENAME TO ca_certificates_gone")

    async def two() -> list[IssuedCertificate | BaseException]:
        return await asyncio.gather(
            batcher.issue(request("甲")), batcher.issue(request("乙")), return_exceptions=True
        )

    try:
        results = asyncio.run(two())
    finally:
        worker.shutdown()
    assert len(results) == 2
    for result in results:
        assert isinstance(result, CounterError) and not isinstance(result, IssuedCertificate)
        assert "ca_certificates" in str(result), str(result)
