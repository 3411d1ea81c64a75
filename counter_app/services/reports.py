"""报表 — the period report (counts and money per group and per day) as JSON, CSV, Excel and PDF,
and the day close's printed report.

Every number is summed from the payments, refunds and applications the service pipeline wrote
(:func:`counter_app.services.daybook.read_facts`); the groups of a report add up to its total,
and its days add up to it too, because each row lands in exactly one group and one day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from counter_app.documents.books import (
    GROUPING_ZH,
    METHOD_ZH,
    DayCloseFacts,
    PeriodFacts,
    render_day_close,
    render_period,
)
from counter_app.domain.daybook import (
    GROUPINGS,
    METHODS,
    Figures,
    check_counter_name,
    days_of,
    figures,
    group_key,
    grouped,
)
from counter_app.domain.errors import ValidationError
from counter_app.domain.fees import SERVICES
from counter_app.services import daybook
from counter_app.services.context import ServiceContext

# The yuan format of every money cell in the .xlsx (Excel's own currency code for ¥).
YUAN_FORMAT = '"¥"#,##0.00;-"¥"#,##0.00'


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


class UnknownGrouping(ValidationError):
    code = "unknown_grouping"
    zh = "无效的分组：{value}（operator、service、certificate-type 或 counter）"
    en = "unknown grouping: {value} (operator, service, certificate-type or counter)"


def service_names(ctx: ServiceContext | None = None) -> dict[str, str]:
    return {**{s.value: s.zh for s in SERVICES}, "batch_renew": "批量更新（收费）"}


def type_names(ctx: ServiceContext) -> dict[str, str]:
    table = ctx.fee_table
    return {code: t.name_zh for code, t in table.types.items()}


@dataclass(frozen=True)
class PeriodReport:
    start: dt.date
    end: dt.date
    by: str
    time_zone: str
    total: Figures
    groups: dict[str, Figures]
    days: dict[dt.date, Figures]
    # (day, group) -> figures: the rows of the CSV and of the Excel detail sheet.
    cells: dict[tuple[dt.date, str], Figures]

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "by": self.by,
            "time_zone": self.time_zone,
            "total": self.total.to_json(),
            "groups": {k: f.to_json() for k, f in self.groups.items()},
            "days": [{"date": d.isoformat(), **f.to_json()} for d, f in self.days.items()],
            "rows": [
                {"date": d.isoformat(), "group": g, **f.to_json()}
                for (d, g), f in self.cells.items()
            ],
        }


def period_report(
    ctx: ServiceContext,
    start: dt.date,
    end: dt.date,
    by: str = "operator",
    counter: str | None = None,
) -> PeriodReport:
    if by not in GROUPINGS:
        raise UnknownGrouping("by", value=by)
    days = days_of(start, end)
    name = check_counter_name(counter) if counter else None
    with ctx.store.session() as session:
        facts = daybook.read_facts(session, ctx, start, end).only(name)
    per_day = {
        d: figures(
            [p for p in facts.payments if p.day == d],
            [r for r in facts.refunds if r.day == d],
            [s for s in facts.services if s.day == d],
        )
        for d in days
    }
    cells: dict[tuple[dt.date, str], Figures] = {}
    for p in facts.payments:
        cells.setdefault((p.day, group_key(p, by)), Figures()).take_payment(p)
    for r in facts.refunds:
        cells.setdefault((r.day, group_key(r, by)), Figures()).take_refund(r)
    for s in facts.services:
        cells.setdefault((s.day, group_key(s, by)), Figures()).take_service(s)
    return PeriodReport(
        start=start,
        end=end,
        by=by,
        time_zone=ctx.time_zone.key,
        total=figures(facts.payments, facts.refunds, facts.services),
        groups=grouped(facts.payments, facts.refunds, facts.services, by),
        days=per_day,
        cells=dict(sorted(cells.items())),
    )


def group_names(ctx: ServiceContext, by: str) -> dict[str, str]:
    if by == "service":
        return service_names(ctx)
    if by == "certificate-type":
        return type_names(ctx)
    return {}


# ---------------------------------------------------------------------------------------------
# Formats

_CSV_HEADER = (
    "date",
    "group",
    "services",
    "rolled_back",
    *(f"collected_{m}" for m in METHODS),
    "collected_total",
    "refunded",
    "waived",
    "net",
)


def _yuan_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _csv_line(date: str, group: str, f: Figures) -> list[str]:
    return [
        date,
        group,
        str(sum(f.services.values())),
        str(f.rolled_back),
        *(_yuan_text(f.collected_fen[m]) for m in METHODS),
        _yuan_text(f.collected_total_fen),
        _yuan_text(f.refunded_fen),
        _yuan_text(f.waived_fen),
        _yuan_text(f.net_fen),
    ]


def to_csv(report: PeriodReport) -> bytes:
    """One line per day and group, amounts in yuan with two decimals, and a total line.

    UTF-8 with a byte-order mark: Excel on Windows opens it as UTF-8 only then."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_CSV_HEADER)
    for (d, g), f in report.cells.items():
        writer.writerow(_csv_line(d.isoformat(), g, f))
    writer.writerow(_csv_line("total", "", report.total))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_rows(
    sheet: Any, header: list[str], rows: list[tuple[list[Any], Figures]], money_from: int
) -> None:
    from openpyxl.styles import Font

    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for leading, f in rows:
        sheet.append(
            [
                *leading,
                sum(f.services.values()),
                f.rolled_back,
                *(f.collected_fen[m] / 100 for m in METHODS),
                f.collected_total_fen / 100,
                f.refunded_fen / 100,
                f.waived_fen / 100,
                f.net_fen / 100,
            ]
        )
    for row in sheet.iter_rows(min_row=2, min_col=money_from):
        for cell in row:
            cell.number_format = YUAN_FORMAT
    for column in sheet.columns:
        letter = column[0].column_letter
        sheet.column_dimensions[letter].width = 14


