"""Finish or roll back services that a crash, a pulled token or a killed process interrupted.

The journal says how far each got. With its token present (and the PIN), recovery finishes
what can be finished (an issued certificate is written to its token and read back; a written
one is closed) and rolls back the rest (a key never certified is deleted, a certificate issued
for an abandoned application is revoked). Without the token, nothing is touched unless the
clerk forces a roll-back (the token is lost): then the certificate is revoked.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from cryptography import x509
from sqlalchemy import select

from counter_app.domain.errors import CounterError
from counter_app.services.context import ServiceContext
from counter_app.services.issuance import complete, journal_step, roll_back
from counter_app.store.counter import JournalEntry
from counter_app.token import TokenSession, open_token
from counter_app.token.errors import TokenNotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Interrupted:
    application_id: str
    service: str
    step: str
    token_serial: str | None
    token_label: str | None
    key_id: str | None
    cert_serial: str | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class Outcome:
    application_id: str
    result: str  # finished | rolled_back | waiting_for_token | failed
    detail: str = ""


def list_interrupted(ctx: ServiceContext) -> list[Interrupted]:
    with ctx.store.session() as session:
        rows = session.execute(
            select(JournalEntry).where(JournalEntry.state == "open").order_by(JournalEntry.id)
        ).scalars()
        return [
            Interrupted(
                r.application_id,
                r.service,
                r.step,
                r.token_serial,
                r.token_label,
                r.key_id,
                r.cert_serial,
                r.updated_at,
            )
            for r in rows
        ]


def recover(
    ctx: ServiceContext,
    pin: str | None,
    *,
    rollback: bool = False,
    force_without_token: bool = False,
    operator: str = "system",
) -> list[Outcome]:
    outcomes = []
    for item in list_interrupted(ctx):
        try:
            outcomes.append(_recover_one(ctx, item, pin, rollback, force_without_token, operator))
        except CounterError as exc:
            outcomes.append(Outcome(item.application_id, "failed", exc.message(ctx.config.lang)))
    return outcomes


def _recover_one(
    ctx: ServiceContext,
    item: Interrupted,
    pin: str | None,
    rollback: bool,
    force: bool,
    operator: str,
) -> Outcome:
    if item.step == "written" and not rollback:
        complete(ctx, item.application_id, operator)
        return Outcome(item.application_id, "finished")
    try:
        token = open_token(
            ctx.pkcs11_module,
            serial=item.token_serial,
            label=None if item.token_serial else item.token_label,
        )
    except TokenNotFound:
        if force and roll_back(ctx, item.application_id, None, operator, "token lost (forced)"):
            return Outcome(item.application_id, "rolled_back", "without the token")
        if force:
            _force_close(ctx, item, operator)
            return Outcome(item.application_id, "rolled_back", "without the token")
        return Outcome(
            item.application_id, "waiting_for_token", item.token_serial or item.token_label or ""
        )
    if pin is None:
        return Outcome(item.application_id, "waiting_for_token", "the token PIN is needed")
    with token.login(pin) as ts:
        if item.step == "issued" and not rollback:
            _write_issued(ctx, ts, item)
            complete(ctx, item.application_id, operator)
            return Outcome(item.application_id, "finished")
        if item.step == "written" and rollback:
            return Outcome(item.application_id, "failed", "already on the token: finish it instead")
        roll_back(ctx, item.application_id, ts, operator, f"recovered from step {item.step}")
        return Outcome(item.application_id, "rolled_back")


def _write_issued(ctx: ServiceContext, ts: TokenSession, item: Interrupted) -> None:
    assert item.cert_serial and item.key_id
    record = ctx.signing.status(item.cert_serial)
    assert record.der is not None
    certificate = x509.load_der_x509_certificate(record.der)
    key_id = bytes.fromhex(item.key_id)
    if not any(c.key_id == key_id for c in ts.read_certificates()):
        ts.write_certificate(certificate, key_id, label=item.application_id)
    ts.check_certificate_matches(certificate, key_id)
    journal_step(ctx, item.application_id, "written")


def _force_close(ctx: ServiceContext, item: Interrupted, operator: str) -> None:
    # roll_back refused because a key may sit on the absent token; a lost token's key is
    # useless without its certificate, which roll_back has revoked: close the application.
    from counter_app.services.records import application, journal_for
    from counter_app.store import audit

    with ctx.store.session() as session:
        app = application(session, item.application_id)
        entry = journal_for(session, item.application_id)
        app.status, app.closed_at = "rolled_back", ctx.clock()
        entry.state, entry.updated_at = "rolled_back", ctx.clock()
        audit.append(
            session,
            operator=operator,
            action=f"{item.service}.rollback",
            obj=f"application:{item.application_id}",
            details={"step": item.step, "forced_without_token": True, "refund_due": True},
        )
