"""``clinic-app check`` and the verified backup, on real profiles with real damage.

A byte is flipped in each kind of file of a profile (a database page, a frame of the change
log, the key file, a segment of an attachment): the check names the damaged part, with the
code and exit status of its fault, and changes nothing. ``backup`` refuses a damaged or missing
attachment (or leaves it out with a warning and the count) and reads its archive back before
the archive takes its name. The command line runs as a real process, as in test_faults.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from local_store import checkup
from local_store.errors import (
    AttachmentDamaged,
    DatabaseDamaged,
    IntegrityFailure,
    KeyFileDamaged,
    KeyFileMissing,
    LogDamaged,
    NoProfile,
    StorageIOError,
    StoreBehind,
    WrongPassphrase,
)
from local_store.store import Store

REPO = Path(__file__).resolve().parents[2]
USER = "dr.check"
PASS = "check passphrase 42"
PARTS = ["key file", "database", "change log", "high-water mark", "attachments"]

WRITER = """
import os, signal, sys
from local_store.store import Store
profile, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = Store.unlock(profile, "dr.check", "check passphrase 42")
for i in range(start, start + count):
    s.put({"resourceType": "Patient", "id": "w%05d" % i, "name": [{"text": "n" * 300}]})
    print(i, flush=True)
if os.environ.get("WRITER_KILL", "1") == "1":
    os.kill(os.getpid(), signal.SIGKILL)
s.lock()
"""


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    return {**base, "PYTHONPATH": str(REPO), **extra}


def cli(*argv: object, passphrase: str | None = PASS) -> subprocess.CompletedProcess:
    extra = {"CLINIC_USER": USER}
    if passphrase is not None:
        extra["CLINIC_PASSPHRASE"] = passphrase
    return subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", *(str(a) for a in argv)],
        env=env(**extra), capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def credentials(users: list[str]) -> tuple[str, str]:
    assert users == [USER]
    return USER, PASS


def check(profile: Path, full: bool = False) -> checkup.CheckReport:
    return checkup.check_profile(profile, credentials=credentials, full=full)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file's hash, but SQLite's log index (``-shm``) and an empty log, which a read-only
    connection may leave (they hold no data; an empty log is a clean shutdown)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not p.name.endswith("-shm")
        and not (p.name.endswith("-wal") and p.stat().st_size == 0)
    }


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def damaged_report_line(proc: subprocess.CompletedProcess, code: str, status: int) -> str:
    """The check's one error line on stderr, its code and its exit status."""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: The profile is damaged"), lines[0]
    assert lines[0].endswith(f"[{code}]"), lines[0]
    assert proc.returncode == status, (proc.returncode, lines[0])
    return lines[0]


def part_lines(proc: subprocess.CompletedProcess) -> dict[str, str]:
    """Part name -> its line in the report on stdout (one line per part)."""
    found = {}
    for line in proc.stdout.splitlines()[1:]:
        for name in [*PARTS, "audit log"]:
            if line.strip().startswith(name + " "):
                found[name] = line.strip()
    return found


@pytest.fixture
def profile(tmp_path) -> dict:
    """A closed profile: 150 patients, a 2.5 MB attachment (three segments) and a small one."""
    folder = tmp_path / "profile"
    store, _ = Store.create(folder, USER, PASS)
    try:
        for i in range(150):
            store.put({"resourceType": "Patient", "id": f"p{i:03d}", "name": [{"text": "x" * 200}]})
        big, _ = store.add_attachment(io.BytesIO(os.urandom(2_500_000)), "image/png")
        small, _ = store.add_attachment(io.BytesIO(b"ecg trace " * 500), "text/plain")
    finally:
        store.lock()
    return {"path": folder, "big": big, "small": small}


