"""How services reach the signing module: one small interface, in-process by default.

A counter configured with ``--ca-url`` will use a remote client with the same methods (the
multi-counter issue); services never touch ``CertificateAuthority`` directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from cryptography import x509

from counter_app.ca import (
    CertificateAuthority,
    CertificateRecord,
    IssuedCertificate,
    RevocationReason,
    SubjectInfo,
)


class SigningClient(Protocol):
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

    def status(self, serial_hex: str) -> CertificateRecord: ...

    def serial_for_application(self, application_id: str) -> str | None: ...

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
        self.hold = ca.hold
        self.release = ca.release
        self.revoke = ca.revoke

    def chain(self) -> list[x509.Certificate]:
        return x509.load_pem_x509_certificates(self._ca.chain_pem())
