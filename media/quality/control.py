"""Send-side adaptation: from the bandwidth estimate (the sender's own, transport-cc based,
through :meth:`LinkController.on_estimate`; else REMB, aiortc's delay-based estimator on the
far side), the loss the far side reports (RTCP RR) and the encoder's quantizer, choose the
video bitrate, the rung of the resolution/frame-rate ladder, and whether video pauses.

* Bandwidth: ``min(delay-based cap, loss-based estimate)``; the loss-based part follows
  GoogCC's rule (loss < 5 %: +8 %/s; 5-10 %: hold; > 10 %: x(1 - loss/2)), on the smoothed
  loss. A feedback report that follows a silence of more than 1.2 s (2 s while paused: an
  outage) does not count: its loss is the outage's. The delay-based cap is the send-side
  estimate while one arrived in the last ``ESTIMATE_FRESH`` s, else REMB: a REMB falling
  under 90 % of its recent peak is over-use and brings the loss-based estimate down to it;
  right after over-use REMB is a hard cap, then video may go a little over it
  (``LOSSY_HEADROOM``), and 1.5x on a link calm for 10 s that loses under 1 % (aiortc's
  REMB is at most ~1.5x what arrives, so as a hard cap it would keep video where it is).
  A fresh send-side estimate is the whole rate: the receiver-report rules below (loss,
  queue cut) then leave the rate alone and the pause judges the transport-cc loss.
* Start: ``start_bps`` (300 kbit/s: 640x480 at once), doubling per second while the path is
  short (< ``FAST_START_RTT``) and its queue empty, +25 %/s on a longer one, steps up without
  waiting in the first ``STARTUP_SECONDS``; a slower link is found by the first feedback
  (queue, loss, estimate) and the rung falls at once below 60 % of its floor.
* Ladder (``LADDER``, cut to and fitted to the source by ``on_source``): 30 fps from
  1280x720 down to 320x240, the frame rate dropping only at the bottom (a low-rate mode,
  192x144 at 15 then 8 fps). Resolution and quantizer together, as libwebrtc's quality
  scaler: the budget (after the FEC parity, ``fec_overhead`` set by the sender) is held
  against the rung's floor, but with the encoder's quantizer known it decides from 60 % of
  the floor up (the floors are for hard content; sharp frames keep their size below one):
  above ``QP_HIGH`` over ``QP_WINDOW`` s one size down, up under ``QP_UP`` with the budget
  0.75x the next floor (1.3x without a quantizer)
  for ``up_after`` s, never within ``hold_after_down`` s of stepping down (no flapping); down
  after ``down_after`` s below the floor, at once below 60 % of it.
* Queueing: the round trip over its minimum of the last ``RTT_WINDOW`` s is the delay queued
  on the path (a link that just got slower holds seconds of our packets in its buffer, and
  audio waits behind them). Above ``QUEUE_CUT`` the estimate is cut to 60 % of what the far
  side measures arriving (again only if the queue still grows), and new video frames
  are held back — audio goes on — for about as long as the queue takes to drain
  (``HOLD_SHARE`` of it, at most ``MAX_HOLD`` s: a path that got longer for good looks the
  same until the window forgets its old minimum).
* Audio-only: only when the estimate cannot carry the low-rate mode — the video budget left
  after audio and parity under ``pause_below`` (0.8x the lowest floor) while the link loses
  more than ``pause_loss`` (it shows it cannot), for ``pause_after`` s. Loss alone does not
  pause video, however long the path, nor a low estimate alone (a send-side estimator falls
  to what it saw acknowledged after a queue). Video comes back by itself
  (lowest rung) once audio's loss has been under ``pause_loss`` for ``resume_after`` s
  with a loss-based estimate over the low-rate floor and at least ``probe_wait`` s have
  passed; a resume that fails within ``probe_window`` s doubles ``probe_wait`` (up to 30 s),
  a resume that holds resets it. The user's own audio-only is the session's
  (``CallSession.set_audio_only``).
"""

from __future__ import annotations

