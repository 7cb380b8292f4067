"""The nuisance-call documents as PDF (ReportLab), made from the same HTML as the web view.

The force's templates decide the wording once: :func:`render_pdf` renders the HTML and lays out
its body (headings, paragraphs, lists and tables; the call log as a table whose header repeats
on each page), then adds a footer to every page with the force's name, the document's reference,
the date it was generated and "Page n of m". Output is byte-for-byte repeatable for the same
input (ReportLab's invariant mode), so a document can be checked and reproduced.
"""

from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # type: ignore[import-untyped]

from controlroom.adapters.documents.render import DocumentData, render_html

_SKIP = frozenset({"head", "style", "script", "title", "footer"})
_BLOCKS = {"p": "Body", "h1": "Title", "h2": "H2", "h3": "H3", "li": "Item", "address": "Body"}
_INLINE = {"strong": "b", "b": "b", "em": "i", "i": "i"}
_SPACE = re.compile(r"\s+")
MARGIN = 18 * mm
_CELL_SIZE = 8  # points: the font size of table cells
_PADDING = 14  # points: a cell's padding left and right, and a little room


def _styles() -> StyleSheet1:
    base = getSampleStyleSheet()
    sheet = StyleSheet1()
    body = ParagraphStyle("Body", parent=base["Normal"], fontSize=10, leading=13, spaceAfter=5)
    sheet.add(body)
    sheet.add(ParagraphStyle("Title", parent=base["Title"], fontSize=15, spaceAfter=8))
    sheet.add(ParagraphStyle("H2", parent=base["Heading2"], fontSize=12, spaceBefore=8))
    sheet.add(ParagraphStyle("H3", parent=base["Heading3"], fontSize=10.5, spaceBefore=4))
    sheet.add(ParagraphStyle("Item", parent=body, leftIndent=12, bulletIndent=2))
    sheet.add(ParagraphStyle("Cell", parent=body, fontSize=_CELL_SIZE, leading=10, spaceAfter=0))
    sheet.add(ParagraphStyle("HeadCell", parent=sheet["Cell"], fontName="Helvetica-Bold"))
    return sheet


class _Layout(HTMLParser):
    """Reads the restricted HTML the templates produce into ReportLab flowables."""

    def __init__(self, styles: StyleSheet1, width: float) -> None:
        super().__init__(convert_charrefs=True)
        self.styles, self.width = styles, width
        self.flow: list[Flowable] = []
        self.skip = 0
        self.markup: list[str] = []
        self.style = "Body"
        self.rows: list[list[tuple[str, bool]]] | None = None
        self.header_rows = 0
        self.cell: list[str] | None = None
        self.cell_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif self.skip:
            return
        elif tag in _BLOCKS:
            self._flush()
            self.style = _BLOCKS[tag]
        elif tag in _INLINE:
            self._text(f"<{_INLINE[tag]}>")
        elif tag == "br":
            self._text("<br/>")
        elif tag == "table":
            self._flush()
            self.rows, self.header_rows = [], 0
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell, self.cell_head = [], tag == "th"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif self.skip:
            return
        elif tag in _BLOCKS:
            self._flush()
        elif tag in _INLINE:
            self._text(f"</{_INLINE[tag]}>")
        elif tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append(("".join(self.cell).strip(), self.cell_head))
            self.cell = None
        elif tag == "tr" and self.rows and all(head for _, head in self.rows[-1]):
            if len(self.rows) == self.header_rows + 1:
                self.header_rows += 1
        elif tag == "table" and self.rows is not None:
            self._table(self.rows, self.header_rows)
            self.rows = None

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self._text(escape(_SPACE.sub(" ", data)))

    def _text(self, markup: str) -> None:
        (self.cell if self.cell is not None else self.markup).append(markup)

    def _flush(self) -> None:
        text = "".join(self.markup).strip()
        self.markup = []
        if text and text not in ("<br/>",):
            bullet = "\N{BULLET}" if self.style == "Item" else None
            self.flow.append(Paragraph(text, self.styles[self.style], bulletText=bullet))
        self.style = "Body"

    def _table(self, rows: list[list[tuple[str, bool]]], header_rows: int) -> None:
        rows = [row for row in rows if row]
        if not rows:
            return
        columns = max(len(row) for row in rows)
        widths = self._widths(rows, columns)
        cells = [
            [
                Paragraph(text, self.styles["HeadCell" if head else "Cell"])
                for text, head in row + [("", False)] * (columns - len(row))
            ]
            for row in rows
        ]
        table = Table(cells, colWidths=widths, repeatRows=header_rows, hAlign="LEFT")
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        if header_rows:
            commands.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.whitesmoke))
        table.setStyle(TableStyle(commands))
        self.flow += [table, Spacer(1, 4)]

    def _widths(self, rows: list[list[tuple[str, bool]]], columns: int) -> list[float]:
        """Column widths: each fits its longest word, the rest shared by length of text."""
        need, want = [20.0] * columns, [20.0] * columns
        for row in rows:
            for i, (text, head) in enumerate(row):
                font = "Helvetica-Bold" if head else "Helvetica"
                plain = html.unescape(re.sub(r"<[^>]+>", " ", text))
                words = [stringWidth(word, font, _CELL_SIZE) for word in plain.split()]
                need[i] = max(need[i], max(words, default=0) + _PADDING)
                length = stringWidth(plain, font, _CELL_SIZE)
                want[i] = max(want[i], min(length, self.width / 2) + _PADDING)
        if sum(need) >= self.width:
            return [self.width * n / sum(need) for n in need]
        spare = self.width - sum(need)
        extra = [w - n for w, n in zip(want, need, strict=True)]
        total = sum(extra) or 1.0
        return [n + spare * e / total for n, e in zip(need, extra, strict=True)]

    def close(self) -> None:
        super().close()
        self._flush()


def _numbered_canvas(footer: str) -> type[Canvas]:
    class NumberedCanvas(Canvas):  # type: ignore[misc]
        """Holds each page until the end so every footer can say "Page n of m"."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont("Helvetica", 8)
                self.setFillColor(colors.black)
                self.drawString(MARGIN, 10 * mm, footer)
                self.drawRightString(A4[0] - MARGIN, 10 * mm, f"Page {number} of {count}")
                super().showPage()
            super().save()

    return NumberedCanvas


def render_pdf(data: DocumentData, templates: str | Path | None = None) -> bytes:
    """The document as PDF bytes, laid out from :func:`render_html` with the same templates."""
    html = render_html(data, templates)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=20 * mm,
        title=f"{data.title} ({data.reference})",
        author=data.force.name,
        subject=data.kind.value,
        creator="controlroom",
        invariant=1,
    )
    layout = _Layout(_styles(), document.width)
    layout.feed(html)
    layout.close()
    footer = f"{data.force.name}. {data.reference}. Generated {data.generated}."
    document.build(layout.flow, canvasmaker=_numbered_canvas(footer))
    return buffer.getvalue()
