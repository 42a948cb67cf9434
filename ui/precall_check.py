"""The pre-call check, before joining a consult's call: the camera's picture and the
microphone's level (:class:`ui.devices_box.DevicesBox`, previewing at once; the synthetic
picture and tone when there is no device), a loudspeaker test (a two-note chime through the
chosen loudspeaker, :func:`media.playback.ring`), and whether a headset is used (then the
microphone goes out without echo processing: ``CallSession(headset=True)``).

"Join the call" releases the devices (the preview stops when the box hides) and accepts; the
launcher then opens the consult room with the choices made here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from media.errors import CallError
from ui import preferences
from ui.devices_box import DevicesBox, Lister, list_devices
from ui.errors import safe_details, tr_core

log = logging.getLogger(__name__)
Ring = Callable[[str | None], float]  # plays the chime on a loudspeaker (blocks)


def _ring(device: str | None) -> float:
    from media.playback import ring

    return ring(device)


class PreCallCheck(QDialog):
    """Camera, microphone, loudspeaker and headset, checked before a call."""

    def __init__(
        self,
        title: str = "",
        parent: QWidget | None = None,
        *,
        devices: Lister = list_devices,
        ring: Ring = _ring,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("precall-check")
        self.title = title
        self._ring = ring
        self.speaker_tests = 0
        layout = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.devices = DevicesBox(self, devices=devices)
        layout.addWidget(self.devices)
        row = QHBoxLayout()
        self.speaker_button = QPushButton()
        self.speaker_result = QLabel()
        self.speaker_result.setWordWrap(True)
        row.addWidget(self.speaker_button)
        row.addWidget(self.speaker_result, 1)
        layout.addLayout(row)
        self.headset = QCheckBox()
        self.headset.setChecked(preferences.uses_headset())  # as chosen for the last call
        layout.addWidget(self.headset)
        self.buttons = QDialogButtonBox()
        self.join_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.speaker_button.clicked.connect(self.on_test_speaker)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Before the call — %1").replace("%1", self.title))
        self.intro.setText(
            self.tr(
                "Check that the other side will see and hear you: your picture should move "
                "below and the bar should move when you speak. Then test the loudspeaker."
            )
        )
        self.speaker_button.setText(self.tr("Test the loudspeaker"))
        self.headset.setText(self.tr("I use a headset (turns echo cancellation off)"))
        self.headset.setToolTip(
            self.tr(
                "With loudspeakers the microphone's sound is cleaned of the other side's voice. "
                "A headset has no echo, so the sound goes out as it is."
            )
        )
        self.join_button.setText(self.tr("Join the call"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if not self.devices.preview_button.isChecked():
            self.devices.preview_button.setChecked(True)

    @property
    def uses_headset(self) -> bool:
        return self.headset.isChecked()

    def accept(self) -> None:
        preferences.remember_headset(self.headset.isChecked())  # the next call starts with it
        super().accept()

    @asyncSlot()
    async def on_test_speaker(self) -> None:
        await self.test_speaker()

    async def test_speaker(self) -> bool:
        """Play the chime on the chosen loudspeaker; False (and why, on screen) without one."""
        self.speaker_button.setEnabled(False)
        self.speaker_result.setText(self.tr("Playing a two-note chime…"))
        device = self.devices.choice(self.devices.speaker)
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._ring, device)
        except CallError as exc:  # NoSpeakerFound or a device that would not open
            self.speaker_result.setText(tr_core(str(exc)))
            return False
        except Exception as exc:
            log.error("the loudspeaker test failed: %s", safe_details(exc))
            self.speaker_result.setText(self.tr("The loudspeaker could not be started."))
            return False
        finally:
            self.speaker_button.setEnabled(True)
        self.speaker_tests += 1
        self.speaker_result.setText(
            self.tr(
                "Did you hear two notes? If not, choose another loudspeaker above or turn the "
                "volume up, and test again."
            )
        )
        return True

    def done(self, result: int) -> None:
        self.devices.close_preview()  # the call opens the devices next
        super().done(result)
