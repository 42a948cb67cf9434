"""What a write reports is what happened: key changes on a full disk, and no crash on one.

A key-slot change (passphrase, user added or removed, recovery) and its audit entry are one
change: on a disk with any amount of free space left, either the new key file is in force and
audited and the call succeeded, or it failed with the disk named and the old keys still open
the profile. A profile left by a killed writer (its log and memory-mapped log index on disk)
opened on a full disk ends in the named error, never in SIGBUS.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from local_store.errors import DiskFull, WrongPassphrase
from local_store.store import PENDING_HEADER, Store
from tests.support import small_disk

REPO = Path(__file__).resolve().parents[2]
USER = "dr.truth"
OLD = "old passphrase 1234"
NEW = "new passphrase 5678"

pytestmark = pytest.mark.skipif(bool(small_disk.available()), reason=str(small_disk.available()))


def key_audits(profile: Path, passphrase: str) -> list[str]:
    store = Store.unlock(profile, USER, passphrase)
    try:
        return [e["action"] for e in store.audit_entries(1000) if e["action"].startswith("key.")]
    finally:
        store.lock()


def opens_with(profile: Path, passphrase: str) -> bool:
    try:
        Store.unlock(profile, USER, passphrase).lock()
    except WrongPassphrase:
        return False
    return True


def test_passphrase_change_on_a_full_disk_is_all_or_nothing(tmp_path):
    outcomes = set()
    with small_disk.tmpfs(tmp_path / "disk", 4 * 1024) as disk:
        profile = disk / "profile"
        store, _ = Store.create(profile, USER, OLD)
        for i in range(30):
            store.put({"resourceType": "Patient", "id": f"p{i}", "name": [{"text": "x" * 400}]})
        store.lock()
        for leave_kib in (0, 4, 8, 16, 24, 32, 40, 64):
            current = NEW if opens_with(profile, NEW) else OLD
            other = OLD if current == NEW else NEW
            before = key_audits(profile, current)
            store = Store.unlock(profile, USER, current)
            filler = small_disk.fill(disk, leave=leave_kib * 1024)
            try:
                store.change_passphrase(USER, current, other)
                outcome = "changed"
            except DiskFull as exc:
                outcome = "refused"
                assert str(profile) in str(exc) and "the passphrase is unchanged" in str(exc)
            finally:
                store.lock()
                small_disk.free_up(filler)
            outcomes.add(outcome)
            assert not (profile / PENDING_HEADER).exists()
            after = key_audits(profile, other if outcome == "changed" else current)
            if outcome == "changed":
                assert opens_with(profile, other) and not opens_with(profile, current)
                assert after == ["key.change-passphrase", *before]
            else:
                assert opens_with(profile, current) and not opens_with(profile, other)
                assert after == before
    assert "refused" in outcomes


def test_cli_passwd_on_a_full_disk_says_so_and_changes_nothing(tmp_path):
    with small_disk.tmpfs(tmp_path / "disk", 4 * 1024) as disk:
        profile = disk / "profile"
        Store.create(profile, USER, OLD)[0].lock()
        filler = small_disk.fill(disk)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
        env.update(
            PYTHONPATH=str(REPO), CLINIC_PASSPHRASE=OLD, CLINIC_NEW_PASSPHRASE=NEW,
            CLINIC_USER=USER,
        )  # fmt: skip
        proc = subprocess.run(
            [sys.executable, "-m", "clinic_app.cli", "--profile", str(profile), "passwd"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        small_disk.free_up(filler)
        assert proc.returncode == DiskFull.exit_status, proc.stderr
        assert proc.stderr.count("\n") == 1 and "[DISK_FULL]" in proc.stderr
        assert opens_with(profile, OLD) and not opens_with(profile, NEW)


def test_a_key_change_recorded_before_a_crash_is_finished_at_the_next_open(tmp_path, monkeypatch):
    profile = tmp_path / "profile"
    store, _ = Store.create(profile, USER, OLD)
    real_replace = os.replace

    def no_rename(src, dst):  # the crash window: committed, file not yet in place
        if str(src).endswith(PENDING_HEADER):
            raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", no_rename)
    store.change_passphrase(USER, OLD, NEW)  # recorded: it reports success
    store.lock()
    monkeypatch.setattr(os, "replace", real_replace)
    assert (profile / PENDING_HEADER).exists()
    with pytest.raises(WrongPassphrase):
        Store.unlock(profile, USER, OLD)  # the recorded change is in force
    assert not (profile / PENDING_HEADER).exists()
    assert key_audits(profile, NEW) == ["key.change-passphrase"]
    # A pending file whose change was never recorded is undone, and opens nothing.
    (profile / PENDING_HEADER).write_bytes((profile / "keys.json").read_bytes())
    store = Store.unlock(profile, USER, NEW)
    store.lock()
    assert not (profile / PENDING_HEADER).exists()


WRITER = """
import os, signal, sys
from local_store.store import Store
s = Store.unlock(sys.argv[1], sys.argv[2], sys.argv[3])
for i in range(40):
    s.put({"resourceType": "Patient", "id": "w%d" % i, "name": [{"text": "y" * 3000}]})
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_no_sigbus_opening_after_a_crash_on_a_full_disk(tmp_path):
    """Reproduced before the fix: SIGBUS in SQLite's log-index recovery with 0 KiB free."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with small_disk.ext4(tmp_path / "disk", 8) as disk:
        profile = disk / "profile"
        Store.create(profile, USER, OLD)[0].lock()
        for leave_kib in (0, 8, 32):
            subprocess.run([sys.executable, "-c", WRITER, str(profile), USER, OLD], env=env)
            assert (profile / "records.db-wal").stat().st_size > 0
            filler = small_disk.fill(disk, leave=leave_kib * 1024)
            proc = subprocess.run(
                [sys.executable, "-m", "clinic_app.cli", "--profile", str(profile), "info"],
                env={**env, "CLINIC_PASSPHRASE": OLD, "CLINIC_USER": USER},
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            small_disk.free_up(filler)
            assert proc.returncode >= 0, f"killed by signal {-proc.returncode}"
            assert proc.returncode in (0, DiskFull.exit_status), proc.stderr
            if proc.returncode:
                assert "[DISK_FULL]" in proc.stderr
        store = Store.unlock(profile, USER, OLD)
        try:
            assert store.integrity_check() == ["ok"] and store.verify_audit().ok
            assert store.version_of("w39") is not None
        finally:
            store.lock()
    assert signal.SIGBUS  # the signal this test is about
