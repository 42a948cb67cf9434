"""``GET /api/v1/calls/active`` on a real central process: when the specialist opens a
consult's call, the clinic that owns the consult (and only that clinic) sees it waiting, with
the ids only; once the clinic has joined, nothing waits any more."""

from __future__ import annotations

import asyncio

import pytest

from media.errors import CallRefused
from media.signaling import SignalingClient, active_calls
from tests.e2e.workstation import Workstation
from tests.support.central_proc import CentralProcess

pytestmark = pytest.mark.slow
PASSWORD = "specialist-password-1"


def test_the_clinic_sees_the_call_the_specialist_opened(tmp_path):
    central = CentralProcess(
        f"sqlite:///{tmp_path / 'central.db'}", log_path=tmp_path / "central.log"
    )
    central.start()
    clinic, other, heart = (Workstation(tmp_path, n) for n in ("clinic", "other", "heart"))
    try:
        clinic.enroll(central.url, central.enrollment_code(central.add_clinic("Hill Clinic")))
        other.enroll(central.url, central.enrollment_code(central.add_clinic("River Clinic")))
        central.add_user("dr.heart", PASSWORD, "specialist", specialties=("cardiology",))
        heart.login(central.url, "dr.heart", PASSWORD)
        patient = clinic.add_patient("王", "小明", gender="male")
        consult = clinic.consult(patient["id"])
        quiet = clinic.consult(patient["id"])  # a second consult nobody opened
        assert clinic.sync_until_quiet().pending == 0
        assert clinic.account and other.account and heart.account
        asyncio.run(scenario(central.url, clinic.account.token, other.account.token,
                             heart.account.token, consult["id"], quiet["id"]))  # fmt: skip
    finally:
        for w in (clinic, other, heart):
            w.close()
        central.stop()


async def scenario(url: str, clinic: str, other: str, heart: str, consult: str, quiet: str) -> None:
    assert await active_calls(url, clinic) == []
    specialist = SignalingClient(url, heart, consult)
    try:
        joined = await specialist.connect()
        assert joined.side == "specialist"
        (call,) = await active_calls(url, clinic)
        assert (call.consult_id, call.call_id, call.waiting_side) == (
            consult,
            joined.call_id,
            "specialist",
        )
        assert call.consult_id != quiet and 0 <= call.waiting_seconds < 30
        assert await active_calls(url, other) == []  # another clinic's device sees nothing
        assert await active_calls(url, heart) == []  # the specialist's own side is in
        workstation = SignalingClient(url, clinic, consult)
        try:
            await workstation.connect()
            assert await active_calls(url, clinic) == []  # joined: no longer waiting
        finally:
            await workstation.aclose()
        await asyncio.sleep(0.2)  # the server sees the clinic's socket close
        assert [c.consult_id for c in await active_calls(url, clinic)] == [consult]
    finally:
        await specialist.aclose()
    await asyncio.sleep(0.2)
    assert await active_calls(url, clinic) == []
    with pytest.raises(CallRefused) as refused:
        await active_calls(url, "not-a-token")
    assert refused.value.status == 401
