"""What the home page shows after sign-in: today's work, the till, what waits, whose token.

Read-only queries over applications, payments, refunds, the journal and the certificates. "At
this counter" is this store's rows (a counter's own SQLite database; on a shared PostgreSQL the
figures cover every counter on it, which the page says); "by me" is the operator's own rows.
"Today" is the RA's calendar day (``time_zone`` of ``config.toml``, default Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from counter_app.domain.daybook import business_day, day_bounds
from counter_app.domain.display import ra_time_zone
from counter_app.services.certificates import CertificateView, list_certificates, record_read
from counter_app.services.context import ServiceContext
from counter_app.services.recovery import Interrupted, list_interrupted
from counter_app.store.counter_repo import CounterRows
from counter_app.store.money_repo import MoneyRows

EXPIRING_WITHIN_DAYS = 30


@dataclass(frozen=True)
class HomeFigures:
    day: dt.date
    # Service name -> number of applications taken today.
    services_here: dict[str, int]
    services_mine: dict[str, int]
    # Payment method -> fen taken today (waivers count 0), and refunded today, at this counter.
    taken: dict[str, int]
    refunded: dict[str, int]
    interrupted: list[Interrupted] = field(default_factory=list)
    expiring: list[CertificateView] = field(default_factory=list)

    @property
    def net(self) -> dict[str, int]:
        methods = set(self.taken) | set(self.refunded)
        return {m: self.taken.get(m, 0) - self.refunded.get(m, 0) for m in sorted(methods)}


def home_figures(ctx: ServiceContext, operator: str) -> HomeFigures:
    # The business day of the back office's books (domain/daybook.py): the same day boundaries.
    zone = ra_time_zone(ctx.config.extra)
    day = business_day(ctx.clock(), zone)
    start, end = day_bounds(day, zone)
    with ctx.store.session() as session:
        apps = CounterRows(session).applications_between(start, end)
        money = MoneyRows(session)
        payments = money.payments_between(start, end)
        refunds = [refund for refund, _, _ in money.refunds_between(start, end)]
    here = Counter(a.service for a in apps)
    mine = Counter(a.service for a in apps if a.clerk == operator)
    taken: Counter[str] = Counter()
    for p in payments:
        taken[p.method] += p.fee_fen
    refunded: Counter[str] = Counter()
    for r in refunds:
        refunded[r.method] += r.amount_fen
    return HomeFigures(
        day,
        dict(here),
        dict(mine),
        dict(taken),
        dict(refunded),
        interrupted=list_interrupted(ctx),
        expiring=list_certificates(ctx, expiring_within_days=EXPIRING_WITHIN_DAYS, limit=50),
    )


@dataclass(frozen=True)
class TokenOwner:
    token_serial: str
    subscriber_name: str | None
    application_id: str | None
    certificate_serial: str | None


def token_owner(ctx: ServiceContext, reader: str, token_serial: str) -> TokenOwner:
    """Whose the token is: the latest application written to a token of that serial (audited)."""
    with ctx.store.session() as session:
        row = CounterRows(session).last_on_token(token_serial)
    if row is None:
        return TokenOwner(token_serial, None, None, None)
    app, name = row
    record_read(ctx, reader, "token_owner", f"token:{token_serial}", application=app.id)
    return TokenOwner(token_serial, name, app.id, app.new_serial or app.old_serial)
