"""Settings: the camera, microphone and loudspeaker of calls, with a preview.

Choices are stored as workstation preferences (``ui.preferences.CAMERA`` / ``MICROPHONE`` /
``SPEAKER``) and used by the consult room (:func:`media_from_preferences`,
:func:`player_from_preferences`). "Synthetic test picture" and "Test tone" are the synthetic
sources (``media.sources.SYNTHETIC``); a first-found device is the default.

The preview opens the chosen camera and microphone off the GUI thread and reads them on the
event loop: video frames go to a :class:`ui.video_view.VideoView` (converted on its worker
thread), the microphone's loudness (RMS) to a level meter. It stops when the box is hidden, so
a call never finds the devices held by settings. Device lists are read off the GUI thread too
(PortAudio probes every ALSA plugin when it starts), when the box is first shown.

The settings screen is built at sign-in, so this module imports nothing of ``media`` but its
errors at import time: ``media.sources`` brings aiortc and PyAV (about half a second).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from media.errors import CallError
from ui import preferences
from ui.errors import safe_details, tr_core
from ui.video_view import VideoView

if TYPE_CHECKING:
    from media.playback import SpeakerPlayer
    from media.sources import AudioSource, Device, LocalMedia, VideoSource

log = logging.getLogger(__name__)
SYNTHETIC = "synthetic"  # = media.sources.SYNTHETIC, not imported here (see above)
PREVIEW_SIZE = (320, 240)
LEVEL_FLOOR_DB = -60.0  # the meter's empty end; 0 dBFS is full
LEVEL_EVERY_S = 0.05  # meter refresh
MISSING_ROLE = int(Qt.ItemDataRole.UserRole) + 7  # a chosen device's name, not connected now


def media_from_preferences() -> LocalMedia:
    """The call's camera and microphone as chosen in settings (blocks: not on the GUI
    thread). A chosen device that fails raises MediaDeviceError; an automatic choice falls
    back to the synthetic source."""
    from media.sources import LocalMedia

    camera = str(preferences.get(preferences.CAMERA)) or None
    microphone = str(preferences.get(preferences.MICROPHONE)) or None
    return LocalMedia.open(camera=camera, microphone=microphone)


def player_from_preferences() -> SpeakerPlayer:
    """The loudspeaker chosen in settings, started (blocks: not on the GUI thread). Raises
    NoSpeakerFound when there is none."""
    from media.playback import SpeakerPlayer

    return SpeakerPlayer.open(str(preferences.get(preferences.SPEAKER)) or None)


def list_devices() -> tuple[list[Device], list[Device], list[Device]]:
    """Cameras, microphones, loudspeakers (blocks: not on the GUI thread)."""
    from media.playback import list_speakers
    from media.sources import list_cameras, list_microphones

    return list_cameras(), list_microphones(), list_speakers()


def level_percent(rms: float) -> int:
    """RMS (0..1 of full scale) on a -60..0 dBFS meter, in percent."""
    if rms <= 0:
        return 0
    db = 20 * math.log10(rms)
    return int(max(0.0, min(100.0, (db - LEVEL_FLOOR_DB) / -LEVEL_FLOOR_DB * 100)))


Lister = Callable[[], tuple[list["Device"], list["Device"], list["Device"]]]


def _headset_advice() -> str:
    """The headset advice, only where the microphone's echo is not cancelled (media.echo)."""
    from media.sources import HEADSET_ADVICE, HEADSET_RECOMMENDED

    return HEADSET_ADVICE if HEADSET_RECOMMENDED else ""


