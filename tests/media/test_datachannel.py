"""The data channel protocol over an in-memory channel pair: chat, vitals, files verified by
SHA-256, and a transfer cut mid-way that resumes on a new channel from the last acknowledged
chunk instead of from zero."""

from __future__ import annotations

import asyncio
import hashlib
import os

import pytest
from pyee.asyncio import AsyncIOEventEmitter

from media.datachannel import CHUNK, CallChannel, ReceivedFile


class FakeChannel(AsyncIOEventEmitter):
    """One end of an ordered, reliable channel; delivery happens on the loop, like SCTP."""

    def __init__(self) -> None:
        super().__init__()
        self.peer: FakeChannel | None = None
        self.readyState = "connecting"
        self.sent_bytes = 0
        self.cut_after: int | None = None  # drop the link after this many chunk bytes

    def send(self, data: bytes | str) -> None:
        if self.readyState != "open":
            raise ConnectionError("closed")
        if isinstance(data, bytes):
            self.sent_bytes += len(data) - 24
            if self.cut_after is not None and self.sent_bytes > self.cut_after:
                loop = asyncio.get_running_loop()
                loop.call_soon(self.close_both)
                return
        peer = self.peer
        asyncio.get_running_loop().call_soon(
            lambda: peer.readyState == "open" and peer.emit("message", data)
        )

    def close_both(self) -> None:
        for ch in (self, self.peer):
            if ch.readyState == "open":
                ch.readyState = "closed"
                ch.emit("close")


def pair() -> tuple[FakeChannel, FakeChannel]:
    a, b = FakeChannel(), FakeChannel()
    a.peer, b.peer = b, a
    return a, b


def open_pair(a: FakeChannel, b: FakeChannel) -> None:
    for ch in (a, b):
        ch.readyState = "open"
        ch.emit("open")


def test_chat_vitals_and_a_file_arrive():
    async def go() -> None:
        got_chat, got_vitals, files, progress = [], [], [], []
        sender = CallChannel(on_progress=lambda p: progress.append(p.done))
        receiver = CallChannel(on_chat=got_chat.append, on_vitals=got_vitals.append,
                               on_file=files.append)  # fmt: skip
        a, b = pair()
        sender.attach(a)
        receiver.attach(b)
        msg = sender.send_chat("  queued before the channel opened ")  # waits, then goes
        open_pair(a, b)
        sender.send_vitals("8867-4", 88, "/min", "Heart rate")
        data = os.urandom(3 * CHUNK + 100)
        transfer = sender.send_file("ecg.png", data, "image/png")
        await asyncio.wait_for(transfer.result, 5)
        assert [m.text for m in got_chat] == ["queued before the channel opened"]
        assert got_chat[0].id == msg.id and not got_chat[0].mine
        (v,) = got_vitals
        assert (v.code, v.value, v.unit, v.display) == ("8867-4", 88.0, "/min", "Heart rate")
        (f,) = files
        assert isinstance(f, ReceivedFile)
        assert (f.name, f.mime, f.data) == ("ecg.png", "image/png", data)
        assert f.sha256 == hashlib.sha256(data).hexdigest()
        assert progress[-1] == len(data)

    asyncio.run(go())


@pytest.mark.parametrize("cut_at", [5 * CHUNK + 10, 40 * CHUNK])
def test_a_cut_transfer_resumes_from_the_last_acknowledged_chunk(cut_at):
    async def go() -> None:
        files: list[ReceivedFile] = []
        sender, receiver = CallChannel(window=8), CallChannel(on_file=files.append)
        a, b = pair()
        a.cut_after = cut_at
        sender.attach(a)
        receiver.attach(b)
        open_pair(a, b)
        data = os.urandom(64 * CHUNK + 7)
        transfer = sender.send_file("xray.jpg", data, "image/jpeg")
        for _ in range(200):
            await asyncio.sleep(0.01)
            if a.readyState == "closed":
                break
        assert a.readyState == "closed" and not transfer.result.done()
        held = transfer.acked  # what the sender knows arrived (acks may be lost in the cut)
        assert held < len(data)
        # the call reconnects: a new channel on both sides
        a2, b2 = pair()
        sender.attach(a2)
        receiver.attach(b2)
        open_pair(a2, b2)
        await asyncio.wait_for(transfer.result, 5)
        # resumed from what the receiver holds: at least what was acknowledged, never zero
        assert transfer.resumed_from[0] == 0
        assert transfer.resumed_from[1] >= max(held, 5 * CHUNK)
        # after the reconnect only what was not acknowledged went again
        assert a2.sent_bytes == len(data) - transfer.resumed_from[1]
        (f,) = files
        assert f.data == data and f.sha256 == hashlib.sha256(data).hexdigest()

    asyncio.run(go())


def test_a_damaged_file_is_refused_and_not_handed_over():
    async def go() -> None:
        files: list[ReceivedFile] = []
        sender, receiver = CallChannel(), CallChannel(on_file=files.append)
        a, b = pair()
        sender.attach(a)
        receiver.attach(b)
        open_pair(a, b)
        transfer = sender.send_file("scan.pdf", b"x" * (CHUNK + 1))
        transfer.sha256 = "0" * 64  # what arrives will not match the offer
        with pytest.raises(Exception, match="arrived damaged"):
            await asyncio.wait_for(transfer.result, 5)
        assert files == []

    asyncio.run(go())


def test_a_paced_file_sends_at_the_rate_media_leaves_and_reports_what_arrived():
    """With ``pace`` (the session wires the send-side estimate less audio and video), a file
    goes out at about that rate in small chunks, never a 512 KiB window at once; the bytes the
    receiver confirms are reported (they count as acknowledged throughput)."""

    async def go() -> None:
        rate = 400_000  # bit/s: 50 kB/s
        sender, receiver = CallChannel(), CallChannel()
        sender.pace = lambda: (rate, 0.05)
        confirmed: list[int] = []
        sender.on_acked = confirmed.append
        a, b = pair()
        sender.attach(a)
        receiver.attach(b)
        open_pair(a, b)
        data = os.urandom(40 * CHUNK)
        transfer = sender.send_file("scan.png", data, "image/png")
        await asyncio.sleep(1.0)
        assert not transfer.result.done()
        # about 1 s of the rate (plus one burst), far from the 512 KiB unpaced window
        assert 0.5 * rate / 8 <= a.sent_bytes <= 1.5 * rate / 8 + CHUNK, a.sent_bytes
        assert 0 < sum(confirmed) <= a.sent_bytes
        sender.close()
        receiver.close()

    asyncio.run(go())
