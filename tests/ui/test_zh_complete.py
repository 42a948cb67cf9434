"""The Chinese interface is complete: every screen `clinic-app screenshot` renders (the same
walk with the same demo data, ui.screenshots) is read in zh_CN, offscreen, and every visible
text is checked: labels, buttons, group titles, tabs, headers, list and table cells, tooltips,
placeholders, combo box items, wizard pages, actions, window titles, and the message boxes the
screens open. A text fails when it is an English source of the translation file (so it was
shown untranslated) or holds a run of English words (a string that never went through tr()).
Qt's own buttons and dialogs come from Qt's Chinese catalog; a language switch in the settings
re-translates the sign-in screen, the navigation and the screens without a reload."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QTabBar,
    QTextEdit,
    QTreeView,
    QWidget,
    QWizard,
)

from clinic_app import __version__, demo_data
from ui import screenshots
from ui.translations import install_translator, qt_catalog, remove_translators

TS = Path(__file__).resolve().parents[2] / "ui" / "i18n" / "clinic_zh_CN.ts"
# Three or more English words in a row (two letters or more, not all capitals: codes and units
# such as "ECG", "ST", "PCI", "mmHg" alone never make a run)
ENGLISH_RUN = re.compile(r"\b(?:[A-Za-z]*[a-z][A-Za-z]*[ ,.;:'’-]+){2,}[A-Za-z]*[a-z][A-Za-z]+\b")
# What may be English in a Chinese screen: names and identifiers, not sentences.
ALLOWED_RUNS = (
    re.compile(r"clinic-app [a-z -]+"),  # a command to type
    re.compile(r"https?://\S+"),
    re.compile(r"[\w .()-]+\.(?:pdf|png|jpe?g|dcm|txt)\b", re.IGNORECASE),  # a file's name
    re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+(?: [A-Z][a-z]+)?\b"),  # pinyin names: Wang Xiaoming
    # what a clinician typed in English in the demo's own records (a chief complaint, a consult
    # question): record content shown as written, not interface text; exactly those texts
    *(
        re.compile(re.escape(text))
        for text in (*demo_data.COMPLAINTS, *demo_data.QUESTIONS)
        if text.isascii()
    ),
)


def english_sources() -> set[str]:
    """English texts of the .ts whose Chinese differs (those must never show in zh_CN)."""
    found: set[str] = set()
    for context in ET.parse(TS).getroot().iter("context"):
        for message in context.findall("message"):
            source = (message.findtext("source") or "").strip()
            translation = message.find("translation")
            text = "" if translation is None else "".join(translation.itertext()).strip()
            if source and text and text != source and re.search(r"[A-Za-z]{2}", source):
                found.add(source)
    return found


def plain(text: str) -> str:
    if "<" in text and ">" in text:
        text = QTextDocumentFragment.fromHtml(text).toPlainText()
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def _model_texts(view: QAbstractItemView, limit: int = 60) -> Iterator[tuple[str, str]]:
    model = view.model()
    if model is None:
        return
    for header, orientation in (
        (getattr(view, "horizontalHeader", lambda: None)(), Qt.Orientation.Horizontal),
        (getattr(view, "verticalHeader", lambda: None)(), Qt.Orientation.Vertical),
    ):
        if isinstance(header, QHeaderView) and header.isVisible():
            count = model.columnCount() if orientation == Qt.Orientation.Horizontal else 0
            for section in range(count):
                yield "header", str(model.headerData(section, orientation) or "")

    def walk(parent: QModelIndex, depth: int) -> Iterator[tuple[str, str]]:
        for row in range(min(model.rowCount(parent), limit)):
            if isinstance(view, QTreeView) and view.isRowHidden(row, parent):
                continue
            columns = 1 if isinstance(view, QListView) else model.columnCount(parent)
            for column in range(columns):
                index = model.index(row, column, parent)
                for role, kind in ((Qt.ItemDataRole.DisplayRole, "cell"),
                                   (Qt.ItemDataRole.ToolTipRole, "cell tooltip")):  # fmt: skip
                    value = model.data(index, role)
                    if isinstance(value, str):
                        yield kind, value
                if (
                    depth < 3
                    and column == 0
                    and isinstance(view, QTreeView)
                    and model.rowCount(index)
                ):
                    yield from walk(index, depth + 1)

    yield from walk(QModelIndex(), 0)


def visible_texts(top: QWidget) -> Iterator[tuple[str, str, str]]:
    """(widget class, what, text) for every visible text in ``top``."""
    widgets = [top, *top.findChildren(QWidget)]
    if top.isWindow():
        yield type(top).__name__, "window title", top.windowTitle()
    for w in widgets:
        if w is not top and not w.isVisibleTo(top):
            continue
        kind = type(w).__name__
        if w.toolTip():
            yield kind, "tooltip", w.toolTip()
        if isinstance(w, QLabel) and w.pixmap().isNull():
            yield kind, "label", w.text()
        elif isinstance(w, QAbstractButton):
            yield kind, "button", w.text()
        elif isinstance(w, QGroupBox):
            yield kind, "group title", w.title()
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                yield kind, "tab", w.tabText(i)
                yield kind, "tab tooltip", w.tabToolTip(i)
        elif isinstance(w, QLineEdit | QTextEdit | QPlainTextEdit):
            yield kind, "placeholder", w.placeholderText()
        elif isinstance(w, QComboBox):
            for i in range(w.count()):
                yield kind, "combo item", w.itemText(i)
        elif isinstance(w, QAbstractItemView):
            for what, text in _model_texts(w):
                yield kind, what, text
        if isinstance(w, QSpinBox):
            yield kind, "suffix", w.suffix()
            yield kind, "special value", w.specialValueText()
        elif isinstance(w, QAbstractSpinBox):
            yield kind, "special value", w.specialValueText()
        if isinstance(w, QWizard):
            page = w.currentPage()
            if page is not None:
                yield kind, "wizard title", page.title()
                yield kind, "wizard subtitle", page.subTitle()
        for action in w.actions():
            yield kind, "action", action.text()
            yield (
                kind,
                "action tooltip",
                action.toolTip() if action.toolTip() != action.text() else "",
            )


def problems_in(screen: str, top: QWidget, english: set[str]) -> list[str]:
    found = []
    for kind, what, raw in visible_texts(top):
        text = plain(raw or "")
        if not text:
            continue
        lines = [text, *text.splitlines()]
        if any(line.strip() in english for line in lines):
            found.append(f"{screen}: {kind} {what} untranslated: {text!r}")
            continue
        rest = text
        for allowed in ALLOWED_RUNS:
            rest = allowed.sub(" ", rest)
        run = ENGLISH_RUN.search(rest)
        if run:
            found.append(f"{screen}: {kind} {what} has English {run.group(0)!r} in {text!r}")
    return found


@pytest.fixture
def chinese(qapp):
    remove_translators(qapp)
    install_translator(qapp, "zh_CN")
    yield
    remove_translators(qapp)
    install_translator(qapp, "en")


def test_every_screen_is_chinese(qloop, qapp, chinese, tmp_path):
    english = english_sources()
    assert len(english) > 500, "the translation file lost its messages"
    problems: list[str] = []
    seen: list[str] = []

    def visit(name: str, widget: QWidget) -> None:
        seen.append(name)
        problems.extend(problems_in(name, widget, english))
        for box in QApplication.topLevelWidgets():  # a message box a screen opened
            if isinstance(box, QMessageBox | QDialog) and box.isVisible() and box is not widget:
                problems.extend(problems_in(f"{name} / {type(box).__name__}", box, english))

    out = tmp_path / "shots"
    out.mkdir()
    profile = screenshots.make_demo_profile(tmp_path, patients=30)
    qloop.run_until_complete(screenshots._first_run(out, "zh_CN", visit))
    qloop.run_until_complete(screenshots._render_all(out, profile, "zh_CN", visit))
    assert len(seen) >= 30, f"only {len(seen)} screens were walked: {seen}"
    for needed in ("01-sign-in", "02-patients", "10-schedule", "27-conflicts-fields"):
        assert needed in seen
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_qt_standard_buttons_and_dialogs_are_chinese(qapp, chinese):
    assert qt_catalog("zh_CN") is not None, "qtbase_zh_CN.qm is missing from PySide6"
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "",
        "",
        QMessageBox.StandardButton.Ok
        | QMessageBox.StandardButton.Cancel
        | QMessageBox.StandardButton.Yes
        | QMessageBox.StandardButton.No
        | QMessageBox.StandardButton.Close,
    )
    texts = {box.button(b).text().replace("&", "") for b in (
        QMessageBox.StandardButton.Ok, QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Close)}  # fmt: skip
    assert not {t for t in texts if re.search(r"[A-Za-z]{2}", t)}, texts
    assert {"确定", "取消"} <= {t.split("(")[0] for t in texts}
    edit = QLineEdit()  # its context menu comes from Qt's catalog too
    menu = edit.createStandardContextMenu()
    assert menu is not None
    words = [plain(a.text()).split("\t")[0] for a in menu.actions() if a.text()]
    assert words and not [w for w in words if re.search(r"[A-Za-z]{3}", w.split("(")[0])], words


def test_switching_language_re_translates_everything_at_once(qloop, qapp, tmp_path):
    """English, signed in: switching to Chinese in the settings changes the navigation, the
    screens, the sync bar and the title at once, and the sign-in screen after a lock."""
    from clinic_app.clinic import Clinic
    from ui.main_window import MainWindow
    from ui.settings_screen import switch_language

    english = english_sources()
    profile = tmp_path / "profile"
    clinic, _ = Clinic.create(profile, "dr.li", "switch-passphrase")
    clinic.close()
    remove_translators(qapp)
    install_translator(qapp, "en")
    window = MainWindow(profile)
    window.resize(1200, 780)
    window.show()

    async def until(predicate: Callable[[], object]) -> None:
        for _ in range(300):
            if predicate():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("timed out")

    try:
        window.unlock.passphrase.setText("switch-passphrase")
        window.unlock.button.click()
        qloop.run_until_complete(until(lambda: window.workspace is not None))
        ws = window.workspace
        assert ws is not None
        assert ws.nav.item(0).text() == "Patients"
        assert switch_language("zh_CN")
        qloop.run_until_complete(asyncio.sleep(0.5))
        assert ws.nav.item(0).text() == "患者"
        assert "诊所工作站" in window.windowTitle()
        problems = problems_in("workspace after switch", ws, english)
        for page in ws.pages:
            ws.show_page(page.key)
            qloop.run_until_complete(asyncio.sleep(0.1))
            problems += problems_in(f"{page.key} after switch", page.widget, english)
        assert not problems, "\n".join(dict.fromkeys(problems))
        qloop.run_until_complete(window.lock())
        assert window.unlock.button.text() == "登录"
        assert not problems_in("sign-in after switch", window.unlock, english)
        assert switch_language("en")
        qloop.run_until_complete(until(lambda: window.unlock.button.text() == "Sign in"))
        assert window.windowTitle() == f"dr.li — Clinic workstation {__version__}"
    finally:
        qloop.run_until_complete(window.shutdown())
        window.close()
        remove_translators(qapp)
