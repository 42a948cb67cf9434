"""The virtualenv holds exactly what constraints.txt pins (make venv installs with it), and
the packages the calls reach into are pinned in pyproject.toml itself: a fresh install cannot
pull an aiortc or PyAV that media/quality was not checked against."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    out = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        m = PIN.match(line.strip())
        if m:
            out[_norm(m.group(1))] = m.group(2)
    return out


def test_installed_versions_are_the_pinned_ones():
    wanted = pins()
    assert len(wanted) > 30
    installed = {_norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong = {n: (v, installed.get(n)) for n, v in wanted.items() if installed.get(n) != v}
    assert not wrong, (
        f"the virtualenv differs from constraints.txt (pinned, installed): {wrong}; "
        "run `make venv` (or `make lock` if the change is meant)"
    )


def test_every_dependency_is_pinned():
    wanted = pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    server = tomllib.loads((ROOT / "central" / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]  # workstation, dev (dev names the first)
    declared = [*project["dependencies"], *(d for group in extras.values() for d in group)]
    declared += server["dependencies"]  # the central platform's distribution
    names = {_norm(re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0]) for d in declared}
    names -= {"sqlcipher3"}  # the Windows/macOS wheel; Linux installs sqlcipher3-binary
    names -= {_norm(project["name"])}  # dev = the project's own [workstation] + tools
    unpinned = sorted(n for n in names if n not in wanted)
    assert not unpinned, f"not in constraints.txt: {unpinned} (run `make lock`)"


def test_the_media_stack_is_pinned_in_the_project_itself():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["optional-dependencies"]["workstation"]  # the media stack is the workstation's
    assert any(d.replace(" ", "").startswith("aiortc==1.16.") for d in deps)
    assert any(d.replace(" ", "").startswith(f"av=={pins()['av']}") for d in deps)
