"""The supervisor's desk, headless: ``report day|period``, ``day close|reopen`` (and, through
``print day-close``, the close report).

Success prints JSON (``--json``) or a few lines for the supervisor; refusals print one line on
stderr (see ``counter_app.cli.main``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from counter_app.cli.admin import sign_in
from counter_app.cli.context import AppContext, read_name, read_secret
from counter_app.cli.options import FILE_PATH, out_option, pass_app
from counter_app.domain.daybook import GROUPINGS, METHODS, parse_day, signed_yuan
from counter_app.domain.fees import parse_yuan
from counter_app.services import operators
from counter_app.services.context import ServiceContext
from counter_app.services.operators import OperatorInfo


def desk_context(app: AppContext) -> ServiceContext:
    """The back office writes the counter's books only; it reads certificates (expiry, status)
    through the signing module's records, never its keys."""
    from counter_app.cli.counter import reading_context

    return reading_context(app)


def supervisor_sign_in(app: AppContext) -> OperatorInfo:
    """The supervisor acting, from COUNTER_APP_SUPERVISOR / COUNTER_APP_SUPERVISOR_PASSWORD."""
    name = read_name("COUNTER_APP_SUPERVISOR", "主管名", "supervisor name")
    return operators.authenticate(app.store(), name, read_secret("COUNTER_APP_SUPERVISOR_PASSWORD"))


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def _day(ctx: ServiceContext, value: str | None) -> dt.date:
    from counter_app.services.daybook import today

    return parse_day(value) if value else today(ctx)


def _zh(app: AppContext) -> bool:
    return app.lang.lower().startswith("zh")


@click.group("report")
def report_group() -> None:
    """Reports (报表): the day's figures and a period's."""


@report_group.command("day")
@click.option("--date", "date", default=None, help="Business day YYYY-MM-DD (default: today).")
@click.option("--counter", default=None, help="Counter name (default: every counter).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def report_day(app: AppContext, date: str | None, counter: str | None, as_json: bool) -> None:
    """日报: collected by method, refunds, waivers, net, counts by service, per counter and
    operator."""
    from counter_app.services.daybook import day_report

    sign_in(app)
    ctx = desk_context(app)
    data = day_report(ctx, _day(ctx, date), counter).to_json()
    if as_json:
        _emit(data)
        return
    zh = _zh(app)
    where = data["counter"] or ("全部柜台" if zh else "all counters")
    state = ("已日结" if zh else "closed") if data["closed"] else ("未日结" if zh else "open")
    click.echo(f"{data['date']} {where} ({data['time_zone']}): {state}")
    _print_figures(data, zh, "  ")
    for name, figures in data["by_operator"].items():
        click.echo(f"  {'操作员' if zh else 'operator'} {name}:")
        _print_figures(figures, zh, "    ")


def _print_figures(f: dict[str, Any], zh: bool, indent: str) -> None:
    labels = {"cash": "现金", "card": "刷卡", "transfer": "转账"} if zh else {m: m for m in METHODS}
    collected = "  ".join(f"{labels[m]} {signed_yuan(f['collected_fen'][m])}" for m in METHODS)
    click.echo(f"{indent}{'收款' if zh else 'collected'}: {collected}")
    click.echo(
        f"{indent}{'退款' if zh else 'refunded'} {signed_yuan(f['refunded_fen'])}  "
        f"{'减免' if zh else 'waived'} {signed_yuan(f['waived_fen'])}  "
        f"{'净收入' if zh else 'net'} {signed_yuan(f['net_fen'])}  "
        f"{'应有现金' if zh else 'expected cash'} {signed_yuan(f['expected_cash_fen'])}"
    )
    services = ", ".join(f"{k} {v}" for k, v in f["services"].items()) or "-"
    click.echo(f"{indent}{'业务' if zh else 'services'}: {services}")


@report_group.command("period")
@click.option("--from", "start", required=True, help="First business day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last business day, YYYY-MM-DD.")
@click.option("--by", type=click.Choice(GROUPINGS), default="operator", show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "xlsx", "pdf"]),
    default="json",
    show_default=True,
)
@click.option("--counter", default=None, help="Only this counter.")
@out_option("File to write (json and csv go to stdout without it).")
@pass_app
def report_period(
    app: AppContext,
    start: str,
    end: str,
    by: str,
    fmt: str,
    counter: str | None,
    out: Path | None,
) -> None:
    """期间报表: counts and money per group and per day (json, csv, xlsx, pdf with a chart)."""
    from counter_app.cli.options import check_export_out, deliver
    from counter_app.services import reports

    first, last = parse_day(start, field="from"), parse_day(end, field="to")
    check_export_out(fmt, out, "xlsx", "pdf")
    sign_in(app)
    ctx = desk_context(app)
    report = reports.period_report(ctx, first, last, by, counter)
    if fmt == "json":
        data = json.dumps(report.to_json(), ensure_ascii=False).encode("utf-8") + b"\n"
    elif fmt == "csv":
        data = reports.to_csv(report)
    elif fmt == "xlsx":
        data = reports.to_xlsx(ctx, report)
    else:
        data = reports.to_pdf(ctx, report)
    deliver(out, data)


@click.group("day")
def day_group() -> None:
    """The business day (营业日): close (日结) and reopen."""


