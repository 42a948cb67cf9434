"""Restoring a backup from the settings, with real widgets, a real main window and a real
backup file: a wrong passphrase is refused at its field and nothing changes; cancelling at the
confirmation changes nothing; a confirmed restore closes the records, puts the backup in place
(the old profile moved aside) and the sign-in opens it: a patient added before the backup is
back, one added after is gone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths

from clinic_app.records.patient import PatientInput
from local_store.errors import StoreLocked
from local_store.store import Store
from ui.main_window import MainWindow
from ui.restore_box import RECOVERY_KEY, RestoreBox
from ui.settings_screen import switch_language

USER, PASS = "dr.restore", "restore-pass-1"


def wait(loop: asyncio.AbstractEventLoop, predicate: Callable[[], object], what: str) -> None:
    async def poll() -> None:
        deadline = time.monotonic() + 60
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.02)

    loop.run_until_complete(poll())


@pytest.fixture
def settings_folder(tmp_path):
    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path / "settings"))
    yield
    switch_language("en")
    home = QStandardPaths.StandardLocation.GenericConfigLocation
    QSettings.setPath(fmt, scope, QStandardPaths.writableLocation(home))


@pytest.fixture
def signed_in(qloop, qtbot, tmp_path, settings_folder):
    """A main window signed in to a profile holding patient "Before" (in the backup, written
    to a backup folder) and patient "After" (added after the backup)."""
    asyncio.set_event_loop(qloop)
    profile = tmp_path / "profile"
    _store, recovery = Store.create(profile, USER, PASS)
    _store.lock()
    window = MainWindow(profile)
    qtbot.addWidget(window)
    window.show()
    sign_in(window, qloop)
    session = window.session
    assert session is not None
    clinic = session.clinic
    qloop.run_until_complete(session.write(clinic.patients.register, PatientInput("Before", "Li")))
    folder = tmp_path / "backups"
    folder.mkdir()
    qloop.run_until_complete(session.call(lambda: clinic.backups.configure(target=str(folder))))
    result = qloop.run_until_complete(session.call(clinic.backups.run))
    qloop.run_until_complete(session.write(clinic.patients.register, PatientInput("After", "Wang")))
    yield window, result.path, recovery
    qloop.run_until_complete(window.shutdown())


def sign_in(window: MainWindow, loop: asyncio.AbstractEventLoop) -> None:
    window.unlock.user.setCurrentText(USER)
    window.unlock.passphrase.setText(PASS)
    window.unlock.button.click()
    wait(loop, lambda: window.session is not None and window.workspace is not None, "sign-in")


def family_names(window: MainWindow, loop: asyncio.AbstractEventLoop) -> set[str]:
    session = window.session
    assert session is not None
    found = loop.run_until_complete(session.call(session.clinic.patients.page, 0, 50))
    return {p["name"][0]["family"] for p in found}


def box_of(window: MainWindow) -> RestoreBox:
    box = window.findChild(RestoreBox)
    assert box is not None
    return box


def profile_folders(profile: Path) -> list[str]:
    return sorted(p.name for p in profile.parent.iterdir() if p.name.startswith("profile"))


def test_a_wrong_passphrase_or_key_is_refused_and_nothing_changes(signed_in, qloop):
    window, archive, _recovery = signed_in
    box = box_of(window)
    before = profile_folders(window.profile)
    box.set_file(str(archive))
    box.secret.setText("not-the-passphrase")
    assert qloop.run_until_complete(box.restore()) == "refused"
    assert box.secret_error.text() and box.confirm_box is None and box.job is None
    box.kind.setCurrentIndex(box.kind.findData(RECOVERY_KEY))
    box.secret.setText("AAAA-" * 12 + "AAAA")
    assert qloop.run_until_complete(box.restore()) == "refused"
    assert "recovery key" in box.secret_error.text()
    assert window.session is not None and window.restoring is None
    assert profile_folders(window.profile) == before
    assert family_names(window, qloop) == {"Before", "After"}


def test_cancel_at_the_confirmation_changes_nothing(signed_in, qloop):
    window, archive, _recovery = signed_in
    box = box_of(window)
    before = profile_folders(window.profile)
    box.set_file(str(archive))
    box.secret.setText(PASS)
    task = asyncio.ensure_future(box.restore(), loop=qloop)
    wait(qloop, lambda: box.confirm_box is not None, "the confirmation")
    question = box.confirm_box.text()
    assert str(window.profile) in question and archive.name in question
    assert "(2 records now)" in question
    box.cancel_button.click()
    assert qloop.run_until_complete(task) == "cancelled"
    assert window.session is not None and window.restoring is None
    assert profile_folders(window.profile) == before
    assert family_names(window, qloop) == {"Before", "After"}


def test_a_confirmed_restore_brings_back_the_backup_and_reopens_the_profile(signed_in, qloop):
    window, _archive, _recovery = signed_in
    box = box_of(window)
    old_clinic = window.session.clinic
    assert qloop.run_until_complete(box.pick_newest()) is not None  # the newest verified one
    box.kind.setCurrentIndex(box.kind.findData(RECOVERY_KEY))
    box.secret.setText(_recovery)
    task = asyncio.ensure_future(box.restore(), loop=qloop)
    wait(qloop, lambda: box.confirm_box is not None, "the confirmation")
    box.replace_button.click()
    assert qloop.run_until_complete(task) == "requested"
    wait(qloop, lambda: window.restoring is not None and window.restoring.done(), "the restore")
    report = window.restoring.result()
    assert report is not None and report.previous is not None and report.previous.is_dir()
    assert report.missing == 1  # "After"'s registration, never sent
    run = window.restore_run
    assert run is not None and run.result_box is not None
    assert str(report.previous) in run.result_box.text()
    # The old store is closed; the sign-in screen opens the restored profile.
    assert window.session is None and window.stack.currentWidget() is window.unlock
    with pytest.raises(StoreLocked):
        old_clinic.patients.count()
    run.result_box.close()
    sign_in(window, qloop)
    assert family_names(window, qloop) == {"Before"}
