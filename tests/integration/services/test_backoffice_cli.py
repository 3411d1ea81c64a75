"""The supervisor's desk through the real CLI on a real counter (SoftHSM token, SQLite): the day
report, the close with the supervisor's sign-in, the freeze, the printed close report and the
period report as Excel."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import openpyxl

from tests.integration.services.conftest import Counter, enroll_unit_and_device, example
from tests.smtp_server import SMTPServer, smtp_server  # noqa: F401  (fixture)


def _enrolled_and_closed(counter: Counter, counted: str = "100.00") -> dict[str, object]:
    counter.enrolled()  # 张三 pays 100.00 cash
    result = counter.run("day", "close", "--counted-cash", counted, env=counter.supervisor_env)
    assert result.returncode == 0, result.stderr
    closed: dict[str, object] = json.loads(result.stdout)
    return closed


def test_report_day_json_has_the_contract_keys(counter: Counter) -> None:
    counter.enrolled()
    result = counter.run("report", "day", "--counter", "main", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for key in ("date", "counter", "collected_fen", "refunded_fen", "waived_fen", "net_fen"):
        assert key in report
    assert report["collected_fen"] == {"cash": 10000, "card": 0, "transfer": 0}
    assert (report["net_fen"], report["services"], report["closed"]) == (
        10000,
        {"enroll": 1},
        False,
    )


def test_day_close_needs_the_supervisors_sign_in(counter: Counter) -> None:
    counter.enrolled()
    result = counter.run("day", "close", "--counted-cash", "100.00")
    assert result.returncode == 2
    assert "COUNTER_APP_SUPERVISOR" in result.stderr


def test_day_close_records_the_difference(counter: Counter) -> None:
    closed = _enrolled_and_closed(counter, "98.50")
    assert closed["expected_cash_fen"] == 10000
    assert (closed["counted_cash_fen"], closed["difference_fen"]) == (9850, -150)
    assert closed["supervisor"] == "supervisor"


def test_a_closed_day_refuses_the_next_paid_service(counter: Counter) -> None:
    _enrolled_and_closed(counter)
    data = example("unit")
    counter.token("UNIT1")
    result = counter.enroll(data, "UNIT1", env={"COUNTER_APP_LANG": "en"})
    assert result.returncode == 2
    assert "is closed at counter main" in result.stderr
    assert "reopen" in result.stderr
    assert "Traceback" not in result.stderr
    assert counter.db("SELECT count(*) FROM payments") == [(1,)]


def test_reopen_lets_the_counter_take_money_again(counter: Counter) -> None:
    closed = _enrolled_and_closed(counter)
    result = counter.run(
        "day",
        "reopen",
        "--date",
        str(closed["date"]),
        "--note",
        "迟到的缴费",
        env=counter.supervisor_env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["closed"] is False
    report = json.loads(counter.run("report", "day", "--json").stdout)
    assert report["closed"] is False


def test_print_day_close_has_the_totals(counter: Counter, tmp_path: Path) -> None:
    closed = _enrolled_and_closed(counter, "100.00")
    out = tmp_path / "close.pdf"
    result = counter.run(
        "print", "day-close", str(closed["date"]), "--counter", "main", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "柜台日结报表" in text and "已日结" in text
    assert "¥ 100.00" in text and "¥ 0.00" in text  # collected and expected; the difference


def test_report_period_xlsx_sums_match_the_json(counter: Counter, tmp_path: Path) -> None:
    counter.enrolled()
    today = json.loads(counter.run("report", "day", "--json").stdout)["date"]
    out = tmp_path / "period.xlsx"
    args = ("report", "period", "--from", today, "--to", today, "--by", "service")
    result = counter.run(*args, "--format", "xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(counter.run(*args, "--format", "json").stdout)
    book = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    total = [c.value for c in sheet[sheet.max_row]]
    assert total[0] == "合计"
    assert total[header.index("净收入")] * 100 == data["total"]["net_fen"] == 10000


def test_audit_verify_covers_the_close(counter: Counter) -> None:
    _enrolled_and_closed(counter)
    assert counter.run("audit", "verify").returncode == 0
    counter.db("UPDATE day_closes SET counted_cash_fen = 99999")
    result = counter.run("audit", "verify")
    assert result.returncode == 1
    assert "day_closes row 1" in result.stderr


def test_a_bad_amount_is_one_line_and_exit_2(counter: Counter) -> None:
    result = counter.run("day", "close", "--counted-cash", "12.345", env=counter.supervisor_env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


# --- expiry reminders ------------------------------------------------------------------------


def _mail_env(server: SMTPServer) -> dict[str, str]:
    return {"COUNTER_APP_SMTP_URL": server.url, "COUNTER_APP_SMTP_FROM": "ra@example.cn"}


def test_notify_expiring_sends_once_through_the_smtp_server(
    short_lived: Counter,
    smtp_server: SMTPServer,  # noqa: F811
) -> None:
    enrolled = short_lived.enrolled()
    args = ("notify", "expiring", "--days", "30")
    first = short_lived.run(*args, env=_mail_env(smtp_server))
    assert first.returncode == 0, first.stderr
    second = short_lived.run(*args, env=_mail_env(smtp_server))
    assert second.returncode == 0, second.stderr
    [(rcpt, message)] = smtp_server.inbox.messages
    assert rcpt == ["zhangsan@example.cn"]
    assert enrolled["serial"] in message.get_content()
    assert json.loads(second.stdout)["sent"] == []
    assert short_lived.db("SELECT count(*) FROM expiry_notices") == [(1,)]


def test_notify_expiring_dry_run_sends_nothing(
    short_lived: Counter,
    smtp_server: SMTPServer,  # noqa: F811
) -> None:
    short_lived.enrolled()
    result = short_lived.run(
        "notify", "expiring", "--days", "30", "--dry-run", env=_mail_env(smtp_server)
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sent"][0]["recipient"] == "zhangsan@example.cn"
    assert smtp_server.inbox.messages == []
    assert short_lived.db("SELECT count(*) FROM expiry_notices") == [(0,)]


def test_cert_list_expiring_exports_xlsx(short_lived: Counter, tmp_path: Path) -> None:
    enrolled = short_lived.enrolled()
    out = tmp_path / "expiring.xlsx"
    result = short_lived.run(
        "cert", "list", "--expiring", "30", "--format", "xlsx", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[1][0] == enrolled["serial"] and rows[1][8] == "13800138000"


def test_cert_list_expiring_exports_csv_to_stdout(short_lived: Counter) -> None:
    enrolled = short_lived.enrolled()
    result = short_lived.run("cert", "list", "--expiring", "30", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["serial"] for r in rows] == [enrolled["serial"]]


# --- token stock -----------------------------------------------------------------------------


def _token_serial(counter: Counter, label: str) -> str:
    listing = counter.softhsm.pkcs11_tool("-L").stdout
    block = listing.split(f"token label        : {label}")[1]
    return block.split("serial num         : ")[1].split()[0]


def _receive(counter: Counter, *serials: str) -> None:
    path = counter.tmp / "serials.txt"
    path.write_text("\n".join(serials) + "\n", encoding="utf-8")
    result = counter.run(
        "stock", "receive", "--serials", str(path), "--batch", "B1", env=counter.supervisor_env
    )
    assert result.returncode == 0, result.stderr


def test_stock_receive_list_and_mark(counter: Counter) -> None:
    _receive(counter, "SN-A", "SN-B")
    result = counter.run("stock", "mark", "SN-B", "faulty")
    assert result.returncode == 0, result.stderr
    listing = json.loads(counter.run("stock", "list", "--json").stdout)
    assert listing["levels"]["in-stock"] == 1 and listing["levels"]["faulty"] == 1
    assert listing["low"] is True
    only = json.loads(counter.run("stock", "list", "--status", "faulty", "--json").stdout)
    assert [t["serial"] for t in only["tokens"]] == ["SN-B"]


def test_enroll_takes_the_token_from_stock_with_the_media_fee(counter: Counter) -> None:
    label = counter.token("SUB1")
    _receive(counter, _token_serial(counter, label))
    data = example("individual")
    data["payment"]["tendered"] = "200.00"
    result = counter.enroll(data, label)
    assert result.returncode == 0, result.stderr
    enrolled = json.loads(result.stdout)
    assert (enrolled["fee_fen"], enrolled["change_fen"]) == (16000, 4000)
    listing = json.loads(counter.run("stock", "list", "--json").stdout)
    assert listing["tokens"][0]["status"] == "issued"
    assert listing["tokens"][0]["application_id"] == enrolled["application_id"]


def test_enroll_on_a_token_not_in_stock_is_refused(counter: Counter) -> None:
    _receive(counter, "SN-OTHER")
    label = counter.token("SUB1")
    result = counter.enroll(example("individual"), label, env={"COUNTER_APP_LANG": "en"})
    assert result.returncode == 2
    assert "is not in stock" in result.stderr and "--own-token" in result.stderr
    own = counter.enroll(example("individual"), label, "--own-token")
    assert own.returncode == 0, own.stderr
    assert json.loads(own.stdout)["fee_fen"] == 10000


# --- batch renewal ---------------------------------------------------------------------------


def _batch_file(counter: Counter, entries: list[dict[str, str]]) -> str:
    path = counter.tmp / "batch.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return str(path)


def test_renew_batch_takes_one_payment_and_renews_each(short_lived: Counter) -> None:
    serials = enroll_unit_and_device(short_lived)
    batch = _batch_file(
        short_lived, [{"serial": s, "token_label": label} for label, s in serials.items()]
    )
    module = short_lived.softhsm.module
    result = short_lived.run("renew", "--batch", batch, "--module", module, "--method", "card")
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    assert done["fee_fen"] == 25000 + 40000 and done["refunded_fen"] == 0
    assert [c["result"] for c in done["certificates"]] == ["renewed", "renewed"]
    receipts = short_lived.db("SELECT count(*) FROM payments WHERE service = 'batch_renew'")
    assert receipts == [(1,)]
    for old in serials.values():
        shown = json.loads(short_lived.run("cert", "show", old).stdout)
        assert shown["reason"] == "superseded"


def test_renew_batch_refunds_only_the_failed_share(short_lived: Counter) -> None:
    serials = enroll_unit_and_device(short_lived)
    entries = [
        {"serial": serials["UNIT1"], "token_label": "UNIT1"},
        {"serial": serials["DEV1"], "token_label": "NOT-INSERTED"},
    ]
    module = short_lived.softhsm.module
    result = short_lived.run(
        "renew",
        "--batch",
        _batch_file(short_lived, entries),
        "--module",
        module,
        "--method",
        "cash",
        "--tendered",
        "700.00",
    )
    assert result.returncode == 3, result.stderr
    done = json.loads(result.stdout)
    assert [c["result"] for c in done["certificates"]] == ["renewed", "failed"]
    assert done["refunded_fen"] == 40000 and done["change_fen"] == 5000
    assert short_lived.db("SELECT amount_fen, method FROM refunds") == [(40000, "cash")]
    report = json.loads(short_lived.run("report", "day", "--json").stdout)
    assert report["expected_cash_fen"] == 65000 - 40000
