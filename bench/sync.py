"""Sync benchmark ("central platform and sync"): real ``clinic-central serve`` processes on
loopback, real encrypted workstation profiles, the real SyncEngine and CentralClient.

Run from the repository root::

    .venv/bin/python -m bench.sync --quick            # small sizes, a minute or two
    .venv/bin/python -m bench.sync                    # full sizes (many minutes)
    .venv/bin/python -m bench.sync --part 2 --part 4 --backlog 50000 --json out.json

Parts (each runnable alone with ``--part N``):

1. Initial sync: clinic A's workstation with 10,000 records (demo_data histories) pushes
   everything (``SyncEngine.sync_once``), a second enrolled PC of the same clinic pulls it all.
   Target: push + pull <= 10 s. Wire bytes per record against the uncompressed JSON.
2. One change round trip: A edits a patient and syncs, A2 syncs and sees it; median and p95
   over 30 rounds. Target: <= 200 ms. Baseline: a bare GET /api/v1/health.
3. 200 simulated clinics (asyncio tasks, own enrolled device tokens, CentralClient.push) pushing
   at once, on SQLite and on PostgreSQL (one and several server processes): changes/s, p99.
4. A 30-day backlog (100,000 changes) drains with bounded memory: peak RSS growth of the
   syncing process (VmHWM) for two backlog sizes, each in a fresh subprocess.
5. First sync at scale: a new workstation's first pull of 10,000 and 100,000 records (a fresh
   process each: time, peak RSS, where the time goes: central query + JSON, network, client
   decode, store statements, commits; the patient list read meanwhile), and the demo data's
   ~21,000 changes pushed by its workstation. Targets: 10k <= 1 s, 100k <= 10 s under 300 MiB,
   demo push <= 5 s. ``--seed-cache DIR`` keeps the seeded central databases for the next run.

Progress goes to stderr, the tables to stdout. Every temporary folder and process (central
servers, PostgreSQL, child processes) is removed on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import os
import platform
import pstats
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.sync_support import (
    Central,
    Neighbours,
    Workstation,
    clinic_batches,
    clinic_records,
    cpu_seconds,
    fill_store,
    median,
    pct,
    proc_status,
    progress,
    request_bytes,
    reset_peak,
    settle,
    tree_cpu,
)
from clinic_app.records.patient import PatientInput
from clinic_app.sync import protocol as p
from clinic_app.sync.client import CentralClient, SyncError

INITIAL_SYNC_TARGET_S = 10.0
ROUND_TRIP_TARGET_MS = 200.0
LOAD_LIMIT_S = 180.0  # each part-3 configuration stops pushing after this
MIB = 1024.0
PAGE_CACHE_MIB = 64  # local_store/db.py: PRAGMA cache_size = -65536


# ------------------------------------------------------------------------------ reporting --
def table(
    title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()
) -> None:
    """Print one aligned table (stdout)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)))
    print(line)
    for r in cells[1:]:
        print(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    for note in notes:
        print(f"  {note}")
    sys.stdout.flush()


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


# ------------------------------------------------------------------------------ profiling --
class Profiler:
    """cProfile of the benchmark's main thread and of one executor thread (the store writer)."""

    def __init__(self, out: Path | None, executor: ThreadPoolExecutor) -> None:
        self.out = out
        self.executor = executor
        self.main = cProfile.Profile()
        self.worker = cProfile.Profile()

    def __enter__(self) -> Profiler:
        if self.out is not None:
            self.executor.submit(self.worker.enable).result()
            self.main.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.out is None:
            return
        self.main.disable()
        self.executor.submit(self.worker.disable).result()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        for prof, tag in ((self.main, "loop"), (self.worker, "store")):
            path = self.out.with_name(f"{self.out.name}-{tag}.prof")
            prof.dump_stats(path)
            with open(path.with_suffix(".txt"), "w") as fh:
                pstats.Stats(prof, stream=fh).sort_stats("cumulative").print_stats(40)
                pstats.Stats(prof, stream=fh).sort_stats("tottime").print_stats(25)
            progress(f"profile written: {path} (+ .txt)")


# --------------------------------------------------------------------------------- bench --
@dataclass
class Sizes:
    records: int
    rounds: int
    clinics: int
    batches: int
    per_batch: int
    backlog: int
    backlog_compare: int


class Bench:
    """The run: a temporary root, every process started, and their clean-up."""

    def __init__(self, args: argparse.Namespace, root: Path, stack: contextlib.ExitStack) -> None:
        self.args = args
        self.root = root
        self.stack = stack
        self.sizes = Sizes(
            records=args.records or (2_000 if args.quick else 10_000),
            rounds=args.rounds or (10 if args.quick else 30),
            clinics=args.clinics or (40 if args.quick else 200),
            batches=args.batches or (5 if args.quick else 10),
            per_batch=args.batch_changes,
            backlog=args.backlog or (10_000 if args.quick else 100_000),
            backlog_compare=args.backlog_compare or (2_000 if args.quick else 20_000),
        )
        self.profile_dir: Path | None = args.profile
        self._pg: Any = None
        self.world: World | None = None

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def central(self, db_url: str, name: str, *, profile: bool = False) -> Central:
        """Start a ``clinic-central serve`` process; it is stopped at the end at the latest."""
        prof = self.profile_dir / f"{name}-central.prof" if profile and self.profile_dir else None
        if prof is not None:
            prof.parent.mkdir(parents=True, exist_ok=True)
        server = Central(db_url, log_path=self.root / f"{name}-central.log", profile_to=prof)
        self.stack.callback(server.stop)
        server.start()
        progress(f"clinic-central up at {server.url} ({db_url.split(':', 1)[0]}, pid {server.pid})")
        return server

    def sqlite_central(self, name: str, *, profile: bool = False) -> Central:
        return self.central(f"sqlite:///{self.folder(name) / 'central.db'}", name, profile=profile)

    def postgres(self) -> Any:
        if self._pg is None:
            from tests.support.postgres import PostgresServer

            server = PostgresServer()
            self.stack.callback(server.stop)
            server.start()
            self._pg = server
            progress(f"PostgreSQL up on port {server.port}")
        return self._pg


@dataclass
class World:
    """Part 1's outcome, reused by part 2: one central, clinic A's two synced PCs."""

    central: Central
    a: Workstation
    a2: Workstation


# ---------------------------------------------------------------------------------- part 1 --
def _warm_up(b: Bench, central: Central, name: str) -> None:
    """Untimed: a throw-away clinic pushes a small history, so the server has imported its
    FHIR models (a long-running server has)."""
    clinic = central.add_clinic(f"Warm-up {name}")
    ws = Workstation(b.folder(name), "warm-up")
    try:
        fill_store(ws.clinic, 300, seed=7)
        asyncio.run(ws.enroll(central.url, central.enrollment_code(clinic)))
        engine = ws.engine()
        try:
            status = asyncio.run(engine.sync_once())
        finally:
            engine.close()
        if status.last_error or status.pending:
            raise RuntimeError(f"warm-up sync failed: {status.last_error}")
    finally:
        ws.close()


@dataclass
class Timed:
    seconds: float
    status: Any
    client_cpu: float  # CPU seconds of this process (all threads) during the sync
    central_cpu: float  # CPU seconds of the central process during the sync


def _timed_sync(ws: Workstation, label: str, profile: Path | None, central: Central) -> Timed:
    executor = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
    engine = ws.engine(executor=executor)
    try:
        with Profiler(profile, executor):
            cpu0, srv0 = cpu_seconds(), tree_cpu(central.pid or 0)
            t0 = time.perf_counter()
            status = asyncio.run(engine.sync_once())
            seconds = time.perf_counter() - t0
            cpu, srv = cpu_seconds() - cpu0, tree_cpu(central.pid or 0) - srv0
    finally:
        executor.shutdown(wait=True)
    if status.last_error:
        raise RuntimeError(f"{label} sync failed: {status.last_error}")
    return Timed(seconds, status, cpu, srv)


def build_world(b: Bench, measure: bool) -> dict[str, Any]:
    """Central + clinic A (N records) + A2; with ``measure``, time and report the initial sync."""
    n = b.sizes.records
    prof = b.profile_dir if measure else None
    central = b.sqlite_central("p1", profile=prof is not None)
    _warm_up(b, central, "p1-warm")
    clinic = central.add_clinic("Hill Clinic")
    a = Workstation(b.folder("p1"), "a", keep_payloads=True)
    a2 = Workstation(b.folder("p1"), "a2", keep_payloads=True)
    b.stack.callback(a.close)
    b.stack.callback(a2.close)
    progress(f"part 1: writing {n:,} records offline in clinic A's profile")
    t0 = time.perf_counter()
    kinds = fill_store(a.clinic, n)
    local_s = time.perf_counter() - t0
    settle()
    asyncio.run(a.enroll(central.url, central.enrollment_code(clinic)))
    asyncio.run(a2.enroll(central.url, central.enrollment_code(clinic)))
    b.world = World(central, a, a2)

    progress("part 1: A pushes everything (sync_once)")
    ta = _timed_sync(a, "A", prof / "p1-A" if prof else None, central)
    push_s, st_a = ta.seconds, ta.status
    progress(f"part 1: A done in {push_s:.2f} s; A2 pulls everything (sync_once)")
    tb = _timed_sync(a2, "A2", prof / "p1-A2" if prof else None, central)
    pull_s = tb.seconds
    progress(f"part 1: A2 done in {pull_s:.2f} s")
    got = sum(a2.clinic.profile.counts().values())
    if st_a.pushed != n or st_a.pending or got != n:
        raise RuntimeError(f"initial sync incomplete: pushed {st_a.pushed}, A2 holds {got} of {n}")
    if not measure:
        a.log.keep_payloads = a2.log.keep_payloads = False
        a.log.clear()
        a2.log.clear()
        return {}

    pushes, backs, pulls = a.log.of("/sync/push"), a.log.of("/sync/pull"), a2.log.of("/sync/pull")
    raw_push, raw_push_answer = a.log.raw_sizes("/sync/push")
    _, raw_back = a.log.raw_sizes("/sync/pull")
    _, raw_pull = a2.log.raw_sizes("/sync/pull")
    wire_push = sum(e.sent for e in pushes)
    wire_push_answer = sum(e.received for e in pushes)
    wire_back = sum(e.received for e in backs)
    wire_pull = sum(e.received for e in pulls)
    a_pull_phase = a.log.of("/sync/pull")[0].start if backs else 0.0
    a_push_phase = a_pull_phase - pushes[0].start if backs else push_s
    total = push_s + pull_s
    a.log.keep_payloads = a2.log.keep_payloads = False
    a.log.clear()
    a2.log.clear()
    http_push = sum(e.seconds for e in pushes)
    http_back = sum(e.seconds for e in backs)
    http_pull = sum(e.seconds for e in pulls)
    fig: dict[str, Any] = {
        "records": n,
        "kinds": kinds,
        "local_write_s": local_s,
        "a_sync_s": push_s,
        "a_push_phase_s": a_push_phase,
        "a_pullback_phase_s": push_s - a_push_phase,
        "a2_pull_s": pull_s,
        "a_client_cpu_s": ta.client_cpu,
        "a_central_cpu_s": ta.central_cpu,
        "a2_client_cpu_s": tb.client_cpu,
        "a2_central_cpu_s": tb.central_cpu,
        "total_s": total,
        "records_per_s": n / total,
        "push_requests": len(pushes),
        "pull_requests": len(pulls),
        "http_push_s": http_push,
        "http_pullback_s": http_back,
        "http_pull_s": http_pull,
        "push_wire_bytes_per_record": wire_push / n,
        "push_json_bytes_per_record": raw_push / n,
        "push_answer_wire_bytes_per_record": wire_push_answer / n,
        "push_answer_json_bytes_per_record": raw_push_answer / n,
        "pull_wire_bytes_per_record": wire_pull / n,
        "pull_json_bytes_per_record": raw_pull / n,
        "pullback_wire_bytes_per_record": wire_back / n,
        "pullback_json_bytes_per_record": raw_back / n,
        "target_s": INITIAL_SYNC_TARGET_S,
        "met": total <= INITIAL_SYNC_TARGET_S,
    }
    rows = [
        ["records (clinic A)", "", "", "", "", "", f"{n:,} records of {len(kinds)} FHIR types"],
        [
            "local write, put_many (baseline)",
            f"{local_s:.2f}",
            f"{n / local_s:,.0f}",
            "",
            "",
            "",
            "",
        ],
        [
            "A sync_once (push all, pull them back)",
            f"{push_s:.2f}",
            f"{n / push_s:,.0f}",
            f"{http_push + http_back:.2f}",
            f"{ta.client_cpu:.2f}",
            f"{ta.central_cpu:.2f}",
            "",
        ],
        [
            "  of which: push all",
            f"{a_push_phase:.2f}",
            f"{n / a_push_phase:,.0f}",
            f"{http_push:.2f}",
            "",
            "",
            f"{len(pushes)} pushes; client {a_push_phase - http_push:.2f} s outside HTTP",
        ],
        [
            "  of which: pull own changes back",
            f"{push_s - a_push_phase:.2f}",
            "",
            f"{http_back:.2f}",
            "",
            "",
            f"{len(backs)} pulls; client {push_s - a_push_phase - http_back:.2f} s outside HTTP",
        ],
        [
            "A2 sync_once (pull all)",
            f"{pull_s:.2f}",
            f"{n / pull_s:,.0f}",
            f"{http_pull:.2f}",
            f"{tb.client_cpu:.2f}",
            f"{tb.central_cpu:.2f}",
            f"{len(pulls)} pulls; client {pull_s - http_pull:.2f} s outside HTTP",
        ],
        [
            "TOTAL A push + A2 pull",
            f"{total:.2f}",
            f"{n / total:,.0f}",
            "",
            "",
            "",
            f"target <= {INITIAL_SYNC_TARGET_S:.0f} s: {verdict(total <= INITIAL_SYNC_TARGET_S)}",
        ],
    ]
    table(
        "1. Initial sync, clinic A -> central (SQLite) -> clinic A's second PC",
        ["figure", "time s", "rec/s", "HTTP s", "client CPU s", "central CPU s", "notes"],
        rows,
        [
            "HTTP = time inside CentralClient requests (server work + loopback); outside HTTP ="
            " the engine,",
            "SyncLedger transactions (each commit fsyncs: synchronous=FULL) and JSON on the"
            " client. Wall time",
            "beyond client + central CPU is waiting: fsync, loopback, and other processes on the"
            " machine.",
        ],
    )

    def ratio(json_b: float, wire_b: float) -> str:
        return f"{json_b / wire_b:.1f}x" if wire_b else "-"

    wire_rows = [
        [
            "push request (A -> central)",
            f"{raw_push / n:,.0f}",
            f"{wire_push / n:,.0f}",
            ratio(raw_push, wire_push),
        ],
        [
            "push answer (central -> A)",
            f"{raw_push_answer / n:,.0f}",
            f"{wire_push_answer / n:,.0f}",
            ratio(raw_push_answer, wire_push_answer),
        ],
        [
            "pull by A2 (central -> A2)",
            f"{raw_pull / n:,.0f}",
            f"{wire_pull / n:,.0f}",
            ratio(raw_pull, wire_pull),
        ],
        [
            "pull-back by A of its own changes",
            f"{raw_back / n:,.0f}",
            f"{wire_back / n:,.0f}",
            ratio(raw_back, wire_back),
        ],
    ]
    table(
        "1b. Bytes per record (HTTP bodies; the uncompressed JSON is the baseline)",
        ["direction", "JSON B/rec", "wire B/rec", "compression"],
        wire_rows,
        [
            "JSON as each side serialises it: client UTF-8, server ASCII escapes (\\uXXXX);",
            "wire = gzip bodies as counted by CentralClient (headers not included).",
        ],
    )
    if prof is not None:  # the server writes its profile when it stops
        central.stop()
        b.world = None
    return fig


def part1(b: Bench) -> dict[str, Any]:
    return build_world(b, measure=True)


# ---------------------------------------------------------------------------------- part 2 --
async def _round_trips(b: Bench, w: World) -> dict[str, Any]:
    rounds = b.sizes.rounds
    url = w.central.url
    keep, fresh = [], []
    async with CentralClient(url) as c:
        for i in range(rounds + 5):
            t0 = time.perf_counter()
            await c.health()
            if i >= 5:
                keep.append(time.perf_counter() - t0)
    for _ in range(rounds):
        t0 = time.perf_counter()
        async with CentralClient(url) as c:
            await c.health()
        fresh.append(time.perf_counter() - t0)

    ea, ea2 = w.a.engine(), w.a2.engine()
    ids = [r["id"] for r in w.a.clinic.patients.page(0, max(rounds, 1))]
    push, pull, total, edit = [], [], [], []
    http_a, http_a2 = [], []
    try:
        for i in range(rounds):
            pid = ids[i % len(ids)]
            t0 = time.perf_counter()
            current = w.a.clinic.patients.get(pid)
            data = PatientInput.from_fhir(current)
            phone = f"139{random.randrange(10**8):08d}"
            data.phone = phone
            w.a.clinic.patients.update(data, int(current["meta"]["versionId"]))
            edit.append(time.perf_counter() - t0)
            w.a.log.clear()
            w.a2.log.clear()
            t1 = time.perf_counter()
            sa = await ea.sync_once()
            t2 = time.perf_counter()
            sb = await ea2.sync_once()
            t3 = time.perf_counter()
            if sa.last_error or sb.last_error or sa.pushed != 1:
                raise RuntimeError(f"round trip failed: {sa.last_error or sb.last_error}")
            seen = w.a2.clinic.patients.get(pid)
            if phone not in json.dumps(seen):
                raise RuntimeError("A2 did not see A's change")
            push.append(t2 - t1)
            pull.append(t3 - t2)
            total.append(t3 - t1)
            http_a.append(sum(e.seconds for e in w.a.log.exchanges))
            http_a2.append(sum(e.seconds for e in w.a2.log.exchanges))
    finally:
        ea.close()
        ea2.close()
    return {
        "rounds": rounds,
        "health_keepalive_s": keep,
        "health_new_connection_s": fresh,
        "edit_s": edit,
        "a_sync_s": push,
        "a2_sync_s": pull,
        "total_s": total,
        "a_http_s": http_a,
        "a2_http_s": http_a2,
    }


def part2(b: Bench) -> dict[str, Any]:
    if b.world is None:
        progress(f"part 2: setting up clinic A and A2 with {b.sizes.records:,} records (untimed)")
        build_world(b, measure=False)
    assert b.world is not None
    progress(f"part 2: {b.sizes.rounds} round trips of one patient edit")
    r = asyncio.run(_round_trips(b, b.world))
    med, p95 = median(r["total_s"]), pct(r["total_s"], 95)
    fig = {
        "rounds": r["rounds"],
        "records_in_store": b.sizes.records,
        "round_trip_median_ms": med * 1000,
        "round_trip_p95_ms": p95 * 1000,
        "a_sync_median_ms": median(r["a_sync_s"]) * 1000,
        "a2_sync_median_ms": median(r["a2_sync_s"]) * 1000,
        "a_http_median_ms": median(r["a_http_s"]) * 1000,
        "a2_http_median_ms": median(r["a2_http_s"]) * 1000,
        "edit_median_ms": median(r["edit_s"]) * 1000,
        "health_keepalive_median_ms": median(r["health_keepalive_s"]) * 1000,
        "health_keepalive_p95_ms": pct(r["health_keepalive_s"], 95) * 1000,
        "health_new_connection_median_ms": median(r["health_new_connection_s"]) * 1000,
        "health_new_connection_p95_ms": pct(r["health_new_connection_s"], 95) * 1000,
        "target_ms": ROUND_TRIP_TARGET_MS,
        "met_median": med * 1000 <= ROUND_TRIP_TARGET_MS,
        "met_p95": p95 * 1000 <= ROUND_TRIP_TARGET_MS,
    }

    def row(name: str, values: list[float], note: str = "") -> list[str]:
        return [name, ms(median(values)), ms(pct(values, 95)), ms(max(values)), note]

    rows = [
        row(
            "A: sync_once (push 1 change + pull it back)",
            r["a_sync_s"],
            f"HTTP {ms(median(r['a_http_s']))} ms (2 requests)",
        ),
        row(
            "A2: sync_once (pull 1 change)",
            r["a2_sync_s"],
            f"HTTP {ms(median(r['a2_http_s']))} ms (1 request)",
        ),
        row(
            "ROUND TRIP push + pull",
            r["total_s"],
            f"target <= {ROUND_TRIP_TARGET_MS:.0f} ms: median {verdict(fig['met_median'])},"
            f" p95 {verdict(fig['met_p95'])}",
        ),
        row("baseline: GET /api/v1/health, kept-alive connection", r["health_keepalive_s"]),
        row(
            "baseline: GET /api/v1/health, new client each time",
            r["health_new_connection_s"],
            "what each sync_once pays (new session)",
        ),
        row("(not timed above) A's local edit, patients.update", r["edit_s"]),
    ]
    table(
        f"2. One change round trip, {r['rounds']} rounds ({b.sizes.records:,} records in each"
        " profile)",
        ["figure", "median ms", "p95 ms", "max ms", "notes"],
        rows,
    )
    return fig


# ---------------------------------------------------------------------------------- part 3 --
def _make_clinics(db_url: str, count: int) -> list[tuple[str, str]]:
    """(clinic id, one-time code) pairs, written straight into the central database with the
    same account functions the CLI uses (400 CLI runs would take minutes)."""
    from central import accounts, schema
    from central.db import Database

    db = Database(db_url, pool_size=1)
    try:
        schema.ensure(db)

        def make(conn: Any) -> list[tuple[str, str]]:
            out = []
            for i in range(count):
                clinic = accounts.create_clinic(conn, f"Clinic {i:03d}")
                code, _ = accounts.create_enrollment_code(conn, clinic, 24)
                out.append((clinic, code))
            return out

        return db.write_sync(make, seq_lock=False)
    finally:
        db.close()


async def _enroll_all(urls: list[str], codes: list[str]) -> list[str]:
    sem = asyncio.Semaphore(16)

    async def one(i: int, code: str) -> str:
        async with sem, CentralClient(urls[i % len(urls)]) as c:
            info = await c.enroll(code, f"sim-{i:03d}")
        return str(info["token"])

    return list(await asyncio.gather(*(one(i, c) for i, c in enumerate(codes))))


async def _load(
    urls: list[str], tokens: list[str], payloads: list[list[p.PushRequest]], limit_s: float
) -> dict[str, Any]:
    """Every clinic pushes its batches one after the other, all clinics at once."""
    clients = [CentralClient(urls[i % len(urls)], t, timeout=limit_s) for i, t in enumerate(tokens)]
    latencies: list[float] = []
    pull_latencies: list[float] = []
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    go = asyncio.Event()
    first: list[float] = []
    pushed_by: list[float] = []  # when each clinic's last push was answered
    ready = [0]

    async def clinic(i: int) -> None:
        await clients[i].health()  # the connection is open before the start
        ready[0] += 1
        await go.wait()
        for req in payloads[i]:
            t0 = time.perf_counter()
            try:
                resp = await clients[i].push(req)
            except SyncError as exc:
                errors[type(exc).__name__] += 1
                continue
            latencies.append(time.perf_counter() - t0)
            statuses.update(r.status for r in resp.results)
        pushed_by.append(time.perf_counter())
        # Then each clinic pulls what it pushed (while the others still push): pull latency.
        since = 0
        while True:
            t0 = time.perf_counter()
            try:
                page = await clients[i].pull(p.PullRequest(since, p.MAX_PULL))
            except SyncError as exc:
                errors[f"pull {type(exc).__name__}"] += 1
                return
            pull_latencies.append(time.perf_counter() - t0)
            if not page.more:
                return
            since = page.next

    tasks = [asyncio.create_task(clinic(i)) for i in range(len(tokens))]
    try:
        while ready[0] < len(clients) and not any(t.done() for t in tasks):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        cpu0 = cpu_seconds()
        first.append(time.perf_counter())
        go.set()
        done, pending = await asyncio.wait(tasks, timeout=limit_s)
        elapsed = (max(pushed_by) if pushed_by and not pending else time.perf_counter()) - first[0]
        cpu = cpu_seconds() - cpu0
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for t in done:
            if t.exception() is not None:
                errors[type(t.exception()).__name__] += 1
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    return {
        "elapsed_s": elapsed,
        "cut_off": bool(pending),
        "latencies": latencies,
        "pull_latencies": pull_latencies,
        "statuses": dict(statuses),
        "errors": dict(errors),
        "loadgen_cpu_s": cpu,
    }


async def _lone_pushes(url: str, token: str, reqs: list[p.PushRequest]) -> list[float]:
    out = []
    async with CentralClient(url, token) as c:
        await c.health()
        for req in reqs:
            t0 = time.perf_counter()
            resp = await c.push(req)
            out.append(time.perf_counter() - t0)
            if any(r.status != "applied" for r in resp.results):
                raise RuntimeError("warm-up push was not applied")
    return out


def _load_config(
    b: Bench,
    label: str,
    db_url: str,
    procs: int,
    payloads: list[list[p.PushRequest]],
    pg_pid: int | None,
) -> dict[str, Any]:
    s = b.sizes
    servers = [
        b.central(db_url, f"p3-{label.replace(' ', '_')}-{i}", profile=True) for i in range(procs)
    ]
    urls = [c.url for c in servers]
    try:
        pairs = _make_clinics(db_url, s.clinics + procs)
        tokens = asyncio.run(_enroll_all(urls, [code for _, code in pairs]))
        # Baseline and warm-up: one lone clinic per process pushes 10 batches, nobody else.
        rng = random.Random(99)
        lone: list[float] = []
        for i, url in enumerate(urls):
            lone += asyncio.run(
                _lone_pushes(url, tokens[s.clinics + i], clinic_batches(rng, 10, s.per_batch))
            )
        lone = lone[2:] if len(lone) > 4 else lone
        cpu0 = [tree_cpu(c.pid or 0) for c in servers]
        pg0 = tree_cpu(pg_pid) if pg_pid else 0.0
        progress(
            f"part 3 [{label}]: {s.clinics} clinics x {s.batches} pushes x {s.per_batch}"
            " changes, all at once"
        )
        r = asyncio.run(_load(urls, tokens[: s.clinics], payloads, LOAD_LIMIT_S))
        server_cpu = sum(tree_cpu(c.pid or 0) - c0 for c, c0 in zip(servers, cpu0, strict=True))
        pg_cpu = tree_cpu(pg_pid) - pg0 if pg_pid else 0.0
    finally:
        for c in servers:
            c.stop()
    lat = r["latencies"] or [float("nan")]
    pulls = r["pull_latencies"] or [float("nan")]
    applied = r["statuses"].get("applied", 0)
    fig = {
        "config": label,
        "server_processes": procs,
        "clinics": s.clinics,
        "pushes": len(r["latencies"]),
        "changes_applied": applied,
        "statuses": r["statuses"],
        "errors": r["errors"],
        "cut_off": r["cut_off"],
        "elapsed_s": r["elapsed_s"],
        "changes_per_s": applied / r["elapsed_s"],
        "push_p50_ms": median(lat) * 1000,
        "push_p95_ms": pct(lat, 95) * 1000,
        "push_p99_ms": pct(lat, 99) * 1000,
        "push_max_ms": max(lat) * 1000,
        "pull_p50_ms": median(pulls) * 1000,
        "pull_p95_ms": pct(pulls, 95) * 1000,
        "error_count": sum(r["errors"].values()),
        "lone_push_median_ms": median(lone) * 1000,
        "lone_push_p99_ms": pct(lone, 99) * 1000,
        "lone_changes_per_s": s.per_batch / median(lone),
        "central_cpu_s": server_cpu,
        "postgres_cpu_s": pg_cpu,
        "loadgen_cpu_s": r["loadgen_cpu_s"],
    }
    progress(
        f"part 3 [{label}]: {fig['changes_per_s']:,.0f} changes/s, p99 {fig['push_p99_ms']:,.0f} ms"
    )
    return fig


def part3(b: Bench) -> dict[str, Any]:
    s = b.sizes
    progress(f"part 3: generating {s.clinics * s.batches * s.per_batch:,} changes")
    rng = random.Random(2026)
    payloads = [clinic_batches(rng, s.batches, s.per_batch) for _ in range(s.clinics)]
    raw, gz = request_bytes(payloads[0][0])
    configs: list[dict[str, Any]] = []
    configs.append(
        _load_config(
            b, "SQLite", f"sqlite:///{b.folder('p3-sqlite') / 'central.db'}", 1, payloads, None
        )
    )
    pg = b.postgres()
    pg_pid = pg.proc.pid if pg.proc is not None else None
    for procs in sorted({1, b.args.pg_procs}):
        configs.append(
            _load_config(
                b,
                f"PostgreSQL x{procs}",
                pg.create_database(f"p3_{procs}"),
                procs,
                payloads,
                pg_pid,
            )
        )
    rows = []
    for c in configs:
        problems = (
            ""
            if not c["errors"] and set(c["statuses"]) <= {"applied"}
            else (f" statuses {c['statuses']} errors {c['errors']}")
        )
        rows.append(
            [
                c["config"],
                f"{c['changes_applied']:,}",
                f"{c['elapsed_s']:.1f}",
                f"{c['changes_per_s']:,.0f}",
                f"{c['push_p50_ms']:,.0f}",
                f"{c['push_p95_ms']:,.0f}",
                f"{c['push_p99_ms']:,.0f}",
                f"{c['push_max_ms']:,.0f}",
                f"{c['pull_p50_ms']:,.0f} / {c['pull_p95_ms']:,.0f}",
                str(c["error_count"]),
                f"{c['lone_push_median_ms']:,.0f} / {c['lone_changes_per_s']:,.0f}",
                f"{c['central_cpu_s']:.1f} / {c['postgres_cpu_s']:.1f} / {c['loadgen_cpu_s']:.1f}"
                + (" CUT OFF" if c["cut_off"] else "")
                + problems,
            ]
        )
    ncpu = os.cpu_count()
    table(
        f"3. {s.clinics} clinics pushing at once, {s.batches} pushes x {s.per_batch} changes each"
        f" (this machine has {ncpu} CPU cores; server, database and load generator share them)",
        [
            "database",
            "applied",
            "wall s",
            "changes/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "pull p50/p95 ms",
            "errors",
            "lone push ms / ch/s",
            "CPU s central/PG/loadgen",
        ],
        rows,
        [
            f"Each push: {s.per_batch} new Patients/Observations, {raw:,} B JSON, {gz:,} B gzip.",
            "Baseline 'lone push': one clinic pushing alone on the same server (median).",
            "p50/p95/p99/max: push latency; wall s ends at the last push's answer. After its"
            " pushes each clinic pulls them back",
            "(pages of MAX_PULL, while others still push): pull p50/p95. errors: requests that"
            " failed (push or pull).",
            f"Each configuration is cut off after {LOAD_LIMIT_S:.0f} s; PostgreSQL runs with"
            " fsync on.",
        ],
    )
    return {"configs": configs, "cpus": ncpu, "push_json_bytes": raw, "push_gzip_bytes": gz}


# ---------------------------------------------------------------------------------- part 4 --
def backlog_child(spec: dict[str, Any]) -> dict[str, Any]:
    """One step of part 4 in a fresh process. ``fill``: write ``count`` records offline and
    enroll. ``sync``: unlock that profile (as the application does after 30 days offline) and
    drain it with one sync_once, measuring this process's peak RSS (VmHWM) before and after."""
    count = int(spec["count"])
    if spec["step"] == "fill":
        ws = Workstation(Path(spec["dir"]), "backlog")
        try:
            t0 = time.perf_counter()
            fill_store(ws.clinic, count, batch=1000, seed=int(spec["seed"]))
            fill_s = time.perf_counter() - t0
            asyncio.run(ws.enroll(spec["url"], spec["code"]))
            pending = ws.clinic.profile.pending_count()
        finally:
            ws.close()
        settle()
        return {"fill_s": fill_s, "pending_before": pending}
    ws = Workstation(Path(spec["dir"]), "backlog", existing=True)
    try:
        gc.collect()
        before = proc_status()
        peak_reset = reset_peak()
        server = int(spec["server_pid"])
        reset_peak(server)
        server_before = proc_status(server)
        engine = ws.engine()
        try:
            t0 = time.perf_counter()
            status = asyncio.run(engine.sync_once())
            sync_s = time.perf_counter() - t0
        finally:
            engine.close()
        after = proc_status()
        server_after = proc_status(server)
        return {
            "count": count,
            "sync_s": sync_s,
            "pushed": status.pushed,
            "pulled": status.pulled,
            "pending_after": status.pending,
            "last_error": status.last_error,
            "peak_reset": peak_reset,
            "rss_before_kib": before.get("VmRSS", 0),
            "hwm_after_kib": after.get("VmHWM", 0),
            "rss_after_kib": after.get("VmRSS", 0),
            "server_rss_before_kib": server_before.get("VmRSS", 0),
            "server_hwm_after_kib": server_after.get("VmHWM", 0),
            "store_db_mib": _db_mib(Path(spec["dir"]) / "backlog"),
            **_phases(ws),
        }
    finally:
        ws.close()


def _db_mib(profile: Path) -> float:
    """Size of a profile's SQLCipher database with its WAL (MiB)."""
    return sum(f.stat().st_size for f in profile.glob("records.db*")) / MIB / MIB


def _phases(ws: Workstation) -> dict[str, float]:
    """Push and pull-back phases of one sync_once, from the client's exchange log."""
    pushes, pulls = ws.log.of("/sync/push"), ws.log.of("/sync/pull")
    if not pushes or not pulls:
        return {}
    page_ms = [e.seconds * 1000 for e in pulls]
    return {
        "push_phase_s": pulls[0].start - pushes[0].start,
        "pull_phase_s": pulls[-1].start + pulls[-1].seconds - pulls[0].start,
        "http_push_s": sum(e.seconds for e in pushes),
        "http_pull_s": sum(e.seconds for e in pulls),
        "pushes": len(pushes),
        "pulls": len(pulls),
        "first_pull_pages_ms": median(page_ms[:5]),
        "last_pull_pages_ms": median(page_ms[-5:]),
    }


def _backlog_run(b: Bench, count: int) -> dict[str, Any]:
    central = b.sqlite_central(f"p4-{count}")
    try:
        clinic = central.add_clinic("Backlog Clinic")
        spec = {
            "count": count,
            "dir": str(b.folder(f"p4-{count}")),
            "url": central.url,
            "code": central.enrollment_code(clinic),
            "server_pid": central.pid,
            "seed": 11,
        }
        result: dict[str, Any] = {}
        for step in ("fill", "sync"):
            progress(f"part 4: backlog of {count:,} changes: {step} (in a fresh process)")
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.sync",
                    "--backlog-child",
                    json.dumps(spec | {"step": step}),
                ],
                stdout=subprocess.PIPE,
                text=True,
                timeout=3600,
                check=False,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"the backlog child ({step}) exited {proc.returncode}")
            result |= json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        central.stop()
    if result["last_error"] or result["pending_after"] or result["pushed"] != count:
        raise RuntimeError(f"backlog not drained: {result}")
    result["growth_kib"] = result["hwm_after_kib"] - result["rss_before_kib"]
    progress(
        f"part 4: {count:,} drained in {result['sync_s']:.1f} s, peak RSS growth"
        f" {result['growth_kib'] / MIB:.1f} MiB"
    )
    return result