def to_xlsx(ctx: ServiceContext, report: PeriodReport) -> bytes:
    """An Excel workbook: per group, per day, and per day and group; money cells are numbers of
    yuan in the yuan format, counts are integers."""
    from openpyxl import Workbook

    names = group_names(ctx, report.by)
    label = GROUPING_ZH[report.by]
    amounts = [
        "笔数",
        "回退笔数",
        *(f"收款-{METHOD_ZH[m]}" for m in METHODS),
        "收款合计",
        "退款",
        "减免",
        "净收入",
    ]
    book = Workbook()
    groups = book.active
    groups.title = f"按{label}"
    rows = [([key, names.get(key, key)], f) for key, f in report.groups.items()]
    rows.append((["合计", ""], report.total))
    _sheet_rows(groups, [label, "名称", *amounts], rows, money_from=5)
    days = book.create_sheet("按日")
    day_rows = [([d.isoformat()], f) for d, f in report.days.items()]
    day_rows.append((["合计"], report.total))
    _sheet_rows(days, ["日期", *amounts], day_rows, money_from=4)
    detail = book.create_sheet("明细")
    detail_rows = [([d.isoformat(), g], f) for (d, g), f in report.cells.items()]
    _sheet_rows(detail, ["日期", label, *amounts], detail_rows, money_from=5)
    book.properties.title = f"业务统计报表 {report.start} 至 {report.end}"
    book.properties.creator = "counter-app"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(ctx: ServiceContext, report: PeriodReport) -> bytes:
    data = report.to_json()
    return render_period(
        PeriodFacts(
            ra_name=ra_name(ctx),
            start=data["from"],
            end=data["to"],
            by=report.by,
            time_zone=report.time_zone,
            total=data["total"],
            groups=data["groups"],
            days=[
                (d.isoformat(), f.collected_total_fen, f.refunded_fen, sum(f.services.values()))
                for d, f in report.days.items()
            ],
            group_names=group_names(ctx, report.by),
        )
    )


def ra_name(ctx: ServiceContext) -> str:
    from counter_app.services.documents import _ra_name

    return _ra_name(ctx)


def day_close_pdf(ctx: ServiceContext, day: dt.date, counter: str | None = None) -> bytes:
    """日结报表 for one counter: the day's figures, the till as counted, signature lines."""
    name = check_counter_name(counter) if counter else ctx.counter
    report = daybook.day_report(ctx, day, name)
    data = report.to_json()
    close = data["close"]
    if close is not None:
        close = {**close, "time": dt.datetime.fromisoformat(close["time"])}
    return render_day_close(
        DayCloseFacts(
            ra_name=ra_name(ctx),
            day=data["date"],
            counter=name,
            time_zone=data["time_zone"],
            figures=data,
            by_operator=data["by_operator"],
            close=close,
            service_names=service_names(ctx),
            type_names=type_names(ctx),
        )
    )
