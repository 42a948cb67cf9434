"""A signed-in session: the unlocked store, its single writer thread, the sync engine and
the bridge. Screens reach the core only through this object and the services it wraps."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from clinic_app.sync.account import SyncAccount
from clinic_app.sync.client import CentralClient
from clinic_app.sync.engine import SyncEngine, SyncStatus
from local_store.store import Store
from ui.bridge import Bridge, Event
from ui.errors import safe_details

T = TypeVar("T")
log = logging.getLogger(__name__)
PAGE_REFRESH_S = 1.0  # screens refresh at most this often while records arrive


class Session:
    def __init__(self, store: Store, bridge: Bridge, executor: ThreadPoolExecutor) -> None:
        self.store = store
        self.bridge = bridge
        self.executor = executor
        self.engine: SyncEngine | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._pulled_shown = 0
        self._shown_at = 0.0

    @property
    def user(self) -> str:
        return self.store.user

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking core work on the store thread; the GUI loop keeps running."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def write(self, fn: Callable[..., T], *args: Any, types: Iterable[str] = ()) -> T:
        """Like :meth:`call`, then tell every screen which record types changed."""
        result = await self.call(fn, *args)
        self.bridge.emit_now(Event.RECORDS_CHANGED, set(types))
        if self.engine is not None:
            self.engine.kick()
        return result

    def start_sync(self) -> None:
        account = SyncAccount.load(self.store)
        if account is None or self.engine is not None:
            return
        self.engine = SyncEngine(
            self.store,
            lambda: CentralClient(account.server, account.token, ca_file=account.ca_file),
            executor=self.executor,
        )
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
            if status.pulled:
                self.bridge.post(Event.RECORDS_CHANGED, set())
            self._pulled_shown = 0
            return
        now = time.monotonic()
        if status.pulled > self._pulled_shown and now - self._shown_at >= PAGE_REFRESH_S:
            self._pulled_shown, self._shown_at = status.pulled, now
            self.bridge.post(Event.RECORDS_CHANGED, set())

    async def sync_now(self) -> SyncStatus | None:
        if self.engine is None:
            return None
        return await self.engine.sync_once()

    async def close(self) -> None:
        await self.stop_sync()  # an engine that died of an error must not keep the lock off
        await self.call(self.store.lock)
        self.bridge.emit_now(Event.LOCKED)
