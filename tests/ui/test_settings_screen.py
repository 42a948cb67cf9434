"""The settings screen with real widgets: the language choice is stored and announced, the idle
lock is stored and reaches the main window, the passphrase is changed on the store thread
(wrong one refused at its field), and a clinic workstation enrolls with a one-time code at a
real central platform on loopback, after which the sync engine runs."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths, QTranslator

from clinic_app.sync.account import SyncAccount
from local_store.store import Store
from tests.support.central_proc import CentralProcess
from ui import preferences
from ui.bridge import Event
from ui.conflicts_screen import ConflictsScreen
from ui.desk_screen import DeskScreen
from ui.schedule_screen import ScheduleScreen
from ui.settings_screen import SettingsScreen, switch_language

PASSPHRASE = "ui-test-passphrase-1"  # tests/ui/conftest.py


@pytest.fixture
def settings_folder(tmp_path):
    """QSettings of this test only (never the tester's own)."""
    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path / "settings"))
    yield tmp_path / "settings"
    switch_language("en")
    home = QStandardPaths.StandardLocation.GenericConfigLocation
    QSettings.setPath(fmt, scope, QStandardPaths.writableLocation(home))


@pytest.fixture
def screen(ui, qtbot, settings_folder):
    s = SettingsScreen(ui.session)
    qtbot.addWidget(s)
    s.show()
    return s


def events(ui) -> list[tuple[Event, object]]:
    seen: list[tuple[Event, object]] = []
    ui.session.bridge.notify.connect(lambda kind, payload: seen.append((kind, payload)))
    return seen


def test_language_switch_stores_the_setting_and_says_what_changed(ui, screen, settings_folder):
    seen = events(ui)
    screen.language.setCurrentIndex(screen.language.findData("zh_CN"))
    assert QSettings("ClinicWorkstation", "workstation").value("language") == "zh_CN"
    assert list(settings_folder.rglob("*.conf")), "written to the test's settings folder"
    assert (Event.LANGUAGE_CHANGED, "zh_CN") in seen
    note = screen.language_note.text()
    # The zh_CN translation is installed at once, so the note itself is now in Chinese and
    # says that every screen follows at once.
    assert note.startswith("已保存")
    assert "所有页面立即生效" in note
    screen.language.setCurrentIndex(screen.language.findData("en"))
    assert preferences.get(preferences.LANGUAGE) == "en"
    assert (Event.LANGUAGE_CHANGED, "en") in seen


def test_idle_lock_minutes_are_stored_and_announced(ui, screen):
    seen = events(ui)
    screen.idle.setValue(25)
    assert preferences.get(preferences.IDLE_LOCK_MINUTES) == 25
    assert preferences.idle_lock_ms() == 25 * 60 * 1000
    assert (Event.SETTINGS_CHANGED, "idle_lock_minutes") in seen
    QSettings("ClinicWorkstation", "workstation").setValue("idle_lock_minutes", "9999")
    assert preferences.get(preferences.IDLE_LOCK_MINUTES) == 10  # out of range: the default


def test_change_passphrase_on_the_store_thread(ui, screen, tmp_path):
    screen.old_pass.setText("not-my-passphrase")
    screen.new_pass.setText("brand-new-passphrase")
    screen.repeat_pass.setText("brand-new-passphrase")
    assert ui.run(screen.change_passphrase()) is False
    assert screen.errors["old"].text() == "That is not your current passphrase."
    screen.old_pass.setText(PASSPHRASE)
    screen.repeat_pass.setText("something else")
    assert ui.run(screen.change_passphrase()) is False
    assert screen.errors["repeat"].isVisible()
    screen.repeat_pass.setText("brand-new-passphrase")
    assert ui.run(screen.change_passphrase()) is True
    assert screen.old_pass.text() == "" and "Passphrase changed" in screen.pass_done.text()
    again = Store.unlock(tmp_path / "profile", ui.session.user, "brand-new-passphrase")
    again.lock()


