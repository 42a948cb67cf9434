"""Regional load (issue 20): many simulated clinics syncing for minutes through HAProxy in
front of N ``clinic-central serve`` instances, one instance killed mid-run.

Run from the repository root::

    .venv/bin/python -m bench.sync_region                          # 2,000 clinics, 5 min each
    .venv/bin/python -m bench.sync_region --clinics 200 --minutes 1 --configs sqlite:1,pg:1
    .venv/bin/python -m bench.sync_region --configs pg:4 --kill-at 60 --json out.json

Each configuration (``sqlite:1``: one instance on its embedded SQLite; ``pg:N``: N instances
on one PostgreSQL) gets a fresh database, its instances, and a HAProxy from the distribution
(round robin, health checks, redispatch) that every client talks to. Every simulated clinic is
an enrolled device with its own token and connection (``CentralClient``), and behaves as a
workstation's sync cycle does: it waits a random time (exponential, mean ``--think`` s), pushes
what it wrote since (a new patient with a visit's vital signs: 1-20 valid FHIR R4 resources),
then pulls from its cursor until nothing is newer. A push or pull that fails (the instance
died, the connection broke) is retried with the same change ids after a short back-off, as the
engine does, so a change counts as acknowledged only when an answer says applied.

With ``--kill-at S`` (only where N > 1) one instance is killed with SIGKILL S seconds in. A push
that fails (its connection was on the killed instance) is tried again; the bench reports how
long such pushes were held up, from the first try to the answer ("clients continue within"),
and at the end checks the database: every acknowledged change id is stored exactly once, none
is missing (0 lost, 0 duplicated).

Figures per configuration: changes/s acknowledged, push and pull latency p50/p95/p99, errors
(failed attempts, all retried) and unfinished clinics, database size per 1,000 records, and the
CPU seconds of the instances, PostgreSQL and the load generator. Ratios against ``sqlite:1`` and
``pg:1`` from the same run. On a 2-core machine the load generator, the instances and PostgreSQL
share the two cores, so more instances cannot scale there: read the CPU columns with that in mind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.sync import _enroll_all, _make_clinics
from bench.sync_support import Central, clinic_batches, cpu_seconds, median, pct, progress, tree_cpu
from clinic_app.sync import protocol as p
from clinic_app.sync.client import CentralClient, SyncError

RETRY_S = 0.5  # back-off before a failed push or pull is tried again
HAPROXY_CFG = """
global
    maxconn 9000
defaults
    mode http
    option redispatch
    retries 2
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 5s
frontend central
    bind 127.0.0.1:{front}
    default_backend centrals
