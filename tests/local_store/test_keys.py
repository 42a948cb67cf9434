"""Key slots: wrong secrets, a damaged header, passphrase changes, users and the recovery key."""

from __future__ import annotations

import hashlib
import io
import json
import os
import statistics
import time

import pytest

from local_store.errors import (
    IntegrityFailure,
    NotFound,
    StoreError,
    StoreLocked,
    WrongPassphrase,
)
from local_store.keyslots import MIN_ITERATIONS, MIN_MEMORY_KIB, KeyHeader
from local_store.store import Store, WriteItem

WRONG_MESSAGE = "The user name or passphrase is wrong."


def disk_state(path):
    """Bytes and mtimes of everything in a (locked) profile folder."""
    state = {}
    for p in sorted(path.rglob("*")):
        if p.is_file():
            st = p.stat()
            state[str(p.relative_to(path))] = (p.read_bytes(), st.st_mtime_ns, st.st_size)
    return state


def seed_records(store, helpers, n=5):
    saved = store.put_many(
        [
            WriteItem(helpers.patient(f"pat-{i}", f"病人{i}"), patient_id=f"pat-{i}")
            for i in range(n)
        ]
    )
    return {s.record_id: s.version for s in saved}


def assert_records(store, expected):
    for rid, version in expected.items():
        got = store.get("Patient", rid)
        assert got["meta"]["versionId"] == str(version)
        assert got["id"] == rid


def test_wrong_passphrase_or_user_changes_nothing(profile, helpers):
    expected = seed_records(profile.store, helpers)
    profile.store.lock()
    before = disk_state(profile.path)
    assert "records.db" in before and "keys.json" in before

    attempts = [
        (profile.user, "not the passphrase at all"),
        (profile.user, profile.passphrase + " "),
        (profile.user, profile.passphrase.upper()),
        ("dr.nobody", profile.passphrase),
        (profile.user.upper(), profile.passphrase),
        ("", profile.passphrase),
    ]
    for user, passphrase in attempts:
        with pytest.raises(WrongPassphrase) as err:
            Store.unlock(profile.path, user, passphrase)
        # One clear sentence, the same for a wrong user as for a wrong passphrase.
        assert str(err.value) == WRONG_MESSAGE
        assert passphrase not in str(err.value)
    with pytest.raises(WrongPassphrase):
        Store.unlock_recovery(profile.path, "AAAA-" * 12 + "AAAA")
    with pytest.raises(WrongPassphrase, match="recovery key"):
        Store.unlock_recovery(profile.path, "not a recovery key")

    assert disk_state(profile.path) == before
    assert_records(profile.reopen(), expected)


def flip_positions(size):
    return [*range(0, size, 37), size - 1]


@pytest.mark.parametrize("mask", [0x01, 0x07, 0x80])
def test_any_flipped_byte_in_key_header_is_damage_never_wrong_data(profile, helpers, mask):
    expected = seed_records(profile.store, helpers, n=3)
    profile.store.lock()
    header_path = profile.path / "keys.json"
    original = header_path.read_bytes()
    original_doc = json.loads(original)
    db_path = profile.path / "records.db"
    damaged = benign = 0
    for pos in flip_positions(len(original)):
        flipped = bytearray(original)
        flipped[pos] ^= mask
        header_path.write_bytes(bytes(flipped))
        try:
            same_meaning = json.loads(bytes(flipped)) == original_doc
        except ValueError:
            same_meaning = False
        if same_meaning:
            # Only whitespace changed (e.g. "\n" -> "\r"): unlocking must still be correct.
            benign += 1
            assert chr(original[pos]).isspace() and chr(flipped[pos]).isspace()
            store = Store.unlock(profile.path, profile.user, profile.passphrase)
            try:
                assert_records(store, expected)
            finally:
                store.lock()
        else:
            damaged += 1
            db_before = db_path.read_bytes()
            with pytest.raises(IntegrityFailure):
                Store.unlock(profile.path, profile.user, profile.passphrase)
            with pytest.raises(IntegrityFailure):
                Store.unlock_recovery(profile.path, profile.recovery)
            # Refused before the database was opened: not a byte of it changed.
            assert db_path.read_bytes() == db_before
        header_path.write_bytes(original)
    assert damaged + benign == len(flip_positions(len(original)))
    assert damaged >= 20
    if mask == 0x07:
        assert benign >= 1  # the whitespace branch was exercised
    assert_records(profile.reopen(), expected)


def test_key_header_of_another_profile_is_damage_not_a_foreign_key(tmp_path, profile, helpers):
    expected = seed_records(profile.store, helpers, n=2)
    profile.store.lock()
    other, _ = Store.create(tmp_path / "other", profile.user, profile.passphrase)
    other.lock()
    original = (profile.path / "keys.json").read_bytes()
    (profile.path / "keys.json").write_bytes((tmp_path / "other" / "keys.json").read_bytes())
    # The foreign header is well formed and the passphrase opens it, but its key does not
    # open this database: that must be reported as damage, never yield an empty store.
    with pytest.raises(IntegrityFailure):
        Store.unlock(profile.path, profile.user, profile.passphrase)
    (profile.path / "keys.json").write_bytes(original)
    assert_records(profile.reopen(), expected)


