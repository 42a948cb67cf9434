"""The consult room through real widgets and real peers: a clinic's booked consult appointment
is selected in the schedule and joined; a specialist (a headless call session on its own
account) is on the other end, both through a real central process. The room paints the
specialist's stamped frames, mute silences what the specialist hears, chat and live vitals
cross, and hanging up closes the room and saves the call's record in the clinic's store."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from clinic_app.clinic import Clinic
from clinic_app.services import schedule
from clinic_app.services.chart_view import consult_statuses
from media.session import CallObserver, CallSession, CallState
from media.sources import LocalMedia
from tests.e2e.workstation import Workstation
from tests.support.central_proc import CentralProcess
from ui.bridge import Bridge
from ui.call_launcher import CallLauncher
from ui.consult_room import ConsultRoom
from ui.schedule_screen import ScheduleScreen
from ui.session import Session

pytestmark = pytest.mark.slow
PASSWORD = "specialist-password-1"


class Specialist(CallObserver):
    """The far end: records what it hears and receives."""

    def __init__(self) -> None:
        self.peaks: list[tuple[float, int]] = []
        self.chat: list[str] = []
        self.vitals: list[tuple[str, float]] = []
        self.states: list[CallState] = []

    def on_state(self, state: CallState, message: str) -> None:
        self.states.append(state)

    def on_remote_audio(self, frame: Any) -> None:
        pcm = frame.to_ndarray()
        self.peaks.append((time.monotonic(), int(np.abs(pcm.astype(np.int32)).max())))

    def on_chat(self, message: Any) -> None:
        self.chat.append(message.text)

    def on_vitals(self, reading: Any) -> None:
        self.vitals.append((reading.code, reading.value))

    def loudest_since(self, since: float) -> int | None:
        recent = [p for t, p in self.peaks if t >= since]
        return max(recent) if recent else None


def test_consult_room_from_an_appointment(ui, qtbot, tmp_path):
    central = CentralProcess(
        f"sqlite:///{tmp_path / 'central.db'}", log_path=tmp_path / "central.log"
    )
    central.start()
    clinic = Workstation(tmp_path, "clinic")
    heart = Workstation(tmp_path, "heart")
    executor = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
    try:
        clinic_id = central.add_clinic("Hill Clinic")
        central.add_user("dr.heart", PASSWORD, "specialist", specialties=("cardiology",))
        clinic.enroll(central.url, central.enrollment_code(clinic_id))
        heart.login(central.url, "dr.heart", PASSWORD)
        patient = clinic.add_patient("王", "小明", gender="male")
        consult = clinic.consult(patient["id"])
        now = datetime.now().astimezone()
        start = now.replace(minute=0, second=0, microsecond=0)  # the current hour
        schedule.book(
            clinic.store, patient_id=patient["id"], start=start, practitioner="dr.clinic",
            description="video consult", based_on=consult["id"],
        )  # fmt: skip
        assert clinic.sync_until_quiet().pending == 0
        session = Session(Clinic(clinic.store), Bridge(), executor)
        kit = type(ui)(ui.loop, session)
        screen = ScheduleScreen(session)
        qtbot.addWidget(screen)
        launcher = CallLauncher(session, media_factory=lambda: LocalMedia.synthetic(320, 240))
        screen.join_call.connect(launcher.join)
        screen.set_mode("day")
        screen.go_to(date.today() + timedelta(days=1))
        screen.go_to(date.today())
        screen.show()
        kit.until(lambda: screen.booked, what="the appointment")
        assert heart.account is not None
        far = Specialist()
        call = CallSession(
            central.url, heart.account.token, consult["id"],
            media=LocalMedia.synthetic(320, 240), observer=far,
        )  # fmt: skip
        kit.run(scenario(kit, screen, launcher, call, far, consult["id"]), timeout=120)
        encounters = [e for e in clinic.store.find("Encounter") if e["class"]["code"] == "VR"]
        assert len(encounters) == 1, encounters
        assert encounters[0]["basedOn"] == [{"reference": f"ServiceRequest/{consult['id']}"}]
        assert consult_statuses(clinic.store, [consult])  # the chart still reads the consult
    finally:
        executor.shutdown()
        clinic.close()
        heart.close()
        central.stop()


async def wait_for(predicate: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def scenario(kit, screen, launcher, call, far, consult_id) -> None:
    row = screen.hours.index(datetime.now().hour)
    screen.grid.setCurrentCell(row, 0)
    assert screen.join_button.isEnabled()
    await call.start()  # the specialist is already in the room: the clinic joins
    try:
        screen.join_button.click()
        await wait_for(lambda: consult_id in launcher.rooms, "the room")
        room: ConsultRoom = launcher.rooms[consult_id]
        await wait_for(lambda: room.remote.frames_painted >= 15, "remote frames painted")
        assert room.state == CallState.CONNECTED
        assert room.state_label.text() == "Connected"
        stamps = []
        for _ in range(5):
            stamps.append(room.remote.info)
            await asyncio.sleep(0.15)
        counters = [s.counter for s in stamps if s is not None]
        assert len(counters) >= 3 and counters == sorted(counters) and counters[-1] > counters[0]
        await wait_for(lambda: room.self_view.frames_painted >= 3, "the self view")
        # the specialist's voice goes to a loudspeaker, or the room says there is none
        assert "Use a headset" not in room.advice.text()  # echo is cancelled (media/echo.py)
        if room.player is None:
            assert "you will not hear the other side" in room.advice.text()
        else:
            await wait_for(lambda: room.player.frames_in > 10, "audio to the loudspeaker")
        await wait_for(lambda: "fps" in room.network.text(), "the network indicator", 10)

        # The specialist hears the tone, then silence once the clinic mutes.
        await wait_for(lambda: (far.loudest_since(time.monotonic() - 1) or 0) > 1000, "a tone")
        room.mute_button.click()
        assert room.mute_button.text() == "Unmute"
        muted_at = time.monotonic() + 0.5  # what was on its way
        await asyncio.sleep(1.5)
        assert far.loudest_since(muted_at) == 0
        room.mute_button.click()
        await asyncio.sleep(1.0)
        assert (far.loudest_since(time.monotonic() - 0.5) or 0) > 1000

        # audio-only: the self view no longer shows a picture the other side is not sent
        room.audio_only_button.click()
        await wait_for(lambda: room.self_view.image is None, "the self view cleared")
        assert room.self_view.message == "Audio only"
        room.audio_only_button.click()
        await wait_for(lambda: room.self_view.image is not None, "the self view back")

        room.chat.entry.setText("请看一下最新的血压。")
        room.chat.button.click()
        room.vitals.kind.setCurrentIndex(room.vitals.kind.findData("systolic"))
        room.vitals.value.setText("900")
        room.vitals.button.click()
        assert room.vitals.error.text()  # implausible: not sent
        room.vitals.value.setText("168")
        room.vitals.button.click()
        await wait_for(lambda: far.chat and far.vitals, "chat and vitals at the far end")
        assert far.chat == ["请看一下最新的血压。"] and far.vitals == [("8480-6", 168.0)]
        call.channel.send_chat("收到，血压偏高。")
        await wait_for(lambda: len(room.chat.messages) == 2, "the reply")

        room.hangup_button.click()
        await wait_for(lambda: consult_id not in launcher.rooms, "the room closed")
        assert not room.isVisible()
        assert room.record_saved is not None
        await wait_for(lambda: CallState.WAITING in far.states[1:], "the specialist alone")
    finally:
        await call.hangup()
        await launcher.close_all()


def test_without_a_central_platform_the_room_says_the_consult_still_goes(ui, qtbot):
    room = ConsultRoom(ui.session, "some-consult", title="王小明")
    qtbot.addWidget(room)
    room.show()
    assert ui.run(room.start()) is False
    assert "not connected to the central platform" in room.remote.message
    assert not room.mute_button.isEnabled() and room.hangup_button.text() == "Close"
    ui.run(room.hangup())  # nothing to hang up; closes cleanly
    assert room.record_saved is None


def test_the_room_says_when_the_other_side_does_not_come(ui, qtbot, tmp_path):
    central = CentralProcess(
        f"sqlite:///{tmp_path / 'central.db'}", log_path=tmp_path / "central.log"
    )
    central.start()
    clinic = Workstation(tmp_path, "clinic")
    executor = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
    try:
        clinic.enroll(central.url, central.enrollment_code(central.add_clinic("Hill Clinic")))
        patient = clinic.add_patient("李", "伟")
        consult = clinic.consult(patient["id"])
        assert clinic.sync_until_quiet().pending == 0
        session = Session(Clinic(clinic.store), Bridge(), executor)
        kit = type(ui)(ui.loop, session)
        room = ConsultRoom(
            session, consult["id"], patient_id=patient["id"],
            media_factory=lambda: LocalMedia.synthetic(320, 240),
        )  # fmt: skip
        qtbot.addWidget(room)
        room.waiting_too_long.setInterval(300)
        room.show()
        assert kit.run(room.start()) is True
        kit.until(lambda: room.state == CallState.WAITING, what="waiting")
        assert room.state_label.text() == "Waiting for the other side to join…"
        kit.until(lambda: "may be offline" in room.remote.message, what="the notice")
        kit.run(room.hangup())
        assert room.record_saved is None  # never connected: no call record
        assert [e for e in clinic.store.find("Encounter")] == []
    finally:
        executor.shutdown()
        clinic.close()
        central.stop()