def _close_when_opened(opening: asyncio.Future[LocalMedia]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()


class DevicesBox(QGroupBox):
    """Camera, microphone and loudspeaker choices, a preview and the headset advice."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        devices: Lister = list_devices,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("devices-box")
        self._lister = devices
        self._headset_advice = ""  # media.sources.HEADSET_ADVICE, once media is loaded
        self._filling = False
        self._listed = False
        self._preview: asyncio.Future[None] | None = None
        self.preview_frames = 0
        self.preview_error = ""
        self._level_at = 0.0

        outer = QVBoxLayout(self)
        form = QFormLayout()
        self.camera_label, self.microphone_label, self.speaker_label = QLabel(), QLabel(), QLabel()
        self.camera, self.microphone, self.speaker = QComboBox(), QComboBox(), QComboBox()
        for label, combo in (
            (self.camera_label, self.camera),
            (self.microphone_label, self.microphone),
            (self.speaker_label, self.speaker),
        ):
            combo.setMinimumContentsLength(18)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            form.addRow(label, combo)
        outer.addLayout(form)

        row = QHBoxLayout()  # the picture (4:3, small), and beside it the switch and the meter
        self.video = VideoView()
        self.video.setFixedSize(240, 180)
        row.addWidget(self.video)
        side = QVBoxLayout()
        self.preview_button = QPushButton()
        self.preview_button.setCheckable(True)
        self.level_label = QLabel()
        self.level = QProgressBar()
        self.level.setRange(0, 100)
        self.level.setValue(0)
        self.level.setTextVisible(False)
        self.level.setMaximumHeight(12)
        side.addWidget(self.preview_button)
        side.addSpacing(8)
        side.addWidget(self.level_label)
        side.addWidget(self.level)
        side.addStretch(1)
        row.addLayout(side, 1)
        outer.addLayout(row)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #b3261e;")
        self.note.hide()
        outer.addWidget(self.note)
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.advice.setStyleSheet(
            "background: #fff8e1; border: 1px solid #e0c060; padding: 4px 8px; color: #5a4500;"
        )
        outer.addWidget(self.advice)

        self._fill(self.camera, [], preferences.CAMERA, SYNTHETIC)
        self._fill(self.microphone, [], preferences.MICROPHONE, SYNTHETIC)
        self._fill(self.speaker, [], preferences.SPEAKER, "")
        self.camera.currentIndexChanged.connect(lambda _i: self._chosen(self.camera))
        self.microphone.currentIndexChanged.connect(lambda _i: self._chosen(self.microphone))
        self.speaker.currentIndexChanged.connect(lambda _i: self._chosen(self.speaker))
        self.preview_button.toggled.connect(self.set_preview)
        self.retranslate()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setTitle(self.tr("Camera and microphone"))
        self.camera_label.setText(self.tr("Camera"))
        self.microphone_label.setText(self.tr("Microphone"))
        self.speaker_label.setText(self.tr("Loudspeaker"))
        self.camera.setToolTip(tr_core(preferences.CAMERA.description))
        self.microphone.setToolTip(tr_core(preferences.MICROPHONE.description))
        self.speaker.setToolTip(tr_core(preferences.SPEAKER.description))
        self.preview_button.setText(self.tr("Preview"))
        self.preview_button.setToolTip(self.tr("Show the chosen camera and microphone level"))
        self.level_label.setText(self.tr("Microphone level"))
        self.advice.setText(tr_core(self._headset_advice))
        self.advice.setVisible(bool(self._headset_advice))
        self._retranslate_items()
        if not self.preview_button.isChecked():
            self.video.set_message(self.tr("Preview is off."))
        if self.preview_error:
            self.note.setText(self.preview_error)

    def _retranslate_items(self) -> None:
        texts = {
            (self.camera, SYNTHETIC): self.tr("Synthetic test picture"),
            (self.microphone, SYNTHETIC): self.tr("Test tone"),
            (self.speaker, ""): self.tr("System default"),
        }
        for (combo, value), text in texts.items():
            index = combo.findData(value)
            if index >= 0:
                combo.setItemText(index, text)
        if self._listed and self.speaker.count() == 1:  # only "System default": none at all
            self.speaker.setItemText(0, self.tr("No loudspeaker or headset found"))
        for combo in (self.camera, self.microphone, self.speaker):
            for i in range(combo.count()):
                missing = combo.itemData(i, MISSING_ROLE)
                if missing:
                    combo.setItemText(i, self.tr("%1 (not connected)").replace("%1", missing))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ---- the lists ---------------------------------------------------------------------
    def _fill(
        self,
        combo: QComboBox,
        devices: list[Device],
        pref: preferences.Preference,
        extra: str,
    ) -> None:
        """Devices, then the synthetic choice (the speaker: "System default" first); the
        stored choice selected, kept as "(not connected)" when its device is gone."""
        self._filling = True
        try:
            combo.clear()
            if pref is preferences.SPEAKER:
                combo.addItem("", extra)
            for d in devices:
                combo.addItem(d.label, d.name)
            if pref is not preferences.SPEAKER:
                combo.addItem("", extra)
            stored = str(preferences.get(pref))
            index = combo.findData(stored) if stored else 0
            if index < 0:
                combo.addItem("", stored)
                index = combo.count() - 1
                combo.setItemData(index, stored, MISSING_ROLE)
            combo.setCurrentIndex(index)
        finally:
            self._filling = False

    async def load_devices(self) -> None:
        """Read the device lists off the GUI thread and fill the combos."""
        loop = asyncio.get_running_loop()
        try:
            cams, mics, spks = await loop.run_in_executor(None, self._lister)
            advice = await loop.run_in_executor(None, _headset_advice)
        except Exception as exc:
            log.warning("listing devices failed: %s", safe_details(exc))
            return
        if not shiboken6.isValid(self):
            return
        self._headset_advice = advice
        self._fill(self.camera, cams, preferences.CAMERA, SYNTHETIC)
        self._fill(self.microphone, mics, preferences.MICROPHONE, SYNTHETIC)
        self._fill(self.speaker, spks, preferences.SPEAKER, "")
        self._listed = True
        self.speaker.setEnabled(bool(spks))
        self.retranslate()

    @asyncSlot()
    async def on_load_devices(self) -> None:
        await self.load_devices()

    def _chosen(self, combo: QComboBox) -> None:
        if self._filling:
            return
        pref = {
            id(self.camera): preferences.CAMERA,
            id(self.microphone): preferences.MICROPHONE,
            id(self.speaker): preferences.SPEAKER,
        }[id(combo)]
        preferences.put(pref, str(combo.currentData() or ""))
        if combo is not self.speaker and self.preview_button.isChecked():
            self._restart_preview()

    def choice(self, combo: QComboBox) -> str | None:
        value = str(combo.currentData() or "")
        return value or None

    # ---- preview -----------------------------------------------------------------------
    def set_preview(self, on: bool) -> None:
        if on:
            self._restart_preview()
        else:
            self.stop_preview()

    def _restart_preview(self) -> None:
        self._cancel_preview()
        self.note.hide()
        self.preview_error = ""
        self.video.set_message(self.tr("Starting the preview…"))
        self._preview = asyncio.ensure_future(
            self._run_preview(self.choice(self.camera), self.choice(self.microphone))
        )

    def _cancel_preview(self) -> None:
        task, self._preview = self._preview, None
        if task is not None and not task.done():
            task.cancel()

    def stop_preview(self) -> None:
        self._cancel_preview()
        if self.preview_button.isChecked():
            self.preview_button.setChecked(False)  # toggles back here
            return
        self.level.setValue(0)
        self.video.clear(self.tr("Preview is off."))

    async def _run_preview(self, camera: str | None, microphone: str | None) -> None:
        from media.sources import LocalMedia

        loop = asyncio.get_running_loop()
        width, height = PREVIEW_SIZE
        opener = partial(
            LocalMedia.open, camera=camera, microphone=microphone, width=width, height=height
        )
        opening = loop.run_in_executor(None, opener)
        try:
            media = await asyncio.shield(opening)
        except asyncio.CancelledError:  # stopped while opening: close what opens
            opening.add_done_callback(_close_when_opened)
            raise
        except CallError as exc:
            self._preview_failed(tr_core(str(exc)))
            return
        except Exception as exc:
            log.error("opening the preview failed: %s", safe_details(exc))
            self._preview_failed(self.tr("The camera or microphone could not be started."))
            return
        pumps: list[asyncio.Task[None]] = []
        try:
            self.video.set_message("")
            if media.video is not None:
                pumps.append(asyncio.create_task(self._pump_video(media.video)))
            if media.audio is not None:
                pumps.append(asyncio.create_task(self._pump_audio(media.audio)))
            await asyncio.gather(*pumps)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("the preview stopped: %s", safe_details(exc))
            self._preview_failed(self.tr("The camera or microphone stopped sending."))
        finally:
            for pump in pumps:
                pump.cancel()
            for pump in pumps:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pump
            media.close()

    async def _pump_video(self, source: VideoSource) -> None:
        while True:
            frame = await source.next_frame()
            self.preview_frames += 1
            self.video.offer(frame)

    async def _pump_audio(self, source: AudioSource) -> None:
        from media.sources import audio_level

        while True:
            frame = await source.next_frame()
            now = time.monotonic()
            if now - self._level_at >= LEVEL_EVERY_S:
                self._level_at = now
                self.level.setValue(level_percent(audio_level(frame)))

    def _preview_failed(self, message: str) -> None:
        if not shiboken6.isValid(self):
            return
        self.preview_error = message
        self.note.setText(message)
        self.note.show()
        self.preview_button.setChecked(False)

    # ---- life --------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._listed:
            self.on_load_devices()

    def hideEvent(self, event: Any) -> None:
        self.stop_preview()  # release the devices for a call
        super().hideEvent(event)

    def close_preview(self) -> None:
        """Stop the preview and the video converter (the box is going away)."""
        self.stop_preview()
        self.video.sink.close()
