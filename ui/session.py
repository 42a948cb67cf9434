"""A signed-in session: the open :class:`~clinic_app.clinic.Clinic`, its single writer thread,
the sync engine and the bridge. Screens reach the core through this object: writes go through
:meth:`Session.write`, which broadcasts what the core says changed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from clinic_app.changes import Changes, Done
from clinic_app.clinic import Clinic
from clinic_app.sync.engine import SyncEngine, SyncStatus
from ui.bridge import Bridge, Event
from ui.errors import safe_details

T = TypeVar("T")
log = logging.getLogger(__name__)
PAGE_REFRESH_S = 1.0  # screens refresh at most this often while records arrive
RECEIVED = Changes(reason="received by sync")  # which records: not said (any may have changed)
# Sent by sync: what shows a delivery state ("Queued offline" -> "Delivered") may have changed
# (which records of these types: not said); the patient list is not touched
SENT = Changes.of_types(
    ("ServiceRequest", "Appointment", "Task", "DocumentReference"), "sent by sync"
)


class Session:
    def __init__(self, clinic: Clinic, bridge: Bridge, executor: ThreadPoolExecutor) -> None:
        self.clinic = clinic  # screens read and write only through its services
        self.bridge = bridge
        self.executor = executor
        self.engine: SyncEngine | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._pulled_shown = 0
        self._shown_at = 0.0

    @property
    def user(self) -> str:
        return self.clinic.user

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking core work on the store thread; the GUI loop keeps running."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def write(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a write on the store thread, then tell every screen what the core says changed
        (a domain service's :class:`Done`, or what the store committed meanwhile). Returns the
        write's value."""
        done: Done[Any] = await self.call(self.clinic.run, lambda: fn(*args))
        value, changes = done.value, done.changes
        if isinstance(value, Done):  # a domain service: its value and its own changes
            value, changes = value.value, changes | value.changes
        if changes:
            self.bridge.emit_now(Event.RECORDS_CHANGED, changes)
            if self.engine is not None:
                self.engine.kick()
        return value

    def start_sync(self) -> None:
        if self.engine is not None or self.clinic.sync.account() is None:
            return
        self.engine = self.clinic.sync.engine(executor=self.executor)
        self.engine.subscribe(self._on_status)
        self._stop = asyncio.Event()
        self._sync_task = asyncio.ensure_future(self.engine.run(self._stop))

    async def stop_sync(self) -> None:
        """Stop the background engine, if any (it finishes the exchange it is in)."""
        if self._sync_task is not None:
            self._stop.set()
            try:
                await asyncio.wait_for(self._sync_task, 10)
            except (TimeoutError, asyncio.CancelledError):
                self._sync_task.cancel()
            except Exception as exc:  # a dead engine must not keep the store from locking
                log.error("the sync engine had stopped: %s", safe_details(exc))
        self.engine = None
        self._sync_task = None

    async def restart_sync(self) -> None:
        """Start the engine again with the account saved now (after connecting to the central
        platform from the settings)."""
        await self.stop_sync()
        self.start_sync()

    def _on_status(self, status: SyncStatus) -> None:
        """Status to the sync bar; records received reach the screens page by page (at most
        once a second while a long pull runs), so a first sync fills the patient list as the
        pages arrive."""
        self.bridge.post(Event.SYNC_STATUS, status)
        if not status.syncing:
            # records sent change too: their delivery state ("Queued offline" -> "Delivered")
            # is shown on the screens, and a round that only pushed must refresh them as well
            if status.pulled or status.pushed:
                self.bridge.post(Event.RECORDS_CHANGED, RECEIVED if status.pulled else SENT)
            self._pulled_shown = 0
            return
        now = time.monotonic()
        if status.pulled > self._pulled_shown and now - self._shown_at >= PAGE_REFRESH_S:
            self._pulled_shown, self._shown_at = status.pulled, now
            self.bridge.post(Event.RECORDS_CHANGED, RECEIVED)

    async def sync_now(self) -> SyncStatus | None:
        if self.engine is None:
            return None
        return await self.engine.sync_once()

    async def close(self) -> None:
        await self.stop_sync()  # an engine that died of an error must not keep the lock off
        await self.call(self.clinic.close)
        self.bridge.emit_now(Event.LOCKED)
