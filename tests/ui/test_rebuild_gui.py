"""Rebuilding the records from the central platform in the settings, with real widgets, a real
main window and a real ``clinic-central`` process: a wrong passphrase or recovery key is refused
at its field and nothing changes; cancelling at the confirmation (which names the folder, the
counts and the platform) changes nothing; with the central platform stopped the rebuild fails,
says so, and the same profile signs in again; a confirmed rebuild closes the records, shows its
steps, moves the old profile aside unchanged, and the sign-in opens the rebuilt one holding what
the platform holds (a patient another PC of the clinic registered too)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from clinic_app.records.patient import PatientInput
from clinic_app.recovery import STEPS
from local_store.errors import StoreLocked
from local_store.store import Store
from tests.e2e.workstation import PASSPHRASE, Workstation
from tests.support.central_proc import CentralProcess
from tests.ui.test_restore_gui import settings_folder, wait  # noqa: F401 (fixture)
from ui.main_window import MainWindow
from ui.rebuild_box import RECOVERY_KEY, RebuildBox

USER = "dr.a"


@pytest.fixture
def central(tmp_path):
    proc = CentralProcess(f"sqlite:///{tmp_path / 'central.db'}",
                          log_path=tmp_path / "central.log")  # fmt: skip
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def signed_in(qloop, qtbot, tmp_path, settings_folder, central):  # noqa: F811
    """A main window signed in to an enrolled profile whose three patients are on the central
    platform, and the clinic id (for another PC)."""
    asyncio.set_event_loop(qloop)
    clinic_id = central.add_clinic("Hill Clinic")
    ws = Workstation(tmp_path, "a")
    ws.enroll(central.url, central.enrollment_code(clinic_id))
    for i in range(3):
        ws.add_patient("张", f"同步{i}")
    assert ws.sync_until_quiet().pending == 0
    ws.store.lock()
    profile = tmp_path / "a"
    key = _new_recovery_key(profile)
    asyncio.set_event_loop(qloop)  # asyncio.run() above unset it
    window = MainWindow(profile)
    qtbot.addWidget(window)
    window.show()
    sign_in(window, qloop)
    yield window, clinic_id, key
    qloop.run_until_complete(window.shutdown())


def _new_recovery_key(profile: Path) -> str:
    store = Store.unlock(profile, USER, PASSPHRASE)
    try:
        return store.new_recovery_key()
    finally:
        store.lock()


def sign_in(window: MainWindow, loop: asyncio.AbstractEventLoop) -> None:
    window.unlock.user.setCurrentText(USER)
    window.unlock.passphrase.setText(PASSPHRASE)
    window.unlock.button.click()
    wait(loop, lambda: window.session is not None and window.workspace is not None, "sign-in")


def given_names(window: MainWindow, loop: asyncio.AbstractEventLoop) -> set[str]:
    session = window.session
    assert session is not None
    found = loop.run_until_complete(session.call(session.clinic.patients.page, 0, 50))
    return {p["name"][0]["given"][0] for p in found}


def box_of(window: MainWindow) -> RebuildBox:
    box = window.findChild(RebuildBox)
    assert box is not None
    return box


def folders(profile: Path) -> list[str]:
    return sorted(p.name for p in profile.parent.iterdir() if p.name.startswith((".a", "a")))


def test_wrong_key_and_cancel_change_nothing(signed_in, qloop, central):
    window, _clinic, _key = signed_in
    box = box_of(window)
    before = folders(window.profile)
    box.secret.setText("not-the-passphrase")
    assert qloop.run_until_complete(box.rebuild()) == "refused"
    assert box.secret_error.text() and box.confirm_box is None and box.job is None
    box.kind.setCurrentIndex(box.kind.findData(RECOVERY_KEY))
    box.secret.setText("AAAA-" * 12 + "AAAA")
    assert qloop.run_until_complete(box.rebuild()) == "refused"
    assert "recovery key" in box.secret_error.text()

    box.kind.setCurrentIndex(box.kind.findData("passphrase"))
    box.secret.setText(PASSPHRASE)
    task = asyncio.ensure_future(box.rebuild(), loop=qloop)
    wait(qloop, lambda: box.confirm_box is not None, "the confirmation")
    question = box.confirm_box.text()
    assert str(window.profile) in question and central.url in question
    assert "(3 records now, 0 changes never sent)" in question
    box.cancel_button.click()
    assert qloop.run_until_complete(task) == "cancelled"
    assert window.session is not None and window.rebuilding is None
    assert folders(window.profile) == before
    assert given_names(window, qloop) == {"同步0", "同步1", "同步2"}


def test_a_failed_rebuild_changes_nothing_and_the_same_profile_opens(signed_in, qloop, central):
    window, _clinic, _key = signed_in
    box = box_of(window)
    before = folders(window.profile)
    central.stop()  # the platform cannot be reached: nothing to rebuild from
    box.secret.setText(PASSPHRASE)
    task = asyncio.ensure_future(box.rebuild(), loop=qloop)
    wait(qloop, lambda: box.confirm_box is not None, "the confirmation")
    box.replace_button.click()
    assert qloop.run_until_complete(task) == "requested"
    wait(qloop, lambda: window.rebuilding is not None and window.rebuilding.done(), "the rebuild")
    assert window.rebuilding.result() is None
    problems = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert any("could not be received" in b.text() for b in problems), [b.text() for b in problems]
    assert folders(window.profile) == before  # no folder beside left, nothing moved
    for b in problems:
        b.close()
    sign_in(window, qloop)
    assert given_names(window, qloop) == {"同步0", "同步1", "同步2"}


def test_a_confirmed_rebuild_reopens_the_profile_with_the_platforms_records(
    signed_in, qloop, central, tmp_path
):
    window, clinic_id, key = signed_in
    other = Workstation(tmp_path, "other")  # another PC of the clinic registers a patient
    other.enroll(central.url, central.enrollment_code(clinic_id))
    other.add_patient("王", "其他电脑")
    assert other.sync_until_quiet().pending == 0
    other.store.lock()
    asyncio.set_event_loop(qloop)
    session = window.session
    local = qloop.run_until_complete(
        session.write(session.clinic.patients.register, PatientInput("李", "本机"))
    )
    assert local is not None
    box = box_of(window)
    old_clinic = session.clinic
    box.kind.setCurrentIndex(box.kind.findData(RECOVERY_KEY))
    box.secret.setText(key)
    task = asyncio.ensure_future(box.rebuild(), loop=qloop)
    wait(qloop, lambda: box.confirm_box is not None, "the confirmation")
    box.replace_button.click()
    assert qloop.run_until_complete(task) == "requested"
    assert box.secret.text() == ""  # the key does not stay in the field
    wait(qloop, lambda: window.rebuilding is not None and window.rebuilding.done(), "the rebuild")
    report = window.rebuilding.result()
    assert report is not None and report.previous is not None and report.previous.is_dir()
    assert report.dest == window.profile and report.unsent_lost == []
    run = window.rebuild_run
    assert run is not None and run.steps == list(STEPS)
    assert run.result_box is not None and str(report.previous) in run.result_box.text()
    # The old store is closed; the sign-in screen opens the rebuilt profile.
    assert window.session is None and window.stack.currentWidget() is window.unlock
    with pytest.raises(StoreLocked):
        old_clinic.patients.count()
    assert not [p for p in window.profile.parent.iterdir() if ".rebuild-" in p.name]
    run.result_box.close()
    sign_in(window, qloop)
    names = given_names(window, qloop)
    assert names == {"同步0", "同步1", "同步2", "其他电脑", "本机"}
    old = Store.unlock(report.previous, USER, PASSPHRASE)  # moved aside, still opens
    try:
        assert old.counts()["Patient"] >= 4
    finally:
        old.lock()
