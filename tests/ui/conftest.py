"""Shared fixtures for the UI tests: real widgets (pytest-qt's ``qtbot``) over a real encrypted
store in tmp_path, driven by a qasync event loop.

pytest-qt makes the QApplication (``qapp``); one ``qasync.QEventLoop`` over it serves the whole
test session. A test runs coroutines with ``ui.run(coro)`` and waits for the screen with
``ui.until(predicate)``: both run the qasync loop, so Qt events, ``@asyncSlot`` handlers and
store-thread results are all processed meanwhile (the GUI thread is never blocked by a wait).

pytest-qt also processes Qt events itself around each test phase. Outside the qasync loop, a
coroutine step scheduled through Qt would then run with no running asyncio loop (and fail in
``asyncio.get_running_loop()``), which never happens in the application, where the loop runs
all the time. So here those event passes go through the qasync loop too.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytestqt.plugin
import qasync

from clinic_app.clinic import Clinic
from local_store.store import Store
from ui.bridge import Bridge
from ui.gui_thread_gc import GuiThreadCollector
from ui.session import Session

USER = "dr.ui"
PASSPHRASE = "ui-test-passphrase-1"
T = TypeVar("T")


_qt_process_events = pytestqt.plugin._process_events
_loops: list[asyncio.AbstractEventLoop] = []


def _process_events_in_the_loop() -> None:
    loop = _loops[-1] if _loops else None
    if loop is None or loop.is_closed() or loop.is_running():
        _qt_process_events()
        return
    loop.run_until_complete(asyncio.sleep(0))


pytestqt.plugin._process_events = _process_events_in_the_loop


@pytest.fixture(scope="session")
def qloop(qapp):
    """The qasync loop over pytest-qt's QApplication, for the whole session."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    _loops.append(loop)
    yield loop
    _loops.remove(loop)
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def gui_thread_gc(qapp) -> Iterator[GuiThreadCollector]:
    """Garbage collection on the GUI thread only, as the application runs it (ui/app.py)."""
    collector = GuiThreadCollector()
    collector.start()
    yield collector
    collector.stop()


class UiKit:
    """Run the event loop from a test: ``run`` a coroutine, or wait ``until`` a condition."""

    def __init__(self, loop: asyncio.AbstractEventLoop, session: Session) -> None:
        self.loop = loop
        self.session = session
        self.store = session.clinic.store  # tests set up and check records below the screens

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        asyncio.set_event_loop(self.loop)  # e.g. after an asyncio.run() in the test
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def until(self, predicate: Callable[[], object], timeout: float = 20, what: str = "") -> None:
        async def wait() -> None:
            deadline = time.monotonic() + timeout
            while not predicate():
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out waiting for {what or predicate}")
                await asyncio.sleep(0.02)

        self.run(wait(), timeout + 10)

    def settle(self, seconds: float = 0.1) -> None:
        self.run(asyncio.sleep(seconds))

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Core work on the store thread, as a screen would do it."""
        return self.run(self.session.call(fn, *args))


@pytest.fixture
def ui(qloop, tmp_path):
    """A signed-in session over a fresh encrypted profile, and the loop helpers."""
    asyncio.set_event_loop(qloop)  # another test may have run asyncio.run(), which unsets it
    store, _recovery = Store.create(tmp_path / "profile", USER, PASSPHRASE)
    executor = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
    session = Session(Clinic(store), Bridge(), executor)
    kit = UiKit(qloop, session)
    yield kit
    pending = [t for t in asyncio.all_tasks(qloop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        qloop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    executor.submit(store.lock).result()
    executor.shutdown()
