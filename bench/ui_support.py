"""The child processes of ``bench/ui.py``: each measures one thing in a fresh interpreter, as the
workstation runs it, and prints one ``RESULT {json}`` line on stdout.

    python -m bench.ui_support baseline                      # bare PySide6: start to first paint
    python -m bench.ui_support startup --profile P           # `clinic-app --profile P gui`, probed
    python -m bench.ui_support search --profile P --spec S   # search-as-you-type, per keystroke
    python -m bench.ui_support charts --profile P --spec S   # RSS around opening 20 charts

``startup`` runs the real command line (``clinic_app.cli.main([... "gui"])``, which signs in with
``CLINIC_PASSPHRASE``) with a probe beside it: a timer that waits for the patient list to show
rows (then for the table's next paint), prints the timestamps and quits. Nothing in the
application is changed for it; the probe only wraps ``Store.unlock`` and ``KeyHeader.unlock``
to time them. ``search`` and ``charts`` open the main window the way ``ui.app.main`` does and
drive it like a user (keystrokes into the search field, charts opened from the workspace).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

T0 = time.time()  # as early as this module runs: the parent also notes when it started us


def emit(result: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(result), flush=True)


def rss_kib() -> dict[str, int]:
    """VmRSS and VmHWM (peak) of this process, KiB (Linux)."""
    out: dict[str, int] = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(line.split()[1])
    return out


# ------------------------------------------------------------------------- baseline --
def baseline() -> int:
    """A bare PySide6 program: import, QApplication, one window, its first paint."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication(sys.argv)
    label = QLabel("Hello")
    label.resize(1200, 780)

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                emit({"ready": time.time()})
                QTimer.singleShot(0, app.quit)
            return False

    probe = FirstPaint()
    label.installEventFilter(probe)
    label.show()
    return app.exec()


