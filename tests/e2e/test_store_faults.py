"""The store under damage, end to end: a clinic profile syncing with a real central process.

A writer process (the workstation: registers patients and syncs them to ``clinic-central``)
commits through the change log and is killed, so its committed changes are still in the log
when the damage is made, as after a power cut:

* a byte flipped in the log of the closed profile: ``clinic-app export`` and ``clinic-app sync``
  refuse with LOG_DAMAGED and its exit status; neither exits 0 with acknowledged records
  missing, and the profile's files are left as they are;
* a torn copy (the folder copied file by file while the writer commits, as a USB copy or a
  backup tool does): refused at open with its named error;
* that torn copy is rebuilt from the central platform (``clinic-app rebuild``, a real process):
  every record the writer saw synced is back.
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from local_store.errors import (
    DatabaseDamaged,
    DatabaseTruncated,
    LogDamaged,
    StoreBehind,
)
from local_store.store import Store
from tests.e2e.workstation import PASSPHRASE, Workstation
from tests.support.central_proc import CentralProcess

REPO = Path(__file__).resolve().parents[2]
USER = "dr.a"
FRAME = 4096 + 24
REFUSALS = {e.code: e.exit_status for e in (StoreBehind, LogDamaged, DatabaseDamaged,
                                            DatabaseTruncated)}  # fmt: skip

# The workstation as its own process: rounds of 5 new patients, each round synced; prints the
# ids of every round the platform acknowledged; killed (no clean close) at the end, or by the
# test when ROUNDS is 0.
WRITER = """
import asyncio, os, signal, sys
from clinic_app.records.patient import PatientInput
from clinic_app.services import patients
from clinic_app.sync.account import SyncAccount
from clinic_app.sync.engine import SyncEngine
from local_store.store import Store

profile, tag, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store.unlock(profile, "dr.a", os.environ["CLINIC_PASSPHRASE"])
account = SyncAccount.require(store)
engine = SyncEngine(store, lambda: account.client(store, timeout=20), batch_size=100)
r = 0
while rounds == 0 or r < rounds:
    ids = []
    for i in range(5):
        res, _ = patients.register(store, PatientInput(family="王", given=f"{tag}{r}-{i}"))
        ids.append(res["id"])
    print("written", *ids, flush=True)  # before the push: any id the central gets is known
    status = asyncio.run(engine.sync_once())
    if status.pending == 0 and not status.errors:
        print("synced", *ids, flush=True)
    else:
        print("unsynced", *ids, flush=True)
    r += 1
os.kill(os.getpid(), signal.SIGKILL)
"""


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    return {**base, "PYTHONPATH": str(REPO), "CLINIC_PASSPHRASE": PASSPHRASE, **extra}


def cli(*argv: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", *(str(a) for a in argv)],
        env=env(CLINIC_USER=USER), capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def files(folder: Path) -> dict[str, str]:
    """Every file's hash but SQLite's log index (``-shm``), which holds no records."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm")
    }


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def refused(proc: subprocess.CompletedProcess, codes: dict[str, int]) -> str:
    """One error line naming one of ``codes``, with that code's exit status; the code."""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    code = lines[0].rsplit("[", 1)[-1].rstrip("]")
    assert code in codes, lines[0]
    assert proc.returncode == codes[code] != 0, (proc.returncode, lines[0])
    return code


class Writer:
    """The writer process; its stdout lines arrive on a queue."""

    def __init__(self, profile: Path, tag: str, rounds: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(profile), tag, str(rounds)],
            env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.synced: set[str] = set()
        self.written: set[str] = set()
        assert self.proc.stdout is not None
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def next_round(self, timeout: float = 60) -> str:
        """The next round's outcome ("synced" or "unsynced"); the ids it wrote are known from
        its "written" line, printed before its push (a kill may come after the push)."""
        while True:
            line = self.lines.get(timeout=timeout)
            word, *ids = line.split()
            self.written.update(ids)
            if word == "synced":
                self.synced.update(ids)
            if word != "written":
                return word

    def wait_killed(self) -> None:
        self.proc.wait(timeout=120)
        while not self.lines.empty():  # the last round's lines, a "written" one included
            word, *ids = self.lines.get().split()
            self.written.update(ids)
            if word == "synced":
                self.synced.update(ids)
        assert self.proc.returncode == -signal.SIGKILL, self.proc.stderr.read()  # type: ignore[union-attr]


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralProcess]:
    proc = CentralProcess(f"sqlite:///{tmp_path / 'central.db'}",
                          log_path=tmp_path / "central.log")  # fmt: skip
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def clinic(tmp_path: Path, central: CentralProcess) -> tuple[Path, str, set[str]]:
    """Workstation ``a`` of a clinic, enrolled, with 20 patients synced; closed cleanly."""
    clinic_id = central.add_clinic("Hill Clinic")
    ws = Workstation(tmp_path, "a")
    ws.enroll(central.url, central.enrollment_code(clinic_id))
    first = {ws.add_patient("张", f"早{i}")["id"] for i in range(20)}
    assert ws.sync_until_quiet().pending == 0
    ws.close()
    return tmp_path / "a", clinic_id, first


