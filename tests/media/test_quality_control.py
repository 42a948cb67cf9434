"""The ladder and the audio-only fallback: follow the estimate, with hysteresis (no flapping);
video keeps moving (a low-rate mode) whenever the estimate leaves more than audio needs."""

from __future__ import annotations

from collections.abc import Callable

from media.quality.control import (
    AUDIO_RESERVE,
    LADDER,
    LinkController,
    LinkState,
    Rung,
    ladder_for,
)


def drive(c: LinkController, seconds: float, remb: int, loss: float = 0.0, t0: float = 0.0,
          step: float = 0.5) -> float:  # fmt: skip
    t = t0
    while t < t0 + seconds:
        c.on_remb(remb, t)
        c.on_loss(loss, t)
        t += step
    return t


def test_starts_on_the_rung_the_start_estimate_allows_and_climbs_on_a_good_link() -> None:
    assert LinkController().rung.label == "640x480@30"  # the default start: full size at once
    c = LinkController(start_bps=140_000)
    assert c.rung.label == "480x360@30"  # 30 fps from the first frame
    t = drive(c, 20, remb=2_000_000)
    assert c.rung == c.ladder[0] and c.rung.label == "640x480@30" and not c.paused
    assert c.update(t).bitrate > 600_000


def test_a_bandwidth_drop_steps_down_within_about_a_second() -> None:
    c = LinkController(start_bps=2_000_000)
    t = drive(c, 10, remb=2_000_000)
    assert c.rung == c.ladder[0]
    t = drive(c, 1.5, remb=100_000, t0=t)
    assert c.rung.label == "480x360@30"  # REMB (video only) 100 kbit/s: smaller, same fps
    assert c.update(t).bitrate <= 100_000


