"""`make demo` as a new user meets it, on a real X server (Xvfb), the xcb platform — not
offscreen: the demo (its own central process, the workstation from the project's virtualenv)
opens a window that fits a 1366x768 screen, signs in and shows the patient list; its central
ends with it however it ends (SIGKILL, SIGTERM); a second demo right after works; a port taken
by another program is said in one line. A system library the window needs that is missing
fails these tests (the window never comes)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
SCREEN = (1366, 768)
PASSPHRASE = "demo-passphrase-2026"


@pytest.fixture(scope="module")
def display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is missing: `make sysdeps` installs it (package xvfb)"
    assert shutil.which("xdotool"), "xdotool is missing: `make sysdeps` installs it"
    read, write = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
         "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    number = b""
    deadline = time.monotonic() + 20
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        chunk = os.read(read, 16)
        if not chunk:
            break
        number += chunk
    assert number.strip(), "Xvfb did not start"
    try:  # the pipe stays open: Xvfb may write its number again, and dies on a closed pipe
        yield f":{number.decode().strip()}"
    finally:
        proc.terminate()
        proc.wait(10)
        os.close(read)


def _env(display: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "CLINIC_"))}
    env.update(
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",  # what a desktop gives: the real platform plugin
        HOME=str(home),  # QSettings (window geometry, language) of this test only
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_RUNTIME_DIR=str(home / "run"),
        CLINIC_PASSPHRASE=PASSPHRASE,
        PYTHONUNBUFFERED="1",
    )
    (home / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    return env


def _demo(folder: Path, display: str, *extra: str) -> subprocess.Popen[str]:
    """`make demo`'s command, from the project's virtualenv, on a small demo profile."""
    return subprocess.Popen(
        [sys.executable, "-m", "clinic_app.demo", "--profile", str(folder / "profile"),
         "--patients", "40", *extra],
        cwd=ROOT, env=_env(display, folder), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def _windows(display: str, name: str) -> list[str]:
    done = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", name],
        env={**os.environ, "DISPLAY": display}, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.split()


def _wait_window(display: str, name: str, proc: subprocess.Popen[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _windows(display, name)
        if found:
            return found[0]
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"the demo ended (status {proc.returncode}) before its window:\n{out}")
        time.sleep(0.25)
    pytest.fail(f"no window titled {name!r} within {timeout} s")


def _geometry(display: str, window: str) -> tuple[int, int, int, int]:
    done = subprocess.run(
        ["xdotool", "getwindowgeometry", "--shell", window],
        env={**os.environ, "DISPLAY": display}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    values = dict(line.split("=", 1) for line in done.stdout.split() if "=" in line)
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


def _screenshot(display: str, out: Path) -> QImage:
    subprocess.run(
        [sys.executable, "-m", "tests.support.grab_screen", str(out)],
        cwd=ROOT, env={**os.environ, "DISPLAY": display}, check=True, timeout=60,
    )  # fmt: skip
    image = QImage(str(out))
    assert not image.isNull(), "the screenshot did not load"
    return image


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _central_of(demo: subprocess.Popen[str]) -> int:
    for pid in _children(demo.pid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"central.cli" in cmd and b"serve" in cmd:
            return pid
    pytest.fail("the demo has no central process")


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # ended, waiting for its parent (this test) to reap it
            return True
        time.sleep(0.1)
    return False


def _painted_rows(image: QImage) -> int:
    """Rows of the patient table's area that hold text (dark pixels on the light table)."""
    rows = 0
    for y in range(80, min(image.height() - 60, 640), 2):
        xs = range(190, min(image.width(), 1150), 3)
        dark = sum(1 for x in xs if image.pixelColor(x, y).value() < 90)
        rows += dark > 3
    return rows


def test_demo_opens_a_window_that_fits_and_shows_patients(display: str, tmp_path: Path) -> None:
    demo = _demo(tmp_path, display)
    try:
        window = _wait_window(display, "demo.doctor —", demo, timeout=240)
        time.sleep(2.0)  # the first page of patients is painted
        x, y, w, h = _geometry(display, window)
        assert x >= 0 and y >= 0 and x + w <= SCREEN[0] and y + h <= SCREEN[1], (x, y, w, h)
        image = _screenshot(display, tmp_path / "demo-window.png")
        colours = {image.pixel(px, py) for px in range(0, w, 7) for py in range(0, h, 7)}
        assert len(colours) > 20, "the window is blank"
        assert _painted_rows(image) > 40, "the patient list shows no rows"
        central = _central_of(demo)
        demo.send_signal(signal.SIGTERM)  # as a session manager or `kill` ends it
        assert demo.wait(30) == 0
        assert _gone(central), "the demo's central outlived the workstation (SIGTERM)"
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(10)


def test_central_ends_when_the_demo_is_killed_and_a_second_demo_works(
    display: str, tmp_path: Path
) -> None:
    first = _demo(tmp_path, display)
    try:
        _wait_window(display, "demo.doctor —", first, timeout=240)
        central = _central_of(first)
        first.kill()  # a crash: no finally, no atexit
        first.wait(10)
        assert _gone(central), "the demo's central outlived a killed workstation"
        assert not _windows(display, "demo.doctor —")
    finally:
        if first.poll() is None:
            first.kill()
    second = _demo(tmp_path, display)  # right after, on the same profile
    try:
        _wait_window(display, "demo.doctor —", second, timeout=120)
        central = _central_of(second)
        second.send_signal(signal.SIGINT)  # Ctrl-C in the terminal that ran `make demo`
        assert second.wait(30) == 0
        assert _gone(central)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(10)


def test_a_taken_port_is_said_in_one_line(display: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        demo = _demo(tmp_path, display, "--port", str(port))
        out, _ = demo.communicate(timeout=240)
    assert demo.returncode == 1
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: Port {port} on 127.0.0.1 is in use by another program: stop it, or choose "
        "another port (make demo DEMO_PORT=N; 0 takes any free port)."
    ]
    assert "Traceback" not in out
    assert not (tmp_path / "profile").exists()  # said before anything was made


def test_no_display_is_said_in_one_line(tmp_path: Path) -> None:
    env = _env("", tmp_path)
    del env["DISPLAY"]
    env.pop("WAYLAND_DISPLAY", None)
    init = [sys.executable, "-m", "clinic_app.cli", "--profile", str(tmp_path / "p"), "init"]
    subprocess.run([*init, "--user", "dr.li"], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", "--profile", str(tmp_path / "p"), "gui"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 8
    assert done.stderr.strip() == (
        "error: No display: set DISPLAY (or WAYLAND_DISPLAY), or run `clinic-app screenshot "
        "--out DIR` to look at every screen without one. [NO_DISPLAY]"
    )
    env["DISPLAY"] = ":93"  # nothing listens there
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", "--profile", str(tmp_path / "p"), "gui"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 8
    assert done.stderr.strip().startswith("error: No X server answers on DISPLAY=:93")
    assert done.stderr.strip().endswith("[NO_DISPLAY]")
    assert "core dumped" not in done.stderr and "Traceback" not in done.stderr
