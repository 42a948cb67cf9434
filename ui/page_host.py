"""What the screens' pages are built against: a page and the host that shows them (the
workspace), as a protocol, so no screen module imports the main window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PySide6.QtWidgets import QWidget

from ui.call_launcher import CallLauncher


@dataclass
class Page:
    key: str
    title: str
    widget: QWidget


class PageHost(Protocol):
    calls: CallLauncher

    def open_chart(self, patient_id: str) -> None: ...

    def new_patient(self) -> None: ...