@pytest.mark.real_kdf  # the one that checks the production Argon2id parameters (tests/conftest.py)
def test_change_passphrase(profile, helpers):
    store = profile.store
    expected = seed_records(store, helpers)
    new = "a brand new passphrase 2026"
    key_before = KeyHeader.load(profile.path / "keys.json").unlock(profile.user, profile.passphrase)

    with pytest.raises(WrongPassphrase):
        store.change_passphrase(profile.user, "wrong old passphrase", new)
    with pytest.raises(StoreError, match="8 characters"):
        store.change_passphrase(profile.user, profile.passphrase, "short")
    store.change_passphrase(profile.user, profile.passphrase, new)
    store.lock()

    with pytest.raises(WrongPassphrase):
        Store.unlock(profile.path, profile.user, profile.passphrase)
    header = KeyHeader.load(profile.path / "keys.json")
    assert header.unlock(profile.user, new) == key_before  # same data key, rewrapped
    kdfs = [slot.kdf for slot in header.slots if slot.kind == "passphrase"]
    assert kdfs and all(
        k is not None and (k.memory_kib, k.iterations) == (MIN_MEMORY_KIB, MIN_ITERATIONS)
        for k in kdfs
    ), kdfs  # created and rewrapped with the production parameters
    reopened = Store.unlock(profile.path, profile.user, new)
    try:
        assert_records(reopened, expected)
        actions = [e["action"] for e in reopened.audit_entries()]
        assert "key.change-passphrase" in actions
        assert reopened.verify_audit().ok
    finally:
        reopened.lock()
    by_recovery = Store.unlock_recovery(profile.path, profile.recovery)
    try:
        assert_records(by_recovery, expected)
    finally:
        by_recovery.lock()


def test_add_and_remove_users(profile, helpers):
    store = profile.store
    expected = seed_records(store, helpers)
    with pytest.raises(StoreError):
        store.remove_user(profile.user)  # the last user
    with pytest.raises(StoreError):
        store.add_user(profile.user, "another passphrase")  # already has a slot
    with pytest.raises(StoreError):
        store.add_user("nurse.li", "short")

    store.add_user("nurse.li", "nurse passphrase 123")
    assert Store.users(profile.path) == [profile.user, "nurse.li"]
    nurse = Store.unlock(profile.path, "nurse.li", "nurse passphrase 123")
    try:
        assert_records(nurse, expected)
        assert nurse.user == "nurse.li"
        nurse.put(helpers.patient("pat-by-nurse", "护士登记"))
    finally:
        nurse.lock()
    # The nurse's passphrase does not open the doctor's slot, and vice versa.
    with pytest.raises(WrongPassphrase):
        Store.unlock(profile.path, profile.user, "nurse passphrase 123")
    with pytest.raises(WrongPassphrase):
        Store.unlock(profile.path, "nurse.li", profile.passphrase)

    store = profile.reopen()
    store.remove_user("nurse.li")
    assert Store.users(profile.path) == [profile.user]
    with pytest.raises(WrongPassphrase):
        Store.unlock(profile.path, "nurse.li", "nurse passphrase 123")
    with pytest.raises(NotFound):
        store.remove_user("nurse.li")
    with pytest.raises(StoreError, match="last user"):
        store.remove_user(profile.user)
    assert Store.users(profile.path) == [profile.user]
    assert store.get("Patient", "pat-by-nurse")["name"][0]["text"] == "护士登记"
    assert store.verify_audit().ok


def test_new_recovery_key_invalidates_the_old_one(profile, helpers):
    expected = seed_records(profile.store, helpers)
    new_recovery = profile.store.new_recovery_key()
    assert new_recovery != profile.recovery
    assert len(new_recovery.replace("-", "")) == 52
    profile.store.lock()
    with pytest.raises(WrongPassphrase):
        Store.unlock_recovery(profile.path, profile.recovery)
    recovered = Store.unlock_recovery(profile.path, new_recovery)
    try:
        assert_records(recovered, expected)
    finally:
        recovered.lock()
    # Lower case, with spaces instead of dashes, is accepted (copied from paper).
    relaxed = Store.unlock_recovery(profile.path, new_recovery.replace("-", " ").lower())
    relaxed.lock()
    header = json.loads((profile.path / "keys.json").read_text())
    assert [s["kind"] for s in header["body"]["slots"]].count("recovery") == 1


def page_digests(path, page=4096):
    data = path.read_bytes()
    return [hashlib.sha256(data[i : i + page]).digest() for i in range(0, len(data), page)]


def timed_changes(store, user, passphrases, runs=3):
    """Median seconds of ``runs`` passphrase changes (rotating through ``passphrases``)."""
    times = []
    for i in range(runs):
        old, new = passphrases[i % 2], passphrases[(i + 1) % 2]
        start = time.perf_counter()
        store.change_passphrase(user, old, new)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def file_digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.real_kdf  # timed: the slot rewrap, Argon2id included, against the data size
