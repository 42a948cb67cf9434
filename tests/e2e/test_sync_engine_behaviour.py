"""The engine in the background: it notices the link come back and drains the queue by
itself; one bad change waits in error with its reason without blocking the others; the CLI
prints the state in words."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from clinic_app.services.writes import save
from tests.e2e.workstation import PASSPHRASE

REPO = Path(__file__).resolve().parents[2]


def test_background_engine_drains_queue_when_link_returns(world):
    world.central.stop()
    for n in range(20):
        world.a.add_patient("孙", f"悟{n}")
    engine = world.a.engine()
    engine.max_backoff = 1.0
    engine.idle_interval = 0.5
    seen: list[int] = []
    engine.subscribe(lambda s: seen.append(s.pending))

    async def scenario() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(engine.run(stop))
        await asyncio.sleep(1.5)
        assert engine.status.online is False and engine.status.pending == 20
        assert engine.status.last_error
        await asyncio.to_thread(world.central.start)
        back = time.monotonic()
        while engine.status.pending and time.monotonic() - back < 20:
            await asyncio.sleep(0.1)
        drained = time.monotonic() - back
        stop.set()
        await asyncio.wait_for(task, 10)
        return drained

    try:
        drained = asyncio.run(scenario())
    finally:
        engine.close()
    assert engine.status.pending == 0 and engine.status.online is True
    assert engine.status.last_success is not None
    assert drained < 10
    assert 20 in seen and seen[-1] == 0


def test_one_bad_change_does_not_block_the_queue(world):
    good = world.a.add_patient("钱", "学森")
    bad = {"resourceType": "Observation", "status": "bogus-status", "code": {"text": "x"},
           "subject": {"reference": f"Patient/{good['id']}"}}  # fmt: skip
    save(world.a.store, bad)
    later = world.a.add_patient("吴", "健雄")
    status = world.a.sync()
    assert status.errors == 1 and status.pending == 0  # the bad one waits, in error
    assert status.error_reasons and status.error_reasons[0][0] == "Observation"
    assert "bogus" not in status.error_reasons[0][2]  # the reason names no values
    world.a2.sync()
    assert {good["id"], later["id"]} <= world.a2.ids("Patient")
    assert world.a2.ids("Observation") == set()


def test_cli_sync_once_prints_state(world):
    world.a.add_patient("郑", "和")
    profile = world.a.store.profile
    world.a.store.lock()
    env = {**os.environ, "CLINIC_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "clinic_app.cli", "--profile", str(profile)]
    done = subprocess.run([*cmd, "sync", "--once"], env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Link: online" in done.stdout and "Waiting to send: 0" in done.stdout
    world.central.stop()
    off = subprocess.run([*cmd, "sync", "--once"], env=env, capture_output=True, text=True,
                         timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
    assert off.returncode == 4
    assert "Link: offline" in off.stdout and "Last error:" in off.stdout
    listing = subprocess.run([*cmd, "conflicts", "list"], env=env, capture_output=True,
                             text=True, timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    assert listing.returncode == 0 and "No conflicts" in listing.stdout
    from local_store.store import Store

    world.a.store = Store.unlock(profile, world.a.store.user, PASSPHRASE)
