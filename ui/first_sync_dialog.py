"""The first sync of a profile with many records: a small window with its progress (records of
the total, rate, time left) that can be sent to the background; work goes on meanwhile."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.sync.engine import SyncStatus
from ui.sync_bar import progress_text

FIRST_SYNC_MIN_RECORDS = 200  # a smaller first exchange is over before a window would help


def wants_first_sync_dialog(status: SyncStatus) -> bool:
    """A first sync (never succeeded on this profile) that moves many records."""
    return (
        status.syncing
        and status.last_success is None
        and bool(status.phase)
        and status.records_total >= FIRST_SYNC_MIN_RECORDS
    )


class FirstSyncDialog(QDialog):
    """Not modal: the patient list behind it fills while records arrive."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setWindowTitle(self.tr("First sync with the central platform"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "This workstation is exchanging the clinic's records with the central platform "
                "for the first time. You can keep working: the patient list fills as the "
                "records arrive."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.bar = QProgressBar()
        layout.addWidget(self.bar)
        self.figures = QLabel()
        layout.addWidget(self.figures)
        buttons = QDialogButtonBox()
        self.background = QPushButton(self.tr("Continue in the background"))
        buttons.addButton(self.background, QDialogButtonBox.ButtonRole.AcceptRole)
        self.background.clicked.connect(self.hide)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self.sent_away = False
        self.background.clicked.connect(self._sent_away)

    def _sent_away(self) -> None:
        self.sent_away = True

    def show_status(self, status: SyncStatus) -> None:
        total = max(status.records_total, status.records_done, 1)
        self.bar.setRange(0, total)
        self.bar.setValue(min(status.records_done, total))
        self.figures.setText(progress_text(status))
