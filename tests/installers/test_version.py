"""The version is written once (clinic_app.__version__); the package metadata, the command line
and the central platform's default minimum all read it."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

from central.config import Settings
from clinic_app import __version__

REPO = Path(__file__).resolve().parents[2]


def test_pyproject_reads_the_version_from_the_package():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "clinic_app.__version__"
    }
    assert importlib.metadata.version("clinic-workstation") == __version__
    # The server's distribution (central/pyproject.toml) reads the same attribute.
    server = tomllib.loads((REPO / "central" / "pyproject.toml").read_text())
    assert server["project"]["dynamic"] == ["version"]
    assert server["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "clinic_app.__version__"}
    assert importlib.metadata.version("clinic-central") == __version__


def test_command_line_and_central_show_it():
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", "--version"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == f"clinic-app {__version__}"
    assert Settings("sqlite:///x.db").min_client_version == __version__