def test_change_passphrase_cost_does_not_depend_on_data_size(tmp_path, helpers):
    """A passphrase change rewraps one slot: same time for 10 or 100k records, data untouched."""
    phrases = [helpers.PASSPHRASE, "second passphrase for timing"]
    small, _ = Store.create(tmp_path / "small", helpers.USER, phrases[0])
    big, _ = Store.create(tmp_path / "big", helpers.USER, phrases[0])
    try:
        small.put_many([WriteItem(helpers.patient(f"s-{i}", f"小{i}")) for i in range(10)])
        for start in range(0, 100_000, 10_000):
            big.put_many(
                [
                    WriteItem(
                        helpers.observation(f"o-{i:06d}", "pat-1", i / 10), patient_id="pat-1"
                    )
                    for i in range(start, start + 10_000)
                ]
            )
        assert big.count("Observation") == 100_000

        results = {}
        for name, store in (("small", small), ("big", big)):
            db = store.profile / "records.db"
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert os.path.getsize(str(db) + "-wal") == 0
            pages_before = page_digests(db)
            digest_before = file_digest(db)
            store.change_passphrase(helpers.USER, phrases[0], phrases[1])  # warm-up, untimed
            results[name] = timed_changes(store, helpers.USER, [phrases[1], phrases[0]])
            # Not re-encrypted: the database file itself was not written at all (the audit
            # entries of the changes sit in the WAL) ...
            assert file_digest(db) == digest_before
            # ... and after checkpointing them only a handful of pages differ.
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            pages_after = page_digests(db)
            changed = sum(a != b for a, b in zip(pages_before, pages_after, strict=False))
            assert changed <= 16, f"{changed} of {len(pages_before)} pages rewritten"
        assert len(page_digests(big.profile / "records.db")) > 10_000
        ratio = results["big"] / results["small"]
        assert ratio < 2.0, f"change_passphrase: {results} (ratio {ratio:.2f})"
    finally:
        small.lock()
        big.lock()
    reopened = Store.unlock(tmp_path / "big", helpers.USER, phrases[0])
    try:
        assert reopened.get("Observation", "o-099999")["valueQuantity"]["value"] == 9999.9
    finally:
        reopened.lock()


def test_locked_store_refuses_everything(profile, helpers):
    store = profile.store
    digest, _ = store.add_attachment(io.BytesIO(b"scan"), "image/png")
    store.put(helpers.patient("pat-1", "锁定"))
    store.lock()
    assert store.locked
    calls = [
        lambda: store.get("Patient", "pat-1"),
        lambda: store.put(helpers.patient("pat-2", "x")),
        lambda: store.delete("Patient", "pat-1"),
        lambda: store.find("Patient"),
        lambda: store.audit("chart.open"),
        lambda: store.verify_audit(),
        lambda: store.add_user("nurse.li", "nurse passphrase 123"),
        lambda: store.new_recovery_key(),
        lambda: store.attachment_info(digest),
        lambda: store.backup(profile.path.parent / "x.clinicbackup"),
    ]
    for call in calls:
        with pytest.raises(StoreLocked):
            call()
    store.lock()  # locking twice is harmless
    assert Store.users(profile.path) == [profile.user]
    assert not (profile.path.parent / "x.clinicbackup").exists()


@pytest.mark.parametrize("change", ["change_passphrase", "remove_user"])
def test_key_changes_on_a_locked_store_change_nothing(profile, change):
    """A locked store refuses key changes *before* touching keys.json.

    Both calls need no data key, so they rewrite the header and only then fail on the audit
    entry: the caller is told "locked" while the change was in fact made, unaudited.
    """
    store = profile.store
    store.add_user("nurse.li", "nurse passphrase 123")
    store.lock()
    header = profile.path / "keys.json"
    before = header.read_bytes()
    with pytest.raises(StoreLocked):
        if change == "change_passphrase":
            store.change_passphrase(profile.user, profile.passphrase, "changed while locked")
        else:
            store.remove_user("nurse.li")
    assert header.read_bytes() == before, f"{change} rewrote keys.json on a locked store"


def test_recovery_key_sets_a_new_passphrase_and_signs_that_user_in(profile, helpers):
    expected = seed_records(profile.store, helpers, n=2)
    profile.store.lock()
    before = disk_state(profile.path)
    with pytest.raises(WrongPassphrase):
        Store.recover(profile.path, "AAAA-" * 12 + "AAAA", profile.user, "brand-new-pass-1")
    with pytest.raises(NotFound):
        Store.recover(profile.path, profile.recovery, "dr.nobody", "brand-new-pass-1")
    assert disk_state(profile.path) == before  # refused attempts change nothing

    store = Store.recover(profile.path, profile.recovery, profile.user, "brand-new-pass-1")
    assert store.user == profile.user
    assert store.verify_audit().ok
    store.lock()
    with pytest.raises(WrongPassphrase):
        Store.unlock(profile.path, profile.user, profile.passphrase)
    assert_records(Store.unlock(profile.path, profile.user, "brand-new-pass-1"), expected)
