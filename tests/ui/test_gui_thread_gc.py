"""Garbage collection on the GUI thread only (ui/gui_thread_gc.py): cycles made by worker
threads, Qt objects among them, are freed by collections that run on the GUI thread, none on
the workers; the garbage does not pile up; stopping gives automatic collection back."""

from __future__ import annotations

import gc
import threading
import time
import weakref

from PySide6.QtCore import QObject

from clinic_app.gc_pause import gc_paused
from ui.gui_thread_gc import GuiThreadCollector


class Holder:
    """A Python cycle that holds a Qt object (a screen and the helper objects it keeps)."""

    def __init__(self) -> None:
        self.obj = QObject()
        self.me = self


def test_cycles_made_on_workers_are_collected_on_the_gui_thread(qapp, gui_thread_gc):
    threads: set[str] = set()

    def seen(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            threads.add(threading.current_thread().name)

    class Node:
        pass

    refs: list[weakref.ref[Node]] = []

    def churn() -> None:
        for _ in range(200_000):
            a, b = Node(), Node()
            a.other, b.other = b, a
        for _ in range(100):
            n = Node()
            n.me = n
            refs.append(weakref.ref(n))

    gc.callbacks.append(seen)
    try:
        worker = threading.Thread(target=churn, name="worker")
        worker.start()
        while worker.is_alive():
            qapp.processEvents()
            time.sleep(0.005)
        worker.join()
        deadline = time.monotonic() + 5
        while any(r() is not None for r in refs) and time.monotonic() < deadline:
            qapp.processEvents()  # the collector's timer fires on this thread
            time.sleep(0.01)
            gc_thread_tick(gui_thread_gc)
    finally:
        gc.callbacks.remove(seen)
    assert all(r() is None for r in refs), "the cycles made on the worker were never freed"
    assert threads == {threading.current_thread().name}, threads
    assert sum(gui_thread_gc.passes) > 0


def gc_thread_tick(collector: GuiThreadCollector) -> None:
    """One more tick with the young generation past its threshold (a test's heap is quiet)."""
    junk = [[] for _ in range(gc.get_threshold()[0] + 1)]
    collector.check()
    del junk


def test_a_qobject_in_a_cycle_dies_on_the_gui_thread(qapp, gui_thread_gc):
    died_on: list[str] = []
    gone = threading.Event()

    def make() -> None:
        holder = Holder()
        holder.obj.destroyed.connect(lambda: died_on.append(threading.current_thread().name))
        holder.obj.destroyed.connect(gone.set)
        holder.obj.moveToThread(qapp.thread())  # it lives on the GUI thread

    worker = threading.Thread(target=make, name="worker")
    worker.start()
    worker.join()
    deadline = time.monotonic() + 5
    while not gone.is_set() and time.monotonic() < deadline:
        qapp.processEvents()
        gc_thread_tick(gui_thread_gc)
        time.sleep(0.01)
    assert died_on == [threading.current_thread().name]


def test_nothing_is_collected_during_a_pause_and_stop_gives_collection_back(qapp):
    collector = GuiThreadCollector()
    enabled = gc.isenabled()
    collector.start()
    try:
        assert not gc.isenabled()
        with gc_paused():
            gc_thread_tick(collector)
            assert collector.passes == [0, 0, 0]
        gc_thread_tick(collector)
        assert sum(collector.passes) == 1
    finally:
        collector.stop()
    assert gc.isenabled() == enabled