backend centrals
    balance roundrobin
    option httpchk GET /api/v1/health
    default-server inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
{servers}
"""


@dataclass
class Tally:
    """What the simulated clinics saw."""

    push_s: list[float] = field(default_factory=list)
    pull_s: list[float] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)  # change ids answered "applied"
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # failed attempts (retried)
    interrupted_s: list[float] = field(default_factory=list)  # first try to answer, if retried
    unfinished: int = 0  # clinics whose last push had no answer when the time was up


def start_haproxy(folder: Path, ports: list[int]) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        sys.exit("HAProxy is required (make sysdeps installs it: apt-get install haproxy)")
    from tests.support.postgres import free_port

    front = free_port()
    servers = "\n".join(f"    server c{i} 127.0.0.1:{port} check" for i, port in enumerate(ports))
    cfg = folder / "haproxy.cfg"
    cfg.write_text(HAPROXY_CFG.format(front=front, servers=servers))
    log = open(folder / "haproxy.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([binary, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)  # fmt: skip
    log.close()
    url = f"http://127.0.0.1:{front}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/api/v1/health", timeout=2),
        ):
            return proc, url
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"HAProxy did not come up: {(folder / 'haproxy.log').read_text()}")


async def clinic_loop(
    i: int, client: CentralClient, tally: Tally, stop_at: float, think: float, kill: list[float]
) -> None:
    rng = random.Random(1000 + i)
    since = 0
    await asyncio.sleep(rng.uniform(0, think))  # clinics do not all start at once
    while time.monotonic() < stop_at:
        req = clinic_batches(rng, 1, rng.randint(1, 20))[0]
        first_try, failed = time.monotonic(), False
        while True:  # the same change ids until an answer arrives
            t0 = time.monotonic()
            try:
                resp = await client.push(req)
            except SyncError as exc:
                tally.errors[f"push {type(exc).__name__}"] += 1
                failed = True
                if time.monotonic() >= stop_at + 30:
                    tally.unfinished += 1
                    return
                await asyncio.sleep(RETRY_S)
                continue
            done = time.monotonic()
            tally.push_s.append(done - t0)
            if failed:  # answered after failed tries: how long this clinic was held up
                tally.interrupted_s.append(done - first_try)
            for r in resp.results:
                tally.statuses[r.status] += 1
                if r.status == "applied":
                    tally.acked.append(r.change_id)
            break
        while True:
            t0 = time.monotonic()
            try:
                page = await client.pull(p.PullRequest(since, p.MAX_PULL))
            except SyncError as exc:
                tally.errors[f"pull {type(exc).__name__}"] += 1
                await asyncio.sleep(RETRY_S)
                if time.monotonic() >= stop_at + 30:
                    return
                continue
            tally.pull_s.append(time.monotonic() - t0)
            since = page.next
            if not page.more:
                break
        await asyncio.sleep(min(rng.expovariate(1 / think), max(0.0, stop_at - time.monotonic())))


async def run_load(
    url: str, tokens: list[str], seconds: float, think: float, kill_at: float | None,
    kill: Any,
) -> tuple[Tally, float, float]:  # fmt: skip
    tally = Tally()
    clients = [CentralClient(url, t, timeout=30) for t in tokens]
    killed: list[float] = []
    t_start = time.monotonic()
    stop_at = t_start + seconds
    cpu0 = cpu_seconds()

    async def killer() -> None:
        if kill_at is None:
            return
        await asyncio.sleep(kill_at)
        kill()
        killed.append(time.monotonic())
        progress(f"  killed one instance at t={time.monotonic() - t_start:.1f} s")

    # each clinic watches the kill instant through a list shared with the killer
    tasks = [
        asyncio.create_task(clinic_loop(i, c, tally, stop_at, think, killed))
        for i, c in enumerate(clients)
    ]
    k = asyncio.create_task(killer())
    try:
        await asyncio.gather(*tasks)
        await k
    finally:
        for t in (*tasks, k):
            t.cancel()
        await asyncio.gather(*tasks, k, return_exceptions=True)
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    return tally, time.monotonic() - t_start, cpu_seconds() - cpu0


def stored_counts(db_url: str, ids: list[str]) -> Counter[str]:
    """change_id -> how many stored changes carry it (for the acknowledged ids)."""
    wanted = set(ids)
    found: Counter[str] = Counter()
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.split("///", 1)[1])
        rows = conn.execute("SELECT change_id FROM changes WHERE change_id IS NOT NULL")
    else:
        import psycopg

        conn = psycopg.connect(db_url)  # type: ignore[assignment]
        rows = conn.execute(b"SELECT change_id FROM changes WHERE change_id IS NOT NULL")
    for (cid,) in rows:
        if cid in wanted:
            found[cid] += 1
    conn.close()
    return found


def db_bytes(db_url: str, pg: Any) -> int:
    if db_url.startswith("sqlite"):
        path = Path(db_url.split("///", 1)[1])
        return sum(f.stat().st_size for f in path.parent.glob(path.name + "*"))
    import psycopg

    with psycopg.connect(db_url) as conn:
        row = conn.execute(b"SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


def run_config(
    args: argparse.Namespace, root: Path, backend: str, n: int, pg: Any, stack: contextlib.ExitStack
) -> dict[str, Any]:
    label = f"{backend}:{n}"
    folder = root / label.replace(":", "-")
    folder.mkdir()
    if backend == "sqlite":
        db_url = f"sqlite:///{folder / 'central.db'}"
    else:
        db_url = pg.create_database(f"region_{n}_{int(time.time())}")
    servers = []
    for j in range(n):
        c = Central(db_url, log_path=folder / f"c{j}.log")
        stack.callback(c.stop)
        servers.append(c.start())
    proxy, url = start_haproxy(folder, [c.port for c in servers])
    stack.callback(proxy.kill)
    progress(f"[{label}] {n} instance(s) behind HAProxy at {url}; enrolling {args.clinics} clinics")
    pairs = _make_clinics(db_url, args.clinics)
    tokens = asyncio.run(_enroll_all([url], [code for _, code in pairs]))
    cpu0 = [tree_cpu(c.pid or 0) for c in servers]
    pg0 = tree_cpu(pg.proc.pid) if backend == "pg" else 0.0
    kill_at = args.kill_at if n > 1 and args.kill_at else None
    victim = servers[-1]
    progress(f"[{label}] {args.clinics} clinics sync for {args.minutes:g} min")
    tally, elapsed, gen_cpu = asyncio.run(
        run_load(url, tokens, args.minutes * 60, args.think, kill_at, victim.kill)
    )
    server_cpu = sum(tree_cpu(c.pid or 0) - c0 for c, c0 in zip(servers, cpu0, strict=True)
                     if c is not victim or kill_at is None)  # fmt: skip
    pg_cpu = tree_cpu(pg.proc.pid) - pg0 if backend == "pg" else 0.0
    counts = stored_counts(db_url, tally.acked)
    lost = sum(1 for cid in set(tally.acked) if counts[cid] == 0)
    duplicated = sum(1 for cid in set(tally.acked) if counts[cid] > 1)
    records = len(tally.acked)
    size = db_bytes(db_url, pg)
    for c in servers:
        c.stop()
    proxy.terminate()
    push = tally.push_s or [float("nan")]
    pull = tally.pull_s or [float("nan")]
    fig: dict[str, Any] = {
        "config": label,
        "clinics": args.clinics,
        "seconds": elapsed,
        "changes_acked": records,
        "changes_per_s": records / elapsed,
        "pushes": len(tally.push_s),
        "pulls": len(tally.pull_s),
        "push_p50_ms": median(push) * 1000,
        "push_p95_ms": pct(push, 95) * 1000,
        "push_p99_ms": pct(push, 99) * 1000,
        "pull_p50_ms": median(pull) * 1000,
        "pull_p95_ms": pct(pull, 95) * 1000,
        "pull_p99_ms": pct(pull, 99) * 1000,
        "statuses": dict(tally.statuses),
        "failed_attempts": dict(tally.errors),
        "unfinished_clinics": tally.unfinished,
        "lost": lost,
        "duplicated": duplicated,
        "db_bytes_per_1k_records": size / max(records, 1) * 1000,
        "central_cpu_s": server_cpu,
        "postgres_cpu_s": pg_cpu,
        "loadgen_cpu_s": gen_cpu,
    }
    held = tally.interrupted_s or [0.0]
    fig["pushes_retried"] = len(tally.interrupted_s)
    fig["held_up_p50_s"] = median(held)
    fig["held_up_max_s"] = max(held)
    if kill_at is not None:
        fig["killed_at_s"] = kill_at
    progress(
        f"[{label}] {fig['changes_per_s']:,.0f} changes/s, push p95 {fig['push_p95_ms']:,.0f} ms,"
        f" lost {lost}, duplicated {duplicated}"
    )
    return fig


def print_table(figs: list[dict[str, Any]]) -> None:
    base = {f["config"].split(":")[0]: f for f in figs if f["config"].endswith(":1")}
    print(
        "\nconfig   clinics  changes/s  x sqlite:1  x pg:1  push p50/p95/p99 ms   "
        "pull p50/p95/p99 ms   failed  unfinished  lost  dup  KB/1k rec  cpu central/pg/gen s"
    )
    for f in figs:
        rs = (
            f["changes_per_s"] / base["sqlite"]["changes_per_s"]
            if "sqlite" in base
            else float("nan")
        )
        rp = f["changes_per_s"] / base["pg"]["changes_per_s"] if "pg" in base else float("nan")
        print(
            f"{f['config']:<8} {f['clinics']:>7} {f['changes_per_s']:>10,.0f}"
            f" {rs:>11.2f} {rp:>7.2f}"
            f"  {f['push_p50_ms']:>5.0f}/{f['push_p95_ms']:>5.0f}/{f['push_p99_ms']:>6.0f}"
            f"  {f['pull_p50_ms']:>6.0f}/{f['pull_p95_ms']:>5.0f}/{f['pull_p99_ms']:>6.0f}"
            f"  {sum(f['failed_attempts'].values()):>6} {f['unfinished_clinics']:>11}"
            f" {f['lost']:>5} {f['duplicated']:>4} {f['db_bytes_per_1k_records'] / 1024:>10,.0f}"
            f"  {f['central_cpu_s']:.0f}/{f['postgres_cpu_s']:.0f}/{f['loadgen_cpu_s']:.0f}"
        )
        if f["pushes_retried"] or "killed_at_s" in f:
            kill = f"one instance killed at {f['killed_at_s']:g} s; " if "killed_at_s" in f else ""
            print(
                f"         {kill}{f['pushes_retried']} pushes answered only after failed tries:"
                f" held up p50 {f['held_up_p50_s']:.2f} s, max {f['held_up_max_s']:.2f} s"
                " (first try to answer)"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clinics", type=int, default=2000)
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--think", type=float, default=20.0, help="mean seconds between syncs")
    ap.add_argument("--configs", default="sqlite:1,pg:1,pg:4", help="backend:instances,...")
    ap.add_argument("--kill-at", type=float, default=60.0, help="s; 0: no kill")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    configs = [(c.split(":")[0], int(c.split(":")[1])) for c in args.configs.split(",")]
    figs: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="region-") as tmp:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        pg = None
        if any(b == "pg" for b, _ in configs):
            from tests.support.postgres import PostgresServer

            pg = PostgresServer()
            stack.callback(pg.stop)
            pg.start()
        for backend, n in configs:
            figs.append(run_config(args, Path(tmp), backend, n, pg, stack))
    print_table(figs)
    print(
        f"\nmachine: {os.cpu_count()} CPUs; think time {args.think:g} s; {args.minutes:g} min each"
    )
    if args.json:
        args.json.write_text(json.dumps(figs, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