def part4(b: Bench) -> dict[str, Any]:
    sizes = sorted({b.sizes.backlog_compare, b.sizes.backlog})
    runs = [_backlog_run(b, n) for n in sizes]
    rows = []
    for r in runs:
        n = r["count"]
        rows.append(
            [
                f"{n:,}",
                f"{r['fill_s']:.1f}",
                f"{r['sync_s']:.1f}",
                f"{n / r['sync_s']:,.0f}",
                f"{r.get('push_phase_s', 0):.1f} / {r.get('pull_phase_s', 0):.1f}",
                f"{r.get('first_pull_pages_ms', 0):,.0f} -> {r.get('last_pull_pages_ms', 0):,.0f}",
                f"{r['rss_before_kib'] / MIB:.1f}",
                f"{r['hwm_after_kib'] / MIB:.1f}",
                f"{r['growth_kib'] / MIB:.1f}",
                f"{r['growth_kib'] / (n / 1000):,.0f}",
                f"{r.get('store_db_mib', 0):,.0f}",
                f"{r['server_hwm_after_kib'] / MIB:.0f}",
            ]
        )
    small, large = runs[0], runs[-1]
    size_ratio = large["count"] / small["count"]
    growth_ratio = large["growth_kib"] / max(small["growth_kib"], 1)
    # Bounded: past the 64 MiB page cache, the growth must not follow the backlog. Both stores
    # must be bigger than that cache to tell (otherwise the growth is the cache filling up).
    conclusive = small.get("store_db_mib", 0) > PAGE_CACHE_MIB
    bounded = large["growth_kib"] <= 1.5 * small["growth_kib"]
    if conclusive:
        finding = "bounded" if bounded else "NOT bounded (grows with the backlog)"
        finding += f" ({verdict(bounded)})"
    else:
        finding = (
            f"inconclusive: the smaller store fits in the {PAGE_CACHE_MIB} MiB page cache"
            " (use --backlog-compare 20000 or more)"
        )
    notes = [
        "Each size: one process writes the backlog offline, a fresh process unlocks the profile"
        " and runs sync_once.",
        f"The store's SQLCipher page cache holds up to {PAGE_CACHE_MIB} MiB (local_store/db.py:"
        " cache_size = -65536): growth up to that plus the Python working set is bounded.",
        "peak growth = VmHWM after sync_once - VmRSS before (peak reset with /proc/self/clear_refs"
        f"{'' if all(r['peak_reset'] for r in runs) else ' FAILED: peak includes the fill'}).",
        f"backlog x{size_ratio:.1f} -> peak growth x{growth_ratio:.2f}: memory is {finding}.",
        "sync_once = push every change (batches of 200) + pull them all back (pages of 500);"
        " pull page ms =",
        "median time of the first 5 and last 5 pull requests (a flat line means each page costs"
        " the same).",
    ]
    table(
        "4. Backlog drain (30 days offline), one sync_once to a real central (SQLite)",
        [
            "backlog",
            "fill s",
            "sync s",
            "changes/s",
            "push / pull-back s",
            "pull page ms first->last",
            "RSS before MiB",
            "peak MiB",
            "peak growth MiB",
            "KiB/1k changes",
            "store DB MiB",
            "central peak MiB",
        ],
        rows,
        notes,
    )
    return {
        "runs": runs,
        "size_ratio": size_ratio,
        "growth_ratio": growth_ratio,
        "bounded": bounded if conclusive else None,
    }


