"""The workspace's pages, in navigation order. Each screen is its own module."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

# Every screen is imported with this module, at start-up: imported at sign-in instead (pyqtgraph
# with the chart alone is ~270 ms), the import held the event loop while the workspace was built.
from ui.chart_screen import ChartScreen
from ui.desk_pages import desk_pages
from ui.page_host import Page, PageHost
from ui.patients_screen import PatientsScreen
from ui.session import Session
from ui.sync_errors_screen import SyncErrorsScreen

__all__ = ["Page", "build_pages"]


def tr(text: str) -> str:
    return QCoreApplication.translate("pages", text)


def build_pages(session: Session, workspace: PageHost) -> list[Page]:
    patients = PatientsScreen(session)
    patients.new_patient.connect(workspace.new_patient)
    patients.open_chart.connect(workspace.open_chart)
    pages = [Page("patients", tr("Patients"), patients)]
    # Clinic-side screens (chart, visit, consult requests) are added here; visits and consult
    # requests open from the chart.
    pages.append(Page("chart", tr("Chart"), ChartScreen(session)))
    # Desk-side and shared screens (schedule, specialist worklist, conflicts, settings) here.
    pages += desk_pages(session, workspace)
    # Changes the central platform refused, after the conflicts (before the settings).
    errors = SyncErrorsScreen(session)
    errors.open_chart.connect(workspace.open_chart)
    at = next((n for n, p in enumerate(pages) if p.key == "settings"), len(pages))
    pages.insert(at, Page("sync_errors", tr("Changes in error"), errors))
    return pages
