"""The workstation's side of short-lived tokens, against a real ``clinic-central`` process:
the sync client renews its access token transparently (before expiry and on a
``token_expired`` answer), saves each rotated refresh token in the encrypted profile, never
spends one refresh token twice when two clients of the account refresh at once, and a revoked
device or user gets a clear "enroll again" / "sign in again" (a code the UI translates)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic_app.sync import protocol as p
from clinic_app.sync.account import SyncAccount
from clinic_app.sync.client import SessionEnded, TooManyAttempts
from tests.e2e.workstation import Workstation
from tests.support.central_proc import CentralProcess

TTL = 2  # seconds an access token lives on this server
PASSWORD = "specialist-password-1"


@pytest.fixture
def central(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CentralProcess]:
    monkeypatch.setenv("CLINIC_CENTRAL_ACCESS_TOKEN_TTL", str(TTL))
    monkeypatch.setenv("CLINIC_CENTRAL_LOGIN_MAX_FAILURES", "4")
    proc = CentralProcess(f"sqlite:///{tmp_path / 'central.db'}",
                          log_path=tmp_path / "central.log")  # fmt: skip
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def saved(station: Workstation) -> SyncAccount:
    account = SyncAccount.load(station.store)
    assert account is not None
    return account


def test_sync_renews_its_token_and_saves_the_new_refresh_token(central, tmp_path):
    clinic = central.add_clinic("Hill Clinic")
    station = Workstation(tmp_path, "a")
    try:
        station.enroll(central.url, central.enrollment_code(clinic))
        first = saved(station)
        assert first.refresh_token and first.expires_at and first.expires_at <= time.time() + TTL
        station.add_patient("Tan", "Mei")
        assert station.sync_until_quiet().pending == 0
        time.sleep(TTL + 0.5)  # the access token has expired
        station.add_patient("Lim", "Ah")
        status = station.sync_until_quiet()
        assert status.pending == 0 and status.last_error is None, status.last_error
        after = saved(station)
        assert after.refresh_token != first.refresh_token and after.token != first.token
        assert after.expires_at is not None and after.expires_at > first.expires_at

        # Renewal on a token_expired answer (no margin: the client believes its token).
        async def reactive() -> int:
            client = saved(station).client(station.store)
            client.refresh_margin = 0
            async with client:
                old = client.token
                await asyncio.sleep(TTL + 0.5)
                page = await client.pull(p.PullRequest(since=0, limit=10))
                assert client.token != old
                return len(page.changes)

        assert asyncio.run(reactive()) >= 2
        assert saved(station).token != after.token

        # Two clients of the account refresh at once: one refresh, no session revoked.
        time.sleep(TTL + 0.5)

        async def both() -> None:
            one = saved(station).client(station.store)
            two = saved(station).client(station.store)
            async with one, two:
                await asyncio.gather(
                    one.pull(p.PullRequest(since=0, limit=1)),
                    two.pull(p.PullRequest(since=0, limit=1)),
                )
                assert one.refresh_token == two.refresh_token == saved(station).refresh_token

        asyncio.run(both())
        assert station.sync().last_error is None
    finally:
        station.close()


def test_a_revoked_device_is_told_to_enroll_again(central, tmp_path):
    clinic = central.add_clinic("Hill Clinic")
    station = Workstation(tmp_path, "a")
    try:
        station.enroll(central.url, central.enrollment_code(clinic))
        account = saved(station)
        central.cli("device", "revoke", account.subject_id)

        async def pull() -> None:
            async with saved(station).client(station.store) as client:
                await client.pull(p.PullRequest(since=0, limit=1))

        with pytest.raises(SessionEnded) as err:
            asyncio.run(pull())
        assert err.value.code == "reenroll" and "enroll it again" in str(err.value)
        time.sleep(TTL + 0.5)  # also when it is the refresh that finds out
        with pytest.raises(SessionEnded) as err:
            asyncio.run(pull())
        assert err.value.code == "reenroll"
    finally:
        station.close()


def test_a_disabled_user_is_told_to_sign_in_again_and_lockout_is_reported(central, tmp_path):
    central.add_user("dr.heart", PASSWORD, "specialist", specialties=("cardiology",))
    desk = Workstation(tmp_path, "heart")
    try:
        desk.login(central.url, "dr.heart", PASSWORD)
        central.cli("user", "disable", "dr.heart")
        time.sleep(TTL + 0.5)

        async def pull() -> None:
            async with saved(desk).client(desk.store) as client:
                await client.pull(p.PullRequest(since=0, limit=1))

        with pytest.raises(SessionEnded) as err:
            asyncio.run(pull())
        assert err.value.code == "sign_in_again"
        central.cli("user", "enable", "dr.heart")
        for _ in range(3):
            with pytest.raises(Exception):  # noqa: B017 - wrong passwords, then back-off
                desk.login(central.url, "dr.heart", "wrong password!!")
        with pytest.raises(TooManyAttempts) as held:
            desk.login(central.url, "dr.heart", PASSWORD)
        assert held.value.status in (423, 429) and held.value.retry_after >= 1
        assert central.cli("user", "unlock", "dr.heart") == "unlocked dr.heart"
        desk.login(central.url, "dr.heart", PASSWORD)
        assert "login\tsuccess" in central.cli("audit", "list", "--limit", "1")
    finally:
        desk.close()