# ------------------------------------------------------------------------ a clean profile --
def test_a_clean_profile_passes_every_part(profile):
    folder = profile["path"]
    before = snapshot(folder)
    for full in (False, True):
        report = check(folder, full=full)
        names = [p.name for p in report.parts]
        assert names == ([*PARTS[:4], "audit log", "attachments"] if full else PARTS)
        assert report.ok and report.exit_status == 0 and report.fault is None, report.lines()
        assert all(p.verdict == "ok" for p in report.parts), report.lines()
        assert "2 of 2 decrypt and verify" in report.part("attachments").detail
        assert ("integrity_check: ok" if full else "quick_check: ok") in report.part(
            "database"
        ).detail
    assert snapshot(folder) == before  # the check wrote nothing

    proc = cli("--profile", folder, "check", "--full")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    lines = part_lines(proc)
    assert set(lines) == set(PARTS) | {"audit log"}
    assert all(" ok " in line for line in lines.values()), proc.stdout
    assert proc.stdout.splitlines()[-1] == "No damage found."


def test_the_open_store_checks_itself_through_the_profile_service(profile):
    from clinic_app.clinic import Clinic

    with Clinic.open(profile["path"], USER, PASS) as clinic:
        clinic.patients  # noqa: B018 - the clinic is fully built
        report = clinic.profile.check(full=True)
        assert report.ok, report.lines()
        health = clinic.profile.health()
        assert health[0].startswith("Health: ")
        assert "nothing acknowledged is missing" in health[1]
        # The store keeps working after its check.
        clinic.store.put({"resourceType": "Patient", "id": "after-check"})
    assert check(profile["path"]).ok


def test_no_profile_and_a_wrong_passphrase_are_errors_not_reports(tmp_path, profile):
    with pytest.raises(NoProfile):
        check(tmp_path / "nowhere")
    with pytest.raises(WrongPassphrase):
        checkup.check_profile(profile["path"], credentials=lambda users: (USER, "wrong"))
    proc = cli("--profile", profile["path"], "check", passphrase="not it")
    assert proc.returncode == WrongPassphrase.exit_status
    assert proc.stderr.strip().endswith("[WRONG_PASSPHRASE]") and proc.stdout == ""


# ------------------------------------------------------------------------ damaged parts --
def test_a_flipped_database_page_is_named_with_its_page(profile):
    folder = profile["path"]
    db = folder / "records.db"
    pages = db.stat().st_size // 4096
    flip(db, (pages - 2) * 4096 + 1000)
    before = snapshot(folder)
    report = check(folder)
    part = report.part("database")
    assert part.verdict == "damaged" and part.fault is DatabaseDamaged
    assert f"page {pages - 1}" in part.detail
    assert report.exit_status == DatabaseDamaged.exit_status == 30
    assert snapshot(folder) == before

    proc = cli("--profile", folder, "check")
    line = damaged_report_line(proc, "DB_DAMAGED", DatabaseDamaged.exit_status)
    assert "restore" in line.lower()
    assert "DAMAGED" in part_lines(proc)["database"]
    assert "Traceback" not in proc.stderr
    assert snapshot(folder) == before


def test_a_flipped_frame_of_the_log_is_named_and_left_as_it_is(profile):
    folder = profile["path"]
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, str(folder), "0", "40"],
        env=env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    wal = folder / "records.db-wal"
    assert wal.stat().st_size > 10 * (4096 + 24)
    # Damage the page data of an early frame: SQLite would stop its replay there and drop
    # every change committed after it, without a word.
    flip(wal, 32 + 2 * (4096 + 24) + 24 + 1500)
    before = snapshot(folder)
    report = check(folder)
    log_part = report.part("change log")
    assert log_part.verdict == "damaged" and log_part.fault is LogDamaged, report.lines()
    assert "committed changes after it cannot be read" in log_part.detail
    mark = report.part("high-water mark")
    assert mark.verdict == "damaged" and mark.fault in (LogDamaged, StoreBehind)
    assert "missing" in mark.detail
    assert report.part("database").verdict == "ok"
    assert report.exit_status == LogDamaged.exit_status == 32
    assert snapshot(folder) == before  # read-only: the loss was not made final

    proc = cli("--profile", folder, "check", "--full")
    damaged_report_line(proc, "LOG_DAMAGED", LogDamaged.exit_status)
    assert snapshot(folder) == before


