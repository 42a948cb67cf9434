"""Build ``fixtures/profile_schema1/``: a profile exactly as the schema-1 program left it.

Run once and commit the folder (keys.json + records.db); ``test_migrations.py`` upgrades a
copy of it. It writes what a v1 program wrote, with plain SQL: records (no history table yet),
one outbox row per version, and hash-chained audit entries. All data is synthetic.

    .venv/bin/python tests/local_store/make_schema1_fixture.py
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from local_store import audit
from local_store.db import connect, transaction
from local_store.keyslots import KeyHeader
from local_store.schema import migrate, schema_version

USER = "fixture.doctor"
PASSPHRASE = "fixture-passphrase-v1"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "profile_schema1"
STAMP = "2025-03-01T08:00:00.000+00:00"

# (id, rtype, patient_id, versions of the resource body, deleted at the last version)
RECORDS: list[tuple[str, str, str | None, list[dict], bool]] = [
    (
        "pat-fixture-1",
        "Patient",
        "pat-fixture-1",
        [
            {"name": [{"text": "样例患者甲"}], "gender": "female", "birthDate": "1960-01-01"},
            {"name": [{"text": "样例患者甲"}], "gender": "female", "birthDate": "1960-01-02"},
        ],
        False,
    ),
    (
        "pat-fixture-2",
        "Patient",
        "pat-fixture-2",
        [{"name": [{"text": "Sample Patient Beta"}], "gender": "male", "birthDate": "1975-06-15"}],
        False,
    ),
    (
        "pat-fixture-3",
        "Patient",
        "pat-fixture-3",
        [{"name": [{"text": "Sample Patient Gamma"}], "gender": "other"}],
        False,
    ),
    (
        "pat-fixture-4",
        "Patient",
        "pat-fixture-4",
        [{"name": [{"text": "Sample Patient Deleted"}], "gender": "unknown"}],
        True,
    ),
    (
        "obs-fixture-1",
        "Observation",
        "pat-fixture-1",
        [
            {
                "status": "final",
                "code": {"text": "body temperature"},
                "subject": {"reference": "Patient/pat-fixture-1"},
                "valueQuantity": {"value": 36.6, "unit": "Cel"},
            }
        ],
        False,
    ),
]


def audit_key(data_key: bytes) -> bytes:
    """The audit MAC key as every version of the program derives it from the data key."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"clinic audit mac v1"
    ).derive(data_key)


def body(rid: str, rtype: str, resource: dict, version: int) -> str:
    full = {
        **resource,
        "resourceType": rtype,
        "id": rid,
        "meta": {"versionId": str(version), "lastUpdated": STAMP},
    }
    return json.dumps(full, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def expected_final() -> dict[str, tuple[str, int, bool, dict]]:
    """id -> (rtype, version, deleted, resource) after the v1 program's last write."""
    out = {}
    for rid, rtype, _pid, versions, deleted in RECORDS:
        last = len(versions) + (1 if deleted else 0)
        resource = json.loads(body(rid, rtype, versions[-1], len(versions)))
        out[rid] = (rtype, last, deleted, resource)
    return out


def build(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    header, data_key, _recovery = KeyHeader.new(USER, PASSPHRASE)
    header.save(dest / "keys.json")
    conn = connect(dest / "records.db", data_key)
    migrate(conn, data_key, dest / "backups", target=1, allow_fresh=True)
    assert schema_version(conn) == 1
    key = audit_key(data_key)
    with transaction(conn):
        audit.append(conn, key, actor=USER, action="profile.create")
    for rid, rtype, pid, versions, deleted in RECORDS:
        for n, resource in enumerate(versions, start=1):
            text = body(rid, rtype, resource, n)
            with transaction(conn):
                conn.execute(
                    "INSERT INTO records(id, rtype, version, patient_id, deleted, updated_at,"
                    " resource) VALUES (?,?,?,?,0,?,?) ON CONFLICT(id) DO UPDATE SET"
                    " version=excluded.version, resource=excluded.resource",
                    (rid, rtype, n, pid, STAMP, text),
                )
                conn.execute(
                    "INSERT INTO outbox(change_id, record_id, rtype, version, base_version, op,"
                    " created_at) VALUES (?,?,?,?,?,'put',?)",
                    (str(uuid.uuid4()), rid, rtype, n, n - 1 or None, STAMP),
                )
                audit.append(
                    conn,
                    key,
                    actor=USER,
                    action="create" if n == 1 else "update",
                    rtype=rtype,
                    record_id=rid,
                    detail=f"v{n}",
                )
        if deleted:
            n = len(versions) + 1
            with transaction(conn):
                conn.execute("UPDATE records SET version = ?, deleted = 1 WHERE id = ?", (n, rid))
                conn.execute(
                    "INSERT INTO outbox(change_id, record_id, rtype, version, base_version, op,"
                    " created_at) VALUES (?,?,?,?,?,'delete',?)",
                    (str(uuid.uuid4()), rid, rtype, n, n - 1, STAMP),
                )
                audit.append(
                    conn,
                    key,
                    actor=USER,
                    action="delete",
                    rtype=rtype,
                    record_id=rid,
                    detail=f"v{n}",
                )
    # The first change was already uploaded by the v1 sync engine.
    with transaction(conn):
        conn.execute("UPDATE outbox SET state = 'done' WHERE seq = 1")
        audit.append(
            conn, key, actor=USER, action="chart.open", rtype="Patient", record_id="pat-fixture-2"
        )
    assert audit.verify(conn, key).ok
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    conn.close()
    for extra in ("records.db-wal", "records.db-shm"):
        assert not (dest / extra).exists(), extra


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURE)
    print(f"wrote {FIXTURE if len(sys.argv) < 2 else sys.argv[1]}")
