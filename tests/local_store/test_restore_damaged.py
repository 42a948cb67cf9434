"""``clinic-app restore`` over a damaged or refused profile, as a real process on real files.

Each kind of damage the store refuses or fails on is made on a closed profile that has changes
made after its backup: a flipped byte in a records page, a flipped frame of the change log, a
database put back behind its high-water mark (an older copy), a deleted key file, a database
cut to 0 bytes. ``restore --replace`` must not need the damaged profile to open: the profile it
replaces is moved, byte for byte unchanged, to a dated folder beside, and the report gives the
backup's time and record counts and what the replaced profile still says about the changes
made after the backup (from its outbox and its high-water mark), with the way to get them back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from local_store import db as dbmod
from local_store.errors import (
    DatabaseDamaged,
    DatabaseMissing,
    KeyFileMissing,
    LogDamaged,
    ProfileExists,
    StoreBehind,
)
from local_store.restoring import restore
from local_store.store import Store
from tests.local_store.test_salvage import PAGE, btree, flip

REPO = Path(__file__).resolve().parents[2]
USER = "dr.restore"
PASS = "restore passphrase 42"
BACKED_UP = 60  # patients in the backup
AFTER = 12  # patients added after it
SENT = 5  # of those, acknowledged by the central platform

WRITER = """
import os, signal, sys
from local_store.store import Store
s = Store.unlock(sys.argv[1], "dr.restore", "restore passphrase 42")
for i in range(int(sys.argv[2])):
    s.put({"resourceType": "Patient", "id": "late%03d" % i, "name": [{"text": "n" * 300}]})
