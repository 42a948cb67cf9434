"""SIGKILL a real writer process at random moments: nothing acknowledged is ever lost.

A child process creates or unlocks a profile and writes in a loop (put, put_many, delete,
audit), printing one line per call *after* it returned. The parent kills it after a random
delay, then opens the store and checks the database, the acknowledged writes, the outbox
against the record history, and the audit chain. State accumulates across runs.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import pytest

from local_store.store import Store

REPO = Path(__file__).resolve().parents[2]
USER = "dr.crash"
PASSPHRASE = "kill -9 passphrase"
RUNS = 50
RUNS_PER_PROFILE = 10

CHILD = textwrap.dedent(
    """
    import random
    import sys
    from pathlib import Path

    from local_store.store import Store, WriteItem

    profile, mode, seed, tag, user, passphrase = sys.argv[1:7]
    rng = random.Random(int(seed))
    out = sys.stdout


    def ack(*lines):
        out.write("".join(" ".join(str(p) for p in line) + "\\n" for line in lines))
        out.flush()


    ack(("opening", mode))
    if mode == "create":
        store, _recovery = Store.create(Path(profile), user, passphrase)
    else:
        store = Store.unlock(Path(profile), user, passphrase)
    ack(("opened",))

    patients = [f"pat-{i:03d}" for i in range(40)]
    observations = [f"obs-{i:03d}" for i in range(150)]
    n = 0
    while True:
        n += 1
        roll = rng.random()
        if roll < 0.35:
            rid = rng.choice(patients)
            s = store.put(
                {"resourceType": "Patient", "id": rid, "name": [{"text": f"患者 {tag} {n}"}]},
                patient_id=rid,
                terms=[f"term{n}", rid],
            )
            ack(("put", s.record_id, s.version))
        elif roll < 0.6:
            items = [
                WriteItem(
                    {
                        "resourceType": "Observation",
                        "id": rng.choice(observations),
                        "valueQuantity": {"value": rng.uniform(35, 42), "unit": "Cel"},
                    },
                    patient_id=rng.choice(patients),
                )
                for _ in range(rng.randint(1, 25))
            ]
            saved = store.put_many(items)
            ack(*[("put", s.record_id, s.version) for s in saved])
        elif roll < 0.8:
            rtype, rid = rng.choice(
                [("Patient", rng.choice(patients)), ("Observation", rng.choice(observations))]
            )
            state = store.version_of(rid)
            if state is not None and not state[1]:
                s = store.delete(rtype, rid)
                ack(("del", s.record_id, s.version))
        else:
            detail = f"{tag}-{n}"
            rid = rng.choice(patients)
            store.audit("chart.open", "Patient", rid, detail=detail)
            ack(("audit", detail))
    """
)


def read_acks(path: Path):
    """Complete lines only: a line cut off by the kill was never acknowledged."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.split("\n")
    return [line.split(" ") for line in lines[:-1]]


