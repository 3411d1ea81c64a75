"""The subscriber view: find a subscriber by anything the counter knows them by, and read their
page (certificates, applications, payments and refunds, documents and agents over time).

Read-only; every read is audited with :func:`counter_app.services.certificates.record_read`
(who looked at whom). Search keys: name (part of it), resident ID / USCC / device identity,
agent's ID number, token serial, receipt number, application number.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from counter_app.domain.errors import ValidationError
from counter_app.domain.fields import check_plain_text
from counter_app.services.certificates import CertificateView, record_read, show_certificate
from counter_app.services.context import ServiceContext
from counter_app.store.counter import SubscriberRow
from counter_app.store.counter_repo import CounterRows
from counter_app.store.money_repo import MoneyRows

MAX_HITS = 100


class SearchTooShort(ValidationError):
    code = "search_too_short"
    zh = "请输入至少 2 个字符（姓名、证件号、统一社会信用代码、介质序列号、收据或申请编号）"
    en = (
        "type at least 2 characters (name, ID number, USCC, token serial, receipt or "
        "application number)"
    )


@dataclass(frozen=True)
class SubscriberHit:
    id: int
    kind: str
    name: str
    identity: str
    matched: str  # name | identity | agent | token | receipt | application


@dataclass(frozen=True)
class ApplicationLine:
    id: str
    service: str
    status: str
    certificate_type: str
    key_algorithm: str | None
    clerk: str
    reviewer: str | None
    created_at: dt.datetime
    serial: str | None
    old_serial: str | None
    token_serial: str | None


@dataclass(frozen=True)
class MoneyLine:
    kind: str  # payment | refund
    number: str  # receipt or refund number
    application_id: str
    method: str
    amount_fen: int
    time: dt.datetime
    clerk: str
    note: str = ""


@dataclass(frozen=True)
class DocumentLine:
    application_id: str
    time: dt.datetime
    type: str
    number: str


@dataclass(frozen=True)
class AgentLine:
    application_id: str
    time: dt.datetime
    name: str
    id_number: str
    mobile: str


@dataclass(frozen=True)
class SubscriberPage:
    id: int
    kind: str
    name: str
    identity: str
    details: dict[str, Any]
    certificates: list[CertificateView] = field(default_factory=list)
    applications: list[ApplicationLine] = field(default_factory=list)
    money: list[MoneyLine] = field(default_factory=list)
    documents: list[DocumentLine] = field(default_factory=list)
    agents: list[AgentLine] = field(default_factory=list)


def shown_identity(identity_key: str) -> str:
    """``resident_id:1401…`` -> ``1401…``; ``device:<uscc>:<id>`` -> ``<uscc> <id>``."""
    return identity_key.split(":", 1)[-1].replace(":", " ")


def _hit(row: SubscriberRow, matched: str) -> SubscriberHit:
    return SubscriberHit(row.id, row.kind, row.name, shown_identity(row.identity), matched)


def search_subscribers(ctx: ServiceContext, reader: str, text: str) -> list[SubscriberHit]:
    """Subscribers matching ``text`` by any key, best kind of match first (audited)."""
    text = check_plain_text(text.strip(), "search", max_length=200)
    if len(text) < 2:
        raise SearchTooShort()
    hits: dict[int, SubscriberHit] = {}
    with ctx.store.session() as session:
        for row, matched in CounterRows(session).search_subscribers(text, MAX_HITS):
            hits.setdefault(row.id, _hit(row, matched))
    found = list(hits.values())[:MAX_HITS]
    record_read(
        ctx, reader, "subscriber_search", "subscribers", query_length=len(text), hits=len(found)
    )
    return found


def subscriber_page(ctx: ServiceContext, reader: str, subscriber_id: int) -> SubscriberPage:
    """Everything about one subscriber, newest first (audited as a read of that subscriber)."""
    with ctx.store.session() as session:
        rows = CounterRows(session)
        row = rows.subscriber(subscriber_id)
        if row is None:
            from counter_app.domain.errors import NotFound

            raise NotFound(what_zh="订户", what_en="subscriber", key=str(subscriber_id))
        apps = rows.applications_of(row.id)
        ids = [a.id for a in apps]
        payments = MoneyRows(session).payments_of(ids)
        refunds = MoneyRows(session).refunds_of(ids)
        money = [
            MoneyLine(
                "payment",
                p.receipt_number,
                p.application_id,
                p.method,
                p.fee_fen,
                p.time,
                p.clerk,
                p.waiver_reference or "",
            )
            for p in payments
        ] + [
            MoneyLine(
                "refund",
                r.refund_number,
                r.application_id,
                r.method,
                r.amount_fen,
                r.time,
                r.clerk,
                r.reason,
            )
            for r in refunds
        ]
        money.sort(key=lambda m: m.time, reverse=True)
        documents: list[DocumentLine] = []
        agents: list[AgentLine] = []
        seen_agents: set[tuple[str, str]] = set()
        for app in apps:
            snapshot = json.loads(app.snapshot) if app.snapshot else {}
            data = json.loads(app.data)
            for doc in snapshot.get("documents") or data.get("documents") or []:
                if isinstance(doc, dict):
                    documents.append(
                        DocumentLine(
                            app.id,
                            app.created_at,
                            str(doc.get("type", "")),
                            str(doc.get("number", "")),
                        )
                    )
            agent = (snapshot.get("subscriber") or {}).get("agent")
            if isinstance(agent, dict):
                key = (str(agent.get("name", "")), str(agent.get("id_number", "")))
                if key not in seen_agents:
                    seen_agents.add(key)
                    agents.append(
                        AgentLine(
                            app.id, app.created_at, key[0], key[1], str(agent.get("mobile", ""))
                        )
                    )
        page = SubscriberPage(
            row.id,
            row.kind,
            row.name,
            shown_identity(row.identity),
            json.loads(row.data),
            [],
            [
                ApplicationLine(
                    a.id,
                    a.service,
                    a.status,
                    a.certificate_type,
                    a.key_algorithm,
                    a.clerk,
                    a.reviewer,
                    a.created_at,
                    a.new_serial,
                    a.old_serial,
                    a.token_serial,
                )
                for a in apps
            ],
            money,
            documents,
            agents,
        )
    # Through the certificates service (the signing module's tables are not the counter's).
    serials = list(dict.fromkeys(a.serial for a in page.applications if a.serial))
    views = [show_certificate(ctx, serial) for serial in serials]
    page.certificates.extend(
        sorted((v for v in views if v.status != "pending"), key=lambda v: v.not_after, reverse=True)
    )
    record_read(ctx, reader, "subscriber", f"subscriber:{subscriber_id}")
    return page