async def wait_for(predicate: Callable[[], object], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_enroll_with_a_one_time_code_starts_sync(ui, screen, tmp_path):
    """One coroutine from enrolment to the engine's stop: the loop runs throughout, as in the
    application (between ``run_until_complete`` calls the background engine could not run)."""

    async def scenario(url: str, clinic: str, code: str) -> None:
        screen.server.setText(url)
        screen.code.setText("WRONG-CODE")
        assert await screen.enroll() is False  # refused: shown in the error dialog
        assert SyncAccount.load(ui.store) is None
        screen.code.setText(code)
        assert await screen.enroll() is True
        account = SyncAccount.load(ui.store)
        assert account is not None and account.kind == "device" and account.clinic_id == clinic
        assert "Connected to" in screen.account_label.text()
        engine = ui.session.engine
        assert engine is not None
        await wait_for(lambda: engine.status.online is True and not engine.status.syncing)
        await ui.session.restart_sync()  # what connecting again does
        assert ui.session.engine is not None and ui.session.engine is not engine
        await ui.session.stop_sync()

    with CentralProcess(f"sqlite:///{tmp_path / 'central.db'}") as central:
        clinic = central.add_clinic("Hill Clinic")
        ui.run(scenario(central.url, clinic, central.enrollment_code(clinic)), timeout=60)


TS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context><name>ScheduleScreen</name>
  <message><source>Today</source><translation>今天</translation></message></context>
<context><name>DeskScreen</name>
  <message><source>Accept…</source><translation>接受…</translation></message></context>
<context><name>ConflictsScreen</name>
  <message><source>Field</source><translation>字段</translation></message></context>
<context><name>SettingsScreen</name>
  <message><source>Language</source><translation>语言</translation></message></context>
</TS>
"""


def test_desk_side_screens_change_language_live(ui, qtbot, qapp, tmp_path, settings_folder):
    """Installing a translation re-translates these screens at once (Qt's LanguageChange)."""
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    if not lrelease.exists():
        pytest.fail("pyside6-lrelease is not installed (it comes with PySide6)")
    (tmp_path / "t.ts").write_text(TS, encoding="utf-8")
    subprocess.run(
        [str(lrelease), str(tmp_path / "t.ts"), "-qm", str(tmp_path / "t.qm")],
        check=True,
        capture_output=True,
    )
    screens = [
        ScheduleScreen(ui.session),
        DeskScreen(ui.session),
        ConflictsScreen(ui.session),
        SettingsScreen(ui.session),
    ]
    for s in screens:
        qtbot.addWidget(s)
    schedule, desk, conflicts, settings = screens

    def texts() -> list[str]:
        return [
            schedule.today_button.text(),
            desk.accept_button.text(),
            conflicts.table.horizontalHeaderItem(0).text(),
            settings.language_box.title(),
        ]

    assert texts() == ["Today", "Accept…", "Field", "Language"]
    translator = QTranslator()
    assert translator.load(str(tmp_path / "t.qm"))
    qapp.installTranslator(translator)
    try:
        ui.settle(0.05)
        assert texts() == ["今天", "接受…", "字段", "语言"]
    finally:
        qapp.removeTranslator(translator)
    ui.settle(0.05)
    assert texts() == ["Today", "Accept…", "Field", "Language"]


def test_main_window_locks_after_the_chosen_idle_time(ui, qtbot, tmp_path, settings_folder):
    from ui.main_window import MainWindow

    preferences.put(preferences.IDLE_LOCK_MINUTES, 3)
    window = MainWindow(tmp_path / "profile")
    qtbot.addWidget(window)
    try:
        assert window.idle.interval() == 3 * 60 * 1000
        ui.session.bridge = window.bridge  # as if this session were the window's
        settings = SettingsScreen(ui.session)
        qtbot.addWidget(settings)
        settings.idle.setValue(7)
        assert window.idle.interval() == 7 * 60 * 1000
    finally:
        window.executor.shutdown()
