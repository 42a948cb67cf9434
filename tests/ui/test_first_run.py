"""First run, forgotten passphrases and colleagues on a shared PC, through the real main window:
the set-up screen makes the encrypted profile and will not go on until two groups of the
recovery key are typed back; the sign-in screen sets a new passphrase with the recovery key;
the settings add a user who can then sign in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from local_store.errors import WrongPassphrase
from local_store.store import Store
from ui.main_window import MainWindow
from ui.settings_screen import SettingsScreen

PASS = "first-run-pass-1"


def wait(loop: asyncio.AbstractEventLoop, predicate: Callable[[], object], what: str) -> None:
    async def poll() -> None:
        deadline = time.monotonic() + 30
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.02)

    loop.run_until_complete(poll())


@pytest.fixture
def window(qloop, qtbot, tmp_path):
    asyncio.set_event_loop(qloop)
    made: list[MainWindow] = []

    def make(profile: Path) -> MainWindow:
        w = MainWindow(profile)
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        qloop.run_until_complete(w.shutdown())


def test_first_run_makes_the_profile_and_insists_on_the_recovery_key(
    window, qloop, qtbot, tmp_path
):
    profile = tmp_path / "profile"
    w = window(profile)
    setup = w.setup
    assert setup is not None and w.stack.currentWidget() is setup

    # Invalid details: a message beside each field, no profile on disk.
    qtbot.keyClicks(setup.user, "a")
    qtbot.keyClicks(setup.passphrase, "short")
    qtbot.keyClicks(setup.repeat, "short")
    assert qloop.run_until_complete(setup.make_profile()) is False
    for key in ("clinic", "user", "passphrase"):
        assert setup.errors[key].isVisibleTo(setup) and setup.errors[key].text(), key
    assert not Store.exists(profile)

    for edit in (setup.user, setup.passphrase, setup.repeat):
        edit.clear()
    setup.clinic.setText("山河乡卫生院")  # typed through an input method: keyClicks is ASCII
    qtbot.keyClicks(setup.user, "dr.zhang")
    qtbot.keyClicks(setup.passphrase, PASS)
    qtbot.keyClicks(setup.repeat, PASS + "x")
    assert qloop.run_until_complete(setup.make_profile()) is False
    assert "differ" in setup.errors["repeat"].text()
    setup.repeat.clear()
    qtbot.keyClicks(setup.repeat, PASS)
    qtbot.mouseClick(setup.create_button, Qt.MouseButton.LeftButton)
    wait(qloop, lambda: setup.steps.currentIndex() == 1, "the recovery key page")
    assert Store.exists(profile) and Store.users(profile) == ["dr.zhang"]

    key = setup.recovery_key
    groups = key.split("-")
    shown = setup.key_label.text().replace("\n", "")
    assert shown == key and len(groups) == 13
    a, b = setup.asked
    # A wrong group keeps the user here.
    qtbot.keyClicks(setup.group_a, groups[a])
    qtbot.keyClicks(setup.group_b, "ZZZZ" if groups[b] != "ZZZZ" else "YYYY")
    qtbot.mouseClick(setup.confirm_button, Qt.MouseButton.LeftButton)
    assert setup.errors["group_b"].text() and w.session is None
    setup.group_b.clear()
    qtbot.keyClicks(setup.group_b, groups[b].lower())  # case does not matter on paper
    qtbot.mouseClick(setup.confirm_button, Qt.MouseButton.LeftButton)
    wait(qloop, lambda: w.workspace is not None and w.setup is None, "the workspace")
    assert w.setup is None and setup.recovery_key == ""  # not kept in memory
    assert w.session is not None and w.session.user == "dr.zhang"
    assert "山河乡卫生院" in w.windowTitle()
    assert isinstance(w.workspace.stack.currentWidget(), SettingsScreen)  # connect next

    # The recovery key written down opens the records.
    qloop.run_until_complete(w.shutdown())
    Store.unlock_recovery(profile, key).lock()


def test_forgotten_passphrase_is_replaced_with_the_recovery_key(window, qloop, qtbot, tmp_path):
    profile = tmp_path / "profile"
    store, recovery = Store.create(profile, "dr.li", PASS)
    store.add_user("nurse.wang", "nurse-pass-1")
    store.lock()
    w = window(profile)
    unlock = w.unlock
    assert w.stack.currentWidget() is unlock
    unlock.user.setCurrentText("dr.li")
    assert not unlock.recovery_box.isVisibleTo(unlock)
    qtbot.mouseClick(unlock.forgot, Qt.MouseButton.LeftButton)
    assert unlock.recovery_box.isVisibleTo(unlock)

    qtbot.keyClicks(unlock.recovery, "AAAA-" * 12 + "AAAA")
    qtbot.keyClicks(unlock.new_pass, "new-pass-12")
    qtbot.keyClicks(unlock.repeat_pass, "new-pass-12")
    qtbot.mouseClick(unlock.recovery_button, Qt.MouseButton.LeftButton)
    wait(qloop, lambda: unlock.error.text(), "the refusal")
    assert w.session is None
    Store.unlock(profile, "dr.li", PASS).lock()  # a wrong key changed nothing

    unlock.recovery.clear()
    qtbot.keyClicks(unlock.recovery, recovery.lower().replace("-", " "))
    unlock.repeat_pass.clear()
    qtbot.keyClicks(unlock.repeat_pass, "new-pass-13")
    qtbot.mouseClick(unlock.recovery_button, Qt.MouseButton.LeftButton)
    wait(qloop, lambda: unlock.new_error.text(), "the message")
    assert "differ" in unlock.new_error.text() and w.session is None
    unlock.repeat_pass.clear()
    qtbot.keyClicks(unlock.repeat_pass, "new-pass-12")
    qtbot.mouseClick(unlock.recovery_button, Qt.MouseButton.LeftButton)
    wait(qloop, lambda: w.session is not None, "the workspace")
    assert w.session.user == "dr.li"
    assert unlock.recovery.text() == "" and unlock.new_pass.text() == ""
    qloop.run_until_complete(w.shutdown())
    with pytest.raises(WrongPassphrase):
        Store.unlock(profile, "dr.li", PASS)
    Store.unlock(profile, "dr.li", "new-pass-12").lock()
    Store.unlock(profile, "nurse.wang", "nurse-pass-1").lock()  # the other user is untouched


def test_a_colleague_is_added_in_the_settings(ui, qtbot):
    screen = SettingsScreen(ui.session)
    qtbot.addWidget(screen)
    profile = ui.store.profile
    qtbot.keyClicks(screen.new_user, "x")
    qtbot.keyClicks(screen.user_pass, "nurse-pass-1")
    qtbot.keyClicks(screen.user_repeat, "nurse-pass-1")
    assert ui.run(screen.add_user()) is False
    assert screen.errors["new_user"].text()
    screen.new_user.clear()
    qtbot.keyClicks(screen.new_user, ui.session.user)
    assert ui.run(screen.add_user()) is False
    assert "exists" in screen.errors["new_user"].text()
    screen.new_user.clear()
    qtbot.keyClicks(screen.new_user, "nurse.wang")
    assert ui.run(screen.add_user()) is True
    assert "nurse.wang" in screen.user_done.text()
    assert "nurse.wang" in screen.users_list.text()
    assert screen.user_pass.text() == ""
    assert sorted(Store.users(profile)) == sorted([ui.session.user, "nurse.wang"])
    other = Store.unlock(profile, "nurse.wang", "nurse-pass-1")
    assert other.user == "nurse.wang"
    other.lock()