os.kill(os.getpid(), signal.SIGKILL)
"""

SIGN_IN = """
import os, signal, sys
from local_store.store import Store
Store.unlock(sys.argv[1], "dr.restore", "restore passphrase 42")
os.kill(os.getpid(), signal.SIGKILL)
"""


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    return {**base, "PYTHONPATH": str(REPO), **extra}


def cli(*argv: object, user: bool = True) -> subprocess.CompletedProcess:
    extra = {"CLINIC_PASSPHRASE": PASS, **({"CLINIC_USER": USER} if user else {})}
    return subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", *(str(a) for a in argv)],
        env=env(**extra), capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def patient(rid: str) -> dict:
    return {"resourceType": "Patient", "id": rid, "name": [{"text": "x" * 200}]}


def backed_up_profile(folder: Path, archive: Path, *, after: bool = True) -> None:
    """A profile with BACKED_UP patients, its backup, then AFTER more (SENT acknowledged)."""
    store, _ = Store.create(folder, USER, PASS)
    try:
        for i in range(BACKED_UP):
            store.put(patient(f"p{i:03d}"))
        store.backup(archive)
        if after:
            saved = [store.put(patient(f"late{i:03d}")) for i in range(AFTER)]
            store.set_change_state([s.change_id for s in saved[:SENT]], "done")
    finally:
        store.lock()


def backup_time(archive: Path) -> str:
    with zipfile.ZipFile(archive) as zf:
        created = json.loads(zf.read("manifest.json"))["created"]
    return datetime.fromisoformat(created).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def restore_over(folder: Path, archive: Path) -> tuple[str, Path]:
    """``clinic-app restore --replace`` as a process: the report, and where the old one went."""
    before = files(folder)
    proc = cli("--profile", folder, "restore", archive, "--replace", user=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = proc.stdout
    assert f"a backup taken {backup_time(archive)}" in out
    assert f"Kept from the backup: {BACKED_UP} records ({BACKED_UP} Patient)" in out
    [moved] = [p for p in folder.parent.iterdir() if ".before-restore-" in p.name]
    assert moved.name.startswith(f"{folder.name}.before-restore-20")
    assert f"moved, unchanged, to {moved}" in out
    assert files(moved) == before  # kept exactly as it was: nothing deleted, nothing written
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging left
    store = Store.unlock(folder, USER, PASS)
    try:
        assert store.count("Patient") == BACKED_UP
        assert store.version_of("late000") is None
        assert store.integrity_check() == ["ok"] and store.verify_audit().ok
        assert "restore" in [e["action"] for e in store.audit_entries(limit=5)]
    finally:
        store.lock()
    return out, moved


def recovery_hint(out: str, moved: Path) -> None:
    assert f"clinic-app rebuild --profile {moved}" in out
    assert f"clinic-app salvage --profile {moved}" in out


# -------------------------------------------------------------------------------- tests --
def damage_a_records_page(folder: Path) -> int:
    """Flip a byte in the first leaf page of the records table; returns its number."""
    key = Store.load_header(folder).unlock(USER, PASS)
    conn = dbmod.connect(folder / "records.db", key, readonly=True)
    try:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'records'").fetchone()
    finally:
        conn.close()
    pages = btree((folder / "records.db").read_bytes(), key, root[0])
    leaf = next(p for p, (kind, _keys) in sorted(pages.items()) if kind == "table-leaf")
    flip(folder / "records.db", (leaf - 1) * PAGE + 1500)
    return leaf


def test_a_damaged_records_page(tmp_path: Path) -> None:
    folder, archive = tmp_path / "profile", tmp_path / "b.clinicbackup"
    backed_up_profile(folder, archive)
    leaf = damage_a_records_page(folder)
    damaged = Store.unlock(folder, USER, PASS)
    try:  # the named error, never a raw SQLite one (PRAGMA integrity_check fails on the page)
        with pytest.raises(DatabaseDamaged, match=f"page {leaf}"):
            damaged.integrity_check()
    finally:
        damaged.lock()
    proc = cli("--profile", folder, "check", "--full")
    assert proc.returncode == DatabaseDamaged.exit_status and "[DB_DAMAGED]" in proc.stderr

    out, moved = restore_over(folder, archive)
    # The outbox is on pages of its own: every change made after the backup is counted.
    assert (
        f"not in the restored profile: {AFTER} ({SENT} had been sent to the central platform,"
        f" {AFTER - SENT} never were)" in out
    )
    assert "1 of its database pages are damaged" in out
    recovery_hint(out, moved)


def test_a_damaged_page_met_after_an_unclean_shutdown(tmp_path: Path) -> None:
    folder, archive = tmp_path / "profile", tmp_path / "b.clinicbackup"
    backed_up_profile(folder, archive)
    leaf = damage_a_records_page(folder)
    proc = subprocess.run(
        [sys.executable, "-c", SIGN_IN, str(folder)],
        env=env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (folder / "records.db-wal").stat().st_size > 0  # its sign-in is in the log
    # The quick check at open fails on the page instead of reporting it: named, never raw.
    with pytest.raises(DatabaseDamaged, match=f"page {leaf}"):
        Store.unlock(folder, USER, PASS)
    proc = cli("--profile", folder, "export", "--format", "fhir", "--out", tmp_path / "x.json")
    assert proc.returncode == DatabaseDamaged.exit_status, proc.stderr
    assert proc.stderr.strip().endswith("[DB_DAMAGED]") and len(proc.stderr.splitlines()) == 1
    assert not (tmp_path / "x.json").exists()

    out, moved = restore_over(folder, archive)
    assert f"not in the restored profile: {AFTER} ({SENT} had been sent" in out
    recovery_hint(out, moved)


def test_a_damaged_change_log(tmp_path: Path) -> None:
    folder, archive = tmp_path / "profile", tmp_path / "b.clinicbackup"
    backed_up_profile(folder, archive, after=False)
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, str(folder), "40"],
        env=env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    wal = folder / "records.db-wal"
    assert wal.stat().st_size > 10 * (4096 + 24)
    flip(wal, 32 + 4 * (4096 + 24) + 24 + 1500)  # SQLite would drop every commit after it
    with pytest.raises(LogDamaged):
        Store.unlock(folder, USER, PASS)

    out, moved = restore_over(folder, archive)
    line = next(x for x in out.splitlines() if x.startswith("Changes made after the backup"))
    assert "or more (part of it could not be read)" in line and "0 had been sent" in line
    assert "its change log is damaged" in out
    # The mark says how many were saved (40 writes and the backup's own audit entry at least).
    mark_line = next(x for x in out.splitlines() if x.startswith("Its high-water mark"))
    assert int(mark_line.split(": ")[1].split()[0]) >= 40
    assert "fewer changes than that mark" in out
    recovery_hint(out, moved)


def test_a_database_behind_its_mark(tmp_path: Path) -> None:
    folder, archive = tmp_path / "profile", tmp_path / "b.clinicbackup"
    backed_up_profile(folder, archive, after=False)
    old = (folder / "records.db").read_bytes()  # an old copy, taken with the program closed
    store = Store.unlock(folder, USER, PASS)
    try:
        for i in range(AFTER):
            store.put(patient(f"late{i:03d}"))
    finally:
        store.lock()
    (folder / "records.db").write_bytes(old)  # put back over the newer one
    with pytest.raises(StoreBehind):
        Store.unlock(folder, USER, PASS)

    out, moved = restore_over(folder, archive)
    # Its database holds nothing newer than the backup, but its mark knows better.
    assert "none is missing from its outbox" in out
    mark_line = next(x for x in out.splitlines() if x.startswith("Its high-water mark"))
    assert int(mark_line.split(": ")[1].split()[0]) >= AFTER
    assert "fewer changes than that mark" in out
    recovery_hint(out, moved)


def test_a_missing_key_file(tmp_path: Path) -> None:
    folder, archive = tmp_path / "profile", tmp_path / "b.clinicbackup"
    backed_up_profile(folder, archive)
    (folder / "keys.json").unlink()
    with pytest.raises(KeyFileMissing):
        Store.unlock(folder, USER, PASS)
    # Records are there without their key file: still a profile, replaced only when asked.
    before = files(folder)
    with pytest.raises(ProfileExists):
        restore(archive, folder, USER, PASS)
    proc = cli("--profile", folder, "restore", archive)
    assert proc.returncode == ProfileExists.exit_status and "--replace" in proc.stderr
    assert files(folder) == before and len(list(tmp_path.iterdir())) == 2

    out, moved = restore_over(folder, archive)  # read with the backup's key
    assert f"not in the restored profile: {AFTER} ({SENT} had been sent" in out
    mark_line = next(x for x in out.splitlines() if x.startswith("Its high-water mark"))
    assert int(mark_line.split(": ")[1].split()[0]) >= AFTER
    assert "fewer changes than that mark" not in out
    recovery_hint(out, moved)
    assert f"copy keys.json from {folder} into {moved} first" in out


def test_an_empty_database_leaves_only_the_mark_to_tell(tmp_path: Path) -> None:
    folder, archive = tmp_path / "profile", tmp_path / "b.clinicbackup"
    backed_up_profile(folder, archive)
    (folder / "records.db").write_bytes(b"")
    with pytest.raises(DatabaseMissing):
        Store.unlock(folder, USER, PASS)

    out, moved = restore_over(folder, archive)
    assert "Changes made after the backup" not in out
    assert "its record database cannot be read" in out
    mark_line = next(x for x in out.splitlines() if x.startswith("Its high-water mark"))
    assert int(mark_line.split(": ")[1].split()[0]) >= AFTER
    recovery_hint(out, moved)


def test_a_healthy_profile_with_nothing_after_the_backup(tmp_path: Path) -> None:
    folder, archive = tmp_path / "profile", tmp_path / "b.clinicbackup"
    backed_up_profile(folder, archive, after=False)
    report = restore(archive, folder, USER, PASS, replace=True)
    assert report.previous is not None and report.replaced is not None
    assert report.missing == 0 and report.replaced.exact
    assert report.counts == {"Patient": BACKED_UP}
    assert not report.needs_recovery  # audit entries only (the backup's own, the sign-ins)
    text = "\n".join(report.lines())
    assert "none is missing from its outbox" in text and "clinic-app rebuild" not in text
