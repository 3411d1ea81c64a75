"""The page every document is printed on, and the building blocks of its body.

A4 portrait; on every page the RA's name, the document's title, a QR code holding the
application number (so an archived sheet can be found again) and "第 i 页 / 共 N 页". The total
is known only once the story is laid out, so the canvas keeps each page and writes the numbers
when the document is saved (the two-pass pattern reportlab's own examples use).

Everything is set in the one embedded CJK font, Latin and digits too: a PDF naming a base-14
font that is not embedded would print differently on each printer. Any character the font
cannot draw is refused (:class:`MissingGlyphs`) instead of vanishing from the page.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from counter_app.documents.errors import MissingGlyphs
from counter_app.documents.fonts import register_cjk_font

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
HEADER_HEIGHT = 30 * mm
FOOTER_HEIGHT = 14 * mm
QR_SIZE = 22 * mm
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
# China has kept UTC+8 without daylight saving since 1991: a fixed offset needs no tz database.
CHINA_STANDARD_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
GRID = colors.HexColor("#555555")
SHADE = colors.HexColor("#EEEEEE")


def china_time(moment: dt.datetime) -> str:
    """``2025-03-01 14:05:09`` in China Standard Time; refuses a naive datetime."""
    if moment.tzinfo is None:
        raise ValueError("a printed time must be timezone-aware")
    return moment.astimezone(CHINA_STANDARD_TIME).strftime("%Y-%m-%d %H:%M:%S")


def china_date(moment: dt.datetime) -> str:
    local = moment.astimezone(CHINA_STANDARD_TIME)
    return f"{local.year}年{local.month}月{local.day}日"


def _font() -> TTFont:
    font = pdfmetrics.getFont(register_cjk_font())
    assert isinstance(font, TTFont)
    return font


def check_glyphs(text: str, where: str) -> None:
    table = _font().face.charToGlyph
    missing = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in table})
    if missing:
        raise MissingGlyphs(chars=" ".join(f"{c}(U+{ord(c):04X})" for c in missing), where=where)


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    value: ParagraphStyle
    section: ParagraphStyle
    title: ParagraphStyle
    note: ParagraphStyle
    clause: ParagraphStyle


def styles() -> Styles:
    font = register_cjk_font()

    def style(name: str, size: float, **kw: Any) -> ParagraphStyle:
        # wordWrap CJK: Chinese text has no spaces, so lines may break between any characters.
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=size * 1.45, wordWrap="CJK", **kw
        )

    return Styles(
        body=style("body", 10.5),
        small=style("small", 8),
        label=style("label", 9, textColor=colors.HexColor("#333333")),
        value=style("value", 10),
        section=style("section", 12, spaceBefore=6, spaceAfter=3),
        title=style("title", 18, alignment=TA_CENTER, spaceAfter=6),
        note=style("note", 9, textColor=colors.HexColor("#333333")),
        clause=style("clause", 10, alignment=TA_LEFT, spaceAfter=3, firstLineIndent=0),
    )


def para(text: str, style: ParagraphStyle, where: str = "text") -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept), refused if a glyph is missing."""
    check_glyphs(text, where)
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def section(title: str) -> Flowable:
    st = styles()
    # Keep a heading with at least a few lines of what follows it.
    return KeepTogether([CondPageBreak(40 * mm), para(title, st.section, "section")])


def _cell_font() -> list[Any]:
    # Cells are Paragraphs, but a table still sets its cell font (Helvetica by default), which
    # would put an unembedded font into the PDF.
    return [("FONTNAME", (0, 0), (-1, -1), register_cjk_font())]


def field_table(
    rows: Sequence[tuple[str, str]], *, columns: int = 2, label_width: float = 28 * mm
) -> Table:
    """Label/value pairs, ``columns`` pairs a row, in a ruled grid."""
    st = styles()
    cells: list[list[Any]] = []
    line: list[Any] = []
    for label, value in rows:
        line += [para(label, st.label, label), para(value or "—", st.value, label)]
        if len(line) == 2 * columns:
            cells.append(line)
            line = []
    if line:
        line += [""] * (2 * columns - len(line))
        cells.append(line)
    value_width = BODY_WIDTH / columns - label_width
    table = Table(cells, colWidths=[label_width, value_width] * columns, hAlign="LEFT")
    commands: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        *_cell_font(),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for col in range(columns):
        commands.append(("BACKGROUND", (2 * col, 0), (2 * col, -1), SHADE))
    table.setStyle(TableStyle(commands))
    return table


