"""Automatic backups (``clinic.backups``) on a real encrypted profile and a real folder: a run
writes a verified archive that restores to the same records and attachments; rotation keeps N
daily and M weekly archives, the newest good one, and never a file that is not ours (an
injectable clock stands in for the days: nothing sleeps); a missing, full or read-only folder
is a named error that changes nothing; status warns when the newest good backup is too old."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clinic_app.clinic import Clinic
from clinic_app.domains.backups import GOOD_META, Archive, BackupsOff, archive_name, ours, to_keep
from clinic_app.errors import ValidationError
from local_store.errors import DiskFull, IntegrityFailure, MediumRemoved, ReadOnlyMedium
from local_store.store import Store
from tests.support import small_disk

USER = "dr.test"
PASSPHRASE = "test-passphrase-1"
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def patient(n: int) -> dict:
    return {"resourceType": "Patient", "id": f"p-{n:04d}", "name": [{"text": f"Test {n}"}]}


@pytest.fixture
def clinic(tmp_path):
    store, _recovery = Store.create(tmp_path / "profile", USER, PASSPHRASE)
    for n in range(12):
        store.put(patient(n), patient_id=f"p-{n:04d}")
    store.add_attachment(io.BytesIO(b"ECG trace " * 5000), "application/pdf")
    c = Clinic(store)
    c.backups.clock = Clock(START)
    yield c
    c.close()


@pytest.fixture
def usb(tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def what_is_there(clinic: Clinic, folder: Path) -> tuple:
    """What a refused run must leave as it was: the folder's files, the records, the meta."""
    files = sorted(p.name for p in folder.iterdir()) if folder.exists() else None
    return files, clinic.store.counts(), clinic.store.get_meta(GOOD_META)


def test_run_writes_a_verified_archive_that_restores_to_the_same_records(clinic, usb, tmp_path):
    clinic.backups.configure(target=str(usb))
    assert clinic.backups.due()
    result = clinic.backups.run()
    assert result.path.parent == usb
    assert result.path.name == archive_name(clinic.store.store_id, START)
    assert result.verified.records == 12 and result.verified.counts == {"Patient": 12}
    assert result.verified.attachments == 1 and result.verified.missing_attachments == 0
    assert [p.name for p in usb.iterdir()] == [result.path.name]  # no partial files
    assert b"Test 3" not in result.path.read_bytes()  # encrypted
    status = clinic.backups.status()
    assert status.warning == "" and status.target_state == "ok"
    assert status.newest_good == START and status.newest_name == result.path.name
    assert not clinic.backups.due()

    previous = Store.restore(result.path, tmp_path / "restored", USER, PASSPHRASE)
    assert previous is None
    restored = Store.unlock(tmp_path / "restored", USER, PASSPHRASE)
    try:
        assert restored.counts() == clinic.store.counts()
        assert restored.get("Patient", "p-0007")["name"][0]["text"] == "Test 7"
        (digest,) = [d for (d,) in restored.conn.execute("SELECT digest FROM attachments")]
        assert restored.attachments.read_all(digest) == b"ECG trace " * 5000
    finally:
        restored.lock()


