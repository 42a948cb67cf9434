"""The web desk's call page in a real browser against the clinic's real peer: Chromium
(Playwright) signed in to /desk/ as the specialist joins from the case page ("Join call"); the
clinic is ``python -m media.peer`` relay-only through a real coturn whose TURN REST credentials
come from a real central process. The browser's camera is the stamped canvas of
bench/browser_peer/peer.js, so the clinic reads media/stamps.py stamps from what it receives;
the browser's side is counted from its own getStats (frames decoded). Chat goes both ways over
the data channel in media/datachannel.py's format. ``-s`` prints the figures."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from tests.e2e.desk_browser import browser, new_page, sign_in, wait_for
from tests.e2e.workstation import Workstation
from tests.support.call_peers import start_peer
from tests.support.central_proc import CentralProcess
from tests.support.turn_proc import TurnServer, TurnUnavailable

pytestmark = pytest.mark.slow

PASSWORD = "specialist-password-1"
SECONDS = 6.0


def _clinic_waiting(url: str, token: str, consult: str) -> bool:
    request = urllib.request.Request(f"{url}/api/v1/calls/active",
                                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as answer:
        calls = json.load(answer)["calls"]
    return any(c["consult_id"] == consult and c["waiting_side"] == "clinic" for c in calls)


def test_browser_desk_calls_the_clinic_through_coturn(tmp_path):
    try:
        turn = TurnServer(tmp_path).start()
    except TurnUnavailable as exc:
        pytest.skip(str(exc))
    central = CentralProcess(f"sqlite:///{tmp_path / 'central.db'}", extra=turn.central_args(),
                             log_path=tmp_path / "central.log")  # fmt: skip
    central.start()
    clinic = specialist = None
    try:
        clinic_id = central.add_clinic("Hill Clinic")
        central.add_user("dr.heart", PASSWORD, "specialist", specialties=("cardiology",))
        station = Workstation(tmp_path, "a")
        station.enroll(central.url, central.enrollment_code(clinic_id))
        desk = Workstation(tmp_path, "heart")  # for its bearer token: /calls/active only
        desk.login(central.url, "dr.heart", PASSWORD)
        patient = station.add_patient("王", "芳")
        consult = station.consult(patient["id"])["id"]
        station.sync_until_quiet()
        assert station.account is not None and desk.account is not None

        clinic = start_peer(
            tmp_path, "clinic", central.url, station.account.token, consult, "--relay-only",
            "--seconds", str(SECONDS), "--chat", "Good morning, doctor.", "--expect-chat", "1",
            "--wait-extra", "10", "--connect-timeout", "60",
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not _clinic_waiting(central.url, desk.account.token, consult):
            assert clinic.proc.poll() is None, clinic.log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "the clinic's peer never joined the room"
            time.sleep(0.1)

        with browser() as b:
            page = new_page(b, stamped=True)
            sign_in(page, central.url, "dr.heart", PASSWORD)
            page.goto(f"{central.url}/desk/consults/{consult}")
            clicked = time.monotonic()
            page.click("#join-call")
            wait_for(page, "window.deskCall && window.deskCall.report().firstFrameAt !== null")
            joined_ms = (time.monotonic() - clicked) * 1000
            report = page.evaluate("window.deskCall.report()")
            connect_ms = report["connectedAt"]
            # the clinic's chat arrives; ours goes out through the page's own form
            wait_for(page, "window.deskCall.report().chat.some(c => !c.mine)", 10)
            page.fill("#chat-text", "Good morning; I can see the patient.")
            page.click("#chat-form button[type=submit]")
            time.sleep(1.0)
            first = page.evaluate("window.deskCall.report()")
            t_first = time.monotonic()
            time.sleep(3.0)
            last = page.evaluate("window.deskCall.report()")
            browser_fps = (last["framesIn"] - first["framesIn"]) / (time.monotonic() - t_first)
            page.screenshot(path=str(tmp_path / "call.png"))
            result = clinic.wait(60)
            page.click("#hang-up")
        # what the clinic received from the browser: stamped frames
        assert result["ok"], (result.get("error"), result["log"])
        assert result["selected"][0] == "relay", result["selected"]
        stamps = result["received"]
        span_s = (stamps[-1][2] - stamps[0][2]) / 1e6 if len(stamps) > 1 else 0.0
        clinic_fps = (len(stamps) - 1) / span_s if span_s else 0.0
        counters = [c for c, _sent, _got in stamps]
        assert counters == sorted(counters), "frames arrived out of order"
        print(
            f"\ndesk call: connected {connect_ms} ms after the page started "
            f"(first remote frame {report['firstFrameAt']} ms; click to first frame "
            f"{joined_ms:.0f} ms); clinic connected in {result['connected_ms']:.0f} ms; "
            f"pair {result['selected']}\n"
            f"browser -> clinic: {len(stamps)} stamped frames, {clinic_fps:.1f} fps "
            f"(sizes {result['sizes']})\n"
            f"clinic -> browser: {last['framesIn']} frames decoded, {browser_fps:.1f} fps "
            f"(page's own figure {last['fpsIn']:.1f}; browser encoded {last['framesOut']})"
        )
        assert connect_ms is not None and connect_ms < 3000, report
        assert len(stamps) >= 60 and clinic_fps >= 15, (len(stamps), clinic_fps)
        assert browser_fps >= 15, (first, last)
        assert result["chat"] == ["Good morning; I can see the patient."]
        assert [c["text"] for c in last["chat"] if not c["mine"]] == ["Good morning, doctor."]
        assert result["audio_frames"] > 50
    finally:
        for peer in (clinic, specialist):
            if peer is not None:
                peer.kill()
        central.stop()
        turn.stop()
