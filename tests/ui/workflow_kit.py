"""What the workflow tests (tests/ui/test_workflows.py) use to drive the real application: the
workspace a signed-in user sees (navigation, pages, sync bar), a second profile in the same
test process, keyboard and mouse input as a person gives it, and reading back what the
widgets show (the sync bar's words, a tree's rows, the messages next to fields).

A whole workflow runs as one coroutine (``ui.run(flow())``) and waits with :func:`until`, so
the qasync loop runs throughout, as in the application. Waiting with ``ui.until`` between
steps instead would let qasync process Qt events after each ``run_until_complete`` with no
running asyncio loop, and a background sync engine's step landing there fails ("no running
event loop"); ``qtbot.wait*`` would do the same.

Nothing here reaches into a screen's internals to make something happen: actions are key
presses and clicks on the widgets; reading a widget's text is how the tests see the outcome."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QTreeWidget,
    QWidget,
)

from clinic_app.changes import Changes
from clinic_app.clinic import Clinic
from clinic_app.sync.account import SyncAccount
from local_store.store import Store
from tests.support.central_proc import CentralProcess
from ui.bridge import Bridge, Event
from ui.chart_screen import ChartScreen
from ui.main_window import Workspace
from ui.session import Session
from ui.sync_bar import SyncBar
from ui.widgets import FieldError

W = TypeVar("W", bound=QWidget)
T = TypeVar("T")
LEFT = Qt.MouseButton.LeftButton


# ------------------------------------------------------------------------ sessions --
@contextmanager
def second_profile(folder: Path, user: str, passphrase: str) -> Iterator[Session]:
    """Another workstation profile in this process (its own store, writer thread and bridge).
    The caller closes it with ``ui.run(session.close())`` while the loop can still run."""
    store, _recovery = Store.create(folder, user, passphrase)
    executor = ThreadPoolExecutor(1, thread_name_prefix=f"{user}-writer")
    session = Session(Clinic(store), Bridge(), executor)
    try:
        yield session
    finally:
        if not store.locked:
            executor.submit(store.lock).result()
        executor.shutdown()


async def stopping(work: Awaitable[T], *sessions: Session) -> T:
    """Run a workflow, then stop the sessions' sync engines while the loop still runs (an
    engine step left for qasync's last event pass after ``run_until_complete`` would fail)."""
    try:
        return await work
    finally:
        for session in sessions:
            await session.stop_sync()


async def open_workspace(qtbot: Any, session: Session) -> Workspace:
    """What the main window shows after sign-in: the pages for this account's role and the
    sync bar (the steps of MainWindow.on_unlocked after the store is open)."""
    ws = Workspace(session)
    qtbot.addWidget(ws)
    ws.resize(1280, 860)
    ws.show()
    await ws.load_role()
    session.start_sync()  # nothing yet without an account
    session.bridge.emit_now(Event.RECORDS_CHANGED, Changes())
    return ws


def page(qtbot: Any, ws: Workspace, key: str, kind: type[W]) -> W:
    """Show a page by clicking its line in the navigation list."""
    row = [p.key for p in ws.pages].index(key)
    item = ws.nav.item(row)
    assert not item.isHidden(), f"page {key} is not listed for this account"
    ws.nav.scrollToItem(item)
    qtbot.mouseClick(ws.nav.viewport(), LEFT, pos=ws.nav.visualItemRect(item).center())
    widget = ws.stack.currentWidget()
    assert ws.nav.currentRow() == row and isinstance(widget, kind), f"page {key} not shown"
    return widget


# --------------------------------------------------------------------------- input --
def click(qtbot: Any, button: QAbstractButton) -> None:
    assert button.isEnabled(), f"{button.text()!r} is disabled"
    qtbot.mouseClick(button, LEFT)


def tick(qtbot: Any, box: QAbstractButton) -> None:
    """Click a check box on its tick mark."""
    qtbot.mouseClick(box, LEFT, pos=QPoint(8, box.height() // 2))


def type_into(qtbot: Any, widget: QWidget, text: str) -> None:
    """Type ``text``: key presses for ASCII; Chinese arrives as a person's input method sends
    it, one committed string per run of characters (QTest cannot press keys for them)."""
    widget.setFocus()
    for run in re.findall(r"[\x00-\x7f]+|[^\x00-\x7f]+", text):
        if run.isascii():
            qtbot.keyClicks(widget, run)
        else:
            event = QInputMethodEvent()
            event.setCommitString(run)
            QApplication.sendEvent(widget, event)


def retype(qtbot: Any, widget: QWidget, text: str) -> None:
    """Select what the field holds and type over it."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(widget, Qt.Key.Key_Backspace)
    qtbot.keyClicks(widget, text)


async def until(
    predicate: Callable[[], object], what: str | Callable[[], str], timeout: float = 20
) -> None:
    """Wait for what the screen shows, the loop running meanwhile (sync engines, store threads
    and ``@asyncSlot`` handlers all go on). ``what`` may be a callable, read at the timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
        await asyncio.sleep(0.02)


async def activate(window: QWidget) -> None:
    """Make ``window`` the active one, as a click on its title bar would."""
    window = window.window()
    if not window.isActiveWindow():
        window.activateWindow()
        await until(window.isActiveWindow, "the window to become active", timeout=5)


async def leave(qtbot: Any, widget: QWidget) -> None:
    """Tab out of a field of the active window."""
    await activate(widget)
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Tab)
    assert not widget.hasFocus(), "the focus did not move on"


def choose(qtbot: Any, combo: QComboBox, data: object) -> None:
    """Pick the entry carrying ``data`` with the arrow keys, as a person would."""
    combo.setFocus()
    target = combo.findData(data)
    assert target >= 0, f"{data!r} is not offered"
    key = Qt.Key.Key_Down if target > combo.currentIndex() else Qt.Key.Key_Up
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, key)


