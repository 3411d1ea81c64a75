"""The token half of every issuing service, journaled step by step so nothing is half done.

Steps, each committed to the journal before the next starts:
``recorded`` (application, agreement, payment) → ``key_generated`` (key id) → ``issued``
(certificate serial) → ``written`` (certificate on the token, read back and matched) → done.
:mod:`counter_app.services.recovery` finishes or rolls back whatever a crash, a pulled token or a
killed process left between two steps.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from counter_app.ca import IssuedCertificate, RevocationReason, SubjectInfo
from counter_app.domain.errors import CounterError
from counter_app.services.context import ServiceContext
from counter_app.services.records import application, dumps, journal_for
from counter_app.store import audit
from counter_app.token import KeySpec, TokenSession, build_csr

log = logging.getLogger(__name__)


class ServiceInterrupted(CounterError):
    """A step failed after the application was recorded and could not be undone at once."""

    code = "interrupted"
    zh = "业务 {application} 在“{step}”步骤中断：{cause_zh}。请重新插入证书介质后运行 counter-app recover 完成或回退。"
    en = (
        "service {application} was interrupted at step '{step}': {cause_en}. Re-insert the token "
        "and run counter-app recover to finish or roll it back."
    )


class ServiceRolledBack(CounterError):
    """A step failed and everything it had done was undone (the fee is to be refunded)."""

    code = "rolled_back"
    zh = "业务 {application} 未完成，已回退（应退还费用）：{cause_zh}"
    en = "service {application} did not complete and was rolled back (refund the fee): {cause_en}"


def journal_step(ctx: ServiceContext, application_id: str, step: str, **fields: Any) -> None:
    """Commit the journal's new step (and what it produced) before anything else happens."""
    with ctx.store.session() as session:
        entry = journal_for(session, application_id)
        entry.step = step
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.updated_at = ctx.clock()
        audit.append(
            session,
            operator="system",
            action=f"journal.{step}",
            obj=f"application:{application_id}",
            details={k: v for k, v in fields.items() if k in ("key_id", "cert_serial")},
        )
    ctx.step_done(step)


def csr_subject(subject: SubjectInfo) -> x509.Name:
    # The signing module ignores the CSR's subject; this one only helps a human reading the CSR.
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject.common_name)])


def fulfil(
    ctx: ServiceContext,
    ts: TokenSession,
    application_id: str,
    *,
    spec: KeySpec,
    subject: SubjectInfo,
    profile: str,
    operator: str,
) -> IssuedCertificate:
    """Key on the token → CSR signed on the token → issued → written back and read back."""
    key = ts.generate_key_pair(spec, label=application_id)
    journal_step(ctx, application_id, "key_generated", key_id=key.key_id.hex())
    csr = build_csr(key, csr_subject(subject))
    issued = ctx.signing.issue(
        csr, subject, profile, application_id=application_id, operator=operator
    )
    journal_step(ctx, application_id, "issued", cert_serial=issued.serial_hex)
    ts.write_certificate(issued.certificate, key.key_id, label=application_id)
    ts.check_certificate_matches(issued.certificate, key.key_id)
    journal_step(ctx, application_id, "written")
    return issued


def complete(ctx: ServiceContext, application_id: str, operator: str) -> str | None:
    """After ``written``: supersede the old certificate if any, close the application."""
    with ctx.store.session() as session:
        app = application(session, application_id)
        entry = journal_for(session, application_id)
        old, service, new_serial = app.old_serial, app.service, entry.cert_serial
    # A new certificate that replaces an old one supersedes it only once it is on the token.
    if old:
        record = ctx.signing.status(old)
        if record.status.value != "revoked":
            ctx.signing.revoke(old, RevocationReason.SUPERSEDED, operator=operator)
    with ctx.store.session() as session:
        app = application(session, application_id)
        entry = journal_for(session, application_id)
        app.status, app.new_serial, app.closed_at = "done", new_serial, ctx.clock()
        entry.state, entry.step, entry.updated_at = "done", "done", ctx.clock()
        audit.append(
            session,
            operator=operator,
            action=f"{service}.done",
            obj=f"application:{application_id}",
            details={"serial": new_serial, "superseded": old},
        )
    return new_serial


def roll_back(
    ctx: ServiceContext, application_id: str, ts: TokenSession | None, operator: str, cause: str
) -> bool:
    """Undo what the journal says was done; ``False`` if the token is needed but absent."""
    with ctx.store.session() as session:
        entry = journal_for(session, application_id)
        step, key_id, serial = entry.step, entry.key_id, entry.cert_serial
    serial = serial or _serial_issued_for(ctx, application_id)
    if serial:
        record = ctx.signing.status(serial)
        if record.status.value in ("good", "hold"):
            ctx.signing.revoke(serial, RevocationReason.CESSATION_OF_OPERATION, operator=operator)
    if ts is None:
        if step != "recorded" or key_id:
            return False
    else:
        _delete_keys(ts, application_id, key_id)
    with ctx.store.session() as session:
        app = application(session, application_id)
        entry = journal_for(session, application_id)
        app.status, app.closed_at = "rolled_back", ctx.clock()
        entry.state, entry.updated_at = "rolled_back", ctx.clock()
        entry.data = dumps({**json.loads(entry.data or "{}"), "rollback_cause": cause})
        audit.append(
            session,
            operator=operator,
            action=f"{app.service}.rollback",
            obj=f"application:{application_id}",
            details={"step": step, "revoked": serial, "cause": cause, "refund_due": True},
        )
    return True


def _delete_keys(ts: TokenSession, application_id: str, key_id: str | None) -> None:
    # A key generated just before a crash is on the token but not yet in the journal: it is
    # found by its label, which is the application number.
    for key in ts.list_keys():
        if (key_id and key.key_id.hex() == key_id) or key.label == application_id:
            ts.delete_key_pair(key.key_id)


def _serial_issued_for(ctx: ServiceContext, application_id: str) -> str | None:
    from sqlalchemy import select

    from counter_app.store.certificates import Certificate

    with ctx.store.session() as session:
        return (
            session.execute(
                select(Certificate.serial_hex).where(Certificate.application_id == application_id)
            )
            .scalars()
            .first()
        )


def drop_old_key(ts: TokenSession, old_serial: str) -> None:
    """The superseded key and certificate leave the token, so it never offers a revoked one."""
    from counter_app.ca.ocsp import serial_hex

    for held in ts.read_certificates():
        if serial_hex(held.certificate.serial_number) == old_serial:
            ts.delete_key_pair(held.key_id)
