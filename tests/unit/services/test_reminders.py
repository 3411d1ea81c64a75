"""到期提醒 through a real SMTP server on 127.0.0.1 (aiosmtpd): one message per subscriber, the
unit's (and its device's) to the unit's agent, never twice for a certificate and window; and
the list for an SMS campaign read back by csv and openpyxl."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from counter_app.domain.errors import PermissionDenied
from counter_app.services import reminders
from counter_app.store import audit
from counter_app.store.backoffice import ExpiryNoticeRow
from tests.smtp_server import SMTPServer, smtp_server, smtp_tls_server  # noqa: F401  (fixtures)
from tests.unit.services.conftest import Counter, unit, waived_device

AGENT_EMAIL = "lisi@example.cn"


@pytest.fixture
def mail(monkeypatch: pytest.MonkeyPatch, smtp_server: SMTPServer) -> SMTPServer:  # noqa: F811
    monkeypatch.setenv("COUNTER_APP_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("COUNTER_APP_SMTP_FROM", "ra@example.cn")
    return smtp_server


def business(counter: Counter) -> dict[str, str]:
    """张三's certificate, the unit's and the unit's device's, all 25 days from their end."""
    serials = {"zhang": counter.enroll(label="SUB1").serial}
    data: dict[str, Any] = unit()
    data["subscriber"]["agent"]["email"] = AGENT_EMAIL
    serials["unit"] = counter.enroll(data, label="UNIT1").serial
    serials["device"] = counter.enroll(
        waived_device(), label="DEV1", operators=counter.acting(supervisor="sup1")
    ).serial
    counter.clock.advance(days=340)
    return serials


def notices(counter: Counter) -> int:
    with counter.store.session() as session:
        return int(session.execute(select(func.count()).select_from(ExpiryNoticeRow)).scalar_one())


def test_one_message_per_subscriber_to_the_right_person(counter: Counter, mail: SMTPServer) -> None:
    serials = business(counter)
    run = reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30)
    got = {tuple(rcpt): message for rcpt, message in mail.inbox.messages}
    assert set(got) == {("zhangsan@example.cn",), (AGENT_EMAIL,)}
    unit_mail = got[(AGENT_EMAIL,)].get_content()
    assert serials["unit"] in unit_mail and serials["device"] in unit_mail
    assert serials["zhang"] in got[("zhangsan@example.cn",)].get_content()
    assert got[(AGENT_EMAIL,)]["From"] == "ra@example.cn"
    assert "到期提醒" in str(got[(AGENT_EMAIL,)]["Subject"])
    assert len(run.sent) == 2 and notices(counter) == 3


def test_never_twice_for_the_same_certificate_and_window(
    counter: Counter, mail: SMTPServer
) -> None:
    business(counter)
    reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30)
    again = reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30)
    assert len(mail.inbox.messages) == 2
    assert again.sent == []
    assert {s["reason"] for s in again.skipped} == {"already_notified"}


def test_a_shorter_window_reminds_once_more(counter: Counter, mail: SMTPServer) -> None:
    business(counter)
    reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30)
    counter.clock.advance(days=20)
    reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 7)
    assert len(mail.inbox.messages) == 4


def test_dry_run_sends_and_records_nothing(counter: Counter, mail: SMTPServer) -> None:
    business(counter)
    run = reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30, dry_run=True)
    assert len(run.sent) == 2
    assert mail.inbox.messages == [] and notices(counter) == 0


def test_a_mail_server_down_records_nothing(
    counter: Counter, monkeypatch: pytest.MonkeyPatch, mail: SMTPServer
) -> None:
    business(counter)
    monkeypatch.setenv("COUNTER_APP_SMTP_URL", "smtp://127.0.0.1:1")
    with pytest.raises(reminders.SMTPFailed):
        reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30)
    assert notices(counter) == 0


def test_no_mail_server_configured_is_refused(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    business(counter)
    monkeypatch.delenv("COUNTER_APP_SMTP_URL", raising=False)
    with pytest.raises(reminders.SMTPNotConfigured):
        reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30)


def test_a_reviewer_cannot_send_reminders(counter: Counter, mail: SMTPServer) -> None:
    business(counter)
    with pytest.raises(PermissionDenied):
        reminders.notify_expiring(counter.ctx, counter.people["rev1"], 30)


def test_each_notice_is_audited_and_verified(counter: Counter, mail: SMTPServer) -> None:
    business(counter)
    reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30)
    with counter.store.session() as session:
        events = [e for e in audit.iter_events(session) if e.action == "notice.expiring"]
        assert len(events) == 2
        assert audit.verify(session).ok


def test_a_subscriber_without_email_is_listed_as_skipped(
    counter: Counter, mail: SMTPServer
) -> None:
    counter.enroll(unit(), label="UNIT1")  # the example's agent has no e-mail
    counter.clock.advance(days=340)
    run = reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30)
    assert run.sent == [] and run.skipped[0]["reason"] == "no_email"


def test_export_csv_lists_contacts_for_sms(counter: Counter) -> None:
    serials = business(counter)
    items = reminders.expiring(counter.ctx, 30)
    rows = list(
        csv.DictReader(io.StringIO(reminders.export_csv(counter.ctx, items).decode("utf-8-sig")))
    )
    by_serial = {r["serial"]: r for r in rows}
    assert set(by_serial) == set(serials.values())
    assert by_serial[serials["device"]]["mobile"] == "13912345678"  # the owning unit's agent
    assert by_serial[serials["zhang"]]["mobile"] == "13800138000"
    assert by_serial[serials["zhang"]]["days_left"] == "24"


def test_export_xlsx_reads_back(counter: Counter) -> None:
    serials = business(counter)
    items = reminders.expiring(counter.ctx, 30)
    book = openpyxl.load_workbook(io.BytesIO(reminders.export_xlsx(counter.ctx, items)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "serial"
    assert {r[0] for r in rows[1:]} == set(serials.values())
    assert all(isinstance(r[3], int) for r in rows[1:])
    assert all(isinstance(r[8], str) for r in rows[1:])


def test_starttls_is_used_when_the_url_asks_for_it(
    counter: Counter,
    monkeypatch: pytest.MonkeyPatch,
    smtp_tls_server: SMTPServer,  # noqa: F811
) -> None:
    business(counter)
    monkeypatch.setenv("COUNTER_APP_SMTP_URL", smtp_tls_server.url)
    monkeypatch.setenv("COUNTER_APP_SMTP_FROM", "ra@example.cn")
    monkeypatch.setenv("COUNTER_APP_SMTP_CAFILE", str(smtp_tls_server.cafile))
    reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30)
    assert len(smtp_tls_server.inbox.messages) == 2


def test_plain_smtp_to_a_server_that_demands_starttls_fails_cleanly(
    counter: Counter,
    monkeypatch: pytest.MonkeyPatch,
    smtp_tls_server: SMTPServer,  # noqa: F811
) -> None:
    business(counter)
    monkeypatch.setenv("COUNTER_APP_SMTP_URL", f"smtp://127.0.0.1:{smtp_tls_server.port}")
    monkeypatch.setenv("COUNTER_APP_SMTP_FROM", "ra@example.cn")
    with pytest.raises(reminders.SMTPFailed):
        reminders.notify_expiring(counter.ctx, counter.people["clerk1"], 30)
    assert notices(counter) == 0
