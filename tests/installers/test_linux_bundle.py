"""The built Linux packages, as a clinic gets them: `make installer`'s .deb unpacked into a
temporary root and its program run with a bare environment (no virtualenv, no PYTHONPATH):
`--version`, every screen rendered headless in both languages, a schema-1 profile upgraded
with its backup beside it, and a profile from a newer version refused with nothing changed.

The build itself is cached (installers/linux/build.py keeps a hash of its inputs): a run with
unchanged sources reuses the packages, a changed source rebuilds them here.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from clinic_app import __version__
from local_store import db as dbmod
from local_store.errors import SchemaTooNew
from local_store.keyslots import KeyHeader
from local_store.schema import CURRENT_SCHEMA, schema_version
from local_store.store import Store

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "installers" / "linux" / "build.py"
FIXTURE = REPO / "tests" / "local_store" / "fixtures" / "profile_schema1"
BUILD_TIMEOUT = 1500  # a cold build: ~2.5 min alone, more while other tests load the machine

pytestmark = [pytest.mark.slow, pytest.mark.timeout(BUILD_TIMEOUT + 600)]


def _fixture_generator():
    spec = importlib.util.spec_from_file_location(
        "make_schema1_fixture", REPO / "tests" / "local_store" / "make_schema1_fixture.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILD_SCRIPT)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def packages() -> dict[str, object]:
    done = build()
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    import json

    report = json.loads((REPO / "build" / "installer" / "report.json").read_text())
    assert report["version"] == __version__
    return dict(report)


@pytest.fixture(scope="module")
def root(packages, tmp_path_factory) -> Path:
    """The .deb unpacked into a temporary root (what dpkg would put under /)."""
    target = tmp_path_factory.mktemp("deb-root")
    subprocess.run(["dpkg-deb", "-x", str(packages["deb"]), str(target)], check=True)
    return target


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    """What a desktop session gives a program: no virtualenv, no Python variables."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(home),
    }
    env.update(extra)
    return env


def program(root: Path) -> Path:
    return root / "opt" / "clinic-workstation" / "clinic-app"


