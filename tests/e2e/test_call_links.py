"""Calls over emulated rural links (issue 6), real peers: two ``media.peer`` processes in two
network namespaces, every media packet through the link emulator's relay, signaling through a
real central process.

* Outages: after 5 s without a single packet, media resumes by itself on the same peer
  connection; after 60 s the call is reconnected (a fresh peer connection), without user action.
* A network change (the specialist's address moves) reconnects within seconds and a file being
  shared goes on from where it was over the new peer connection; a dropped signaling socket
  does not touch a call whose media flows.
* Quality (the issue's "must hold" thresholds): 500 kbit/s, 300 ms, 3 % for 60 s; 300 kbit/s,
  600 ms, 5 % then a good link again.

Wall time: about four minutes (one call of ~90 s for both outages, one of 60 s for the quality
test, two shorter ones).
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.call_links import CallWorld, start_pair, video_figures, wait_pair
from tests.support.link_emulator import EmulatedLink, Profile, link
from tests.support.link_turn import LinkTurn

pytestmark = pytest.mark.slow

US = 1_000_000


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[CallWorld]:
    with CallWorld(tmp_path_factory.mktemp("links")) as w:
        yield w


@dataclass
class Run:
    clinic: dict[str, Any]
    spec: dict[str, Any]
    marks: dict[str, float]  # wall-clock instants (seconds) of what the script did
    stats: dict[str, Any]

    @property
    def both(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.clinic, self.spec


def call(
    world: CallWorld,
    name: str,
    start: Profile,
    seconds: float,
    steps: list[tuple[float, str, Callable[[EmulatedLink], None]]],
    settle: float = 4.0,
    clinic_args: tuple[str, ...] = (),
    specialist_args: tuple[str, ...] = (),
    turn: LinkTurn | None = None,
) -> Run:
    """A call of ``seconds`` on ``start``; each step ``(at, mark, action)`` runs ``at`` seconds
    after ``settle`` (the call is connected by then) and records the wall time as ``mark``.
    ``turn``: relay-only ICE through coturn inside side b (the world's central must hand it
    out: ``CallWorld(folder, turn.central_args())``)."""
    marks: dict[str, float] = {}
    relay = ("--relay-only",) if turn is not None else ()
    with contextlib.ExitStack() as stack:
        emu = stack.enter_context(EmulatedLink(world.folder, central_url=world.url))
        if turn is not None:
            stack.enter_context(turn.running(emu))
        emu.set(start)
        clinic, spec = start_pair(
            emu, world, "--seconds", str(settle + seconds), "--linger", "0", *relay, name=name,
            clinic_args=clinic_args, specialist_args=specialist_args,
        )  # fmt: skip
        try:
            time.sleep(settle)
            t0 = time.monotonic()
            for at, mark, action in steps:
                time.sleep(max(0.0, t0 + at - time.monotonic()))
                marks[mark] = time.time()
                action(emu)
            a, b = wait_pair(clinic, spec, seconds + 90)
        finally:
            clinic.kill()
            spec.kill()
        stats = emu.stats()
    for r in (a, b):
        assert r["ok"], (r.get("error"), r["log"])
    return Run(a, b, marks, stats)


def states(report: dict[str, Any]) -> list[tuple[float, str]]:
    return [(t, s) for t, s, _msg in report["states"]]


def first_state(report: dict[str, Any], state: str, after: float) -> float | None:
    """Seconds from ``after`` to the first ``state`` entered after it."""
    return next((t - after for t, s in states(report) if s == state and t >= after), None)


def frames_after(report: dict[str, Any], at: float) -> list[int]:
    return [int(r) for _c, _s, r in report["received"] if r >= at * US]


def resumed_after(times_us: list[int], at: float, n: int = 10, span: float = 2.0) -> float | None:
    """Seconds from ``at`` until ``n`` frames arrive within ``span`` seconds (video runs)."""
    later = sorted(t for t in times_us if t >= at * US)
    for i in range(len(later) - n + 1):
        if later[i + n - 1] - later[i] <= span * US:
            return later[i] / US - at
    return None


def audio_gap_ms(report: dict[str, Any], lo: float, hi: float) -> float:
    times = [t for t in report["audio_received"] if lo * US <= t <= hi * US]
    edges = [int(lo * US), *times, int(hi * US)]
    return max((b - a) / 1000 for a, b in itertools.pairwise(edges))


# -- outages ---------------------------------------------------------------------------------

BASE = link(800, rtt_ms=100, loss_pct=1)


@pytest.fixture(scope="module")
def outages(world) -> Run:
    """One call: 5 s with nothing passing at t=6, then 60 s with nothing passing at t=20."""
    return call(world, "outages", BASE, 6 + 5 + 9 + 60 + 12, [
        (6.0, "down5", lambda e: e.set(Profile.down())),
        (11.0, "up5", lambda e: e.set(BASE)),
        (20.0, "down60", lambda e: e.set(Profile.down())),
        (80.0, "up60", lambda e: e.set(BASE)),
    ])  # fmt: skip


def test_five_second_outage_media_resumes_without_user_action(outages):
    m = outages.marks
    for r in outages.both:
        # the dead path is noticed within about 2 s and shown; the same connection resumes
        noticed = first_state(r, "reconnecting", m["down5"])
        assert noticed is not None and 1.5 <= noticed <= 3.0, states(r)
        back = first_state(r, "connected", m["up5"])
        assert back is not None and back <= 1.0, states(r)
        assert first_state(r, "failed", 0) is None
        audio = [t for t in r["audio_received"] if t >= m["up5"] * US]
        assert audio and audio[0] / US - m["up5"] <= 1.0, "audio did not come back at once"
        video = resumed_after([x[2] for x in r["received"]], m["up5"])
        assert video is not None and video < m["down60"] - m["up5"], "video did not come back"


def test_sixty_second_outage_call_reconnects(outages):
    m = outages.marks
    for r in outages.both:
        noticed = first_state(r, "reconnecting", m["down60"])
        assert noticed is not None and noticed <= 3.0, states(r)
        during = [s for t, s in states(r) if m["down60"] + 3 < t < m["up60"]]
        assert "failed" not in during and "ended" not in during, states(r)
        back = first_state(r, "connected", m["up60"])
        assert back is not None and back <= 10.0, states(r)
        video = resumed_after([x[2] for x in r["received"]], m["up60"])
        assert video is not None and video <= 12.0
        assert r["reconnects"] >= 2  # the 5 s outage and this one
    assert outages.stats["ab"]["totals"]["outage"] > 0  # the emulator did drop packets


# -- network change and signaling drops --------------------------------------------------------


FILE_BYTES = 6 * 1024 * 1024  # still on its way when the address changes (~180 kB/s)


@pytest.fixture(scope="module")
def moves(world) -> Run:
    """Signaling cut for 6 s at t=3 (both sides) while media flows; then at t=13 the
    specialist's address changes. The clinic shares a file meanwhile."""
    good = link(2000, rtt_ms=60)

    def cut(e: EmulatedLink) -> None:
        e.signaling("a", False)
        e.signaling("b", False)

    def restore(e: EmulatedLink) -> None:
        e.signaling("a", True)
        e.signaling("b", True)

    return call(world, "moves", good, 22, [
        (3.0, "cut", cut), (9.0, "restore", restore),
        (13.0, "moved", lambda e: e.move_address("b")),
    ], clinic_args=("--send-file-bytes", str(FILE_BYTES), "--wait-extra", "40"),
       specialist_args=("--expect-file", "1", "--wait-extra", "40", "--linger", "2"))  # fmt: skip


