"""日结 — the day's books of each counter: the day report, the close with the till counted, the
reopening, and the freeze the service pipeline consults before taking or refunding money.

Every figure comes from the rows the service pipeline wrote (payments, refunds, applications);
see :mod:`counter_app.domain.daybook` for how they add up. A close is a row of its own
(``day_closes``) and an audit event; a reopening is another row and another event.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from counter_app.domain.daybook import (
    Figures,
    PaymentFact,
    RefundFact,
    ServiceFact,
    business_day,
    check_counter_name,
    day_bounds,
    figures,
    grouped,
)
from counter_app.domain.errors import CounterError, OperatorDisabled, ValidationError
from counter_app.domain.fields import check_plain_text
from counter_app.domain.policy import Action, Person, check_maker
from counter_app.services.context import ServiceContext
from counter_app.services.operators import OperatorInfo
from counter_app.store import audit
from counter_app.store.backoffice import DayCloseRow
from counter_app.store.backoffice_repo import BackOfficeRows
from counter_app.store.counter_repo import CounterRows
from counter_app.store.money_repo import MoneyRows
from counter_app.store.operator_repo import OperatorRows

NO_COUNTER = "-"  # rows recorded before counters were kept


class DayClosed(CounterError):
    """The business day is closed at this counter: no money may be taken or refunded on it."""

    code = "day_closed"
    zh = (
        "{day} 柜台 {counter} 已日结，不能再收费或退款：如确需办理，请主管重开该日"
        "（counter-app day reopen --date {day} --counter {counter}）"
    )
    en = (
        "the business day {day} is closed at counter {counter}: no money can be taken or "
        "refunded on it; ask a supervisor to reopen it (counter-app day reopen --date {day} "
        "--counter {counter})"
    )


class DayAlreadyClosed(CounterError):
    code = "day_already_closed"
    zh = "{day} 柜台 {counter} 已于 {time} 由 {supervisor} 日结；如需更正，请先重开"
    en = (
        "the business day {day} at counter {counter} was closed at {time} by {supervisor}; "
        "reopen it first to correct it"
    )


class DayNotClosed(CounterError):
    code = "day_not_closed"
    zh = "{day} 柜台 {counter} 未日结，无需重开"
    en = "the business day {day} at counter {counter} is not closed; there is nothing to reopen"


class DayInFuture(ValidationError):
    code = "day_in_future"
    zh = "不能日结尚未开始的营业日 {day}"
    en = "the business day {day} has not begun and cannot be closed"


class ServicesInProgress(CounterError):
    code = "services_in_progress"
    zh = (
        "柜台 {counter} 还有 {count} 笔业务未完成（如 {application}）：请先完成，"
        "或运行 counter-app recover 完成或回退后再日结"
    )
    en = (
        "counter {counter} still has {count} services in progress (e.g. {application}): finish "
        "them, or run counter-app recover to finish or roll them back, before closing the day"
    )


# ---------------------------------------------------------------------------------------------
# Reading the books


@dataclass(frozen=True)
class Facts:
    payments: list[PaymentFact]
    refunds: list[RefundFact]
    services: list[ServiceFact]

    def only(self, counter: str | None) -> Facts:
        if counter is None:
            return self
        return Facts(
            [p for p in self.payments if p.counter == counter],
            [r for r in self.refunds if r.counter == counter],
            [s for s in self.services if s.counter == counter],
        )


def _recorded(
    time: dt.datetime,
    counter: str | None,
    clerk: str,
    service: str,
    certificate_type: str,
    zone: ZoneInfo,
) -> dict[str, Any]:
    """When, where, by whom and for what a row was recorded: its business day, counter,
    operator, service and certificate type (what every fact of the books says)."""
    return {
        "day": business_day(time, zone),
        "counter": counter or NO_COUNTER,
        "operator": clerk,
        "service": service,
        "certificate_type": certificate_type,
    }


def read_facts(session: Session, ctx: ServiceContext, start: dt.date, end: dt.date) -> Facts:
    """Every payment, refund and application recorded from ``start`` to ``end`` (inclusive
    business days in the RA's time zone)."""
    zone = ctx.time_zone
    since, _ = day_bounds(start, zone)
    _, until = day_bounds(end, zone)
    money = MoneyRows(session)
    payments = [
        PaymentFact(
            **_recorded(p.time, p.counter, p.clerk, p.service, p.certificate_type, zone),
            receipt_number=p.receipt_number,
            method=p.method,
            fee_fen=p.fee_fen,
        )
        for p in money.payments_between(since, until)
    ]
    refunds = [
        RefundFact(
            **_recorded(r.time, r.counter, r.clerk, service, certificate_type, zone),
            refund_number=r.refund_number,
            receipt_number=r.receipt_number,
            method=r.method,
            amount_fen=r.amount_fen,
        )
        for r, service, certificate_type in money.refunds_between(since, until)
    ]
    services = [
        ServiceFact(
            **_recorded(a.created_at, a.counter, a.clerk, a.service, a.certificate_type, zone),
            application_id=a.id,
            status=a.status,
        )
        for a in CounterRows(session).applications_between(since, until)
    ]
    return Facts(payments, refunds, services)


def latest_close(session: Session, day: dt.date, counter: str) -> DayCloseRow | None:
    return BackOfficeRows(session).latest_close(day, counter)


def is_closed(session: Session, day: dt.date, counter: str) -> bool:
    row = latest_close(session, day, counter)
    return row is not None and row.action == "close"


def _close_json(row: DayCloseRow | None) -> dict[str, Any] | None:
    if row is None or row.action != "close":
        return None
    return {
        "expected_cash_fen": row.expected_cash_fen,
        "counted_cash_fen": row.counted_cash_fen,
        "difference_fen": row.difference_fen,
        "note": row.note,
        "supervisor": row.supervisor,
        "time": row.time.isoformat(),
    }


@dataclass(frozen=True)
class DayReport:
    """The day's figures for one counter (or all), with each counter and operator."""

    day: dt.date
    counter: str | None
    time_zone: str
    total: Figures
    by_counter: dict[str, Figures]
    by_operator: dict[str, Figures]
    closed_counters: dict[str, dict[str, Any] | None]

    @property
    def closed(self) -> bool:
        if self.counter is not None:
            return self.closed_counters.get(self.counter) is not None
        # All counters: closed when every counter that did business that day is closed.
        return bool(self.closed_counters) and all(
            c is not None for c in self.closed_counters.values()
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "counter": self.counter,
            "time_zone": self.time_zone,
            **self.total.to_json(),
            "closed": self.closed,
            "close": self.closed_counters.get(self.counter) if self.counter else None,
            "by_counter": {
                name: {**f.to_json(), "closed": self.closed_counters.get(name) is not None}
                for name, f in self.by_counter.items()
            },
            "by_operator": {name: f.to_json() for name, f in self.by_operator.items()},
        }


def day_report(ctx: ServiceContext, day: dt.date, counter: str | None = None) -> DayReport:
    """报表: the business day ``day`` at ``counter`` (None: every counter)."""
    if counter is not None:
        counter = check_counter_name(counter)
    with ctx.store.session() as session:
        facts = read_facts(session, ctx, day, day).only(counter)
        by_counter = grouped(facts.payments, facts.refunds, facts.services, "counter")
        names = set(by_counter) | ({counter} if counter else set())
        closes = {name: _close_json(latest_close(session, day, name)) for name in names}
    return DayReport(
        day=day,
        counter=counter,
        time_zone=ctx.time_zone.key,
        total=figures(facts.payments, facts.refunds, facts.services),
        by_counter=by_counter,
        by_operator=grouped(facts.payments, facts.refunds, facts.services, "operator"),
        closed_counters=closes,
    )


# ---------------------------------------------------------------------------------------------
# The freeze


def check_open(session: Session, ctx: ServiceContext, moment: dt.datetime) -> None:
    """Refuse when the business day of ``moment`` is closed at this counter.

    Takes this counter's audit head first (its chain's: the lock every writer at this counter
    shares, and a close of its day, wherever made, takes too), so a close and a payment at the
    same moment are one after the other, never both half-way."""
    audit.use_chain(session, ctx.counter)
    audit.lock_head(session)
    day = business_day(moment, ctx.time_zone)
    if is_closed(session, day, ctx.counter):
        raise DayClosed(day=day.isoformat(), counter=ctx.counter)


def check_open_now(ctx: ServiceContext) -> None:
    """The same check in a transaction of its own, before any side effect of a service."""
    with ctx.store.session() as session:
        day = business_day(ctx.clock(), ctx.time_zone)
        if is_closed(session, day, ctx.counter):
            raise DayClosed(day=day.isoformat(), counter=ctx.counter)


# ---------------------------------------------------------------------------------------------
# Close and reopen


@dataclass(frozen=True)
class CloseResult:
    day: dt.date
    counter: str
    action: str
    expected_cash_fen: int | None
    counted_cash_fen: int | None
    difference_fen: int | None
    supervisor: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "counter": self.counter,
            "action": self.action,
            "closed": self.action == "close",
            "expected_cash_fen": self.expected_cash_fen,
            "counted_cash_fen": self.counted_cash_fen,
            "difference_fen": self.difference_fen,
            "supervisor": self.supervisor,
            "note": self.note,
        }


