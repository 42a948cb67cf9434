"""The READMEs are executable: every fenced shell block runs as printed, in order, one shell per
README (as a person pasting it top to bottom would), against a scratch home folder with the
project's virtualenv first on PATH; a non-zero exit fails. A block whose info string says
``needs=WHAT`` (a display, a terminal, a server machine, Windows, macOS) is not run here: the
test lists those, so what is left out is visible."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READMES = ["README.md", "central/README.md", "media/README.md", "installers/README.md",
           "installers/central/README.md"]  # fmt: skip
# Where a README's commands are meant to be typed: the repository for build recipes, an empty
# folder (the scratch home) for a user's commands.
IN_REPO = {"installers/README.md", "installers/central/README.md"}
SHELLS = {"sh", "bash", "shell", "console"}
OTHER_SHELLS = {"bat", "cmd", "powershell", "ps1", "pwsh", "zsh", "fish"}  # never run here
FENCE = re.compile(r"^```(?P<info>[^`]*)$")
KNOWN_NEEDS = {"fresh-machine", "display", "terminal", "server-machine", "postgresql-server",
               "windows", "macos"}  # fmt: skip


@dataclass
class Block:
    readme: str
    line: int
    language: str
    needs: str | None
    text: str


def blocks(readme: str) -> list[Block]:
    out: list[Block] = []
    lines = (ROOT / readme).read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i].strip())
        if not m:
            i += 1
            continue
        info = m.group("info").split()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        i += 1
        language = info[0] if info else ""
        needs = next((w.split("=", 1)[1] for w in info[1:] if w.startswith("needs=")), None)
        out.append(Block(readme, start, language, needs, "\n".join(body)))
    return out


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLINIC_", "QT_"))}
    env.update(
        HOME=str(home),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        QT_QPA_PLATFORM="offscreen",
        PYTHONUNBUFFERED="1",
    )
    return env


def test_blocks_are_marked_with_known_needs() -> None:
    for readme in READMES:
        for b in blocks(readme):
            assert b.needs is None or b.needs in KNOWN_NEEDS, (
                f"{b.readme}:{b.line}: needs={b.needs} is not one of {sorted(KNOWN_NEEDS)}"
            )


def test_commands_for_other_shells_say_what_they_need() -> None:
    """A command block for another shell (Windows' cmd, PowerShell …) cannot run here: it must
    be marked, so it is listed below as left out instead of silently passed over."""
    for readme in READMES:
        for b in blocks(readme):
            if b.language in OTHER_SHELLS:
                assert b.needs is not None, f"{b.readme}:{b.line}: ```{b.language} needs=…"


LEFT_OUT = [
    b
    for readme in READMES
    for b in blocks(readme)
    if b.needs is not None and b.language in SHELLS | OTHER_SHELLS
]


@pytest.mark.parametrize("block", LEFT_OUT, ids=[f"{b.readme}:{b.line}" for b in LEFT_OUT])
def test_left_out_here(block: Block) -> None:
    """Each block this machine cannot run shows in the test summary as skipped, with why."""
    pytest.skip(f"{block.readme}:{block.line} needs {block.needs}; not run here")


@pytest.mark.parametrize("readme", READMES)
def test_readme_runs_as_printed(readme: str, tmp_path: Path) -> None:
    runnable = [b for b in blocks(readme) if b.language in SHELLS and b.needs is None]
    if not runnable:
        return
    script = ["set -euo pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    for b in runnable:
        script.append(f"echo '>>> {b.readme}:{b.line}' >&2")
        script.append(b.text)
    cwd = ROOT if readme in IN_REPO else tmp_path
    done = subprocess.run(
        ["bash", "-x", "-c", "\n".join(script)],
        cwd=cwd, env=_env(tmp_path), capture_output=True, text=True, timeout=900,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, (
        f"{readme}: a command failed (status {done.returncode}):\n"
        f"{done.stderr[-4000:]}\n--- stdout ---\n{done.stdout[-2000:]}"
    )
