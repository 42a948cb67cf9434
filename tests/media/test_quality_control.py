"""The ladder and the audio-only fallback: follow the estimate, with hysteresis (no flapping)."""

from __future__ import annotations

from media.quality.control import LADDER, LinkController, LinkState


def drive(c: LinkController, seconds: float, remb: int, loss: float = 0.0, t0: float = 0.0,
          step: float = 0.5) -> float:  # fmt: skip
    t = t0
    while t < t0 + seconds:
        c.on_remb(remb, t)
        c.on_loss(loss, t)
        t += step
    return t


def test_starts_on_the_rung_the_start_estimate_allows_and_climbs_on_a_good_link() -> None:
    c = LinkController(start_bps=500_000)
    assert c.rung == LADDER[1]
    t = drive(c, 20, remb=2_000_000)
    assert c.rung == LADDER[0] and not c.paused
    assert c.update(t).bitrate > 600_000


def test_a_bandwidth_drop_steps_down_within_about_a_second() -> None:
    c = LinkController(start_bps=2_000_000)
    t = drive(c, 10, remb=2_000_000)
    assert c.rung == LADDER[0]
    t = drive(c, 1.5, remb=300_000, t0=t)
    assert c.rung == LADDER[2]  # REMB (video only) 300 kbit/s: 320x240
    assert c.update(t).bitrate <= 300_000


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
    t = drive(c, 2, remb=250_000, t0=t)  # down
    down_at, rung = t, c.index
    t = drive(c, 6, remb=3_000_000, t0=t)
    assert c.index == rung  # too early to go back up
    t = drive(c, 30, remb=3_000_000, t0=t)
    assert c.index < rung and t - down_at > 8


def test_heavy_loss_pauses_video_after_a_few_seconds_and_it_comes_back_by_itself() -> None:
    states: list[bool] = []
    c = LinkController(start_bps=500_000, on_change=lambda d: states.append(d.paused))
    t = drive(c, 2, remb=500_000, loss=0.0)
    t = drive(c, 2, remb=500_000, loss=0.25, t0=t)
    assert not c.paused  # not for a blip
    lossy_from = t - 2
    while not c.paused and t < lossy_from + 10:
        t = drive(c, 0.5, remb=500_000, loss=0.25, t0=t)
    assert c.paused and c.state == LinkState.WEAK  # 25 %: too much for repairs at any size
    assert t - lossy_from <= 8
    # paused: only audio's reports count; the link recovers
    while c.paused and t < 60:
        c.on_loss(0.0, t, kind="audio")
        c.tick(t)
        t += 0.5
    assert not c.paused and c.state == LinkState.GOOD
    assert c.rung == LADDER[-1]  # back small, then it climbs
    assert states.count(True) == 1


def test_a_low_estimate_alone_does_not_pause() -> None:
    # REMB is at most 1.5x what we send: low when we send little, not a weak link by itself
    c = LinkController(start_bps=300_000)
    drive(c, 20, remb=40_000, loss=0.0)
    assert not c.paused and c.rung == LADDER[-1]


def test_a_very_low_estimate_with_loss_pauses_and_a_failed_probe_waits_longer() -> None:
    c = LinkController(start_bps=300_000, probe_wait=4.0)
    t = drive(c, 5, remb=40_000, loss=0.07)
    assert c.paused
    paused_at = t
    while c.paused:
        c.on_loss(0.0, t, kind="audio")
        c.tick(t)
        t += 0.5
    first_wait = t - paused_at
    # the link is still thin: the probe fails, video pauses again, the next wait is longer
    t = drive(c, 5, remb=40_000, loss=0.07, t0=t)
    assert c.paused
    paused_at = t
    while c.paused:
        c.on_loss(0.0, t, kind="audio")
        c.tick(t)
        t += 0.5
    assert t - paused_at > first_wait + 2


def test_an_outage_report_does_not_count_as_link_loss() -> None:
    c = LinkController(start_bps=500_000)
    t = drive(c, 5, remb=500_000, loss=0.0)
    c.on_loss(0.9, t + 5.0)  # first report after a 5 s silence: the outage's loss
    assert c.loss < 0.01 and not c.paused


def test_loss_on_a_long_path_pauses_video_but_the_same_loss_on_a_short_one_does_not() -> None:
    far = LinkController(start_bps=300_000)
    far.on_rtt(0.6)
    drive(far, 6, remb=250_000, loss=0.05)
    assert far.paused  # 5 % at 600 ms: every repair costs ~0.6 s, video would mostly freeze
    t = 6.0
    for _ in range(40):  # still 5 % at 600 ms: stays audio-only (no probing into it)
        far.on_loss(0.05, t, kind="audio")
        far.tick(t)
        t += 0.5
    assert far.paused
    for _ in range(30):  # the link recovers
        far.on_loss(0.0, t, kind="audio")
        far.tick(t)
        t += 0.5
    assert not far.paused
    near = LinkController(start_bps=500_000)
    near.on_rtt(0.3)
    drive(near, 30, remb=450_000, loss=0.03)
    assert not near.paused  # 3 % at 300 ms: NACK repairs in time


def test_on_a_fast_link_video_climbs_although_remb_only_follows_what_is_sent() -> None:
    """aiortc's REMB is at most ~1.5x the incoming rate: on loopback it says 1.5x whatever we
    send. Capped by it, video would stay on its first rung; it must reach 640x480."""
    c = LinkController()  # starts small
    start = c.rung
    t, sent = 0.0, c.update(0.0).bitrate
    while t < 40:
        c.on_remb(int(1.5 * sent), t)
        c.on_loss(0.0, t)
        sent = c.update(t).bitrate
        t += 0.5
    assert start != LADDER[0] and c.rung == LADDER[0] and not c.paused


def test_remb_is_a_hard_cap_again_after_over_use() -> None:
    c = LinkController(start_bps=2_000_000)
    t = drive(c, 20, remb=2_000_000)
    t = drive(c, 5, remb=300_000, t0=t)  # over-use: REMB falls
    assert c.update(t).bitrate <= 300_000


def test_moderate_loss_steps_the_ladder_down_before_it_pauses_video() -> None:
    """11 % loss on a short path: the rate falls and the ladder steps down; video pauses only
    once it is on the lowest rung and the loss goes on."""
    c = LinkController(start_bps=1_500_000)
    c.on_rtt(0.05)
    t = drive(c, 10, remb=1_500_000)
    top = c.index
    seen: list[int] = []
    while not c.paused and t < 60:
        t = drive(c, 0.5, remb=1_500_000, loss=0.11, t0=t)
        seen.append(c.index)
    assert c.paused and max(seen) == len(LADDER) - 1 and top < len(LADDER) - 1
    assert seen.index(len(LADDER) - 1) < len(seen) - 1  # it was on the lowest rung first


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