def test_a_flipped_byte_in_the_key_file_needs_no_passphrase_to_be_named(profile):
    folder = profile["path"]
    keys = folder / "keys.json"
    good = keys.read_bytes()
    flip(keys, len(good) // 2)
    report = checkup.check_profile(folder, credentials=None)  # never asked for
    assert report.part("key file").fault is KeyFileDamaged
    assert [p.verdict for p in report.parts[1:]] == ["unchecked"] * 4
    assert report.exit_status == KeyFileDamaged.exit_status == 41

    proc = cli("--profile", folder, "check", passphrase=None)  # no terminal, no passphrase
    line = damaged_report_line(proc, "KEYS_DAMAGED", KeyFileDamaged.exit_status)
    assert "keys.json" in line and "do not run `clinic-app init`" in line
    assert "not checked" in part_lines(proc)["database"]

    keys.unlink()
    proc = cli("--profile", folder, "check", passphrase=None)
    damaged_report_line(proc, "KEYS_MISSING", KeyFileMissing.exit_status)
    keys.write_bytes(good)
    assert check(folder).ok


def test_a_flipped_attachment_segment_and_a_missing_file_are_counted(profile):
    folder = profile["path"]
    big = folder / "attachments" / profile["big"]
    flip(big, 24 + 2 * (4 + 12 + 1024 * 1024 + 16) + 777)  # inside the third segment
    (folder / "attachments" / profile["small"]).unlink()
    report = check(folder)
    part = report.part("attachments")
    assert part.verdict == "damaged" and part.fault is AttachmentDamaged
    assert "0 of 2 decrypt and verify" in part.detail
    assert "1 damaged" in part.detail and "1 missing" in part.detail
    assert set(part.items) == {profile["big"], profile["small"]}
    assert [p.verdict for p in report.parts[:4]] == ["ok"] * 4  # the records are sound
    assert report.exit_status == AttachmentDamaged.exit_status == 35
    proc = cli("--profile", folder, "check")
    line = damaged_report_line(proc, "ATTACHMENT_DAMAGED", AttachmentDamaged.exit_status)
    assert "records are sound" in line


# ---------------------------------------------------------------------- verified backup --
def test_backup_refuses_a_damaged_attachment_and_leaves_nothing(profile, tmp_path):
    folder = profile["path"]
    flip(folder / "attachments" / profile["small"], 60)
    out = tmp_path / "stick"
    out.mkdir()
    store = Store.unlock(folder, USER, PASS)
    try:
        with pytest.raises(AttachmentDamaged) as err:
            store.backup(out)
        assert "1 of 2 attachments" in str(err.value) and "1 damaged" in str(err.value)
        assert "--skip-damaged" in str(err.value)
        assert "backup" not in [e["action"] for e in store.audit_entries(limit=5)]
    finally:
        store.lock()
    assert list(out.iterdir()) == []  # no archive, no partial file, no temporary folder

    proc = cli("--profile", folder, "backup", "--out", out)
    assert proc.returncode == AttachmentDamaged.exit_status
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].endswith("[ATTACHMENT_DAMAGED]"), proc.stderr
    assert "1 of 2 attachments" in lines[0]
    assert list(out.iterdir()) == []


def test_backup_skip_damaged_warns_with_the_count_and_the_restore_is_truthful(profile, tmp_path):
    folder = profile["path"]
    flip(folder / "attachments" / profile["big"], 100_000)
    (folder / "attachments" / profile["small"]).unlink()
    out = tmp_path / "stick"
    out.mkdir()
    proc = cli("--profile", folder, "backup", "--out", out, "--skip-damaged")
    assert proc.returncode == 0, proc.stderr
    warning = proc.stderr.splitlines()
    assert len(warning) == 1 and warning[0].startswith("warning: 2 attachments were left out")
    assert "1 damaged, 1 missing" in warning[0]
    assert "verified" in proc.stdout
    [archive] = list(out.iterdir())
    with zipfile.ZipFile(archive) as zf:
        assert not [n for n in zf.namelist() if n.startswith("attachments/")]
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["attachments_left_out"] == 2 and manifest["attachments"] == 0

    restored = tmp_path / "restored"
    Store.restore(archive, restored, USER, PASS)
    report = check(restored)
    assert report.part("attachments").detail.startswith("0 of 2 decrypt and verify; 2 missing")
    assert [p.verdict for p in report.parts[:4]] == ["ok"] * 4
    store = Store.unlock(restored, USER, PASS)
    try:
        assert store.count("Patient") == 150
    finally:
        store.lock()