def test_a_flipped_byte_in_the_log_is_refused_by_export_and_sync(
    clinic: tuple[Path, str, set[str]], tmp_path: Path
) -> None:
    profile, _clinic_id, _first = clinic
    writer = Writer(profile, "log", rounds=4)
    writer.wait_killed()
    assert len(writer.synced) == 20  # acknowledged by the platform, and in the log only
    wal = profile / "records.db-wal"
    assert wal.stat().st_size > 8 * FRAME
    flip(wal, 32 + 3 * FRAME + 24 + 2000)  # a frame early in the log: the rest would be dropped
    before = files(profile)

    out = tmp_path / "export.ndjson"
    for argv in (("export", "--format", "fhir", "--out", out), ("sync", "--once")):
        proc = cli("--profile", profile, *argv)
        assert refused(proc, {LogDamaged.code: LogDamaged.exit_status}) == "LOG_DAMAGED"
        assert proc.stdout == ""
        assert not out.exists()  # nothing exported, not even a part
        assert files(profile) == before  # the loss was not made final by opening it
    proc = cli("--profile", profile, "info")
    assert proc.returncode == LogDamaged.exit_status, proc.stderr


def test_a_torn_copy_is_refused_and_rebuilt_from_central(
    clinic: tuple[Path, str, set[str]], tmp_path: Path, central: CentralProcess
) -> None:
    profile, clinic_id, first = clinic
    writer = Writer(profile, "torn", rounds=0)
    copy = tmp_path / "stick" / "a"
    copy.mkdir(parents=True)
    try:
        while writer.next_round() != "synced" or len(writer.synced) < 10:
            pass
        # File by file while the writer commits, as a copy tool does: the database, its log,
        # then (after at least one more commit) the rest.
        for name in ("records.db", "records.db-wal"):
            shutil.copyfile(profile / name, copy / name)
        writer.next_round()
        shutil.copytree(profile / "attachments", copy / "attachments", dirs_exist_ok=True)
        for name in ("keys.json", "records.mark"):
            shutil.copyfile(profile / name, copy / name)
        writer.next_round()
    finally:
        writer.proc.send_signal(signal.SIGKILL)
    writer.wait_killed()
    synced = first | writer.synced
    assert len(writer.synced) >= 15

    with pytest.raises(tuple(e for e in (StoreBehind, LogDamaged, DatabaseDamaged,
                                         DatabaseTruncated))):  # fmt: skip
        Store.unlock(copy, USER, PASSPHRASE).lock()
    before = files(copy)
    out = tmp_path / "copy.ndjson"
    proc = cli("--profile", copy, "export", "--format", "fhir", "--out", out)
    refused(proc, REFUSALS)
    assert not out.exists() and files(copy) == before

    # The original was only killed, never damaged: it opens and holds what was synced.
    original = Store.unlock(profile, USER, PASSPHRASE)
    try:
        assert synced <= {r["id"] for r in original.find("Patient")}
    finally:
        original.lock()

    rebuilt = tmp_path / "rebuilt"
    code = central.enrollment_code(clinic_id)
    proc = cli("--profile", copy, "rebuild", "--out", rebuilt, "--server", central.url,
               "--code", code)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"Rebuilt into {rebuilt}" in proc.stdout
    assert files(copy) == before  # the torn copy was only read
    store = Store.unlock(rebuilt, USER, PASSPHRASE)
    try:
        here = {r["id"] for r in store.find("Patient")}
        assert synced <= here  # every synced record came back
        assert here <= first | writer.written  # and nothing else
        assert store.integrity_check() == ["ok"] and store.verify_audit().ok
    finally:
        store.lock()
    proc = cli("--profile", rebuilt, "export", "--format", "fhir", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert f"Exported {len(here)} FHIR resources" in proc.stdout