def acting_person(session: Session, who: OperatorInfo, action: Action) -> Person:
    # Re-read at the moment of acting, as the pipeline does: a role changed a second ago counts.
    row = OperatorRows(session).by_id(who.id)
    if row is None or row.name != who.name or not row.active:
        raise OperatorDisabled(name=who.name)
    person = Person(row.name, OperatorInfo.of(row).role, row.active)
    check_maker(action, person)
    return person


def _counter_and_note(
    ctx: ServiceContext, counter: str | None, note: str | None
) -> tuple[str, str]:
    """What a supervisor's close or reopen names, checked before anything is read: the counter
    (this one unless named) and the note (empty unless given)."""
    name = check_counter_name(counter) if counter else ctx.counter
    if note is None or not note.strip():
        return name, ""
    return name, check_plain_text(note.strip(), "note", max_length=500)


def _in_progress(session: Session, counter: str, until: dt.datetime) -> list[str]:
    return CounterRows(session).in_progress(counter, until)


def close_day(
    ctx: ServiceContext,
    supervisor: OperatorInfo,
    day: dt.date,
    counted_cash_fen: int,
    *,
    counter: str | None = None,
    note: str | None = None,
) -> CloseResult:
    """日结: record the counted cash beside the expected and freeze the day at the counter."""
    name, text = _counter_and_note(ctx, counter, note)
    now = ctx.clock()
    if day > business_day(now, ctx.time_zone):
        raise DayInFuture("date", day=day.isoformat())
    with ctx.store.session(name) as session:  # recorded in that counter's chain, under its head
        audit.lock_head(session)
        person = acting_person(session, supervisor, Action.DAY_CLOSE)
        last = latest_close(session, day, name)
        if last is not None and last.action == "close":
            raise DayAlreadyClosed(
                day=day.isoformat(),
                counter=name,
                time=last.time.astimezone(ctx.time_zone).strftime("%Y-%m-%d %H:%M"),
                supervisor=last.supervisor,
            )
        _, until = day_bounds(day, ctx.time_zone)
        busy = _in_progress(session, name, until)
        if busy:
            raise ServicesInProgress(counter=name, count=len(busy), application=busy[0])
        facts = read_facts(session, ctx, day, day).only(name)
        total = figures(facts.payments, facts.refunds, facts.services)
        expected = total.expected_cash_fen
        row = DayCloseRow(
            day=day.isoformat(),
            counter=name,
            action="close",
            expected_cash_fen=expected,
            counted_cash_fen=counted_cash_fen,
            difference_fen=counted_cash_fen - expected,
            figures=json.dumps(total.to_json(), ensure_ascii=False, sort_keys=True),
            note=text,
            supervisor=person.name,
            time=now,
        )
        BackOfficeRows(session).add(row)
        audit.append(
            session,
            operator=person.name,
            action="day.close",
            obj=f"day:{day.isoformat()}:{name}",
            details={
                "expected_cash_fen": expected,
                "counted_cash_fen": counted_cash_fen,
                "difference_fen": counted_cash_fen - expected,
                "net_fen": total.net_fen,
                "note": text,
            },
            time=now,
        )
    return CloseResult(
        day,
        name,
        "close",
        expected,
        counted_cash_fen,
        counted_cash_fen - expected,
        person.name,
        text,
    )


def reopen_day(
    ctx: ServiceContext,
    supervisor: OperatorInfo,
    day: dt.date,
    *,
    counter: str | None = None,
    note: str | None = None,
) -> CloseResult:
    """重开: lift the freeze (a row and an event of its own; the close stays on record)."""
    name, text = _counter_and_note(ctx, counter, note)
    now = ctx.clock()
    with ctx.store.session(name) as session:  # recorded in that counter's chain, under its head
        audit.lock_head(session)
        person = acting_person(session, supervisor, Action.DAY_REOPEN)
        if not is_closed(session, day, name):
            raise DayNotClosed(day=day.isoformat(), counter=name)
        BackOfficeRows(session).add(
            DayCloseRow(
                day=day.isoformat(),
                counter=name,
                action="reopen",
                figures="{}",
                note=text,
                supervisor=person.name,
                time=now,
            )
        )
        audit.append(
            session,
            operator=person.name,
            action="day.reopen",
            obj=f"day:{day.isoformat()}:{name}",
            details={"note": text},
            time=now,
        )
    return CloseResult(day, name, "reopen", None, None, None, person.name, text)


def today(ctx: ServiceContext) -> dt.date:
    return business_day(ctx.clock(), ctx.time_zone)
