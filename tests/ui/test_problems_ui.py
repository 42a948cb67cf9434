"""Diagnoses in the visit form, the chart's problems and allergies tab, implausible vitals
refused in the visit form (real widgets)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clinic_app.records import allergies, conditions
from tests.ui.test_visit_screen import fill_initial_visit, open_chart, register, type_into


def _items(widget) -> list[str]:
    return [widget.item(n).text() for n in range(widget.count())]


def test_a_diagnosis_added_in_a_visit_appears_on_the_problem_list(qtbot, ui):
    patient = register(ui)
    screen = open_chart(qtbot, ui, patient["id"])
    qtbot.mouseClick(screen.visit_button, Qt.MouseButton.LeftButton)
    dialog = screen.visit_dialog
    fill_initial_visit(qtbot, dialog)
    type_into(qtbot, dialog.diagnosis_search, "gxy")  # pinyin initials of 高血压
    offered = dialog.diagnosis_search.completer().model().stringList()
    pick = next(text for text in offered if text.startswith("I10 "))
    dialog.diagnosis_search.setText(pick)
    qtbot.mouseClick(dialog.add_diagnosis_button, Qt.MouseButton.LeftButton)
    dialog.diagnosis_search.setText("e119")  # a code typed as it comes
    qtbot.mouseClick(dialog.add_diagnosis_button, Qt.MouseButton.LeftButton)
    assert dialog.diagnosis_codes() == ["I10", "E11.9"]
    dialog.to_problem_list.setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: dialog.visit is not None, what="the visit to save")
    stored = ui.store.find("Condition", patient_id=patient["id"])
    eid = dialog.visit.encounter["id"]
    assert {conditions.icd10_code(c) for c in conditions.diagnoses_of(stored, eid)} == {
        "I10", "E11.9"}  # fmt: skip
    ui.until(lambda: screen.problems_panel.problems.count() == 2, what="the problem list")
    texts = _items(screen.problems_panel.problems)
    assert any(t.startswith("I10  Essential (primary) hypertension") for t in texts)
    assert any(t.startswith("E11.9  Type 2 diabetes") for t in texts)
    # resolve one from the chart
    screen.problems_panel.problems.setCurrentRow(0)
    qtbot.mouseClick(screen.problems_panel.resolve_problem_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: any("resolved" in t for t in _items(screen.problems_panel.problems)),
             what="the problem resolved")  # fmt: skip
    active, done = conditions.problem_list(ui.store.find("Condition", patient_id=patient["id"]))
    assert len(active) == 1 and len(done) == 1


def test_heart_rate_300_is_refused_in_the_visit_form(qtbot, ui):
    patient = register(ui)
    screen = open_chart(qtbot, ui, patient["id"])
    qtbot.mouseClick(screen.visit_button, Qt.MouseButton.LeftButton)
    dialog = screen.visit_dialog
    fill_initial_visit(qtbot, dialog)
    type_into(qtbot, dialog.vitals["heart_rate"].edit, "300")
    before = ui.store.counts(), ui.store.pending_count()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    ui.settle(0.3)
    error = dialog.vital_errors["heart_rate"]
    assert error.isVisible() and error.text() == "Must be between 20 and 250 /min."
    assert dialog.visit is None
    assert (ui.store.counts(), ui.store.pending_count()) == before
    dialog.vitals["heart_rate"].edit.clear()
    type_into(qtbot, dialog.vitals["heart_rate"].edit, "180")  # plausible: flagged, accepted
    assert dialog.vitals["heart_rate"].flag.text() == "Critical high"


def test_no_known_allergies_is_recorded_and_shown_then_replaced(qtbot, ui):
    patient = register(ui)
    screen = open_chart(qtbot, ui, patient["id"])
    panel = screen.problems_panel
    assert _items(panel.allergies) == ["Not asked yet"]
    qtbot.mouseClick(panel.nka_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: _items(panel.allergies)[0].startswith("No known allergies (stated "),
             what="the statement")  # fmt: skip
    ui.until(lambda: "No known allergies" in screen.allergies.text(), what="the summary")
    nka, current = allergies.current(ui.store.find("AllergyIntolerance", patient_id=patient["id"]))
    assert nka is not None and current == []
    panel.substance.setText("青霉素")  # QTest cannot type characters outside Latin-1
    panel.reaction.setText("皮疹")
    qtbot.mouseClick(panel.add_allergy_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: _items(panel.allergies) == ["青霉素 — 皮疹"], what="the allergy")
    # stating "none" while an allergy is on the chart is refused, next to the section
    qtbot.mouseClick(panel.nka_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: panel.allergy_message.text(), what="the refusal")
    assert "resolve them" in panel.allergy_message.text()