# ---------------------------------------------------------------------------------- part 5 --
FIRST_PULL_10K_TARGET_S = 1.0
FIRST_PULL_100K_TARGET_S = 10.0
FIRST_PULL_RSS_TARGET_MIB = 300.0
DEMO_PUSH_TARGET_S = 5.0
DEMO_PATIENTS = 300  # clinic_app.demo's default: about 21,000 records


class StoreClock:
    """Time of the store's statements, split into COMMIT and the rest, by wrapping the
    profile's connection (bench only; the store runs on one thread)."""

    def __init__(self) -> None:
        self.commit_s = 0.0
        self.commits = 0
        self.statements_s = 0.0
        self._undo: list[Callable[[], None]] = []

    def __enter__(self) -> StoreClock:
        from local_store.guard import GuardedConnection

        clock = self
        execute, executemany = GuardedConnection.execute, GuardedConnection.executemany

        def timed_execute(conn: GuardedConnection, sql: str, params: Any = ()) -> Any:
            t0 = time.perf_counter()
            try:
                return execute(conn, sql, params)
            finally:
                spent = time.perf_counter() - t0
                if sql == "COMMIT":
                    clock.commit_s += spent
                    clock.commits += 1
                else:
                    clock.statements_s += spent

        def timed_many(conn: GuardedConnection, sql: str, seq: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return executemany(conn, sql, seq)
            finally:
                clock.statements_s += time.perf_counter() - t0

        GuardedConnection.execute = timed_execute  # type: ignore[method-assign]
        GuardedConnection.executemany = timed_many  # type: ignore[method-assign]

        def undo() -> None:
            GuardedConnection.execute = execute  # type: ignore[method-assign]
            GuardedConnection.executemany = executemany  # type: ignore[method-assign]

        self._undo.append(undo)
        return self

    def __exit__(self, *exc: object) -> None:
        for undo in self._undo:
            undo()


async def _with_list_probe(
    ws: Workstation, engine: Any, executor: ThreadPoolExecutor, every: float = 0.25
) -> tuple[Any, dict[str, Any]]:
    """Run ``engine.sync_once`` while the patient list is read as the screen does (on the
    store's thread, every ``every`` s): how long each read waited and when patients showed."""
    t0 = time.perf_counter()
    waits: list[float] = []
    first_seen: float | None = None
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def probe() -> None:
        nonlocal first_seen
        while not done.is_set():
            t = time.perf_counter()
            rows = await loop.run_in_executor(executor, ws.clinic.patients.page, 0, 50)
            waits.append(time.perf_counter() - t)
            if rows and first_seen is None:
                first_seen = time.perf_counter() - t0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), every)

    task = asyncio.ensure_future(probe())
    try:
        status = await engine.sync_once()
    finally:
        done.set()
        await task
    return status, {
        "list_reads": len(waits),
        "list_read_p50_ms": median(waits) * 1000 if waits else 0.0,
        "list_read_max_ms": max(waits) * 1000 if waits else 0.0,
        "first_patients_s": first_seen,
    }


