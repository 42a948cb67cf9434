"""The conflicts screen with real widgets over a real encrypted store: both versions shown side
by side per field, a per-field choice applied (the merged record is written and queued to
sync), and a deletion conflict explained in words and resolved by keeping one side."""

from __future__ import annotations

from PySide6.QtWidgets import QRadioButton

from clinic_app.changes import Changes
from clinic_app.records.patient import PatientInput
from clinic_app.services import patients
from clinic_app.services.conflicts import open_conflicts
from clinic_app.services.writes import save
from clinic_app.sync.merge import DELETED_THERE
from local_store.sync_ledger import SyncLedger
from ui.bridge import Event
from ui.conflicts_screen import ConflictsScreen

HERE_PHONE = [{"system": "phone", "value": "13800001111"}]
THERE_PHONE = [{"system": "phone", "value": "13900002222"}]


def patient_conflict(ui) -> tuple[str, int]:
    """The phone and sex changed differently here and on the server, the birth date only
    there (that one merges by itself)."""
    store = ui.store
    base, _ = patients.register(
        store, PatientInput("王", "小明", gender="male", phone="13700000000")
    )
    base = store.get("Patient", base["id"])
    local = dict(base) | {"telecom": HERE_PHONE, "gender": "other"}
    save(store, local)
    local = store.get("Patient", base["id"])
    remote = dict(base) | {"telecom": THERE_PHONE, "gender": "female", "birthDate": "1950-01-02"}
    cid = SyncLedger(store).add_conflict(
        rtype="Patient",
        record_id=base["id"],
        fields=["gender", "telecom"],
        base=base,
        local=local,
        local_deleted=False,
        remote_version=2,
        remote=remote,
        remote_deleted=False,
    )
    return base["id"], cid


def row_of(screen: ConflictsScreen, label: str) -> int:
    for r in range(screen.table.rowCount()):
        if screen.table.item(r, 0).text() == label:
            return r
    raise AssertionError(f"no row {label}")


def test_conflict_resolved_per_field_from_the_screen(ui, qtbot):
    pid, _cid = patient_conflict(ui)
    screen = ConflictsScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1200, 700)
    screen.show()
    ui.until(lambda: screen.current is not None, what="the conflict shown")
    assert screen.list.count() == 1
    assert screen.title.text() == "Patient details — 王小明"
    assert screen.summary.text() == "1 conflict(s) waiting for a decision"
    phone = row_of(screen, "Phone")
    assert "13800001111" in screen.table.item(phone, 2).text()  # this workstation
    assert "13900002222" in screen.table.item(phone, 3).text()  # the central platform
    assert "13700000000" in screen.table.item(phone, 1).text()  # where both started
    sex = row_of(screen, "Sex")
    assert [screen.table.item(sex, c).text() for c in (1, 2, 3)] == ["Male", "Other", "Female"]

    assert not screen.apply_button.isEnabled()  # every field needs a choice first
    screen.choose("gender", "remote")
    assert not screen.apply_button.isEnabled()
    # A background sync reloads the list: the choice being made stays.
    loads = []
    screen.reloader.load = lambda: loads.append(1) or ConflictsScreen.load(screen)
    ui.session.bridge.emit_now(Event.RECORDS_CHANGED, Changes())
    ui.until(lambda: loads)
    ui.settle(0.2)
    assert screen.choices == {"gender": "remote"}
    assert screen.table.findChild(QRadioButton, "theirs:gender").isChecked()
    theirs = screen.table.findChild(QRadioButton, "mine:telecom")
    theirs.click()
    assert screen.apply_button.isEnabled()
    screen.apply_button.click()
    ui.until(lambda: screen.list.count() == 0 and screen.mine_button.isEnabled(), what="done")
    assert not open_conflicts(ui.store)
    record = ui.store.get("Patient", pid)
    assert record["gender"] == "female"  # theirs
    assert record["telecom"] == HERE_PHONE  # mine
    assert record["birthDate"] == "1950-01-02"  # changed on one side only: merged
    assert ui.store.pending_count() >= 1  # the resolution goes to the server
    assert screen.summary.text().startswith("No conflicts")
    assert not screen.table.isVisible()


def test_deletion_conflict_is_explained_and_kept_by_choice(ui, qtbot):
    store = ui.store
    res, _ = patients.register(store, PatientInput("张", "伟"))
    appt = {
        "resourceType": "Appointment",
        "status": "booked",
        "description": "复诊",
        "start": "2030-01-01T10:00:00+08:00",
        "end": "2030-01-01T11:00:00+08:00",
        "participant": [{"actor": {"reference": f"Patient/{res['id']}"}}],
    }
    save(store, appt)
    base = store.get("Appointment", appt["id"])
    save(store, dict(base) | {"description": "复诊（视频）"})
    SyncLedger(store).add_conflict(
        rtype="Appointment",
        record_id=appt["id"],
        fields=[DELETED_THERE],
        base=base,
        local=store.get("Appointment", appt["id"]),
        local_deleted=False,
        remote_version=2,
        remote=None,
        remote_deleted=True,
    )
    screen = ConflictsScreen(ui.session)
    qtbot.addWidget(screen)
    screen.show()
    ui.until(lambda: screen.current is not None)
    assert "deleted on the central platform" in screen.explain.text()
    assert screen.mine_button.text() == "Keep my version"
    assert screen.theirs_button.text() == "Accept the deletion"
    assert not screen.apply_button.isVisible() and screen.table.isColumnHidden(4)
    row = row_of(screen, "Description")
    assert screen.table.item(row, 2).text() == "复诊（视频）"
    assert screen.table.item(row, 3).text() == "(deleted)"
    screen.theirs_button.click()
    ui.until(lambda: screen.list.count() == 0 and screen.mine_button.isEnabled())
    assert not open_conflicts(store)
    assert store.version_of(appt["id"]) == (2, True)  # the server's deletion, taken here