import collections
import enum
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rung:
    width: int
    height: int
    fps: float
    min_bps: int  # the video budget needed to stay on this rung
    max_bps: int  # what the encoder gets at most here

    @property
    def label(self) -> str:
        return f"{self.width}x{self.height}@{self.fps:g}"

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def fitted(self, width: int, height: int) -> Rung:
        """This rung for a source of ``width`` x ``height``: about the same number of pixels
        in the source's shape (a 16:9 camera is not squeezed into 4:3; then multiples of 8)."""
        if width * self.height == height * self.width:
            w, h = self.width, self.height
        else:
            scale = (self.pixels / (width * height)) ** 0.5
            w, h = max(8, round(width * scale / 8) * 8), max(8, round(height * scale / 8) * 8)
        return Rung(min(w, width), min(h, height), self.fps, self.min_bps, self.max_bps)


# Balanced degradation, as libwebrtc keeps a camera's frame rate: 30 fps from 1280x720 down to
# 320x240 (about 60 kbit/s), the quantizer (CBR: the budget) and the size going down first;
# the frame rate drops only at the bottom, to a low-rate mode that still moves (192x144, the
# smallest 4:3 size carrying a ``stamps`` stamp, at 15 then 8 fps from ~15 kbit/s). Floors are
# the video budget after FEC parity under which the encoder cannot hold the rate at that size
# (its quantizer at the cap, it overshoots); between them the quantizer chooses, as
# libwebrtc's quality scaler does: a size whose frames come out above ``QP_HIGH`` steps down,
# one steps up only if the current size's quantizer is under ``QP_UP`` (Chromium keeps
# 640x480 at 30 fps on a 250-400 kbit/s link with its synthetic-camera content: measured).
# Rungs larger than the source are not used (see ``LinkController.on_source``).
LADDER: tuple[Rung, ...] = (
    Rung(1280, 720, 30, 600_000, 2_500_000),  # VP8 here: ~12 ms/frame on one core
    Rung(960, 540, 30, 350_000, 1_800_000),
    Rung(640, 480, 30, 130_000, 1_500_000),
    Rung(480, 360, 30, 85_000, 700_000),
    Rung(320, 240, 30, 50_000, 350_000),
    Rung(256, 192, 24, 32_000, 150_000),
    Rung(192, 144, 15, 20_000, 80_000),
    Rung(192, 144, 8, 12_000, 50_000),  # the low-rate mode: below it, audio-only
)
DEFAULT_SOURCE = (640, 480)


def ladder_for(width: int, height: int, ladder: tuple[Rung, ...] = LADDER) -> tuple[Rung, ...]:
    """The rungs a ``width`` x ``height`` source can fill (none larger than it), fitted to its
    shape; the source's own size at least once."""
    fit = tuple(r.fitted(width, height) for r in ladder if r.pixels <= 1.05 * width * height)
    return fit or (ladder[-1].fitted(width, height),)


AUDIO_RESERVE = 45_000  # Opus 28 kbit/s + RTP/UDP/SRTP overhead at 50 packets/s
MIN_VIDEO_BPS = 12_000  # the encoder's target never goes under this
# while a file waits on the data channel, video takes at most this share of what audio leaves
# (the file the rest, and whatever video does not use): a shared image arrives in seconds
FILE_VIDEO_SHARE = 0.5
FILE_DEMAND_HOLD = 1.0  # s: a file's demand counts this long after it was last signalled
ESTIMATE_FRESH = 2.0  # s: a send-side estimate this recent replaces REMB
# VP8 quantizer, 0-63 (libwebrtc's quality-scaler thresholds 29/95 of 0-127 for VP8, scaled):
# above QP_HIGH on average over QP_WINDOW s the picture breaks up: one size down; under QP_UP
# it is so sharp that the next size up (1.8-2.3x the pixels) stays under QP_HIGH at the same
# rate (measured on this machine's libvpx: 320x240 at QP 5-7 -> 480x360 at 14-39, 480x360 at
# 9-14 -> 640x480 at 21-41, 80-160 kbit/s); the band between is the hysteresis
QP_HIGH = 47
QP_UP = 15
HARD_FLOOR = 0.6  # under this share of a rung's floor the size cannot hold the rate: down
UP_FLOOR = 0.75  # a step up (quantizer known) needs this share of the next rung's floor
QP_WINDOW = 1.5
OVERUSE_DROP = 0.9  # REMB under this share of its recent peak: the far side saw over-use
REMB_HEADROOM = 1.5
CALM_AFTER_OVERUSE = 10.0  # s without over-use before REMB gets its full headroom ...
CLEAN_LOSS = 0.01  # ... and only on a link that loses (almost) nothing
LOSSY_HEADROOM = 1.15  # otherwise at most this over REMB
HEADROOM_REGAIN = 0.05  # per s after over-use (REMB a hard cap for 2 s)
STARTUP_SECONDS = 12.0  # a clean start climbs fast and steps up without waiting
FAST_START_RTT = 0.25  # s: on a path this short the start doubles per second, else +25 %/s
QUEUE_CUT = 0.25  # s queued on the path: cut the rate and hold video while it drains
HOLD_SHARE = 0.8
MAX_HOLD = 2.0
RTT_WINDOW = 10.0
OUTAGE_LOSS_CLAMP = 3.0  # one report counts at most this x the smoothed loss (min 10 %)
LOSS_INCREASE_BELOW = 0.05
LOSS_DECREASE_ABOVE = 0.10


