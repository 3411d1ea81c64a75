"""``print receipt|application|agreement|change-form ID --out FILE.pdf``: the printed documents,
headless. The PDF is made in full before anything is written, then moved into place, so a
refusal leaves no file and a crash leaves no half-written one.
"""

from __future__ import annotations

from pathlib import Path

import click

from counter_app.cli.admin import sign_in
from counter_app.cli.context import AppContext
from counter_app.cli.counter import reading_context
from counter_app.cli.options import check_out, deliver, out_option, pass_app
from counter_app.services.certificates import record_read
from counter_app.services.documents import DocumentKind, render

# The day close report (日结报表) is printed by business day and counter, not by a number.
DAY_CLOSE = "day-close"


@click.command("print")
@click.argument("kind", type=click.Choice([*(k.value for k in DocumentKind), DAY_CLOSE]))
@click.argument("key", metavar="ID")
@out_option("The PDF to write (A4).", required=True)
@click.option("--counter", default=None, help="day-close: the counter (default: this one).")
@pass_app
def print_cmd(app: AppContext, kind: str, key: str, out: Path, counter: str | None) -> None:
    """Print a document as PDF: a receipt by its receipt number, the others by application id.

    \b
    receipt      收费凭证
    application  证书申请（更新）表
    agreement    协议签署记录
    change-form  证书变更、挂起、解挂、吊销表
    day-close    柜台日结报表 (ID: the business day YYYY-MM-DD; --counter)
    """
    check_out(out)
    reader = sign_in(app)
    ctx = reading_context(app)  # the signing module's records, never its keys
    if kind == DAY_CLOSE:
        from counter_app.domain.daybook import parse_day
        from counter_app.services.reports import day_close_pdf

        deliver(out, day_close_pdf(ctx, parse_day(key), counter))
        return
    data = render(ctx, kind, key)
    record_read(ctx, reader.name, "document", f"{kind}:{key}")
    deliver(out, data)


def register(group: click.Group) -> None:
    group.add_command(print_cmd)
