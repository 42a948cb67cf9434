"""Call quality on weak links: aiortc 1.16 with a time-based receive buffer, RTT-timed NACK/PLI,
Opus FEC/PLC concealment, a speech-rate Opus encoder with FEC, a live-bitrate VP8 encoder, a
resolution/frame-rate ladder driven by the bandwidth estimate and loss, paced video behind
audio, and an audio-only fallback with hysteresis that comes back by itself.

Used by :class:`media.session.CallSession` (``_new_pc``) unless ``stock=True``:

    pc = new_peer_connection(config)          # a QualityPeerConnection
    watch_link(session, pc)                   # session.link_quality, observer.on_link_quality

Modules: :mod:`.jitter` (video buffer, audio concealer), :mod:`.feedback` (NACK, PLI),
:mod:`.control` (ladder, audio-only), :mod:`.vp8`, :mod:`.opus`, :mod:`._native` (libvpx and
libopus through ctypes), :mod:`.rtp` (the only module touching aiortc internals).
"""

from __future__ import annotations

import logging
from typing import Any

from aiortc import RTCConfiguration

from media.quality.control import LADDER, Decision, LinkController, LinkState, Rung
from media.quality.rtp import QualityHub, QualityPeerConnection

log = logging.getLogger(__name__)

WEAK_LINK_MESSAGE = "The link is weak: video is paused and will come back by itself."

__all__ = [
    "LADDER",
    "WEAK_LINK_MESSAGE",
    "Decision",
    "LinkController",
    "LinkState",
    "QualityHub",
    "QualityPeerConnection",
    "Rung",
    "link_stats",
    "new_peer_connection",
    "watch_link",
]


def new_peer_connection(config: RTCConfiguration) -> QualityPeerConnection:
    return QualityPeerConnection(config)


def watch_link(session: Any, pc: QualityPeerConnection) -> None:
    """Report the link state of ``pc`` to the session: ``session.link_quality``
    (:class:`LinkState`), ``session.link_message`` and the observer's
    ``on_link_quality(state, message)`` (on the event loop thread)."""
    session.link_quality = LinkState.GOOD
    session.link_message = ""
    session.quality_hub = pc.hub

    def changed(state: LinkState, stats: dict[str, Any]) -> None:
        if getattr(session, "_pc", None) is not pc:
            return
        session.link_quality = state
        session.link_message = WEAK_LINK_MESSAGE if state == LinkState.WEAK else ""
        log.info("link %s (%s)", state.value, stats)
        session._notify("on_link_quality", state, session.link_message)

    pc.hub.on_state = changed


def link_stats(session: Any) -> dict[str, Any]:
    """The quality layer's counters for the session's current peer connection (empty when
    stock or not connected): ``concealed_pct``, ``recovered_pct``, NACK/PLI counts, rung..."""
    hub = getattr(session, "quality_hub", None)
    return hub.stats() if hub is not None else {}
