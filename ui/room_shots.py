"""Screenshots of the consult room for ``clinic-app screenshot``: the room in a call as both
sides would see it, with the synthetic source's frames in the video views, a line of network
figures, chat, a shared image in progress and live vitals. No call is placed: the views are fed
the frames a call would deliver (a screenshot tool must work without a central platform)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from PySide6.QtWidgets import QWidget

from media.datachannel import ChatMessage, FileProgress, VitalReading
from media.session import CallState, CallStats
from media.sources import HEADSET_ADVICE, HEADSET_RECOMMENDED, SyntheticVideoSource
from ui.consult_room import ConsultRoom
from ui.errors import tr_core
from ui.session import Session

Shot = Callable[[str, QWidget], Awaitable[None]]


async def render(session: Session, shot: Shot, zh: bool) -> None:
    room = ConsultRoom(
        session, "demo-consult", title="王小明 · 心内科会诊" if zh else "Wang Xiaoming"
    )
    room.resize(1180, 720)
    room.show()
    try:
        await _fill(room, zh)
        await shot("40-consult-room", room)
        room.show_state(CallState.RECONNECTING)
        await shot("41-consult-room-reconnecting", room)
        room.show_state(CallState.CONNECTED)
        room.audio_only_button.setChecked(True)
        await shot("42-consult-room-audio-only", room)
        room.audio_only_button.setChecked(False)
        room.show_unavailable(
            room.tr(
                "This workstation is not connected to the central platform, so a live call "
                "is not possible. The consult itself still goes to the specialist when the "
                "records sync."
            )
        )
        await shot("43-consult-room-offline", room)
        await render_before_and_incoming(shot, zh)
    finally:
        room._closing_done = True  # no call was placed: nothing to hang up
        room.remote.close_sink()
        room.self_view.close_sink()
        room.close()


async def render_before_and_incoming(shot: Shot, zh: bool) -> None:
    """The pre-call check (synthetic picture and tone: no device needed) and the
    incoming-call notice."""
    import asyncio

    from ui.incoming_call import IncomingCallNotice
    from ui.precall_check import PreCallCheck

    name = "王小明" if zh else "Wang Xiaoming"
    check = PreCallCheck(name, devices=lambda: ([], [], []))
    check.show()
    try:
        for _ in range(40):  # the preview opens off the GUI thread
            if check.devices.video.frames_painted >= 3 and check.devices.level.value() > 0:
                break
            await asyncio.sleep(0.05)
        await shot("44-precall-check", check)
    finally:
        check.reject()
    notice = IncomingCallNotice(name)
    notice.show()
    try:
        await shot("45-incoming-call", notice)
    finally:
        notice.close()


async def _fill(room: ConsultRoom, zh: bool) -> None:
    room.advice.setText(tr_core(HEADSET_ADVICE) if HEADSET_RECOMMENDED else "")
    room.advice.setVisible(HEADSET_RECOMMENDED)  # echo is cancelled where media/echo.py runs
    remote, mine = SyntheticVideoSource(640, 480), SyntheticVideoSource(320, 240)
    for _ in range(3):
        room.remote.offer(await remote.next_frame())
        room.self_view.offer(await mine.next_frame())
    room.connected_at = time.monotonic() - 754
    room.show_state(CallState.CONNECTED)
    room._update_timer()
    room.show_stats(CallStats(time.time(), 612.0, 655.0, 48.0, 0.4, 29.7, 2210))
    now = time.time()
    texts = (
        ("请看一下她昨天的心电图。", "收到，我现在看。")
        if zh
        else ("Please look at yesterday's ECG.", "Got it, looking now.")
    )
    room.chat.add(ChatMessage("1", texts[0], now - 90, mine=True))
    room.chat.add(ChatMessage("2", texts[1], now - 60, mine=False))
    room.vitals.add(VitalReading("3", "8480-6", 168, "mm[Hg]", None, now - 40, mine=True))
    room.vitals.add(VitalReading("4", "8867-4", 92, "/min", None, now - 38, mine=True))
    room.files.set_documents([("d1", "ecg-2026-11-23.png"), ("d2", "胸片 chest-xray.jpg")])
    room.files.progress(FileProgress("t1", "ecg-2026-11-23.png", 2_621_440, 5_242_880, "send"))
