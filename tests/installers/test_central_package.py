"""The central platform's install: the server (its own distribution, central/pyproject.toml) runs
with the workstation's base dependencies and its own (none of the workstation's GUI, media or
store packages), and its systemd unit is valid. tests/installers/test_server_install.py builds
and installs it for real."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CENTRAL = REPO / "installers" / "central"
# The `workstation` extra of pyproject.toml: what only the workstation needs (distribution name:
# module name). The server runs with the base dependencies and those of central/pyproject.toml.
WORKSTATION_ONLY = {
    "sqlcipher3-binary": "sqlcipher3",
    "sqlcipher3": "sqlcipher3",  # the Windows/macOS wheel of the same module
    "sqlite-utils": "sqlite_utils",
    "openpyxl": "openpyxl",
    "platformdirs": "platformdirs",
    "pyside6-essentials": "PySide6",
    "qasync": "qasync",
    "pyqtgraph": "pyqtgraph",
    "aiortc": "aiortc",
    "av": "av",
    "numpy": "numpy",
    "sounddevice": "sounddevice",
    "pywebrtc-audio": "pywebrtc_audio",
    "reportlab": "reportlab",
    "pypdfium2": "pypdfium2",
}


def _name(requirement: str) -> str:
    m = re.match(r"[A-Za-z0-9_.\-]+", requirement.strip())
    assert m, requirement
    return m.group(0).lower().replace("_", "-")


def test_every_dependency_is_classified():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    server_project = tomllib.loads((REPO / "central" / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert set(extras) == {"workstation", "dev"}, "the server's dependencies are its own"
    base = {_name(d) for d in project["dependencies"]}
    # The server depends on the workstation's distribution without an extra: its base only.
    assert project["name"] in server_project["dependencies"], server_project["dependencies"]
    server = base | ({_name(d) for d in server_project["dependencies"]} - {project["name"]})
    workstation = {_name(d) for d in extras["workstation"]}
    assert workstation == set(WORKSTATION_ONLY), "classify a new dependency here"
    assert not server & workstation, "the server install would pull a workstation package"
    # The development install (`make venv`) gets both sides: the workstation with its tools, and
    # the server's distribution beside it.
    assert f"{project['name']}[workstation]" in [d.replace(" ", "") for d in extras["dev"]]
    makefile = (REPO / "Makefile").read_text()
    assert "pip install -q -c constraints.txt -e '.[dev]' -e ./central" in makefile


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
