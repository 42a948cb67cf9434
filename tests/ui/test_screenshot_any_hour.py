"""`clinic-app screenshot` works at any hour: what its demo data books is placed relative to
"now", so no slot is in the past just before midnight or just after it (libfaketime sets the
clock of the child process; local time is China's)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[2]
ZONE = "Asia/Shanghai"


@pytest.mark.parametrize("clock", ["23:30:00", "00:10:00"])
def test_screenshot_at_any_hour(tmp_path: Path, clock: str) -> None:
    faketime = shutil.which("faketime")
    assert faketime, "faketime is missing: `make sysdeps` installs it"
    day = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "CLINIC_"))}
    env.update(TZ=ZONE, HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [faketime, f"{day.isoformat()} {clock}", sys.executable, "-m", "clinic_app.cli",
         "screenshot", "--out", str(tmp_path / "shots")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    shots = sorted((tmp_path / "shots").rglob("*.png"))
    assert len(shots) >= 60, f"only {len(shots)} screenshots"
    assert "slot is over" not in done.stdout + done.stderr
    assert done.stderr.strip() == "", done.stderr[-2000:]  # nothing but the summary line
