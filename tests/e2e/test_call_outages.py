"""Outages never end a call (issue 14, "Outages"), real peers: two ``media.peer`` processes in
two network namespaces, media through the link emulator, signaling through a real central.

* A 13 s and then a 20 s outage on a 1 Mbit/s, 300 ms, 1 % link: both resume on the *same*
  peer connection (ICE consent expires only after 30 s without an answer); video and audio
  come back, measured from the instant the link returns (printed: run with ``-s``); a keyframe
  is asked for as soon as packets flow again; counters cover the whole call.
* The central platform restarted during an outage (every signaling socket closed by the
  server, the issue's second run) and again while media flows: the call goes on, on the same
  peer connection, and the signaling sockets are reopened.
* Relay-only through coturn inside the link (bench/call_vs_browser's path): a 3 s, a 10 s
  and a 20 s outage each resume on the same peer connection, video back within 1 s (1.5 s
  after the 20 s one).
* A failed call is reported as failed: ``media.peer`` exits 1 with ``"ok": false`` when the
  other side never comes, when the central is unreachable at start, and when a dead
  connection cannot be restored.

Wall time: about four minutes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_call_links import audio_gap_ms, call, first_state, resumed_after, states
from tests.support.call_links import CallWorld, start_pair, wait_pair
from tests.support.call_peers import start_peer
from tests.support.link_emulator import EmulatedLink, Profile, link
from tests.support.link_turn import LinkTurn

pytestmark = pytest.mark.slow

US = 1_000_000
ISSUE_LINK = link(1000, rtt_ms=300, loss_pct=1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallWorld]:
    with CallWorld(tmp_path_factory.mktemp("outages")) as w:
        yield w


def back_after(report: dict[str, Any], up: float) -> tuple[float | None, float | None]:
    """(video, audio) back: seconds from ``up`` until video runs again (10 frames within 2 s)
    and until the first audio frame."""
    video = resumed_after([x[2] for x in report["received"]], up)
    audio = [t for t in report["audio_received"] if t >= up * US]
    return video, (audio[0] / US - up if audio else None)


def test_13s_and_20s_outages_resume_on_the_same_peer_connection(world: CallWorld) -> None:
    run = call(world, "outages13-20", ISSUE_LINK, 5 + 13 + 12 + 20 + 10, [
        (5.0, "down13", lambda e: e.set(Profile.down())),
        (18.0, "up13", lambda e: e.set(ISSUE_LINK)),
        (30.0, "down20", lambda e: e.set(Profile.down())),
        (50.0, "up20", lambda e: e.set(ISSUE_LINK)),
    ])  # fmt: skip
    m = run.marks
    for r in run.both:
        side = r["side"]
        assert r["ok"] and r["returncode"] == 0 and r["final_state"] == "ended", r.get("error")
        # "disconnected", never "failed", and never a new peer connection
        assert "failed" not in [s for _t, s in states(r)], states(r)
        assert r["peer_connections"] == 1, (side, r["peer_connections"], states(r))
        for down, up in (("down13", "up13"), ("down20", "up20")):
            noticed = first_state(r, "reconnecting", m[down])
            assert noticed is not None and noticed <= 3.5, (side, down, states(r))
            connected = first_state(r, "connected", m[up])
            video, audio = back_after(r, m[up])
            print(
                f"{side} after {down[4:]} s outage: connected {connected:.2f} s, "
                f"video back {video if video is None else round(video, 2)} s, "
                f"audio back {audio if audio is None else round(audio, 2)} s"
            )
            assert connected is not None and connected <= 2.0, (side, up, states(r))
            assert audio is not None and audio <= 1.0, (side, up, audio)
            assert video is not None and video <= 3.0, (side, up, video)
        # the keyframe request went out as soon as packets flowed again (once per outage)
        assert r["link"]["pli_on_resume"] >= 2, r["link"]
        # counters span the whole call: both outages show as missing audio, nothing reset
        missing_s = r["audio"]["missing"] * 0.02
        assert 33 - 4 <= missing_s <= 33 + 8, r["audio"]
        assert r["link"]["video_frames"] >= len(r["received"]) * 0.9
        assert r["reconnects"] == 2
    assert run.stats["ab"]["totals"]["outage"] > 0


def test_central_restart_during_an_outage_and_during_media_keeps_the_call(world: CallWorld) -> None:
    """The issue's second run: the central platform's sockets close (here: it restarts)
    while the media path is dead; later it restarts again while media flows."""

    def restart(_e: Any) -> None:
        world.central.restart()

    run = call(world, "central-restart", ISSUE_LINK, 4 + 12 + 8 + 8, [
        (4.0, "down", lambda e: e.set(Profile.down())),
        (6.0, "restart1", restart),
        (16.0, "up", lambda e: e.set(ISSUE_LINK)),
        (24.0, "restart2", restart),
        (32.0, "end", lambda e: None),
    ])  # fmt: skip
    m = run.marks
    for r in run.both:
        side = r["side"]
        assert r["ok"] and r["returncode"] == 0, r.get("error")
        assert "failed" not in [s for _t, s in states(r)], states(r)
        assert r["peer_connections"] == 1, (side, states(r))
        assert r["signaling_drops"] >= 2, (side, r["signaling_drops"])
        connected = first_state(r, "connected", m["up"])
        video, audio = back_after(r, m["up"])
        assert connected is not None and connected <= 2.0, states(r)
        assert video is not None and video <= 3.0 and audio is not None and audio <= 1.0
        print(f"{side} after a 12 s outage with a central restart: connected {connected:.2f} s, "
              f"video back {video:.2f} s, audio back {audio:.2f} s")  # fmt: skip
        # the second restart, media flowing: no state change, audio continuous
        assert [s for t, s in states(r) if m["restart2"] <= t <= m["end"]] == [], states(r)
        assert audio_gap_ms(r, m["restart2"], m["end"]) < 500


@pytest.fixture(scope="module")
def relay_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CallWorld, LinkTurn]]:
    folder = tmp_path_factory.mktemp("relay-outages")
    turn = LinkTurn(folder)
    with CallWorld(folder, turn.central_args()) as w:
        yield w, turn


def test_relay_only_3s_10s_and_20s_outages_keep_the_same_peer_connection(
    relay_world: tuple[CallWorld, LinkTurn],
) -> None:
    """Relay-only ICE through coturn inside side b (bench/call_vs_browser's path): the relayed
    pair's own address is the relay's, never this machine's, and must not read as a network
    change; a 3 s, a 10 s and a 20 s outage each resume on the first peer connection, the
    first two with video back within 1 s; every direction decodes video from the start (a
    first keyframe lost while the far side's DTLS was not ready yet is asked for again)."""
    world, turn = relay_world
    run = call(world, "relay-outages", ISSUE_LINK, 5 + 3 + 8 + 10 + 8 + 20 + 8, [
        (5.0, "down3", lambda e: e.set(Profile.down())),
        (8.0, "up3", lambda e: e.set(ISSUE_LINK)),
        (16.0, "down10", lambda e: e.set(Profile.down())),
        (26.0, "up10", lambda e: e.set(ISSUE_LINK)),
        (34.0, "down20", lambda e: e.set(Profile.down())),
        (54.0, "up20", lambda e: e.set(ISSUE_LINK)),
        (62.0, "end", lambda e: None),
    ], settle=8.0, turn=turn)  # fmt: skip
    m = run.marks
    for r in run.both:
        side = r["side"]
        assert r["ok"] and r["returncode"] == 0 and r["final_state"] == "ended", r.get("error")
        # the answering side's report may not name its pair (aiortc's transceivers there)
        assert r["selected"] == ["relay", "relay"] or (side != "clinic" and not r["selected"])
        assert "failed" not in [s for _t, s in states(r)], states(r)
        assert r["peer_connections"] == 1, (side, r["peer_connections"], states(r))
        # video ran before the first outage (not only after a resume's keyframe request)
        assert resumed_after([x[2] for x in r["received"]], m["down3"] - 4.0) is not None
        for length, limit in (("3", 1.0), ("10", 1.0), ("20", 1.5)):
            down, up = f"down{length}", f"up{length}"
            noticed = first_state(r, "reconnecting", m[down])
            assert noticed is not None and noticed <= 3.5, (side, down, states(r))
            connected = first_state(r, "connected", m[up])
            video, audio = back_after(r, m[up])
            print(
                f"relay-only {side} after {length} s outage: connected "
                f"{connected if connected is None else round(connected, 2)} s, "
                f"video back {video if video is None else round(video, 2)} s, "
                f"audio back {audio if audio is None else round(audio, 2)} s"
            )
            assert connected is not None and connected <= 1.5, (side, up, states(r))
            assert audio is not None and audio <= 1.0, (side, up, audio)
            assert video is not None and video <= limit, (side, up, video)
        assert r["reconnects"] == 3, (side, states(r))
        assert r["link"]["pli_on_resume"] >= 3, r["link"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_peer_reports_failure_when_the_other_side_never_comes(
    world: CallWorld, tmp_path: Path
) -> None:
    peer = start_peer(
        tmp_path, "alone", world.url, world.clinic_token, world.consult,
        "--seconds", "2", "--connect-timeout", "4", "--linger", "0",
    )  # fmt: skip
    r = peer.wait(60)
    assert r["returncode"] == 1 and r["ok"] is False, r
    assert "did not connect within 4 s" in r["error"] and "waiting" in r["error"], r["error"]


def test_peer_reports_failure_when_the_central_is_unreachable(
    world: CallWorld, tmp_path: Path
) -> None:
    peer = start_peer(
        tmp_path, "nocentral", f"http://127.0.0.1:{_free_port()}", world.clinic_token,
        world.consult, "--seconds", "2", "--linger", "0",
    )  # fmt: skip
    r = peer.wait(60)
    assert r["returncode"] == 1 and r["ok"] is False, r
    assert r["error_type"] == "CentralUnreachable", r


def test_peer_reports_failure_when_the_connection_cannot_be_restored(
    world: CallWorld, tmp_path: Path
) -> None:
    """The other peer disappears mid-call (killed): the clinic's call fails after its
    reconnect timeout, and its report and exit status say so."""
    clinic = start_peer(
        tmp_path, "dies-clinic", world.url, world.clinic_token, world.consult,
        "--seconds", "30", "--reconnect-timeout", "5", "--linger", "0", "--size", "320x240",
    )  # fmt: skip
    spec = start_peer(
        tmp_path, "dies-spec", world.url, world.specialist_token, world.consult,
        "--seconds", "60", "--size", "320x240",
    )  # fmt: skip
    try:
        time.sleep(12.0)  # connected within a few seconds, even on a busy machine
        spec.kill()  # gone without a word
        r = clinic.wait(60)
    finally:
        clinic.kill()
        spec.kill()
    assert r["returncode"] == 1 and r["ok"] is False, r.get("error")
    assert r["final_state"] == "failed"
    assert r["error"] == "The connection could not be restored.", r["error"]
    assert "connected" in [s for _t, s in states(r)]


def test_peer_reports_failure_when_the_call_ends_while_reconnecting(world: CallWorld) -> None:
    """The link goes down for good before the peers' time is up: both end still reconnecting,
    never recovered — each report says ``"ok": false`` and the exit status is 1."""
    with EmulatedLink(world.folder, central_url=world.url) as emu:
        emu.set(ISSUE_LINK)
        clinic, spec = start_pair(
            emu, world, "--seconds", "14", "--linger", "0", "--size", "320x240",
            name="ends-reconnecting",
        )  # fmt: skip
        time.sleep(9.0)  # connected within a few seconds, even on a busy machine
        emu.set(Profile.down())
        a, b = wait_pair(clinic, spec, 90)
    for r in (a, b):
        assert "connected" in [s for _t, s in states(r)], states(r)
        assert r["returncode"] == 1 and r["ok"] is False, (r.get("error"), states(r))
        assert "ended while reconnecting" in r["error"], r["error"]
