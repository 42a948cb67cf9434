"""Plumbing for the sync benchmark: a metered CentralClient, workstations with real encrypted
profiles, synthetic clinic records, memory figures from /proc, and small statistics helpers.

Nothing here times anything by itself; :mod:`bench.sync` does the measuring.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from clinic_app.clinic import Clinic
from clinic_app.demo_data import DOCTORS, _patient, _patient_records
from clinic_app.records.common import Resource
from clinic_app.records.vitals import vital_observation
from clinic_app.services.writes import item
from clinic_app.sync import protocol as p
from clinic_app.sync.account import SyncAccount
from clinic_app.sync.client import CentralClient
from clinic_app.sync.engine import SyncEngine
from tests.support.central_proc import REPO, CentralProcess

PASSPHRASE = "bench-sync-passphrase-1"
_started = time.perf_counter()


def progress(message: str) -> None:
    """A line of progress on stderr (the figures go to stdout)."""
    print(f"[{time.perf_counter() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- statistics --
def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# ------------------------------------------------------------------------------- memory --
def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS / VmHWM (peak RSS) of a process in KiB, from /proc (Linux)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key = line.split(":", 1)[0]
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(line.split()[1])
    except OSError:
        pass
    return out


def reset_peak(pid: int | str = "self") -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: ``echo 5 > /proc/PID/clear_refs``)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# ------------------------------------------------------------------------ metered client --
@dataclass
class Exchange:
    """One request to the central platform, as the client saw it."""

    path: str
    start: float  # perf_counter() when the request began
    seconds: float
    sent: int  # request body bytes on the wire (gzip)
    received: int  # answer body bytes on the wire (gzip when over 1 KiB)
    body: Any = None  # kept only when the log keeps payloads (to size them afterwards)
    answer: bytes | None = None  # the answer's JSON as it came (after gzip)
    server_ms: float = 0.0  # the central's own time, from its Server-Timing header (pulls)


@dataclass
class WireLog:
    """Every exchange of every client made for one workstation."""

    keep_payloads: bool = False
    exchanges: list[Exchange] = field(default_factory=list)

    def clear(self) -> None:
        self.exchanges.clear()

    def of(self, suffix: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.path.endswith(suffix)]

    def raw_sizes(self, suffix: str) -> tuple[int, int]:
        """Uncompressed (request, answer) JSON bytes of the kept exchanges: requests as the
        client serialises them (UTF-8), answers as they came (the server's ASCII escapes)."""
        sent = received = 0
        for e in self.of(suffix):
            if isinstance(e.body, str):  # already JSON text (CentralClient's JsonText)
                sent += len(e.body.encode())
            elif e.body is not None:
                sent += len(json.dumps(e.body, ensure_ascii=False, separators=(",", ":")).encode())
            if e.answer is not None:
                received += len(e.answer)
        return sent, received


class MeteredClient(CentralClient):
    """A CentralClient that logs time and wire bytes of each JSON request."""

    def __init__(self, base_url: str, token: str | None, log: WireLog, timeout: float = 60) -> None:
        super().__init__(base_url, token, timeout=timeout)
        self.log = log

    async def request_raw(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> bytes:
        sent, received = self.bytes_sent, self.bytes_received
        t0 = time.perf_counter()
        answer = await super().request_raw(method, path, body, params)
        keep = self.log.keep_payloads
        self.log.exchanges.append(
            Exchange(
                path,
                t0,
                time.perf_counter() - t0,
                self.bytes_sent - sent,
                self.bytes_received - received,
                body if keep else None,
                answer if keep else None,
                server_ms=sum(self.server_timing.values()),
            )
        )
        return answer


# --------------------------------------------------------------------------- workstation --
class Workstation:
    """A clinic PC: a real encrypted profile enrolled with a real central process."""

    def __init__(
        self, folder: Path, name: str, *, keep_payloads: bool = False, existing: bool = False
    ) -> None:
        self.name = name
        if existing:  # a profile made before (by another process): unlock it, keep its account
            self.clinic = Clinic.open(folder / name, f"dr.{name}", PASSPHRASE)
            self.account = self.clinic.sync.account()
        else:
            self.clinic, _ = Clinic.create(folder / name, f"dr.{name}", PASSPHRASE)
            self.account = None
        self.log = WireLog(keep_payloads)

    def client(self) -> MeteredClient:
        assert self.account is not None
        return MeteredClient(self.account.server, self.account.token, self.log)

    async def enroll(self, url: str, code: str) -> None:
        async with CentralClient(url) as c:
            info = await c.enroll(code, self.name)
        self.account = SyncAccount(
            url, info["token"], "device", info["device_id"], clinic_id=info["clinic_id"]
        )
        self.clinic.sync.save_account(self.account)

    def engine(
        self, batch_size: int = 400, pull_page: int = p.MAX_PULL, **options: Any
    ) -> SyncEngine:
        """The engine as the application builds it (default batch and page sizes), with the
        metered client."""
        return self.clinic.sync.engine(
            self.client, batch_size=batch_size, pull_page=pull_page, **options
        )

    def close(self) -> None:
        if not self.clinic.closed:
            self.clinic.close()


# --------------------------------------------------------------------------------- data --
def clinic_records(count: int, seed: int = 2026) -> Iterator[Resource]:
    """Exactly ``count`` records of a clinic's history (demo_data: patients with their visits,
    forms, vitals, conditions, consults, follow-ups), references always to earlier records."""
    rng = random.Random(seed)
    today = date.today()
    made = 0
    while True:
        for res in _patient_records(rng, today, 5):
            if made >= count:
                return
            yield res
            made += 1


def fill_store(clinic: Clinic, count: int, *, batch: int = 500, seed: int = 2026) -> dict[str, int]:
    """Write ``count`` records offline in batches (as ``clinic_app.demo_data.generate`` does,
    through the clinic's store: no service writes in bulk); returns the count per type."""
    store = clinic.store
    kinds: dict[str, int] = {}
    pending = []
    for res in clinic_records(count, seed):
        kinds[res["resourceType"]] = kinds.get(res["resourceType"], 0) + 1
        pending.append(item(res))
        if len(pending) >= batch:
            store.put_many(pending)
            pending = []
    if pending:
        store.put_many(pending)
    return kinds


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


VITAL_KEYS = ("systolic", "diastolic", "heart_rate", "temperature", "weight", "spo2")


def clinic_batches(rng: random.Random, batches: int, per_batch: int) -> list[p.PushRequest]:
    """A simulated clinic's pushes: each batch registers a patient and records visits of vitals
    (six Observations per visit) for the patients registered so far; all valid FHIR R4."""
    now = datetime.now().astimezone()
    patients: list[str] = []
    out = []
    for _ in range(batches):
        changes: list[p.Change] = []
        res = _patient(rng, date.today()).to_fhir()
        patients.append(res["id"])
        changes.append(p.Change(_uuid(rng), "Patient", res["id"], "put", None, res))
        while len(changes) < per_batch:
            pid = rng.choice(patients)
            when = now - timedelta(days=rng.randint(0, 365), hours=rng.randint(0, 9))
            doctor = rng.choice(DOCTORS)
            for key in VITAL_KEYS:
                if len(changes) >= per_batch:
                    break
                value = {
                    "systolic": rng.randint(105, 175),
                    "diastolic": rng.randint(60, 100),
                    "heart_rate": rng.randint(55, 110),
                    "temperature": round(rng.uniform(36.0, 37.8), 1),
                    "weight": round(rng.uniform(40, 90), 1),
                    "spo2": rng.randint(92, 100),
                }[key]
                obs = vital_observation(
                    key, value, patient_id=pid, effective=when, performer=doctor
                )
                changes.append(p.Change(_uuid(rng), "Observation", obs["id"], "put", None, obs))
        out.append(p.PushRequest(tuple(changes)))
    return out


def request_bytes(req: p.PushRequest) -> tuple[int, int]:
    """(uncompressed, gzip level 5) size of a push body, as CentralClient sends it."""
    raw = json.dumps(req.to_json(), ensure_ascii=False, separators=(",", ":")).encode()
    return len(raw), len(gzip.compress(raw, compresslevel=5))


# ------------------------------------------------------------------------------ runtime --
def run_async(coro: Any) -> Any:
    """asyncio.run, so that a Ctrl-C cancels the coroutine and reaches the caller's clean-up."""
    return asyncio.run(coro)


def cpu_seconds() -> float:
    """CPU time of this process (user + system)."""
    t = os.times()
    return t.user + t.system


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and of its reaped children) from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            text = fh.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / _TICK


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by a process, its live descendants and the
    children they reaped."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st is not None:
                stats[int(name)] = st
    total, todo, seen = 0.0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in stats:
            continue
        seen.add(pid)
        total += stats[pid][1]
        todo.extend(child for child, (ppid, _) in stats.items() if ppid == pid)
    return total


class Central(CentralProcess):
    """``clinic-central serve`` as tests.support.central_proc runs it, optionally under cProfile
    in every thread (bench.sync_profiled_central; the profile is written when the server stops
    cleanly on SIGTERM)."""

    def __init__(self, db_url: str, *, log_path: Path, profile_to: Path | None = None) -> None:
        super().__init__(db_url, log_path=log_path)
        self.profile_to = profile_to

    def start(self, timeout: float = 60.0) -> Central:
        if self.profile_to is None:
            super().start(timeout)
            return self
        argv = [
            sys.executable,
            "-m",
            "bench.sync_profiled_central",
            str(self.profile_to),
            "serve",
            "--db",
            self.db_url,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        with open(self.log_path or os.devnull, "ab") as out:
            self.proc = subprocess.Popen(
                argv,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.wait_healthy(timeout)
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


def machine_busy() -> float:
    """CPU seconds all CPUs of the machine spent busy so far (/proc/stat: not idle, not iowait)."""
    with open("/proc/stat") as fh:
        fields = [int(f) for f in fh.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / _TICK


def settle() -> None:
    """Flush dirty pages (untimed), so the kernel's write-back of the records just written does
    not land in the fsyncs of the timed sync (a real backlog was written days before)."""
    if hasattr(os, "sync"):
        os.sync()


class Neighbours:
    """CPU used during a span by processes that are not this benchmark (nor its children), as
    a warning: the machine is shared and has few cores."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.busy0 = machine_busy()
        self.ours0 = tree_cpu(os.getpid())
        self.load0 = os.getloadavg()[0]

    def report(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        other = max(0.0, (machine_busy() - self.busy0) - (tree_cpu(os.getpid()) - self.ours0))
        return {
            "wall_s": wall,
            "other_cpu_s": other,
            "other_share": other / (wall * (os.cpu_count() or 1)) if wall else 0.0,
            "loadavg_at_start": self.load0,
        }
