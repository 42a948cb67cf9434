"""A :class:`~clinic_app.letters.content.Letter` laid out as a PDF with reportlab, in memory
(the bytes go to the encrypted vault, a print job or a file the user chose; never to a plain
temporary file). A4 or A5 portrait; the Chinese font embedded as a subset
(:mod:`clinic_app.letters.fonts`). The output is deterministic (``invariant``): the same letter
printed twice is the same file, so the vault keeps it once."""

from __future__ import annotations

import io
from html import escape
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from clinic_app.errors import ValidationError
from clinic_app.letters.content import Letter, Section
from clinic_app.letters.fonts import register

SIZES = {"A4": A4, "A5": A5}
MARGIN = {"A4": 18 * mm, "A5": 11 * mm}
BASE = {"A4": 10.5, "A5": 9.0}
INK = colors.HexColor("#202020")
GREY = colors.HexColor("#666666")
RULE = colors.HexColor("#999999")
SHADE = colors.HexColor("#eeeeee")


class _Styles:
    def __init__(self, font: str, size: float, cjk: bool) -> None:
        wrap = "CJK" if cjk else None
        self.font = font
        common: dict[str, Any] = {"fontName": font, "textColor": INK, "wordWrap": wrap}
        self.body = ParagraphStyle("body", fontSize=size, leading=size * 1.45, **common)
        self.small = ParagraphStyle("small", fontSize=size * 0.85, leading=size * 1.2, **common)
        self.label = ParagraphStyle("label", parent=self.body, textColor=GREY)
        self.column = ParagraphStyle("column", parent=self.small, textColor=GREY)
        self.head = ParagraphStyle("head", fontSize=size * 1.1, leading=size * 1.5,
                                   spaceBefore=size * 0.6, spaceAfter=size * 0.15,
                                   **common)  # fmt: skip
        self.title = ParagraphStyle("title", fontSize=size * 1.75, leading=size * 2.2,
                                    alignment=1, **common)  # fmt: skip
        self.rp = ParagraphStyle("rp", fontSize=size * 1.3, leading=size * 1.6, **common)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph; Chinese text wraps between any two characters, other text at spaces."""
    cjk = any(ord(ch) >= 0x2E80 for ch in text)
    if style.wordWrap != "CJK" and cjk:
        style = ParagraphStyle(f"{style.name}-cjk", parent=style, wordWrap="CJK")
    elif style.wordWrap == "CJK" and not cjk:  # English in a Chinese letter: at spaces
        style = ParagraphStyle(f"{style.name}-latin", parent=style, wordWrap=None)
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _patient_block(letter: Letter, st: _Styles, width: float) -> Table:
    cells = [_p(f"{label}：{value}" if letter.lang == "zh" else f"{label}: {value}", st.body)
             for label, value in letter.patient]  # fmt: skip
    shares = (0.34, 0.16, 0.18, 0.32)
    table = Table([cells], colWidths=[width * s for s in shares])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), st.font),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("LINEBELOW", (0, 0), (-1, -1), 0.8, INK),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))  # fmt: skip
    return table


def _rows(rows: list[tuple[str, str]], st: _Styles, width: float) -> Table:
    label_w = min(width * 0.3, max(st.body.fontSize * 6, width * 0.2))
    data = [[_p(label, st.label), _p(value, st.body)] for label, value in rows]
    table = Table(data, colWidths=[label_w, width - label_w])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), st.font),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))  # fmt: skip
    return table


def _grid(rows: list[list[str]], st: _Styles, width: float) -> Table:
    """The prescription table: route and quantity as wide as their longest word ("subcutaneous"
    never breaks), medicine and dosage share the rest."""
    pad = 3

    def natural(col: int) -> float:
        words = [(w, st.column) for w in rows[0][col].split()]
        words += [(w, st.body) for row in rows[1:] for w in row[col].split()]
        return max((stringWidth(w, st.font, s.fontSize) for w, s in words), default=0) + 2 * pad

    short = [min(max(natural(c), width * share), width * 0.22)
             for c, share in ((2, 0.12), (3, 0.16))]  # fmt: skip
    rest = width - sum(short)
    widths = [rest * 0.53, rest * 0.47, *short]
    data = [[_p(c, st.column) for c in rows[0]]]
    data += [[_p(c, st.body) for c in row] for row in rows[1:]]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), st.font),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEABOVE", (0, 0), (-1, 0), 0.6, RULE),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
    ]))  # fmt: skip
    return table


def _section(section: Section, letter: Letter, st: _Styles, width: float) -> list[Flowable]:
    out: list[Flowable] = []
    if section.heading:
        style = st.rp if section.heading == letter.words["rp"] else st.head
        out.append(_p(section.heading, style))
    if section.rows:
        out.append(_rows(section.rows, st, width))
    for line in section.lines:
        out.append(_p(line, st.body))
    if section.table:
        out.append(_grid(section.table, st, width))
    out.append(Spacer(1, st.body.fontSize * 0.4))
    return out


def _signature(letter: Letter, st: _Styles, width: float) -> Flowable:
    w = letter.words
    blank = "_" * 14
    sep = "：" if letter.lang == "zh" else ": "
    first = [_p(f"{letter.signer_label}{sep}{letter.signer}", st.body),
             _p(f"{w['signature']}{sep}{blank}", st.body)]  # fmt: skip
    rows = [first]
    if letter.kind == "prescription":
        rows.append([_p(f"{w['date']}{sep}{letter.date}", st.body),
                     _p(f"{w['checked']}{sep}{blank}", st.body)])  # fmt: skip
    else:
        rows.append([_p(f"{w['date']}{sep}{letter.date}", st.body), _p("", st.body)])
    table = Table(rows, colWidths=[width * 0.5, width * 0.5])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), st.font),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), st.body.fontSize * 0.5),
    ]))  # fmt: skip
    return KeepTogether([Spacer(1, st.body.fontSize * 1.2),
                         HRFlowable(width="100%", thickness=0.5, color=RULE), table])  # fmt: skip


def render(letter: Letter, size: str = "A4") -> bytes:
    """The letter as PDF bytes on an A4 or A5 page."""
    if size not in SIZES:
        raise ValidationError("size", "Print on A4 or A5.")
    font = register()
    page = SIZES[size]
    margin = MARGIN[size]
    width = page[0] - 2 * margin - 12  # the frame's own padding: 6 pt each side
    st = _Styles(font, BASE[size], letter.lang == "zh")
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=page, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=margin + BASE[size] * 1.5, title=letter.title, author="", subject="",
        creator="Clinic workstation", invariant=True, lang=letter.lang, initialFontName=font,
    )  # fmt: skip
    story: list[Flowable] = [_p(letter.title, st.title), Spacer(1, BASE[size] * 0.6)]
    story.append(_patient_block(letter, st, width))
    story.append(Spacer(1, BASE[size] * 0.5))
    for section in letter.sections:
        story += _section(section, letter, st, width)
    story.append(_signature(letter, st, width))

    def footer(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, BASE[size] * 0.75)
        canvas.setFillColor(GREY)
        text = f"{letter.title} · {letter.words['page'].format(n=canvas.getPageNumber())}"
        canvas.drawCentredString(page[0] / 2, margin * 0.6, text)
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
