"""Clinic clocks set a day apart change nothing about the outcome: sync orders by the server's
sequence and merges by versions, never by timestamps. The two PCs run under libfaketime."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from clinic_app.services import conflicts

REPO = Path(__file__).resolve().parents[2]
FAKETIME = shutil.which("faketime")


def act(ws, shift: str, *args: str) -> dict:
    env = {**os.environ, "FAKETIME_DONT_FAKE_MONOTONIC": "1", "PYTHONPATH": str(REPO)}
    argv = [FAKETIME, "-f", shift, sys.executable, "-m", "tests.e2e.skewed_action",
            str(ws.store.profile), ws.store.user, *args]  # fmt: skip
    ws.store.lock()  # one process at a time on a profile, as on a real PC
    try:
        proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
    finally:
        from local_store.store import Store
        from tests.e2e.workstation import PASSPHRASE

        ws.store = Store.unlock(ws.store.profile, ws.store.user, PASSPHRASE)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_day_of_clock_skew_changes_nothing(world):
    from clinic_app.records.patient import Address

    assert FAKETIME, "faketime is missing: `make sysdeps` installs it"
    p = world.a.add_patient("周", "杰", phone="13900000010", address=Address(city="昭通市"))
    pid = p["id"]
    ahead = act(world.a, "+1d", "sync")
    behind = act(world.a2, "-1d", "sync")
    assert ahead["now"][:10] != behind["now"][:10]  # the clocks really are two days apart

    # Disjoint edits merge, whoever's clock says later.
    act(world.a2, "-1d", "city", pid, "毕节市")
    act(world.a, "+1d", "phone", pid, "13900000011")
    assert act(world.a2, "-1d", "sync")["conflicts"] == 0
    assert act(world.a, "+1d", "sync")["conflicts"] == 0
    assert act(world.a2, "-1d", "sync")["pending"] == 0
    for ws in (world.a, world.a2):
        res = ws.store.get("Patient", pid)
        assert res["telecom"][0]["value"] == "13900000011"
        assert res["address"][0]["city"] == "毕节市"

    # The same field: a conflict on the PC that pushes second, regardless of the clocks.
    act(world.a2, "-1d", "phone", pid, "13900000012")
    act(world.a, "+1d", "phone", pid, "13900000013")
    assert act(world.a2, "-1d", "sync")["conflicts"] == 0  # first to push wins the race …
    assert act(world.a, "+1d", "sync")["conflicts"] == 1  # … the later clock does not win
    [c] = conflicts.open_conflicts(world.a.store)
    assert c.remote["telecom"][0]["value"] == "13900000012"
    assert c.local["telecom"][0]["value"] == "13900000013"