def run(root: Path, home: Path, *args: str, timeout: float = 300, **env: str):
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(program(root)), *args],
        cwd=home,
        env=bare_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path.name
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_deb_layout_and_control(packages, root):
    control = subprocess.run(
        ["dpkg-deb", "-f", str(packages["deb"]), "Package", "Version", "Architecture", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Package: clinic-workstation" in control and f"Version: {__version__}" in control
    assert "libxcb-cursor0" in control and "fonts-wqy-microhei" in control
    assert os.access(program(root), os.X_OK)
    link = root / "usr" / "bin" / "clinic-app"
    assert link.is_symlink() and os.readlink(link) == "/opt/clinic-workstation/clinic-app"
    desktop = (root / "usr/share/applications/clinic-workstation.desktop").read_text()
    assert "Exec=/usr/bin/clinic-app" in desktop and "Icon=clinic-workstation" in desktop
    assert "Categories=Office;MedicalSoftware;Qt;" in desktop
    assert png_size(root / "usr/share/icons/hicolor/256x256/apps/clinic-workstation.png") == (
        256,
        256,
    )
    assert (root / "usr/share/icons/hicolor/scalable/apps/clinic-workstation.svg").exists()
    # What the program loads at run time besides Python modules.
    internal = root / "opt" / "clinic-workstation" / "_internal"
    assert (internal / "ui/i18n/clinic_zh_CN.qm").stat().st_size > 1000
    forms = sorted(p.name for p in (REPO / "clinic_app/records/forms").glob("*.json"))
    assert sorted(p.name for p in (internal / "clinic_app/records/forms").glob("*.json")) == forms
    plugins = internal / "PySide6/Qt/plugins/platforms"
    assert (plugins / "libqoffscreen.so").exists() and (plugins / "libqxcb.so").exists()
    assert list((internal / "sqlcipher3").glob("_sqlite3*.so")) or list(
        internal.glob("sqlcipher3*/**/*.so*")
    )
    # PyAV's FFmpeg, and the libvpx/libopus media/quality/_native.py loads from av.libs/.
    for stem in ("libavcodec", "libvpx", "libopus"):
        assert list(internal.glob(f"av.libs/{stem}-*.so*")), stem
    assert list(internal.glob("pylibsrtp/_binding*.so"))  # aiortc's SRTP
    assert (internal / "pyqtgraph").is_dir()
    assert not (internal / "central").exists()  # the server is installed on its own


def test_tarball_holds_the_same_program(packages):
    with tarfile.open(str(packages["tar"])) as tar:
        names = set(tar.getnames())
    top = f"clinic-workstation-{__version__}"
    for name in ("clinic-app", "clinic-workstation.desktop", "clinic-workstation.png"):
        assert f"{top}/{name}" in names
    assert f"{top}/_internal/ui/i18n/clinic_zh_CN.qm" in names


def test_version_through_the_usr_bin_link(root, tmp_path):
    # /usr/bin/clinic-app is a symlink to /opt/…: the program must find its files through it.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "clinic-app").symlink_to(program(root))
    done = subprocess.run(
        ["clinic-app", "--version"],
        env={**bare_env(tmp_path), "PATH": f"{bindir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"clinic-app {__version__}"


def test_screenshots_headless_in_both_languages(root, tmp_path):
    out = tmp_path / "shots"
    done = run(root, tmp_path / "home", "screenshot", "--out", str(out), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    shots = sorted(out.glob("*.png"))
    assert f"Wrote {len(shots)} screenshots" in done.stdout
    english = [p for p in shots if p.name.startswith("en-")]
    chinese = [p for p in shots if p.name.startswith("zh_CN-")]
    assert len(english) >= 30 and len(chinese) == len(english)
    assert len(english) + len(chinese) == len(shots)
    for path in shots:
        width, height = png_size(path)
        assert width >= 200 and height >= 100 and path.stat().st_size > 2000, path.name
    # The translation is loaded: the same screen differs between the languages.
    assert (out / "en-02-patients.png").read_bytes() != (out / "zh_CN-02-patients.png").read_bytes()


def test_upgrade_keeps_a_schema_1_profile(root, tmp_path):
    gen = _fixture_generator()
    profile = tmp_path / "profile"
    shutil.copytree(FIXTURE, profile)
    done = run(
        root,
        tmp_path / "home",
        "--profile",
        str(profile),
        "--user",
        gen.USER,
        "info",
        CLINIC_PASSPHRASE=gen.PASSPHRASE,
    )
    assert done.returncode == 0, done.stderr
    assert f"(schema {CURRENT_SCHEMA})" in done.stdout
    backups = list((profile / "backups").glob("records-schema1-*.db"))
    assert len(backups) == 1
    key = KeyHeader.load(profile / "keys.json").unlock(gen.USER, gen.PASSPHRASE)
    conn = dbmod.connect(backups[0], key)
    try:
        assert schema_version(conn) == 1  # the backup is the profile as it was
    finally:
        conn.close()
    store = Store.unlock(profile, gen.USER, gen.PASSPHRASE)  # and the source agrees
    try:
        assert store.schema == CURRENT_SCHEMA and store.migrated_from == CURRENT_SCHEMA
        assert store.integrity_check() == ["ok"]
        expected = gen.expected_final()
        assert store.count() == sum(1 for e in expected.values() if not e[2])
    finally:
        store.lock()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_profile_from_a_newer_version_is_refused_untouched(root, tmp_path):
    profile = tmp_path / "profile"
    store, _ = Store.create(profile, "dr.new", "newer-version-passphrase")
    store.conn.execute(f"PRAGMA user_version = {CURRENT_SCHEMA + 1}")
    store.lock()
    before = snapshot(profile)
    done = run(
        root,
        tmp_path / "home",
        "--profile",
        str(profile),
        "info",
        CLINIC_PASSPHRASE="newer-version-passphrase",
    )
    assert done.returncode == SchemaTooNew.exit_status
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "written by a newer version of the program" in lines[0]
    assert lines[0].endswith(f"[{SchemaTooNew.code}]")
    assert "Install the newer version" in lines[0]
    assert snapshot(profile) == before and not (profile / "backups").exists()


def test_unchanged_inputs_reuse_the_build(packages):
    """A second build with the same inputs is skipped. (In a shared work tree, others' edits
    can change an input between two builds: then it is tried again, up to three times.)"""
    for _ in range(3):
        assert build().returncode == 0  # up to date with the tree as it is now
        started = time.monotonic()
        again = build()
        assert again.returncode == 0
        if "up to date" in again.stdout:
            assert time.monotonic() - started < 60
            return
    recorded = (REPO / "build/installer/inputs.txt").read_text().splitlines()
    pytest.fail(f"rebuilt every time; last recorded inputs: {len(recorded)} lines")
