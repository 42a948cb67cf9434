"""Automatic backups in the GUI with real widgets over a real encrypted profile: the sync bar
warns when the backup folder is missing or the newest good backup is too old; the settings
choose a folder (through the folder dialog's signal), keep the schedule, refuse a folder inside
the profile at its field and make a backup on "Back up now"; the runner makes one when due and
the one at close, on the store thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtWidgets import QWidget

from ui.backup_runner import BackupRunner
from ui.settings_screen import SettingsScreen, switch_language
from ui.sync_bar import SyncBar

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


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
def clock(ui):
    c = Clock(START)
    ui.session.clinic.backups.clock = c
    return c


@pytest.fixture
def runner(ui):
    r = BackupRunner(ui.session)
    r.timer.stop()  # the test says when to check
    yield r
    r.stop()


def test_sync_bar_warns_when_the_folder_is_missing_or_the_backup_too_old(
    ui, qtbot, tmp_path, clock, runner
):
    bar = SyncBar(ui.session)
    qtbot.addWidget(bar)
    bar.show()
    ui.run(runner.check(run_if_due=False))
    assert bar.backup.isVisible() and bar.backup.text() == "Automatic backups are off"

    stick = tmp_path / "stick"
    stick.mkdir()
    ui.call(lambda: ui.session.clinic.backups.configure(target=str(stick), warn_after_days=2))
    news = ui.run(runner.check())  # due: the runner makes the first backup on the store thread
    assert news is not None and news.result is not None and news.result.path.parent == stick
    assert not bar.backup.isVisible()

    clock.now = START + timedelta(days=3)
    ui.run(runner.check(run_if_due=False))
    assert bar.backup.isVisible()
    assert bar.backup.text() == "Last backup 3 day(s) ago"
    assert str(stick) in bar.backup.toolTip()

    stick.rename(tmp_path / "pulled-out")
    ui.run(runner.check())
    assert bar.backup.text() == "Backup folder not connected"
    assert "connect the disk" in bar.backup.toolTip()
    assert not stick.exists()  # nothing was written in its place

    clicked = []
    bar.show_backups.connect(lambda: clicked.append(True))
    qtbot.mouseClick(bar.backup, Qt.MouseButton.LeftButton)
    assert clicked == [True]


def test_settings_choose_a_folder_keep_the_schedule_and_back_up_now(
    ui, qtbot, tmp_path, settings_folder, clock
):
    screen = SettingsScreen(ui.session)
    qtbot.addWidget(screen)
    screen.show()
    box = screen.backups
    ui.until(lambda: box.status is not None, what="the backup status")
    assert box.folder.text() == "" and not box.now_button.isEnabled()

    usb = tmp_path / "usb"
    usb.mkdir()
    dialog = box.browse()
    dialog.fileSelected.emit(str(usb))
    dialog.close()
    ui.until(lambda: box.folder.text() == str(usb.resolve()), what="the chosen folder")
    backups = ui.session.clinic.backups
    assert ui.call(backups.plan).target == usb.resolve()
    assert box.now_button.isEnabled()

    box.numbers["keep_daily"].setValue(12)
    box.numbers["interval_hours"].setValue(6)
    ui.until(
        lambda: box.plan is not None and (box.plan.keep_daily, box.plan.interval_hours) == (12, 6),
        what="the schedule saved",
    )
    saved = ui.call(backups.plan)
    assert (saved.keep_daily, saved.interval_hours) == (12, 6)

    # a folder inside the profile is refused at its field, and nothing changes
    plan = ui.call(backups.plan)
    dialog = box.browse()
    dialog.fileSelected.emit(str(ui.store.profile / "attachments"))
    dialog.close()
    ui.until(lambda: box.folder_error.isVisible(), what="the folder's error")
    assert "outside the profile" in box.folder_error.text()
    assert ui.call(backups.plan) == plan

    qtbot.mouseClick(box.now_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: "verified" in box.done.text(), what="the backup")
    assert len(list(usb.glob("*.clinicbackup"))) == 1
    assert "Newest good backup" in box.state.text()

    qtbot.mouseClick(box.off_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: box.plan is not None and box.plan.target is None, what="backups off")
    assert ui.call(backups.plan).target is None
    assert box.folder.text() == ""
    assert len(list(usb.glob("*.clinicbackup"))) == 1  # turning off removes nothing


def test_backup_at_close_when_records_changed(ui, qtbot, tmp_path, clock, runner):
    usb = tmp_path / "usb"
    usb.mkdir()
    backups = ui.session.clinic.backups
    ui.call(lambda: backups.configure(target=str(usb)))
    ui.call(backups.run)
    ui.run(runner.check(run_if_due=False))
    assert not runner.wanted_at_close()  # nothing changed since, none due

    clock.now = START + timedelta(minutes=30)
    ui.call(lambda: ui.store.put({"resourceType": "Patient", "id": "p-1"}, patient_id="p-1"))
    runner.changed, runner.changed_at = True, datetime.now(UTC)  # as a RECORDS_CHANGED would
    assert runner.wanted_at_close()
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    result = ui.run(runner.at_close(window))
    assert result is not None and result.verified.records == 1
    # the same day's earlier backup gave way to it (one a day is kept)
    assert list(usb.glob("*.clinicbackup")) == [result.path] and len(result.removed) == 1
    assert runner.closed and not runner.wanted_at_close()
