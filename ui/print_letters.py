"""The print dialog for letters (prescription, referral, consult opinion, visit summary): choose
what to print, the paper (A4 or A5) and the letter's language, see a preview, then print it
(the system's print dialog) or save it as a PDF. Opened from the chart and the specialist desk.

The PDF is built by the core (``clinic.letters``) on the store thread and shown from memory:
pages are rasterised with pdfium into images off the GUI thread and painted on the preview and
on the printer, so no clear copy of the letter is written to disk unless the user saves one.
Printing or saving keeps the PDF in the chart as an encrypted document (it syncs)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Collection
from pathlib import Path

from PySide6.QtCore import QRectF, Qt, QTranslator
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot
from shiboken6 import isValid

from clinic_app.letters.content import Choice
from ui.clinical_text import when_text
from ui.ops import run_op
from ui.session import Session
from ui.translations import I18N

PREVIEW_DPI = 110
PRINT_DPI_MAX = 300  # pages are painted as images; more only makes the job larger
_zh: QTranslator | None = None


def letter_translate(lang: str) -> Callable[[str], str] | None:
    """Put the core's English words (visit form questions, choices) into a Chinese letter,
    whatever the screen's language (the Chinese catalogue is loaded on its own)."""
    global _zh
    if not lang.startswith("zh"):
        return None
    if _zh is None:
        translator = QTranslator()
        if not translator.load(str(I18N / "clinic_zh_CN.qm")):
            return None
        _zh = translator
    zh = _zh
    return lambda text: zh.translate("core", text) or text


