"""GM/T 0014 dual certificates (双证书): one signing and one encryption certificate per enrollment.

The signing certificate certifies the key made on the token (from a CSR signed there with SM2,
verified by the CA like any CSR); the encryption certificate certifies a key the KMC makes,
escrows and envelopes to the token's signing key. The two share the subject, the GM/T 0015
identifiers and the term; holds, releases and revocations go to both (:class:`PairedStatus`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509

from counter_app.ca.authority import CertificateAuthority
from counter_app.ca.errors import BadCSR
from counter_app.ca.keys import csr_public_key
from counter_app.ca.model import (
    CertificateRecord,
    IssuedCertificate,
    IssueRequest,
    RecordStatus,
    RevocationReason,
)
from counter_app.ca.sm2 import SM2PublicKey
from counter_app.kmc.centre import KeyManagementCentre

log = logging.getLogger(__name__)
ENCRYPTION_SUFFIX = "/enc"  # the encryption certificate's application id: "<application>/enc"


@dataclass(frozen=True)
class IssuedPair:
    signing: IssuedCertificate
    encryption: IssuedCertificate
    envelope: bytes  # GM/T 0016 ENVELOPEDKEYBLOB for SKF_ImportECCKeyPair

    def to_json(self) -> dict[str, str]:
        return {
            "signing_serial": self.signing.serial_hex,
            "encryption_serial": self.encryption.serial_hex,
        }


def encryption_application(application_id: str | None) -> str | None:
    return None if application_id is None else application_id + ENCRYPTION_SUFFIX


def sm2_signing_key(csr: x509.CertificateSigningRequest) -> SM2PublicKey:
    key = csr_public_key(csr)
    if not isinstance(key, SM2PublicKey):
        raise BadCSR(
            reason_zh="双证书的签名密钥须为SM2密钥",
            reason_en="the signing key of a dual certificate pair must be an SM2 key",
        )
    return key


def issue_pair(
    ca: CertificateAuthority, kmc: KeyManagementCentre, request: IssueRequest
) -> IssuedPair:
    """Signing certificate from the token's CSR, then the KMC's encryption key: escrowed first,
    certified for the same term, linked to its partner, enveloped to the token's signing key."""
    signing_key = sm2_signing_key(request.csr)  # refuse before anything is recorded
    signing = ca.issue(request, purpose="signing")
    key = kmc.new_key_pair()
    record = kmc.escrow(key, application_id=request.application_id)
    encryption = ca.issue_for_key(
        key.public_key(),
        request.subject,
        request.profile,
        purpose="encryption",
        application_id=encryption_application(request.application_id),
        operator=request.operator,
        not_after=signing.not_after,
    )
    kmc.link_pair(
        key_id=record.key_id,
        signing_serial=signing.serial_hex,
        encryption_serial=encryption.serial_hex,
    )
    log.debug("issued pair %s / %s", signing.serial_hex, encryption.serial_hex)
    return IssuedPair(signing, encryption, kmc.envelope(key, signing_key))


class PairedStatus:
    """Hold, release and revoke that reach both certificates of a pair.

    The certificate named is changed first (its refusal is the clerk's answer); its partner
    then follows unless it is already where the action leads (a revoked partner stays revoked).
    """

    def __init__(self, ca: CertificateAuthority, kmc: KeyManagementCentre | None) -> None:
        self._ca = ca
        self._kmc = kmc

    def _partner(self, serial_hex: str) -> str | None:
        return self._kmc.partner(serial_hex) if self._kmc is not None else None

    def _with_partner(
        self,
        serial_hex: str,
        change: Callable[[str], CertificateRecord],
        partner_follows: Callable[[RecordStatus], bool],
    ) -> CertificateRecord:
        """``change`` the named certificate, then its partner when ``partner_follows`` its
        current status."""
        record = change(serial_hex)
        partner = self._partner(serial_hex)
        if partner and partner_follows(self._ca.status(partner).status):
            change(partner)
        return record

    def hold(self, serial_hex: str, *, operator: str) -> CertificateRecord:
        return self._with_partner(
            serial_hex,
            lambda serial: self._ca.hold(serial, operator=operator),
            lambda status: status is RecordStatus.GOOD,
        )

    def release(self, serial_hex: str, *, operator: str) -> CertificateRecord:
        return self._with_partner(
            serial_hex,
            lambda serial: self._ca.release(serial, operator=operator),
            lambda status: status is RecordStatus.HOLD,
        )

    def revoke(
        self, serial_hex: str, reason: RevocationReason, *, operator: str
    ) -> CertificateRecord:
        return self._with_partner(
            serial_hex,
            lambda serial: self._ca.revoke(serial, reason, operator=operator),
            lambda status: status is not RecordStatus.REVOKED,
        )
