"""An outdated workstation is told, in words, that it must update: through a real
``clinic-central serve`` process configured by file and environment, and the real clients (the
sync client and engine, the call signaling client, the ``clinic-app`` command line)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from clinic_app import __version__
from clinic_app.errors import ClinicError
from clinic_app.sync import protocol as p
from clinic_app.sync.client import CentralClient, UpgradeRequired
from clinic_app.sync.engine import SyncEngine
from local_store.store import Store
from media.errors import CallRefused
from media.signaling import SignalingClient
from tests.support.central_proc import REPO, CentralProcess

pytestmark = pytest.mark.asyncio
UPDATE_URL = "https://updates.clinic.example/workstation"
SENTENCE = (
    f"This workstation runs version {__version__}; the central platform needs version 9.0.0 "
    f"or newer. Install the update from {UPDATE_URL}."
)


def clinic_app(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLINIC_PASSPHRASE": "upgrade-test-passphrase"}
    return subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", "--profile", str(profile), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def test_outdated_workstation_is_told_to_update(tmp_path, monkeypatch):
    config = tmp_path / "central.toml"
    config.write_text(
        f'min_client_version = "{__version__}"\nupdate_url = "https://overridden.example/"\n'
    )
    monkeypatch.setenv("CLINIC_CENTRAL_UPDATE_URL", UPDATE_URL)  # the environment wins
    proc = CentralProcess(f"sqlite:///{tmp_path}/central.db", extra=("--config", str(config)))
    with proc:
        health = proc.health()
        assert health["min_client_version"] == __version__
        assert health["update_url"] == UPDATE_URL
        clinic = proc.add_clinic("Hill Clinic")
        async with CentralClient(proc.url) as client:  # this version is still accepted
            token = (await client.enroll(proc.enrollment_code(clinic), "PC"))["token"]
        late_code = proc.enrollment_code(clinic)

        # The operator raises the minimum in the file and restarts.
        config.write_text('min_client_version = "9.0.0"\n')
        proc.restart()
        assert proc.health()["min_client_version"] == "9.0.0"  # health answers everyone

        # The sync client: a user-facing error carrying the central's sentence.
        async with CentralClient(proc.url, token) as client:
            with pytest.raises(UpgradeRequired) as err:
                await client.pull(p.PullRequest(since=0))
        assert isinstance(err.value, ClinicError)
        assert str(err.value) == SENTENCE and err.value.status == 426

        # The background engine: what the sync bar shows (SyncStatus.last_error).
        store, _ = Store.create(tmp_path / "profile", "dr.li", "upgrade-test-passphrase")
        engine = SyncEngine(store, lambda: CentralClient(proc.url, token))
        try:
            status = await engine.sync_once()
        finally:
            engine.close()
            store.lock()
        assert status.last_error == SENTENCE

        # Calls: the ICE request and the signaling WebSocket handshake.
        signaling = SignalingClient(proc.url, token, str(uuid.uuid4()))
        try:
            with pytest.raises(CallRefused) as refused:
                await signaling.fetch_ice()
            assert str(refused.value) == SENTENCE and refused.value.code == "upgrade_required"
            with pytest.raises(CallRefused) as refused:
                await signaling.connect()
            assert str(refused.value) == SENTENCE and refused.value.status == 426
        finally:
            await signaling.aclose()

        # The command line: one line on stderr with the server's code, exit status 1.
        done = clinic_app(
            "enroll", "--server", proc.url, "--code", late_code, profile=tmp_path / "profile"
        )
        assert done.returncode == 1
        assert done.stderr.strip() == f"error: {SENTENCE} [upgrade_required]"


async def test_config_file_errors_are_one_line(tmp_path):
    config = tmp_path / "central.toml"
    config.write_text('min_client_verison = "9.0.0"\n')  # a typo is refused, never ignored
    from tests.support.central_proc import run_cli

    done = run_cli("--config", str(config), "clinic", "list", check=False)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "unknown settings: min_client_verison" in done.stderr
    config.write_text("port = 'eighty'\n")
    done = run_cli("serve", "--config", str(config), check=False)
    assert done.returncode == 1 and "port in the configuration file" in done.stderr
