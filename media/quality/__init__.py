"""Call quality on weak links: aiortc 1.16 with a time-based receive buffer, RTT-timed NACK/PLI,
Opus FEC/PLC concealment, a speech-rate Opus encoder with FEC, a live-bitrate VP8 encoder, a
resolution/frame-rate ladder driven by the bandwidth estimate and loss, paced video behind
audio, and an audio-only fallback with hysteresis that comes back by itself.

Used by :class:`media.session.CallSession` (``_new_pc``) unless ``stock=True``:

    pc = new_peer_connection(config)          # a QualityPeerConnection
    watch_link(session, pc)                   # session.link_quality, observer.on_link_quality

Modules: :mod:`.jitter` (video buffer, audio concealer), :mod:`.feedback` (NACK, PLI),
:mod:`.control` (ladder, audio-only), :mod:`.twcc` (transport-cc feedback), :mod:`.gcc`
(send-side estimate, probing), :mod:`.vp8`, :mod:`.opus`, :mod:`._native` (libvpx and
libopus through ctypes), :mod:`.rtp` (the only module touching aiortc internals).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from aiortc import RTCConfiguration

from media.quality.control import LADDER, Decision, LinkController, LinkState, Rung
from media.quality.rtp import QualityHub, QualityPeerConnection, path_resumed

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
    "path_resumed",
    "retire",
    "watch_link",
]

# counters that add up over the peer connections of one call (a reconnect must not reset
# what a report says about the whole call); everything else describes the current one
COUNTERS = (
    "audio_frames", "audio_late", "audio_resyncs", "video_frames", "keyframe_skips",
    "layer_skips", "video_gave_up", "nack_seqs", "nack_packets", "pli_sent", "pli_suppressed",
    "pli_on_resume", "fec_parity_in", "fec_recovered", "fec_sent", "rtx_sent", "rtx_refused",
    "rung_changes", "frames_encoded", "frames_held", "frames_rate_skipped",
    "frames_pacer_skipped",
)  # fmt: skip
AUDIO_PCTS = ("concealed_pct", "recovered_pct")  # of audio_frames
# Files on the data channel paced by the send-side estimate (RtpHub.data_pace): off unless
# CLINIC_PACE_FILES=1. On a loaded machine the queue rule kept cutting the estimate and starved
# 5-6 MiB transfers (tests/e2e test_network_change_reconnects, test_call_peers); unpaced, a file
# keeps WINDOW chunks in flight as before. Kept off until that is understood.
PACE_FILES = os.environ.get("CLINIC_PACE_FILES") == "1"


def new_peer_connection(config: RTCConfiguration) -> QualityPeerConnection:
    return QualityPeerConnection(config)


def watch_link(session: Any, pc: QualityPeerConnection) -> None:
    """Report the link state of ``pc`` to the session: ``session.link_quality``
    (:class:`LinkState`), ``session.link_message`` and the observer's
    ``on_link_quality(state, message)`` (on the event loop thread)."""
    session.link_quality = LinkState.GOOD
    session.link_message = ""
    session.quality_hub = pc.hub
    channel = getattr(session, "channel", None)
    if channel is not None and PACE_FILES:  # files take what media leaves of the estimate
        channel.pace = pc.hub.data_pace
        channel.on_acked = pc.hub.data_acked

    def changed(state: LinkState, stats: dict[str, Any]) -> None:
        if getattr(session, "_pc", None) is not pc:
            return
        session.link_quality = state
        session.link_message = WEAK_LINK_MESSAGE if state == LinkState.WEAK else ""
        log.info("link %s (%s)", state.value, stats)
        session._notify("on_link_quality", state, session.link_message)

    pc.hub.on_state = changed


def retire(session: Any, pc: Any) -> None:
    """``pc`` is being closed: add its counters to the call's totals (once)."""
    hub = getattr(pc, "hub", None)
    if not isinstance(hub, QualityHub) or getattr(hub, "retired", False):
        return
    hub.retired = True  # type: ignore[attr-defined]
    totals: dict[str, float] = getattr(session, "quality_totals", None) or {}
    session.quality_totals = _add(totals, hub.stats())


def _add(totals: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    out = dict(totals)
    frames_before = float(totals.get("audio_frames", 0) or 0)
    frames_now = float(stats.get("audio_frames", 0) or 0)
    for key in AUDIO_PCTS:
        if key in stats or key in totals:
            weight = frames_before + frames_now
            mixed = (
                float(totals.get(key, 0.0)) * frames_before
                + float(stats.get(key, 0.0)) * frames_now
            )
            out[key] = round(mixed / weight, 2) if weight else 0.0
    for key in COUNTERS:
        if key in stats or key in totals:
            out[key] = (totals.get(key) or 0) + (stats.get(key) or 0)
    return out


def link_stats(session: Any) -> dict[str, Any]:
    """The quality layer's figures for the whole call (empty when stock or never connected):
    the counters (:data:`COUNTERS`: frames, NACK/PLI, FEC...) and ``concealed_pct`` /
    ``recovered_pct`` over every peer connection of the call, so a reconnect does not reset
    them; the rest (rung, estimate, RTT...) of the current one."""
    hub = getattr(session, "quality_hub", None)
    totals: dict[str, Any] = getattr(session, "quality_totals", None) or {}
    if hub is None or getattr(hub, "retired", False):
        return dict(totals)
    stats = hub.stats()
    if not totals:
        return stats
    merged = dict(stats)
    merged.update(_add(totals, stats))
    return merged
