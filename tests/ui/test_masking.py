"""ID numbers and phones are masked in the patient list and the chart header; a click shows one
in full and the core records that access; a search by the full number still finds the patient."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from clinic_app.records.identity import make_resident_id
from clinic_app.records.patient import PatientInput
from ui.chart_screen import ChartScreen
from ui.patient_model import PatientModel
from ui.patients_screen import PatientsScreen

RID = make_resident_id("110101", date(1975, 9, 3), 124)  # even: female
PHONE = "13812345678"


def register(ui, data: PatientInput | None = None) -> str:
    data = data or PatientInput("王", "芳", gender="female", resident_id=RID, phone=PHONE)
    return str(ui.run(ui.session.write(ui.session.clinic.patients.register, data))["id"])


def reveals(ui) -> list[tuple[str, str]]:
    entries = ui.call(ui.store.audit_entries, 50)
    return [(e["record_id"], e["detail"]) for e in entries if e["action"] == "patient.reveal"]


def test_the_list_masks_and_a_click_reveals_with_an_audit_entry(qtbot, ui):
    pid = register(ui)
    screen = PatientsScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1100, 500)
    screen.show()
    ui.run(screen.refresh())
    ui.until(lambda: screen.model.patient_at(0) is not None, what="the first page")
    id_cell, phone_cell = screen.model.index(0, 4), screen.model.index(0, 5)
    assert id_cell.data() == "110101********" + RID[-4:]
    assert phone_cell.data() == "138****5678"
    assert RID not in str([screen.model.index(0, c).data() for c in range(6)])
    assert "Click" in id_cell.data(Qt.ItemDataRole.ToolTipRole)

    rect = screen.table.visualRect(phone_cell)
    qtbot.mouseClick(screen.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    ui.until(lambda: phone_cell.data() == PHONE, what="the phone shown in full")
    assert id_cell.data().startswith("110101****"), "only the clicked cell is revealed"
    assert reveals(ui) == [(pid, "phone")]
    assert not screen.model.is_masked(phone_cell)

    # Searching by the full number finds the patient; the new list is masked again.
    screen.search.setText(RID)
    ui.until(lambda: "match" in screen.count.text(), what="the search results")
    assert screen.model.rowCount() == 1
    assert screen.model.data(screen.model.index(0, 0), PatientModel.ID_ROLE) == pid
    assert screen.model.index(0, 5).data() == "138****5678"
    screen.search.setText(PHONE)
    ui.until(lambda: screen.model.rowCount() == 1 and screen.model.index(0, 0).data() == "王芳")


def test_the_chart_header_masks_and_a_link_reveals(qtbot, ui):
    pid = register(ui)
    screen = ChartScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1280, 800)
    screen.show()
    loads: list[object] = []
    screen.loaded.connect(loads.append)
    screen.show_patient(pid)
    ui.until(lambda: loads, what="the chart to load")
    text = screen.facts.text()
    assert "110101********" + RID[-4:] in text and "138****5678" in text
    assert RID not in text and PHONE not in text
    screen.facts.linkActivated.emit("reveal:resident_id")
    ui.until(lambda: RID in screen.facts.text(), what="the ID number in full")
    assert PHONE not in screen.facts.text()
    assert reveals(ui) == [(pid, "resident_id")]
    # Another patient's chart starts masked again.
    other = register(ui, PatientInput("李", "四", phone="13900001111"))
    screen.show_patient(other)
    ui.until(lambda: len(loads) >= 2, what="the second chart")
    assert RID not in screen.facts.text() and "139****1111" in screen.facts.text()


def test_the_specialist_desk_masks_the_case_header_and_a_link_reveals(qtbot, ui):
    from clinic_app.services import orders
    from ui.desk_screen import DeskScreen

    pid = register(ui)
    orders.request_consult(ui.store, patient_id=pid, specialty="cardiology", priority="stat",
                           question="胸痛", requester="李医生")  # fmt: skip
    screen = DeskScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1200, 760)
    screen.show()
    ui.until(lambda: screen.table.rowCount() == 1, what="the worklist")
    screen.table.selectRow(0)
    ui.until(lambda: screen.case is not None, what="the case")
    header = screen.view.header
    assert "110101********" + RID[-4:] in header.text() and "138****5678" in header.text()
    assert RID not in header.text() and PHONE not in header.text()
    assert reveals(ui) == []
    header.linkActivated.emit("reveal:phone")
    ui.until(lambda: PHONE in header.text(), what="the phone in full")
    assert RID not in header.text(), "only the clicked number is revealed"
    assert reveals(ui) == [(pid, "phone")]
