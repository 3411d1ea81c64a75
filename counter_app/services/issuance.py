"""The token half of every issuing service, journaled step by step so nothing is half done.

Steps, each committed to the journal before the next starts:
``recorded`` (application, snapshot, agreement, payment) → ``key_generated`` (key id) →
``issued`` (certificate serial) → ``written`` (certificate on the token, read back and matched)
→ done. :mod:`counter_app.services.recovery` finishes or rolls back whatever a crash, a pulled
token or a killed process left between two steps.
"""

from __future__ import annotations

import datetime as dt
import logging

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from counter_app.ca import (
    CertificateNotFound,
    IssuedCertificate,
    IssueRequest,
    RecordStatus,
    RevocationReason,
    SubjectInfo,
)
from counter_app.ca.ocsp import serial_hex
from counter_app.ca.profiles import check_subject, get_profile, name_attribute
from counter_app.services.context import ServiceContext
from counter_app.services.journal import entry_for
from counter_app.services.pipeline import Job
from counter_app.services.tokens import KeyOnToken, SubscriberToken
from counter_app.token import KeySpec

log = logging.getLogger(__name__)


def csr_subject(subject: SubjectInfo) -> x509.Name:
    # The signing module ignores the CSR's subject; this one only helps a human reading the CSR.
    # Characters are counted (X.520), not UTF-8 bytes: check_subject has bounded the name.
    return x509.Name([name_attribute(NameOID.COMMON_NAME, subject.common_name)])


def build_csr(key: KeyOnToken, subject: SubjectInfo) -> x509.CertificateSigningRequest:
    """A PKCS#10 request signed by the key on the token (SHA-256; SM2 with SM3 on an SKF key)."""
    from counter_app.token.skf import SKFKey, build_sm2_csr

    if isinstance(key, SKFKey):
        # cryptography builds no SM2 request: the SKF driver assembles it, signed on the token.
        return x509.load_der_x509_csr(build_sm2_csr(key, csr_subject(subject)))
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(csr_subject(subject))
        .sign(key.private_key(), hashes.SHA256())
    )


def check_issuable(ctx: ServiceContext, subject: SubjectInfo, profile: str) -> None:
    """What the signing module would refuse about the subject, found before money or a key.

    Against a remote signing service the local profiles are the same files the service ships,
    so the same check applies; the service checks again."""
    check_subject(get_profile(ctx.profiles, profile), subject)


def fulfil(
    job: Job,
    *,
    spec: KeySpec,
    subject: SubjectInfo,
    profile: str,
    not_after: dt.datetime | None = None,
) -> IssuedCertificate:
    """Key on the token → CSR signed on the token → issued → written back and read back."""
    ts = job.token
    assert ts is not None
    key = ts.generate_key_pair(spec, label=job.application_id)
    job.step("key_generated", key_id=key.key_id.hex())
    csr = build_csr(key, subject)
    issued = job.ctx.signing.issue(
        IssueRequest(csr, subject, profile, job.application_id, job.operator, not_after)
    )
    job.step("issued", cert_serial=issued.serial_hex)
    ts.write_certificate(issued.certificate, key.key_id, label=job.application_id)
    ts.check_certificate_matches(issued.certificate, key.key_id)
    job.step("written")
    return issued


def supersede(ctx: ServiceContext, old_serial: str | None, operator: str) -> None:
    """A new certificate that replaces an old one supersedes it only once it is on the token."""
    if not old_serial:
        return
    record = ctx.signing.status(old_serial)
    if record.status is not RecordStatus.REVOKED:
        ctx.signing.revoke(old_serial, RevocationReason.SUPERSEDED, operator=operator)


def undo(
    ctx: ServiceContext, application_id: str, ts: SubscriberToken | None, operator: str
) -> bool:
    """Undo the token work the journal says was done; ``False`` if the token is needed but
    absent. A certificate issued for the abandoned application is revoked; its key deleted."""
    with ctx.store.session() as session:
        entry = entry_for(session, application_id)
        step, key_id, serial = entry.step, entry.key_id, entry.cert_serial
    serial = serial or _serial_issued_for(ctx, application_id)
    if serial:
        try:
            record = ctx.signing.status(serial)
        except CertificateNotFound:
            record = None
        if record is not None and record.status is not RecordStatus.REVOKED:
            ctx.signing.revoke(serial, RevocationReason.CESSATION_OF_OPERATION, operator=operator)
    if ts is None:
        return step == "recorded" and not key_id
    for key in ts.list_keys():
        # A key generated just before a crash is on the token but not yet in the journal: it
        # is found by its label, which is the application number.
        if (key_id and key.key_id.hex() == key_id) or key.label == application_id:
            ts.delete_key_pair(key.key_id)
    return True


def _serial_issued_for(ctx: ServiceContext, application_id: str) -> str | None:
    # Over EST the client reads it in the database the counter shares with the service (the
    # documented deployment).
    return ctx.signing.serial_for_application(application_id)


def drop_old_key(ts: SubscriberToken, old_serial: str) -> None:
    """The superseded key and certificate leave the token, so it never offers a revoked one."""
    for held in ts.read_certificates():
        if serial_hex(held.certificate.serial_number) == old_serial:
            ts.delete_key_pair(held.key_id)