def test_signaling_drop_does_not_end_or_disturb_the_call(moves):
    m = moves.marks
    for r in moves.both:
        during = [s for t, s in states(r) if m["cut"] <= t < m["moved"]]
        assert during == [], f"the call changed state without its signaling: {states(r)}"
        # media kept flowing (audio: video may be paused by media/quality, which sees the
        # shared file's traffic competing on the link)
        assert audio_gap_ms(r, m["cut"], m["restore"]) < 300
        assert len(frames_after(r, m["cut"])) > len(frames_after(r, m["restore"]))


def test_network_change_reconnects(moves):
    m = moves.marks
    for r in moves.both:
        assert first_state(r, "reconnecting", m["moved"]) is not None, states(r)
        back = first_state(r, "connected", m["moved"])
        assert back is not None and back <= 6.0, states(r)
        video = resumed_after([x[2] for x in r["received"]], m["moved"])
        assert video is not None and video <= 8.0
    assert moves.spec["reconnects"] >= 1
    # the shared file went on over the new peer connection from where it was, intact
    sent = moves.clinic["file_sent"]
    assert sent["ok"] and moves.spec["files"][0]["sha256"] == sent["sha256"]
    assert len(sent["resumed_from"]) >= 2 and sent["resumed_from"][-1] > 0, sent