def test_an_estimate_wobbling_around_a_threshold_does_not_flap() -> None:
    c = LinkController(start_bps=700_000)
    floor = LADDER[1].min_bps
    t = 0.0
    for i in range(240):  # 2 minutes of +-15 % around the 480x360 floor, every 0.5 s
        c.on_remb(int(floor * (1.15 if (i // 3) % 2 else 0.85)), t)
        c.on_loss(0.0, t)
        t += 0.5
    assert c.changes <= 2, c.changes


def test_up_steps_wait_for_a_sustained_margin_and_never_follow_a_down_step_at_once() -> None:
    c = LinkController(start_bps=1_000_000, hold_after_down=8.0, up_after=4.0)
    t = drive(c, 2, remb=1_000_000)
    t = drive(c, 2, remb=100_000, t0=t)  # down
    down_at, rung = t, c.index
    t = drive(c, 6, remb=3_000_000, t0=t)
    assert c.index == rung  # too early to go back up
    t = drive(c, 30, remb=3_000_000, t0=t)
    assert c.index < rung and t - down_at > 8


def test_heavy_loss_steps_down_and_pauses_only_when_the_estimate_cannot_carry_low_rate_video() -> (
    None
):
    states: list[bool] = []
    c = LinkController(start_bps=500_000, on_change=lambda d: states.append(d.paused))
    t = drive(c, 2, remb=500_000, loss=0.0)
    lossy_from = t
    seen: list[str] = []
    while not c.paused and t < lossy_from + 90:
        t = drive(c, 0.5, remb=500_000, loss=0.25, t0=t)
        seen.append(c.rung.label)
    # 25 %: the loss-based estimate falls; video goes down the ladder, the low-rate mode last
    assert c.paused and c.state == LinkState.WEAK
    assert seen[-1] == c.ladder[-1].label and "320x240@30" in seen
    assert c.loss_based - AUDIO_RESERVE < c.ladder[-1].min_bps  # only the estimate pauses
    # paused: only audio's reports count; the link recovers
    while c.paused and t < lossy_from + 150:
        c.on_loss(0.0, t, kind="audio")
        c.tick(t)
        t += 0.5
    assert not c.paused and c.state == LinkState.GOOD
    assert c.rung == c.ladder[-1]  # back small, then it climbs
    assert states.count(True) == 1


def test_a_low_estimate_alone_does_not_pause() -> None:
    # REMB is at most 1.5x what we send: low when we send little, not a weak link by itself
    c = LinkController(start_bps=300_000)
    drive(c, 20, remb=40_000, loss=0.0)
    assert not c.paused and c.rung.height <= 240


def test_an_estimate_that_cannot_carry_low_rate_video_pauses_and_a_failed_probe_waits_longer() -> (
    None
):
    c = LinkController(start_bps=300_000, probe_wait=4.0)
    t = drive(c, 40, remb=40_000, loss=0.15)
    assert c.paused
    paused_at = t
    while c.paused:
        c.on_loss(0.0, t, kind="audio")
        c.tick(t)
        t += 0.5
    first_wait = t - paused_at
    # the link is still that bad: the probe fails, video pauses again, the next wait is longer
    probe = t
    while not c.paused and t < probe + 30:
        t = drive(c, 0.5, remb=40_000, loss=0.15, t0=t)
    assert c.paused and t - probe < 20  # a failed probe ...
    assert c.probe_wait == 8.0  # ... doubles the wait
    paused_at = t
    while c.paused:
        c.on_loss(0.0, t, kind="audio")
        c.tick(t)
        t += 0.5
    assert t - paused_at >= max(8.0, first_wait)


def test_an_outage_report_does_not_count_as_link_loss() -> None:
    c = LinkController(start_bps=500_000)
    t = drive(c, 5, remb=500_000, loss=0.0)
    c.on_loss(0.9, t + 5.0)  # first report after a 5 s silence: the outage's loss
    assert c.loss < 0.01 and not c.paused


def test_loss_on_a_long_path_does_not_pause_video() -> None:
    """5 % at 600 ms, 4 % at 900 ms: repairs are slow, but video that moves beats a pause
    (the old rule went audio-only here for the whole call)."""
    for loss, rtt, remb in ((0.05, 0.6, 250_000), (0.04, 0.9, 330_000)):
        c = LinkController(start_bps=300_000)
        c.on_rtt(rtt)
        drive(c, 60, remb=remb, loss=loss)
        assert not c.paused and c.changes <= 3, (loss, rtt, c.changes)
        assert c.rung.fps >= 30 and c.rung.height >= 240, c.rung  # the spare rate is used


def test_on_a_fast_link_video_climbs_although_remb_only_follows_what_is_sent() -> None:
    """aiortc's REMB is at most ~1.5x the incoming rate: on loopback it says 1.5x whatever we
    send. Capped by it, video would stay on its first rung; it must reach 640x480."""
    c = LinkController(start_bps=150_000)  # starts small
    start = c.rung
    t, sent = 0.0, c.update(0.0).bitrate
    while t < 40:
        c.on_remb(int(1.5 * sent), t)
        c.on_loss(0.0, t)
        sent = c.update(t).bitrate
        t += 0.5
    assert start != c.ladder[0] and c.rung == c.ladder[0] and not c.paused


def test_remb_is_a_hard_cap_again_after_over_use_and_the_headroom_comes_back_slowly() -> None:
    c = LinkController(start_bps=2_000_000)
    t = drive(c, 20, remb=2_000_000)
    t = drive(c, 1.0, remb=300_000, t0=t)  # over-use: REMB falls
    assert c.update(t).bitrate <= 300_000
    t = drive(c, 1.0, remb=300_000, t0=t)
    assert c.update(t).bitrate <= 1.2 * 300_000


def test_moderate_loss_steps_the_ladder_down_before_it_pauses_video() -> None:
    """11 % loss on a short path: the rate falls and the ladder steps down; video pauses only
    once it is on the lowest rung (the low-rate mode) and the estimate falls under it."""
    c = LinkController(start_bps=1_500_000)
    c.on_rtt(0.05)
    t = drive(c, 10, remb=1_500_000)
    top = c.index
    seen: list[int] = []
    while not c.paused and t < 150:
        t = drive(c, 0.5, remb=1_500_000, loss=0.11, t0=t)
        seen.append(c.index)
    bottom = len(c.ladder) - 1
    assert c.paused and max(seen) == bottom and top < bottom
    assert seen.index(bottom) < len(seen) - 1  # it was on the lowest rung first


def test_a_queueing_path_cuts_the_rate_and_holds_video_about_as_long_as_it_takes_to_drain() -> None:
    c = LinkController(start_bps=1_500_000)
    t = 0.0
    for _ in range(20):  # a clean 100 ms path
        c.on_remb(1_200_000, t)
        c.on_rtt(0.10, t)
        t += 0.5
    before = c.estimate
    assert not c.update(t).hold
    c.on_rtt(1.1, t)  # 1 s of our packets now waits in the bottleneck's queue
    d = c.update(t)
    assert d.hold and c.estimate <= 0.7 * 1_200_000 + 50_000 < before
    assert c.update(t + 0.7).hold  # held while it drains (0.8 x 1 s) ...
    assert not c.update(t + 0.9).hold  # ... not longer
    # a later sample from a sender report that had waited in the same queue: no second cut
    cut = c.loss_based
    c.on_rtt(1.05, t + 0.6)
    assert c.loss_based == cut


def test_a_longer_path_is_not_taken_for_a_queue_for_long() -> None:
    c = LinkController(start_bps=500_000)
    t = 0.0
    for _ in range(10):
        c.on_rtt(0.1, t)
        t += 0.5
    held = 0.0
    for _ in range(60):  # the path itself is now 600 ms long, for good
        c.on_rtt(0.6, t)
        held += 0.5 * c.update(t).hold
        t += 0.5
    assert held <= 2 * 2.0  # at most a hold or two until the window forgets the old minimum
    assert not c.update(t).hold


def test_one_report_spanning_a_short_outage_does_not_drive_the_link_to_audio_only() -> None:
    c = LinkController(start_bps=500_000)
    t = drive(c, 10, remb=500_000, loss=0.03)
    c.on_loss(0.6, t)  # the report that covers a 1 s outage (shorter than the silence rule)
    assert c.loss < 0.06
    t = drive(c, 8, remb=500_000, loss=0.03, t0=t + 0.5)
    assert not c.paused


def test_a_queue_still_growing_when_first_seen_is_not_taken_for_a_longer_path() -> None:
    c = LinkController(start_bps=1_500_000)
    t = 0.0
    for _ in range(20):
        c.on_remb(1_200_000, t)
        c.on_rtt(0.10, t)
        t += 0.5
    # reports lag: the queue is seen at 0.5 s, then 1.5 s (the hold grows with it) ...
    c.on_rtt(0.6, t, sent=t - 0.6)
    c.on_rtt(1.6, t + 0.5, sent=t + 0.5 - 1.6)
    assert c.update(t + 1.1).hold  # 0.8 x the larger queue, from when the hold began
    assert not c.update(t + 1.3).hold
    # ... then a report sent before the extended hold ended still shows most of it: no re-base
    c.on_rtt(1.4, t + 2.0, sent=t + 0.6)
    assert c.path_rtt == 0.10
    # once drained, the round trip is back near the path's own
    c.on_rtt(0.2, t + 3.0, sent=t + 2.8)
    assert c.path_rtt == 0.10 and c.queue_delay < 0.25


def test_a_fresh_send_side_estimate_replaces_remb_as_the_cap_and_remb_returns_when_it_stops() -> (
    None
):
    c = LinkController(start_bps=2_000_000)
    t = drive(c, 20, remb=2_000_000)
    assert c.video_budget > 1_000_000
    c.on_estimate(400_000, t)  # total, audio included
    assert c.estimate_fresh and c.video_budget <= 400_000 - 45_000
    t = drive(c, 1.5, remb=2_000_000, t0=t)  # REMB says more: not used while the estimate is fresh
    assert c.video_budget <= 400_000 - 45_000 and c.rung != LADDER[0]
    t = drive(c, 3.0, remb=2_000_000, t0=t)  # none for over 2 s: REMB is the cap again
    assert not c.estimate_fresh and c.video_budget > 400_000


def test_the_ladder_fits_the_source_1280x720_only_from_a_camera_that_offers_it() -> None:
    c = LinkController(start_bps=2_000_000)
    assert c.ladder[0].label == "640x480@30"  # the default 640x480 source: nothing larger
    assert [r.label for r in ladder_for(640, 480)] == [r.label for r in LADDER[2:]]
    c.on_source(1280, 720)
    assert c.ladder[0].label == "1280x720@30"
    # 16:9 all the way down (no squeezing into 4:3), about the same pixels, even sizes
    for rung in c.ladder:
        assert abs(rung.width / rung.height - 16 / 9) < 0.05, rung
        assert rung.width % 2 == 0 and rung.height % 2 == 0
    assert all(r.fps == 30 for r in c.ladder if r.pixels >= 320 * 240 * 0.9)
    before = c.rung.min_bps
    assert c.rung.min_bps == before  # the rung kept its place by its floor
    t = drive(c, 30, remb=3_000_000)
    assert c.rung.label == "1280x720@30" and c.update(t).bitrate > 1_500_000
    c.on_source(640, 480)  # the camera went back to 640x480
    assert c.rung.label == "640x480@30"


def run_250k(quantizer: Callable[[Rung], int]) -> list[str]:
    """250 kbit/s in all, 2 % loss, 500 ms: REMB follows what arrives (video only, <= 1.5x);
    the encoder reports ``quantizer(rung)`` for every frame (30 fps)."""
    c = LinkController()
    c.on_rtt(0.5)
    c.fec_overhead = 0.25
    t, sent = 0.0, c.update(0.0).bitrate
    labels = []
    while t < 60:
        c.on_remb(min(int(1.5 * sent), 250_000 - AUDIO_RESERVE), t)
        c.on_loss(0.02, t)
        for k in range(15):
            c.on_quantizer(quantizer(c.rung), t + k / 30)
        sent = c.update(t).bitrate
        labels.append(c.rung.label)
        t += 0.5
    assert not c.paused
    return labels


def test_spare_rate_on_a_250k_link_is_30_fps_at_the_size_the_quantizer_allows() -> None:
    # easy content (the encoder's quantizer stays low): 640x480 at 30 fps, as Chromium sends
    easy = run_250k(lambda rung: 20)
    assert set(easy[20:]) == {"640x480@30"}, easy
    # hard content: 640x480 comes out above QP_HIGH at this rate, 480x360 just under it
    hard = run_250k(lambda rung: {640: 55, 480: 44}.get(rung.width, 30))
    assert set(hard[20:]) == {"480x360@30"}, hard


def test_a_fast_start_on_a_slow_long_link_falls_back_within_two_seconds_of_feedback() -> None:
    c = LinkController()
    assert c.rung.fps == 30
    c.on_rtt(0.9, 1.0)
    c.on_loss(0.0, 1.0)
    c.on_rtt(1.6, 2.0)  # 700 ms queued: the start was too fast for this link
    c.on_remb(70_000, 2.0)
    d = c.update(2.5)
    assert d.rung.label == "320x240@30" and d.bitrate <= 70_000
    assert not d.paused


def test_sharp_content_keeps_a_larger_size_below_its_nominal_floor() -> None:
    """The floors are for hard content. With the encoder saying the frames come out sharp,
    ~120 kbit/s of video (after 20 % parity; under 640x480's floor) climbs to where the
    quantizer lands in the band under QP_HIGH and stays, as libwebrtc's quality scaler does;
    without a quantizer the floors hold (480x360)."""

    def run(quantizer: Callable[[Rung], int] | None) -> list[str]:
        c = LinkController()
        c.on_rtt(0.5)
        c.fec_overhead = 0.2
        t, labels = 0.0, []
        while t < 60:
            c.on_remb(170_000 - AUDIO_RESERVE, t)
            c.on_loss(0.02, t)
            if quantizer is not None:
                for k in range(15):
                    c.on_quantizer(quantizer(c.rung), t + k / 30)
            c.update(t)
            labels.append(c.rung.label)
            t += 0.5
        assert not c.paused
        return labels

    easy = run(lambda rung: {640: 30, 480: 12}.get(rung.width, 5))
    assert set(easy[-40:]) == {"640x480@30"}, easy
    middling = run(lambda rung: {640: 52, 480: 25}.get(rung.width, 5))
    assert set(middling[-40:]) == {"480x360@30"}, middling
    blind = run(None)
    assert set(blind[-40:]) == {"480x360@30"}, blind


def _transport_cc(c: LinkController, t0: float, seconds: float, bps: int, loss: float,
                  audio_reports: float | None = None, report_loss: float | None = None,
                  with_loss: bool = True) -> float:  # fmt: skip
    """Send-side estimates every 50 ms (transport-cc feedback); a receiver report on audio
    every ``audio_reports`` s (a browser's audio RTCP interval is ~5 s)."""
    t, next_report = t0, t0
    while t < t0 + seconds:
        c.on_estimate(bps, t, loss=loss if with_loss else None)
        if audio_reports is not None and t >= next_report:
            c.on_loss(loss if report_loss is None else report_loss, t, "audio")
            next_report += audio_reports
        t += 0.05
    return t


def test_with_transport_cc_a_paused_video_comes_back_when_the_path_does() -> None:
    """Issue 21's browser call: the estimate at its floor while the feedback shows heavy
    loss pauses video; the path then carries 400 kbit/s losing 1 %, and video resumes by
    the transport-cc feedback (every 50 ms), not by receiver reports."""
    c = LinkController()
    t = _transport_cc(c, 0.0, 5.0, 30_000, 0.3)
    assert c.paused and c.state == LinkState.WEAK
    t = _transport_cc(c, t, 12.0, 400_000, 0.01)
    assert not c.paused and c.update(t).bitrate >= 12_000


def test_sparse_audio_reports_while_paused_are_not_taken_for_an_outage() -> None:
    """Paused, only audio's receiver reports come, from libwebrtc every 2.5-7.5 s: with the
    transport-cc feedback flowing all along there was no outage, so they count (they were
    all dropped as 'after a silence' and a paused call stayed paused for good)."""
    c = LinkController()
    t = _transport_cc(c, 0.0, 5.0, 30_000, 0.3)
    for _ in range(8):  # heavy loss in the reports too (the smoothed loss over 10 %)
        c.on_loss(0.3, t, "audio")
        t += 0.3
    assert c.paused and c.loss > c.pause_loss
    # the path is fine again; the loss is judged by the receiver reports alone here
    t = _transport_cc(c, t, 40.0, 400_000, 0.01, audio_reports=5.0, with_loss=False)
    assert c.reports_kept > 0
    assert c.loss < c.pause_loss and not c.paused


def test_with_transport_cc_the_rate_is_the_estimators_also_after_a_queue() -> None:
    """A queue (the round trip 0.5 s over its minimum) with tail-drop loss in the receiver
    reports: the send-side estimator cuts and recovers on its own; the controller does not
    add a second, slower cut (0.6x, then +8 %/s held a 1 Mbit/s browser call under
    250 kbit/s for 20 s while the estimator was back at the link's rate in 2 s)."""
    c = LinkController()
    t = 0.0
    for _ in range(10):
        t = _transport_cc(c, t, 1.0, 900_000, 0.01)
        c.on_rtt(0.15, t, sent=t - 0.15)
        c.on_loss(0.01, t)
    for _ in range(3):  # the queue: reports lag and show loss from the queue's tail
        t = _transport_cc(c, t, 0.5, 700_000, 0.08)
        c.on_rtt(0.65, t, sent=t - 0.65)
        c.on_loss(0.3, t)
    assert c.update(t).hold or c.video_budget <= 700_000 - AUDIO_RESERVE
    t = _transport_cc(c, t, 2.0, 950_000, 0.01)
    assert c.video_budget == 950_000 - AUDIO_RESERVE
    assert c.link_estimate == 950_000
