"""One path from a screen to the core: disable the control, run the work off the GUI thread,
show failures in the one error dialog, restore the control in ``finally``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from PySide6.QtWidgets import QWidget

from ui.errors import show_error

log = logging.getLogger(__name__)
T = TypeVar("T")


async def run_op(
    parent: QWidget | None, work: Awaitable[T], *, disable: QWidget | None = None
) -> T | None:
    """Await ``work``; on failure show the error dialog and return None."""
    if disable is not None:
        disable.setEnabled(False)
    try:
        return await work
    except asyncio.CancelledError:
        return None  # cancellations are silent
    except Exception as exc:
        show_error(parent, exc)
        return None
    finally:
        if disable is not None:
            disable.setEnabled(True)
