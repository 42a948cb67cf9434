"""Changes in error in the workspace, with real widgets over a real encrypted profile and a real
central process on loopback: the central platform refuses a patient with a NUL in an
identifier; the sync bar shows "1 in error" beside what waits (the patient behind it went);
a click shows the screen naming the patient with the reason by its code; "Open record" shows
the chart; the fixed record is sent again with Retry; another refused record is discarded
after confirming (never synced: deleted here), and the bar's count goes with it."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from clinic_app.records.patient import PatientInput
from clinic_app.services.writes import save
from local_store.sync_ledger import SyncLedger
from tests.support.central_proc import CentralProcess
from ui.chart_screen import ChartScreen
from ui.main_window import Workspace
from ui.sync_errors_screen import SyncErrorsScreen

SYSTEM = "urn:oid:1.2.156.1"


def nul_patient(family: str, given: str) -> dict:
    res = PatientInput(family=family, given=given).to_fhir()
    res["identifier"] = [{"system": SYSTEM, "value": "1101\x0005"}]
    return res


@pytest.fixture
def central(tmp_path):
    c = CentralProcess(f"sqlite:///{tmp_path / 'central.db'}", log_path=tmp_path / "central.log")
    c.start()
    yield c
    c.stop()


def test_refused_change_shown_fixed_retried_and_discarded(ui, qtbot, central):
    clinic_id = central.add_clinic("Hill Clinic")
    ui.run(ui.session.clinic.sync.enroll(central.url, central.enrollment_code(clinic_id), "ui"))
    bad = nul_patient("周", "树人")
    ui.call(save, ui.store, bad)
    good = ui.call(save, ui.store, PatientInput(family="许", given="广平").to_fhir())
    ws = Workspace(ui.session)
    qtbot.addWidget(ws)
    ws.resize(1200, 760)
    ws.show()
    bar = ws.sync_bar
    try:
        ui.session.start_sync()
        ui.until(lambda: bar.errors.isVisible(), what="the bar's error count")
        assert bar.errors.text() == "1 in error"
        ui.until(lambda: bar.status.pending == 0 and not bar.status.syncing, what="a quiet bar")
        assert bar.pending.text() == "0 change(s) waiting"  # the patient behind it went
        sql = "SELECT state FROM outbox WHERE record_id = ?"
        done = ui.call(lambda: ui.store.conn.execute(sql, (good.record_id,)).fetchone()[0])
        assert done == "done"

        bar.errors.click()
        screen = ws.stack.currentWidget()
        assert isinstance(screen, SyncErrorsScreen)
        ui.until(lambda: screen.current is not None, what="the change in error shown")
        assert screen.summary.text() == "1 change(s) in error"
        assert screen.title.text() == "Patient details — 周树人"
        assert screen.reason.text() == screen.reason_text("unstorable_text")
        assert "unstorable_text · HTTP 422" in screen.details.text()
        assert "\x00" not in screen.details.text()

        screen.open_button.click()
        chart = ws.stack.currentWidget()
        assert isinstance(chart, ChartScreen) and chart.patient_id == bad["id"]

        # Fixed in the record: the fix goes by itself, in the refused change's place.
        fixed = ui.call(ui.store.get, "Patient", bad["id"])
        fixed["identifier"] = [{"system": SYSTEM, "value": "110105"}]
        ui.run(ui.session.write(save, ui.store, fixed))
        ws.show_page("sync_errors")
        ui.until(lambda: not screen.items and not bar.errors.isVisible(), what="the fix sent")
        ui.until(lambda: ui.store.pending_count() == 0, what="nothing waiting")
        assert screen.summary.text().startswith("No changes in error")
        assert ui.call(ui.store.get, "Patient", bad["id"])["meta"]["versionId"] == "1"

        # Another refused record, never synced: discarded after confirming, deleted here.
        other = nul_patient("鲁", "迅")
        ui.run(ui.session.write(save, ui.store, other))
        ui.until(lambda: bar.errors.isVisible() and screen.current is not None, what="refused")
        screen.discard_button.click()
        ui.until(lambda: screen.confirm_box is not None, what="the question")
        box = screen.confirm_box
        assert box is not None and "never reached the central platform" in box.informativeText()
        cancel = next(
            b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.RejectRole
        )
        assert cancel.text() == "Cancel"
        cancel.click()  # cancelled: nothing happens
        ui.settle(0.2)
        assert len(screen.items) == 1
        screen.discard_button.click()
        ui.until(lambda: screen.confirm_box is not None, what="the question again")
        discard = next(
            b
            for b in screen.confirm_box.buttons()
            if screen.confirm_box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
        )
        discard.click()
        ui.until(lambda: not screen.items and not bar.errors.isVisible(), what="discarded")
        assert ui.call(ui.store.get_many, "Patient", [other["id"]]) == []
        assert ui.call(SyncLedger(ui.store).changes_in_error) == []
        assert ui.store.pending_count() == 0
    finally:
        ui.run(ui.session.stop_sync())


def test_the_bar_counts_errors_without_a_central_platform(ui, qtbot):
    """No account yet: the count comes from the profile, and follows local writes."""
    ui.call(save, ui.store, nul_patient("周", "树人"))
    ledger = SyncLedger(ui.store)
    (change,) = ui.call(ledger.claim_batch, 10)
    ui.call(ledger.record_rejected, change.change_id, "Refused.", "invalid_id", 422)
    ws = Workspace(ui.session)
    qtbot.addWidget(ws)
    ws.show()
    ui.until(lambda: ws.sync_bar.errors.isVisible(), what="the count from the profile")
    assert ws.sync_bar.errors.text() == "1 in error"
    screen = ws.show_page("sync_errors")
    assert isinstance(screen, SyncErrorsScreen)
    ui.until(lambda: screen.current is not None)
    assert screen.reason.text() == screen.reason_text("invalid_id")
    assert not screen.details.text().count("\x00")
    assert "newer version" not in screen.advice.text()
    # Fixed: the newer version waits behind the refused one until sent; Retry puts it in its
    # place at once (without a central platform it then waits, no longer in error).
    fixed = ui.call(ui.store.get, "Patient", change.record_id)
    fixed["identifier"] = [{"system": SYSTEM, "value": "110105"}]
    ui.run(ui.session.write(save, ui.store, fixed))
    ui.until(lambda: "1 newer version(s)" in screen.advice.text(), what="the fix noticed")
    screen.retry_button.click()
    ui.until(lambda: not ws.sync_bar.errors.isVisible(), what="the bar follows")
    assert ws.sync_bar.status.pending == 1 and not screen.items
    (sent,) = ui.call(ledger.claim_batch, 10)
    assert (sent.version, sent.base_version) == (1, None)
    assert sent.resource["identifier"][0]["value"] == "110105"
