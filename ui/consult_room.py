"""The consult room: the live video call of one consult.

Remote video large, self view small in its corner, the call's state and timer, a network
indicator (bitrate, round-trip time, loss, frame rate), mute / camera off / audio only / hang
up, and side panels for chat, shared files and live vitals (ui/call_panels.py). The call itself
is ``media.session.CallSession``: it reports on the event loop (the GUI thread under qasync);
video frames go to ``ui.video_view`` which converts them on a worker thread; the other side's
audio goes to a ``media.playback.SpeakerPlayer`` (converted and queued on the loop, played by
PortAudio's own thread). Camera, microphone and loudspeaker are the ones chosen in settings
(ui/devices_box.py). Without a loudspeaker the call still runs and the room says so.

A room opens from an appointment (schedule), the desk's case or the chart's consult. Without a
connection to the central platform there is no live call, and the room says so: the consult
itself still travels by store-and-forward. When the room closes, the call ends and its record
(an Encounter of class VR with the quality summary) is saved and synced.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.records.vitals import VITALS
from clinic_app.sync.account import SyncAccount
from media import call_records
from media.datachannel import ChatMessage, FileProgress, ReceivedFile, VitalReading
from media.errors import CallError
from media.playback import SpeakerPlayer
from media.quality import LinkState
from media.session import CallObserver, CallSession, CallState, CallStats
from media.sources import LocalMedia
from media.stamps import Stamp, read_frame
from ui import preferences
from ui.call_panels import ChatPanel, FilesPanel, VitalsPanel, image_of
from ui.devices_box import media_from_preferences, player_from_preferences
from ui.errors import safe_details, show_error, tr_core
from ui.ops import run_op
from ui.session import Session
from ui.sync_bar import dot_pixmap
from ui.text_size import LARGE, relative_font
from ui.video_view import VideoView
from ui.widgets import fit_to_screen, shortcut

log = logging.getLogger(__name__)
MediaFactory = Callable[[], LocalMedia]
PlayerFactory = Callable[[], SpeakerPlayer]  # raises NoSpeakerFound when there is none
WAITING_NOTICE_MS = 20_000  # then say plainly that the other side may be offline
SELF_VIEW_MS = 66  # the small self view is refreshed at ~15 fps
QUALITY_COLORS = {"good": "#1e7b34", "fair": "#b07a00", "poor": "#b3261e"}
LOST_COLOR = "#9e9e9e"  # reconnecting: no figures to trust


def stamp_or_none(frame: Any) -> Stamp | None:
    """A synthetic frame's stamp (counter, send time) for measurements; None otherwise."""
    try:
        return read_frame(frame)
    except Exception:
        return None


def quality_of(stats: CallStats) -> str:
    rtt = stats.rtt_ms or 0.0
    if stats.loss_pct > 5 or rtt > 600:
        return "poor"
    if stats.loss_pct > 1 or rtt > 250:
        return "fair"
    return "good"


class _Observer(CallObserver):
    """Forwards the call's reports to the room (all on the GUI thread)."""

    def __init__(self, room: ConsultRoom) -> None:
        self.room = room

    def on_state(self, state: CallState, message: str) -> None:
        self.room.show_state(state, message)

    def on_remote_frame(self, frame: Any) -> None:
        self.room.remote.offer(frame)

    def on_remote_audio(self, frame: Any) -> None:
        player = self.room.player
        if player is not None:
            player.play(frame)  # converts and queues; PortAudio's thread plays it

    def on_stats(self, stats: CallStats) -> None:
        self.room.show_stats(stats)

    def on_chat(self, message: ChatMessage) -> None:
        self.room.chat.add(message)
        self.room.note_activity(self.room.chat)

    def on_vitals(self, reading: VitalReading) -> None:
        self.room.vitals.add(reading)
        self.room.note_activity(self.room.vitals)

    def on_file_progress(self, progress: FileProgress) -> None:
        self.room.files.progress(progress)

    def on_file_received(self, file: ReceivedFile) -> None:
        self.room.files.add_received(file)
        self.room.note_activity(self.room.files)

    def on_remote_media(self, camera_on: bool, audio_only: bool) -> None:
        self.room.show_remote_media(camera_on, audio_only)

    def on_link_quality(self, state: LinkState, message: str) -> None:
        self.room.show_remote_media(True, False)  # the notice reads the call's link_quality