def _pull_stats(engine: Any) -> Any:
    """The engine's figures of its last pull (zeros from an engine that keeps none)."""
    from types import SimpleNamespace

    keys = ("pages", "json_bytes", "fetch_s", "server_s", "decode_s", "prepare_s", "store_s")
    return getattr(engine, "pull_stats", None) or SimpleNamespace(**dict.fromkeys(keys, 0))


def first_pull_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Part 5 in a fresh process: a new workstation of the clinic enrolls and runs its first
    sync_once (a first pull of everything), its peak RSS and where the time went measured."""
    ws = Workstation(Path(spec["dir"]), "fresh")
    try:
        asyncio.run(ws.enroll(spec["url"], spec["code"]))
        settle()
        gc.collect()
        before = proc_status()
        peak_reset = reset_peak()
        server = int(spec["server_pid"])
        executor = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        engine = ws.engine(executor=executor)
        try:
            with StoreClock() as store:
                cpu0, srv0 = cpu_seconds(), tree_cpu(server)
                t0 = time.perf_counter()
                status, probe = asyncio.run(_with_list_probe(ws, engine, executor))
                seconds = time.perf_counter() - t0
                cpu, srv = cpu_seconds() - cpu0, tree_cpu(server) - srv0
        finally:
            executor.shutdown(wait=True)
        after = proc_status()
        stats = _pull_stats(engine)
        held = sum(ws.clinic.profile.counts().values())
        return {
            "count": int(spec["count"]),
            "seconds": seconds,
            "pulled": status.pulled,
            "held": held,
            "last_error": status.last_error,
            "client_cpu_s": cpu,
            "central_cpu_s": srv,
            "peak_reset": peak_reset,
            "rss_before_kib": before.get("VmRSS", 0),
            "hwm_kib": after.get("VmHWM", 0),
            "pages": stats.pages,
            "json_bytes": stats.json_bytes,
            "fetch_s": stats.fetch_s,
            "server_s": stats.server_s,
            "decode_s": stats.decode_s,
            "prepare_s": stats.prepare_s,
            "store_s": stats.store_s,
            "commit_s": store.commit_s,
            "commits": store.commits,
            "statements_s": store.statements_s,
            "store_db_mib": _db_mib(Path(spec["dir"]) / "fresh"),
            **probe,
        }
    finally:
        ws.close()


async def _seed(url: str, token: str, count: int, seed: int) -> float:
    """The clinic's history of ``count`` records pushed straight to the central platform, a few
    patients' records per push (no workstation store: this only fills the server). Seconds."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    batch: list[p.Change] = []
    async with CentralClient(url, token, timeout=300) as c:
        for res in clinic_records(count, seed):
            # A patient's records go in one push (a CarePlan and its Task refer to each other).
            if res["resourceType"] == "Patient" and len(batch) >= p.MAX_BATCH // 2:
                await _seed_push(c, batch)
                batch = []
            cid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            batch.append(p.Change(cid, res["resourceType"], res["id"], "put", None, res))
            full = len(batch) >= p.MAX_BATCH - (res["resourceType"] != "CarePlan")
            if full:
                await _seed_push(c, batch)
                batch = []
        if batch:
            await _seed_push(c, batch)
    return time.perf_counter() - t0


