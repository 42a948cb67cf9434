"""The session's sync engine lifecycle: a dead engine never keeps the workstation from locking."""

from __future__ import annotations

import asyncio


def test_close_locks_the_store_even_when_the_engine_died(ui):
    async def scenario() -> None:
        async def dead_engine() -> None:
            raise RuntimeError("a bug in the engine")

        ui.session._sync_task = asyncio.ensure_future(dead_engine())
        await asyncio.sleep(0.01)
        await ui.session.close()

    ui.run(scenario())
    assert ui.store.locked
    assert ui.session.engine is None
