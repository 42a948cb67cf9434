"""Salvage of a damaged profile into a new one (local_store.salvage), on real SQLCipher files.

Pages are damaged by flipping a byte, as a bad disk sector would. What the salvage must keep is
known independently of SQLite: the test decrypts the pages itself (AES-256-CBC with the data
key, the layout SQLCipher 4 uses) and walks the b-trees of the records table, the record
history and the outbox, so it knows which rows sit on which page before any damage.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from clinic_app.records.common import patient_of
from local_store.errors import ProfileExists, WrongPassphrase
from local_store.salvage import LOST_STATUS, salvage
from local_store.store import Store, WriteItem
from local_store.sync_ledger import SyncLedger

REPO = Path(__file__).resolve().parents[2]
USER = "dr.salvage"
PASS = "salvage passphrase 42"
PAGE, RESERVE = 4096, 80
USABLE = PAGE - RESERVE


# ------------------------------------------------------------------ reading pages ourselves --
def plain_page(raw: bytes, pgno: int, key: bytes) -> bytes:
    page = raw[(pgno - 1) * PAGE : pgno * PAGE]
    iv = page[USABLE : USABLE + 16]
    start = 16 if pgno == 1 else 0
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return bytes(start) + dec.update(page[start:USABLE]) + dec.finalize()


def varint(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    for k in range(8):
        b = buf[i + k]
        value = (value << 7) | (b & 0x7F)
        if b < 0x80:
            return value, i + k + 1
    return (value << 8) | buf[i + 8], i + 9


def record_key(buf: bytes, i: int) -> tuple[str, int]:
    """The first two columns (text id, integer version) of a record in ``buf`` at ``i``."""
    hsize, j = varint(buf, i)
    end = i + hsize
    types = []
    while j < end:
        t, j = varint(buf, j)
        types.append(t)
    assert types[0] >= 13 and types[0] % 2 == 1
    n = (types[0] - 13) // 2
    rid = buf[end : end + n].decode()
    width = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}.get(types[1])
    version = 0 if types[1] == 8 else 1 if types[1] == 9 else 0
    if width:
        version = int.from_bytes(buf[end + n : end + n + width], "big", signed=True)
    return rid, version


def btree(raw: bytes, key: bytes, root: int) -> dict[int, tuple[str, list]]:
    """page -> (kind, keys on it): rowids for table leaves, (id, version) for index pages."""
    pages: dict[int, tuple[str, list]] = {}
    stack = [root]
    while stack:
        pgno = stack.pop()
        p = plain_page(raw, pgno, key)
        h = 100 if pgno == 1 else 0
        kind = p[h]
        cells = int.from_bytes(p[h + 3 : h + 5], "big")
        interior = kind in (2, 5)
        head = 12 if interior else 8
        if interior:
            stack.append(int.from_bytes(p[h + 8 : h + 12], "big"))
        keys: list = []
        for c in range(cells):
            off = int.from_bytes(p[h + head + 2 * c : h + head + 2 * c + 2], "big")
            if interior:
                stack.append(int.from_bytes(p[off : off + 4], "big"))
                off += 4
            if kind == 13:  # table leaf: payload size, rowid
                _size, j = varint(p, off)
                keys.append(varint(p, j)[0])
            elif kind in (2, 10):  # index (WITHOUT ROWID) page: payload size, record
                _size, j = varint(p, off)
                keys.append(record_key(p, j))
        label = {5: "table-interior", 13: "table-leaf", 2: "index-interior", 10: "index-leaf"}
        pages[pgno] = (label[kind], keys)
    return pages


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ---------------------------------------------------------------------------- the profile --
def make_damaged_source(folder: Path) -> dict:
    """~100 patients with observations (ids sort in the order they were written), some edited,
    half of the changes acknowledged by "central", two attachments; then pages damaged."""
    store, recovery = Store.create(folder, USER, PASS)
    n = 0
    try:
        for i in range(100):
            n += 1
            pid = f"r{n:05d}"
            items = [
                {"resourceType": "Patient", "id": pid, "name": [{"text": f"P{i} " + "x" * 80}]}
            ]
            for k in range(2):
                n += 1
                items.append({
                    "resourceType": "Observation", "id": f"r{n:05d}", "status": "final",
                    "subject": {"reference": f"Patient/{pid}"}, "code": {"text": "heart rate"},
                    "valueQuantity": {"value": 60 + k + i % 30, "unit": "/min"},
                })  # fmt: skip
            store.put_many([WriteItem(r, patient_id=pid) for r in items])
        for i in range(1, n, 7):  # some records edited: two versions in the history
            rid = f"r{i:05d}"
            rtype = "Patient" if (i - 1) % 3 == 0 else "Observation"
            res = store.get(rtype, rid)
            res["note"] = [{"text": "edited"}]
            store.put(res, patient_id=patient_of(res))
        changes = store.conn.execute("SELECT change_id FROM outbox ORDER BY seq").fetchall()
        store.set_change_state([c[0] for c in changes[: len(changes) // 2]], "done")
        good = os.urandom(300_000)
        bad = os.urandom(200_000)
        store.add_attachment(io.BytesIO(good), "image/png")
        bad_digest, _ = store.add_attachment(io.BytesIO(bad), "image/jpeg")
        key = store._data_key()
        roots = dict(store.conn.execute("SELECT name, rootpage FROM sqlite_master").fetchall())
        original = {
            r[0]: (r[1], r[2], json.loads(r[3]), r[4])
            for r in store.conn.execute("SELECT id, rtype, version, resource, rowid FROM records")
        }
        outbox = store.conn.execute(
            "SELECT seq, record_id, version, state FROM outbox ORDER BY seq"
        ).fetchall()
        versions = {  # record_history is a rowid table (schema 7): its leaves hold rowids
            r[0]: (r[1], r[2])
            for r in store.conn.execute("SELECT rowid, id, version FROM record_history")
        }
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.lock()
    db = folder / "records.db"
    raw = db.read_bytes()
    records_pages = btree(raw, key, roots["records"])
    history_pages = {  # page -> (kind, the (id, version) of the history rows on it)
        pgno: (kind, [versions[k] for k in keys] if kind == "table-leaf" else [])
        for pgno, (kind, keys) in btree(raw, key, roots["record_history"]).items()
    }
    outbox_pages = btree(raw, key, roots["outbox"])
    leaves = sorted(p for p, (kind, _k) in records_pages.items() if kind == "table-leaf")
    damaged_records = [leaves[len(leaves) // 3], leaves[2 * len(leaves) // 3]]
    by_rowid = {v[3]: rid for rid, v in original.items()}
    hit_ids = {by_rowid[r] for p in damaged_records for r in records_pages[p][1]}
    hist_leaves = [p for p, (kind, _k) in history_pages.items() if kind == "table-leaf"]
    damaged_history = max(
        hist_leaves, key=lambda p: sum(1 for k in history_pages[p][1] if k[0] in hit_ids)
    )
    out_leaves = sorted(p for p, (kind, _k) in outbox_pages.items() if kind == "table-leaf")
    open_seqs = {s for s, _r, _v, state in outbox if state == "pending"}
    damaged_outbox = next(
        p for p in out_leaves[len(out_leaves) // 2 :] if open_seqs & set(outbox_pages[p][1])
    )
    damaged = [*damaged_records, damaged_history, damaged_outbox]
    for pgno in damaged:
        flip(db, (pgno - 1) * PAGE + 1000)
    flip(folder / "attachments" / bad_digest, 5000)
    return {
        "recovery": recovery, "original": original, "outbox": outbox, "damaged": damaged,
        "records_lost_rows": hit_ids, "history_pages": history_pages,
        "damaged_history": damaged_history,
        "lost_seqs": set(outbox_pages[damaged_outbox][1]),
    }  # fmt: skip


@pytest.fixture(scope="module")
def damaged(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("salvage") / "damaged"
    return folder, make_damaged_source(folder)


def expected(info: dict) -> tuple[dict[str, int], set[str], set[str]]:
    """(lost per type, ids lost, ids kept at an older version) from the pages."""
    versions: dict[str, dict[int, int]] = {}
    for pgno, (_kind, keys) in info["history_pages"].items():
        for rid, version in keys:
            versions.setdefault(rid, {})[version] = pgno
    lost: set[str] = set()
    older: set[str] = set()
    for rid in info["records_lost_rows"]:
        pages = versions[rid]
        readable = [v for v, p in pages.items() if p != info["damaged_history"]]
        if not readable:
            lost.add(rid)
        elif max(readable) != max(pages):
            older.add(rid)
    per_type = Counter(info["original"][rid][0] for rid in lost)
    return dict(per_type), lost, older


# ------------------------------------------------------------------------------- tests --
def test_salvage_keeps_every_readable_record_and_counts_the_lost(damaged, tmp_path):
    source, info = damaged
    before = snapshot(source)
    trial = tmp_path / "trial"
    shutil.copytree(source, trial)
    with pytest.raises(Exception) as refused:  # the damaged profile itself cannot be used
        store = Store.unlock(trial, USER, PASS)
        try:
            [store.get(v[0], rid) for rid, v in info["original"].items()]
        finally:
            store.lock()
    assert "damaged" in str(refused.value)

    out = tmp_path / "salvaged"
    report = salvage(source, out, USER, PASS, patient_of=patient_of)
    assert snapshot(source) == before  # the damaged profile was not changed, not even its log

    lost_per_type, lost_ids, older = expected(info)
    assert lost_ids, "the damage chosen should lose some records entirely"
    assert report.lost == lost_per_type and report.exact
    assert report.maybe_older >= len(older)
    assert set(report.damaged_pages) == set(info["damaged"])
    kept_ids = set(info["original"]) - lost_ids
    assert report.from_history == len(info["records_lost_rows"] - lost_ids)
    total = Counter(v[0] for v in info["original"].values())
    assert report.kept == {t: total[t] - lost_per_type.get(t, 0) for t in total}
    assert report.attachments_kept == 1 and report.attachments_lost == 1

    store = Store.unlock(out, USER, PASS)
    try:
        assert store.integrity_check() == ["ok"]
        audit = store.verify_audit()
        assert audit.ok
        first = store.audit_entries(1000)[-1]
        assert first["seq"] == 1 and first["action"] == "profile.salvage"
        assert f"lost {len(lost_ids)}" in first["detail"]
        got = {r[0]: (r[1], r[2], json.loads(r[3])) for r in store.conn.execute(
            "SELECT id, rtype, version, resource FROM records")}  # fmt: skip
        assert set(got) == kept_ids
        for rid in kept_ids - older:
            rtype, version, resource, _rowid = info["original"][rid]
            assert got[rid] == (rtype, version, resource)
        # Patients of records taken from the history are found again by patient.
        obs = [rid for rid in kept_ids if info["original"][rid][0] == "Observation"]
        for rid in obs:
            pid = info["original"][rid][2]["subject"]["reference"].split("/")[1]
            if pid in kept_ids:
                assert rid in {r["id"] for r in store.find("Observation", patient_id=pid)}
        # Changes not yet sent: every kept record that had one still has one, bodies included.
        open_before = {r for _s, r, _v, state in info["outbox"] if state == "pending"}
        open_after = {r[0] for r in store.conn.execute(
            "SELECT record_id FROM outbox WHERE state = 'pending'")}  # fmt: skip
        assert open_after == open_before & kept_ids
        assert {lost.record_id for lost in report.unsent_lost} <= lost_ids | {None}
        batch = SyncLedger(store).claim_batch(10_000)
        assert batch and all(c.resource is not None for c in batch if c.op == "put")
        assert len(store.attachments.names()) == 1
        (digest,) = store.attachments.names()
        assert store.attachments.verify(digest) is None
        assert store.get_meta("sync_cursor") is None  # the next sync receives everything again
    finally:
        store.lock()
    # Every user's passphrase and the recovery key open it (the same key slots).
    Store.unlock_recovery(out, info["recovery"]).lock()


def test_bad_input_changes_nothing(damaged, tmp_path):
    source, _info = damaged
    before = snapshot(source)
    with pytest.raises(WrongPassphrase):
        salvage(source, tmp_path / "new", USER, "not the passphrase")
    assert not (tmp_path / "new").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("x")
    with pytest.raises(ProfileExists):
        salvage(source, busy, USER, PASS)
    assert [p.name for p in busy.iterdir()] == ["something"]
    assert snapshot(source) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".clinic-salvage")]


def test_an_undamaged_profile_is_salvaged_whole(tmp_path):
    store, _ = Store.create(tmp_path / "fine", USER, PASS)
    try:
        for i in range(30):
            store.put({"resourceType": "Patient", "id": f"p{i}", "name": [{"text": "A"}]})
        store.delete("Patient", "p3")
        counts = store.counts()
    finally:
        store.lock()
    report = salvage(tmp_path / "fine", tmp_path / "copy", USER, PASS)
    assert report.records_lost == 0 and report.exact and not report.damaged_pages
    assert report.complete and report.exit_status == 0 and report.mark_behind == 0
    assert report.lines()[-1].startswith("Salvage complete")
    assert report.kept == counts and report.deleted_kept == 1 and report.unsent_kept == 31
    copy = Store.unlock(tmp_path / "copy", USER, PASS)
    try:
        assert copy.counts() == counts and copy.pending_count() == 31
        with pytest.raises(Exception, match="No such"):
            copy.get("Patient", "p3")
    finally:
        copy.lock()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env.update(PYTHONPATH=str(REPO), CLINIC_PASSPHRASE=PASS, CLINIC_USER=USER)
    done = subprocess.run([sys.executable, "-m", "clinic_app.cli", "--profile",
                           str(tmp_path / "fine"), "salvage", "--out", str(tmp_path / "cli")],
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.splitlines()[-1].startswith("Salvage complete")


def test_salvage_of_a_store_behind_its_mark_says_what_is_missing(tmp_path: Path) -> None:
    store, _ = Store.create(tmp_path / "old", USER, PASS)
    try:
        for i in range(10):
            store.put({"resourceType": "Patient", "id": f"p{i}", "name": [{"text": "A"}]})
    finally:
        store.lock()
    old = (tmp_path / "old" / "records.db").read_bytes()
    store = Store.unlock(tmp_path / "old", USER, PASS)
    try:
        for i in range(10, 15):
            store.put({"resourceType": "Patient", "id": f"p{i}", "name": [{"text": "B"}]})
    finally:
        store.lock()
    (tmp_path / "old" / "records.db").write_bytes(old)  # an older copy put back
    report = salvage(tmp_path / "old", tmp_path / "new", USER, PASS)
    assert report.records_lost == 0 and report.exact  # all that the file holds was kept...
    assert report.mark_behind >= 5 and not report.complete  # ...but it lacks saved changes
    assert report.exit_status == LOST_STATUS
    assert "behind its high-water mark" in "\n".join(report.lines())
    assert "saved transactions (changes or audit entries) the database no" in report.verdict()


def test_cli_salvage_prints_the_report(damaged, tmp_path):
    source, _info = damaged
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env.update(PYTHONPATH=str(REPO), CLINIC_PASSPHRASE=PASS, CLINIC_USER=USER)
    cmd = [sys.executable, "-m", "clinic_app.cli", "--profile", str(source), "salvage"]
    done = subprocess.run([*cmd, "--out", str(tmp_path / "cli")], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    # Records were lost: a status of its own (never 0) and a last line that says so.
    assert done.returncode == LOST_STATUS == 36, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("error: Salvage INCOMPLETE: lost ") and line.endswith(
        "[SALVAGE_INCOMPLETE]"
    )
    assert done.stdout.splitlines()[-1].startswith("Salvage INCOMPLETE: lost ")
    assert " records" in done.stdout.splitlines()[-1]
    assert "Record type" in done.stdout and "Observation" in done.stdout
    assert "lost unsent change" in done.stdout or "0 lost" in done.stdout
    again = subprocess.run([*cmd, "--out", str(tmp_path / "cli")], env=env, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    lines = again.stderr.splitlines()
    assert again.returncode != 0 and len(lines) == 1 and lines[0].endswith("[PROFILE_EXISTS]")
    # The salvaged profile opens with the usual commands (search terms are rebuilt at open).
    info = subprocess.run([sys.executable, "-m", "clinic_app.cli", "--profile",
                           str(tmp_path / "cli"), "info"], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert info.returncode == 0, info.stderr