async def _seed_push(c: CentralClient, batch: list[p.Change]) -> None:
    resp = await c.push(p.PushRequest(tuple(batch)))
    bad = [r for r in resp.results if r.status != "applied"]
    if bad:
        raise RuntimeError(f"seeding: {len(bad)} changes not applied ({bad[0].code})")


def _seeded_central(b: Bench, count: int) -> tuple[Central, str, float | None]:
    """A central holding one clinic's ``count`` records: seeded now, or copied from
    ``--seed-cache`` (made by an earlier run: the database file and the clinic's id)."""
    name = f"p5-{count}"
    folder = b.folder(name)
    db_path = folder / "central.db"
    cache: Path | None = b.args.seed_cache
    kept = cache / f"central-{count}.db" if cache else None
    if kept is not None and kept.exists():
        shutil.copyfile(kept, db_path)
        clinic = json.loads(kept.with_suffix(".json").read_text())["clinic"]
        central = b.central(f"sqlite:///{db_path}", name)
        return central, clinic, None
    central = b.central(f"sqlite:///{db_path}", name)
    clinic = central.add_clinic("Valley Clinic")
    code = central.enrollment_code(clinic)

    async def enroll() -> str:
        async with CentralClient(central.url) as c:
            return str((await c.enroll(code, "seeder"))["token"])

    token = asyncio.run(enroll())
    progress(f"part 5: seeding the central with {count:,} records (pushes of {p.MAX_BATCH})")
    seed_s = asyncio.run(_seed(central.url, token, count, seed=5))
    progress(f"part 5: seeded in {seed_s:.1f} s ({count / seed_s:,.0f}/s)")
    if kept is not None:
        central.stop()
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(db_path, kept)
        kept.with_suffix(".json").write_text(json.dumps({"clinic": clinic}))
        central.start()
    return central, clinic, seed_s