def test_a_damaged_attachment_refuses_the_run_and_changes_nothing(clinic, usb):
    """The store verifies what it copies; a refusal leaves the folder and the profile as
    they were (no partial file, no good backup recorded)."""
    clinic.backups.configure(target=str(usb))
    (vault_file,) = [p for p in (clinic.store.profile / "attachments").rglob("*") if p.is_file()]
    data = bytearray(vault_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    vault_file.write_bytes(bytes(data))
    before = what_is_there(clinic, usb)
    with pytest.raises(IntegrityFailure, match="damaged"):
        clinic.backups.run()
    assert what_is_there(clinic, usb) == before
    assert clinic.backups.status().warning == "never"


def test_rotation_keeps_n_daily_and_m_weekly_and_never_other_files(clinic, usb):
    clinic.backups.configure(target=str(usb), keep_daily=3, keep_weekly=2, interval_hours=24)
    foreign = [
        "notes.txt",
        archive_name("0123abcd-other-profile", START),  # another workstation's backups
        "clinic-backup-old-style.clinicbackup",
    ]
    for name in foreign:
        (usb / name).write_bytes(b"not ours")
    clock = clinic.backups.clock
    made = []
    for day in range(17):  # one a day for 17 days, two on the last day
        clock.now = START + timedelta(days=day)
        made.append(clinic.backups.run().path.name)
    clock.now += timedelta(hours=5)
    made.append(clinic.backups.run().path.name)

    kept = sorted(a.name for a in ours(usb, clinic.store.store_id))
    # daily: the newest of each of the last 3 days; weekly: the newest of this ISO week and
    # of the one before (Sunday 15 March, day 13)
    expected = sorted([made[-1], made[15], made[14], made[13]])
    assert kept == expected
    assert made[16] not in kept  # the same day's earlier one gave way to the later one
    for name in foreign:
        assert (usb / name).read_bytes() == b"not ours"
    good = json.loads(clinic.store.get_meta(GOOD_META))
    assert sorted(e["name"] for e in good) == expected  # the record follows what is there


def test_keep_rules_with_fake_times_and_the_newest_good_one_is_never_removed():
    def archive(when: datetime) -> Archive:
        return Archive(Path(f"/x/{when:%Y%m%d%H}"), when)

    days = [archive(START + timedelta(days=d, hours=h)) for d in range(40) for h in (0, 6)]
    keep = to_keep(days, keep_daily=7, keep_weekly=4, newest_good=None)
    newest_first = sorted(days, key=lambda a: a.made, reverse=True)
    daily = {a.name for a in newest_first[:14:2]}  # the later one of each of the last 7 days
    assert daily <= keep
    weeks = {a.made.astimezone().isocalendar()[:2] for a in days if a.name in keep}
    assert len(weeks) == 4
    assert len(keep) <= 7 + 4
    # an unverified newer file of ours takes the daily place; the newest good one stays anyway
    good = days[10].name
    assert good in to_keep(days, keep_daily=1, keep_weekly=0, newest_good=good)
    assert to_keep(days, keep_daily=1, keep_weekly=0, newest_good=None) == {newest_first[0].name}


def test_target_missing_is_named_and_changes_nothing(clinic, tmp_path):
    with pytest.raises(BackupsOff):
        clinic.backups.run()
    stick = tmp_path / "stick"
    stick.mkdir()
    clinic.backups.configure(target=str(stick))
    clinic.backups.run()
    stick.rename(tmp_path / "elsewhere")  # the stick is pulled out
    before = what_is_there(clinic, stick)
    clinic.backups.clock.now += timedelta(days=3)
    with pytest.raises(MediumRemoved, match="is not there"):
        clinic.backups.run()
    assert not stick.exists()  # never made on the local disk
    assert what_is_there(clinic, stick) == before
    assert not clinic.backups.due()
    status = clinic.backups.status()
    assert status.target_state == "missing" and status.warning == "missing"
    assert status.newest_good == START  # still known, from the profile's record


def test_bad_settings_are_refused_one_line_and_nothing_changes(clinic, tmp_path):
    clinic.backups.configure(target=str(tmp_path), keep_daily=5)
    plan = clinic.backups.plan()
    cases = [
        {"keep_daily": 0},
        {"keep_weekly": "many"},
        {"interval_hours": 24 * 8},
        {"target": "relative/folder"},
        {"target": str(tmp_path / "nowhere")},
        {"target": str(clinic.store.profile / "attachments")},
        {"colour": "blue"},
        {"keep_daily": 9, "warn_after_days": 0},  # the good one is not kept either
    ]
    for case in cases:
        with pytest.raises(ValidationError) as err:
            clinic.backups.configure(**case)
        assert "\n" not in str(err.value)
        assert clinic.backups.plan() == plan


def test_status_warns_when_the_newest_good_backup_is_too_old(clinic, usb):
    assert clinic.backups.status().warning == "off"
    clinic.backups.configure(target=str(usb), warn_after_days=2, interval_hours=24)
    assert clinic.backups.status().warning == "never"
    clinic.backups.run()
    clock = clinic.backups.clock
    clock.now = START + timedelta(days=1, hours=1)
    status = clinic.backups.status()
    assert status.warning == "" and status.due  # due after a day, not yet a warning
    clock.now = START + timedelta(days=2, hours=1)
    status = clinic.backups.status()
    assert status.warning == "too_old" and status.age == timedelta(days=2, hours=1)
    assert "2 days old" in status.message()
    # a backup that vanished from the folder is not counted as good
    (usb / status.newest_name).unlink()
    assert clinic.backups.status().warning == "never"


needs_mounts = pytest.mark.skipif(bool(small_disk.available()), reason=str(small_disk.available()))


@needs_mounts
def test_a_full_stick_is_disk_full_and_leaves_no_file(clinic, tmp_path):
    with small_disk.tmpfs(tmp_path / "small", 512) as disk:
        clinic.backups.configure(target=str(disk))
        filler = small_disk.fill(disk, leave=300 * 1024)
        before = what_is_there(clinic, disk)
        with pytest.raises(DiskFull, match="disk is full"):
            clinic.backups.run()
        assert what_is_there(clinic, disk) == before
        small_disk.free_up(filler)


@needs_mounts
def test_a_read_only_stick_is_named_and_leaves_no_file(clinic, tmp_path):
    with small_disk.tmpfs(tmp_path / "ro", 4096) as disk:
        clinic.backups.configure(target=str(disk))
        small_disk.remount_read_only(disk)
        before = what_is_there(clinic, disk)
        with pytest.raises(ReadOnlyMedium):
            clinic.backups.run()
        assert what_is_there(clinic, disk) == before
        assert clinic.backups.status().warning == "unwritable"


def test_cli_backups_set_run_status(clinic, usb, tmp_path):
    profile = clinic.store.profile
    clinic.close()  # the command opens the profile itself
    env = {"CLINIC_PASSPHRASE": PASSPHRASE, "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "clinic_app.cli", "--profile", str(profile), *args],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip

    off = cli("backups", "run")
    assert off.returncode == 9 and "[BACKUPS_OFF]" in off.stderr
    status = cli("backups", "status")
    assert status.returncode == 1 and "off" in status.stdout
    bad = cli("backups", "set", "--keep-daily", "0")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    ok = cli("backups", "set", "--target", str(usb), "--keep-daily", "5", "--every", "12")
    assert ok.returncode == 0, ok.stderr
    done = cli("backups", "run", "--if-due")
    assert done.returncode == 0, done.stderr
    assert "verified" in done.stdout
    assert len(list(usb.glob("*.clinicbackup"))) == 1
    skipped = cli("backups", "run", "--if-due")
    assert skipped.returncode == 0 and "not due" in skipped.stdout
    status = cli("backups", "status")
    assert status.returncode == 0 and "Newest good backup" in status.stdout
