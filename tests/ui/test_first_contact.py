"""What a new user meets in the first minutes: the sync bar's progress (records of the total,
rate, time left) in both languages, drawn status icons instead of glyphs, the first-sync window
that can be sent to the background, the profile's last success shown before any exchange, and
a main window that fits a 1366x768 screen with its remembered place kept on screen."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QRect, QTranslator

from clinic_app.sync.engine import LAST_SUCCESS_META, SyncStatus
from ui.first_sync_dialog import FirstSyncDialog, wants_first_sync_dialog
from ui.sync_bar import SyncBar, progress_text
from ui.translations import I18N
from ui.widgets import clamp_geometry

SENDING = SyncStatus(
    online=True, syncing=True, phase="sending", pending=11_494, records_done=9_800,
    records_total=21_294, rate=1_678.0, eta_seconds=6.85,
)  # fmt: skip


def test_progress_says_done_of_total_rate_and_time_left(ui, qtbot, monkeypatch):
    bar = SyncBar(ui.session)
    assert bar.link_state == "none"  # not enrolled: grey, "Not connected…"
    monkeypatch.setattr(ui.session, "engine", object())  # as if enrolled with a central
    qtbot.addWidget(bar)
    bar.show_status(SENDING)
    assert bar.progress_label.text() == "Sending 9,800 of 21,294 · 1,678/s · about 7 s left"
    assert bar.progress.value() == 9_800 and bar.progress.maximum() == 21_294
    receiving = SyncStatus(online=True, syncing=True, phase="receiving", records_done=500,
                           records_total=60_000, rate=250.0, eta_seconds=238.0)  # fmt: skip
    bar.show_status(receiving)
    assert bar.progress_label.text() == "Receiving 500 of 60,000 · 250/s · about 4 min left"
    bar.show_status(SyncStatus(online=True, last_success="2026-12-04T02:15:00+00:00"))
    assert bar.progress_label.isHidden() and bar.progress.isHidden()
    assert bar.link_state == "online" and bar.link.text() == "Online"
    assert not bar.dot.pixmap().isNull()  # an icon, not a character a font may lack
    bar.show_status(SyncStatus(online=False))
    assert bar.link_state == "offline"


def test_progress_in_chinese(ui, qtbot):
    translator = QTranslator()
    assert translator.load(str(I18N / "clinic_zh_CN.qm"))
    QCoreApplication.installTranslator(translator)
    try:
        text = progress_text(SENDING)
        assert text == "正在发送 9,800 / 21,294 · 1,678/秒 · 约剩 7 秒"
    finally:
        QCoreApplication.removeTranslator(translator)


def test_the_bar_shows_the_profile_s_last_success_before_any_sync(ui, qtbot):
    ui.store.set_meta(LAST_SUCCESS_META, "2026-12-04T02:15:00+00:00")
    bar = SyncBar(ui.session)
    qtbot.addWidget(bar)
    ui.until(lambda: bar.last.text() != "Never synced", what="the stored last success")
    assert bar.last.text().startswith("Last sync 12-04")


def test_first_sync_window_comes_once_and_goes_to_the_background(ui, qtbot):
    assert wants_first_sync_dialog(SENDING)
    assert not wants_first_sync_dialog(SENDING.__class__(syncing=True, phase="sending",
                                                         records_total=20))  # fmt: skip
    later = SyncStatus(syncing=True, phase="sending", records_total=5_000,
                       last_success="2026-12-04T02:15:00+00:00")  # fmt: skip
    assert not wants_first_sync_dialog(later)  # not the first sync
    dialog = FirstSyncDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_status(SENDING)
    assert dialog.figures.text() == "Sending 9,800 of 21,294 · 1,678/s · about 7 s left"
    assert not dialog.isModal()
    dialog.background.click()
    assert dialog.isHidden() and dialog.sent_away


def test_remembered_geometry_is_kept_on_the_screen():
    screen = QRect(0, 0, 1366, 728)  # 1366x768 without a 40 px task bar
    assert clamp_geometry(QRect(600, 400, 1200, 780), screen) == QRect(166, 0, 1200, 728)
    assert clamp_geometry(QRect(-2000, 50, 800, 600), screen) == QRect(0, 50, 800, 600)
    assert clamp_geometry(QRect(1900, 900, 1920, 1080), screen) == screen


def test_main_window_fits_a_small_screen(qtbot, tmp_path, monkeypatch):
    from ui import main_window, preferences
    from ui.main_window import MainWindow

    monkeypatch.setattr(main_window, "available_area", lambda _w=None: QRect(0, 0, 1366, 728))
    monkeypatch.setattr("ui.widgets.available_area", lambda _w=None: QRect(0, 0, 1366, 728))
    preferences.settings().remove(main_window.GEOMETRY_KEY)
    window = MainWindow(tmp_path / "profile")
    qtbot.addWidget(window)
    assert window.width() <= 1366 and window.height() + 40 <= 728
    assert window.minimumWidth() <= 1366 and window.minimumHeight() <= 728


def test_records_arriving_refresh_the_screens_page_by_page(ui):
    """While a long pull runs, the screens hear about received records at most once a second
    (the patient list fills as pages arrive), and once more when the sync ends."""
    from dataclasses import replace

    from ui.bridge import Event

    heard: list[object] = []
    ui.session.bridge.notify.connect(
        lambda kind, payload: heard.append(payload) if kind is Event.RECORDS_CHANGED else None
    )
    pulling = SyncStatus(online=True, syncing=True, phase="receiving", records_total=5_000)
    ui.session._on_status(replace(pulling, pulled=500))  # heard
    ui.session._on_status(replace(pulling, pulled=1_000))  # too soon after
    ui.settle(1.1)
    ui.session._on_status(replace(pulling, pulled=1_500))  # heard
    ui.session._on_status(SyncStatus(online=True, pulled=1_500))  # the end: heard
    ui.until(lambda: len(heard) >= 3, what="three refreshes")
    ui.settle(0.2)
    assert len(heard) == 3


def test_the_workspace_opens_the_first_sync_window_from_the_engine_s_status(ui, qtbot):
    """Wired as in the workstation: the engine's statuses reach the workspace through the
    bridge; the window comes with a big first sync, follows it, stays away once sent to the
    background, and is gone when the sync ends."""
    from dataclasses import replace

    from ui.bridge import Event
    from ui.main_window import Workspace

    workspace = Workspace(ui.session)
    qtbot.addWidget(workspace)
    workspace.show()
    small = SyncStatus(online=True, syncing=True, phase="sending", records_total=20)
    ui.session.bridge.emit_now(Event.SYNC_STATUS, small)
    assert workspace.first_sync is None  # over before a window would help
    ui.session.bridge.emit_now(Event.SYNC_STATUS, SENDING)
    dialog = workspace.first_sync
    assert dialog is not None and dialog.isVisible()
    assert dialog.figures.text() == progress_text(SENDING)
    dialog.background.click()
    ui.session.bridge.emit_now(Event.SYNC_STATUS, replace(SENDING, records_done=15_000))
    assert not dialog.isVisible() and dialog.bar.value() == 15_000  # followed, not shown
    done = SyncStatus(online=True, last_success="2026-12-06T10:00:00+00:00")
    ui.session.bridge.emit_now(Event.SYNC_STATUS, done)
    assert not dialog.isVisible()
    ui.session.bridge.emit_now(Event.SYNC_STATUS, replace(SENDING, last_success=done.last_success))
    assert workspace.first_sync is dialog and not dialog.isVisible()  # only the first sync
