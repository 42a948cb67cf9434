"""pytest-xdist's ``--dist loadgroup`` scheduler, made safe when a worker crashes.

pytest-xdist 3.8.0 (the newest release) hangs after a crashed worker is replaced: its
``remove_node`` puts the dead worker's whole workload back on the queue, completed groups
included, and queues the test that crashed it to run again. A completed group then reaches a
worker as an empty ``runtest_some([])``: the worker never reports it done, nothing reschedules,
and the session waits until CI's own limit kills it (stop 24: a segfault at 90 % of the run, then
85 minutes of nothing). Upstream: pytest-dev/pytest-xdist#1323, #1327, #1371 and #1378.

``CrashSafeLoadGroupScheduling`` requeues only the tests that did not run, reports the crashing
test once (xdist's own ``handle_crashitem`` fails it), never sends an empty unit, and keeps every
node either holding a next test or told to shut down (a worker runs a test only when it holds
the next one or the shutdown). ``tests/conftest.py`` installs it through
``pytest_xdist_make_scheduler``.
"""

from __future__ import annotations

from xdist.scheduler.loadgroup import LoadGroupScheduling
from xdist.workermanage import WorkerController


class CrashSafeLoadGroupScheduling(LoadGroupScheduling):
    """``LoadGroupScheduling`` whose crash recovery neither re-runs the crash nor deadlocks."""

    def remove_node(self, node: WorkerController) -> str | None:
        workload = self.assigned_work.pop(node)
        if not self._pending_of(workload):
            return None
        crashitem = next(
            nodeid for unit in workload.values() for nodeid, done in unit.items() if not done
        )
        for scope, unit in workload.items():
            left = {n: False for n, done in unit.items() if not done and n != crashitem}
            if left:
                self.workqueue[scope] = left
        for other in list(self.assigned_work):
            self._reschedule(other)
        return crashitem

    def _assign_work_unit(self, node: WorkerController) -> None:
        while self.workqueue:
            scope, unit = self.workqueue.popitem(last=False)
            pending = [nodeid for nodeid, done in unit.items() if not done]
            if not pending:
                continue
            self.assigned_work.setdefault(node, {})[scope] = unit
            collection = self.registered_collections[node]
            node.send_runtest_some([collection.index(nodeid) for nodeid in pending])
            return

    def _reschedule(self, node: WorkerController) -> None:
        if node.shutting_down:
            return
        while self.workqueue and self._pending_of(self.assigned_work.get(node, {})) <= 2:
            self._assign_work_unit(node)
        if not self.workqueue:
            node.shutdown()
