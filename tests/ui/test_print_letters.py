"""The print dialog (issue 19) with real widgets over a real store: it lists what the chart can
print, previews the letter from memory, saves it as a PDF the user chose and prints it (to a
PDF printer here); both keep the letter as a document in the chart. The chart's Print button
opens it on the timeline's selected prescription."""

from __future__ import annotations

from datetime import date, datetime

from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter

from clinic_app.records.patient import PatientInput
from ui.chart_screen import ChartScreen
from ui.print_letters import PrintLetterDialog


def patient_with_visit(ui) -> tuple[str, str]:
    clinic = ui.session.clinic
    data = PatientInput(family="王", given="秀英", gender="female", birth_date=date(1958, 3, 2))
    pid = ui.call(lambda: clinic.patients.register(data).value["id"])
    visit = ui.call(lambda: clinic.visits.record(
        patient_id=pid, kind="follow-up", answers={"progress": "improved", "plan": "继续治疗"},
        start=datetime.now().astimezone(), practitioner="李医生", reason="复查血压",
    ).value)  # fmt: skip
    eid = visit.encounter["id"]
    ui.call(lambda: clinic.medications.prescribe(
        patient_id=pid, formulary_id="amlodipine-5", dosage="每日一次", requester="李医生",
        days=14, encounter_id=eid))  # fmt: skip
    return pid, eid


def test_preview_save_and_print_keep_the_letter(ui, qtbot, tmp_path):
    pid, _eid = patient_with_visit(ui)
    dialog = PrintLetterDialog(ui.session, pid)
    qtbot.addWidget(dialog)
    dialog.show()
    ui.run(dialog.load())
    assert sorted(c.kind for c in dialog.choices) == ["prescription", "summary"]
    assert dialog.choose("prescription")
    ui.run(dialog.show_preview())
    assert len(dialog.pages) == 1 and not dialog.preview.pixmap().isNull()
    assert dialog.print_button.isEnabled()
    dialog.paper.setCurrentIndex(dialog.paper.findData("A5"))
    out = tmp_path / "letter.pdf"
    assert ui.run(dialog.save_to(out))
    reader = PdfReader(out)
    assert "王秀英" in reader.pages[0].extract_text()
    assert "苯磺酸氨氯地平片" in reader.pages[0].extract_text()
    assert float(reader.pages[0].mediabox.width) < 430  # A5: 420 pt
    docs = ui.call(ui.session.clinic.documents.current, pid)
    assert [d["id"] for d in docs] == [dialog.kept]

    dialog.choose("summary")
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert ui.run(dialog.print_to(printer))
    assert (tmp_path / "printed.pdf").stat().st_size > 1000
    docs = ui.call(ui.session.clinic.documents.current, pid)
    assert len(docs) == 2 and dialog.kept in [d["id"] for d in docs]


def test_the_chart_print_button_opens_on_the_selected_prescription(ui, qtbot):
    pid, _eid = patient_with_visit(ui)
    screen = ChartScreen(ui.session)
    qtbot.addWidget(screen)
    screen.show()
    screen.show_patient(pid)
    ui.until(lambda: screen.view is not None, what="the chart loaded")
    panel = screen.timeline_panel
    for n in range(panel.timeline.topLevelItemCount()):
        panel.timeline.setCurrentItem(panel.timeline.topLevelItem(n))
        entry = panel.selected_entry()
        if entry is not None and entry.kind == "prescription":
            break
    assert entry is not None and entry.kind == "prescription"
    screen.print_button.click()
    dialog = screen.print_dialog
    assert dialog.loading is not None
    ui.run(dialog.loading)
    assert dialog.isVisible()
    assert dialog.selected()[:2] == ("prescription", entry.resource["id"])
    ui.until(lambda: dialog.pages, what="the preview")
    dialog.close()