def test_the_written_archive_is_read_back_and_checked(profile, tmp_path):
    folder = profile["path"]
    store = Store.unlock(folder, USER, PASS)
    try:
        result = store.write_backup(tmp_path / "b.clinicbackup")
        assert result.attachments == 2 and not result.left_out
        assert result.counts["records:Patient"] == 150
        assert result.counts["attachments"] == 2
        vault = store.attachments
        key = store._data_key()
    finally:
        store.lock()
    archive = result.path
    with zipfile.ZipFile(archive) as zf:
        header = zf.read("keys.json")
        info = zf.getinfo(f"attachments/{profile['big']}")
    expect = checkup.ArchiveExpectation(
        header, result.counts, json.loads(zipfile.ZipFile(archive).read("manifest.json"))["schema"],
        (profile["big"], profile["small"]),
    )  # fmt: skip
    vault = checkup.vault_for(folder, key)
    work = tmp_path / "work"
    work.mkdir()
    checkup.check_archive(archive, key, expect, vault, work)  # what backup itself did
    assert list(work.iterdir()) == []

    # Other counts than the source's: the copy is refused.
    wrong = checkup.ArchiveExpectation(
        header, {**result.counts, "records:Patient": 151}, expect.schema, expect.attachments
    )
    with pytest.raises(IntegrityFailure) as err:
        checkup.check_archive(archive, key, wrong, vault, work)
    assert "does not hold what the profile held" in str(err.value)

    # An attachment that does not read back as written (a failing stick): refused too.
    raw = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw[start + 5000] ^= 0x01
    bad = tmp_path / "bad.clinicbackup"
    bad.write_bytes(bytes(raw))
    (work / "records.db").unlink(missing_ok=True)
    with pytest.raises(StorageIOError) as err2:
        checkup.check_archive(bad, key, expect, vault, work)
    assert "does not read back as it was written" in str(err2.value)


def test_backup_while_another_process_writes_matches_its_snapshot(profile, tmp_path):
    """The workstation keeps writing during a backup (another process here): the copy, its
    counts and its attachments come from one snapshot, so the read-back check holds."""
    folder = profile["path"]
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder), "0", "400"],
        env=env(WRITER_KILL="0"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout is not None
        for _ in range(20):  # it is writing
            writer.stdout.readline()
        store = Store.unlock(folder, USER, PASS)
        try:
            archives = [store.write_backup(tmp_path / f"live-{n}.clinicbackup") for n in range(3)]
        finally:
            store.lock()
    finally:
        writer.communicate(timeout=120)
    assert writer.returncode == 0
    seen = [a.counts["records:Patient"] for a in archives]
    assert seen == sorted(seen) and 150 < seen[0] <= 550
    restored = tmp_path / "restored"
    Store.restore(archives[-1].path, restored, USER, PASS)
    assert check(restored, full=True).ok
    store = Store.unlock(restored, USER, PASS)
    try:
        assert store.count("Patient") == seen[-1]
    finally:
        store.lock()


# ---------------------------------------------------------------------------- info --
def test_info_shows_the_health_in_two_lines(profile):
    folder = profile["path"]
    proc = cli("--profile", folder, "info")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1] == "Health: closed cleanly last time, no check needed at open."
    assert lines[2].startswith("High-water mark: change ")
    assert "nothing acknowledged is missing" in lines[2]
    # After an unclean shutdown: the quick check made at open is reported.
    killed = subprocess.run(
        [sys.executable, "-c", WRITER, str(folder), "0", "5"],
        env=env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    proc = cli("--profile", folder, "info")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == "Health: checked after an unclean shutdown: ok."
