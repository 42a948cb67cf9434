"""Python's cyclic garbage collector run on the GUI thread only.

CPython runs a collection on whichever thread allocates when a threshold is crossed: in the
workstation, often the store's thread or a worker decoding a sync page. A collection that
frees a cycle holding a Qt object (a widget whose slot lambda refers back to it, a QTimer of a
closed screen) then runs that object's C++ destructor on the worker thread; Qt objects must
die on the thread they live on, and doing otherwise is a known cause of crashes that happen
rarely and nowhere near the code at fault ("QObject::killTimer: Timers cannot be stopped from
another thread", segfaults in ``~QObject``).

:class:`GuiThreadCollector` turns automatic collection off and, from a timer on the GUI
thread, runs the collections CPython would have run, with CPython 3.11's own rules: the
youngest generation when more than ``threshold0`` objects were allocated since its last pass,
the middle one every ``threshold1`` young passes, and the oldest one every ``threshold2``
middle passes but only once the objects promoted into it since its last full pass exceed a
quarter of what it held then (CPython's ``long_lived_pending > long_lived_total / 4``, which
keeps full passes rare on a large heap). The cost of each pass is what it would have been; it
is only paid on the GUI thread, where it is measured (tests/ui/test_event_loop_stalls.py).

Reference counting still frees everything without a cycle at once; only cycles wait for the
next tick (``INTERVAL_MS``). While ``clinic_app.gc_pause`` pauses collection (a large read on
the store's thread), the ticks wait too.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

from clinic_app.gc_pause import paused

INTERVAL_MS = 50


class GuiThreadCollector(QObject):
    """Automatic garbage collection moved to the GUI thread (see the module's docstring).

    Create it on the GUI thread, :meth:`start` it; :meth:`stop` gives automatic collection
    back as it was."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._was_enabled = True
        self._long_lived_total = 0
        self._long_lived_pending = 0
        self.passes = [0, 0, 0]  # collections run, per generation

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._long_lived_total = len(gc.get_objects(2))
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def check(self) -> None:
        """Run the collection CPython would run now, if any (``collect_generations`` in 3.11's
        gcmodule.c: the oldest generation due first, the oldest only with enough pending)."""
        threshold0, threshold1, threshold2 = gc.get_threshold()
        count0, count1, count2 = gc.get_count()
        if threshold0 == 0 or count0 <= threshold0 or paused():
            return
        if count2 > threshold2 and self._long_lived_pending >= self._long_lived_total / 4:
            gc.collect(2)
            self.passes[2] += 1
            self._long_lived_total = len(gc.get_objects(2))
            self._long_lived_pending = 0
        elif count1 > threshold1:
            young = len(gc.get_objects(0)) + len(gc.get_objects(1))
            found = gc.collect(1)  # the survivors move to the oldest generation
            self.passes[1] += 1
            self._long_lived_pending += max(0, young - found)
        else:
            gc.collect(0)
            self.passes[0] += 1
