"""Cold start of the bundled program beside the same from source, in the same run.

    .venv/bin/python installers/measure_start.py [--runs 2] [--root DIR]

Without a start-up probe in the application, the measure is ``clinic-app screenshot --out DIR``
from the process's spawn to (a) its first PNG (``en-00-first-run-setup.png``: interpreter,
imports, Qt, a demo profile made with Argon2id and 80 patients, the set-up window painted) and
(b) ``en-02-patients.png``, the unlocked patient list (after the sign-in screen is painted,
unlocked and the list loaded). Both sides do exactly the same work; runs alternate so a busy
machine weighs on both alike. The bundled program is build/installer/dist/clinic-app (or, with
--root, an unpacked .deb's /opt/clinic-workstation).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKS = ("en-00-first-run-setup.png", "en-02-patients.png")


def one_run(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="clinic-start-") as tmp:
        out = Path(tmp) / "shots"
        seen: dict[str, float] = {}
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [*argv, "screenshot", "--out", str(out)],
            env={**env, "HOME": tmp},
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        try:
            while len(seen) < len(MARKS) and proc.poll() is None:
                for name in MARKS:
                    if name not in seen and (out / name).exists():
                        seen[name] = time.monotonic() - t0
                time.sleep(0.01)
        finally:
            proc.kill()
            proc.wait()
        return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--root", type=Path, help="an unpacked .deb (default: the onedir build)")
    args = parser.parse_args(argv)
    bundled = (
        args.root / "opt/clinic-workstation/clinic-app"
        if args.root
        else ROOT / "build/installer/dist/clinic-app/clinic-app"
    )
    if not bundled.exists():
        print(f"{bundled} is missing: run `make installer`", file=sys.stderr)
        return 1
    bare = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
    source_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    sides = {
        "bundled": ([str(bundled)], bare),
        "source": ([sys.executable, "-m", "clinic_app.cli"], source_env),
    }
    results: dict[str, list[dict[str, float]]] = {k: [] for k in sides}
    for _ in range(args.runs):
        for name, (cmd, env) in sides.items():
            results[name].append(one_run(cmd, env))
    for name, runs in results.items():
        for mark in MARKS:
            values = [r[mark] for r in runs if mark in r]
            shown = ", ".join(f"{v:.2f}" for v in values)
            med = f"{statistics.median(values):.2f} s" if values else "n/a"
            print(f"{name:8} to {mark:28} median {med}  (runs: {shown})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
