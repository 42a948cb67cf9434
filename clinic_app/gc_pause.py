"""A pause of the cyclic garbage collector around a large read on the store thread (the chart
of a patient with years of records), so that a full collection it triggers does not hold the
GIL, and with it the GUI thread, past the event loop's 100 ms bound.

Why it is needed although ``ui.app`` freezes the start-up heap: parsing a long chart (5,210
vitals in ``tests/ui/test_event_loop_stalls.py``) makes a few hundred thousand container
objects, and most of them survive (the chart view holds them). They are promoted out of the
young generations, the count of long-lived objects waiting grows past a quarter of the
long-lived total, and CPython runs a full collection, on the thread that allocates: the store
thread. A full collection holds the GIL while it walks every tracked object made since
start-up (earlier charts, the patient list's pages, sync data); gc.freeze() only spares what
start-up made. Measured without the pause: 144 collections (one full, 149 ms) during the
chart's load, and in one run of eleven a 118 ms gap in which the GUI thread neither ran nor
waited for a CPU (it waited for the GIL). With the pause: no collection during the parse, one
young-generation pass of ~40 ms over what the load kept once the collector resumes, and no
gap near the bound.

It is safe because parsed records (JSON dicts and lists) hold no reference cycles: reference
counting frees them whether the collector runs or not. The pause is process-wide (that is how
CPython's collector works), nestable and thread-safe; the collector resumes when the last
pause ends, and only if it was on before.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_pauses = 0
_was_enabled = True


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (see the module's docstring)."""
    global _pauses, _was_enabled
    with _lock:
        _pauses += 1
        if _pauses == 1:
            _was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def paused() -> bool:
    """Whether a pause is on (``ui.gui_thread_gc`` then waits with its collections too)."""
    return _pauses > 0