def _first_pull(b: Bench, count: int) -> dict[str, Any]:
    central, clinic, seed_s = _seeded_central(b, count)
    spec = {
        "count": count,
        "dir": str(b.folder(f"p5-{count}-ws")),
        "url": central.url,
        "code": central.enrollment_code(clinic),
        "server_pid": central.pid,
    }
    progress(f"part 5: first pull of {count:,} records (a fresh process)")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.sync", "--first-pull-child", json.dumps(spec)],
        stdout=subprocess.PIPE,
        text=True,
        timeout=3600,
        check=False,
    )
    central.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"the first-pull child exited {proc.returncode}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["seed_s"] = seed_s
    if result["last_error"] or result["held"] != count:
        raise RuntimeError(f"first pull incomplete: {result}")
    progress(
        f"part 5: {count:,} pulled in {result['seconds']:.2f} s, peak RSS"
        f" {result['hwm_kib'] / MIB:.0f} MiB"
    )
    return result


def _demo_push(b: Bench) -> dict[str, Any]:
    """The demo profile (clinic_app.demo_data, as ``make demo`` makes it) pushed by its
    workstation's first sync_once; the pull of its own changes back is timed apart."""
    from clinic_app import demo_data

    central = b.sqlite_central("p5-demo")
    _warm_up(b, central, "p5-warm")
    clinic = central.add_clinic("Demo Clinic")
    ws = Workstation(b.folder("p5-demo"), "demo")
    b.stack.callback(ws.close)
    progress(f"part 5: writing the demo data ({DEMO_PATIENTS} patients)")
    summary = demo_data.generate(ws.clinic, DEMO_PATIENTS)
    settle()
    asyncio.run(ws.enroll(central.url, central.enrollment_code(clinic)))
    waiting = ws.clinic.profile.pending_count()
    progress(f"part 5: the demo workstation pushes {waiting:,} changes (sync_once)")
    executor = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
    engine = ws.engine(executor=executor)
    try:
        with StoreClock() as store:
            cpu0, srv0 = cpu_seconds(), tree_cpu(central.pid or 0)
            t0 = time.perf_counter()
            status = asyncio.run(engine.sync_once())
            seconds = time.perf_counter() - t0
            cpu, srv = cpu_seconds() - cpu0, tree_cpu(central.pid or 0) - srv0
    finally:
        executor.shutdown(wait=True)
    central.stop()
    if status.last_error or status.pending or status.pushed + status.errors != waiting:
        raise RuntimeError(f"demo push incomplete: {status}")
    pushes, pulls = ws.log.of("/sync/push"), ws.log.of("/sync/pull")
    push_phase = (pulls[0].start if pulls else t0 + seconds) - pushes[0].start
    stats = _pull_stats(engine)
    return {
        "records": summary.records,
        "changes": waiting,
        "refused": status.errors,  # changes the central platform refused (0 expected)
        "seconds": seconds,
        "push_phase_s": push_phase,
        "pushes": len(pushes),
        "http_push_s": sum(e.seconds for e in pushes),
        "pullback_s": seconds - push_phase,
        "pullback_fetch_s": stats.fetch_s,
        "pullback_server_s": stats.server_s,
        "pullback_decode_s": stats.decode_s + stats.prepare_s,
        "pullback_store_s": stats.store_s,
        "commit_s": store.commit_s,
        "commits": store.commits,
        "statements_s": store.statements_s,
        "client_cpu_s": cpu,
        "central_cpu_s": srv,
    }