class LinkState(enum.Enum):
    GOOD = "good"
    WEAK = "weak"  # video paused, audio continues; comes back by itself


@dataclass(frozen=True)
class Decision:
    bitrate: int  # video encoder target, bit/s
    rung: Rung
    paused: bool
    estimate: int  # total send estimate, bit/s
    hold: bool = False  # the path is queueing: send no new video frame for now


class LinkController:
    def __init__(
        self,
        ladder: tuple[Rung, ...] = LADDER,
        start_bps: int = 300_000,
        *,
        down_after: float = 1.0,
        up_after: float = 4.0,
        hold_after_down: float = 8.0,
        pause_below: int | None = None,
        pause_loss: float = 0.10,
        pause_after: float = 2.5,
        resume_after: float = 3.0,
        probe_wait: float = 4.0,
        probe_window: float = 20.0,
        on_change: Callable[[Decision], None] | None = None,
    ) -> None:
        self.full_ladder = ladder
        self.source = DEFAULT_SOURCE
        self.ladder = ladder_for(*self.source, ladder)
        self.down_after, self.up_after, self.hold_after_down = down_after, up_after, hold_after_down
        # the video budget under which video pauses: 0.8x the lowest rung's floor
        self.pause_below = int(0.8 * ladder[-1].min_bps) if pause_below is None else pause_below
        self.pause_loss, self.pause_after = pause_loss, pause_after
        self.resume_after, self.probe_wait0, self.probe_window = (
            resume_after,
            probe_wait,
            probe_window,
        )
        self.probe_wait = probe_wait
        self.on_change = on_change
        self.remb: int | None = None
        self._remb_peak = 0
        self.send_estimate: int | None = None  # the send-side estimator's, total bit/s
        self._estimate_at = -1e9
        # the loss the transport-cc feedback shows (the send-side estimator's last second)
        self.feedback_loss: float | None = None
        self._estimate_gap_at = -1e9  # an estimate that came after a silence (an outage)
        self.reports_kept = 0  # sparse reports counted because transport-cc never stopped
        self._overuse_at = -1e9
        self._started_at: float | None = None
        self._first_update: float | None = None  # when the first decision was asked for
        self._now = 0.0
        self.loss_based = start_bps
        self.loss = 0.0  # smoothed fraction
        self.rtt: float | None = None
        self.queue_delay = 0.0  # s: RTT over its recent minimum
        self._rtts: collections.deque[tuple[float, float]] = collections.deque()
        self._hold_until = -1e9
        # a hold under way: (start, path minimum then, highest RTT seen, when the hold ends)
        self._episode: tuple[float, float, float, float] | None = None
        self._cut_at = -1e9
        self._rtt_at_cut = 0.0
        self._path_episode: tuple[float, float] | None = None  # (start, peak one-way queue)
        self.fec_overhead = 0.0  # parity bytes per media byte (the sender's FEC)
        self._qps: collections.deque[tuple[float, int]] = collections.deque()
        self.index = self._rung_for(start_bps - AUDIO_RESERVE)
        self.paused = False
        self.changes = 0  # rung changes (for tests: flapping)
        self._last_feedback: float | None = None
        self._last_loss_update: float | None = None
        self._below_since: float | None = None
        self._above_since: float | None = None
        self._last_down: float = -1e9
        self._bad_since: float | None = None
        self._good_since: float | None = None
        self._paused_at: float = 0.0
        self._resumed_at: float | None = None
        self._last: Decision | None = None
        self._file_demand_at = -1e9

    # -- inputs ----------------------------------------------------------------------------

    def _feedback(self, now: float) -> bool:
        """Note a feedback arrival; False if it ends a silence (an outage). With video on,
        REMB comes every ~0.5 s and receiver reports every 0.5-1.5 s; paused, only audio's
        reports come — from libwebrtc every ~5 s (2.5-7.5 s: its audio RTCP interval), so
        with transport-cc a report after a longer gap still counts when the feedback never
        stopped meanwhile (no outage: the path reported every 50-100 ms all along). Dropping
        those kept a paused call toward a browser paused for good: nothing it judged by
        ever changed."""
        silence = 2.0 if self.paused else 1.2
        last = self._last_feedback
        fresh = last is None or now - last <= silence
        if (
            not fresh
            and last is not None
            and now - self._estimate_at <= ESTIMATE_FRESH
            and self._estimate_gap_at <= last
        ):
            fresh = True
            self.reports_kept += 1
        self._last_feedback = now
        return fresh

    def on_source(self, width: int, height: int) -> None:
        """The size the source delivers (the sender calls it per frame): the ladder is cut to
        what it can fill (1280x720 only from a camera that offers it) and fitted to its
        shape; the rung keeps its place by its floor."""
        if (width, height) == self.source or width < 16 or height < 16:
            return
        floor = self.rung.min_bps
        self.source = (width, height)
        self.ladder = ladder_for(width, height, self.full_ladder)
        self.index = next(
            (i for i, r in enumerate(self.ladder) if r.min_bps <= floor), len(self.ladder) - 1
        )
        self._qps.clear()

    def on_quantizer(self, qp: int, now: float) -> None:
        """The encoder's quantizer (0-63) for a frame just encoded at the current rung."""
        self._qps.append((now, int(qp)))
        while self._qps and now - self._qps[0][0] > QP_WINDOW:
            self._qps.popleft()

    @property
    def quantizer(self) -> float | None:
        """The mean quantizer over the last ``QP_WINDOW`` s on this rung; None until the
        rung has run that long (or no encoder says)."""
        if len(self._qps) < 5 or self._qps[-1][0] - self._qps[0][0] < 0.8 * QP_WINDOW:
            return None
        return sum(q for _, q in self._qps) / len(self._qps)

    def on_estimate(self, bps: int, now: float, loss: float | None = None) -> None:
        """A send-side bandwidth estimate (transport-cc + delay/loss-based estimator); while
        one has arrived in the last 2 s it is the rate (REMB and this controller's own
        loss-based rate are not used; see :attr:`link_estimate`). ``loss``: what the
        transport-cc feedback of the last second lost (judges the pause, see
        :attr:`judged_loss`).

        ``bps`` is what the path carries in total (audio, video, parity, retransmissions):
        video gets it minus the audio reserve. It is not a feedback arrival for the outage
        rule (transport-cc feedback comes far more often than receiver reports)."""
        if now - self._estimate_at > 1.2:
            self._estimate_gap_at = now
        self.send_estimate = max(0, int(bps))
        self._estimate_at = now
        self.feedback_loss = loss
        # one estimator: the receiver-report rate follows it (where REMB takes over when
        # transport-cc feedback stops, it starts from what the path carried)
        self.loss_based = self.send_estimate
        self.update(now)

    def on_file_demand(self, now: float) -> None:
        """The data channel has file bytes waiting: video leaves them a share for a while."""
        self._file_demand_at = now

    @property
    def judged_loss(self) -> float:
        """The loss the pause and the ladder judge by: the transport-cc feedback's while the
        send-side estimate is fresh (every packet, every 50-100 ms), else the receiver
        reports' (smoothed; from a browser's audio only every ~5 s)."""
        if self.estimate_fresh and self.feedback_loss is not None:
            return self.feedback_loss
        return self.loss

    @property
    def link_estimate(self) -> int:
        """What the path carries in total (bit/s) by the estimate, before any file's share."""
        if self.estimate_fresh:
            assert self.send_estimate is not None
            return self.send_estimate
        return self.estimate

    @property
    def last_decision(self) -> Decision | None:
        return self._last

    @property
    def estimate_fresh(self) -> bool:
        """A send-side estimate arrived within ``ESTIMATE_FRESH`` s: it is the delay cap."""
        return self.send_estimate is not None and self._now - self._estimate_at <= ESTIMATE_FRESH

    def on_remb(self, bps: int, now: float) -> None:
        self._feedback(now)
        self._now = max(self._now, now)
        if self.paused or self.estimate_fresh:
            # paused: a late echo of the paused video, it says nothing about the link now;
            # with a fresh send-side estimate REMB is not used at all
            return
        bps = int(bps)
        # aiortc's estimator (AIMD) says at most ~1.5x what arrives, and drops to ~0.85x of it
        # on over-use: a REMB well under its recent peak is congestion, and the loss-based
        # estimate is brought down to it (GoogCC takes the lower of the two)
        if self.remb is not None and bps < OVERUSE_DROP * self._remb_peak:
            self.loss_based = min(self.loss_based, bps + AUDIO_RESERVE)
            self._remb_peak = bps
            self._overuse_at = now
        else:
            self._remb_peak = max(self._remb_peak, bps)
        self.remb = bps
        self.update(now)

    def on_loss(self, fraction: float, now: float, kind: str = "video") -> None:
        """Loss the far side reports for our ``kind`` stream over its last report interval
        (0..1). While video is paused only audio's reports count (video's would say 0)."""
        if self.paused and kind != "audio":
            return
        if not self.paused and kind == "audio":
            return  # video's reports cover more packets
        if not self._feedback(now):
            return  # the loss of an outage, not of the link as it is now
        # a report covering a short outage (shorter than the silence rule sees) would say
        # 50 %+ at once: one report moves the smoothed loss only so far (to 10 %, or 3x what
        # it was); lasting heavy loss still comes through, in 4-6 reports for 30 %
        fraction = min(fraction, max(0.10, OUTAGE_LOSS_CLAMP * self.loss))
        self.loss += (fraction - self.loss) * 0.3
        last = self._last_loss_update
        # the first report covers the time since video started (not just one second)
        since = 1.0 if last is None else now - last
        if last is None and self._first_update is not None:
            since = max(since, now - self._first_update)
        dt = min(2.0, max(0.0, since))
        self._last_loss_update = now
        # on the smoothed loss: one report of a few dozen packets says little on its own
        # thresholds above GoogCC's 2 %/10 %: random loss of a few percent is repaired here
        # (NACK, temporal layers, Opus FEC) and says nothing about congestion, which shows as
        # queueing delay (REMB) and heavy loss
        if self._started_at is None:
            self._started_at = now
        if self.estimate_fresh:
            pass  # the send-side estimator's rate is the rate (it sees every packet's loss)
        elif self.loss < LOSS_INCREASE_BELOW:
            # the first seconds of a call on a clean link climb fast (libwebrtc probes there):
            # doubling per second on a short path whose queue stays empty (feedback comes
            # within a frame or two, an overshoot is seen at once), +25 %/s on a longer one
            rate = 1.08
            if self._starting(now) and self.loss < 0.02:
                short = self.rtt is not None and self.path_rtt < FAST_START_RTT
                rate = 2.0 if short and self.queue_delay < 0.05 else 1.25
            self.loss_based = int(min(self.loss_based * (rate**dt) + 1000 * dt, 3_000_000))
        elif self.loss > LOSS_DECREASE_ABOVE:
            self.loss_based = int(max(30_000, self.loss_based * (1 - 0.5 * self.loss)))
        self.update(now)

    def on_rtt(self, rtt: float, now: float | None = None, sent: float | None = None) -> None:
        """A round-trip sample (from a receiver report); with ``now``, also the queueing
        rule (see the module docstring). ``sent``: when the sender report it answers left
        (default ``now - rtt``)."""
        self.rtt = rtt
        if now is None:
            return
        self._rtts.append((now, rtt))
        while self._rtts and now - self._rtts[0][0] > RTT_WINDOW:
            self._rtts.popleft()
        base = self.path_rtt
        if self._episode is not None:
            _, start_base, peak_rtt, hold_end = self._episode
            left = now - rtt if sent is None else sent
            if left >= hold_end:
                # this sample's sender report left when the (last extended) hold was over;
                # if the round trip is still near its peak, nothing drained: the path itself
                # got longer, so this is the new minimum
                self._episode = None
                if rtt - start_base > 0.7 * (peak_rtt - start_base):
                    self._rtts = collections.deque([(now, rtt)])
                    base = rtt
                    self._hold_until = now
        self.queue_delay = max(0.0, rtt - base)
        self._now = max(self._now, now)
        if self.queue_delay > QUEUE_CUT:
            # also with a send-side estimate: without this hold, the queue on a 250 kbit/s
            # link stayed at ~1 s (latency p50 1.1 s against Chromium's 0.55 s, measured)
            # hold from the episode's start for about as long as the largest queue seen takes
            # to drain: a later (lagging) sample of a bigger queue extends it, the same queue
            # seen again does not
            drain = min(MAX_HOLD, HOLD_SHARE * self.queue_delay)
            if self._episode is None:
                self._episode = (now, base, rtt, now + drain)
            else:
                start, ep_base, peak, end = self._episode
                self._episode = (start, ep_base, max(peak, rtt), max(end, start + drain))
            self._hold_until = max(self._hold_until, self._episode[3])
            # samples lag (the report answers a sender report that waited in the queue): cut
            # again only if the queue grew since the last cut, or long after it
            again = rtt > self._rtt_at_cut + 0.05 or now - self._cut_at > 2 * rtt + 1.0
            # with a fresh send-side estimate the rate is the estimator's: it sees the
            # one-way queue every 50 ms and cuts on it itself. A second cut here (0.6x, then
            # +8 %/s) held a browser call at 1 Mbit/s under 250 kbit/s for 20 s after one
            # queue while the estimator was back at the link's rate within 2 s
            if again and not self.paused and not self.estimate_fresh:
                arriving = self._delay_cap()
                arriving = self.loss_based if arriving is None else arriving
                self.loss_based = min(self.loss_based, int(0.6 * arriving) + AUDIO_RESERVE)
                self._overuse_at = now
                self._cut_at, self._rtt_at_cut = now, rtt
        self.update(now)

    def on_path_queue(self, queue: float, now: float) -> None:
        """The one-way queue the send-side estimator measures (transport-cc feedback, every
        ~50 ms: no wait for a receiver report's round trip, which lagged a rate drop by a
        second or more while the queue grew to 2 s). Over ``QUEUE_CUT`` video goes thin for
        about as long as the queue takes to drain (``HOLD_SHARE`` of its peak, at most
        ``MAX_HOLD`` s from the episode's start); the next episode only after the queue fell
        under half of ``QUEUE_CUT`` — a path that got longer for good costs one episode. The
        rate itself is the estimator's to cut."""
        self._now = max(self._now, now)
        if self.paused:
            return
        if queue < 0.5 * QUEUE_CUT:
            self._path_episode = None
            return
        if queue <= QUEUE_CUT and self._path_episode is None:
            return
        if self._path_episode is None:
            self._path_episode = (now, queue)
        start, peak = self._path_episode
        peak = max(peak, queue)
        self._path_episode = (start, peak)
        end = start + min(MAX_HOLD, HOLD_SHARE * peak)
        if now < end:
            self._hold_until = max(self._hold_until, end)

    @property
    def path_rtt(self) -> float:
        """The round trip without queueing (the recent minimum), 0 before any sample."""
        if self._rtts:
            return min(r for _, r in self._rtts)
        return self.rtt or 0.0

    @property
    def hold(self) -> bool:
        """The path is queueing: no new video frame (nor retransmission) for now."""
        return self._now < self._hold_until

    # -- decision --------------------------------------------------------------------------

    @property
    def video_budget(self) -> int:
        """What video may use: aiortc's REMB (it measures the video packets only, the ones
        carrying abs-send-time) and the loss-based total minus the audio reserve."""
        loss_video = self.loss_based - AUDIO_RESERVE
        if self.estimate_fresh:
            assert self.send_estimate is not None
            budget = self.send_estimate - AUDIO_RESERVE
            if self._now - self._file_demand_at <= FILE_DEMAND_HOLD:
                budget = int(budget * FILE_VIDEO_SHARE)
            return int(budget)
        if self.remb is None:
            return int(loss_video)
        # REMB follows what is sent (at most ~1.5x of it): as a hard cap it would hold video on
        # the rung it is on (a small rung's encoder does not even fill its budget), so a link
        # calm for CALM_AFTER_OVERUSE s that loses almost nothing may go REMB_HEADROOM x over
        # it; a lossy one only LOSSY_HEADROOM x (1.5x there filled the bottleneck's queue:
        # seconds of latency); right after over-use REMB is the cap, and the headroom comes
        # back by HEADROOM_REGAIN per second.
        since = self._now - self._overuse_at
        if since >= CALM_AFTER_OVERUSE and self.loss < CLEAN_LOSS:
            headroom = REMB_HEADROOM
        else:  # a lossy link: a little over REMB so it can climb (the encoder may undershoot)
            headroom = min(LOSSY_HEADROOM, 1.0 + HEADROOM_REGAIN * max(0.0, since - 2.0))
        cap = self.remb * headroom
        return int(min(cap, loss_video))

    @property
    def measured_budget(self) -> int:
        """The video budget by the far side's own measure (REMB as a hard cap)."""
        loss_video = self.loss_based - AUDIO_RESERVE
        cap = self._delay_cap()
        return int(min(cap, loss_video) if cap is not None else loss_video)

    def _delay_cap(self) -> int | None:
        """Video's delay-based cap by the far side's measure: the send-side estimate while it
        is fresh, else REMB; None before either."""
        if self.estimate_fresh:
            assert self.send_estimate is not None
            return self.send_estimate - AUDIO_RESERVE
        return self.remb

    @property
    def estimate(self) -> int:
        """Total send estimate (video budget + audio)."""
        return self.video_budget + AUDIO_RESERVE

    @property
    def rung(self) -> Rung:
        return self.ladder[self.index]

    @property
    def state(self) -> LinkState:
        return LinkState.WEAK if self.paused else LinkState.GOOD

    def _rung_for(self, budget: int) -> int:
        for i, rung in enumerate(self.ladder):
            if budget >= rung.min_bps:
                return i
        return len(self.ladder) - 1

    def update(self, now: float) -> Decision:
        self._now = now
        if self._first_update is None:
            self._first_update = now
        budget = self.video_budget
        self._update_pause(now)
        if not self.paused:
            self._update_rung(int(budget / (1.0 + self.fec_overhead)), now)
        rung = self.rung
        decision = Decision(
            bitrate=int(max(MIN_VIDEO_BPS, min(budget, rung.max_bps))),
            rung=rung,
            paused=self.paused,
            estimate=self.estimate,
            hold=self.hold,
        )
        last = self._last
        self._last = decision
        if self.on_change is not None and (
            last is None or last.rung != decision.rung or last.paused != decision.paused
        ):
            self.on_change(decision)
        return decision

    def _update_rung(self, budget: int, now: float) -> None:
        rung = self.rung
        qp = self.quantizer
        # between 60 % of a rung's floor and the floor the quantizer decides when the encoder
        # says it (the floors are for hard content: easy content keeps its size there, as
        # libwebrtc's quality scaler keeps it whatever the rate); below 60 % always down
        easy = qp is not None and qp < QP_UP
        if (
            budget < rung.min_bps
            and self.index < len(self.ladder) - 1
            and not (qp is not None and budget >= HARD_FLOOR * rung.min_bps)
        ):
            self._above_since = None
            if self._below_since is None:
                self._below_since = now
            if budget < HARD_FLOOR * rung.min_bps or now - self._below_since >= self.down_after:
                self._step(max(self.index + 1, self._rung_for(budget)), now)
                self._below_since = None
            return
        self._below_since = None
        if qp is not None and qp > QP_HIGH and self.index < len(self.ladder) - 1:
            self._step(self.index + 1, now)  # the rate is too thin for this size: smaller
            return
        if self.index == 0:
            return
        up = self.ladder[self.index - 1]
        # random loss of a few percent is repaired: only heavy loss (the estimate falls)
        # keeps video from growing. With the encoder's quantizer known, sharp frames here
        # (under QP_UP) are the signal and the next size needs only to clear its hard floor
        # by a margin; without it, the budget must be 1.3x the next floor
        if qp is None:
            enough = budget >= 1.3 * up.min_bps
        else:
            enough = easy and budget >= UP_FLOOR * up.min_bps
        if enough and self.judged_loss < LOSS_DECREASE_ABOVE:
            if self._above_since is None:
                self._above_since = now
            wait = 0.0 if self._starting(now) else self.up_after
            if now - self._above_since >= wait and now - self._last_down >= self.hold_after_down:
                self._step(self.index - 1, now)
                self._above_since = None
        else:
            self._above_since = None

    def _step(self, index: int, now: float) -> None:
        """To rung ``index``; its quantizer is measured afresh."""
        if index > self.index:
            self._last_down = now
        self.index = index
        self.changes += 1
        self._qps.clear()

    def _starting(self, now: float) -> bool:
        """The first seconds of a call, as long as no over-use or queue was seen."""
        return (
            self._started_at is not None
            and now - self._started_at < STARTUP_SECONDS
            and self._overuse_at < 0
        )

    def _update_pause(self, now: float) -> None:
        floor = self.ladder[-1].min_bps
        loss = self.judged_loss
        if self.paused:  # no video, so no REMB: judge the link by audio's loss
            rate = self.link_estimate if self.estimate_fresh else self.loss_based
            bad = loss > self.pause_loss or rate - AUDIO_RESERVE < floor
        else:
            # only the estimate pauses video: when what it leaves after audio (and parity)
            # cannot carry the low-rate mode. Loss, however long the path, does not by itself
            # (it is repaired, and heavy loss brings the loss-based estimate down anyway);
            # REMB is low when we send little, but never under 1x what arrives
            # — and only if the link shows it at the low-rate mode's few kbit/s (loss over
            # ``pause_loss``): an estimate that fell after a queue (a send-side estimator
            # drops to what it saw acknowledged) is not a link that cannot carry 12 kbit/s
            budget = self.video_budget / (1.0 + self.fec_overhead)
            bad = budget < self.pause_below and loss > self.pause_loss
        if bad:
            self._good_since = None
            if self._bad_since is None:
                self._bad_since = now
        else:
            self._bad_since = None
            if self._good_since is None:
                self._good_since = now
        if not self.paused:
            if self._resumed_at is not None and now - self._resumed_at > self.probe_window:
                self.probe_wait = self.probe_wait0  # the last resume held
                self._resumed_at = None
            if self._bad_since is not None and now - self._bad_since >= self.pause_after:
                if self._resumed_at is not None:  # the probe failed: wait longer next time
                    self.probe_wait = min(30.0, self.probe_wait * 2)
                self.paused = True
                self._paused_at = now
                self._resumed_at = None
                self.remb = None  # no video, no REMB: judge by loss until the probe
                self._remb_peak = 0
            return
        if (
            self._good_since is not None
            and now - self._good_since >= self.resume_after
            and now - self._paused_at >= self.probe_wait
        ):
            self.paused = False
            self._resumed_at = now
            self._bad_since = None
            self.index = len(self.ladder) - 1  # come back small, climb as the link allows
            self._qps.clear()
            self.loss_based = max(self.loss_based, int(1.3 * floor) + AUDIO_RESERVE)
            self._last_down = now

    def tick(self, now: float) -> Decision:
        """Time passes without feedback (e.g. paused: no video, no REMB)."""
        return self.update(now)


