"""Recording a visit through the form, typing and clicking as a clinician does: the visit
appears in the chart; an invalid value shows its message next to its field and saves nothing;
the saved visit prints to PDF."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit

from clinic_app.records.patient import PatientInput
from clinic_app.services import patients
from ui.chart_screen import ChartScreen
from ui.visit_screen import VisitDialog


def register(ui) -> dict:
    res, _ = ui.call(patients.register, ui.store, PatientInput("李", "秀英", gender="female"))
    return res


def open_chart(qtbot, ui, pid: str) -> ChartScreen:
    screen = ChartScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1280, 800)
    screen.show()
    loads = []
    screen.loaded.connect(loads.append)
    screen.show_patient(pid)
    ui.until(lambda: loads, what="the chart to load")
    return screen


def type_into(qtbot, widget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def choose(qtbot, combo: QComboBox, text: str) -> None:
    """Pick an entry of a combo box with the keyboard, as a user would."""
    combo.setFocus()
    while combo.currentText() != text:
        before = combo.currentIndex()
        qtbot.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentIndex() != before, f"{text!r} is not in the list"


def fill_initial_visit(qtbot, dialog: VisitDialog) -> None:
    a = dialog.answers
    assert isinstance(a["chief_complaint"], QLineEdit)
    assert isinstance(a["history_present"], QPlainTextEdit)
    type_into(qtbot, a["chief_complaint"], "Dizziness for a week")
    type_into(qtbot, a["history_present"], "Started after a cold.")
    type_into(qtbot, a["assessment"], "Hypertension")
    type_into(qtbot, a["plan"], "Amlodipine; review in 2 weeks")
    choose(qtbot, a["smoking"], "Former")
    assert isinstance(a["pregnant"], QCheckBox)
    box = QPoint(8, a["pregnant"].height() // 2)  # on the tick box itself
    qtbot.mouseClick(a["pregnant"], Qt.MouseButton.LeftButton, pos=box)  # not answered -> yes
    qtbot.mouseClick(a["pregnant"], Qt.MouseButton.LeftButton, pos=box)  # yes -> no
    assert a["pregnant"].text() == "No"


def test_record_a_visit_by_typing_and_see_it_in_the_chart(qtbot, ui, tmp_path):
    patient = register(ui)
    screen = open_chart(qtbot, ui, patient["id"])
    qtbot.keyClick(
        screen,
        Qt.Key.Key_V,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = screen.visit_dialog
    assert dialog.isVisible() and dialog.kind.currentData() == "initial-visit"
    fill_initial_visit(qtbot, dialog)
    v = dialog.vitals
    type_into(qtbot, v["systolic"].edit, "150")
    assert v["systolic"].flag.text() == "High"
    type_into(qtbot, v["diastolic"].edit, "95")
    type_into(qtbot, v["heart_rate"].edit, "72")
    assert v["heart_rate"].flag.text() == "Normal"
    choose(qtbot, v["temperature"].unit, "°F")
    type_into(qtbot, v["temperature"].edit, "100.4")
    assert v["temperature"].flag.text() == "High"
    assert v["temperature"].converted.text() == "= 38 °C"
    choose(qtbot, v["glucose"].unit, "mg/dL")
    type_into(qtbot, v["glucose"].edit, "110")
    choose(qtbot, v["weight"].unit, "lb")
    type_into(qtbot, v["weight"].edit, "143")
    before = ui.store.counts()
    loads = []
    screen.loaded.connect(loads.append)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: dialog.visit is not None, what="the visit to be saved")
    assert dialog.status.text() == "Visit saved."
    assert not dialog.save_button.isEnabled() and dialog.print_button.isEnabled()
    after = ui.store.counts()
    assert after["Encounter"] == before.get("Encounter", 0) + 1
    assert after["QuestionnaireResponse"] == before.get("QuestionnaireResponse", 0) + 1
    assert after["Observation"] == before.get("Observation", 0) + 6
    obs = {o["code"]["coding"][0]["code"]: o for o in dialog.visit.observations}
    assert obs["8310-5"]["valueQuantity"] == obs["8310-5"]["valueQuantity"] | {
        "value": 38.0,
        "code": "Cel",
    }
    assert obs["2339-0"]["valueQuantity"]["value"] == 110  # glucose stays in mg/dL
    assert obs["29463-7"]["valueQuantity"]["value"] == 64.9  # 143 lb
    answers = {i["linkId"]: i["answer"][0] for i in dialog.visit.response["item"]}
    assert answers["smoking"] == {"valueCoding": {"code": "former", "display": "Former"}}
    assert answers["pregnant"] == {"valueBoolean": False}
    # The chart refreshes by itself and shows the visit, its answers and flagged vitals.
    ui.until(lambda: loads, what="the chart to reload")
    assert screen.timeline.topLevelItemCount() == 1
    row = screen.timeline.topLevelItem(0)
    assert row.text(1) == "Initial visit"
    assert "BP 150/95" in row.text(2) and "abnormal" in row.text(2)
    details = screen.details.toPlainText()
    assert "Dizziness for a week" in details and "150 mmHg (High)" in details
    assert "38.0 °C (High)" in details
    # Print the summary to PDF with Qt alone.
    html = dialog.summary_html()
    assert "李秀英" in html and "Dizziness for a week" in html and "150 mmHg (High)" in html
    pdf = dialog.write_pdf(tmp_path / "summary.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2000


def test_an_implausible_vital_shows_its_message_next_to_the_field_and_saves_nothing(qtbot, ui):
    patient = register(ui)
    screen = open_chart(qtbot, ui, patient["id"])
    qtbot.mouseClick(screen.visit_button, Qt.MouseButton.LeftButton)
    dialog = screen.visit_dialog
    fill_initial_visit(qtbot, dialog)
    type_into(qtbot, dialog.vitals["systolic"].edit, "400")
    type_into(qtbot, dialog.vitals["diastolic"].edit, "90")
    before = ui.store.counts(), ui.store.pending_count()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    ui.settle(0.3)
    error = dialog.vital_errors["systolic"]
    assert error.isVisible()
    assert error.text() == "Must be between 40 and 300 mmHg."
    # next to its field: the message sits in the same little box as the input
    assert error.parentWidget() is dialog.vitals["systolic"].parentWidget()
    assert not dialog.vital_errors["diastolic"].isVisible()
    assert dialog.visit is None and dialog.save_button.isEnabled()
    assert (ui.store.counts(), ui.store.pending_count()) == before
    # Fixing the value clears the message; diastolic above systolic is refused the same way.
    dialog.vitals["systolic"].edit.clear()
    assert not error.isVisible()
    type_into(qtbot, dialog.vitals["systolic"].edit, "85")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    ui.settle(0.3)
    assert dialog.vital_errors["diastolic"].text() == "Diastolic pressure must be below systolic."
    assert (ui.store.counts(), ui.store.pending_count()) == before


def test_required_answers_and_a_refusal_from_the_core_show_next_to_their_fields(qtbot, ui):
    patient = register(ui)
    dialog = VisitDialog(ui.session, patient, kind="follow-up")
    qtbot.addWidget(dialog)
    dialog.show()
    before = ui.store.counts(), ui.store.pending_count()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    ui.settle(0.2)
    assert dialog.answer_errors["progress"].text() == "Please answer this."
    assert dialog.answer_errors["plan"].isVisible()
    assert not dialog.answer_errors["notes"].isVisible()
    assert (ui.store.counts(), ui.store.pending_count()) == before
    # What only the core checks (here: a visit for a patient that is not in the store) is
    # shown by the same mapping from ValidationError.field to the widget.
    dialog.show_field_error("glucose_mgdl", "Glucose is odd.")
    assert dialog.vital_errors["glucose"].text() == "Glucose is odd."
    dialog.show_field_error("kind", "Unknown form.")
    assert dialog.general_error.text() == "Unknown form."


def test_hba1c_is_typed_with_the_vitals_flagged_refused_and_plotted(qtbot, ui):
    """HbA1c in the visit form: % or IFCC mmol/mol, flagged above 6.0 %, refused outside
    3-20 % next to its field, saved as a LOINC 4548-4 laboratory Observation and shown in the
    chart's HbA1c trend."""
    patient = register(ui)
    screen = open_chart(qtbot, ui, patient["id"])
    qtbot.mouseClick(screen.visit_button, Qt.MouseButton.LeftButton)
    dialog = screen.visit_dialog
    fill_initial_visit(qtbot, dialog)
    a1c = dialog.vitals["hba1c"]
    type_into(qtbot, a1c.edit, "25")
    before = ui.store.counts(), ui.store.pending_count()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    ui.settle(0.3)
    assert dialog.vital_errors["hba1c"].isVisible()
    assert dialog.vital_errors["hba1c"].text() == "Must be between 3 and 20 %."
    assert (ui.store.counts(), ui.store.pending_count()) == before
    assert [a1c.unit.itemText(n) for n in range(a1c.unit.count())] == ["%", "mmol/mol"]
    a1c.edit.clear()
    type_into(qtbot, a1c.edit, "7.8")
    assert a1c.flag.text() == "High"
    loads = []
    screen.loaded.connect(loads.append)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: dialog.visit is not None, what="the visit to be saved")
    (obs,) = dialog.visit.observations
    assert obs["code"]["coding"][0]["code"] == "4548-4"
    assert obs["category"][0]["coding"][0]["code"] == "laboratory"
    assert obs["valueQuantity"]["value"] == 7.8 and obs["valueQuantity"]["code"] == "%"
    ui.until(lambda: loads, what="the chart to reload")
    assert "7.8 % (High)" in screen.details.toPlainText()
    plots = screen.trends
    plots.build()
    ui.until(lambda: plots.readings_shown, what="the trends")
    assert plots.titles["hba1c"] == "HbA1c (%)"
    assert not plots.empty["hba1c"].isVisible() and plots.empty["glucose"].isVisible()
