"""Backup archives and restore: round trip, refusing to overwrite, failures leave no trace."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from local_store.errors import (
    IntegrityFailure,
    ProfileExists,
    SchemaTooNew,
    StoreError,
    WrongPassphrase,
)
from local_store.schema import CURRENT_SCHEMA
from local_store.store import Store, WriteItem

USER = "dr.wang"  # the profile fixture's credentials (see conftest.py)
PASSPHRASE = "correct horse battery staple 7"


def fill(store, helpers, tag):
    store.put_many(
        [
            WriteItem(helpers.patient(f"{tag}-pat-{i}", f"{tag} 患者{i}"), patient_id=f"{tag}-{i}")
            for i in range(30)
        ]
    )
    store.put_many(
        [
            WriteItem(helpers.observation(f"{tag}-obs-{i}", f"{tag}-pat-0", 60 + i))
            for i in range(30)
        ]
    )
    store.delete("Patient", f"{tag}-pat-29")
    digests = [
        store.add_attachment(io.BytesIO(f"{tag} attachment {i} ".encode() * (i * 40000 + 1)), "x")[
            0
        ]
        for i in range(3)
    ]
    return digests


def contents(store):
    """Everything a user could see: live records, versions, history, outbox, attachments."""
    conn = store.conn
    return {
        "records": conn.execute(
            "SELECT id, rtype, version, deleted, resource FROM records ORDER BY id"
        ).fetchall(),
        "history": conn.execute("SELECT id, version FROM record_history ORDER BY 1, 2").fetchall(),
        "outbox": conn.execute("SELECT change_id, version, op FROM outbox ORDER BY seq").fetchall(),
        "attachments": {
            d: store.attachments.read_all(d)
            for (d,) in conn.execute("SELECT digest FROM attachments ORDER BY 1")
        },
    }


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_backup_then_restore_into_new_folder(profile, tmp_path, helpers):
    store = profile.store
    digests = fill(store, helpers, "a")
    archive = store.backup(tmp_path / "out.clinicbackup")
    expected = contents(store)
    assert set(expected["attachments"]) == set(digests)
    # Written after the backup: must not be in the restored copy.
    store.put(helpers.patient("a-late", "后来的"))
    store_id = store.store_id
    store.lock()

    target = tmp_path / "restored" / "profile"
    assert Store.restore(archive, target, profile.user, profile.passphrase) is None
    restored = Store.unlock(target, profile.user, profile.passphrase)
    try:
        got = contents(restored)
        assert got == expected
        assert restored.count("Patient") == 29
        assert restored.store_id == store_id
        assert restored.integrity_check() == ["ok"]
        actions = [e["action"] for e in restored.audit_entries(limit=5)]
        assert "restore" in actions
        assert restored.verify_audit().ok
    finally:
        restored.lock()
    # The recovery key of the original opens the restored copy too.
    Store.unlock_recovery(target, profile.recovery).lock()
    assert listing(target.parent) == ["profile"]  # no staging folder left


def test_backup_into_a_folder_names_the_archive(profile, tmp_path, helpers):
    fill(profile.store, helpers, "b")
    out = tmp_path / "backups-out"
    out.mkdir()
    archive = profile.store.backup(out)
    assert archive.parent == out and archive.suffix == ".clinicbackup"
    assert listing(out) == [archive.name]  # no .partial left
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        assert zf.testzip() is None
    assert {"manifest.json", "keys.json", "records.db"} <= names
    assert len([n for n in names if n.startswith("attachments/")]) == 3
    # The temporary database copy made inside the profile is gone.
    assert not [p for p in profile.path.iterdir() if p.name.startswith(".backup-")]


def test_restore_over_existing_profile_without_replace(profile, tmp_path, helpers, request):
    fill(profile.store, helpers, "c")
    archive = profile.store.backup(tmp_path / "c.clinicbackup")
    profile.store.put(helpers.patient("c-after", "之后"))
    profile.store.lock()
    before = helpers.snapshot(profile.path)
    parent_before = listing(tmp_path)
    with pytest.raises(ProfileExists):
        Store.restore(archive, profile.path, profile.user, profile.passphrase)
    assert helpers.snapshot(profile.path) == before
    assert listing(tmp_path) == parent_before
    assert profile.reopen().get("Patient", "c-after")["name"][0]["text"] == "之后"


def test_restore_with_replace_keeps_the_old_profile_beside(profile, tmp_path, helpers):
    fill(profile.store, helpers, "d")
    archive = profile.store.backup(tmp_path / "d.clinicbackup")
    backed_up = contents(profile.store)
    profile.store.put(helpers.patient("d-after", "备份之后"))
    profile.store.lock()
    old_files = helpers.snapshot(profile.path)

    previous = Store.restore(archive, profile.path, profile.user, profile.passphrase, replace=True)
    assert previous is not None and previous.parent == profile.path.parent
    assert previous.name.startswith("profile.before-restore-")
    assert helpers.snapshot(previous) == old_files  # kept exactly as it was
    old = Store.unlock(previous, profile.user, profile.passphrase)
    try:
        assert old.get("Patient", "d-after")["name"][0]["text"] == "备份之后"
    finally:
        old.lock()
    new = profile.reopen()
    assert contents(new) == backed_up
    assert new.version_of("d-after") is None


def _newer_schema(archive, tmp_path):
    """A sound backup, but of a profile written by a newer program (schema above ours)."""
    source, _ = Store.create(tmp_path / "newer-source", USER, PASSPHRASE)
    try:
        source.put({"resourceType": "Patient", "id": "from-the-future"})
        source.conn.execute(f"PRAGMA user_version = {CURRENT_SCHEMA + 1}")
        return source.backup(tmp_path / "newer.clinicbackup")
    finally:
        source.lock()


def _truncated(archive, tmp_path):
    out = tmp_path / "truncated.clinicbackup"
    out.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return out


def _tail_cut(archive, tmp_path):
    out = tmp_path / "tail-cut.clinicbackup"
    out.write_bytes(archive.read_bytes()[:-5])
    return out


def _not_zip(archive, tmp_path):
    out = tmp_path / "random.clinicbackup"
    out.write_bytes(os.urandom(200_000))
    return out


def _corrupt_member(archive, tmp_path):
    """A valid zip whose database member has one byte changed (CRC mismatch)."""
    raw = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("records.db")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw[start + 5000] ^= 0x01
    out = tmp_path / "corrupt.clinicbackup"
    out.write_bytes(bytes(raw))
    return out


def _missing_db(archive, tmp_path):
    out = tmp_path / "no-db.clinicbackup"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            if name != "records.db":
                dst.writestr(name, src.read(name))
    return out


BAD = {
    "truncated": (_truncated, IntegrityFailure),
    "tail-cut": (_tail_cut, IntegrityFailure),
    "not-a-zip": (_not_zip, IntegrityFailure),
    "corrupt-member": (_corrupt_member, IntegrityFailure),
    "missing-db": (_missing_db, IntegrityFailure),
    "wrong-passphrase": (lambda a, t: a, WrongPassphrase),
    "newer-schema": (_newer_schema, SchemaTooNew),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("existing", [False, True], ids=["new-target", "replace-target"])
def test_failed_restore_leaves_target_untouched(profile, tmp_path, helpers, case, existing):
    assert (profile.user, profile.passphrase) == (USER, PASSPHRASE)
    fill(profile.store, helpers, "e")
    archive = profile.store.backup(tmp_path / "e.clinicbackup")
    profile.store.lock()
    make, error = BAD[case]
    bad = make(archive, tmp_path)
    passphrase = "not the passphrase" if case == "wrong-passphrase" else profile.passphrase

    parent = tmp_path / "targets"
    parent.mkdir()
    target = parent / "profile"
    if existing:
        Store.restore(archive, target, profile.user, profile.passphrase)
    before = helpers.snapshot(target)
    parent_before = listing(parent)

    with pytest.raises(error) as err:
        Store.restore(bad, target, profile.user, passphrase, replace=existing)
    assert isinstance(err.value, StoreError)
    assert helpers.snapshot(target) == before, f"the failed restore ({case}) changed the target"
    # No staging or renamed folders left behind.
    assert listing(parent) == parent_before, f"the failed restore ({case}) left {listing(parent)}"
    if existing:
        store = Store.unlock(target, profile.user, profile.passphrase)
        try:
            assert store.count("Patient") == 29
        finally:
            store.lock()
    else:
        assert not target.exists()