# -------------------------------------------------------------------------- startup --
def _timed(record: dict[str, float], key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.time()
        try:
            return fn(*args, **kwargs)
        finally:
            record[key] = record.get(key, 0.0) + time.time() - started
            record[key + "_end"] = time.time()

    return wrapper


def _patients_screen(window: Any) -> Any:
    workspace = getattr(window, "workspace", None)
    if workspace is None:
        return None
    for page in workspace.pages:
        if page.key == "patients":
            return page.widget
    return None


def _rows_shown(screen: Any) -> bool:
    model = screen.model
    if model.rowCount() == 0:
        return False
    first = model.data(model.index(0, 0))
    return bool(first) and first != "…"


def startup(profile: Path) -> int:
    """``clinic-app --profile P gui`` signed in by CLINIC_PASSPHRASE, until the list shows rows."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from clinic_app import cli
    from local_store.keyslots import KeyHeader
    from local_store.store import Store
    from ui.main_window import MainWindow

    record: dict[str, float] = {"imported": time.time()}
    KeyHeader.unlock = _timed(record, "kdf", KeyHeader.unlock)  # type: ignore[method-assign]
    unlock = Store.unlock
    Store.unlock = _timed(record, "unlock", unlock)  # type: ignore[method-assign]
    app = QApplication(sys.argv)  # ui.app.main uses the instance there is

    class Painted(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and "rows" in record and "ready" not in record:
                record["ready"] = time.time()
                emit(record)
                QTimer.singleShot(0, app.quit)
            return False

    painted = Painted()

    def poll() -> None:
        window = next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)), None)
        if window is not None and "window" not in record:
            record["window"] = time.time()
        screen = _patients_screen(window) if window is not None else None
        if screen is not None and "rows" not in record and _rows_shown(screen):
            record["rows"] = time.time()
            screen.table.viewport().installEventFilter(painted)
            screen.table.viewport().update()
            timer.stop()

    timer = QTimer()
    timer.setInterval(2)
    timer.timeout.connect(poll)
    timer.start()
    code = cli.main(["--profile", str(profile), "gui"])
    return int(code or 0)


# ------------------------------------------------------------- the app, driven here --
class App:
    """The main window as ``ui.app.main`` makes it, signed in, with its qasync loop."""

    def __init__(self, profile: Path, user: str, passphrase: str) -> None:
        import qasync
        from PySide6.QtWidgets import QApplication

        from ui.app import freeze_startup_heap
        from ui.main_window import MainWindow

        self.qapp = QApplication.instance() or QApplication(sys.argv)
        self.loop = qasync.QEventLoop(self.qapp)
        asyncio.set_event_loop(self.loop)
        self.window = MainWindow(profile)
        self.window.show()
        freeze_startup_heap()
        self.window.unlock.user.setCurrentText(user)
        self.window.unlock.passphrase.setText(passphrase)
        self.window.unlock.button.click()

    def run(self, coro: Any, timeout: float = 600) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    @property
    def patients(self) -> Any:
        return _patients_screen(self.window)

    async def signed_in(self) -> None:
        await wait_for(lambda: self.patients is not None and _rows_shown(self.patients), 120)
        await asyncio.sleep(0.5)


async def wait_for(predicate: Callable[[], object], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the workstation did not get there in time")
        await asyncio.sleep(0.002)


def run_queue_wait(tid: int) -> float:
    """Seconds thread ``tid`` was runnable but had no CPU (Linux schedstat; 0.0 elsewhere)."""
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class LoopGaps:
    """The longest gap between ticks of a 10 ms timer on the GUI thread, and how much of it the
    GUI thread spent waiting for a CPU that other processes had."""

    def __init__(self) -> None:
        import threading

        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.tid = threading.get_native_id()
        self.last = self.last_wait = 0.0
        self.longest = self.longest_waited = 0.0

    def _tick(self) -> None:
        now, wait = time.perf_counter(), run_queue_wait(self.tid)
        if now - self.last > self.longest:
            self.longest, self.longest_waited = now - self.last, wait - self.last_wait
        self.last, self.last_wait = now, wait

    def start(self) -> None:
        self.last, self.last_wait = time.perf_counter(), run_queue_wait(self.tid)
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self._tick()


# --------------------------------------------------------------------------- search --
def search(profile: Path, spec: dict[str, Any]) -> int:
    """Type each query one key at a time; after each key wait for the list to show its rows."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    app = App(profile, spec["user"], spec["passphrase"])
    app.run(app.signed_in())
    screen = app.patients
    fired: list[float] = []
    resets: list[tuple[float, str]] = []
    screen._timer.timeout.connect(lambda: fired.append(time.perf_counter()))
    screen.model.modelReset.connect(
        lambda: resets.append((time.perf_counter(), screen.search.text()))
    )
    full = screen.model.total
    gaps = LoopGaps()
    keys: list[dict[str, Any]] = []

    async def type_query(kind: str, text: str, record: bool) -> None:
        screen.search.setFocus()
        for ch in text:
            pressed = time.perf_counter()
            if ch.isascii():
                QTest.keyClick(screen.search, ch, Qt.KeyboardModifier.NoModifier)
            else:  # what an input method commits
                screen.search.insert(ch)
            wanted = screen.search.text()
            await wait_for(lambda w=wanted, t=pressed: any(a > t and s == w for a, s in resets))
            shown = next(a for a, s in resets if a > pressed and s == wanted)
            start = max(f for f in fired if f <= shown)
            if record:
                keys.append(
                    {"kind": kind, "text": wanted, "key_to_rows": shown - pressed,
                     "refresh": shown - start, "rows": screen.model.rowCount()}
                )  # fmt: skip
        screen.search.clear()
        await wait_for(lambda: screen.model.rowCount() == full)
        await asyncio.sleep(0.05)

    async def scenario() -> None:
        await type_query("warm-up", "zh", record=False)
        gc.collect()
        gaps.start()
        for kind, text in spec["queries"]:
            await type_query(kind, text, record=True)
        gaps.stop()

    app.run(scenario())
    emit({"patients": full, "keys": keys, "longest_gap": gaps.longest,
          "longest_gap_waited": gaps.longest_waited,
          "debounce_ms": screen._timer.interval()})  # fmt: skip
    app.run(app.window.shutdown())
    return 0


# --------------------------------------------------------------------------- charts --
def charts(profile: Path, spec: dict[str, Any]) -> int:
    """RSS after sign-in, after opening 20 charts one after another, and after leaving them."""
    from PySide6.QtCore import QEvent, QObject

    app = App(profile, spec["user"], spec["passphrase"])
    app.run(app.signed_in())
    workspace = app.window.workspace
    chart = workspace.show_page("chart")
    workspace.show_page("patients")

    class Paints(QObject):
        count = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    paints = Paints()
    loads: list[tuple[str, int]] = []
    chart.loaded.connect(lambda pid: loads.append((pid, paints.count)))
    opened: list[float] = []
    out: dict[str, Any] = {}

    async def settle() -> dict[str, int]:
        await asyncio.sleep(1.0)
        gc.collect()
        await asyncio.sleep(0.2)
        return rss_kib()

    async def scenario() -> None:
        out["after_unlock"] = await settle()
        for n, pid in enumerate(spec["charts"]):
            started = time.perf_counter()
            loads.clear()
            workspace.open_chart(pid)
            if not paints.count:
                chart.trends.graphics.viewport().installEventFilter(paints)
            await wait_for(lambda p=pid: loads and loads[0][0] == p)
            await wait_for(lambda: paints.count > loads[0][1])
            opened.append(time.perf_counter() - started)
            if n == 0:
                out["after_first"] = await settle()
        out["readings"] = sum(s.total for s in chart.view.trends.values())
        out["after_charts"] = await settle()
        workspace.show_page("patients")
        out["after_closing"] = await settle()
        await app.window.lock()
        out["after_lock"] = await settle()
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)  # what the allocator keeps but does not use
        out["after_trim"] = await settle()

    app.run(scenario())
    out["opened"] = opened
    emit(out)
    app.run(app.window.shutdown())
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ui_support")
    ap.add_argument("mode", choices=["baseline", "startup", "search", "charts"])
    ap.add_argument("--profile", type=Path)
    ap.add_argument("--spec", type=Path, help="JSON: user, passphrase, queries, charts")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.mode == "baseline":
        return baseline()
    if args.mode == "startup":
        return startup(args.profile)
    spec = json.loads(args.spec.read_text(encoding="utf-8"))
    return (search if args.mode == "search" else charts)(args.profile, spec)


if __name__ == "__main__":
    sys.exit(main())
