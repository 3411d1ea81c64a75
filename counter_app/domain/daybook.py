"""The counter's books, as pure rules (日结与报表): business days, and how the day's figures are
summed from the payments and refunds the service pipeline recorded.

A business day is a calendar day in the RA's time zone (Asia/Shanghai unless configured). Money
is integer fen; a figure is never computed from another report, always from the rows:

- collected, by method (cash, card, transfer): the fees of the receipts taken that day;
- refunded: the refunds (numbers ``T…``) given back that day, whatever day the receipt was;
- waived: the fees waived that day (a receipt of method ``waiver``: nothing was taken);
- net = collected − refunded; the cash expected in the till = collected cash − refunded cash.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from counter_app.domain.errors import CounterError, ValidationError

DEFAULT_TIME_ZONE = "Asia/Shanghai"
METHODS = ("cash", "card", "transfer")
GROUPINGS = ("operator", "service", "certificate-type", "counter")
# A counter's name: printable, short, no spaces at the ends (it is printed and used as a key).
MAX_COUNTER_LENGTH = 32


class InvalidDate(ValidationError):
    code = "invalid_date"
    zh = "日期无效：{value}（应为 YYYY-MM-DD）"
    en = "invalid date: {value} (expected YYYY-MM-DD)"


class InvalidPeriod(ValidationError):
    code = "invalid_period"
    zh = "期间无效：起始日 {start} 晚于截止日 {end}"
    en = "invalid period: {start} is after {end}"


class PeriodTooLong(ValidationError):
    code = "period_too_long"
    zh = "期间过长：最多 {limit} 天，请分段统计"
    en = "the period is too long: at most {limit} days, report it in parts"


class UnknownTimeZone(CounterError):
    code = "unknown_time_zone"
    zh = "配置的时区无效：{name}（如 Asia/Shanghai）"
    en = "the configured time zone is unknown: {name} (e.g. Asia/Shanghai)"


class InvalidCounterName(ValidationError):
    code = "invalid_counter_name"
    zh = "柜台名称无效：{value}（1 至 32 个字符，不含控制字符）"
    en = "invalid counter name: {value} (1 to 32 characters, no control characters)"


def time_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZone(name=name) from None


def parse_day(value: str, *, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidDate(field, value=value) from None


def configured_counter(extra: Mapping[str, object]) -> str:
    """This counter's name (柜台): ``COUNTER_APP_COUNTER``, or ``counter = "..."`` in
    config.toml (``extra``), or ``main``. It names the counter's audit chain too."""
    name = os.environ.get("COUNTER_APP_COUNTER") or extra.get("counter") or "main"
    return check_counter_name(str(name))


def check_counter_name(value: str) -> str:
    text = value.strip()
    if not text or len(text) > MAX_COUNTER_LENGTH or any(not ch.isprintable() for ch in text):
        raise InvalidCounterName("counter", value=value)
    return text


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The business day's start and end (exclusive) in UTC: midnight to midnight in ``zone``."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def business_day(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    if moment.tzinfo is None:
        raise ValueError("a recorded time is timezone-aware")
    return moment.astimezone(zone).date()


def days_of(start: dt.date, end: dt.date, *, limit: int = 366) -> list[dt.date]:
    if start > end:
        raise InvalidPeriod("from", start=start.isoformat(), end=end.isoformat())
    count = (end - start).days + 1
    if count > limit:
        raise PeriodTooLong("to", limit=limit)
    return [start + dt.timedelta(days=i) for i in range(count)]


# ---------------------------------------------------------------------------------------------
# The rows the figures are made of (read from the store by the services)


@dataclass(frozen=True)
class _Recorded:
    """What every row of the books says: when (its business day), where, who and what."""

    day: dt.date
    counter: str
    operator: str
    service: str
    certificate_type: str


@dataclass(frozen=True)
class _MoneyFact(_Recorded):
    """What a payment and a refund of it both say besides: the receipt and how it was paid."""

    receipt_number: str
    method: str  # cash | card | transfer | waiver | none (a refund: the way the money went back)


@dataclass(frozen=True)
class PaymentFact(_MoneyFact):
    fee_fen: int


@dataclass(frozen=True)
class RefundFact(_MoneyFact):
    refund_number: str
    amount_fen: int


