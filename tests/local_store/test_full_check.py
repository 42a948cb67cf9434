"""The full check in the background (``local_store.fullcheck``), on real profiles.

A writer process is killed with SIGKILL (as in test_checkup.py / test_crash_kill.py), which
leaves the profile unclean: the next open gets the bounded quick check, then the full check on
a thread of its own while the store keeps taking writes; its result is kept (encrypted) in the
profile, so ``clinic-app info`` in another process prints it. A flipped database page is found
by the background check and named in ``info`` with what to do. A clean profile checked
recently does not check again; one checked longer ago than its set age does.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local_store import fullcheck
from local_store.store import FULL_CHECK_DUE, Store

REPO = Path(__file__).resolve().parents[2]
USER = "dr.full"
PASS = "full check passphrase 7"

WRITER = f"""
import os, signal, sys
from local_store.store import Store
s = Store.unlock(sys.argv[1], {USER!r}, {PASS!r})
for i in range(int(sys.argv[2])):
    s.put({{"resourceType": "Patient", "id": "w%05d" % i, "name": [{{"text": "n" * 300}}]}})
    print(i, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    return {**base, "PYTHONPATH": str(REPO), **extra}


def cli(*argv: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", *(str(a) for a in argv)],
        env=env(CLINIC_USER=USER, CLINIC_PASSPHRASE=PASS), capture_output=True, text=True,
        timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def info_line(folder: Path) -> str:
    proc = cli("--profile", folder, "info")
    assert proc.returncode == 0, proc.stderr
    found = [line for line in proc.stdout.splitlines() if line.startswith("Full check: ")]
    assert len(found) == 1, proc.stdout
    return found[0]


def kill_a_writer(folder: Path, writes: int = 30) -> None:
    """Leave the profile unclean: a writer killed with SIGKILL after ``writes`` saves."""
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, str(folder), str(writes)],
        env=env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert len(proc.stdout.split()) == writes
    wal = folder / "records.db-wal"
    assert wal.exists() and wal.stat().st_size > 0  # the log was left with frames in it


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


@pytest.fixture
def profile(tmp_path) -> Path:
    """A closed profile: 150 patients and an attachment."""
    folder = tmp_path / "profile"
    store, _ = Store.create(folder, USER, PASS)
    try:
        for i in range(150):
            store.put({"resourceType": "Patient", "id": f"p{i:03d}", "name": [{"text": "x" * 200}]})
        store.add_attachment(io.BytesIO(os.urandom(300_000)), "image/png")
    finally:
        store.lock()
    return folder


def run_check(store: Store, now: datetime | None = None) -> fullcheck.FullCheckState:
    """Start the check if due and wait for its news (from its own thread)."""
    news: list[fullcheck.FullCheckState] = []
    arrived = threading.Event()

    def done(state: fullcheck.FullCheckState) -> None:
        news.append(state)
        arrived.set()

    started = fullcheck.start_if_due(store, done, now)
    assert started is not None and started.running
    assert arrived.wait(60), "the background check did not finish"
    assert len(news) == 1 and not news[0].running
    return news[0]


def test_after_an_unclean_shutdown_the_full_check_runs_in_the_background(profile):
    kill_a_writer(profile)
    # The CLI opens it (quick check at open) but does not run the full check: it stays due.
    line = info_line(profile)
    assert line.startswith("Full check: due after an unclean shutdown"), line
    assert "clinic-app check --full" in line

    store = Store.unlock(profile, USER, PASS)
    try:
        assert fullcheck.due(store) == "unclean"  # the CLI's open left it due
        news: list[fullcheck.FullCheckState] = []
        gate = threading.Event()
        arrived = threading.Event()
        real = store.check_lightly

        def held_check(stop):  # the check waits at its start until the writes below are done
            gate.wait(30)
            return real(stop)

        store.check_lightly = held_check  # type: ignore[method-assign]
        started = fullcheck.start_if_due(store, lambda s: (news.append(s), arrived.set()))
        assert started is not None and started.running and started.reason == "unclean"
        assert fullcheck.status(store).running
        assert fullcheck.start_if_due(store) is None  # one at a time
        # Another process sees it running (the start is kept in the profile).
        assert "Full check: running since" in info_line(profile)
        # The store keeps taking writes while the check is under way.
        for i in range(20):
            store.put({"resourceType": "Patient", "id": f"during{i}", "name": [{"text": "d"}]})
        gate.set()
        assert arrived.wait(60)
        result = news[0].last
        assert result is not None and result.verdict == "ok" and result.saved
        assert result.reason == "unclean" and not result.damaged
        assert any(line.startswith("audit log") for line in result.lines)  # the full check
        assert fullcheck.due(store) is None
        assert store.get_meta(FULL_CHECK_DUE) is None
        assert store.get("Patient", "during19")["id"] == "during19"
    finally:
        store.lock()

    line = info_line(profile)
    assert line.startswith("Full check: ok ("), line
    assert "after an unclean shutdown" in line
    # A clean profile checked just now is not checked again.
    store = Store.unlock(profile, USER, PASS)
    try:
        assert not store.opened_unclean
        assert fullcheck.due(store) is None
        assert fullcheck.start_if_due(store) is None
        assert fullcheck.runner_of(store) is None
    finally:
        store.lock()


def checked_long_ago(folder: Path, days: int = 40) -> None:
    """Keep in the profile a full check that found nothing ``days`` ago."""
    then = datetime.now(UTC) - timedelta(days=days)
    old = fullcheck.FullCheckResult(
        then.isoformat(timespec="seconds"), then.isoformat(timespec="seconds"), "age", "ok",
        "No damage found.",
    )  # fmt: skip
    store = Store.unlock(folder, USER, PASS)
    try:
        store.set_meta(fullcheck.LAST_META, old.to_json())
    finally:
        store.lock()


def test_a_damaged_page_found_in_the_background_is_kept_and_shown_by_info(profile):
    # After an unclean shutdown the quick check at open already refuses a damaged page: here
    # the page is damaged in a profile closed cleanly, whose last full check is too old.
    checked_long_ago(profile)
    db = profile / "records.db"
    pages = db.stat().st_size // 4096
    flip(db, (pages // 2 - 1) * 4096 + 1000)  # a page the open itself does not read
    store = Store.unlock(profile, USER, PASS)
    try:
        assert fullcheck.due(store) == "age"
        state = run_check(store)
        result = state.last
        assert result is not None and result.verdict == "damaged" and result.saved
        assert [d.name for d in result.damaged] == ["database"]
        assert f"page {pages // 2}" in result.damaged[0].detail
        assert result.damaged[0].code == "DB_DAMAGED"
        assert fullcheck.status(store).damaged
        assert fullcheck.due(store) == "damaged"  # checked again at the next sign-in
    finally:
        store.lock()
    line = info_line(profile)
    assert line.startswith("Full check: damaged ("), line
    assert f"database: 1 of {pages} pages fail their check (page {pages // 2})" in line
    for advice in ("clinic-app check --full", "clinic-app restore", "clinic-app salvage"):
        assert advice in line


def test_a_profile_is_checked_again_after_the_set_age_only(profile):
    store = Store.unlock(profile, USER, PASS)
    try:
        assert not store.opened_unclean
        assert fullcheck.due(store) is None  # made just now: nothing to check yet
        assert info_line_of(store).startswith("Full check: never")
        later = datetime.now(UTC) + timedelta(days=31)
        assert fullcheck.due(store, later) == "never"
        state = run_check(store, later)
        assert state.last is not None and state.last.verdict == "ok"
        assert state.last.reason == "never"
        assert fullcheck.due(store) is None
        assert fullcheck.due(store, later) == "age"
        assert fullcheck.max_age_days(store) == fullcheck.MAX_AGE.default == 30
        fullcheck.set_max_age_days(store, 60)
        assert fullcheck.due(store, later) is None
        assert fullcheck.due(store, later + timedelta(days=30)) == "age"
        with pytest.raises(ValueError):
            fullcheck.set_max_age_days(store, 0)
    finally:
        store.lock()


def info_line_of(store: Store) -> str:
    from local_store.checkup import health_lines

    return health_lines(store)[2]


def test_closing_the_store_stops_the_check_and_it_runs_again_next_time(profile):
    kill_a_writer(profile, 3)
    store = Store.unlock(profile, USER, PASS)
    entered = threading.Event()
    real = store.check_lightly

    def slow(stop):
        entered.set()
        while not stop():  # a long check: until the store is closed
            threading.Event().wait(0.01)
        return real(stop)

    store.check_lightly = slow  # type: ignore[method-assign]
    assert fullcheck.start_if_due(store) is not None
    assert entered.wait(30)
    runner = fullcheck.runner_of(store)
    assert runner is not None
    store.lock()  # stops the check and waits for it
    runner.join(10)
    assert not runner.running and runner.result is None
    store = Store.unlock(profile, USER, PASS)
    try:
        assert not store.opened_unclean  # closed cleanly by the lock above
        assert fullcheck.due(store) == "unclean"  # but never checked in full since the crash
        assert run_check(store).last is not None
    finally:
        store.lock()
