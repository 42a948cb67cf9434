"""Nothing clinical (nor a key or passphrase) is ever in clear in any file the store writes."""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
import zipfile
from pathlib import Path

from local_store.keyslots import KeyHeader
from local_store.store import Store, WriteItem

CHINESE_NAME = "测试患者张三丰"
LATIN_NAME = "Wolfgang Testpatientus Amadeo"
NATIONAL_ID = "11010519491231002X"
PHONE = "13912345678"
VITAL = "187.3"
PINYIN = "zhangsanfeng"
MARKER = "ATTACHMENT-MARKER-7c1e9a52-clear-text"
SECRETS = [CHINESE_NAME, LATIN_NAME, NATIONAL_ID, PHONE, VITAL, PINYIN, MARKER]


def needles(text: str) -> list[bytes]:
    """The byte forms a string could take on disk: UTF-8, UTF-16-LE, JSON ASCII escapes."""
    forms = [text.encode("utf-8"), text.encode("utf-16-le")]
    escaped = json.dumps(text, ensure_ascii=True)[1:-1]
    if escaped != text:
        forms.append(escaped.encode("ascii"))
    return forms


def find_leaks(blob: bytes, strings: list[str]) -> list[str]:
    return [s for s in strings for form in needles(s) if form in blob]


def scan(paths: list[Path], strings: list[str]) -> dict[str, list[str]]:
    leaks = {}
    for path in paths:
        blob = path.read_bytes()
        found = find_leaks(blob, strings)
        if path.suffix == ".clinicbackup":
            # Also look inside every member, in case the archive is ever compressed.
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    found += [f"{name}:{s}" for s in find_leaks(zf.read(name), strings)]
        if found:
            leaks[str(path)] = sorted(set(found))
    return leaks


def files_below(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def fill(store: Store, attachment_src: Path) -> str:
    pid = "pat-leak-1"
    store.put(
        {
            "resourceType": "Patient",
            "id": pid,
            "name": [{"text": CHINESE_NAME}, {"text": LATIN_NAME}],
            "identifier": [{"system": "urn:cn:national-id", "value": NATIONAL_ID}],
            "telecom": [{"system": "phone", "value": PHONE}],
        },
        patient_id=pid,
        terms=[CHINESE_NAME, PINYIN, NATIONAL_ID, PHONE, LATIN_NAME.lower()],
    )
    store.put_many(
        [
            WriteItem(
                {
                    "resourceType": "Observation",
                    "id": f"obs-leak-{i}",
                    "subject": {"reference": f"Patient/{pid}"},
                    "code": {"text": "body height"},
                    "valueQuantity": {"value": float(VITAL), "unit": "cm"},
                    "note": [{"text": f"{CHINESE_NAME} {LATIN_NAME} measured {VITAL}"}],
                },
                patient_id=pid,
            )
            for i in range(20)
        ]
    )
    attachment_src.write_bytes((MARKER + "\n").encode() * 5000 + MARKER.encode("utf-16-le"))
    digest, _size = store.add_attachment(attachment_src, "text/plain")
    return digest


def test_no_clinical_value_in_any_file(profile, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    store = profile.store
    digest = fill(store, tmp_path / "note.txt")
    archive = store.backup(tmp_path / "backup-out.clinicbackup")
    data_key = KeyHeader.load(profile.path / "keys.json").unlock(profile.user, profile.passphrase)

    # Sanity: the values are really stored and readable, so the scan below means something.
    assert store.get("Patient", "pat-leak-1")["identifier"][0]["value"] == NATIONAL_ID
    assert store.get("Observation", "obs-leak-3")["valueQuantity"]["value"] == float(VITAL)
    assert MARKER.encode() in store.attachments.read_all(digest)
    assert store.search_prefix([PINYIN[:5]]) == ["pat-leak-1"]

    key_forms = [data_key.hex(), base64.b64encode(data_key).decode()]
    secrets = [*SECRETS, profile.passphrase, profile.recovery, *key_forms]

    # 1. While the store is open: the WAL holds the recent writes.
    wal = profile.path / "records.db-wal"
    assert wal.exists() and wal.stat().st_size > 0
    open_files = [*files_below(profile.path), archive]
    assert {profile.path / "records.db", profile.path / "keys.json", wal} <= set(open_files)
    assert profile.path / "attachments" / digest in open_files
    assert scan(open_files, secrets) == {}
    for path in open_files:
        assert data_key not in path.read_bytes(), f"raw data key in {path}"

    # The passphrase and the recovery key are never written to the key header.
    header = (profile.path / "keys.json").read_bytes()
    assert find_leaks(header, [profile.passphrase, profile.recovery]) == []
    assert profile.recovery.replace("-", "").encode() not in header

    # 2. After lock(): the WAL is checkpointed into the file, which must still be opaque.
    store.lock()
    locked_files = [*files_below(profile.path), archive]
    assert profile.path / "records.db" in locked_files
    assert scan(locked_files, secrets) == {}
    names = {p.name for p in profile.path.iterdir()}
    assert names <= {
        "keys.json",
        "records.db",
        "records.db-wal",
        "records.db-shm",
        "records.mark",
        "attachments",
    }

    # 3. The backup copy of the database is encrypted too (same key, no plaintext header).
    with zipfile.ZipFile(archive) as zf:
        db_copy = zf.read("records.db")
    assert not db_copy.startswith(b"SQLite format 3")
    assert len(db_copy) > 4096

    # 4. Nothing the store logged carries patient data.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert [s for s in SECRETS if s in logged] == []

    # And the data is still all there after the lock.
    reopened = profile.reopen()
    assert reopened.get("Patient", "pat-leak-1")["name"][0]["text"] == CHINESE_NAME
    assert reopened.count("Observation") == 20


def test_scan_would_see_the_values_in_an_unencrypted_database(tmp_path):
    """Control: the same rows in plain SQLite are found by the scan, so a pass above is real."""
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain)
    conn.execute("CREATE TABLE t (doc TEXT)")
    doc = json.dumps(
        {"name": [CHINESE_NAME, LATIN_NAME], "id": NATIONAL_ID, "tel": PHONE, "v": float(VITAL)},
        ensure_ascii=False,
    )
    conn.execute("INSERT INTO t VALUES (?)", (doc,))
    conn.commit()
    conn.close()
    (tmp_path / "utf16.txt").write_bytes(MARKER.encode("utf-16-le"))
    (tmp_path / "escaped.json").write_text(json.dumps(CHINESE_NAME))
    leaks = scan(files_below(tmp_path), SECRETS)
    assert set(leaks[str(plain)]) == {CHINESE_NAME, LATIN_NAME, NATIONAL_ID, PHONE, VITAL}
    assert leaks[str(tmp_path / "utf16.txt")] == [MARKER]
    assert leaks[str(tmp_path / "escaped.json")] == [CHINESE_NAME]