# -- quality on weak links (issue 6 "must hold") ------------------------------------------------


def test_500k_300ms_3pct_for_60s_call_stays_up_audio_continuous_video_moving(world):
    """The issue's "must hold"; its stricter targets (frozen < 2 %, latency p95 < 400 ms) are
    measured by bench/call_links.py."""
    run = call(world, "weak500", link(500, rtt_ms=300, loss_pct=3), 62, [
        (0.0, "start", lambda e: None), (60.0, "end", lambda e: None),
    ])  # fmt: skip
    lo, hi = run.marks["start"], run.marks["end"]
    for r in run.both:
        assert [s for t, s in states(r) if lo <= t <= hi] == [], states(r)  # stayed up
        assert r["reconnects"] == 0
        # audio continuous: every 20 ms has a frame, and few of them are concealed
        assert r["audio"]["missing_pct"] < 2.0, r["audio"]
        assert audio_gap_ms(r, lo, hi) < 200
        assert r["link"].get("concealed_pct", 100.0) < 2.0, r["link"]
        # video keeps moving: frames all through the minute, at a usable rate. (Freezes of a
        # few seconds after a lost keyframe still happen on this link — the stricter
        # "no freeze > 1 s" is a target measured and reported by bench/call_links.py.)
        v = video_figures(r["received"], int((lo + 3) * US), int(hi * US))
        assert v["fps"] >= 12, v
        for start in range(int(lo) + 3, int(hi) - 9, 10):
            window = video_figures(r["received"], start * US, (start + 10) * US)
            assert window["frames"] >= 50, (start - lo, window)


def test_300k_600ms_5pct_audio_continues_video_steps_down_and_returns(world):
    good = link(2000, rtt_ms=100)
    run = call(world, "weak300", good, 3 + 20 + 16, [
        (3.0, "down", lambda e: e.set(link(300, rtt_ms=600, loss_pct=5))),
        (23.0, "up", lambda e: e.set(good)),
    ])  # fmt: skip
    down, up = run.marks["down"], run.marks["up"]
    for r in run.both:
        assert "reconnecting" not in [s for t, s in states(r) if down <= t <= up + 5], states(r)
        assert audio_gap_ms(r, down + 1, up) < 500, "audio stopped on the weak link"
        audio = [t for t in r["audio_received"] if (down + 1) * US <= t <= up * US]
        assert len(audio) >= 0.9 * 50 * (up - down - 1)
        during = video_figures(r["received"], int((down + 5) * US), int(up * US))
        smaller = [s for s in r["sizes"] if s != "640x480"]
        paused = during["longest_freeze_ms"] >= 2000 or any(
            audio_only for _t, _cam, audio_only in r.get("remote_media", [])
        )
        assert (smaller and during["fps"] >= 10) or paused, (r["sizes"], during)
        back = resumed_after([x[2] for x in r["received"]], up)
        assert back is not None and back <= 15.0