def part5(b: Bench) -> dict[str, Any]:
    runs = b.args.first_sync_runs or ("2000,10000,demo" if b.args.quick else "10000,100000,demo")
    sizes = [int(r) for r in runs.split(",") if r.strip().isdigit()]
    pulls = [_first_pull(b, n) for n in sizes]
    demo = _demo_push(b) if "demo" in runs else None
    rows = []
    for r in pulls:
        n = r["count"]
        target = FIRST_PULL_10K_TARGET_S * n / 10_000 if n <= 10_000 else FIRST_PULL_100K_TARGET_S
        rss = r["hwm_kib"] / MIB
        rows.append(
            [
                f"first pull {n:,}",
                f"{r['seconds']:.2f}",
                f"{n / r['seconds']:,.0f}",
                f"{r['pages']}",
                f"{r['server_s']:.2f}",
                f"{r['fetch_s'] - r['server_s']:.2f}",
                f"{r['decode_s']:.2f} + {r['prepare_s']:.2f}",
                f"{r['statements_s']:.2f}",
                f"{r['commit_s']:.2f} ({r['commits']})",
                f"{r['client_cpu_s']:.1f} / {r['central_cpu_s']:.1f}",
                f"{rss:.0f}",
                f"<= {target:.0f} s: {verdict(r['seconds'] <= target)}; RSS"
                f" {verdict(rss < FIRST_PULL_RSS_TARGET_MIB)}",
            ]
        )
    if demo is not None:
        rows.append(
            [
                f"demo push {demo['changes']:,}",
                f"{demo['seconds']:.2f}",
                f"{demo['changes'] / demo['seconds']:,.0f}",
                f"{demo['pushes']} + pull-back",
                "",
                f"{demo['http_push_s']:.2f} (push HTTP)",
                f"{demo['pullback_decode_s']:.2f} (pull-back)",
                f"{demo['statements_s']:.2f}",
                f"{demo['commit_s']:.2f} ({demo['commits']})",
                f"{demo['client_cpu_s']:.1f} / {demo['central_cpu_s']:.1f}",
                "",
                f"push phase {demo['push_phase_s']:.2f} s <= {DEMO_PUSH_TARGET_S:.0f} s:"
                f" {verdict(demo['push_phase_s'] <= DEMO_PUSH_TARGET_S)};"
                f" {demo['refused']} refused",
            ]
        )
    table(
        "5. First sync at scale (central on SQLite, loopback)",
        [
            "run",
            "time s",
            "rec/s",
            "pages",
            "central s",
            "network s",
            "decode+prepare s",
            "store stmts s",
            "commits s (n)",
            "CPU s client / central",
            "peak RSS MiB",
            "target",
        ],
        rows,
        [
            "first pull: a fresh process enrolls a new workstation of a clinic whose records the"
            " central already holds, and runs one sync_once;",
            "central s = the central's own time per page (Server-Timing: query + JSON); network"
            " = time to the last byte of each answer minus that (gzip, loopback, waiting);",
            "decode = JSON + the protocol's check, prepare = search terms and stored texts"
            " (worker thread); store = the profile's statements and COMMITs (fsync,"
            " SQLCipher page encryption) on the store thread;",
            "decoding and storing overlap the next page's fetch, so the parts add up to more"
            " than the time. Peak RSS = VmHWM of the pulling process.",
            f"demo push: clinic_app.demo_data, {DEMO_PATIENTS} patients; push phase = until the"
            " first pull (its own changes come back after it);",
        ]
        + [
            f"patient list during the {r['count']:,} pull: {r['list_reads']} reads, p50"
            f" {r['list_read_p50_ms']:.0f} ms, max {r['list_read_max_ms']:.0f} ms; first"
            f" patients shown after {r['first_patients_s'] or 0:.2f} s"
            for r in pulls
        ],
    )
    return {"first_pulls": pulls, "demo_push": demo}


