"""What the window needs from the system before Qt starts, checked without importing Qt (a
missing library makes Qt abort with a core dump; this says it in one line instead).

* The display: ``DISPLAY`` (X11) or ``WAYLAND_DISPLAY`` set and answering.
* The system libraries of Qt's xcb platform plugin: read with ``ldd`` from the plugin and the
  Qt libraries it loads, so the list is what PySide6 links, never a list kept by hand; the
  Debian package of each library follows Debian's naming policy (``libxcb-icccm.so.4`` ->
  ``libxcb-icccm4``, ``libxkbcommon-x11.so.0`` -> ``libxkbcommon-x11-0``).
* A font with Chinese glyphs (patients' names), one with the symbols the lists use, and
  PortAudio (the other side of a call).

``python -m ui.platform_libs --install`` installs what is missing with apt-get (as root or
with sudo); ``make demo`` runs it. ``--check`` prints what is missing and exits 1.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CJK_FONT_DEB = "fonts-wqy-microhei"
SYMBOL_FONT_DEB = "fonts-dejavu-core"  # ♀ ♂ ⚠ and the like in lists and charts
# Code points (hex) of every symbol the screens draw as text (♀ ♂ ⚠ arrows, check marks): some
# installed font must have each (tests/ui/test_platform_libs.py keeps this list complete).
SYMBOLS = "2640 2642 26a0 2190 2191 2192 2193 2265 2501 25b6 25c0 2713 2714 2718"
SOUND_DEB = "libportaudio2"  # sounddevice's PortAudio
SOUND_LIB = "libportaudio.so.2"
LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(not found|\S+)")


class DisplayProblem(Exception):
    """The window cannot open here; the message says why and what to do, in one line."""


@dataclass
class Missing:
    libraries: list[str] = field(default_factory=list)  # sonames ldd could not find
    font: bool = False
    symbols: bool = False
    sound: bool = False

    def packages(self) -> list[str]:
        debs = [deb_of(lib) for lib in self.libraries]
        if self.font:
            debs.append(CJK_FONT_DEB)
        if self.symbols:
            debs.append(SYMBOL_FONT_DEB)
        if self.sound:
            debs.append(SOUND_DEB)
        return sorted(set(debs))

    def __bool__(self) -> bool:
        return bool(self.libraries or self.font or self.symbols or self.sound)


def qt_folder() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "Qt"


def xcb_objects(qt: Path) -> list[Path]:
    """The xcb platform plugin, its GL integrations (GLX, EGL: loaded when a window paints
    with OpenGL) and the Qt libraries they load from PySide6's folder."""
    plugin = qt / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        return []
    gl = sorted((qt / "plugins" / "xcbglintegrations").glob("*.so"))
    return [plugin, *gl, *sorted((qt / "lib").glob("libQt6XcbQpa.so*"))]


def linked_libraries(objects: list[Path], inside: Path) -> dict[str, str | None]:
    """soname -> resolved path (None: not found) of everything ``objects`` link outside
    ``inside`` (PySide6 ships its Qt libraries; the rest must come from the system)."""
    out: dict[str, str | None] = {}
    for obj in objects:
        done = subprocess.run(["ldd", str(obj)], capture_output=True, text=True, check=False)
        for line in done.stdout.splitlines():
            m = LDD_LINE.match(line)
            if not m:
                continue
            name, where = m.group(1), m.group(2)
            if where != "not found" and Path(where).resolve().is_relative_to(inside.resolve()):
                continue
            if out.get(name) is None:
                out[name] = None if where == "not found" else where
    return out


