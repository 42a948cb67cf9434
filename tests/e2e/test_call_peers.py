"""A clinic and a specialist call each other through a real central process: two headless peer
processes (media.peer), frames both ways, chat, a 5 MB image and live vitals intact."""

from __future__ import annotations

import hashlib

import pytest

from media import echo
from media.peer import sample_bytes
from tests.support.call_peers import start_peer

pytestmark = pytest.mark.slow

IMAGE_BYTES = 5 * 1024 * 1024


def _consult(world) -> str:
    patient = world.a.add_patient("王", "芳")
    consult = world.a.consult(patient["id"], "cardiology")
    world.a.sync_until_quiet()
    return consult["id"]


def _counters_increase(report) -> list[int]:
    counters = [c for c, _sent, _got in report["received"]]
    assert counters == sorted(counters), "frames arrived out of order"
    return counters


def test_clinic_and_specialist_see_each_other_and_share(world, tmp_path):
    consult = _consult(world)
    url = world.central.url
    clinic = start_peer(
        tmp_path, "clinic", url, world.a.account.token, consult,
        "--seconds", "4", "--chat", "Good morning, doctor.",
        "--vitals", "8480-6=142:mm[Hg]", "--vitals", "8462-4=91:mm[Hg]",
        "--send-file-bytes", str(IMAGE_BYTES), "--expect-chat", "1",
    )  # fmt: skip
    specialist = start_peer(
        tmp_path, "specialist", url, world.specialist.account.token, consult,
        "--seconds", "4", "--chat", "Good morning; I can see the patient.",
        "--expect-file", "1", "--expect-chat", "1",
    )  # fmt: skip
    try:
        a = clinic.wait()
        b = specialist.wait()
    finally:
        clinic.kill()
        specialist.kill()
    assert a["ok"] and b["ok"], (a.get("error"), b.get("error"), a["log"], b["log"])
    assert (a["side"], b["side"]) == ("clinic", "specialist")
    for report in (a, b):
        counters = _counters_increase(report)
        assert len(counters) >= 60, f"{report['side']}: only {len(counters)} stamped frames"
        # sent 640x480; the quality layer starts a call on a rung of its ladder and climbs
        # as the link allows (media/quality/control.py), always 4:3
        assert report["sizes"] and all(
            int(w) * 3 == int(h) * 4 for w, h in (size.split("x") for size in report["sizes"])
        ), report["sizes"]
        assert report["audio_frames"] > 50
        # echo is cancelled (media/echo.py) wherever the audio processing module exists: a
        # headset is recommended only without it
        assert report["headset_recommended"] is (not echo.AVAILABLE)
    # chat both ways, vitals from the clinic, the image to the specialist, SHA-256 equal
    assert b["chat"] == ["Good morning, doctor."]
    assert a["chat"] == ["Good morning; I can see the patient."]
    assert b["vitals"] == [
        {"code": "8480-6", "value": 142.0, "unit": "mm[Hg]"},
        {"code": "8462-4", "value": 91.0, "unit": "mm[Hg]"},
    ]
    sha = hashlib.sha256(sample_bytes(IMAGE_BYTES)).hexdigest()
    assert b["files"] == [
        {"name": "image.jpg", "mime": "image/jpeg", "size": IMAGE_BYTES, "sha256": sha}
    ]
    assert a["file_sent"] == {"sha256": sha, "ok": True, "resumed_from": [0]}
    # no public STUN, no TURN configured: the pair is host to host
    assert a["selected"] == ["host", "host"]