def run_child(script, profile, mode, seed, tag, delay, after_open, acks_path):
    with open(acks_path, "w") as acks:
        child = subprocess.Popen(
            [sys.executable, str(script), str(profile), mode, str(seed), tag, USER, PASSPHRASE],
            stdout=acks,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        try:
            if after_open:
                # Time the kill from the moment the child starts create()/unlock().
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and child.poll() is None:
                    if acks_path.read_bytes().startswith(b"opening"):
                        break
                    time.sleep(0.002)
            time.sleep(delay)
        finally:
            alive = child.poll() is None
            child.send_signal(signal.SIGKILL)
            _, err = child.communicate()
    assert alive, f"the writer stopped on its own:\n{err.decode(errors='replace')}"
    assert child.returncode == -signal.SIGKILL
    return read_acks(acks_path)


class Expected:
    """What the parent knows was acknowledged for one profile."""

    def __init__(self):
        self.version = defaultdict(int)  # record id -> highest acknowledged version
        self.deleted_at = {}  # record id -> version of the last acknowledged delete
        self.audits = set()


def check_store(profile: Path, exp: Expected):
    store = Store.unlock(profile, USER, PASSPHRASE)
    try:
        conn = store.conn
        assert store.integrity_check() == ["ok"]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

        for rid, version in exp.version.items():
            state = store.version_of(rid)
            assert state is not None, f"acknowledged record {rid} is missing"
            assert state[0] >= version, f"{rid}: v{state[0]} < acknowledged v{version}"
            if exp.deleted_at.get(rid) == state[0]:
                assert state[1], f"{rid}: acknowledged delete at v{state[0]} not applied"

        details = {
            r[0] for r in conn.execute("SELECT detail FROM audit WHERE action = 'chart.open'")
        }
        assert exp.audits <= details, f"lost audit entries: {sorted(exp.audits - details)[:5]}"

        # Outbox and data agree: one outbox row per history row, same (id, version, op).
        dups = conn.execute(
            "SELECT record_id, version FROM outbox GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall()
        assert dups == []
        outbox = set(
            conn.execute("SELECT record_id, version, op = 'delete' FROM outbox").fetchall()
        )
        history = set(conn.execute("SELECT id, version, deleted = 1 FROM record_history"))
        assert outbox == history, (
            f"outbox-only {sorted(outbox - history)[:5]}, history-only "
            f"{sorted(history - outbox)[:5]}"
        )
        # For each record: max outbox version == max history version == records.version, and
        # the history holds every version 1..n.
        mismatched = conn.execute(
            "SELECT r.id, r.version, o.top, h.top, h.n FROM records r"
            " LEFT JOIN (SELECT record_id, max(version) AS top FROM outbox GROUP BY 1) o"
            "   ON o.record_id = r.id"
            " LEFT JOIN (SELECT id, max(version) AS top, count(*) AS n FROM record_history"
            "   GROUP BY 1) h ON h.id = r.id"
            " WHERE o.top IS NOT r.version OR h.top IS NOT r.version OR h.n IS NOT r.version"
        ).fetchall()
        assert mismatched == []
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == len(
            {h[0] for h in history}
        )
        # Every change has its audit entry (written in the same transaction).
        changes = conn.execute(
            "SELECT count(*) FROM audit WHERE action IN ('create', 'update', 'delete')"
        ).fetchone()[0]
        assert changes == len(history)

        report = store.verify_audit()
        assert report.ok, report
        return len(history)
    finally:
        store.lock()


@pytest.mark.slow
def test_sigkill_never_loses_acknowledged_writes(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(CHILD, encoding="utf-8")
    rng = random.Random(20250301)
    expected: dict[Path, Expected] = {}
    killed_opening = killed_writing = acked_total = half_created = 0
    history_rows = 0

    for run in range(RUNS):
        profile = tmp_path / f"profile-{run // RUNS_PER_PROFILE}"
        exp = expected.setdefault(profile, Expected())
        mode = "unlock" if Store.exists(profile) else "create"
        if run % RUNS_PER_PROFILE == 0 or run % 5 == 2:
            # Aimed at create()/unlock(): Argon2id, opening, migrating, the first audit entry.
            after_open, delay = True, rng.uniform(0.0, 0.25)
        else:
            after_open, delay = False, rng.uniform(0.05, 1.5)

        acks = run_child(
            script,
            profile,
            mode,
            rng.randrange(2**31),
            f"r{run}",
            delay,
            after_open,
            tmp_path / f"acks-{run}.txt",
        )
        tags = [a[0] for a in acks]
        if "opening" in tags and "opened" not in tags:
            killed_opening += 1
        elif "opened" in tags:
            killed_writing += 1

        if mode == "create" and not Store.exists(profile):
            # Killed before the key header was written: nothing can have been acknowledged.
            assert "opened" not in tags
            if (profile / "records.db").exists():
                # A half-made profile (database without key header) cannot be opened or
                # re-created: see test_kill_during_create_leaves_a_usable_folder, which
                # asserts this. Start this profile over so the runs below still test writes.
                half_created += 1
                shutil.rmtree(profile)
            continue

        for ack in acks:
            if ack[0] in ("put", "del"):
                rid, version = ack[1], int(ack[2])
                exp.version[rid] = max(exp.version[rid], version)
                if ack[0] == "del":
                    exp.deleted_at[rid] = version
                acked_total += 1
            elif ack[0] == "audit":
                exp.audits.add(ack[1])
                acked_total += 1
        history_rows = check_store(profile, exp)

    # The schedule really exercised both kinds of kill, and a good amount of writing.
    assert killed_opening >= 2, killed_opening
    assert killed_writing >= 10, killed_writing
    assert acked_total >= 500, acked_total
    assert history_rows > 0
    print(
        f"kills while opening: {killed_opening}, while writing: {killed_writing}, "
        f"acknowledged: {acked_total}, half-created profiles: {half_created}"
    )


def test_kill_during_create_leaves_a_usable_folder(tmp_path):
    """SIGKILL inside Store.create once records.db exists but keys.json does not yet.

    The folder must then be either a working profile or free for a new Store.create.
    """
    profile = tmp_path / "profile"
    code = "import sys; from local_store.store import Store; Store.create(*sys.argv[1:4])"
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(profile), USER, PASSPHRASE],
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    db, header = profile / "records.db", profile / "keys.json"
    try:
        deadline = time.monotonic() + 30
        while child.poll() is None and time.monotonic() < deadline:
            if db.exists() and not header.exists():
                child.send_signal(signal.SIGKILL)
                break
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        child.wait()
    if child.returncode != -signal.SIGKILL or header.exists():
        pytest.skip("could not kill inside the create window on this machine")

    if Store.exists(profile):
        Store.unlock(profile, USER, PASSPHRASE).lock()
        return
    try:
        store, _ = Store.create(profile, USER, PASSPHRASE)
    except Exception as exc:
        pytest.fail(
            "after a crash inside Store.create the folder holds records.db without keys.json: "
            f"unlock says NotFound and create says {type(exc).__name__}: {exc}"
        )
    try:
        store.put({"resourceType": "Patient", "id": "p1"})
        assert store.verify_audit().ok
    finally:
        store.lock()