def rasterise(pdf: bytes, dpi: float) -> list[QImage]:
    """The pages of a PDF as images (pdfium, in memory; safe off the GUI thread)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    try:
        images = []
        for n in range(len(doc)):
            page = doc[n]
            pil = page.render(scale=dpi / 72).to_pil().convert("RGB")
            data = pil.tobytes()
            image = QImage(data, pil.width, pil.height, 3 * pil.width, QImage.Format.Format_RGB888)
            images.append(image.copy())  # own the pixels before ``data`` goes
            page.close()
        return images
    finally:
        doc.close()


class PrintLetterDialog(QDialog):
    """Letters of one patient; ``only`` limits the choices to some record ids (the desk: the
    answers of the consult on screen); ``kinds`` to some kinds of letter."""

    def __init__(self, session: Session, patient_id: str, parent: QWidget | None = None, *,
                 only: Collection[str] | None = None,
                 kinds: Collection[str] | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.session = session
        self.patient_id = patient_id
        self.only = set(only) if only is not None else None
        self.kinds = set(kinds) if kinds is not None else None
        self.choices: list[Choice] = []
        self.pdf: bytes | None = None
        self.pages: list[QImage] = []
        self.kept: str | None = None  # the DocumentReference id of the last print or save
        self.loading: asyncio.Future[None] | None = None
        self._seq = 0
        self.setWindowTitle(self.tr("Print a letter"))
        self.resize(720, 820)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.what = QComboBox()
        self.paper = QComboBox()
        for size in ("A4", "A5"):
            self.paper.addItem(size, size)
        self.language = QComboBox()
        self.language.addItem("中文", "zh")
        self.language.addItem("English", "en")
        form.addRow(self.tr("Letter"), self.what)
        form.addRow(self.tr("Paper"), self.paper)
        form.addRow(self.tr("Language of the letter"), self.language)
        layout.addLayout(form)
        self.preview = QLabel(self.tr("Loading…"))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.preview)
        layout.addWidget(scroll, 1)
        self.status = QLabel()
        self.status.setStyleSheet("color: #6b6b6b;")
        buttons = QHBoxLayout()
        self.print_button = QPushButton(self.tr("Print…"))
        self.save_button = QPushButton(self.tr("Save as PDF…"))
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.reject)
        buttons.addWidget(self.status, 1)
        for b in (self.print_button, self.save_button, close):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.print_button.clicked.connect(self.choose_printer)
        self.save_button.clicked.connect(self.choose_file)
        for combo in (self.what, self.paper, self.language):
            combo.currentIndexChanged.connect(lambda _n: self.refresh())
        self._set_ready(False)

    # ---- choices and preview ----------------------------------------------------------
    def kind_label(self, kind: str) -> str:
        return {
            "prescription": self.tr("Prescription"),
            "referral": self.tr("Referral letter"),
            "opinion": self.tr("Consult opinion"),
            "summary": self.tr("Visit summary"),
        }.get(kind, kind)

    async def load(self) -> None:
        """List what can be printed and show the first."""
        found = await run_op(
            self, self.session.call(self.session.clinic.letters.choices, self.patient_id)
        )
        self.choices = [
            c for c in found or []
            if (self.only is None or c.record_id in self.only)
            and (self.kinds is None or c.kind in self.kinds)
        ]  # fmt: skip
        self.what.blockSignals(True)
        self.what.clear()
        for c in self.choices:
            text = " ".join(c.text.split())
            text = text if len(text) <= 40 else text[:39] + "…"
            self.what.addItem(f"{self.kind_label(c.kind)} · {when_text(c.when)} · {text}")
        self.what.blockSignals(False)
        if not self.choices:
            self.preview.setText(self.tr("Nothing of this patient can be printed yet."))
            return
        await self.show_preview()

    def choose(self, kind: str, record_id: str | None = None) -> bool:
        """Select the first choice of ``kind`` (and ``record_id`` when given)."""
        for n, c in enumerate(self.choices):
            if c.kind == kind and record_id in (None, c.record_id):
                self.what.setCurrentIndex(n)
                return True
        return False

    def selected(self) -> tuple[str, str, str, str] | None:
        """(kind, record id, paper, language) chosen now."""
        n = self.what.currentIndex()
        if not 0 <= n < len(self.choices):
            return None
        c = self.choices[n]
        return c.kind, c.record_id, str(self.paper.currentData()), str(self.language.currentData())

    def _set_ready(self, on: bool) -> None:
        self.print_button.setEnabled(on)
        self.save_button.setEnabled(on)

    @asyncSlot()
    async def refresh(self) -> None:
        await self.show_preview()

    async def show_preview(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        self._seq += 1
        seq = self._seq
        kind, rid, size, lang = chosen
        self._set_ready(False)
        self.status.setText(self.tr("Preparing the letter…"))
        render = functools.partial(self.session.clinic.letters.render, kind, rid, size=size,
                                   lang=lang, translate=letter_translate(lang))  # fmt: skip
        pdf = await run_op(self, self.session.call(render))
        if pdf is None or seq != self._seq or not isValid(self.preview):
            return  # none, superseded, or the dialog was closed meanwhile
        # the loop qasync installed: a refresh queued by a combo box change may take its next
        # step while Qt processes events outside run_forever (a closing dialog, a test)
        loop = asyncio.get_event_loop()
        pages = await run_op(self, loop.run_in_executor(None, rasterise, pdf, PREVIEW_DPI))
        if pages is None or seq != self._seq or not isValid(self.preview):
            return
        self.pdf, self.pages = pdf, pages
        self.preview.setPixmap(QPixmap.fromImage(_stacked(pages)))
        self.status.setText(self.tr("%n page(s)", "", len(pages)))
        self._set_ready(True)

    # ---- print and save -----------------------------------------------------------------
    async def keep(self) -> bytes | None:
        """Build the chosen letter and keep it in the chart; its PDF."""
        chosen = self.selected()
        if chosen is None:
            return None
        kind, rid, size, lang = chosen
        work = functools.partial(self.session.clinic.letters.print, kind, rid, size=size,
                                 lang=lang, translate=letter_translate(lang))  # fmt: skip
        printed = await run_op(self, self.session.write(work))
        if printed is None:
            return None
        self.kept = str(printed.document["id"])
        return bytes(printed.pdf)

    def choose_printer(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        size = QPageSize.PageSizeId.A5 if chosen[2] == "A5" else QPageSize.PageSizeId.A4
        printer.setPageSize(QPageSize(size))
        printer.setPageOrientation(QPageLayout.Orientation.Portrait)
        printer.setFullPage(True)
        dialog = QPrintDialog(printer, self)
        dialog.accepted.connect(lambda: self.print_on(printer))
        QDialog.open(dialog)  # the stub only knows open(receiver, member)
        self.print_dialog = dialog

    @asyncSlot()
    async def print_on(self, printer: QPrinter) -> None:
        await self.print_to(printer)

    async def print_to(self, printer: QPrinter) -> bool:
        """Keep the letter, then paint its pages on ``printer``."""
        pdf = await self.keep()
        if pdf is None:
            return False
        dpi = min(printer.resolution(), PRINT_DPI_MAX)
        # the loop qasync installed: a refresh queued by a combo box change may take its next
        # step while Qt processes events outside run_forever (a closing dialog, a test)
        loop = asyncio.get_event_loop()
        pages = await run_op(self, loop.run_in_executor(None, rasterise, pdf, dpi))
        if not pages:
            return False
        painter = QPainter()
        if not painter.begin(printer):
            self.status.setText(self.tr("The printer could not be opened."))
            return False
        try:
            for n, page in enumerate(pages):
                if n:
                    printer.newPage()
                target = QRectF(printer.paperRect(QPrinter.Unit.DevicePixel))
                painter.drawImage(target, page)
        finally:
            painter.end()
        self.status.setText(self.tr("Sent to the printer; kept in the chart."))
        return True

    def choose_file(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        name = f"{self.kind_label(chosen[0])}-{chosen[2]}.pdf"
        dialog = QFileDialog(self, self.tr("Save the letter as PDF"), name, "PDF (*.pdf)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda path: self.save_on(path))
        dialog.open()
        self.file_dialog = dialog

    @asyncSlot()
    async def save_on(self, path: str) -> None:
        await self.save_to(Path(path))

    async def save_to(self, path: Path) -> bool:
        """Keep the letter, then write it to ``path`` (a file the user chose)."""
        pdf = await self.keep()
        if pdf is None:
            return False
        written = await run_op(self, asyncio.to_thread(path.write_bytes, pdf))
        if written is None:
            return False
        self.status.setText(self.tr("Saved; kept in the chart."))
        return True


def _stacked(pages: list[QImage]) -> QImage:
    """The pages one under the other with a gap, for the preview."""
    gap = 12
    width = max(p.width() for p in pages)
    out = QImage(width, sum(p.height() for p in pages) + gap * (len(pages) - 1),
                 QImage.Format.Format_RGB888)  # fmt: skip
    out.fill(Qt.GlobalColor.gray)
    painter = QPainter(out)
    y = 0
    for p in pages:
        painter.drawImage((width - p.width()) // 2, y, p)
        y += p.height() + gap
    painter.end()
    return out


def open_print_dialog(session: Session, patient_id: str, parent: QWidget, *,
                      only: Collection[str] | None = None, kind: str | None = None,
                      record_id: str | None = None) -> PrintLetterDialog:  # fmt: skip
    """Open the dialog (non-modal) and load its choices; ``kind``/``record_id`` preselect."""
    dialog = PrintLetterDialog(session, patient_id, parent, only=only)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()

    async def start() -> None:
        await dialog.load()
        if kind is not None:
            dialog.choose(kind, record_id) or dialog.choose(kind)

    dialog.loading = asyncio.ensure_future(start())
    return dialog
