"""The first sync tells the truth (real central process, real profiles): progress of what is
sent and what is received (records of the total, rate, time left), the waiting count going down
as batches are acknowledged, and the last success kept in the profile, so another process (the
CLI after the window, or the window after the CLI) shows the same time."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from clinic_app.clinic import Clinic
from clinic_app.demo_data import generate
from clinic_app.sync.engine import SyncEngine, SyncStatus
from tests.e2e.conftest import World
from tests.e2e.workstation import PASSPHRASE


def _sync_recording(engine: SyncEngine) -> list[SyncStatus]:
    seen: list[SyncStatus] = []
    engine.subscribe(seen.append)
    try:
        asyncio.run(engine.sync_once())
    finally:
        engine.close()
    return seen


def test_first_sync_reports_progress_both_ways(world: World) -> None:
    generate(Clinic(world.a.store), 12)
    waiting = world.a.store.pending_count()
    assert waiting > 300
    sent = _sync_recording(world.a.engine())
    sending = [s for s in sent if s.syncing and s.phase == "sending"]
    assert sending[-1].records_done == sending[-1].records_total == waiting
    done = [s.records_done for s in sending]
    assert done == sorted(done) and len(set(done)) > 2  # one step per acknowledged batch
    pending = [s.pending for s in sending if s.records_done]
    assert pending == sorted(pending, reverse=True) and pending[-1] == 0
    assert any(s.rate > 0 and s.eta_seconds is not None for s in sending)
    assert sent[-1].last_success is not None and not sent[-1].syncing

    # A second PC of the same clinic receives all of it: the total is known from the first page.
    engine = world.a2.engine()
    engine.pull_page = 100
    received = [s for s in _sync_recording(engine) if s.syncing and s.phase == "receiving"]
    assert received, "no progress while receiving"
    totals = {s.records_total for s in received}
    assert totals == {waiting}, totals
    assert [s.records_done for s in received] == sorted(s.records_done for s in received)
    assert received[-1].records_done == waiting
    assert len(world.a2.ids("Patient")) == 12


def test_last_success_is_kept_in_the_profile(world: World) -> None:
    world.a.add_patient("王", "芳")
    first = world.a.sync()
    assert first.last_success is not None
    # A new engine (another process: the window after the CLI) knows it before any exchange.
    later = world.a.engine()
    try:
        shown = asyncio.run(later.refresh_counts())
    finally:
        later.close()
    assert shown.last_success == first.last_success
    profile = world.a.store.profile
    world.a.store.lock()
    env = {**os.environ, "CLINIC_PASSPHRASE": PASSPHRASE}
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", "--profile", str(profile), "sync"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Last success: never" not in done.stdout
    assert "Last success: 20" in done.stdout


def test_cli_sync_prints_progress_on_stderr(world: World) -> None:
    generate(Clinic(world.a.store), 8)
    profile = world.a.store.profile
    world.a.store.lock()
    env = {**os.environ, "CLINIC_PASSPHRASE": PASSPHRASE}
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", "--profile", str(profile), "sync", "--once"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any(line.startswith("Sending ") and " of " in line for line in lines), lines
    last_sent = [line for line in lines if line.startswith("Sending ")][-1]
    total = last_sent.split(" of ")[1].split(" ")[0]
    assert last_sent.startswith(f"Sending {total} of {total}")  # the end is always shown
    assert "Waiting to send: 0" in done.stdout
