"""The server install for real: `pip install '.[central]'` into a fresh virtualenv, with the
pinned constraints (constraints.txt) and the package index `make venv` uses, brings none of the
workstation's packages (Qt, the media stack, SQLCipher), and the central platform runs from it:
the issue's one-liner, `clinic-central --help`, and an import of every central module.

About 45 s here (2 cores), almost all of it pip: the build of the project's wheel in its own
build environment and the server's ~25 distributions."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# What a build of the project reads (pyproject.toml: packages, readme, version).
SOURCES = (
    "pyproject.toml",
    "README.md",
    "clinic_errors",
    "clinic_app",
    "local_store",
    "central",
    "media",
    "ui",
)
MUST_HOLD = (
    "import central.app, sys; "
    "assert not {'sqlcipher3','PySide6','aiortc'} & set(sys.modules)"
)  # issue 15, verbatim
IMPORT_ALL = """
import importlib, pkgutil, sys
import central
for m in pkgutil.walk_packages(central.__path__, "central."):
    importlib.import_module(m.name)
import psycopg, psycopg_pool  # central/db.py imports them when the database is PostgreSQL
print(central.__file__)
"""
LIST = """
import importlib.metadata as m, json
print(json.dumps({d.metadata["Name"]: d.version for d in m.distributions()}))
"""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(requirements: list[str]) -> set[str]:
    return {_norm(re.split(r"[<>=!~;\[ ]", r.strip(), maxsplit=1)[0]) for r in requirements}


def _pins() -> dict[str, str]:
    out = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line.strip())
        if m:
            out[_norm(m.group(1))] = m.group(2)
    return out


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONNOUSERSITE="1")
    return env


def _run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_server_install_has_no_workstation_packages(tmp_path: Path) -> None:
    # A copy of the sources: a build writes *.egg-info and build/ beside them, and others build
    # in the work tree at the same time.
    src = tmp_path / "src"
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(path, src / name)

    venv = tmp_path / "server"
    done = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, 120)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"

    # This virtualenv's pip installs into the new one (--python): no pip of its own to set up.
    started = time.monotonic()
    done = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-compile", "-c", str(REPO / "constraints.txt"), f"{src}[central]"],
        tmp_path,
        300,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, (
        f"pip install '.[central]' failed after {took:.0f} s:\n" + (done.stderr[-4000:])
    )

    done = _run([str(python), "-c", LIST], tmp_path, 60)
    assert done.returncode == 0, done.stderr
    installed = {_norm(name): version for name, version in json.loads(done.stdout).items()}

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    workstation = _requirement_names(extras["workstation"]) | {"shiboken6", "pyside6"}
    assert not workstation & set(installed), (
        f"the server install pulled workstation packages: {sorted(workstation & set(installed))}"
    )
    server = _requirement_names(project["dependencies"]) | _requirement_names(extras["central"])
    assert server <= set(installed), sorted(server - set(installed))
    assert "psycopg-binary" in installed  # psycopg[binary]: no libpq to install on the server
    pins = _pins()
    unpinned = {n: v for n, v in installed.items() if n in pins and pins[n] != v}
    assert not unpinned, f"installed versions differ from constraints.txt: {unpinned}"

    # In an empty folder: the modules must come from the install, not from this repository.
    here = tmp_path / "empty"
    here.mkdir()
    done = _run([str(python), "-c", MUST_HOLD], here, 120)
    assert done.returncode == 0, done.stderr
    done = _run([str(python), "-c", IMPORT_ALL], here, 120)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(venv), done.stdout

    done = _run([str(venv / "bin" / "clinic-central"), "--help"], here, 60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: clinic-central"), done.stdout
    assert took < 240, f"pip install '.[central]' took {took:.0f} s"