@dataclass(frozen=True)
class ServiceFact(_Recorded):
    """An application recorded that day (a counter service), whatever its fee."""

    application_id: str
    status: str  # in_progress | done | rolled_back


@dataclass
class Figures:
    """Money and counts of one group of rows (a day, a counter, an operator ...)."""

    collected_fen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METHODS, 0))
    refunded_by_method_fen: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(METHODS, 0)
    )
    waived_fen: int = 0
    receipts: int = 0
    refunds: int = 0
    services: Counter[str] = field(default_factory=Counter)
    certificate_types: Counter[str] = field(default_factory=Counter)
    rolled_back: int = 0

    def take_payment(self, fact: PaymentFact) -> None:
        if fact.method in METHODS:
            self.collected_fen[fact.method] += fact.fee_fen
            self.receipts += 1
        elif fact.method == "waiver":
            self.waived_fen += fact.fee_fen
            self.receipts += 1

    def take_refund(self, fact: RefundFact) -> None:
        self.refunded_by_method_fen[fact.method] = (
            self.refunded_by_method_fen.get(fact.method, 0) + fact.amount_fen
        )
        self.refunds += 1

    def take_service(self, fact: ServiceFact) -> None:
        # A service rolled back did not happen; its money shows as collected and refunded.
        if fact.status == "rolled_back":
            self.rolled_back += 1
            return
        self.services[fact.service] += 1
        self.certificate_types[fact.certificate_type] += 1

    @property
    def collected_total_fen(self) -> int:
        return sum(self.collected_fen.values())

    @property
    def refunded_fen(self) -> int:
        return sum(self.refunded_by_method_fen.values())

    @property
    def net_fen(self) -> int:
        return self.collected_total_fen - self.refunded_fen

    @property
    def expected_cash_fen(self) -> int:
        """The cash the till should hold from the day's services."""
        return self.collected_fen["cash"] - self.refunded_by_method_fen.get("cash", 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "collected_fen": dict(self.collected_fen),
            "collected_total_fen": self.collected_total_fen,
            "refunded_fen": self.refunded_fen,
            "refunded_by_method_fen": dict(self.refunded_by_method_fen),
            "waived_fen": self.waived_fen,
            "net_fen": self.net_fen,
            "expected_cash_fen": self.expected_cash_fen,
            "receipts": self.receipts,
            "refunds": self.refunds,
            "services": dict(sorted(self.services.items())),
            "certificate_types": dict(sorted(self.certificate_types.items())),
            "rolled_back": self.rolled_back,
        }


def figures(
    payments: Iterable[PaymentFact],
    refunds: Iterable[RefundFact],
    services: Iterable[ServiceFact],
) -> Figures:
    out = Figures()
    for p in payments:
        out.take_payment(p)
    for r in refunds:
        out.take_refund(r)
    for s in services:
        out.take_service(s)
    return out


def group_key(fact: PaymentFact | RefundFact | ServiceFact, by: str) -> str:
    """The group a row belongs to for a report ``--by``."""
    if by == "operator":
        return fact.operator
    if by == "service":
        return fact.service
    if by == "certificate-type":
        return fact.certificate_type
    if by == "counter":
        return fact.counter
    raise ValueError(f"unknown grouping {by}")


def grouped(
    payments: Iterable[PaymentFact],
    refunds: Iterable[RefundFact],
    services: Iterable[ServiceFact],
    by: str,
) -> dict[str, Figures]:
    """Figures per group; each row lands in exactly one group, so the groups add up."""
    groups: dict[str, Figures] = {}
    for p in payments:
        groups.setdefault(group_key(p, by), Figures()).take_payment(p)
    for r in refunds:
        groups.setdefault(group_key(r, by), Figures()).take_refund(r)
    for s in services:
        groups.setdefault(group_key(s, by), Figures()).take_service(s)
    return dict(sorted(groups.items()))


def signed_yuan(fen: int) -> str:
    """``-1234`` -> ``"-12.34"``; ``123456`` -> ``"1,234.56"`` (a difference may be negative)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def by_day(facts: Iterable[Any]) -> Mapping[dt.date, list[Any]]:
    out: dict[dt.date, list[Any]] = {}
    for fact in facts:
        out.setdefault(fact.day, []).append(fact)
    return out