# ----------------------------------------------------------------------------------- main --
PARTS: dict[int, Callable[[Bench], dict[str, Any]]] = {
    1: part1,
    2: part2,
    3: part3,
    4: part4,
    5: part5,
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="small sizes (2k records, 40 clinics, 10k backlog)"
    )
    ap.add_argument(
        "--part",
        type=int,
        action="append",
        choices=sorted(PARTS),
        help="run only this part (repeatable)",
    )
    ap.add_argument("--records", type=int, default=0, help="part 1/2 records (10,000)")
    ap.add_argument("--rounds", type=int, default=0, help="part 2 round trips (30)")
    ap.add_argument("--clinics", type=int, default=0, help="part 3 clinics (200)")
    ap.add_argument("--batches", type=int, default=0, help="part 3 pushes per clinic (10)")
    ap.add_argument("--batch-changes", type=int, default=20, help="part 3 changes per push")
    ap.add_argument("--pg-procs", type=int, default=2, help="part 3 server processes on PG")
    ap.add_argument("--backlog", type=int, default=0, help="part 4 backlog (100,000)")
    ap.add_argument(
        "--backlog-compare",
        type=int,
        default=0,
        help="part 4 smaller backlog to compare with (20,000)",
    )
    ap.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="write cProfile output of part 1 (client and server) and part 3 (servers) here",
    )
    ap.add_argument("--dir", type=Path, default=None, help="where to make the temporary folder")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument(
        "--seed-cache",
        type=Path,
        default=None,
        help="part 5: keep the seeded central databases here and reuse them next time",
    )
    ap.add_argument(
        "--first-sync-runs",
        default="",
        help="part 5: first pulls and the demo push to run (10000,100000,demo)",
    )
    ap.add_argument("--backlog-child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--first-pull-child", default=None, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.first_pull_child:
        try:
            print(json.dumps(first_pull_child(json.loads(args.first_pull_child))), flush=True)
        except KeyboardInterrupt:
            return 130
        return 0
    if args.backlog_child:
        try:
            print(json.dumps(backlog_child(json.loads(args.backlog_child))), flush=True)
        except KeyboardInterrupt:
            return 130
        return 0
    signal.signal(signal.SIGTERM, _interrupt)
    parts = sorted(set(args.part or PARTS))
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick, "parts": {}}
    root = Path(tempfile.mkdtemp(prefix="bench-sync-", dir=args.dir))
    try:
        with contextlib.ExitStack() as stack:
            b = Bench(args, root, stack)
            print(
                f"bench.sync: {results['machine']['cpus']} CPU cores"
                f" ({results['machine']['cpu_model']}), Python {platform.python_version()},"
                f" parts {parts}{' (quick)' if args.quick else ''}"
            )
            for n in parts:
                neighbours = Neighbours()
                fig = results["parts"][str(n)] = PARTS[n](b)
                fig["neighbours"] = busy = neighbours.report()
                print(
                    f"  (other processes on this machine used {busy['other_cpu_s']:.1f} CPU-s"
                    f" during part {n}, {busy['other_share']:.0%} of its {os.cpu_count()} cores;"
                    f" load average {busy['loadavg_at_start']:.2f} at the start)",
                    flush=True,
                )
                progress(f"part {n} finished in {busy['wall_s']:.0f} s")
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
