"""Fault injection on real files and real file systems: every fault ends in its named error.

A full disk is a size-limited tmpfs the test mounts; a read-only and a failing disk are a small
loop-mounted ext4 remounted read-only or shut down (``EXT4_IOC_SHUTDOWN``: every further
operation fails with EIO; this kernel has no device-mapper, so no ``error`` target); a
permission failure is root without ``CAP_DAC_OVERRIDE``. Damage is bytes flipped or cut in the
profile's own files. The command line is run as a real process, so that anything SQLCipher
writes to the process's stderr would be seen.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local_store.errors import (
    AttachmentDamaged,
    DatabaseDamaged,
    DatabaseMissing,
    DatabaseTruncated,
    DiskFull,
    KeyFileDamaged,
    KeyFileMissing,
    KeyMismatch,
    PermissionDenied,
    ProfileExists,
    ReadOnlyMedium,
    StorageIOError,
    WrongPassphrase,
)
from local_store.store import Store
from tests.support import small_disk

REPO = Path(__file__).resolve().parents[2]
USER = "dr.fault"
PASS = "fault injection passphrase"

pytestmark = pytest.mark.skipif(bool(small_disk.available()), reason=str(small_disk.available()))


def patient(rid: str, pad: int = 0) -> dict:
    return {"resourceType": "Patient", "id": rid, "name": [{"text": "P " + "x" * pad}]}


def cli(
    *argv: object, passphrase: str = PASS, wrap=None, **env: str
) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "clinic_app.cli", *(str(a) for a in argv)]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    full_env.update(PYTHONPATH=str(REPO), CLINIC_PASSPHRASE=passphrase, CLINIC_USER=USER, **env)
    return subprocess.run(
        wrap(cmd) if wrap else cmd, env=full_env, capture_output=True, text=True, timeout=120
    )


def one_line(proc: subprocess.CompletedProcess, code: str, status: int) -> str:
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr  # no SQLCipher log lines, no traceback
    assert lines[0].startswith("error: ") and lines[0].endswith(f"[{code}]"), lines[0]
    assert proc.returncode == status, (proc.returncode, lines[0])
    return lines[0]


def make_profile(folder: Path, n: int = 10) -> list[str]:
    store, _ = Store.create(folder, USER, PASS)
    ids = [f"p{i:03d}" for i in range(n)]
    try:
        for rid in ids:
            store.put(patient(rid))
    finally:
        store.lock()
    return ids


def assert_all_there(folder: Path, ids: list[str]) -> None:
    store = Store.unlock(folder, USER, PASS)
    try:
        assert store.integrity_check() == ["ok"]
        assert store.verify_audit().ok
        for rid in ids:
            store.get("Patient", rid)
    finally:
        store.lock()


# ------------------------------------------------------------------------- a full disk --
def test_full_disk_names_the_folder_saves_nothing_and_loses_nothing(tmp_path):
    with small_disk.tmpfs(tmp_path / "disk", 6 * 1024) as disk:
        profile = disk / "profile"
        ids = make_profile(profile)
        store = Store.unlock(profile, USER, PASS)
        filler = small_disk.fill(disk)
        acked = list(ids)
        with pytest.raises(DiskFull) as err:
            for i in range(3000):
                store.put(patient(f"full-{i:04d}", pad=3000))
                acked.append(f"full-{i:04d}")
        failed = f"full-{len(acked) - len(ids):04d}"
        msg = str(err.value)
        assert str(profile) in msg and "Nothing was saved" in msg and "more is needed" in msg
        assert "damaged" not in msg and "key" not in msg
        # An attachment on the full disk: the same named error, no temporary file left.
        with pytest.raises(DiskFull):
            store.add_attachment(io.BytesIO(os.urandom(300_000)), "image/png")
        assert not [p for p in (profile / "attachments").iterdir() if p.name.startswith(".")]
        small_disk.free_up(filler)
        store.put(patient("after-freeing"))
        store.lock()
        assert_all_there(profile, [*acked, "after-freeing"])
        store = Store.unlock(profile, USER, PASS)
        try:
            assert store.version_of(failed) is None  # the failed write did not happen
        finally:
            store.lock()


def test_backup_to_a_full_stick_leaves_nothing_and_says_where(tmp_path):
    profile = tmp_path / "profile"
    make_profile(profile, 50)
    with small_disk.tmpfs(tmp_path / "stick", 64) as stick:
        proc = cli("--profile", profile, "backup", "--out", stick)
        line = one_line(proc, "DISK_FULL", DiskFull.exit_status)
        assert str(stick) in line and "No backup file was left behind" in line
        assert list(stick.iterdir()) == []
    with small_disk.tmpfs(tmp_path / "stick2", 2048) as stick:
        store = Store.unlock(profile, USER, PASS)
        try:
            # The free-space check passes; the disk fills while the archive is written.
            small_disk.fill(stick, leave=store._backup_size() + 8192)
            (stick / "filler.bin").unlink()
            small_disk.fill(stick, leave=store._backup_size() // 2)
            with pytest.raises(DiskFull):
                store.backup(stick)
        finally:
            store.lock()
        assert [p.name for p in stick.iterdir()] == ["filler.bin"]


def test_cli_on_a_full_disk_is_one_line_with_its_code(tmp_path):
    with small_disk.tmpfs(tmp_path / "disk", 6 * 1024) as disk:
        profile = disk / "profile"
        make_profile(profile)
        bundle = tmp_path / "big.ndjson"
        pad = "y" * 900
        lines = [
            json.dumps({"resourceType": "Patient", "id": f"imp-{i:05d}", "name": [{"text": pad}]})
            for i in range(6000)
        ]
        bundle.write_text("\n".join(lines))
        proc = cli("--profile", profile, "import", bundle)
        line = one_line(proc, "DISK_FULL", DiskFull.exit_status)
        assert str(profile) in line and "Nothing was saved" in line
        store = Store.unlock(profile, USER, PASS)
        try:
            assert store.version_of("imp-00000") is None  # all or nothing
        finally:
            store.lock()


# ------------------------------------------------------------- read-only, failing, forbidden --
def test_read_only_medium(tmp_path):
    with small_disk.ext4(tmp_path / "ro", 16) as mnt:
        profile = mnt / "profile"
        make_profile(profile)
        small_disk.remount_read_only(mnt)
        proc = cli("--profile", profile, "info")
        line = one_line(proc, "READ_ONLY", ReadOnlyMedium.exit_status)
        assert "read-only" in line and str(profile) in line


def test_io_error_of_a_failing_disk(tmp_path):
    with small_disk.ext4(tmp_path / "eio", 16) as mnt:
        profile = mnt / "profile"
        make_profile(profile)
        store = Store.unlock(profile, USER, PASS)
        small_disk.shut_down(mnt)
        with pytest.raises(StorageIOError) as err:
            store.put(patient("after-shutdown"))
        assert "input/output error" in str(err.value)
        with pytest.raises(StorageIOError):
            store.backup(tmp_path)
        store.lock()
        proc = cli("--profile", profile, "info")
        one_line(proc, "IO_ERROR", StorageIOError.exit_status)


def test_permission_denied(tmp_path):
    profile = tmp_path / "profile"
    make_profile(profile)
    (profile / "records.db").chmod(0o400)
    (profile / "keys.json").chmod(0o000)
    wrap = small_disk.without_dac_override
    line = one_line(cli("--profile", profile, "info", wrap=wrap), "PERMISSION_DENIED", 23)
    assert "keys.json" in line or str(profile) in line
    (profile / "keys.json").chmod(0o600)
    line = one_line(cli("--profile", profile, "info", wrap=wrap), "PERMISSION_DENIED", 23)
    (profile / "records.db").chmod(0o600)
    assert PermissionDenied.exit_status == 23
    assert_all_there(profile, [])


# ---------------------------------------------------------------------- damaged profiles --
def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def test_damaged_page_is_named_not_a_key_problem(tmp_path):
    profile = tmp_path / "profile"
    make_profile(profile, 200)
    db = profile / "records.db"
    # A page of the records table (its root: every read and the export go through it; which
    # table a page near the end belongs to depends on the layout of the schema's history).
    store = Store.unlock(profile, USER, PASS)
    try:
        (page,) = store.conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'records'"
        ).fetchone()
    finally:
        store.lock()
    flip(db, (page - 1) * 4096 + 1000)
    with pytest.raises(DatabaseDamaged) as err:
        store = Store.unlock(profile, USER, PASS)
        try:
            [store.get("Patient", f"p{i:03d}") for i in range(200)]
            store.integrity_check()
        finally:
            store.lock()
    assert not isinstance(err.value, KeyMismatch)
    assert f"page {page}" in str(err.value)
    proc = cli("--profile", profile, "export", "--format", "fhir", "--out", tmp_path / "x.json")
    line = one_line(proc, "DB_DAMAGED", DatabaseDamaged.exit_status)
    assert "cannot be read with this profile's key" not in line
    assert not (tmp_path / "x.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_first_page_damaged_is_damage_and_another_database_is_the_key(tmp_path):
    profile = tmp_path / "profile"
    make_profile(profile, 50)
    good = (profile / "records.db").read_bytes()
    flip(profile / "records.db", 300)
    with pytest.raises(DatabaseDamaged) as err:
        Store.unlock(profile, USER, PASS)
    assert "page 1" in str(err.value)
    other = tmp_path / "other"
    make_profile(other, 3)
    (profile / "records.db").write_bytes((other / "records.db").read_bytes())
    with pytest.raises(KeyMismatch) as err2:
        Store.unlock(profile, USER, PASS)
    assert "cannot be read with this profile's key" in str(err2.value)
    one_line(cli("--profile", profile, "info"), "KEY_MISMATCH", KeyMismatch.exit_status)
    (profile / "records.db").write_bytes(good)
    assert_all_there(profile, ["p000"])


def test_truncated_file(tmp_path):
    profile = tmp_path / "profile"
    make_profile(profile, 200)
    db = profile / "records.db"
    size = db.stat().st_size
    os.truncate(db, size // 2 + 100)  # not a whole number of pages either
    with pytest.raises(DatabaseTruncated) as err:
        store = Store.unlock(profile, USER, PASS)
        try:
            store.integrity_check()
        finally:
            store.lock()
    assert "cut off" in str(err.value)
    os.truncate(db, (size // 4096 - 3) * 4096)  # whole pages, fewer than the header says
    line = one_line(cli("--profile", profile, "info"), "DB_TRUNCATED", 31)
    assert "cut off" in line


def test_empty_or_missing_database_is_an_error_never_a_new_profile(tmp_path):
    profile = tmp_path / "profile"
    make_profile(profile, 5)
    db = profile / "records.db"
    os.truncate(db, 0)
    with pytest.raises(DatabaseMissing):
        Store.unlock(profile, USER, PASS)
    proc = cli("--profile", profile, "export", "--format", "fhir", "--out", tmp_path / "e.json")
    line = one_line(proc, "DB_MISSING", DatabaseMissing.exit_status)
    assert "empty" in line
    assert db.stat().st_size == 0  # no schema was written into it
    assert not (tmp_path / "e.json").exists()
    db.unlink()
    line = one_line(cli("--profile", profile, "info"), "DB_MISSING", DatabaseMissing.exit_status)
    assert "missing" in line and not db.exists()


def test_missing_key_file_beside_records_never_says_run_init(tmp_path):
    profile = tmp_path / "profile"
    ids = make_profile(profile, 5)
    keys = profile / "keys.json"
    saved = keys.read_bytes()
    keys.unlink()
    with pytest.raises(KeyFileMissing):
        Store.unlock(profile, USER, PASS)
    line = one_line(cli("--profile", profile, "info"), "KEYS_MISSING", KeyFileMissing.exit_status)
    assert "do not run `clinic-app init`" in line
    # init refuses to move the records aside without being told to.
    with pytest.raises(ProfileExists):
        Store.create(profile, USER, PASS)
    proc = cli("--profile", profile, "init")
    assert proc.returncode == ProfileExists.exit_status and "--set-aside" in proc.stderr
    assert (profile / "records.db").exists() and not keys.exists()
    keys.write_bytes(saved)
    assert_all_there(profile, ids)
    # With the flag: the old database is kept, renamed, and a new profile made.
    keys.unlink()
    proc = cli("--profile", profile, "init", "--set-aside")
    assert proc.returncode == 0, proc.stderr
    kept = [p for p in profile.iterdir() if p.name.startswith("records.db.unkeyed-")]
    assert kept


def test_damaged_key_file_and_wrong_passphrase(tmp_path):
    profile = tmp_path / "profile"
    make_profile(profile, 2)
    keys = profile / "keys.json"
    good = keys.read_bytes()
    line = one_line(
        cli("--profile", profile, "info", passphrase="not the passphrase"),
        "WRONG_PASSPHRASE",
        WrongPassphrase.exit_status,
    )
    assert "passphrase is wrong" in line
    flip(keys, len(good) // 2)
    with pytest.raises(KeyFileDamaged):
        Store.unlock(profile, USER, PASS)
    line = one_line(cli("--profile", profile, "info"), "KEYS_DAMAGED", KeyFileDamaged.exit_status)
    assert "keys.json" in line and "init" not in line
    keys.write_bytes(good)


def test_damaged_attachment_is_named(tmp_path):
    profile = tmp_path / "profile"
    make_profile(profile, 1)
    store = Store.unlock(profile, USER, PASS)
    try:
        digest, _ = store.add_attachment(io.BytesIO(os.urandom(50_000)), "x/y")
        flip(store.attachments.path_for(digest), 5000)
        with pytest.raises(AttachmentDamaged):
            store.attachments.read_all(digest)
        assert store.attachments.verify(digest) == "damaged"
    finally:
        store.lock()
