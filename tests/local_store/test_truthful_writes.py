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
    assert outcomes == {"refused", "changed"}


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


# ------------------------------------------- the other key-slot changes at the same fill levels --
LEVELS_KIB = (0, 4, 8, 12, 16, 24, 32, 40, 64)
# Recovery opens the store itself (its log index takes 64 KiB at open): its edge lies higher.
RECOVERY_LEVELS_KIB = (0, 32, 64, 72, 80, 88, 96, 128)
NURSE_PASS = "nurse passphrase 2468"


def users_in_force(profile: Path) -> list[str]:
    return sorted(Store.users(profile))


def opens_as(profile: Path, user: str, passphrase: str) -> bool:
    try:
        Store.unlock(profile, user, passphrase).lock()
    except WrongPassphrase:
        return False
    return True


def key_entries(profile: Path) -> list[tuple[str, str]]:
    """(action, detail) of every key-slot change in the audit log, newest first."""
    store = Store.unlock(profile, USER, OLD)
    try:
        return [
            (e["action"], e["detail"] or "")
            for e in store.audit_entries(1000)
            if e["action"].startswith("key.")
        ]
    finally:
        store.lock()


def full_profile(disk: Path) -> Path:
    profile = disk / "profile"
    store, _ = Store.create(profile, USER, OLD)
    for i in range(30):
        store.put({"resourceType": "Patient", "id": f"p{i}", "name": [{"text": "x" * 400}]})
    store.lock()
    return profile


def test_adding_a_user_on_a_full_disk_is_all_or_nothing(tmp_path):
    outcomes = set()
    with small_disk.tmpfs(tmp_path / "disk", 4 * 1024) as disk:
        profile = full_profile(disk)
        for leave_kib in LEVELS_KIB:
            nurse = f"nurse{leave_kib}"
            users, before = users_in_force(profile), key_entries(profile)
            store = Store.unlock(profile, USER, OLD)
            filler = small_disk.fill(disk, leave=leave_kib * 1024)
            try:
                store.add_user(nurse, NURSE_PASS)
                outcome = "changed"
            except DiskFull as exc:
                outcome = "refused"
                assert str(profile) in str(exc) and "the user was not added" in str(exc)
            finally:
                store.lock()
                small_disk.free_up(filler)
            outcomes.add(outcome)
            assert not (profile / PENDING_HEADER).exists()
            after = key_entries(profile)
            if outcome == "changed":
                assert users_in_force(profile) == sorted([*users, nurse])
                assert opens_as(profile, nurse, NURSE_PASS)
                assert after == [("key.add-user", nurse), *before]
            else:
                assert users_in_force(profile) == users
                assert not opens_as(profile, nurse, NURSE_PASS)
                assert after == before
    assert outcomes == {"refused", "changed"}


def test_removing_a_user_on_a_full_disk_is_all_or_nothing(tmp_path):
    outcomes = set()
    with small_disk.tmpfs(tmp_path / "disk", 4 * 1024) as disk:
        profile = full_profile(disk)
        store = Store.unlock(profile, USER, OLD)
        for leave_kib in LEVELS_KIB:
            store.add_user(f"nurse{leave_kib}", NURSE_PASS)
        store.lock()
        for leave_kib in LEVELS_KIB:
            nurse = f"nurse{leave_kib}"
            users, before = users_in_force(profile), key_entries(profile)
            store = Store.unlock(profile, USER, OLD)
            filler = small_disk.fill(disk, leave=leave_kib * 1024)
            try:
                store.remove_user(nurse)
                outcome = "changed"
            except DiskFull as exc:
                outcome = "refused"
                assert str(profile) in str(exc) and "the user was not removed" in str(exc)
            finally:
                store.lock()
                small_disk.free_up(filler)
            outcomes.add(outcome)
            assert not (profile / PENDING_HEADER).exists()
            after = key_entries(profile)
            if outcome == "changed":
                assert users_in_force(profile) == [u for u in users if u != nurse]
                assert not opens_as(profile, nurse, NURSE_PASS)
                assert after == [("key.remove-user", nurse), *before]
            else:
                assert users_in_force(profile) == users
                assert opens_as(profile, nurse, NURSE_PASS)
                assert after == before
    assert outcomes == {"refused", "changed"}


