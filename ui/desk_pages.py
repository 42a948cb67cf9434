"""The desk-side and shared pages (schedule, specialist desk, conflicts, settings), built for
ui.pages in navigation order."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from ui.conflicts_screen import ConflictsScreen
from ui.desk_screen import DeskScreen
from ui.page_host import Page, PageHost
from ui.schedule_screen import ScheduleScreen
from ui.session import Session
from ui.settings_screen import SettingsScreen


def desk_pages(session: Session, workspace: PageHost) -> list[Page]:

    schedule, desk = ScheduleScreen(session), DeskScreen(session)
    schedule.open_chart.connect(workspace.open_chart)
    desk.open_chart.connect(workspace.open_chart)
    schedule.join_call.connect(workspace.calls.join)
    desk.join_call.connect(workspace.calls.join)
    return [
        Page("schedule", QCoreApplication.translate("pages", "Schedule"), schedule),
        Page("desk", QCoreApplication.translate("pages", "Consult desk"), desk),
        Page(
            "conflicts",
            QCoreApplication.translate("pages", "Sync conflicts"),
            ConflictsScreen(session),
        ),
        Page("settings", QCoreApplication.translate("pages", "Settings"), SettingsScreen(session)),
    ]
