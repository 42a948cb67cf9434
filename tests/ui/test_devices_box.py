"""Settings' camera and microphone box with real widgets: the synthetic choices preview real
frames and a level meter that follows the test tone; choices are stored as preferences and used
by the consult room's factories; the room feeds the other side's audio to its player and says
when there is no loudspeaker."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest
from PySide6.QtCore import QSettings, QStandardPaths

from media import sources
from media.errors import NoSpeakerFound
from media.playback import SpeakerPlayer
from media.sources import Device, SyntheticAudioSource, SyntheticVideoSource
from ui import preferences
from ui.consult_room import ConsultRoom, _Observer
from ui.devices_box import (
    SYNTHETIC,
    DevicesBox,
    level_percent,
    media_from_preferences,
)

SPEAKERS = [Device("USB headset", "USB headset"), Device("Built-in speakers", "Built-in speakers")]


@pytest.fixture
def settings_folder(tmp_path):
    """QSettings of this test only (never the tester's own)."""
    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path / "settings"))
    yield tmp_path / "settings"
    home = QStandardPaths.StandardLocation.GenericConfigLocation
    QSettings.setPath(fmt, scope, QStandardPaths.writableLocation(home))


def no_devices_but_speakers() -> tuple[list[Device], list[Device], list[Device]]:
    return [], [], list(SPEAKERS)


def shown_box(ui, qtbot) -> DevicesBox:
    box = DevicesBox(devices=no_devices_but_speakers)
    qtbot.addWidget(box)
    box.resize(420, 520)
    box.show()
    ui.until(lambda: box._listed, what="the device lists")
    return box


def test_synthetic_preview_shows_frames_and_the_tone_moves_the_meter(ui, qtbot, settings_folder):
    box = shown_box(ui, qtbot)
    assert box.title() == "Camera and microphone"
    assert box.camera.currentData() == SYNTHETIC
    assert box.camera.currentText() == "Synthetic test picture"
    assert box.microphone.currentText() == "Test tone"
    assert [box.speaker.itemText(i) for i in range(box.speaker.count())] == [
        "System default", "USB headset", "Built-in speakers",
    ]  # fmt: skip
    assert box.advice.isHidden()  # echo is cancelled (media/echo.py): no headset advice
    assert box.level.value() == 0 and box.video.message == "Preview is off."

    box.preview_button.click()
    ui.until(lambda: box.video.frames_painted >= 5, what="preview frames painted")
    assert box.video.image is not None and box.video.image.width() == 320
    ui.until(lambda: box.level.value() > 0, what="the level meter")
    readings = []
    for _ in range(10):
        ui.settle(0.06)
        readings.append(box.level.value())
    # the tone is a steady 440 Hz at 0.1 of full scale: RMS -23 dBFS, 61 % of a -60..0 meter
    assert all(55 <= r <= 67 for r in readings), readings

    box.preview_button.click()  # off: the meter drops, the view says so
    ui.settle(0.2)
    assert box.level.value() == 0 and box.video.message == "Preview is off."
    painted = box.video.frames_painted
    ui.settle(0.3)
    assert box.video.frames_painted == painted  # the sources are closed, nothing comes
    box.close_preview()


def test_hiding_the_box_stops_the_preview(ui, qtbot, settings_folder):
    box = shown_box(ui, qtbot)
    box.preview_button.click()
    ui.until(lambda: box.preview_frames >= 3, what="preview frames")
    box.hide()
    assert not box.preview_button.isChecked()
    seen = box.preview_frames
    ui.settle(0.3)
    assert box.preview_frames == seen
    box.close_preview()


def test_choices_are_stored_and_used_by_calls(ui, qtbot, settings_folder):
    box = shown_box(ui, qtbot)
    box.speaker.setCurrentIndex(box.speaker.findData("USB headset"))
    assert preferences.get(preferences.SPEAKER) == "USB headset"
    box.camera.setCurrentIndex(box.camera.findData(SYNTHETIC))
    assert preferences.get(preferences.CAMERA) in ("", SYNTHETIC)
    preferences.put(preferences.CAMERA, SYNTHETIC)
    preferences.put(preferences.MICROPHONE, "alsa:hw:9")  # a microphone unplugged since
    again = shown_box(ui, qtbot)
    assert again.speaker.currentText() == "USB headset"
    assert again.camera.currentData() == SYNTHETIC
    assert again.microphone.currentData() == "alsa:hw:9"
    assert again.microphone.currentText() == "alsa:hw:9 (not connected)"

    preferences.put(preferences.MICROPHONE, SYNTHETIC)
    media = media_from_preferences()  # what the consult room opens by default
    try:
        assert isinstance(media.video, SyntheticVideoSource)
        assert isinstance(media.audio, SyntheticAudioSource)
    finally:
        media.close()
    box.close_preview()
    again.close_preview()


def test_no_loudspeaker_at_all(ui, qtbot, settings_folder):
    box = DevicesBox(devices=lambda: ([], [], []))
    qtbot.addWidget(box)
    box.show()
    ui.until(lambda: box._listed, what="the device lists")
    assert box.speaker.currentText() == "No loudspeaker or headset found"
    assert not box.speaker.isEnabled()
    box.close_preview()


def test_level_scale_and_the_shared_name_of_the_synthetic_source():
    assert SYNTHETIC == sources.SYNTHETIC
    assert level_percent(0.0) == 0 and level_percent(1.0) == 100
    assert level_percent(0.001) == 0  # -60 dBFS
    assert level_percent(10 ** (-30 / 20)) == 50


def stereo_frame(n: int = 960) -> av.AudioFrame:
    t = np.arange(n) / 48_000 * 2 * np.pi * 440
    pcm = np.repeat((np.sin(t) * 3000).astype(np.int16), 2).reshape(1, -1)
    f = av.AudioFrame.from_ndarray(pcm, format="s16", layout="stereo")
    f.sample_rate, f.pts, f.time_base = 48_000, 0, fractions.Fraction(1, 48_000)
    return f


def test_the_room_plays_remote_audio_and_says_when_there_is_no_loudspeaker(ui, qtbot):
    def no_speaker() -> SpeakerPlayer:
        raise NoSpeakerFound(
            "No loudspeaker or headset was found; you will not hear the other side."
        )

    room = ConsultRoom(ui.session, "consult-1", player_factory=no_speaker)
    qtbot.addWidget(room)
    player, problem = ui.run(room._open_player())
    assert player is None
    room.speaker_problem = problem
    room.show_advice()
    assert room.advice.text() == (
        "No loudspeaker or headset was found; you will not hear the other side."
    )
    _Observer(room).on_remote_audio(stereo_frame())  # no player: ignored, no error

    room.player = SpeakerPlayer(target_ms=20)  # a player without a device, driven by hand
    observer = _Observer(room)
    for _ in range(3):
        observer.on_remote_audio(stereo_frame())
    assert room.player.stats.level_ms == 60
    player = room.player
    ui.run(room.hangup())
    assert room.player is None and not player.active and player.stats.level_ms == 0
