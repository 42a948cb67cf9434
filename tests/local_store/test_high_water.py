"""Nothing acknowledged disappears without the product saying so (the high-water mark).

A writer process acknowledges records and is killed, leaving its log (WAL) on disk. Then:

* a byte is flipped at positions spread over the whole log (its header, frame headers, page
  data): every open either refuses (log damaged / store behind) or has every acknowledged
  record — never an open that quietly lacks some;
* a profile is copied file by file while a writer runs (a USB copy): the same must hold;
* an older database put back in place is refused;
* the command line's ``export`` never exits 0 with an acknowledged record missing.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local_store.errors import IntegrityFailure, LogDamaged, StoreBehind
from local_store.store import Store

REPO = Path(__file__).resolve().parents[2]
USER = "dr.mark"
PASS = "high water passphrase"

WRITER = """
import os, signal, sys, time
from local_store.store import Store
profile, start, count, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = Store.unlock(profile, "dr.mark", "high water passphrase")
for i in range(start, start + count):
    s.put({"resourceType": "Patient", "id": "r%05d" % i, "name": [{"text": "n" * 300}]})
    print(i, flush=True)
    if pause:
        time.sleep(pause)
os.kill(os.getpid(), signal.SIGKILL)
"""


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def killed_writer(profile: Path, start: int, count: int) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, str(profile), str(start), str(count), "0"],
        env=env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return [f"r{int(line):05d}" for line in proc.stdout.split()]


def outcome(profile: Path, acked: list[str]) -> str:
    """'refused' (a named integrity error) or 'complete'; fails on an open missing records."""
    try:
        store = Store.unlock(profile, USER, PASS)
    except IntegrityFailure as exc:
        assert "nothing" in str(exc).lower() or "not opened" in str(exc)
        return "refused"
    try:
        missing = [rid for rid in acked if store.version_of(rid) is None]
        assert not missing, f"opened with {len(missing)} acknowledged records missing"
        return "complete"
    finally:
        store.lock()


@pytest.fixture
def base(tmp_path) -> Path:
    profile = tmp_path / "profile"
    Store.create(profile, USER, PASS)[0].lock()
    return profile


@pytest.mark.timeout(1200)  # hundreds of unlocks (Argon2id each) after an unclean shutdown
def test_a_flipped_byte_anywhere_in_the_log_never_hides_lost_records(tmp_path, base):
    acked = killed_writer(base, 0, 60)
    wal = base / "records.db-wal"
    size = wal.stat().st_size
    assert size > 32 + 24 + 4096
    pristine = tmp_path / "pristine"
    shutil.copytree(base, pristine)
    rng = random.Random(17)
    frame = 24 + 4096
    positions = [0, 8, 20, 28]  # the log header: magic, page size, salts, checksum
    for n in range(1, size // frame + 1, 5):  # every 5th frame: all of the log, in bounded time
        at = 32 + (n - 1) * frame
        positions += [at + 1, at + 6, at + 10, at + 18, at + 24 + rng.randrange(4096)]
    results = {"refused": 0, "complete": 0}
    for pos in positions:
        if pos >= size:
            continue
        shutil.rmtree(base)
        shutil.copytree(pristine, base)
        data = bytearray(wal.read_bytes())
        data[pos] ^= 0x04
        wal.write_bytes(bytes(data))
        results[outcome(base, acked)] += 1
    assert results["refused"] >= len(positions) // 2, results
    # The refusal left the log as it was (read-only first): nothing was made final.
    shutil.rmtree(base)
    shutil.copytree(pristine, base)
    data = bytearray(wal.read_bytes())
    data[32 + 24 + 2000] ^= 0x04
    wal.write_bytes(bytes(data))
    with pytest.raises(LogDamaged) as err:
        Store.unlock(base, USER, PASS)
    assert "saved changes" in str(err.value) and "restore" in str(err.value).lower()
    assert wal.read_bytes() == bytes(data)


def test_export_of_a_store_behind_its_mark_exits_non_zero(tmp_path, base):
    acked = killed_writer(base, 0, 30)
    wal = base / "records.db-wal"
    data = bytearray(wal.read_bytes())
    data[len(data) - 4096 - 24 + 50] ^= 0x01  # damage the last acknowledged commit's frames
    wal.write_bytes(bytes(data))
    out = tmp_path / "all.ndjson"
    proc = subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", "--profile", str(base), "export",
         "--format", "fhir", "--out", str(out)],
        env={**env(), "CLINIC_PASSPHRASE": PASS, "CLINIC_USER": USER},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode in (LogDamaged.exit_status, StoreBehind.exit_status), proc.stderr
    assert proc.stderr.count("\n") == 1 and "missing" in proc.stderr
    assert not out.exists()
    assert acked


def test_an_older_database_put_back_is_refused(tmp_path, base):
    store = Store.unlock(base, USER, PASS)
    store.put({"resourceType": "Patient", "id": "early"})
    store.lock()
    old = (base / "records.db").read_bytes()
    store = Store.unlock(base, USER, PASS)
    for i in range(5):
        store.put({"resourceType": "Patient", "id": f"later-{i}"})
    store.lock()
    (base / "records.db").write_bytes(old)
    with pytest.raises(StoreBehind) as err:
        Store.unlock(base, USER, PASS)
    assert "saved changes" in str(err.value) and "missing" in str(err.value)


def test_a_copy_of_a_running_profile_is_complete_or_refused(tmp_path, base):
    results = {"refused": 0, "complete": 0}
    start = 0
    for attempt in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(base), str(start), "400", "0.002"],
            env=env(), stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        acked_before: list[str] = []
        for line in proc.stdout:
            acked_before.append(f"r{int(line):05d}")
            if len(acked_before) >= 40 + 10 * attempt:
                break
        copy = tmp_path / f"copy-{attempt}"
        copy.mkdir()
        # File by file, in name order, with the writer going on: what a USB copy does.
        for name in sorted(p.name for p in base.iterdir() if p.is_file()):
            with (
                contextlib.suppress(FileNotFoundError),
                open(base / name, "rb") as src,
                open(copy / name, "wb") as dst,
            ):
                while chunk := src.read(8192):
                    dst.write(chunk)
                    time.sleep(0.001)
        proc.kill()
        rest = proc.stdout.read()
        proc.wait()
        start += len(acked_before) + len(rest.split()) + 1
        results[outcome(copy, acked_before)] += 1
    assert sum(results.values()) == 6
