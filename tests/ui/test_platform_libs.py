"""The window's system libraries are read from PySide6's xcb plugin with ldd, and each one's
Debian package is named right: checked against `dpkg -S` for every library found here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ui import platform_libs


def test_every_linked_library_maps_to_the_package_that_holds_it():
    assert shutil.which("dpkg"), "this check needs a Debian-family system"
    qt = platform_libs.qt_folder()
    assert qt is not None
    libs = platform_libs.linked_libraries(platform_libs.xcb_objects(qt), qt)
    assert "libxcb-cursor.so.0" in libs and "libxkbcommon-x11.so.0" in libs
    missing = sorted(name for name, where in libs.items() if where is None)
    assert not missing, f"`make guideps` should have installed: {missing}"
    wrong = {}
    for name, where in libs.items():
        assert where is not None
        owner = subprocess.run(["dpkg", "-S", str(Path(where).resolve())], capture_output=True,
                               text=True)  # fmt: skip
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", where], capture_output=True, text=True)
        package = owner.stdout.split(":", 1)[0].strip()
        if package and package != platform_libs.deb_of(name):
            wrong[name] = (platform_libs.deb_of(name), package)
    assert not wrong, f"named package, package holding the file: {wrong}"


def test_policy_names():
    assert platform_libs.deb_of("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert platform_libs.deb_of("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert platform_libs.deb_of("libX11-xcb.so.1") == "libx11-xcb1"
    assert platform_libs.deb_of("libpcre2-8.so.0") == "libpcre2-8-0"


def test_a_missing_library_is_said_in_one_line(monkeypatch):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    found = {"libxcb-icccm.so.4": None, "libc.so.6": "/lib/libc.so.6"}
    monkeypatch.setattr(platform_libs, "linked_libraries", lambda objects, inside: found)
    with pytest.raises(platform_libs.DisplayProblem) as caught:
        platform_libs.check_libraries()
    assert str(caught.value) == (
        "The window needs system libraries that are missing (libxcb-icccm.so.4): run `make demo` "
        "as root (it installs them) or `sudo apt-get install libxcb-icccm4`."
    )


def test_offscreen_needs_no_display():
    platform_libs.check_display({"QT_QPA_PLATFORM": "offscreen"})
    with pytest.raises(platform_libs.DisplayProblem):
        platform_libs.check_display({})


def test_every_symbol_the_screens_draw_is_checked_for() -> None:
    """Symbols written as text in ui/ (not letters: ♀, ⚠, ↑ …) must be in SYMBOLS, so
    `make demo` installs a font that has them and no screen shows an empty box."""
    import unicodedata
    from pathlib import Path

    from ui import platform_libs

    wanted = {int(c, 16) for c in platform_libs.SYMBOLS.split()}
    root = Path(platform_libs.__file__).parent
    for path in sorted(root.glob("*.py")):
        for ch in set(path.read_text(encoding="utf-8")):
            if ord(ch) < 0x2000 or unicodedata.category(ch) not in ("So", "Sm"):
                continue
            assert ord(ch) in wanted, f"{path.name}: {ch} (U+{ord(ch):04X}) is not in SYMBOLS"
