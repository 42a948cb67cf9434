"""Screenshots of the changes-in-error screen (called from ui.screenshots): two demo changes are
marked refused the way the central platform answers (a vital sign with a value the record
standard does not allow, a patient's details with a character that cannot be stored), then the
screen, its discard question, and the sync bar's count are rendered; afterwards they wait
again as before."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from clinic_app import demo_data

if TYPE_CHECKING:
    from ui.main_window import Workspace

Shot = Callable[..., Awaitable[None]]


async def render(ws: Workspace, shot: Shot, settle: Callable[..., Awaitable[None]]) -> None:
    from ui.sync_errors_screen import SyncErrorsScreen

    session = ws.session
    await session.call(demo_data.mark_refused, session.clinic)
    await ws.sync_bar.reload_counts()
    screen = ws.show_page("sync_errors")
    assert isinstance(screen, SyncErrorsScreen)
    await screen.reloader.now()
    if screen.items:
        screen.list.setCurrentRow(0)
    await settle(0.5)
    await shot("40-sync-errors")
    if len(screen.items) > 1:
        screen.list.setCurrentRow(1)
        await settle(0.2)
        await shot("41-sync-errors-patient")
    asking: asyncio.Future[Any] = asyncio.ensure_future(screen.discard())
    for _ in range(50):
        if screen.confirm_box is not None:
            break
        await asyncio.sleep(0.05)
    box = screen.confirm_box
    if box is not None:
        await settle(0.3)
        await shot("42-sync-errors-discard", box)
        box.reject()
    await asyncio.wait_for(asyncio.shield(asking), 5)
    # Back to waiting, so every language's other screenshots start from the same profile.
    await session.call(demo_data.unmark_refused, session.clinic)
    await ws.sync_bar.reload_counts()
