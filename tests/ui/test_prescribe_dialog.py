"""The prescribe dialog and the chart's medication list with real widgets over a real store:
a new dose of the same ingredient supersedes the old (one current line), a penicillin allergy
blocks amoxicillin until a reason is given (recorded on the prescription), and a listed
interaction is shown before signing."""

from __future__ import annotations

from clinic_app.clinical.medication_checks import overridden
from clinic_app.records import clinical
from clinic_app.records.patient import PatientInput
from clinic_app.services import patients
from clinic_app.services.writes import save
from ui.chart_medications import ChartMedications
from ui.prescribe_dialog import PrescribeDialog


def register(ui) -> str:
    res, _ = ui.call(patients.register, ui.store, PatientInput("张", "桂兰", gender="female"))
    return str(res["id"])


def open_dialog(ui, qtbot, pid: str) -> PrescribeDialog:
    dialog = PrescribeDialog(ui.session, pid, "张桂兰")
    qtbot.addWidget(dialog)
    dialog.show()
    ui.until(lambda: dialog.replaces.count() > 0, what="the current medicines listed")
    return dialog


def checks_text(dialog: PrescribeDialog) -> list[str]:
    return [dialog.checks.item(n).text() for n in range(dialog.checks.count())]


def sign(ui, dialog: PrescribeDialog, formulary_id: str, dosage: str = "每日一次") -> str | None:
    dialog.choose(formulary_id)
    dialog.dosage.setText(dosage)
    ui.run(dialog.run_checks())
    return ui.run(dialog.sign_now())


def test_a_new_dose_supersedes_the_old_one_current_line(ui, qtbot):
    pid = register(ui)
    panel = ChartMedications(ui.session)
    qtbot.addWidget(panel)
    panel.show_patient(pid, "张桂兰")
    first = sign(ui, open_dialog(ui, qtbot, pid), "amlodipine-5")
    dialog = open_dialog(ui, qtbot, pid)
    dialog.choose("amlodipine-10")
    dialog.dosage.setText("每日一次")
    ui.run(dialog.run_checks())
    assert dialog.findings[0].kind == "replaces" and not dialog.warnings
    assert dialog.sign_button.isEnabled()
    second = ui.run(dialog.sign_now())
    assert first and second
    ui.until(lambda: panel.listed is not None and len(panel.listed.lines) == 2, what="reload")
    current = panel.tree.topLevelItem(0)
    assert current.childCount() == 1
    assert current.child(0).text(0) == "苯磺酸氨氯地平片 10mg"
    assert "5 mg → 10 mg" in current.child(0).text(3)
    assert panel.tree.topLevelItem(1).childCount() == 1


def test_penicillin_allergy_blocks_amoxicillin_until_a_reason_is_given(ui, qtbot):
    pid = register(ui)
    ui.call(
        save, ui.store, clinical.allergy(patient_id=pid, substance="青霉素", criticality="high")
    )
    dialog = open_dialog(ui, qtbot, pid)
    dialog.choose("amoxicillin-500")
    dialog.dosage.setText("0.5g 每日三次")
    ui.run(dialog.run_checks())
    assert any("青霉素" in t for t in checks_text(dialog))
    assert not dialog.sign_button.isEnabled() and dialog.reason.isEnabled()
    assert ui.run(dialog.sign_now()) is None  # refused: nothing written
    assert ui.store.counts().get("MedicationRequest", 0) == 0
    dialog.reason.setText("皮试阴性，既往用过阿莫西林无反应")
    assert dialog.sign_button.isEnabled()
    rid = ui.run(dialog.sign_now())
    res = ui.store.get("MedicationRequest", rid)
    assert overridden(res) == ("皮试阴性，既往用过阿莫西林无反应", ["allergy:penicillins"])


def test_a_listed_interaction_is_shown_before_signing(ui, qtbot):
    pid = register(ui)
    sign(ui, open_dialog(ui, qtbot, pid), "warfarin-2.5")
    dialog = open_dialog(ui, qtbot, pid)
    dialog.choose("ibuprofen-300")
    ui.run(dialog.run_checks())
    (warning,) = dialog.warnings
    assert warning.kind == "interaction" and warning.severity == "major"
    text = checks_text(dialog)[0]
    assert "warfarin" in text.lower() or "华法林" in text
    assert "bleeding" in text or "出血" in text
    assert not dialog.sign_button.isEnabled()
