"""ICE consent on a long path: aioice fails a consent check unanswered within 0.5 s and cuts
the connection after six; ours waits for the answer (RFC 7675's 30 s still apply)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aioice import stun

from media.quality import consent
from media.quality.rtp import QualityPeerConnection


async def connected_pair() -> tuple[QualityPeerConnection, QualityPeerConnection]:
    a, b = QualityPeerConnection(), QualityPeerConnection()
    a.createDataChannel("x")
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    for _ in range(100):
        if a.connectionState == b.connectionState == "connected":
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    return a, b


def ice_connection(pc: QualityPeerConnection) -> Any:
    return pc.sctp.transport.transport._connection


@pytest.mark.timeout(60)
def test_consent_checks_wait_for_a_slow_answer_and_still_expire_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(consent, "INTERVAL", 0.2)
    monkeypatch.setattr(consent, "EXPIRE_AFTER", 3.0)

    async def run() -> None:
        a, b = await connected_pair()
        conn = ice_connection(a)
        assert getattr(conn._query_consent_task, "patient", False)  # installed on connect
        # every answer now takes 0.8 s (a 600 ms path with a queue): aioice would fail each
        delay = {"s": 0.8}
        for pair in ice_connection(b)._nominated.values():
            proto = pair.protocol
            original = proto.send_stun

            def slow(message: stun.Message, addr: Any, original: Any = original) -> None:
                if message.message_class == stun.Class.RESPONSE:
                    asyncio.get_running_loop().call_later(delay["s"], original, message, addr)
                else:
                    original(message, addr)

            proto.send_stun = slow
        await asyncio.sleep(5.0)
        assert a.connectionState == "connected"  # slow answers keep consent
        delay["s"] = 60.0  # no answers at all: consent expires after EXPIRE_AFTER
        for _ in range(60):
            if a.connectionState in ("failed", "closed"):
                break
            await asyncio.sleep(0.1)
        assert a.connectionState in ("failed", "closed")
        await a.close()
        await b.close()

    asyncio.run(run())


@pytest.mark.timeout(60)
def test_an_outage_within_expiry_is_disconnected_then_connected_on_the_same_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RFC 7675 as WebRTC uses it: unanswered checks make the connection "disconnected", not
    "failed"; answers coming back make it "connected" again, same pair, same peer connection,
    and data flows over it again."""
    monkeypatch.setattr(consent, "INTERVAL", 0.3)
    monkeypatch.setattr(consent, "EXPIRE_AFTER", 6.0)
    monkeypatch.setattr(consent, "RETRANSMISSIONS", 0)  # a check waits 0.5 s

    async def run() -> None:
        a, b = await connected_pair()
        got: list[str] = []
        ready = asyncio.Event()

        @b.on("datachannel")
        def on_channel(channel: Any) -> None:
            channel.on("message", got.append)
            ready.set()

        sender = a.createDataChannel("y")
        # renegotiation is not needed: the first channel opened the association; wait for
        # the second channel to be announced in-band
        await asyncio.wait_for(ready.wait(), 10)
        assert consent.state(a) == "connected"
        pair = next(iter(ice_connection(a)._nominated.values()))
        # the outage: every datagram b would send to a is dropped (STUN answers included)
        down = {"on": True}
        for p in ice_connection(b)._nominated.values():
            proto = p.protocol
            transport = proto.transport
            original = transport.sendto

            def drop(data: bytes, addr: Any = None, original: Any = original) -> None:
                if not down["on"]:
                    original(data, addr)

            transport.sendto = drop
        seen: set[str] = set()
        for _ in range(40):  # 4 s: well past missed checks, short of the 6 s expiry
            seen.add(str(consent.state(a)))
            await asyncio.sleep(0.1)
        assert "disconnected" in seen and "failed" not in seen, seen
        assert a.connectionState == "connected"
        down["on"] = False
        for _ in range(30):
            if consent.state(a) == "connected":
                break
            await asyncio.sleep(0.1)
        assert consent.state(a) == "connected"
        assert next(iter(ice_connection(a)._nominated.values())) is pair  # same pair
        sender.send("after the outage")
        for _ in range(50):
            if "after the outage" in got:
                break
            await asyncio.sleep(0.1)
        assert "after the outage" in got and a.connectionState == "connected"
        await a.close()
        await b.close()

    asyncio.run(run())
