"""到期提醒 — expiry reminders by e-mail, and the list of expiring certificates for an SMS
campaign (CSV or Excel).

One e-mail per subscriber (a unit's, and a unit's device's, goes to the unit's handling agent as
the RA holds them now) lists every one of their certificates that expires within the window.
A certificate is reminded at most once per window (``expiry_notices`` has one row per
certificate and window, unique): the row and its audit event are written in the transaction
that sends the mail, so a mail that could not be sent leaves no row, and a second run (or a
second counter at the same moment, which waits for ``audit.lock_shared``) finds the row and
sends nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from counter_app.domain.errors import ConfigError, CounterError
from counter_app.domain.policy import Action
from counter_app.services.certificates import CertificateView, list_certificates
from counter_app.services.context import ServiceContext
from counter_app.services.daybook import acting_person
from counter_app.services.operators import OperatorInfo
from counter_app.store import audit
from counter_app.store.backoffice import ExpiryNoticeRow
from counter_app.store.backoffice_repo import BackOfficeRows
from counter_app.store.counter_repo import CounterRows

log = logging.getLogger(__name__)
SMTP_TIMEOUT_S = 30


class SMTPNotConfigured(CounterError):
    code = "smtp_not_configured"
    zh = "未配置发信服务器：请设置 COUNTER_APP_SMTP_URL（smtp://主机:端口 或 smtp+starttls://主机:端口）和 COUNTER_APP_SMTP_FROM"
    en = (
        "no mail server is configured: set COUNTER_APP_SMTP_URL (smtp://host:port or "
        "smtp+starttls://host:port) and COUNTER_APP_SMTP_FROM"
    )


class SMTPFailed(CounterError):
    code = "smtp_failed"
    zh = "发信失败（{server}）：{detail}；已发送的提醒已记录，未发送的下次运行时重发"
    en = (
        "sending mail failed ({server}): {detail}; the reminders already sent are recorded, "
        "the others will be sent by the next run"
    )


# ---------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class SMTPSettings:
    host: str
    port: int
    starttls: bool
    sender: str
    # A CA file to trust for STARTTLS (a private mail relay); the system's store otherwise.
    cafile: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def of(cls, ctx: ServiceContext) -> SMTPSettings:
        """From COUNTER_APP_SMTP_URL / COUNTER_APP_SMTP_FROM, or smtp_url / smtp_from in
        config.toml. A password (COUNTER_APP_SMTP_PASSWORD) only ever comes from the
        environment."""
        extra = ctx.config.extra
        url = os.environ.get("COUNTER_APP_SMTP_URL") or str(extra.get("smtp_url") or "")
        sender = os.environ.get("COUNTER_APP_SMTP_FROM") or str(extra.get("smtp_from") or "")
        if not url or not sender:
            raise SMTPNotConfigured()
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls") or not parts.hostname:
            raise ConfigError(detail=f"COUNTER_APP_SMTP_URL: expected smtp://host:port, got {url}")
        try:
            port = parts.port or 25
        except ValueError:
            raise ConfigError(detail=f"COUNTER_APP_SMTP_URL: bad port in {url}") from None
        cafile = os.environ.get("COUNTER_APP_SMTP_CAFILE") or extra.get("smtp_cafile")
        return cls(
            host=parts.hostname,
            port=port,
            starttls=parts.scheme == "smtp+starttls",
            sender=sender,
            cafile=str(cafile) if cafile else None,
            username=os.environ.get("COUNTER_APP_SMTP_USER") or None,
            password=os.environ.get("COUNTER_APP_SMTP_PASSWORD") or None,
        )


# ---------------------------------------------------------------------------------------------
# Who is reminded of what


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None
    mobile: str | None


@dataclass(frozen=True)
class Expiring:
    certificate: CertificateView
    contact: Contact | None
    days_left: int


def _contact(session: Session, subscriber_id: int | None) -> Contact | None:
    rows = CounterRows(session)
    row = rows.subscriber(subscriber_id) if subscriber_id else None
    if row is None:
        return None
    data = json.loads(row.data)
    if row.kind == "device":
        # A device's reminders go to its owning unit's handling agent.
        owner = rows.subscriber_by_identity("unit", f"uscc:{data.get('owner_uscc')}")
        if owner is None:
            return None
        data = json.loads(owner.data)
    person = data.get("agent", data)
    return Contact(
        name=str(person.get("name") or row.name),
        email=person.get("email") or None,
        mobile=person.get("mobile") or None,
    )


def expiring(ctx: ServiceContext, days: int) -> list[Expiring]:
    """Live certificates (active or on hold) whose term ends within ``days``, soonest first."""
    now = ctx.clock()
    views = list_certificates(ctx, expiring_within_days=days, limit=100_000)
    with ctx.store.session() as session:
        return [
            Expiring(v, _contact(session, v.subscriber_id), max(0, (v.not_after - now).days))
            for v in views
        ]


def _notified(session: Session, serials: Iterable[str], days: int) -> set[str]:
    return BackOfficeRows(session).notified(days, serials)


# ---------------------------------------------------------------------------------------------
# The mail


def compose(
    ctx: ServiceContext, settings: SMTPSettings, contact: Contact, items: list[Expiring]
) -> EmailMessage:
    from counter_app.services.reports import ra_name

    zone = ctx.time_zone
    ra = ra_name(ctx)
    lines = [f"{contact.name}：您好！", "", "您在本中心办理的下列数字证书即将到期："]
    for item in items:
        cert = item.certificate
        end = cert.not_after.astimezone(zone).strftime("%Y-%m-%d")
        lines.append(
            f"  · {cert.subscriber_name or ''} 证书序列号 {cert.serial}，{end} 到期（剩余 {item.days_left} 天）"
        )
    lines += [
        "",
        "请在到期前携带有效证件和证书介质到柜台办理证书更新，以免影响使用。",
        "",
        ra,
    ]
    message = EmailMessage()
    message["Subject"] = f"【{ra}】数字证书到期提醒"
    message["From"] = settings.sender
    message["To"] = str(contact.email)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content("\n".join(lines), charset="utf-8")
    return message


def _connect(settings: SMTPSettings) -> smtplib.SMTP:
    client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_S)
    if settings.starttls:
        context = ssl.create_default_context(cafile=settings.cafile)
        client.starttls(context=context)
    if settings.username and settings.password:
        client.login(settings.username, settings.password)
    return client


@dataclass
class NoticeRun:
    days: int
    dry_run: bool
    sent: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _by_recipient(items: list[Expiring], run: NoticeRun) -> dict[str, list[Expiring]]:
    groups: dict[str, list[Expiring]] = {}
    for item in items:
        if item.contact is None or not item.contact.email:
            run.skipped.append({"serial": item.certificate.serial, "reason": "no_email"})
            continue
        groups.setdefault(item.contact.email.lower(), []).append(item)
    return groups


def notify_expiring(
    ctx: ServiceContext, operator: OperatorInfo, days: int, *, dry_run: bool = False
) -> NoticeRun:
    """Send one reminder per subscriber for the certificates not yet reminded in this window."""
    with ctx.store.session() as session:
        acting_person(session, operator, Action.NOTIFY_EXPIRING)
    settings = None if dry_run else SMTPSettings.of(ctx)
    run = NoticeRun(days, dry_run)
    items = expiring(ctx, days)
    with ctx.store.session() as session:
        done = _notified(session, (i.certificate.serial for i in items), days)
    fresh = []
    for item in items:
        if item.certificate.serial in done:
            run.skipped.append({"serial": item.certificate.serial, "reason": "already_notified"})
        else:
            fresh.append(item)
    for recipient, group in _by_recipient(fresh, run).items():
        serials = [i.certificate.serial for i in group]
        entry = {"recipient": recipient, "serials": serials}
        if settings is None:
            run.sent.append({**entry, "message_id": None})
            continue
        sent = _send_one(ctx, settings, operator.name, days, group)
        if sent is None:
            run.skipped.extend({"serial": s, "reason": "already_notified"} for s in serials)
        else:
            run.sent.append({**entry, "serials": sent[1], "message_id": sent[0]})
    return run


def _send_one(
    ctx: ServiceContext, settings: SMTPSettings, operator: str, days: int, group: list[Expiring]
) -> tuple[str, list[str]] | None:
    """Record and send one reminder in one transaction; None if another run sent it first."""
    now = ctx.clock()
    with ctx.store.session() as session:
        audit.lock_shared(session)
        already = _notified(session, (i.certificate.serial for i in group), days)
        group = [i for i in group if i.certificate.serial not in already]
        if not group:
            return None
        contact = group[0].contact
        assert contact is not None and contact.email
        message = compose(ctx, settings, contact, group)
        message_id = str(message["Message-ID"])
        BackOfficeRows(session).add(
            *(
                ExpiryNoticeRow(
                    serial=item.certificate.serial,
                    window_days=days,
                    recipient=contact.email,
                    subscriber_id=item.certificate.subscriber_id,
                    message_id=message_id,
                    operator=operator,
                    sent_at=now,
                )
                for item in group
            )
        )
        serials = [i.certificate.serial for i in group]
        audit.append(
            session,
            operator=operator,
            action="notice.expiring",
            obj=f"notice:{message_id}",
            details={"recipient": contact.email, "serials": serials, "window_days": days},
            time=now,
        )
        # Sent while the rows are held: a failure rolls them back, so the next run retries.
        try:
            with _connect(settings) as client:
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise SMTPFailed(
                server=settings.server, detail=str(exc) or type(exc).__name__
            ) from None
        log.info("sent expiry reminder %s for %d certificates", message_id, len(serials))
    return message_id, serials


# ---------------------------------------------------------------------------------------------
# The list for SMS campaigns

EXPORT_HEADER = (
    "serial",
    "status",
    "not_after",
    "days_left",
    "subscriber",
    "subscriber_kind",
    "certificate_type",
    "contact",
    "mobile",
    "email",
)


def _export_row(ctx: ServiceContext, item: Expiring) -> list[Any]:
    cert, contact = item.certificate, item.contact
    return [
        cert.serial,
        cert.status,
        cert.not_after.astimezone(ctx.time_zone).date().isoformat(),
        item.days_left,
        cert.subscriber_name or "",
        cert.subscriber_kind or "",
        cert.certificate_type or "",
        contact.name if contact else "",
        (contact.mobile or "") if contact else "",
        (contact.email or "") if contact else "",
    ]


def export_csv(ctx: ServiceContext, items: list[Expiring]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for item in items:
        writer.writerow(_export_row(ctx, item))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(ctx: ServiceContext, items: list[Expiring]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "到期证书"
    sheet.append(list(EXPORT_HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item in items:
        row = _export_row(ctx, item)
        row[2] = dt.date.fromisoformat(row[2])
        sheet.append(row)
    for cell in sheet["C"][1:]:
        cell.number_format = "yyyy-mm-dd"
    # Mobile numbers are text: Excel would otherwise show 13800138000 as 1.38E+10.
    for cell in sheet["I"][1:]:
        cell.number_format = "@"
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
