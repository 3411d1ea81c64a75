"""How services reach the signing module: one small interface, in-process by default.

A counter configured with ``--ca-url`` will use a remote client with the same methods (the
multi-counter issue); services never touch ``CertificateAuthority`` directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import NoReturn, Protocol

from cryptography import x509

from counter_app.ca import (
    CertificateAuthority,
    CertificateNotFound,
    CertificateRecord,
    IssuedCertificate,
    RevocationReason,
    SubjectInfo,
)


class CertificateRecords(Protocol):
    """Reading the signing module's records: needs no key."""

    def status(self, serial_hex: str) -> CertificateRecord: ...

    def serial_for_application(self, application_id: str) -> str | None: ...

    def records(
        self, application_ids: Collection[str] | None = None
    ) -> list[CertificateRecord]: ...


class SigningClient(CertificateRecords, Protocol):
    def issue(
        self,
        csr: x509.CertificateSigningRequest,
        subject: SubjectInfo,
        profile: str,
        *,
        application_id: str | None,
        operator: str,
        not_after: dt.datetime | None = None,
    ) -> IssuedCertificate: ...

    def hold(self, serial_hex: str, *, operator: str) -> CertificateRecord: ...

    def release(self, serial_hex: str, *, operator: str) -> CertificateRecord: ...

    def revoke(
        self, serial_hex: str, reason: RevocationReason, *, operator: str
    ) -> CertificateRecord: ...

    def chain(self) -> list[x509.Certificate]: ...


class LocalSigning:
    """The in-process signing module of this data dir: the CA's own methods answer."""

    def __init__(self, ca: CertificateAuthority) -> None:
        self._ca = ca
        self.issue = ca.issue
        self.status = ca.status
        self.serial_for_application = ca.serial_for_application
        self.records = ca.records
        self.hold = ca.hold
        self.release = ca.release
        self.revoke = ca.revoke

    def chain(self) -> list[x509.Certificate]:
        return x509.load_pem_x509_certificates(self._ca.chain_pem())


class RecordReader(Protocol):
    """The reading half of the signing module's repository (``store.certificates``)."""

    def get(self, serial_hex: str) -> CertificateRecord | None: ...

    def serial_for_application(self, application_id: str) -> str | None: ...

    def records(
        self, application_ids: Collection[str] | None = None
    ) -> list[CertificateRecord]: ...


class SharedRecords:
    """:class:`CertificateRecords` read from the signing module's repository in the database the
    counter shares with it: what printing (no CA key) and a counter on EST read. Handed in by
    the front end that builds the context, so services never import the tables."""

    def __init__(self, reader: RecordReader) -> None:
        self._reader = reader
        self.serial_for_application = reader.serial_for_application
        self.records = reader.records

    def status(self, serial_hex: str) -> CertificateRecord:
        record = self._reader.get(serial_hex.upper())
        if record is None:
            raise CertificateNotFound(serial=serial_hex)
        return record


class ReadOnlySigning(SharedRecords):
    """A :class:`SigningClient` that only reads (printing): it never signs or changes a status."""

    def _refuse(self, *_: object, **__: object) -> NoReturn:
        raise RuntimeError("printing does not use the signing module")

    issue = hold = release = revoke = chain = _refuse  # type: ignore[assignment]
