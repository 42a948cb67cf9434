"""Signaling refuses whoever is not a participant of the consult, through a real central
process and the real client (CallSession): another clinic, another specialty, a token for
another consult, no valid token. The refusal is a sentence for the person."""

from __future__ import annotations

import asyncio

import pytest

from media.errors import CallRefused
from media.session import CallSession, CallState
from media.sources import LocalMedia


def _consult(ws, specialty: str = "cardiology") -> str:
    patient = ws.add_patient("张", "伟")
    consult = ws.consult(patient["id"], specialty)
    ws.sync_until_quiet()
    return str(consult["id"])


async def _try(url: str, token: str, consult: str) -> CallSession:
    session = CallSession(url, token, consult, media=LocalMedia.synthetic(320, 240, 10))
    try:
        await session.start()
    except BaseException:
        await session.hangup()
        raise
    return session


def test_outsiders_are_refused_and_participants_admitted(world):
    mine = _consult(world.a, "cardiology")
    other = _consult(world.b, "dermatology")  # clinic B's consult, for dr.skin
    url = world.central.url

    async def scenario() -> None:
        for station in (world.b, world.other_specialist):
            # each holds a valid token that opens *its* consult ...
            ok = await _try(url, station.account.token, other)
            assert await ok.wait_for(CallState.WAITING, timeout=10) == CallState.WAITING
            await ok.hangup()
            # ... and not this one
            with pytest.raises(CallRefused) as err:
                await _try(url, station.account.token, mine)
            assert err.value.status == 404
            assert "only the consult's clinic and the specialist" in str(err.value)
        with pytest.raises(CallRefused) as err:
            await _try(url, "not-a-valid-token", mine)
        assert err.value.status == 401 and str(err.value).startswith("Sign in again")
        # both participants get in, and see each other's arrival
        clinic = await _try(url, world.a.account.token, mine)
        specialist = await _try(url, world.specialist.account.token, mine)
        try:
            assert clinic.side == "clinic" and specialist.side == "specialist"
            for s in (clinic, specialist):
                assert await s.wait_for(CallState.CONNECTED, timeout=20) == CallState.CONNECTED
            await specialist.hangup()
            assert await clinic.wait_for(CallState.WAITING, timeout=10) == CallState.WAITING
        finally:
            await clinic.hangup()
            await specialist.hangup()
        assert clinic.state == specialist.state == CallState.ENDED

    asyncio.run(scenario())
