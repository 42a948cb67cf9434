"""In-process loss injection for call tests: drops a share of the SRTP/SRTCP datagrams a peer
connection sends (its DTLS transports' ``_send_rtp``), seeded, optionally during an outage."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection


class LossyPath:
    """``drop``: a further rule on the plain RTP/RTCP bytes (before SRTP), e.g. by payload type."""

    def __init__(
        self, loss: float = 0.0, seed: int = 1, drop: Callable[[bytes], bool] | None = None
    ) -> None:
        self.loss = loss
        self.drop = drop
        self.rng = random.Random(seed)
        self.down_until = 0.0
        self.sent = 0
        self.dropped = 0

    def outage(self, seconds: float) -> None:
        self.down_until = time.monotonic() + seconds

    def wrap(self, pc: RTCPeerConnection) -> None:
        for transceiver in pc.getTransceivers():
            dtls: Any = transceiver.receiver.transport
            if getattr(dtls, "_lossy_wrapped", False):
                continue
            original = dtls._send_rtp

            async def send(data: bytes, original: Any = original) -> None:
                self.sent += 1
                if (
                    time.monotonic() < self.down_until
                    or self.rng.random() < self.loss
                    or (self.drop is not None and self.drop(data))
                ):
                    self.dropped += 1
                    return
                await original(data)

            dtls._send_rtp = send
            dtls._lossy_wrapped = True
