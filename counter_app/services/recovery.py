"""Finish or roll back services that a crash, a pulled token or a killed process interrupted.

The journal says how far each got, and who holds it: recovery takes only an entry whose owner is
gone (:mod:`counter_app.services.journal`), so it never races the process still working on it.
With its token present (and the PIN), a token service is finished where it can be (an issued
certificate is written to its token and read back; a written one is closed) and rolled back
otherwise (a key never certified is deleted, a certificate issued for an abandoned application
revoked). A status change is finished if the signing module already applied it, else rolled back.
Without the token, nothing is touched unless the clerk forces a roll-back (the token is lost):
then the certificate is revoked. Every roll-back refunds what was collected.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from cryptography import x509

from counter_app.domain.errors import CounterError
from counter_app.domain.lifecycle import STATUS_CHANGES, TRANSITIONS
from counter_app.services import journal
from counter_app.services.certificates import apply_status
from counter_app.services.context import ServiceContext
from counter_app.services.issuance import supersede, undo
from counter_app.services.pipeline import close_done, close_rolled_back
from counter_app.services.records import application
from counter_app.services.tokens import SubscriberToken, TokenChoice
from counter_app.store.counter_repo import CounterRows
from counter_app.token.errors import TokenNotFound

log = logging.getLogger(__name__)

TOKEN_SERVICES = frozenset({"enroll", "renew", "change", "add_item", "reissue"})
STATUS_SERVICES = {
    service: (transition, TRANSITIONS[transition].result.stored_as)
    for service, transition in STATUS_CHANGES.items()
}


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
    # Another live process still works on it; recovery leaves it alone.
    busy: bool = False


@dataclass(frozen=True)
class Outcome:
    application_id: str
    result: str  # finished | rolled_back | waiting_for_token | busy | failed
    detail: str = ""


def list_interrupted(ctx: ServiceContext) -> list[Interrupted]:
    now = ctx.clock()
    with ctx.store.session() as session:
        rows = CounterRows(session).open_journal_entries()
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
                busy=r.owner != journal.me() and journal.owner_alive(r.owner, r.lease_until, now),
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
            with ctx.store.session() as session:
                journal.claim(session, item.application_id, ctx.clock())
            outcomes.append(_recover_one(ctx, item, pin, rollback, force_without_token, operator))
        except journal.JournalBusy as exc:
            outcomes.append(Outcome(item.application_id, "busy", exc.message(ctx.config.lang)))
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
    if item.service in STATUS_SERVICES:
        return _recover_status(ctx, item, rollback, operator)
    if item.service not in TOKEN_SERVICES:
        # Unlock: whether the token took the new PIN is not known; the subscriber asks again.
        close_rolled_back(ctx, item.application_id, operator, f"recovered from step {item.step}")
        return Outcome(item.application_id, "rolled_back")
    if item.step == "written" and not rollback:
        _complete(ctx, item, operator)
        return Outcome(item.application_id, "finished")
    if not item.token_serial and not item.token_label:
        # A change or an item on the records only: nothing was done outside the database, so
        # it is rolled back (with its refund); the subscriber's request is taken again.
        close_rolled_back(ctx, item.application_id, operator, f"recovered from step {item.step}")
        return Outcome(item.application_id, "rolled_back")
    choice = TokenChoice(
        serial=item.token_serial, label=None if item.token_serial else item.token_label
    )
    try:
        if pin is None:
            ctx.tokens.identify(choice)
            return Outcome(item.application_id, "waiting_for_token", "the token PIN is needed")
        with ctx.tokens.session(choice, pin) as ts:
            return _with_token(ctx, item, ts, rollback, operator)
    except TokenNotFound:
        if force:
            undo(ctx, item.application_id, None, operator)
            close_rolled_back(
                ctx, item.application_id, operator, "token lost (forced)", forced_without_token=True
            )
            return Outcome(item.application_id, "rolled_back", "without the token")
        return Outcome(
            item.application_id, "waiting_for_token", item.token_serial or item.token_label or ""
        )


def _with_token(
    ctx: ServiceContext, item: Interrupted, ts: SubscriberToken, rollback: bool, operator: str
) -> Outcome:
    if item.step == "issued" and not rollback:
        _write_issued(ctx, ts, item)
        _complete(ctx, item, operator)
        return Outcome(item.application_id, "finished")
    if item.step == "written" and rollback:
        return Outcome(item.application_id, "failed", "already on the token: finish it instead")
    undo(ctx, item.application_id, ts, operator)
    close_rolled_back(ctx, item.application_id, operator, f"recovered from step {item.step}")
    return Outcome(item.application_id, "rolled_back")


def _complete(ctx: ServiceContext, item: Interrupted, operator: str) -> None:
    with ctx.store.session() as session:
        old = application(session, item.application_id).old_serial
    supersede(ctx, old, operator)
    close_done(ctx, item.application_id, operator)


def _write_issued(ctx: ServiceContext, ts: SubscriberToken, item: Interrupted) -> None:
    assert item.cert_serial and item.key_id
    record = ctx.signing.status(item.cert_serial)
    assert record.der is not None
    certificate = x509.load_der_x509_certificate(record.der)
    key_id = bytes.fromhex(item.key_id)
    if not any(c.key_id == key_id for c in ts.read_certificates()):
        ts.write_certificate(certificate, key_id, label=item.application_id)
    ts.check_certificate_matches(certificate, key_id)
    with ctx.store.session() as session:
        journal.step(session, item.application_id, "written", ctx.clock())


def _recover_status(
    ctx: ServiceContext, item: Interrupted, rollback: bool, operator: str
) -> Outcome:
    transition, target = STATUS_SERVICES[item.service]
    with ctx.store.session() as session:
        app = application(session, item.application_id)
        serial, reason = app.old_serial, _reason(app.data)
    assert serial is not None
    if ctx.signing.status(serial).status is target:
        close_done(ctx, item.application_id, operator)
        return Outcome(item.application_id, "finished", "already applied")
    if rollback:
        close_rolled_back(ctx, item.application_id, operator, "rolled back by recovery")
        return Outcome(item.application_id, "rolled_back")
    apply_status(ctx, transition, serial, operator, reason)
    close_done(ctx, item.application_id, operator)
    return Outcome(item.application_id, "finished")


def _reason(data: str) -> str | None:
    import json

    value = json.loads(data or "{}").get("reason")
    return value if isinstance(value, str) else None