OVERSHOOT_WINDOW = 2.0  # s of encoded frames the encoder's overshoot is measured over
OVERSHOOT_MIN_SPAN = 0.5  # s: no correction before this much was measured
OVERSHOOT_MAX = 2.0  # the target is divided by at most this
OVERSHOOT_GAP = 0.2  # s: a longer gap between frames (paused, held) counts as this


class EncoderOvershoot:
    """How much more the encoder puts out than it was asked for, so the sender can ask for
    ``target / factor`` and the stream holds the estimate (libwebrtc's encoder bitrate
    adjuster does the same). libvpx's CBR overshoots after target changes and around
    skipped frames: toward a browser at 1 Mbit/s it gave 1.2-1.5x its target for seconds,
    the pacer let 1.5x through, and the path queued 0.5 s and dropped from its tail after
    every cut of the estimate. Keyframes are left out (asked for, rare, the pacer spreads
    them)."""

    def __init__(self, window: float = OVERSHOOT_WINDOW) -> None:
        self.window = window
        # (when, bits put out, bits asked for since the frame before)
        self._frames: collections.deque[tuple[float, int, float]] = collections.deque()
        self._last: float | None = None

    def on_frame(self, now: float, bits: int, asked_bps: float, keyframe: bool = False) -> None:
        gap = 1 / 30 if self._last is None else min(OVERSHOOT_GAP, max(0.0, now - self._last))
        self._last = now
        if keyframe:
            return
        self._frames.append((now, bits, asked_bps * gap))
        while self._frames and now - self._frames[0][0] > self.window:
            self._frames.popleft()

    @property
    def factor(self) -> float:
        """Put out / asked over the window, 1.0 to ``OVERSHOOT_MAX`` (an encoder that
        undershoots is not pushed over its target)."""
        frames = self._frames
        if len(frames) < 5 or frames[-1][0] - frames[0][0] < OVERSHOOT_MIN_SPAN:
            return 1.0
        asked = sum(a for _, _, a in frames)
        if asked <= 0:
            return 1.0
        return min(OVERSHOOT_MAX, max(1.0, sum(b for _, b, _ in frames) / asked))
