"""Reading the signing module's records without its keys (SharedRecords, ReadOnlySigning)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pytest

from counter_app.ca import CertificateNotFound, CertificateRecord, RecordStatus
from counter_app.services.signing import ReadOnlySigning, SharedRecords

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
RECORD = CertificateRecord("0A1B", "CN=x", "individual", RecordStatus.GOOD, WHEN, WHEN, "A-1")


class Reader:
    """A repository's reading half holding one record (pure logic: no database here)."""

    def get(self, serial_hex: str) -> CertificateRecord | None:
        return RECORD if serial_hex == RECORD.serial_hex else None

    def serial_for_application(self, application_id: str) -> str | None:
        return RECORD.serial_hex if application_id == RECORD.application_id else None

    def records(self, application_ids: Collection[str] | None = None) -> list[CertificateRecord]:
        return [RECORD]


def test_status_reads_the_record_by_its_upper_case_serial() -> None:
    assert SharedRecords(Reader()).status("0a1b") is RECORD


def test_an_unknown_serial_is_certificate_not_found() -> None:
    with pytest.raises(CertificateNotFound):
        SharedRecords(Reader()).status("FFFF")


def test_printing_never_signs_or_changes_a_status() -> None:
    signing = ReadOnlySigning(Reader())
    assert signing.serial_for_application("A-1") == "0A1B"
    with pytest.raises(RuntimeError):
        signing.hold("0A1B", operator="clerk1")
