"""The central platform's install: the server runs with only installers/central/requirements.txt
(none of the workstation's GUI or media packages), and its systemd unit is valid."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CENTRAL = REPO / "installers" / "central"
# Dependencies of the project that only the workstation needs (module names in brackets).
WORKSTATION_ONLY = {
    "pypinyin": "pypinyin",
    "openpyxl": "openpyxl",
    "platformdirs": "platformdirs",
    "pyside6-essentials": "PySide6",
    "qasync": "qasync",
    "pyqtgraph": "pyqtgraph",
    "aiortc": "aiortc",
    "av": "av",
    "numpy": "numpy",
    "sounddevice": "sounddevice",
}


def _name(requirement: str) -> str:
    m = re.match(r"[A-Za-z0-9_.\-]+", requirement.strip())
    assert m, requirement
    return m.group(0).lower().replace("_", "-")


def test_every_dependency_is_classified():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = {_name(d) for d in project["dependencies"]}
    server = {
        _name(line)
        for line in (CENTRAL / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert server | set(WORKSTATION_ONLY) == deps, "classify a new dependency here"
    assert not server & set(WORKSTATION_ONLY)


BLOCKER = """
import importlib, pkgutil, sys
BLOCKED = set(sys.argv[1].split(","))
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not installed on a central server")
sys.meta_path.insert(0, Blocker())
import central
for m in pkgutil.walk_packages(central.__path__, "central."):
    importlib.import_module(m.name)
import psycopg  # PostgreSQL is the server's
from central.cli import main
sys.exit(main(["--version"]))
"""


def test_server_imports_nothing_of_the_workstation():
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER, ",".join(WORKSTATION_ONLY.values())],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("clinic-central ")


def test_systemd_unit(tmp_path):
    unit = (CENTRAL / "clinic-central.service").read_text()
    for line in (
        "User=clinic-central",
        "ExecStart=/opt/clinic-central/bin/clinic-central serve",
        "Environment=CLINIC_CENTRAL_CONFIG=/etc/clinic-central/central.toml",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/clinic-central",
    ):
        assert line in unit.splitlines()
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze is missing: run `make sysdeps` (package systemd)"
    # Verify the unit's syntax with an ExecStart that exists here.
    local = tmp_path / "clinic-central.service"
    local.write_text(unit.replace("/opt/clinic-central/bin/clinic-central", "/bin/true"))
    done = subprocess.run(
        [analyze, "verify", str(local)], capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in done.stderr.splitlines()
        if "clinic-central.service" in line and "postgresql.service" not in line
    ]
    assert not problems, done.stderr
