"""Run headless call peers (``python -m media.peer``) as real processes and read their
reports; and set up a consult that a clinic and a specialist can call about."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.central_proc import REPO


@dataclass
class PeerProcess:
    proc: subprocess.Popen[bytes]
    report_path: Path
    log_path: Path

    def wait(self, timeout: float = 90) -> dict[str, Any]:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                f"peer did not finish: {self.log_path.read_text()[-3000:]}"
            ) from None
        if not self.report_path.exists():
            raise AssertionError(f"peer wrote no report: {self.log_path.read_text()[-3000:]}")
        report: dict[str, Any] = json.loads(self.report_path.read_text())
        report["returncode"] = self.proc.returncode
        report["log"] = self.log_path.read_text()[-3000:]
        return report

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_peer(
    folder: Path,
    name: str,
    server: str,
    token: str,
    consult: str,
    *args: str,
    prefix: Sequence[str] = (),
) -> PeerProcess:
    """``prefix``: an argv prefix, e.g. ``ip netns exec NS`` (tests/support/link_emulator.py)."""
    report = folder / f"{name}.json"
    log = folder / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "media.peer", "--server", server, "--consult", consult,
             "--report", str(report), *args],
            cwd=REPO,
            env={**os.environ, "CLINIC_CALL_TOKEN": token},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    return PeerProcess(proc, report, log)