@day_group.command("close")
@click.option("--date", "date", default=None, help="Business day YYYY-MM-DD (default: today).")
@click.option("--counter", default=None, help="Counter name (default: this counter).")
@click.option("--counted-cash", required=True, help="Cash counted in the till, yuan (1234.00).")
@click.option("--note", default=None, help="A note on the difference, if any.")
@pass_app
def day_close(
    app: AppContext, date: str | None, counter: str | None, counted_cash: str, note: str | None
) -> None:
    """日结: the supervisor (COUNTER_APP_SUPERVISOR) records the counted cash and freezes the
    day at the counter."""
    from counter_app.services.daybook import close_day

    counted = parse_yuan(counted_cash, field="counted_cash")
    ctx = desk_context(app)
    day = _day(ctx, date)
    supervisor = supervisor_sign_in(app)
    _emit(close_day(ctx, supervisor, day, counted, counter=counter, note=note).to_json())


@day_group.command("reopen")
@click.option("--date", "date", required=True, help="Business day YYYY-MM-DD.")
@click.option("--counter", default=None, help="Counter name (default: this counter).")
@click.option("--note", default=None, help="Why the day is reopened.")
@pass_app
def day_reopen(app: AppContext, date: str, counter: str | None, note: str | None) -> None:
    """重开: the supervisor lifts a day's freeze (audited; the close stays on record)."""
    from counter_app.services.daybook import reopen_day

    ctx = desk_context(app)
    day = parse_day(date)
    supervisor = supervisor_sign_in(app)
    _emit(reopen_day(ctx, supervisor, day, counter=counter, note=note).to_json())


@click.group("notify")
def notify_group() -> None:
    """Reminders (提醒) to subscribers."""


@notify_group.command("expiring")
@click.option("--days", type=click.IntRange(1, 3660), required=True, help="Window in days.")
@click.option("--dry-run", is_flag=True, help="List what would be sent; send and record nothing.")
@pass_app
def notify_expiring(app: AppContext, days: int, dry_run: bool) -> None:
    """到期提醒: one e-mail per subscriber (a unit's agent) for certificates expiring within
    DAYS, through COUNTER_APP_SMTP_URL; never twice for a certificate and window."""
    from counter_app.services.reminders import notify_expiring as run

    operator = sign_in(app)
    _emit(run(desk_context(app), operator, days, dry_run=dry_run).to_json())


@click.group("stock")
def stock_group() -> None:
    """Token stock (介质库存): receive, list, mark."""


@stock_group.command("receive")
@click.option(
    "--serials",
    "serials_file",
    required=True,
    type=FILE_PATH,
    help="File of token serials, one a line.",
)
@click.option("--batch", required=True, help="Delivery or batch reference.")
@pass_app
def stock_receive(app: AppContext, serials_file: Path, batch: str) -> None:
    """入库: the supervisor (COUNTER_APP_SUPERVISOR) takes a batch of blank tokens into stock."""
    from counter_app.cli.counter import BadInputFile
    from counter_app.services import stock

    try:
        text = serials_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputFile("serials", path=str(serials_file), detail=str(exc)) from None
    serials = stock.parse_serials(text)
    supervisor = supervisor_sign_in(app)
    ctx = desk_context(app)
    received = stock.receive(ctx, supervisor, serials, batch)
    _emit({"batch": batch, "received": len(received), "levels": stock.levels(ctx)})


@stock_group.command("list")
@click.option("--status", type=click.Choice(["in-stock", "issued", "returned", "faulty", "lost"]))
@click.option("--json", "as_json", is_flag=True)
@pass_app
def stock_list(app: AppContext, status: str | None, as_json: bool) -> None:
    """The tokens on record, with the levels per status and the low-stock warning."""
    from counter_app.services import stock

    sign_in(app)
    ctx = desk_context(app)
    tokens = stock.list_stock(ctx, status)
    levels = stock.levels(ctx)
    threshold = stock.low_threshold(ctx)
    # Only an RA that keeps stock (any token received) is warned.
    low = sum(levels.values()) > 0 and levels["in-stock"] < threshold
    if as_json:
        _emit(
            {
                "tokens": [t.to_json() for t in tokens],
                "levels": levels,
                "low_threshold": threshold,
                "low": low,
            }
        )
        return
    for t in tokens:
        click.echo(f"{t.serial}\t{t.status}\t{t.batch}\t{t.application_id or ''}")
    zh = _zh(app)
    names = _STOCK_ZH if zh else {}
    summary = "  ".join(f"{names.get(k, k)} {v}" for k, v in levels.items())
    click.echo(("库存：" if zh else "stock: ") + summary)
    if low:
        click.echo(
            f"在库介质不足 {threshold} 枚，请及时补货"
            if zh
            else f"fewer than {threshold} tokens in stock: order more",
            err=True,
        )


_STOCK_ZH = {
    "in-stock": "在库",
    "issued": "已发放",
    "returned": "已退回",
    "faulty": "故障",
    "lost": "遗失",
}


@stock_group.command("mark")
@click.argument("serial")
@click.argument("status", type=click.Choice(["faulty", "lost", "returned"]))
@pass_app
def stock_mark(app: AppContext, serial: str, status: str) -> None:
    """登记: a token faulty, lost, or returned."""
    from counter_app.services import stock

    operator = sign_in(app)
    _emit(stock.mark(desk_context(app), operator, serial, status).to_json())


def register(group: click.Group) -> None:
    for command in (report_group, day_group, notify_group, stock_group):
        group.add_command(command)