def type_date(qtbot: Any, edit: QDateEdit, day: date) -> None:
    """Type a date into a date field, the caret in its year as a click there puts it: digits
    only (Qt's date fields move to the next section by themselves; a typed "-" would skip
    one)."""
    edit.setFocus()
    edit.setSelectedSection(QDateEdit.Section.YearSection)
    qtbot.keyClicks(edit, f"{day:%Y%m%d}")


def click_row(qtbot: Any, view: QAbstractItemView, row: int, *, double: bool = False) -> None:
    model = view.model()
    index = model.index(row, 0)
    view.scrollTo(index)
    centre = view.visualRect(index).center()
    if double:
        qtbot.mouseClick(view.viewport(), LEFT, pos=centre)
        qtbot.mouseDClick(view.viewport(), LEFT, pos=centre)
    else:
        qtbot.mouseClick(view.viewport(), LEFT, pos=centre)


def opened(parent: QWidget, kind: type[W], action: Callable[[], object]) -> W:
    """The one new ``kind`` window that ``action`` (a click) opened under ``parent``."""
    before = set(parent.findChildren(kind))
    action()
    new = [w for w in parent.findChildren(kind) if w not in before]
    assert len(new) == 1, f"expected one new {kind.__name__}, got {len(new)}"
    assert new[0].isVisible(), f"the {kind.__name__} is not shown"
    return new[0]


# ---------------------------------------------------------------------------- reading --
def shown_errors(errors: dict[str, FieldError]) -> dict[str, str]:
    """The messages on screen, by field."""
    return {key: e.text() for key, e in errors.items() if e.isVisible() and e.text()}


def next_to(error: FieldError, field: QWidget) -> bool:
    """The message sits with its field (same container, right below it) and is shown."""
    return (
        error.isVisible()
        and error.parentWidget() is field.parentWidget()
        and error.geometry().top() >= field.geometry().bottom()
    )


def tree_rows(tree: QTreeWidget) -> list[list[str]]:
    return [
        [item.text(c) for c in range(tree.columnCount())]
        for item in (tree.topLevelItem(n) for n in range(tree.topLevelItemCount()))
        if item is not None
    ]


def row_of(tree: QTreeWidget, column: int, text: str) -> int | None:
    for n, row in enumerate(tree_rows(tree)):
        if row[column] == text:
            return n
    return None


class BarReading:
    """The sync bar as a person reads it."""

    def __init__(self, bar: SyncBar) -> None:
        self.link = bar.link.text()
        self.state = bar.link_state  # the coloured dot before the text
        self.pending_text = bar.pending.text()
        found = re.search(r"\d+", self.pending_text)
        self.pending = int(found.group()) if found else -1
        self.last = bar.last.text()
        self.error = bar.error.text()

    @property
    def online(self) -> bool:
        return self.state == "online" and "Online" in self.link

    @property
    def offline(self) -> bool:
        return self.state == "offline" and "Offline" in self.link

    def __repr__(self) -> str:
        return f"<sync bar: {self.link!r} {self.pending_text!r} {self.last!r} {self.error!r}>"


def bar(ws: Workspace) -> BarReading:
    return BarReading(ws.sync_bar)


def chart_ready(chart: ChartScreen) -> bool:
    """The chart is shown in full and its actions are enabled (they are, last)."""
    return chart.view is not None and chart.visit_button.isEnabled()


def settled(ws: Workspace) -> bool:
    """Online, nothing waiting (as the bar says and as the outbox says), not syncing."""
    b = bar(ws)
    return (
        b.online
        and b.pending == 0
        and not ws.sync_bar.progress.isVisible()
        and ws.session.clinic.profile.pending_count() == 0
    )


# ------------------------------------------------------------------ central platform --
def fhir(central: CentralProcess, account: SyncAccount, path: str) -> dict[str, Any]:
    """GET the central platform's FHIR read API as this workstation."""
    request = urllib.request.Request(
        f"{central.url}/fhir/{path}", headers={"Authorization": f"Bearer {account.token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return dict(json.loads(resp.read()))
