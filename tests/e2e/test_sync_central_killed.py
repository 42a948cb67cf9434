"""The central process killed with SIGKILL at each step of a sync and restarted on the same
database: nothing acknowledged is lost and nothing is applied twice."""

from __future__ import annotations

import signal

import pytest

POINTS = ["before-request", "push-before-commit", "push-after-commit", "pull-after-read"]


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_step(world, point, monkeypatch):
    made = [world.a.add_patient("冯", f"{n}号")["id"] for n in range(5)]
    if point == "pull-after-read":
        assert world.a.sync().pending == 0
    world.central.stop()
    if point == "before-request":
        # The client reads its outbox, then finds no server: the claimed changes go back.
        status = world.a.sync()
        assert status.online is False and status.pending == 5
    else:
        monkeypatch.setenv("CLINIC_CENTRAL_FAULT", point)
        world.central.start()
        syncing = world.a2 if point == "pull-after-read" else world.a
        status = syncing.sync()
        assert status.online is False  # the server died under the request
        assert world.central.proc is not None
        assert world.central.proc.wait(timeout=15) == -signal.SIGKILL
        world.central.proc = None
        monkeypatch.delenv("CLINIC_CENTRAL_FAULT")
    world.central.start()

    assert world.a.sync_until_quiet().pending == 0
    assert world.a2.sync_until_quiet().pending == 0
    assert world.a2.ids("Patient") == set(made)
    for ws in (world.a, world.a2):
        again = ws.sync()
        assert again.pushed == 0 and again.pulled == 0
        assert ws.store.count("Patient") == 5
        assert all(ws.store.version_of(pid) == (1, False) for pid in made)
    # Each record is on the server once, at version 1 (a replay did not make version 2).
    world.a.store.delete("Patient", made[0])
    assert world.a.sync().pending == 0
    world.a2.sync()
    assert world.a2.store.version_of(made[0]) == (2, True)