class ConsultRoom(QWidget):
    """One consult's call window. ``closed`` is emitted once the call has ended and its record
    is saved."""

    closed = Signal(str)  # consult id

    def __init__(
        self,
        session: Session,
        consult_id: str,
        *,
        title: str = "",
        patient_id: str | None = None,
        media_factory: MediaFactory | None = None,
        player_factory: PlayerFactory | None = None,
        relay_only: bool = False,
        headset: bool | None = None,  # None: as chosen for the last call
    ) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.session = session
        self.consult_id = consult_id
        self.patient_id = patient_id
        self.media_factory = media_factory or media_from_preferences
        self.player_factory = player_factory or player_from_preferences
        self.player: SpeakerPlayer | None = None
        self.speaker_problem = ""  # why the other side cannot be heard, for the advice banner
        self.relay_only = relay_only
        self.call: CallSession | None = None
        self.account: SyncAccount | None = None
        self.state = CallState.IDLE
        self.connected_at: float | None = None
        self.record_saved: dict[str, Any] | None = None
        self._ending = False
        self._closing_done = False
        self._close_task: asyncio.Future[None] | None = None
        self.setObjectName("consult-room")
        self.setWindowTitle(self.tr("Video consult — %1").replace("%1", title or consult_id))
        fit_to_screen(self, 1180, 740)

        outer = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = QLabel(title)
        relative_font(self.title, LARGE, weight=QFont.Weight.DemiBold)
        self.state_label = QLabel()
        self.timer_label = QLabel("00:00")
        relative_font(self.timer_label, 1.15, fixed=True)
        self.network_dot = QLabel()  # the link's quality, drawn (never a glyph)
        self.network = QLabel()
        self.network.setToolTip(
            self.tr("Received and sent bitrate, round-trip time, packet loss, frames per second")
        )
        head.addWidget(self.title)
        head.addWidget(self.state_label, 1)
        head.addWidget(self.network_dot)
        head.addWidget(self.network)
        head.addWidget(self.timer_label)
        outer.addLayout(head)
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.advice.setStyleSheet(
            "background: #fff8e1; border: 1px solid #e0c060; padding: 4px 8px; color: #5a4500;"
        )
        outer.addWidget(self.advice)

        split = QSplitter()
        video = QWidget()
        vl = QVBoxLayout(video)
        vl.setContentsMargins(0, 0, 0, 0)
        self.remote = VideoView(inspect=stamp_or_none)
        self.remote.set_message(self.tr("Starting the call…"))
        self.self_view = VideoView(parent=self.remote)
        self.self_view.mirror = True
        self.self_view.setFixedSize(208, 156)
        self.remote.installEventFilter(self)
        vl.addWidget(self.remote, 1)
        controls = QHBoxLayout()
        self.mute_button = QPushButton()
        self.camera_button = QPushButton()
        self.audio_only_button = QPushButton()
        for b in (self.mute_button, self.camera_button, self.audio_only_button):
            b.setCheckable(True)
            controls.addWidget(b)
        self.headset_box = QCheckBox()  # a headset: no echo, so no echo processing
        self.headset_box.setChecked(preferences.uses_headset() if headset is None else headset)
        controls.addWidget(self.headset_box)
        controls.addStretch(1)
        self.hangup_button = QPushButton()
        self.hangup_button.setStyleSheet(
            "QPushButton { background: #c62828; color: white; padding: 6px 18px;"
            " border-radius: 4px; font-weight: 600; }"
            " QPushButton:disabled { background: #999; }"
        )
        controls.addWidget(self.hangup_button)
        vl.addLayout(controls)
        split.addWidget(video)

        self.tabs = QTabWidget()
        self.chat = ChatPanel()
        self.files = FilesPanel()
        self.vitals = VitalsPanel(can_push=True)
        self.tabs.addTab(self.chat, "")
        self.tabs.addTab(self.files, "")
        self.tabs.addTab(self.vitals, "")
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        outer.addWidget(split, 1)

        self.mute_button.toggled.connect(self.set_muted)
        self.camera_button.toggled.connect(lambda off: self.set_camera(not off))
        self.audio_only_button.toggled.connect(self.set_audio_only)
        self.headset_box.toggled.connect(self.set_headset)
        self.hangup_button.clicked.connect(self.on_hangup)
        self.chat.send.connect(self.send_chat)
        self.vitals.push.connect(self.send_vitals)
        self.files.share_file.connect(self.choose_file)
        self.files.share_document.connect(self.on_share_document)
        self.files.keep.connect(self.on_keep)
        self.files.view.connect(self.view_received)
        self.tabs.currentChanged.connect(self._tab_seen)
        shortcut("Ctrl+M", self, self.mute_button.toggle)
        shortcut("Ctrl+E", self, self.camera_button.toggle)
        shortcut("Ctrl+Shift+H", self, self.on_hangup)
        self.tick = QTimer(self)
        self.tick.setInterval(1000)
        self.tick.timeout.connect(self._update_timer)
        self.waiting_too_long = QTimer(self)
        self.waiting_too_long.setSingleShot(True)
        self.waiting_too_long.setInterval(WAITING_NOTICE_MS)
        self.waiting_too_long.timeout.connect(self._other_side_absent)
        self.self_timer = QTimer(self)
        self.self_timer.setInterval(SELF_VIEW_MS)
        self.self_timer.timeout.connect(self._pull_self_view)
        self.retranslate()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.mute_button.setText(self.tr("Unmute") if self.mute_button.isChecked() else
                                 self.tr("Mute"))  # fmt: skip
        self.mute_button.setToolTip(self.tr("Microphone on or off (Ctrl+M)"))
        self.camera_button.setText(
            self.tr("Camera on") if self.camera_button.isChecked() else self.tr("Camera off")
        )
        self.camera_button.setToolTip(self.tr("Camera on or off (Ctrl+E)"))
        self.audio_only_button.setText(self.tr("Audio only"))
        self.audio_only_button.setToolTip(
            self.tr("Stop video both ways and keep talking (for a weak link)")
        )
        self.headset_box.setText(self.tr("Headset"))
        self.headset_box.setToolTip(
            self.tr("Tick when you wear a headset: echo cancellation is then turned off")
        )
        self.hangup_button.setText(self.tr("Hang up"))
        self.hangup_button.setToolTip(self.tr("End the call (Ctrl+Shift+H)"))
        self.tabs.setTabText(0, self.tr("Chat"))
        self.tabs.setTabText(1, self.tr("Files"))
        self.tabs.setTabText(2, self.tr("Live vitals"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def eventFilter(self, watched: Any, event: QEvent) -> bool:
        if watched is self.remote and event.type() == QEvent.Type.Resize:
            margin = 12
            self.self_view.move(
                self.remote.width() - self.self_view.width() - margin,
                self.remote.height() - self.self_view.height() - margin,
            )
        return False

    # ---- the call ----------------------------------------------------------------------
    async def start(self) -> bool:
        """Join the consult's call; False (with the reason on screen) when it cannot start."""
        self.account = await self.session.call(self.session.clinic.sync.account)
        if self.account is None:
            self.show_unavailable(
                self.tr(
                    "This workstation is not connected to the central platform, so a live call "
                    "is not possible. The consult itself still goes to the specialist when the "
                    "records sync."
                )
            )
            return False
        if self.patient_id:
            await self._load_documents()
        is_desk = self.account.kind == "user"
        self.vitals.entry_box.setVisible(not is_desk)  # the clinic measures the patient
        try:
            local = await asyncio.get_running_loop().run_in_executor(None, self.media_factory)
        except CallError as exc:
            self.show_unavailable(tr_core(str(exc)))
            return False
        except Exception as exc:  # a driver's own error: say it plainly, log the details
            log.error("opening the camera and microphone failed: %s", safe_details(exc))
            self.show_unavailable(self.tr("The camera or microphone could not be started."))
            return False
        self.player, self.speaker_problem = await self._open_player()
        if self.player is not None:
            self.player.echo = local.echo  # the loudspeaker feeds the microphone's canceller
        ctx = None
        if self.account.ca_file:
            ctx = ssl.create_default_context(cafile=self.account.ca_file)
        self.call = CallSession(
            self.account.server,
            await self.session.clinic.sync.fresh_token(self.account),  # renewed if about to expire
            self.consult_id,
            media=local,
            observer=_Observer(self),
            relay_only=self.relay_only,
            ssl_context=ctx,
            headset=self.headset_box.isChecked(),
        )
        self.show_advice()
        try:
            await self.call.start()
        except CallError as exc:
            await self._discard_call()
            self.show_unavailable(tr_core(str(exc)))
            return False
        self.self_timer.start()
        self.tick.start()
        return True

    async def _open_player(self) -> tuple[SpeakerPlayer | None, str]:
        """The loudspeaker (opened off the GUI thread), or None and what to tell the user."""
        try:
            player = await asyncio.get_running_loop().run_in_executor(None, self.player_factory)
        except CallError as exc:  # NoSpeakerFound, or the device would not open
            return None, tr_core(str(exc))
        except Exception as exc:
            log.error("opening the loudspeaker failed: %s", safe_details(exc))
            return None, self.tr(
                "The loudspeaker could not be started; you will not hear the other side."
            )
        return player, ""

    def show_advice(self) -> None:
        """The headset advice (only where echo cancellation is missing) and, if so, that
        nothing will be heard."""
        lines = [self.speaker_problem] if self.speaker_problem else []
        if self.call is not None and self.call.headset_recommended:
            lines.append(tr_core(self.call.headset_advice))
        self.advice.setText("\n".join(lines))
        self.advice.setVisible(bool(lines))

    def _close_player(self) -> None:
        player, self.player = self.player, None
        if player is not None:
            try:
                player.close()  # aborts the stream: a few milliseconds at most
            except Exception as exc:
                log.warning("closing the loudspeaker failed: %s", safe_details(exc))

    async def _discard_call(self) -> None:
        self._close_player()
        if self.call is not None:
            call, self.call = self.call, None
            try:
                await call.hangup()
            except Exception as exc:  # nothing was connected; just release the devices
                log.warning("a call that did not start failed to close: %s", safe_details(exc))
            call.media.close()

    def show_unavailable(self, message: str) -> None:
        self.state_label.setText(self.tr("No live call"))
        self.remote.set_message(message)
        self.self_view.hide()
        self.network.clear()
        self.network_dot.clear()
        self.timer_label.clear()
        self.advice.hide()
        for b in (self.mute_button, self.camera_button, self.audio_only_button):
            b.setEnabled(False)
        self.chat.setEnabled(False)
        self.files.setEnabled(False)
        self.vitals.setEnabled(False)
        self.hangup_button.setText(self.tr("Close"))
        self._ending = True

    def state_text(self, state: CallState) -> str:
        return {
            CallState.IDLE: "",
            CallState.WAITING: self.tr("Waiting for the other side to join…"),
            CallState.CONNECTING: self.tr("Connecting…"),
            CallState.CONNECTED: self.tr("Connected"),
            CallState.RECONNECTING: self.tr("Connection lost — reconnecting…"),
            CallState.ENDED: self.tr("The call has ended."),
            CallState.FAILED: self.tr("The call failed."),
        }[state]

    def show_state(self, state: CallState, message: str = "") -> None:
        self.state = state
        text = self.state_text(state)
        if state == CallState.FAILED and message:
            text = tr_core(message)
        self.state_label.setText(text)
        if state == CallState.CONNECTED:
            if self.connected_at is None:
                self.connected_at = time.monotonic()
            self.remote.set_message("" if not self._remote_video_off() else self._video_off_text())
        elif state in (CallState.WAITING, CallState.CONNECTING, CallState.RECONNECTING):
            self.remote.set_message(text)
            if state == CallState.RECONNECTING:
                self._set_network_dot(LOST_COLOR)
                self.network.setText(self.tr("no connection"))
        elif state in (CallState.ENDED, CallState.FAILED):
            self.remote.set_message(text)
            self.tick.stop()
            self.self_timer.stop()
        if state != CallState.WAITING:
            self.waiting_too_long.stop()
        elif not self.waiting_too_long.isActive():
            self.waiting_too_long.start()

    def _other_side_absent(self) -> None:
        if self.state == CallState.WAITING:
            self.remote.set_message(
                self.tr(
                    "The other side has not joined yet: they may be offline or busy. You can keep "
                    "waiting, or hang up; the consult's records still reach them by sync."
                )
            )

    def _remote_video_off(self) -> bool:
        call = self.call
        return call is not None and (
            call.audio_only or call.peer_audio_only or not call.peer_camera_on or self._link_weak()
        )

    def _link_weak(self) -> bool:
        # media/quality paused video on a weak link (set on the session by watch_link)
        return self.call is not None and self.call.link_quality == LinkState.WEAK

    def _video_off_text(self) -> str:
        call = self.call
        if call is not None and (call.audio_only or call.peer_audio_only):
            return self.tr("Audio only: video is paused.")
        if self._link_weak():
            return self.tr("The link is weak: video is paused and will come back by itself.")
        return self.tr("The other side turned the camera off.")

    def show_remote_media(self, camera_on: bool, audio_only: bool) -> None:
        if self.state == CallState.CONNECTED:
            self.remote.set_message(self._video_off_text() if self._remote_video_off() else "")

    def show_stats(self, stats: CallStats) -> None:
        rtt = f"{stats.rtt_ms:.0f} ms" if stats.rtt_ms is not None else "—"
        if self.state == CallState.RECONNECTING:
            return  # figures of a lost path would look live: the dot stays grey meanwhile
        self._set_network_dot(QUALITY_COLORS[quality_of(stats)])
        self.network.setText(
            f"↓ {stats.recv_kbps:.0f} ↑ {stats.send_kbps:.0f} kbit/s · "
            + self.tr("RTT %1 · loss %2% · %3 fps")
            .replace("%1", rtt)
            .replace("%2", f"{stats.loss_pct:.1f}")
            .replace("%3", f"{stats.fps_in:.0f}")
        )

    def _set_network_dot(self, colour: str) -> None:
        self.network_dot.setPixmap(dot_pixmap(colour, ratio=self.devicePixelRatioF()))

    def _update_timer(self) -> None:
        if self.connected_at is None:
            return
        seconds = int(time.monotonic() - self.connected_at)
        h, rest = divmod(seconds, 3600)
        self.timer_label.setText(
            f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"
        )

    def _pull_self_view(self) -> None:
        if self.call is None:
            return
        frame = self.call.media.self_view.take()
        # the self view shows what the other side is sent: nothing in audio-only either
        if not self.call.media.camera_on:
            if self.self_view.image is not None:
                off = self.tr("Camera off") if not self.call.camera_on else self.tr("Audio only")
                self.self_view.clear(off)
            return
        if frame is not None:
            self.self_view.message = ""
            self.self_view.offer(frame)

    def note_activity(self, panel: QWidget) -> None:
        index = self.tabs.indexOf(panel)
        if index >= 0 and self.tabs.currentIndex() != index:
            self.tabs.tabBar().setTabTextColor(index, Qt.GlobalColor.darkRed)

    def _tab_seen(self, index: int) -> None:
        self.tabs.tabBar().setTabTextColor(index, self.palette().text().color())

    # ---- controls ----------------------------------------------------------------------
    def set_headset(self, headset: bool) -> None:
        preferences.remember_headset(headset)  # the next call starts with this choice
        if self.call is not None:
            self.call.set_headset(headset)

    def set_muted(self, muted: bool) -> None:
        if self.call is not None:
            self.call.set_muted(muted)
        self.retranslate()

    def set_camera(self, on: bool) -> None:
        if self.call is not None:
            self.call.set_camera(on)
        if not on:
            self.self_view.clear(self.tr("Camera off"))
        self.retranslate()

    def set_audio_only(self, audio_only: bool) -> None:
        if self.call is not None:
            self.call.set_audio_only(audio_only)
        self.show_remote_media(True, audio_only)

    def send_chat(self, text: str) -> None:
        if self.call is None:
            return
        try:
            self.chat.sent(self.call.channel.send_chat(text))
        except (CallError, ValueError) as exc:
            show_error(self, exc)

    def send_vitals(self, key: str, value: float) -> None:
        if self.call is None:
            return
        spec = VITALS[key]
        self.vitals.sent(self.call.channel.send_vitals(spec.loinc, value, spec.ucum, spec.display))

    def choose_file(self) -> None:
        dialog = QFileDialog(self, self.tr("Share a file in the call"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.on_share_path)
        dialog.open()

    @asyncSlot(str)
    async def on_share_path(self, path: str) -> None:
        from pathlib import Path

        def read() -> bytes:
            return Path(path).read_bytes()

        data = await run_op(self, asyncio.get_running_loop().run_in_executor(None, read))
        if data is not None:
            await self.share(Path(path).name, data)

    @asyncSlot(str)
    async def on_share_document(self, doc_id: str) -> None:
        docs = self.session.clinic.documents

        def load() -> tuple[str, bytes, str]:
            doc = docs.get(doc_id)
            att = (doc.get("content") or [{}])[0].get("attachment", {})
            return (
                str(att.get("title") or doc_id),
                docs.content(doc),
                str(att.get("contentType") or "application/octet-stream"),
            )

        loaded = await run_op(self, self.session.call(load))
        if loaded is not None:
            await self.share(*loaded)

    async def share(self, name: str, data: bytes, mime: str = "application/octet-stream") -> None:
        if self.call is None:
            return
        try:
            transfer = self.call.channel.send_file(name, data, mime)
        except CallError as exc:
            show_error(self, exc)
            return
        self.tabs.setCurrentWidget(self.files)
        try:
            await transfer.result
        except CallError as exc:
            self.files.failed(transfer.id, tr_core(str(exc)))

    @asyncSlot(str)
    async def on_keep(self, transfer_id: str) -> None:
        await self.keep(transfer_id)

    async def keep(self, transfer_id: str) -> bool:
        """Store a received file in the patient's chart (encrypted, synced)."""
        file = self.files.received.get(transfer_id)
        if file is None or not self.patient_id:
            return False
        work = self.session.write(
            partial(
                self.session.clinic.documents.attach_bytes,
                patient_id=self.patient_id,
                name=file.name,
                data=file.data,
                title=file.name,
            ),
        )
        return await run_op(self, work, disable=self.files.keep_button) is not None

    def view_received(self, transfer_id: str) -> None:
        file = self.files.received.get(transfer_id)
        image = image_of(file) if file is not None else None
        if file is None or image is None:
            return
        from ui.chart_screen import ImageViewer

        viewer = ImageViewer(file.name, image, self)
        viewer.open()

    async def _load_documents(self) -> None:
        documents, pid = self.session.clinic.documents, self.patient_id or ""

        def docs() -> list[tuple[str, str]]:
            out = []
            for doc in documents.current(pid):
                att = (doc.get("content") or [{}])[0].get("attachment", {})
                out.append((str(doc["id"]), str(att.get("title") or doc["id"])))
            return out

        found = await run_op(self, self.session.call(docs))
        self.files.set_documents(found or [])

    # ---- the end -----------------------------------------------------------------------
    @asyncSlot()
    async def on_hangup(self) -> None:
        await self.hangup()
        self.close()

    async def hangup(self) -> None:
        """End the call and save its record (once, whichever way the room closes)."""
        if self._closing_done:
            return
        self._closing_done = True
        alive = shiboken6.isValid(self)  # the window may already be gone (application quit)
        if alive:
            self.tick.stop()
            self.self_timer.stop()
            self.waiting_too_long.stop()
        call, self.call = self.call, None
        self._close_player()
        if call is not None:
            try:
                await call.hangup()
            finally:
                call.media.close()
            clinic_side = self.account is not None and self.account.kind == "device"
            if call.summary.connected_at is not None and clinic_side:  # the chart's record
                work = self._save_record(call)
                self.record_saved = await (run_op(self, work) if alive else work)
        self.remote.sink.close()
        self.self_view.sink.close()
        if shiboken6.isValid(self):
            self.closed.emit(self.consult_id)

    async def _save_record(self, call: CallSession) -> dict[str, Any]:
        account = self.account
        me = (call.side or "", account.subject_id if account else self.session.user)
        return await self.session.write(
            partial(
                call_records.save_call,
                self.session.clinic,
                self.consult_id,
                call.summary,
                participants=[me],
            ),
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing_done:
            event.ignore()  # hang up first (async), then close
            self._close_task = asyncio.ensure_future(self._close_after_hangup())
            return
        super().closeEvent(event)

    async def _close_after_hangup(self) -> None:
        await self.hangup()
        self.close()