# Libraries whose package is not named by the policy (a package holding several libraries);
# tests/ui/test_platform_libs.py checks every name against `dpkg -S` on the files ldd finds.
NOT_BY_POLICY = {
    "libc.so.6": "libc6",
    "libm.so.6": "libc6",
    "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6",
    "libz.so.1": "zlib1g",
    "libgcc_s.so.1": "libgcc-s1",
    "libGLdispatch.so.0": "libglvnd0",
    "libbrotlicommon.so.1": "libbrotli1",
    "libbrotlidec.so.1": "libbrotli1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}


def deb_of(soname: str) -> str:
    """Debian's package name for a shared library (policy 8.1): ``libfoo.so.N`` -> ``libfooN``,
    ``libfoo1.so.N`` or a name ending in a digit -> ``libfoo1-N``; lower case."""
    if soname in NOT_BY_POLICY:
        return NOT_BY_POLICY[soname]
    m = re.match(r"^(lib.+?)\.so\.(\d+)", soname)
    if not m:
        return soname.lower()
    base, version = m.group(1).lower(), m.group(2)
    return f"{base}-{version}" if base[-1].isdigit() else f"{base}{version}"


def has_font(pattern: str) -> bool:
    """Some installed font matches a fontconfig pattern (``:lang=zh``, ``:charset=26a0``)."""
    if shutil.which("fc-list") is None:
        return False
    done = subprocess.run(["fc-list", pattern, "family"], capture_output=True, text=True)
    return bool(done.stdout.strip())


def has_library(soname: str) -> bool:
    """The dynamic loader finds ``soname`` (asked directly: ``ldconfig`` lives in /usr/sbin,
    which is not on an ordinary user's PATH on Debian)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing() -> Missing:
    result = Missing()
    qt = qt_folder()
    if qt is not None and sys.platform.startswith("linux"):
        libs = linked_libraries(xcb_objects(qt), qt)
        result.libraries = sorted(name for name, where in libs.items() if where is None)
    if sys.platform.startswith("linux"):
        result.font = not has_font(":lang=zh")
        result.symbols = not has_font(f":charset={SYMBOLS}")
        result.sound = not has_library(SOUND_LIB)
    return result


def install(packages: list[str]) -> int:
    if not packages:
        return 0
    if shutil.which("apt-get") is None:
        print("Install these system packages with your package manager, then try again: "
              + " ".join(packages), file=sys.stderr)  # fmt: skip
        return 1
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    if sudo and shutil.which("sudo") is None:
        print("Install these system packages as root (sudo is not installed here), then try "
              "again: apt-get install " + " ".join(packages), file=sys.stderr)  # fmt: skip
        return 1
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("installing system packages for the window: " + " ".join(packages), flush=True)
    base = [*sudo, "apt-get"]
    update = subprocess.run([*base, "update", "-q"], env=env, check=False)
    if update.returncode != 0:
        return update.returncode
    cmd = [*base, "install", "-y", "-q", "--no-install-recommends", *packages]
    return subprocess.run(cmd, env=env, check=False).returncode


def check_display(environ: dict[str, str] | None = None) -> None:
    """Raise :class:`DisplayProblem` when no display can take the window."""
    env = os.environ if environ is None else environ
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return  # offscreen, vnc, …: Qt needs no display
    if sys.platform in ("win32", "darwin"):
        return
    if env.get("WAYLAND_DISPLAY") and not platform.startswith("xcb"):
        return
    display = env.get("DISPLAY", "")
    if not display:
        raise DisplayProblem(
            "No display: set DISPLAY (or WAYLAND_DISPLAY), or run `clinic-app screenshot "
            "--out DIR` to look at every screen without one."
        )
    if not x_server_answers(display):
        raise DisplayProblem(
            f"No X server answers on DISPLAY={display}: start one (or fix DISPLAY), or run "
            "`clinic-app screenshot --out DIR` to look without a display."
        )


def x_server_answers(display: str, timeout: float = 2.0) -> bool:
    m = re.match(r"^(?P<host>[^:]*):(?P<num>\d+)(\.\d+)?$", display)
    if not m:
        return True  # a form we do not know: let Qt try
    host, num = m.group("host"), int(m.group("num"))
    try:
        if host in ("", "unix"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                try:
                    s.connect(f"/tmp/.X11-unix/X{num}")
                except OSError:
                    s.connect(f"\0/tmp/.X11-unix/X{num}")  # Linux's abstract socket
            return True
        with socket.create_connection((host, 6000 + num), timeout=timeout):
            return True
    except OSError:
        return False


def check_libraries() -> None:
    """Raise :class:`DisplayProblem` when Qt's xcb plugin could not load its libraries."""
    env = os.environ
    platform = env.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or (platform and not platform.startswith("xcb")):
        return
    if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY"):
        return
    qt = qt_folder()
    if qt is None:
        return
    absent = sorted(n for n, w in linked_libraries(xcb_objects(qt), qt).items() if w is None)
    if absent:
        debs = " ".join(sorted({deb_of(n) for n in absent}))
        raise DisplayProblem(
            f"The window needs system libraries that are missing ({', '.join(absent)}): "
            f"run `make demo` as root (it installs them) or `sudo apt-get install {debs}`."
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="apt-get what is missing")
    parser.add_argument("--check", action="store_true", help="exit 1 when something is missing")
    parser.add_argument("--list", action="store_true", help="every library the plugin links")
    args = parser.parse_args(argv)
    if args.list:
        qt = qt_folder()
        libs = linked_libraries(xcb_objects(qt), qt) if qt else {}
        for name, where in sorted(libs.items()):
            print(f"{name}\t{deb_of(name)}\t{where or 'not found'}")
        return 0
    need = missing()
    if args.install and need:
        rc = install(need.packages())
        if rc != 0:
            return rc
        need = missing()
    if need:
        print("still missing for the window: " + " ".join(need.packages()), file=sys.stderr)
        return 1 if (args.check or args.install) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
