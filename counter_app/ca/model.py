"""Value objects of the signing module and the repository interface it is handed.

The CA never imports the store: whoever builds a :class:`CertificateAuthority` passes an object
that satisfies :class:`CertificateRepository` (``counter_app.store.certificates`` provides one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography import x509

# One vocabulary with the domain: the signing module stores RecordStatus and speaks the same
# RevocationReason as the lifecycle rules (re-exported here for the CA's callers).
from counter_app.domain.lifecycle import RecordStatus, RevocationReason


@dataclass(frozen=True)
class SubjectInfo:
    """The subject as the RA verified it (经审核的主体信息); never taken from the CSR."""

    common_name: str
    organization: str | None = None
    organizational_unit: str | None = None
    serial_number: str | None = None
    country: str = "CN"
    email: str | None = None
    # GM/T 0015 identifiers by OID, e.g. {"1.2.156.10260.4.1.2": "<social-insurance number>"}.
    identifiers: Mapping[str, str] = field(default_factory=dict)
    application_items: tuple[str, ...] = ()


# Attribute types a subject's RFC 4514 text shows by number; a clerk reads names.
_SUBJECT_NAMES = {"2.5.4.5": "serialNumber", "2.5.4.97": "organizationIdentifier"}


def subject_text(rfc4514: str) -> str:
    """A recorded subject as a clerk reads it, the same on the look-up screen and on paper."""
    for oid, name in _SUBJECT_NAMES.items():
        rfc4514 = rfc4514.replace(f"{oid}=", f"{name}=")
    return rfc4514


@dataclass(frozen=True)
class IssuedCertificate:
    serial_hex: str  # upper-case hex, as `openssl x509 -serial` prints it
    certificate: x509.Certificate
    not_before: dt.datetime
    not_after: dt.datetime
    profile: str


@dataclass(frozen=True)
class IssueRequest:
    """One certificate asked of the signing module, the same object all the way: built where
    the CSR is made (the counter's token step, ``ca issue``, the EST service's decoded request),
    handed through the ``SigningClient`` (local or EST) to ``CertificateAuthority.issue`` /
    ``issue_batch`` or ``kmc.issue_pair``, so the request's fields are listed here only."""

    csr: x509.CertificateSigningRequest
    subject: SubjectInfo
    profile: str
    application_id: str | None = None
    operator: str = "system"
    # A change keeps the term of the certificate it replaces: the new one ends no later.
    not_after: dt.datetime | None = None


@dataclass(frozen=True)
class PendingCertificate:
    """What is recorded before the signature is made (the to-be-signed content)."""

    serial_hex: str
    subject: str  # RFC 4514
    profile: str
    not_before: dt.datetime
    not_after: dt.datetime
    tbs_der: bytes
    application_id: str | None
    operator: str
    crl_partition: int | None = None  # the partition CRL (/crl/N) its CRL DP names, if any


@dataclass(frozen=True)
class CertificateRecord:
    serial_hex: str
    subject: str
    profile: str
    status: RecordStatus
    not_before: dt.datetime
    not_after: dt.datetime
    application_id: str | None = None
    revoked_at: dt.datetime | None = None
    reason: RevocationReason | None = None
    der: bytes | None = None
    crl_partition: int | None = None
    issuer: int = 1  # the issuing CA that signed it: 1 the first, 2 after a rollover, ...


@dataclass(frozen=True)
class StatusChange:
    """A lifecycle change the CA decided on; the repository applies it with its audit event."""

    serial_hex: str
    action: str  # certificate.hold | certificate.release | certificate.revoke
    status: RecordStatus
    revoked_at: dt.datetime | None
    reason: RevocationReason | None
    operator: str


@dataclass(frozen=True)
class RevokedEntry:
    serial: int
    revoked_at: dt.datetime
    reason: RevocationReason


# One CRL entry as the repository reads it: serial (upper-case hex), revocation time in whole
# epoch seconds, reason value (None reads as unspecified). Plain tuples: a CRL lists a million.
RevokedRow = tuple[str, int, str | None]


@dataclass(frozen=True)
class CRLSnapshot:
    """A freshly allocated CRL number and the entries that CRL must list.

    Full (``base`` None): ``entries`` are every certificate on hold or revoked. Incremental:
    the list is ``base``'s (the newest stored CRL, DER) without the entries of ``removed`` (the
    serials whose status changed since it was made), plus ``entries`` (the current rows of those
    that are on hold or revoked now). ``status_seq`` is the audit event the list reflects.
    ``encoded``: entries the store keeps already encoded (concatenated DER), listed as well.
    """

    number: int
    entries: Sequence[RevokedRow]
    status_seq: int = 0
    base: bytes | None = None
    removed: Sequence[str] = ()
    encoded: bytes = b""


@dataclass(frozen=True)
class PublishedCRL:
    number: int
    this_update: dt.datetime
    next_update: dt.datetime
    der: bytes
    status_seq: int | None = None  # the audit event its list reflects, when known
    partition: int | None = None  # a partition CRL (/crl/N); None: the complete CRL (/crl)


class CertificateRepository(Protocol):
    """Persistence the CA is handed. Each method is one transaction; changes are audited there."""

    def reserve(self, pending: PendingCertificate) -> None:
        """Record serial and TBS (status pending) and commit, before anything is signed."""

    def complete(self, pending: PendingCertificate, der: bytes) -> None:
        """Store the signed certificate (status good) with its issuance audit event."""

    def reserve_many(self, pendings: Sequence[PendingCertificate]) -> None:
        """:meth:`reserve` for several certificates in one transaction."""

    def complete_many(self, signed: Sequence[tuple[PendingCertificate, bytes]]) -> None:
        """:meth:`complete` for several certificates in one transaction, one event each."""

    def get(self, serial_hex: str) -> CertificateRecord | None: ...

    def serial_for_application(self, application_id: str) -> str | None: ...

    def records(self, application_ids: Collection[str] | None = None) -> list[CertificateRecord]:
        """Issued records (not pending), soonest expiry first; of these applications if given."""

    def change_status(
        self, serial_hex: str, decide: Callable[[CertificateRecord], StatusChange]
    ) -> CertificateRecord:
        """Lock the record, call ``decide(record)`` and apply the change it returns, audited."""

    def status_changes_since(self, seq: int) -> tuple[int, list[str]]:
        """(newest audit seq, serials put on hold, released or revoked after ``seq``)."""

    def crl_snapshot(self, *, full: bool = False) -> CRLSnapshot:
        """Allocate the next CRL number and read the entries: every entry on hold or revoked,
        or (unless ``full``) only what changed since the newest stored CRL when that is less."""

    def save_crl(self, crl: PublishedCRL, operator: str) -> bool:
        """Store a signed CRL unless a newer one was stored meanwhile; True when stored."""

    def latest_crl(self) -> PublishedCRL | None: ...

    def partition_fill(self) -> tuple[int, int]:
        """(highest CRL partition any certificate names, how many certificates name it)."""

    def partition_snapshot(self, partition: int) -> CRLSnapshot:
        """Allocate the next CRL number and read the entries of one partition."""

    def latest_partition_crl(self, partition: int) -> PublishedCRL | None: ...
