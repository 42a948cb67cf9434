"""`make demo` to a usable window: from starting the demo (virtualenv already built) to the
workstation's window signed in on a real X server (Xvfb, xcb platform), split by what the demo
prints on the way; for a fresh demo profile (300 patients generated) and for the second start
(profile there). Baseline in the same run: `clinic-app gui` alone on the same profile (no
central platform, no summary). Target (issue 13): under 15 s.

    .venv/bin/python -m bench.demo_start [--runs 3]

Also part 4 of ``python -m bench.ui``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "demo-passphrase-2026"
TITLE = "demo.doctor —"
MARKS = {  # a line the demo prints -> the phase it ends
    "Created demo profile": "profile key slots (Argon2id)",
    "Generated ": "demo records generated",
    "Audit chain:": "unlock + summary (search, chart, audit check)",
    "Central platform running": "central started + workstation connected",
}


@contextmanager
def xvfb() -> Iterator[str]:
    server = shutil.which("Xvfb")
    if server is None:
        raise SystemExit("Xvfb is missing: `make sysdeps` installs it")
    read, write = os.pipe()
    proc = subprocess.Popen(
        [server, "-displayfd", str(write), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    number = os.read(read, 16).decode().strip()
    try:  # the pipe stays open: Xvfb writes its number again later and dies on a closed pipe
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)
        os.close(read)


def _window_shown(display: str, name: str) -> bool:
    done = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", name],
        env={**os.environ, "DISPLAY": display}, capture_output=True, text=True,
    )  # fmt: skip
    return bool(done.stdout.strip())


def timed_start(argv: list[str], display: str, home: Path, title: str) -> dict[str, float]:
    """Seconds from Popen to each marked line and to the window; the process is ended."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "CLINIC_"))}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", HOME=str(home), PYTHONUNBUFFERED="1",
               CLINIC_PASSPHRASE=PASSPHRASE, CLINIC_USER="demo.doctor")  # fmt: skip
    marks: dict[str, float] = {}
    tail: list[str] = []  # the last lines printed, said when the start fails
    start = time.monotonic()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail[:] = [*tail[-4:], line.rstrip()]
            for prefix, phase in MARKS.items():
                if line.startswith(prefix) and phase not in marks:
                    marks[phase] = time.monotonic() - start

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while not _window_shown(display, title):
            if proc.poll() is not None:
                reader.join(5)
                said = "\n    ".join(tail)
                raise SystemExit(f"{argv[2]} ended with status {proc.returncode}:\n    {said}")
            if time.monotonic() - start > 300:
                raise SystemExit("no window within 300 s")
            time.sleep(0.05)
        marks["window signed in"] = time.monotonic() - start
    finally:
        proc.terminate()
        proc.wait(30)
    return marks


def measure(runs: int) -> dict[str, list[dict[str, float]]]:
    results: dict[str, list[dict[str, float]]] = {"fresh": [], "again": [], "gui alone": []}
    with xvfb() as display, tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        for n in range(runs):
            folder = Path(tmp) / f"run{n}"
            folder.mkdir()
            demo = [sys.executable, "-m", "clinic_app.demo", "--profile", str(folder / "profile")]
            results["fresh"].append(timed_start(demo, display, folder, TITLE))
            results["again"].append(timed_start(demo, display, folder, TITLE))
            gui = [sys.executable, "-m", "clinic_app.cli", "--profile", str(folder / "profile"),
                   "gui"]  # fmt: skip
            results["gui alone"].append(timed_start(gui, display, folder, TITLE))
    return results


def report(results: dict[str, list[dict[str, float]]]) -> None:
    print("\n`make demo` to a usable window (Xvfb, xcb), median seconds from start")
    base = statistics.median(r["window signed in"] for r in results["gui alone"])
    for kind, runs in results.items():
        phases = sorted({p for r in runs for p in r}, key=lambda p: statistics.median(
            r[p] for r in runs if p in r))  # fmt: skip
        window = statistics.median(r["window signed in"] for r in runs)
        print(f"  {kind:<10} window at {window:6.2f} s  ({window / base:4.1f}x gui alone)"
              f"  target < 15 s: {'met' if window < 15 else 'MISSED'}")  # fmt: skip
        before = 0.0
        for phase in phases:
            at = statistics.median(r[phase] for r in runs if phase in r)
            print(f"      {phase:<48} at {at:6.2f} s  (+{at - before:5.2f})")
            before = at


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.demo_start", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    report(measure(args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
