"""The day close PDF and the period report in every format, judged from outside: pdftotext reads
the totals off the PDF, pdffonts says every font is embedded, openpyxl reads the workbook back
and its sums match the JSON."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import openpyxl
import pytest

from counter_app.domain.daybook import InvalidPeriod
from counter_app.services import daybook, reports
from tests.unit.services.conftest import Counter
from tests.unit.services.test_daybook import business


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def fonts_embedded(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    return [line.split()[-5] for line in lines]  # the "emb" column


def test_close_pdf_shows_the_totals_and_the_count(counter: Counter, tmp_path: Path) -> None:
    day = business(counter)
    daybook.close_day(counter.ctx, counter.people["sup1"], day.date, 9900, note="短款一元")
    text = pdftotext(reports.day_close_pdf(counter.ctx, day.date), tmp_path)
    assert "柜台日结报表" in text and "已日结" in text
    for figure in ("¥ 200.00", "¥ 50.00", "¥ 300.00", "¥ 550.00", "¥ 450.00"):
        assert figure in text  # cash, card, transfer, collected, net
    assert "¥ 100.00" in text  # refunded, and the cash expected
    assert "¥ 500.00" in text  # waived
    assert "¥ 99.00" in text and "¥ -1.00" in text  # counted, difference
    assert "短款一元" in text
    assert "受理员" in text and "主管" in text and "签字" in text


def test_close_pdf_embeds_every_font(counter: Counter, tmp_path: Path) -> None:
    day = business(counter)
    pdf = reports.day_close_pdf(counter.ctx, day.date)
    assert set(fonts_embedded(pdf, tmp_path)) == {"yes"}


def test_period_xlsx_sums_match_the_json(counter: Counter, tmp_path: Path) -> None:
    day = business(counter)
    report = reports.period_report(counter.ctx, day.date, day.date, "operator")
    data = report.to_json()
    book = openpyxl.load_workbook(io.BytesIO(reports.to_xlsx(counter.ctx, report)))
    sheet = book["按操作员"]
    header = [c.value for c in sheet[1]]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    groups, total = rows[:-1], rows[-1]
    assert [r[0] for r in groups] == ["clerk1", "clerk2"]
    net = header.index("净收入")
    assert sum(r[net] for r in groups) == pytest.approx(data["total"]["net_fen"] / 100)
    assert total[net] == pytest.approx(450.00)
    refunded = header.index("退款")
    assert total[refunded] == pytest.approx(data["total"]["refunded_fen"] / 100)
    assert isinstance(total[net], int | float) and isinstance(total[header.index("笔数")], int)
    assert sheet.cell(row=2, column=net + 1).number_format.startswith('"¥"#,##0.00')


def test_period_xlsx_days_add_up_to_the_total(counter: Counter) -> None:
    day = business(counter)
    report = reports.period_report(counter.ctx, day.date, day.date, "service")
    book = openpyxl.load_workbook(io.BytesIO(reports.to_xlsx(counter.ctx, report)))
    rows = [[c.value for c in row] for row in book["按日"].iter_rows(min_row=2)]
    assert rows[0][0] == day.date.isoformat()
    assert rows[-1][0] == "合计" and rows[0][1:] == rows[-1][1:]


def test_period_groups_by_service_add_up(counter: Counter) -> None:
    day = business(counter)
    data = reports.period_report(counter.ctx, day.date, day.date, "service").to_json()
    groups = data["groups"]
    assert sum(g["net_fen"] for g in groups.values()) == data["total"]["net_fen"] == 45000
    assert groups["enroll"]["refunded_fen"] == 10000
    assert groups["add_item"]["collected_fen"]["card"] == 5000


def test_period_csv_has_a_line_per_day_and_group_and_a_total(counter: Counter) -> None:
    day = business(counter)
    report = reports.period_report(counter.ctx, day.date, day.date, "certificate-type")
    text = reports.to_csv(report).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["group"] for r in rows[:-1]} == {"individual", "unit", "device"}
    assert rows[-1]["date"] == "total" and rows[-1]["net"] == "450.00"
    assert rows[-1]["waived"] == "500.00"


def test_period_pdf_has_the_chart_and_totals(counter: Counter, tmp_path: Path) -> None:
    day = business(counter)
    report = reports.period_report(counter.ctx, day.date, day.date, "operator")
    pdf = reports.to_pdf(counter.ctx, report)
    text = pdftotext(pdf, tmp_path)
    assert "业务统计报表" in text and "每日收款与退款" in text
    assert "450.00" in text and "clerk1" in text
    assert "收款（元）" in text  # the chart's legend
    assert set(fonts_embedded(pdf, tmp_path)) == {"yes"}


def test_a_period_ending_before_it_starts_is_refused(counter: Counter) -> None:
    day = business(counter)
    with pytest.raises(InvalidPeriod):
        reports.period_report(
            counter.ctx,
            day.date,
            day.date.replace(day=1)
            if day.date.day > 1
            else day.date.replace(year=day.date.year - 1),
        )
