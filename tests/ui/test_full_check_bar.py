"""The sync bar and the full check in the background, with real widgets over real profiles.

A profile left unclean by a killed writer shows a discreet "Checking records…" while the full
check runs on its own thread (the GUI loop keeps running: the test drives it), and nothing once
it found no damage. A damaged page found by the background check shows a warning; a click
opens, without blocking, what was found and what to do (``clinic-app check --full``, restore,
salvage). A clean profile checked recently starts no check.
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from clinic_app.clinic import Clinic
from local_store import fullcheck
from local_store.store import Store
from tests.local_store.test_full_check import PASS, USER, checked_long_ago, flip, kill_a_writer
from tests.ui.conftest import UiKit
from ui.bridge import Bridge
from ui.session import Session
from ui.sync_bar import SyncBar


@pytest.fixture
def closed_profile(tmp_path) -> Path:
    folder = tmp_path / "profile"
    store, _ = Store.create(folder, USER, PASS)
    try:
        for i in range(150):
            store.put({"resourceType": "Patient", "id": f"p{i:03d}", "name": [{"text": "x" * 200}]})
        store.add_attachment(io.BytesIO(os.urandom(200_000)), "image/png")
    finally:
        store.lock()
    return folder


@pytest.fixture
def signed_in(qloop) -> Iterator[Callable[[Path], UiKit]]:
    """Sign in to a prepared profile as the window does (its own store thread)."""
    opened: list[tuple[Store, ThreadPoolExecutor]] = []

    def open_(folder: Path) -> UiKit:
        asyncio.set_event_loop(qloop)
        store = Store.unlock(folder, USER, PASS)
        executor = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        opened.append((store, executor))
        return UiKit(qloop, Session(Clinic(store), Bridge(), executor))

    yield open_
    pending = [t for t in asyncio.all_tasks(qloop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        qloop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    for store, executor in opened:
        executor.submit(store.lock).result()
        executor.shutdown()


def test_checking_records_shows_while_the_check_runs_after_an_unclean_shutdown(
    closed_profile, signed_in, qtbot
):
    kill_a_writer(closed_profile, 5)
    ui = signed_in(closed_profile)
    store = ui.store
    assert store.opened_unclean
    gate = threading.Event()
    real = store.check_lightly

    def held(stop: Callable[[], bool]):  # held at its start until the test has looked
        gate.wait(30)
        return real(stop)

    store.check_lightly = held  # type: ignore[method-assign]
    bar = SyncBar(ui.session)
    qtbot.addWidget(bar)
    bar.show()
    ui.until(lambda: bar.full_check is not None, what="the check's state")
    assert bar.checking.isVisible()
    assert bar.checking.text() == "Checking records…"
    assert not bar.damage.isVisible()
    ui.settle(0.2)  # the GUI loop runs on while the check waits
    gate.set()
    ui.until(lambda: not bar.checking.isVisible(), what="the check's end")
    assert bar.full_check is not None and bar.full_check.last is not None
    assert bar.full_check.last.verdict == "ok"
    assert not bar.damage.isVisible()


def test_a_damaged_page_found_in_the_background_shows_a_warning_with_what_to_do(
    closed_profile, signed_in, qtbot
):
    checked_long_ago(closed_profile)
    db = closed_profile / "records.db"
    pages = db.stat().st_size // 4096
    flip(db, (pages // 2 - 1) * 4096 + 1000)
    ui = signed_in(closed_profile)
    bar = SyncBar(ui.session)
    qtbot.addWidget(bar)
    bar.show()
    ui.until(lambda: bar.damage.isVisible(), what="the damage warning")
    assert not bar.checking.isVisible()  # a check for its age alone runs unseen
    assert bar.damage.text() == "Records damaged — what to do"
    assert "record database" in bar.damage.toolTip()
    runner = fullcheck.runner_of(ui.store)
    assert runner is not None and runner.result is not None
    assert runner.result.verdict == "damaged"
    # The bar's first reads met the damaged page on the store's own connection, which SQLite
    # then refuses: the check (on connections of its own) still ran, its result kept in memory.
    if not runner.result.saved:
        line = ui.call(lambda: fullcheck.status(ui.store).line())
        assert "not saved in the profile" in line

    qtbot.mouseClick(bar.damage, Qt.MouseButton.LeftButton)
    box = bar.damage_box
    assert isinstance(box, QMessageBox)
    ui.until(box.isVisible, what="the details")
    assert "record database" in box.text()
    advice = box.informativeText()
    for what in ("clinic-app check --full", "clinic-app restore", "clinic-app salvage"):
        assert what in advice
    assert f"page {pages // 2}" in box.detailedText()
    box.close()


def test_a_clean_profile_checked_recently_starts_no_check(closed_profile, signed_in, qtbot):
    ui = signed_in(closed_profile)
    bar = SyncBar(ui.session)
    qtbot.addWidget(bar)
    ui.until(lambda: bar.full_check is not None, what="the check's state")
    assert not bar.full_check.running and bar.full_check.last is None
    assert fullcheck.runner_of(ui.store) is None
    assert not bar.checking.isVisible() and not bar.damage.isVisible()
