"""The sync bar shows the central platform's sentence to an outdated workstation, though the
link itself is up (the refusal is what the clinic must act on)."""

from __future__ import annotations

from clinic_app.sync.engine import SyncStatus
from ui.sync_bar import SyncBar

SENTENCE = (
    "This workstation runs version 0.1.0; the central platform needs version 9.0.0 or newer. "
    "Install the update from https://updates.clinic.example/workstation."
)


def test_upgrade_sentence_is_shown_while_online(ui, qtbot):
    bar = SyncBar(ui.session)
    qtbot.addWidget(bar)
    bar.show_status(SyncStatus(online=True, last_error=SENTENCE))
    assert bar.error.text() == SENTENCE
    bar.show_status(SyncStatus(online=True, last_error=None))
    assert bar.error.text() == ""
