"""The pre-call check with real widgets: with no camera or microphone it previews the synthetic
picture and tone (frames painted, the meter moves), tests the loudspeaker (the chime's own
samples reach the ring function; without a loudspeaker it says so), and hands the headset
choice to the launcher, which opens the room with echo processing off; cancel opens nothing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, QStandardPaths

from media import playback
from media.errors import NoSpeakerFound
from media.sources import Device
from ui.call_launcher import CallLauncher
from ui.precall_check import PreCallCheck


@pytest.fixture
def settings_folder(tmp_path):
    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path / "settings"))
    yield
    home = QStandardPaths.StandardLocation.GenericConfigLocation
    QSettings.setPath(fmt, scope, QStandardPaths.writableLocation(home))


def no_devices() -> tuple[list[Device], list[Device], list[Device]]:
    return [], [], [Device("USB headset", "USB headset")]


def test_preview_meter_speaker_test_and_headset(ui, qtbot, settings_folder):
    played: list[tuple[str | None, int]] = []

    def ring(device: str | None) -> float:
        frame = playback.chime()
        played.append((device, frame.samples))  # what a loudspeaker would have been given
        return frame.samples / frame.sample_rate

    check = PreCallCheck("王小明", devices=no_devices, ring=ring)
    qtbot.addWidget(check)
    check.show()
    box = check.devices
    ui.until(lambda: box.video.frames_painted >= 5, what="the camera preview")
    ui.until(lambda: box.level.value() > 0, what="the microphone level")
    assert "王小明" in check.windowTitle()

    box.speaker.setCurrentIndex(box.speaker.findData("USB headset"))
    assert ui.run(check.test_speaker())
    assert played == [("USB headset", playback.chime().samples)] and played[0][1] > 24_000
    assert check.speaker_result.text().startswith("Did you hear two notes?")
    assert check.speaker_button.isEnabled()

    check.headset.setChecked(True)
    assert check.uses_headset
    check.join_button.click()
    assert not check.isVisible() and box.preview_button.isChecked() is False


def test_no_loudspeaker_is_said_plainly(ui, qtbot, settings_folder):
    def no_speaker(_device: str | None) -> float:
        raise NoSpeakerFound(
            "No loudspeaker or headset was found; you will not hear the other side."
        )

    check = PreCallCheck("x", devices=no_devices, ring=no_speaker)
    qtbot.addWidget(check)
    check.show()
    assert not ui.run(check.test_speaker())
    assert check.speaker_result.text().startswith("No loudspeaker or headset was found")
    check.reject()


def test_the_launcher_checks_first_and_passes_the_headset_on(ui, qtbot, settings_folder):
    launcher = CallLauncher(ui.session, precheck=True)
    opened: list[tuple[str, bool]] = []

    async def open_room(consult_id, patient_id="", title="", *, headset=False):
        opened.append((consult_id, headset))

    launcher.open_room = open_room  # the room has its own tests
    launcher.join("c-1", "p-1", "王小明")
    ui.until(lambda: launcher.check is not None and launcher.check.isVisible(), what="check")
    check = launcher.check
    assert check is not None
    qtbot.addWidget(check)
    check.headset.setChecked(True)
    check.join_button.click()
    ui.until(lambda: opened == [("c-1", True)], what="the room opened with a headset")

    launcher.join("c-2", "p-2", "李梅")
    ui.until(lambda: launcher.check is not None, what="the second check")
    assert launcher.check is not None
    assert launcher.check.headset.isChecked()  # remembered from the last call
    launcher.check.cancel_button.click()
    ui.until(lambda: launcher.check is None, what="the check closed")
    assert opened == [("c-1", True)]


def test_the_headset_choice_is_remembered_between_calls(ui, qtbot, settings_folder):
    """The pre-call check and the consult room start with the last choice and keep a change."""
    from ui.consult_room import ConsultRoom

    first = PreCallCheck("王小明", devices=no_devices)
    qtbot.addWidget(first)
    assert not first.headset.isChecked()  # nothing chosen yet: no headset
    first.headset.setChecked(True)
    first.reject()  # a cancelled check remembers nothing
    again = PreCallCheck("王小明", devices=no_devices)
    qtbot.addWidget(again)
    assert not again.headset.isChecked()
    again.headset.setChecked(True)
    again.accept()
    room = ConsultRoom(ui.session, "some-consult", title="王小明")  # no check before it
    qtbot.addWidget(room)
    assert room.headset_box.isChecked()
    room.headset_box.setChecked(False)  # changed during the call: the next one starts so
    third = PreCallCheck("李梅", devices=no_devices)
    qtbot.addWidget(third)
    assert not third.headset.isChecked()
    other = ConsultRoom(ui.session, "other-consult", title="李梅")
    qtbot.addWidget(other)
    assert not other.headset_box.isChecked()
