"""The workspace's pages, in navigation order. Each screen is its own module."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

# Every screen is imported with this module, at start-up: imported at sign-in instead (pyqtgraph
# with the chart alone is ~270 ms), the import held the event loop while the workspace was built.
from ui.chart_screen import ChartScreen
from ui.desk_pages import desk_pages
from ui.page_host import Page, PageHost
from ui.patients_screen import PatientsScreen
from ui.query_screen import QueryScreen
from ui.registers_screen import RegistersScreen
from ui.session import Session
from ui.sync_errors_screen import SyncErrorsScreen

__all__ = ["Page", "build_pages", "carry_over", "page_title", "rebuild_page"]

# Each page's title as written (translated under "pages" where the page is built).
TITLES = {
    "patients": "Patients",
    "chart": "Chart",
    "registers": "Chronic disease registers",
    "queries": "Queries",
    "schedule": "Schedule",
    "desk": "Consult desk",
    "conflicts": "Sync conflicts",
    "sync_errors": "Changes in error",
    "settings": "Settings",
}


def tr(text: str) -> str:
    return QCoreApplication.translate("pages", text)


def page_title(key: str, fallback: str) -> str:
    """A page's title in the current language (after a language switch)."""
    return tr(TITLES[key]) if key in TITLES else fallback


def _patients(session: Session, workspace: PageHost) -> PatientsScreen:
    patients = PatientsScreen(session)
    patients.new_patient.connect(workspace.new_patient)
    patients.open_chart.connect(workspace.open_chart)
    return patients


def _chart(session: Session, workspace: PageHost) -> ChartScreen:
    chart = ChartScreen(session)
    chart.join_call.connect(workspace.calls.join)  # "Join call" on a consult of the timeline
    return chart


def rebuild_page(key: str, session: Session, workspace: PageHost) -> QWidget | None:
    """A new widget for a page whose screen has no ``retranslate`` (built in the language now
    installed), or None for a page that re-translates itself."""
    if key == "patients":
        return _patients(session, workspace)
    if key == "chart":
        return _chart(session, workspace)
    return None


def carry_over(old: QWidget, new: QWidget) -> None:
    """What a rebuilt page showed: the patient search, the open chart."""
    if isinstance(old, PatientsScreen) and isinstance(new, PatientsScreen):
        new.search.setText(old.search.text())
        new.run_search()  # the list or the same search results, now with translated texts
    patient_id = getattr(old, "patient_id", None)
    if isinstance(old, ChartScreen) and isinstance(new, ChartScreen) and patient_id:
        new.show_patient(str(patient_id))


def page_steps(session: Session, workspace: PageHost) -> Iterator[list[Page]]:
    """The pages, built a few at a time: each step is tens of ms of widget building, so a
    caller on the event loop can yield between steps (sign-in never stalls the loop)."""
    yield [Page("patients", tr("Patients"), _patients(session, workspace))]
    # Clinic-side screens (chart, visit, consult requests) are added here; visits and consult
    # requests open from the chart.
    yield [Page("chart", tr("Chart"), _chart(session, workspace))]
    # Chronic-disease registers and the clinic's own queries (issue 19).
    registers = RegistersScreen(session)
    registers.open_chart.connect(workspace.open_chart)
    yield [Page("registers", tr("Chronic disease registers"), registers)]
    queries = QueryScreen(session)
    queries.open_chart.connect(workspace.open_chart)
    yield [Page("queries", tr("Queries"), queries)]
    # Desk-side and shared screens (schedule, specialist worklist, conflicts, settings) here.
    yield desk_pages(session, workspace)
    # Changes the central platform refused, after the conflicts (before the settings).
    errors = SyncErrorsScreen(session)
    errors.open_chart.connect(workspace.open_chart)
    yield [Page("sync_errors", tr("Changes in error"), errors)]


def arrange(pages: list[Page]) -> list[Page]:
    """The navigation's order: the refused changes just before the settings."""
    errors = [p for p in pages if p.key == "sync_errors"]
    rest = [p for p in pages if p.key != "sync_errors"]
    at = next((n for n, p in enumerate(rest) if p.key == "settings"), len(rest))
    return rest[:at] + errors + rest[at:]


def build_pages(session: Session, workspace: PageHost) -> list[Page]:
    return arrange([page for step in page_steps(session, workspace) for page in step])