def grid_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
) -> Table:
    """A table with a shaded header row."""
    st = styles()
    cells = [[para(h, st.label, h) for h in header]]
    cells += [[para(v or "—", st.value, header[i]) for i, v in enumerate(row)] for row in rows]
    table = Table(cells, colWidths=list(widths), hAlign="LEFT", repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                *_cell_font(),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def signature_block(
    title: str,
    statement: str,
    signers: Sequence[tuple[str, str | None]],
    drawn: Sequence[Flowable | None] = (),
) -> Flowable:
    """The closing section: heading, the statement signed for, and one box per signer (role,
    printed name, room to sign and date by hand), kept on one page together: a signature
    separated from what it signs is worth little. ``drawn`` puts a signer's signature made on
    the pad (an image) in their box, in the signers' order."""
    st = styles()
    width = BODY_WIDTH / len(signers)
    top = [para(role, st.label, role) for role, _ in signers]
    names = [para(f"姓名：{name or ''}", st.value, role) for role, name in signers]
    sign: list[Any] = [para("签字：", st.value) for _ in signers]
    for index, image in enumerate(drawn):
        if image is not None:
            sign[index] = [sign[index], image]
    # Paragraphs collapse runs of spaces (U+3000 too): non-breaking spaces keep room to write.
    gap = "&nbsp;" * 8
    date = [Paragraph(f"日期：{gap}年{gap}月{gap}日", st.value) for _ in signers]
    table = Table(
        [top, names, sign, date],
        colWidths=[width] * len(signers),
        # Room for a pad signature's image under "签字：" when there is one.
        rowHeights=[None, None, (26 if any(drawn) else 14) * mm, None],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, GRID),
                *_cell_font(),
                ("INNERGRID", (0, 0), (-1, 0), 0.5, GRID),
                ("LINEBEFORE", (1, 0), (-1, -1), 0.5, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 2), (-1, 2), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return KeepTogether(
        [para(title, st.section, "section"), para(statement, st.body), Spacer(1, 3 * mm), table]
    )


def spacer(height_mm: float) -> Spacer:
    return Spacer(1, height_mm * mm)


# ---------------------------------------------------------------------------------------------
# The page


def _qr_drawing(value: str) -> Drawing:
    widget = QrCodeWidget(value, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    width, height = x1 - x0, y1 - y0
    drawing = Drawing(
        QR_SIZE,
        QR_SIZE,
        transform=[QR_SIZE / width, 0, 0, QR_SIZE / height, 0, 0],
        # The renderer's default state names Helvetica, which would end up in the PDF unembedded.
        initialFontName=register_cjk_font(),
    )
    drawing.add(widget)
    return drawing


class _NumberedCanvas(Canvas):
    """Keeps every page until save, then stamps "第 i 页 / 共 N 页" on each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(register_cjk_font(), 9)
            self.drawCentredString(
                PAGE_WIDTH / 2, MARGIN - 2 * mm, f"第 {number} 页 / 共 {total} 页"
            )
            super().showPage()
        super().save()


@dataclass(frozen=True)
class Page:
    """What the page furniture shows: RA name, document title, and the number the QR holds."""

    ra_name: str
    title: str
    application_id: str
    footer_left: str


def _draw_page(page: Page, canvas: Canvas) -> None:
    font = register_cjk_font()
    canvas.saveState()
    top = PAGE_HEIGHT - MARGIN
    canvas.setFont(font, 10)
    canvas.drawString(MARGIN, top - 4 * mm, page.ra_name)
    canvas.setFont(font, 17)
    canvas.drawString(MARGIN, top - 14 * mm, page.title)
    qr_x = PAGE_WIDTH - MARGIN - QR_SIZE
    renderPDF.draw(_qr_drawing(page.application_id), canvas, qr_x, top - QR_SIZE)
    canvas.setFont(font, 7.5)
    canvas.drawCentredString(qr_x + QR_SIZE / 2, top - QR_SIZE - 3 * mm, page.application_id)
    # Below the QR code's caption, which must stay legible.
    rule_y = top - QR_SIZE - 5.5 * mm
    canvas.setStrokeColor(GRID)
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, rule_y, PAGE_WIDTH - MARGIN, rule_y)
    canvas.setLineWidth(0.4)
    canvas.line(MARGIN, MARGIN + 2 * mm, PAGE_WIDTH - MARGIN, MARGIN + 2 * mm)
    canvas.setFont(font, 8)
    canvas.drawString(MARGIN, MARGIN - 2 * mm, page.footer_left)
    canvas.restoreState()


def build_pdf(page: Page, story: list[Flowable], *, subject: str) -> bytes:
    """Lay out ``story`` on numbered A4 pages and return the PDF bytes."""
    for text, where in (
        (page.ra_name, "ra_name"),
        (page.title, "title"),
        (page.footer_left, "footer"),
    ):
        check_glyphs(text, where)
    font = register_cjk_font()
    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT,
        bottomMargin=MARGIN + FOOTER_HEIGHT - 4 * mm,
        title=page.title,
        author=page.ra_name,
        subject=subject,
        creator="counter-app",
        # The canvas' initial font would otherwise be Helvetica: named but never embedded.
        initialFontName=font,
        # Same facts, same bytes: no creation date or random document id in the file.
        invariant=True,
    )
    frame = Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", showBoundary=0
    )
    doc.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=lambda c, _d: _draw_page(page, c))]
    )

    doc.build(story, canvasmaker=_NumberedCanvas)
    return out.getvalue()
