"""The back office's printed reports: the day close (日结报表) with signature lines for the clerk
and the supervisor, and the period report (业务统计报表) with a bar chart per day.

Same page, font and rules as the counter's documents (:mod:`counter_app.documents.layout`): A4,
the one embedded CJK font for every character, digits too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from counter_app.documents.fonts import register_cjk_font
from counter_app.documents.layout import (
    BODY_WIDTH,
    Page,
    build_pdf,
    china_time,
    field_table,
    grid_table,
    para,
    section,
    signature_block,
    spacer,
    styles,
)
from counter_app.domain.daybook import METHODS, signed_yuan

DAY_CLOSE_TITLE = "柜台日结报表"
PERIOD_TITLE = "业务统计报表"
METHOD_ZH = {"cash": "现金", "card": "刷卡", "transfer": "转账"}
GROUPING_ZH = {
    "operator": "操作员",
    "service": "业务",
    "certificate-type": "证书种类",
    "counter": "柜台",
}
BAR_COLOURS = (colors.HexColor("#3A6EA5"), colors.HexColor("#C0504D"))


def yuan(fen: int) -> str:
    return f"¥ {signed_yuan(fen)}"


@dataclass(frozen=True, kw_only=True)
class BookFacts:
    """What every back-office report states: the RA that prints it (the page head) and the time
    zone its days are counted in."""

    ra_name: str
    time_zone: str


@dataclass(frozen=True, kw_only=True)
class DayCloseFacts(BookFacts):
    day: str
    counter: str
    figures: Mapping[str, Any]
    by_operator: Mapping[str, Mapping[str, Any]]
    # The close as recorded (expected, counted, difference, note, supervisor, time); None when
    # the day is not closed (a count sheet before the close).
    close: Mapping[str, Any] | None
    service_names: Mapping[str, str] = field(default_factory=dict)
    type_names: Mapping[str, str] = field(default_factory=dict)
    printed_at: Any = None


def _money_rows(figures: Mapping[str, Any]) -> list[tuple[str, str]]:
    collected = figures["collected_fen"]
    rows = [(f"收款 · {METHOD_ZH[m]}", yuan(collected[m])) for m in METHODS]
    rows += [
        ("收款合计", yuan(figures["collected_total_fen"])),
        ("退款合计", yuan(figures["refunded_fen"])),
        ("减免金额", yuan(figures["waived_fen"])),
        ("净收入", yuan(figures["net_fen"])),
        ("应有现金", yuan(figures["expected_cash_fen"])),
        ("收据/退款", f"{figures['receipts']} / {figures['refunds']} 笔"),
    ]
    return rows


def _count_rows(counts: Mapping[str, int], names: Mapping[str, str]) -> list[list[str]]:
    return [[names.get(k, k), str(v)] for k, v in counts.items()] or [["（无）", "0"]]


def _operator_rows(by_operator: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    rows = []
    for name, f in by_operator.items():
        c = f["collected_fen"]
        rows.append(
            [
                name,
                *(signed_yuan(c[m]) for m in METHODS),
                signed_yuan(f["refunded_fen"]),
                signed_yuan(f["waived_fen"]),
                signed_yuan(f["net_fen"]),
            ]
        )
    return rows


def render_day_close(facts: DayCloseFacts) -> bytes:
    st = styles()
    close = facts.close
    status = "已日结" if close else "未日结（清点用，未冻结）"
    head = [
        ("营业日", facts.day),
        ("柜台", facts.counter),
        ("时区", facts.time_zone),
        ("状态", status),
    ]
    story: list[Flowable] = [field_table(head, columns=2), spacer(3), section("一、收支")]
    story.append(field_table(_money_rows(facts.figures), columns=3, label_width=24 * mm))
    if close is not None:
        story += [
            section("二、现金清点"),
            field_table(
                [
                    ("应有现金", yuan(close["expected_cash_fen"])),
                    ("实点现金", yuan(close["counted_cash_fen"])),
                    ("差额（实点−应有）", yuan(close["difference_fen"])),
                    ("日结主管", close["supervisor"]),
                    ("日结时间", china_time(close["time"])),
                    ("说明", close["note"] or "—"),
                ],
                columns=3,
                label_width=24 * mm,
            ),
        ]
    story += [section("三、按操作员")]
    header = ["操作员", "现金", "刷卡", "转账", "退款", "减免", "净收入"]
    width = BODY_WIDTH / len(header)
    story.append(grid_table(header, _operator_rows(facts.by_operator), [width] * len(header)))
    services = _count_rows(facts.figures["services"], facts.service_names)
    types = _count_rows(facts.figures["certificate_types"], facts.type_names)
    # Side by side: the signature lines then stay on the first page of an ordinary day.
    counts = [[*a, *b] for a, b in zip_longest(services, types, fillvalue=["", ""])]
    quarter = BODY_WIDTH / 4
    story += [
        section("四、业务笔数"),
        grid_table(
            ["业务", "笔数", "证书种类", "笔数"],
            counts,
            [quarter * 1.5, quarter * 0.5, quarter * 1.5, quarter * 0.5],
        ),
        para(f"已回退业务：{facts.figures['rolled_back']} 笔（其收款与退款均已计入上表）", st.note),
        spacer(3),
        signature_block(
            "五、签字确认",
            "以上收支与业务笔数由系统按当日收费与退款记录汇总，现金已当面清点。",
            [
                ("受理员（收款人）", ", ".join(facts.by_operator) or None),
                ("主管（日结人）", close["supervisor"] if close else None),
            ],
        ),
    ]
    key = f"DAY {facts.day} {facts.counter}"
    page = Page(
        facts.ra_name, DAY_CLOSE_TITLE, key, f"{DAY_CLOSE_TITLE} {facts.day} {facts.counter}"
    )
    return build_pdf(page, story, subject=f"{DAY_CLOSE_TITLE} {facts.day} {facts.counter}")


# ---------------------------------------------------------------------------------------------
# Period report


@dataclass(frozen=True, kw_only=True)
class PeriodFacts(BookFacts):
    start: str
    end: str
    by: str
    total: Mapping[str, Any]
    groups: Mapping[str, Mapping[str, Any]]
    # Per day: (date, collected fen, refunded fen, services).
    days: Sequence[tuple[str, int, int, int]]
    group_names: Mapping[str, str] = field(default_factory=dict)


def day_chart(days: Sequence[tuple[str, int, int, int]], width: float, height: float) -> Drawing:
    """Collected and refunded per day, in yuan, as grouped bars (reportlab graphics)."""
    font = register_cjk_font()
    drawing = Drawing(width, height, initialFontName=font)
    chart = VerticalBarChart()
    chart.x, chart.y = 18 * mm, 16 * mm
    chart.width, chart.height = width - 24 * mm, height - 26 * mm
    chart.data = [
        [collected / 100 for _, collected, _, _ in days] or [0],
        [refunded / 100 for _, _, refunded, _ in days] or [0],
    ]
    chart.categoryAxis.categoryNames = [d[5:] for d, *_ in days] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 45 if len(days) > 10 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(days) > 10 else "n"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    for i, colour in enumerate(BAR_COLOURS):
        chart.bars[i].fillColor = colour
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    legend = Legend()
    legend.fontName = font
    legend.fontSize = 8
    legend.x, legend.y = 20 * mm, height - 4 * mm
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = list(zip(BAR_COLOURS, ("收款（元）", "退款（元）"), strict=True))
    drawing.add(legend)
    drawing.add(
        String(
            width - 2 * mm, height - 6 * mm, "单位：元", fontName=font, fontSize=7, textAnchor="end"
        )
    )
    return drawing


def render_period(facts: PeriodFacts) -> bytes:
    header = [GROUPING_ZH.get(facts.by, facts.by), "笔数", "收款", "退款", "减免", "净收入"]
    rows = []
    for key, f in facts.groups.items():
        rows.append(
            [
                facts.group_names.get(key, key),
                str(sum(f["services"].values())),
                signed_yuan(f["collected_total_fen"]),
                signed_yuan(f["refunded_fen"]),
                signed_yuan(f["waived_fen"]),
                signed_yuan(f["net_fen"]),
            ]
        )
    t = facts.total
    rows.append(
        [
            "合计",
            str(sum(t["services"].values())),
            signed_yuan(t["collected_total_fen"]),
            signed_yuan(t["refunded_fen"]),
            signed_yuan(t["waived_fen"]),
            signed_yuan(t["net_fen"]),
        ]
    )
    first = BODY_WIDTH * 0.3
    widths = [first] + [(BODY_WIDTH - first) / (len(header) - 1)] * (len(header) - 1)
    day_rows = [
        [d, str(n), signed_yuan(c), signed_yuan(r), signed_yuan(c - r)] for d, c, r, n in facts.days
    ]
    story: list[Flowable] = [
        field_table(
            [
                ("统计期间", f"{facts.start} 至 {facts.end}"),
                ("时区", facts.time_zone),
                ("分组", GROUPING_ZH.get(facts.by, facts.by)),
                ("净收入合计", yuan(t["net_fen"])),
            ],
            columns=2,
        ),
        section(f"一、按{GROUPING_ZH.get(facts.by, facts.by)}"),
        grid_table(header, rows, widths),
        section("二、每日收款与退款"),
        day_chart(facts.days, BODY_WIDTH, 70 * mm),
        spacer(2),
        grid_table(["日期", "笔数", "收款", "退款", "净收入"], day_rows, [BODY_WIDTH / 5] * 5),
    ]
    key = f"PERIOD {facts.start} {facts.end}"
    page = Page(facts.ra_name, PERIOD_TITLE, key, f"{PERIOD_TITLE} {facts.start} 至 {facts.end}")
    return build_pdf(page, story, subject=f"{PERIOD_TITLE} {facts.start} {facts.end}")
