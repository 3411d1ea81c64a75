"""How services reach the signing module: one small interface, in-process by default.

A counter configured with ``--ca-url`` will use a remote client with the same methods (the
multi-counter issue); services never touch ``CertificateAuthority`` directly.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import NoReturn, Protocol

from cryptography import x509

from counter_app.ca import (
    CertificateAuthority,
    CertificateNotFound,
    CertificateRecord,
    IssuedCertificate,
    IssueRequest,
    RevocationReason,
)
from counter_app.kmc import (
    KeyManagementCentre,
    KMCFiles,
    KMCNotInitialised,
    PairedStatus,
    issue_pair,
)


class CertificateRecords(Protocol):
    """Reading the signing module's records: needs no key."""

    def status(self, serial_hex: str) -> CertificateRecord: ...

    def serial_for_application(self, application_id: str) -> str | None: ...

    def records(
        self, application_ids: Collection[str] | None = None
    ) -> list[CertificateRecord]: ...


class SigningClient(CertificateRecords, Protocol):
    def issue(self, request: IssueRequest) -> IssuedCertificate: ...

    def hold(self, serial_hex: str, *, operator: str) -> CertificateRecord: ...

    def release(self, serial_hex: str, *, operator: str) -> CertificateRecord: ...

    def revoke(
        self, serial_hex: str, reason: RevocationReason, *, operator: str
    ) -> CertificateRecord: ...

    def chain(self) -> list[x509.Certificate]: ...


class LocalSigning:
    """The in-process signing module of this data dir, with its KMC when it is an SM2 one:
    then an SM2 enrollment issues a pair (:meth:`issue_pair`) and hold, release and revoke
    reach both certificates of a pair."""

    def __init__(self, ca: CertificateAuthority, kmc: KeyManagementCentre | None = None) -> None:
        self._ca = ca
        self._kmc = kmc
        self._status = PairedStatus(ca, kmc)
        self.issue = ca.issue
        self.status = ca.status
        self.serial_for_application = ca.serial_for_application
        self.records = ca.records
        self.issue_pair = partial(issue_pair, ca, kmc) if kmc is not None else _no_kmc

    @property
    def issues_pairs(self) -> bool:
        """Whether SM2 dual certificates can be issued (an SM2 signing module with its KMC)."""
        return self._kmc is not None

    def partner(self, serial_hex: str) -> str | None:
        """The other certificate of a dual pair, if ``serial_hex`` belongs to one."""
        return self._kmc.partner(serial_hex) if self._kmc is not None else None

    def hold(self, serial_hex: str, *, operator: str) -> CertificateRecord:
        return self._status.hold(serial_hex, operator=operator)

    def release(self, serial_hex: str, *, operator: str) -> CertificateRecord:
        return self._status.release(serial_hex, operator=operator)

    def revoke(
        self, serial_hex: str, reason: RevocationReason, *, operator: str
    ) -> CertificateRecord:
        return self._status.revoke(serial_hex, reason, operator=operator)

    def chain(self) -> list[x509.Certificate]:
        return x509.load_pem_x509_certificates(self._ca.chain_pem())


def _no_kmc(*args: object, **kwargs: object) -> NoReturn:
    """``issue_pair`` of a signing module without a KMC (not an SM2 one)."""
    raise KMCNotInitialised(where="-")


def local_kmc(data_dir: object) -> KeyManagementCentre | None:
    """The KMC of an SM2 signing module in ``data_dir`` (a Path), None for other algorithms."""
    from pathlib import Path

    files = KMCFiles.in_data_dir(Path(str(data_dir)))
    return KeyManagementCentre(files) if files.exists() else None


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