def test_recovery_on_a_full_disk_is_all_or_nothing(tmp_path):
    outcomes = set()
    with small_disk.tmpfs(tmp_path / "disk", 4 * 1024) as disk:
        profile = disk / "profile"
        store, recovery = Store.create(profile, USER, OLD)
        for i in range(30):
            store.put({"resourceType": "Patient", "id": f"p{i}", "name": [{"text": "x" * 400}]})
        store.lock()
        for leave_kib in RECOVERY_LEVELS_KIB:
            current = NEW if opens_with(profile, NEW) else OLD
            other = OLD if current == NEW else NEW
            before = key_audits(profile, current)
            filler = small_disk.fill(disk, leave=leave_kib * 1024)
            try:
                Store.recover(profile, recovery, USER, other).lock()
                outcome = "changed"
            except DiskFull as exc:
                outcome = "refused"
                assert str(profile) in str(exc) and "Nothing was changed" in str(exc)
            finally:
                small_disk.free_up(filler)
            outcomes.add(outcome)
            assert not (profile / PENDING_HEADER).exists()
            if outcome == "changed":
                assert opens_with(profile, other) and not opens_with(profile, current)
                assert key_audits(profile, other) == ["key.recover", *before]
            else:
                assert opens_with(profile, current) and not opens_with(profile, other)
                assert key_audits(profile, current) == before
            # The recovery key itself is untouched either way.
            Store.unlock_recovery(profile, recovery).lock()
    assert outcomes == {"refused", "changed"}


def run_cli(profile: Path, argv: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env.update(PYTHONPATH=str(REPO), CLINIC_USER=USER, **settings)
    return subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", "--profile", str(profile), *argv],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("command", ["user add", "user remove", "recover"])
def test_cli_key_changes_on_a_nearly_full_disk_report_what_happened(tmp_path, command):
    """Exit 0 and its success line exactly when the change is in force and audited; else
    DISK_FULL on one line, and the keys and the audit log as they were."""
    seen = set()
    with small_disk.tmpfs(tmp_path / "disk", 4 * 1024) as disk:
        profile = disk / "profile"
        store, recovery = Store.create(profile, USER, OLD)
        levels = (0, 16, 40, 80, 96, 160)
        if command == "user remove":
            for kib in levels:
                store.add_user(f"nurse{kib}", NURSE_PASS)
        store.lock()
        for leave_kib in levels:
            nurse = f"nurse{leave_kib}"
            current = NEW if opens_with(profile, NEW) else OLD
            other = OLD if current == NEW else NEW
            users, before = users_in_force(profile), key_audits(profile, current)
            filler = small_disk.fill(disk, leave=leave_kib * 1024)
            try:
                if command == "recover":
                    proc = run_cli(
                        profile, ["recover"],
                        CLINIC_RECOVERY_KEY=recovery, CLINIC_NEW_PASSPHRASE=other,
                    )  # fmt: skip
                else:
                    proc = run_cli(
                        profile, [*command.split(), nurse],
                        CLINIC_PASSPHRASE=current, CLINIC_NEW_PASSPHRASE=NURSE_PASS,
                    )  # fmt: skip
            finally:
                small_disk.free_up(filler)
            assert not (profile / PENDING_HEADER).exists()
            assert proc.returncode in (0, DiskFull.exit_status), (leave_kib, proc.stderr)
            changed = proc.returncode == 0
            seen.add(changed)
            if changed:
                assert proc.stderr == "" and proc.stdout.strip()
            else:
                assert proc.stderr.count("\n") == 1 and proc.stderr.rstrip().endswith("[DISK_FULL]")
                assert proc.stdout == ""
            if command == "recover":
                now = other if changed else current
                gone = current if changed else other
                assert opens_with(profile, now) and not opens_with(profile, gone)
                assert key_audits(profile, now) == (["key.recover", *before] if changed else before)
            else:
                action = "key.add-user" if command == "user add" else "key.remove-user"
                want = (
                    sorted({*users, nurse} if command == "user add" else set(users) - {nurse})
                    if changed
                    else users
                )
                assert users_in_force(profile) == want
                assert opens_as(profile, nurse, NURSE_PASS) == (
                    changed if command == "user add" else not changed
                )
                assert key_audits(profile, current) == ([action, *before] if changed else before)
    assert seen == {True, False}
