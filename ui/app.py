"""The GUI's start: QApplication, translations, the look every screen shares (text size from
the preferences, a visible keyboard focus), the qasync event loop, the main window."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSocketNotifier
from PySide6.QtWidgets import QApplication

from ui.gui_thread_gc import GuiThreadCollector
from ui.text_size import apply_text_size
from ui.translations import chosen_language, install_translator


def freeze_startup_heap() -> None:
    """Leave what start-up made (modules; pypinyin's dictionaries alone are ~190k objects) out
    of garbage collection. A full collection walks every tracked object: with them in, one takes
    ~70-120 ms on the GUI thread, triggered by whatever allocates there (e.g. a sync page)."""
    gc.freeze()


def quit_on_signals(app: QCoreApplication) -> None:
    """Ctrl-C and SIGTERM close the window as its close button does (records locked, call
    ended, sync stopped), also while Qt waits in C++: a signal wakes the loop through a
    socket the interpreter writes to (``signal.set_wakeup_fd``)."""
    if sys.platform == "win32":
        return
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def drain() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)

    notifier.activated.connect(drain)
    app._signal_wakeup = (reader, writer, notifier)  # type: ignore[attr-defined]
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: app.quit())


def main(profile: Path, language: str | None = None) -> int:
    import qasync

    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Clinic workstation")
    install_translator(app, chosen_language(language))
    if isinstance(app, QApplication):
        apply_text_size(app)
    quit_on_signals(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(profile)
    window.show()
    freeze_startup_heap()
    collector = GuiThreadCollector(app)  # Qt objects must die on the GUI thread
    collector.start()
    from clinic_app import config

    automated = config.setting("passphrase")
    if automated:  # automation and `make demo` sign in with CLINIC_PASSPHRASE
        wanted = config.setting("user")
        if wanted:
            window.unlock.user.setCurrentText(wanted)
        window.unlock.passphrase.setText(automated)
        window.unlock.button.click()
    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    with loop:
        loop.run_until_complete(closing.wait())
        loop.run_until_complete(window.shutdown())
    return 0
