"""Printed documents as PDF (reportlab platypus), on three papers (``PAPERS``):

* ``a4`` — A4 portrait, for laser printers and filing;
* ``a5`` — A5 landscape (210 × 148 mm), the half sheet most Chinese document printers take;
* ``continuous`` — 241 × 139.7 mm (9.5 × 5.5 in) continuous form paper for dot-matrix printers,
  three-part carbonless (三联单): one print makes all three plies, whose use is printed along the
  right edge and at the foot (①存根 ②客户 ③财务); margins leave room for the pin-feed strips, and
  nothing is shaded (dot-matrix printers print shades as noise).

Every page repeats the table header and says 第 n 页 / 共 m 页. The font is embedded
(``server.core.fonts``); amounts are the exact figures of the form, the total also in capitals.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from server.core.fonts import pdf_font
from server.printing.forms import PrintedForm, money
from server.sales.invoicing import amount_in_words


@dataclass(frozen=True)
class Paper:
    code: str
    size: tuple[float, float]  # points
    margins: tuple[float, float, float, float]  # left, right, top, bottom (points)
    font_size: float
    shade: bool  # grey header rows (not on dot-matrix paper)
    plies: bool  # print the use of each ply (三联单)


PAPERS = {
    "a4": Paper("a4", A4, (15 * mm, 15 * mm, 14 * mm, 16 * mm), 9, True, False),
    "a5": Paper("a5", landscape(A5), (10 * mm, 10 * mm, 9 * mm, 12 * mm), 8, True, False),
    "continuous": Paper("continuous", (241 * mm, 139.7 * mm), (14 * mm, 20 * mm, 8 * mm, 12 * mm), 9, False, True),
}
PLY_MARKS = "①②③④⑤"


def _page_canvas(form: PrintedForm, paper: Paper, font: str):
    """A canvas that writes 第 n 页 / 共 m 页 (and the plies on continuous paper) once all pages are known."""

    class PageCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._footer(number, total)
                super().showPage()
            super().save()

        def _footer(self, number: int, total: int) -> None:
            width, _height = paper.size
            left, right, _top, bottom = paper.margins
            self.setFont(font, paper.font_size - 1)
            self.setFillColor(colors.black)
            self.drawRightString(width - right, bottom / 2, f"第 {number} 页 / 共 {total} 页  Page {number} of {total}")
            self.drawString(left, bottom / 2, f"{form.title} {form.number}")
            if paper.plies:
                plies = "  ".join(f"{PLY_MARKS[i]}{use}" for i, use in enumerate(form.copies))
                self.drawCentredString(width / 2, bottom / 2, plies)
                self.saveState()
                self.translate(width - right / 2, paper.size[1] / 2)
                self.rotate(-90)
                self.drawCentredString(0, 0, "  ".join(f"第{'一二三四五'[i]}联 {u}" for i, u in enumerate(form.copies)))
                self.restoreState()

    return PageCanvas


def render_pdf(form: PrintedForm, paper_code: str = "a4") -> bytes:
    """The form as a PDF on ``paper_code`` (a key of ``PAPERS``)."""
    paper = PAPERS[paper_code]
    font = pdf_font()
    size = paper.font_size
    body = ParagraphStyle("body", fontName=font, fontSize=size, leading=size * 1.3)
    right = ParagraphStyle("right", parent=body, alignment=2)
    center = ParagraphStyle("center", parent=body, alignment=1)
    title = ParagraphStyle("title", parent=body, fontSize=size * 1.8, leading=size * 2.2, alignment=1)
    small = ParagraphStyle("small", parent=body, fontSize=size - 1, leading=(size - 1) * 1.3)
    left_margin, right_margin, top, bottom = paper.margins
    width = paper.size[0] - left_margin - right_margin

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story: list = []
    if form.company:
        story.append(para(form.company, center))
    story.append(para(f"{form.title}  {form.title_en}", title))
    story.append(para(f"No. {form.number}", right))
    story.append(Spacer(1, 2 * mm))

    per_row = 2 if paper.code == "a5" else 3
    cells = [para(f"{zh} {en}：{value}") for zh, en, value in form.fields]
    while len(cells) % per_row:
        cells.append(para(""))
    if cells:
        grid = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
        fields = Table(grid, colWidths=[width / per_row] * per_row)
        fields.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 1)]))
        story += [fields, Spacer(1, 2 * mm)]

    if form.columns:
        styles = {"LEFT": body, "RIGHT": right, "CENTER": center}
        head = [para(f"{c.zh}\n{c.en}", center) for c in form.columns]
        data = [head] + [
            [para(v, styles[c.align]) for c, v in zip(form.columns, row, strict=True)] for row in form.rows
        ]
        if form.totals is not None:
            data.append([para(v, styles[c.align]) for c, v in zip(form.columns, form.totals, strict=True)])
        share = sum(c.width for c in form.columns)
        table = Table(data, repeatRows=1, colWidths=[width * c.width / share for c in form.columns])
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]
        if paper.shade:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)))
        table.setStyle(TableStyle(style))
        story.append(table)

    if form.amount_fen is not None:
        story.append(Spacer(1, 1.5 * mm))
        story.append(
            para(
                f"{form.amount_label} Total in words：人民币 {amount_in_words(form.amount_fen)}    ¥{money(form.amount_fen)}"
            )
        )
    if form.note:
        story.append(para(f"备注 Note：{form.note}", small))
    if form.signatures:
        story.append(Spacer(1, 3 * mm))
        marks = [para(f"{zh} {en}：{name}") for zh, en, name in form.signatures]
        signs = Table([marks], colWidths=[width / len(marks)] * len(marks))
        signs.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 1)]))
        story.append(signs)

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=paper.size,
        leftMargin=left_margin,
        rightMargin=right_margin,
        topMargin=top,
        bottomMargin=bottom,
        title=f"{form.title} {form.number}",
        author=form.company,
        creator="jxc",
    )
    doc.build(story, canvasmaker=_page_canvas(form, paper, font))
    return out.getvalue()
