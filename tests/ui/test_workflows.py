"""Whole workflows through the real widgets, typed and clicked with pytest-qt's ``qtbot``, with
a real ``clinic-central`` process on loopback where the workflow needs one.

* A clinic registers a patient, records a visit with vitals and asks a cardiologist; the
  specialist (a second profile in the same process, signed in from its settings screen) accepts,
  books the proposed slot and answers with an opinion, an e-prescription and a referral; after
  the clinic syncs, its chart shows the consult answered, the opinion and the prescription.
* Records made while the central platform is down wait in the outbox (the sync bar says offline
  and how many); when it is back, the background engine sends them without anyone clicking,
  the bar goes to "0 waiting" and the central platform serves the records.
* Invalid input shows its message next to its field and saves nothing.

Each user works in the workspace the main window shows after sign-in (navigation, pages, sync
bar). One qasync loop serves both profiles, and each workflow runs as one coroutine on it that
waits with ``workflow_kit.until``: the loop runs throughout, as in the application, so the
background sync engines, store threads and ``@asyncSlot`` handlers proceed while a test waits.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

import pytest
from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QDialog, QLineEdit, QPlainTextEdit, QWizard

from clinic_app.records.identity import make_resident_id
from clinic_app.records.patient import PatientInput
from clinic_app.services import patients
from clinic_app.sync.account import SyncAccount
from tests.support.central_proc import CentralProcess
from tests.ui.workflow_kit import (
    activate,
    bar,
    chart_ready,
    choose,
    click,
    click_row,
    fhir,
    leave,
    next_to,
    open_workspace,
    opened,
    page,
    retype,
    row_of,
    second_profile,
    settled,
    shown_errors,
    stopping,
    tick,
    tree_rows,
    type_date,
    type_into,
    until,
)
from ui.chart_screen import ChartScreen
from ui.desk_screen import ActionDialog, DeskScreen
from ui.main_window import Workspace
from ui.patient_form import PatientForm
from ui.patients_screen import PatientsScreen
from ui.prescribe_dialog import PrescribeDialog
from ui.schedule_screen import BookDialog
from ui.session import Session
from ui.settings_screen import SettingsScreen, switch_language
from ui.visit_screen import VisitDialog

SPECIALIST = "dr.heart"
SPECIALIST_PASSWORD = "specialist-password-1"
SPECIALIST_PASSPHRASE = "desk-passphrase-1"
BORN = date(1958, 3, 14)
RESIDENT_ID = make_resident_id("110105", BORN, 123)  # 3: odd, a man
PHONE = "13800138000"
QUESTION = "BP 172/104 despite amlodipine. Add a second drug?"
OPINION = "Add hydrochlorothiazide 25 mg; recheck BP in two weeks."
FORMULARY_ID = "hydrochlorothiazide-25"  # the starter formulary's entry
MEDICATION = "氢氯噻嗪片 25mg"  # what the record says: the formulary's Chinese name
DOSAGE = "one tablet every morning"
REFERRAL = "Echocardiography at the county hospital."


@pytest.fixture
def settings_folder(tmp_path):
    """QSettings of this test only (never the tester's own), and English throughout."""
    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path / "settings"))
    switch_language("en")
    yield
    home = QStandardPaths.StandardLocation.GenericConfigLocation
    QSettings.setPath(fmt, scope, QStandardPaths.writableLocation(home))


@pytest.fixture
def central(tmp_path):
    proc = CentralProcess(f"sqlite:///{tmp_path / 'central.db'}", log_path=tmp_path / "central.log")
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def clinic(ui, qtbot, settings_folder):
    """The clinic doctor's workspace over the ``ui`` fixture's profile."""
    ws = ui.run(open_workspace(qtbot, ui.session))
    yield ws
    ui.run(ui.session.stop_sync())  # before the central platform stops


# ---------------------------------------------------------------------------- steps --
async def enroll(qtbot, ws: Workspace, central: CentralProcess) -> None:
    """Connect the clinic workstation with a one-time code typed into the settings."""
    clinic_id = central.add_clinic("Hill Clinic")
    code = central.enrollment_code(clinic_id)
    settings = page(qtbot, ws, "settings", SettingsScreen)
    assert settings.tabs.currentIndex() == 0  # "Clinic workstation"
    type_into(qtbot, settings.server, central.url)
    type_into(qtbot, settings.code, code)
    retype(qtbot, settings.device_name, "front-desk")
    click(qtbot, settings.enroll_button)
    await until(lambda: "Connected to" in settings.account_label.text(), "the enrolment")
    assert settings.code.text() == ""  # the one-time code is not kept
    assert not listed(ws, "desk")  # a clinic workstation has no consult desk
    await until(lambda: settled(ws), lambda: f"the first sync ({bar(ws)})")


async def register_patient(qtbot, ws: Workspace) -> PatientForm:
    """New patient from the patients page, every field typed."""
    patients_page = page(qtbot, ws, "patients", PatientsScreen)
    form = opened(ws, PatientForm, lambda: click(qtbot, patients_page.add_button))
    type_into(qtbot, form.family, "王")
    type_into(qtbot, form.given, "建国")
    choose(qtbot, form.gender, "male")
    type_date(qtbot, form.birth, BORN)
    assert form.birth.date().toPython() == BORN
    type_into(qtbot, form.resident_id, RESIDENT_ID)
    type_into(qtbot, form.phone, PHONE)
    type_into(qtbot, form.province, "河北省")
    type_into(qtbot, form.line, "东风村 3 组")
    click(qtbot, form.buttons.button(form.buttons.StandardButton.Save))
    await until(lambda: form.result() == QDialog.DialogCode.Accepted, "the patient to be saved")
    assert not shown_errors(form.errors)
    return form


async def open_chart_by_search(qtbot, ws: Workspace, query: str) -> ChartScreen:
    """Type into the patients search, then double-click the one match."""
    patients_page = page(qtbot, ws, "patients", PatientsScreen)
    retype(qtbot, patients_page.search, query)
    await until(
        lambda: patients_page.count.text() == "1 match(es)" and patients_page.model.rowCount() == 1,
        "the search result",
    )
    assert patients_page.model.index(0, 0).data() == "王建国"
    click_row(qtbot, patients_page.table, 0, double=True)
    chart = ws.stack.currentWidget()
    assert isinstance(chart, ChartScreen), "the double-click did not open the chart"
    await until(lambda: chart_ready(chart) and chart.name.text() == "王建国", "the chart")
    return chart


async def record_visit(qtbot, chart: ChartScreen, systolic: str, diastolic: str) -> VisitDialog:
    """New visit from the chart: the form's required answers and four vitals, typed; saved."""
    click(qtbot, chart.visit_button)
    dialog = chart.visit_dialog
    assert isinstance(dialog, VisitDialog) and dialog.isVisible()
    assert dialog.kind.currentData() == "initial-visit"
    a = dialog.answers
    assert isinstance(a["chief_complaint"], QLineEdit)
    assert isinstance(a["history_present"], QPlainTextEdit)
    type_into(qtbot, a["chief_complaint"], "Headache and dizziness for a week")
    type_into(qtbot, a["history_present"], "Home readings around 170/100.")
    choose(qtbot, a["smoking"], "former")
    type_into(qtbot, a["assessment"], "Uncontrolled hypertension")
    type_into(qtbot, a["plan"], "Ask cardiology about a second drug")
    v = dialog.vitals
    type_into(qtbot, v["systolic"].edit, systolic)
    type_into(qtbot, v["diastolic"].edit, diastolic)
    type_into(qtbot, v["heart_rate"].edit, "84")
    type_into(qtbot, v["weight"].edit, "78.5")
    click(qtbot, dialog.save_button)
    await until(lambda: dialog.status.text() == "Visit saved.", "the visit to be saved")
    return dialog


async def sync_now(qtbot, ws: Workspace, *, f5: bool = False) -> None:
    """Click the sync bar's "Sync now" (or press F5) and wait until the bar says all is sent
    (a change made on a screen also starts a sync soon: the bar is the judge, not the
    click)."""
    await activate(ws)
    if f5:
        qtbot.keyClick(ws, Qt.Key.Key_F5)
    else:
        # a sync the last change started may still run: the button is back when it ends
        await until(ws.sync_bar.button.isEnabled, lambda: f"Sync now ({bar(ws)})", timeout=30)
        click(qtbot, ws.sync_bar.button)
    await until(lambda: settled(ws), lambda: f"the sync ({bar(ws)})", timeout=30)


def listed(ws: Workspace, key: str) -> bool:
    """Whether the navigation lists a page."""
    row = [p.key for p in ws.pages].index(key)
    return not ws.nav.item(row).isHidden()


def consult_state(chart: ChartScreen) -> str:
    """The Status column of the chart's consult line."""
    n = row_of(chart.timeline, 1, "Consult request")
    return "" if n is None else tree_rows(chart.timeline)[n][3]


# ------------------------------------------------------------------------------ tests --
@pytest.mark.slow
def test_clinic_to_specialist_and_back(ui, qtbot, tmp_path, central, clinic):
    central.add_user(SPECIALIST, SPECIALIST_PASSWORD, "specialist", specialties=("cardiology",))
    with second_profile(tmp_path / "desk", SPECIALIST, SPECIALIST_PASSPHRASE) as spec:
        try:
            flow = clinic_to_specialist_and_back(qtbot, ui, central, clinic, spec)
            ui.run(stopping(flow, ui.session, spec), timeout=120)
        finally:
            ui.run(spec.close())


async def clinic_to_specialist_and_back(
    qtbot, ui, central: CentralProcess, clinic: Workspace, spec: Session
) -> None:
    await enroll(qtbot, clinic, central)

    # ---- clinic: a new patient, found again by typing pinyin initials in the search
    await register_patient(qtbot, clinic)
    (patient,) = ui.store.find("Patient")
    assert patient["birthDate"] == BORN.isoformat() and patient["gender"] == "male"
    chart = await open_chart_by_search(qtbot, clinic, "wjg")
    # The header masks the ID number and phone; the ID number's link reveals it (audited).
    facts = chart.facts.text()
    assert RESIDENT_ID not in facts and PHONE not in facts
    assert RESIDENT_ID[-4:] in facts and PHONE[-4:] in facts
    chart.facts.linkActivated.emit("reveal:resident_id")
    await until(lambda: RESIDENT_ID in chart.facts.text(), "the ID number in full")

    # ---- a visit with vitals: 172/104 is flagged while typing
    visit = await record_visit(qtbot, chart, "172", "104")
    assert visit.vitals["systolic"].flag.text() == "High"
    assert visit.vitals["diastolic"].flag.text() == "High"
    assert visit.vitals["heart_rate"].flag.text() == "Normal"
    click(qtbot, visit.close_button)
    await until(lambda: row_of(chart.timeline, 1, "Initial visit") is not None, "the visit row")
    visit_row = tree_rows(chart.timeline)[row_of(chart.timeline, 1, "Initial visit") or 0]
    assert "BP 172/104" in visit_row[2] and "⚠ 2 abnormal" in visit_row[2]

    # ---- the consult wizard, page by page with Next
    click(qtbot, chart.consult_button)
    wizard = chart.consult_wizard
    request = wizard.request_page
    choose(qtbot, request.specialty, "cardiology")
    choose(qtbot, request.priority, "urgent")
    type_into(qtbot, request.question, QUESTION)
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    support = wizard.support_page
    assert wizard.currentPage() is support
    assert support.visits.count() == 1 and support.vitals.count() == 1
    assert support.visits.item(0).checkState() == Qt.CheckState.Checked  # newest: ticked
    assert support.vitals.item(0).checkState() == Qt.CheckState.Checked
    assert "BP 172/104 (High)" in support.vitals.item(0).text()
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    slots = wizard.slots_page
    assert wizard.currentPage() is slots
    second, _edit = slots.rows[1]
    tick(qtbot, second)
    assert len(slots.slots()) == 2
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    summary = wizard.review_page.summary.text()
    assert "Cardiology" in summary and "Urgent" in summary
    assert "1 visit(s), 4 vital sign reading(s), 0 attachment(s)" in summary
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    await until(lambda: wizard.result_request is not None, "the request to be stored")
    consult_id = wizard.result_request.request["id"]
    await until(lambda: consult_state(chart) != "", "the consult line in the chart")

    # ---- Sync now: everything goes; the chart says the consult was delivered
    await sync_now(qtbot, clinic)
    await until(
        lambda: consult_state(chart) == "Delivered",
        lambda: f"the consult to show delivered ({consult_state(chart)!r})",
    )

    # ---- the specialist, in a second profile, answers from the desk
    desk_ws = await open_workspace(qtbot, spec)
    await specialist_answers(qtbot, desk_ws, central, consult_id)

    # ---- the clinic presses F5; the chart shows the answer. Nothing was changed here since
    # the last sync and the engine's next round is 30 s away: only F5 can bring it in 15 s.
    await activate(clinic)
    qtbot.keyClick(clinic, Qt.Key.Key_F5)
    await until(
        lambda: consult_state(chart) == "Answered",
        lambda: f"the consult to show answered ({consult_state(chart)!r}, {bar(clinic)})",
        timeout=15,
    )
    await until(lambda: settled(clinic), lambda: f"the clinic's sync ({bar(clinic)})")
    await until(
        lambda: row_of(chart.timeline, 1, "Prescription") is not None, "the prescription line"
    )
    rows = tree_rows(chart.timeline)
    kinds = [r[1] for r in rows]
    assert {"Specialist opinion", "Prescription", "Referral", "Consult request"} <= set(kinds)
    assert rows[kinds.index("Specialist opinion")][2] == OPINION
    assert rows[kinds.index("Prescription")][2].startswith(MEDICATION)
    assert "Cardiology" in rows[kinds.index("Referral")][2]
    assert MEDICATION in chart.medications.text() and DOSAGE in chart.medications.text()
    click_row(qtbot, chart.timeline, kinds.index("Specialist opinion"))
    details = chart.details.toPlainText()
    assert OPINION in details and QUESTION in details and SPECIALIST in details
    click_row(qtbot, chart.timeline, kinds.index("Consult request"))
    details = chart.details.toPlainText()
    assert "Answered" in details and "Appointment" in details


async def specialist_answers(
    qtbot, ws: Workspace, central: CentralProcess, consult_id: str
) -> None:
    """Sign in from the settings' Specialist tab, sync, and answer the consult from the desk."""
    settings = page(qtbot, ws, "settings", SettingsScreen)
    tabs = settings.tabs.tabBar()
    qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(1).center())
    assert settings.tabs.currentIndex() == 1  # "Specialist"
    type_into(qtbot, settings.server, central.url)
    type_into(qtbot, settings.username, SPECIALIST)
    type_into(qtbot, settings.password, SPECIALIST_PASSWORD)
    qtbot.keyClick(settings.password, Qt.Key.Key_Return)
    await until(lambda: "Signed in to" in settings.account_label.text(), "the sign-in")
    assert settings.password.text() == ""  # not kept
    assert "cardiology" in settings.account_label.text()
    await until(lambda: isinstance(ws.stack.currentWidget(), DeskScreen), "the desk to open")
    assert listed(ws, "desk")
    await sync_now(qtbot, ws, f5=True)

    desk = page(qtbot, ws, "desk", DeskScreen)
    await until(lambda: [i.consult_id for i in desk.items] == [consult_id], "the worklist")
    assert desk.table.item(0, 2).text() == "王建国"
    assert desk.table.item(0, 3).text() == "New"
    assert desk.table.item(0, 0).text() == "Urgent"
    click_row(qtbot, desk.table, 0)
    await until(lambda: desk.case is not None, "the case")
    case = desk.view
    # The header is rich text (the masked ID number and phone are links): read what it shows.
    header = QTextDocumentFragment.fromHtml(case.header.text()).toPlainText().replace("\xa0", " ")
    assert header.startswith("王建国   male")
    assert RESIDENT_ID not in header and PHONE not in header  # masked on the desk too
    assert RESIDENT_ID[-4:] in header and PHONE[-4:] in header
    assert case.question.text() == QUESTION
    visit = case.sent.topLevelItem(0)
    assert visit.text(0).startswith("Initial visit on")
    sent = [visit.child(n).text(0) for n in range(visit.childCount())]
    assert "Systolic blood pressure: 172 mmHg (high)" in sent
    assert "Diastolic blood pressure: 104 mmHg (high)" in sent

    accept = opened(desk, ActionDialog, lambda: click(qtbot, desk.accept_button))
    type_into(qtbot, accept.widgets["reason"], "Accepted: video call at the proposed time.")
    click(qtbot, accept.save_button)
    await until(lambda: accept.result() == QDialog.DialogCode.Accepted, "the acceptance")
    await until(lambda: not desk.accept_button.isEnabled(), "the case to show accepted")

    book = opened(desk, BookDialog, lambda: click(qtbot, desk.book_button))
    assert book.day.date().toPython() == date.today() + timedelta(days=1)  # the clinic's wish
    assert book.hour.currentData() == 9
    click(qtbot, book.buttons.button(book.buttons.StandardButton.Save))
    await until(lambda: book.result() == QDialog.DialogCode.Accepted, "the booking")

    opinion = opened(desk, ActionDialog, lambda: click(qtbot, desk.opinion_button))
    type_into(qtbot, opinion.widgets["conclusion"], OPINION)
    click(qtbot, opinion.save_button)
    await until(lambda: opinion.result() == QDialog.DialogCode.Accepted, "the opinion")

    # The desk prescribes through the checked dialog: a formulary entry, checked, signed.
    rx = opened(desk, PrescribeDialog, lambda: click(qtbot, desk.prescribe_button))
    assert rx.based_on == consult_id
    await until(lambda: rx.replaces.count() > 0, "the patient's current medicines")
    rx.choose(FORMULARY_ID)
    assert rx.medicine.currentText().startswith("Hydrochlorothiazide 25 mg tablet")  # English UI
    type_into(qtbot, rx.dosage, DOSAGE)
    await until(lambda: rx.checks.count() > 0, "the checks")
    assert rx.sign_button.isEnabled() and not rx.warnings
    click(qtbot, rx.sign_button)
    await until(lambda: rx.result() == QDialog.DialogCode.Accepted, "the prescription")

    referral = opened(desk, ActionDialog, lambda: click(qtbot, desk.refer_button))
    assert referral.widgets["specialty"].currentData() == "cardiology"
    type_into(qtbot, referral.widgets["reason"], REFERRAL)
    click(qtbot, referral.save_button)
    await until(lambda: referral.result() == QDialog.DialogCode.Accepted, "the referral")

    await until(
        lambda: OPINION in case.answers.text() and "Referral to" in case.answers.text(),
        lambda: f"the answers on the case ({case.answers.text()!r})",
    )
    text = case.answers.text()
    assert f"Accepted by {SPECIALIST}" in text and "Slot booked:" in text
    assert f"Prescription: {MEDICATION} — {DOSAGE}" in text
    await sync_now(qtbot, ws)


@pytest.mark.slow
def test_records_made_offline_go_when_central_returns(ui, qtbot, central, clinic):
    ui.run(stopping(records_made_offline(qtbot, ui, central, clinic), ui.session), timeout=120)


async def records_made_offline(qtbot, ui, central: CentralProcess, clinic: Workspace) -> None:
    await enroll(qtbot, clinic, central)
    account = SyncAccount.load(ui.store)
    assert account is not None
    central.stop()

    await register_patient(qtbot, clinic)
    (patient,) = ui.store.find("Patient")
    chart = await open_chart_by_search(qtbot, clinic, PHONE)
    dialog = await record_visit(qtbot, chart, "150", "95")
    visit = dialog.visit
    assert visit is not None
    click(qtbot, dialog.close_button)
    waiting = ui.store.pending_count()
    assert waiting >= 7  # the patient, the encounter, the answers, four vitals
    await until(
        lambda: bar(clinic).offline and bar(clinic).pending == waiting,
        lambda: f"the bar to say offline with {waiting} waiting ({bar(clinic)})",
    )
    assert bar(clinic).pending_text == f"{waiting} change(s) waiting"
    assert bar(clinic).error  # and why

    central.start()  # same database, same port; nobody clicks anything from here on
    back = time.monotonic()
    await until(lambda: settled(clinic), lambda: f"the outbox to empty ({bar(clinic)})", 45)
    took = time.monotonic() - back
    assert bar(clinic).pending_text == "0 change(s) waiting" and bar(clinic).error == ""
    assert took < 45

    got = fhir(central, account, f"Patient/{patient['id']}")
    assert got["identifier"][0]["value"] == RESIDENT_ID and got["telecom"][0]["value"] == PHONE
    encounter = fhir(central, account, f"Encounter/{visit.encounter['id']}")
    assert encounter["subject"]["reference"] == f"Patient/{patient['id']}"
    found = fhir(central, account, f"Observation?patient={patient['id']}")
    values = sorted(e["resource"]["valueQuantity"]["value"] for e in found.get("entry", []))
    assert values == sorted([150, 95, 84, 78.5])


def test_invalid_input_shows_message_and_saves_nothing(ui, qtbot, clinic):
    ui.run(invalid_input(qtbot, ui, clinic), timeout=60)


async def invalid_input(qtbot, ui, clinic: Workspace) -> None:
    before, outbox = ui.store.counts(), ui.store.pending_count()
    patients_page = page(qtbot, clinic, "patients", PatientsScreen)
    form = opened(clinic, PatientForm, lambda: click(qtbot, patients_page.add_button))
    save = form.buttons.button(form.buttons.StandardButton.Save)
    type_into(qtbot, form.family, "赵")
    type_into(qtbot, form.given, "六")
    wrong_check = RESIDENT_ID[:17] + ("0" if RESIDENT_ID[17] != "0" else "1")
    type_into(qtbot, form.resident_id, wrong_check)
    type_into(qtbot, form.phone, "12345")
    # A birth date in the future cannot even be typed: the field keeps to today at most.
    type_date(qtbot, form.birth, date.today() + timedelta(days=400))
    assert form.birth.date().toPython() <= date.today()
    click(qtbot, save)
    await until(lambda: shown_errors(form.errors), "the messages")
    errors = shown_errors(form.errors)
    assert errors["resident_id"] == "The ID number's check digit is wrong; please re-check it."
    assert errors["phone"].startswith("Enter a mobile number")
    assert next_to(form.errors["resident_id"], form.resident_id)
    assert next_to(form.errors["phone"], form.phone)
    # A valid ID whose birth date differs from the one typed: said at the birth date.
    retype(qtbot, form.resident_id, RESIDENT_ID)
    retype(qtbot, form.phone, PHONE)
    type_date(qtbot, form.birth, BORN + timedelta(days=1))
    click(qtbot, save)
    await until(lambda: "birth_date" in shown_errors(form.errors), "the birth date message")
    assert shown_errors(form.errors) == {
        "birth_date": "The birth date does not match the one in the ID number."
    }
    assert next_to(form.errors["birth_date"], form.birth)
    await asyncio.sleep(0.3)
    assert form.isVisible() and form.result() != QDialog.DialogCode.Accepted
    assert ui.store.counts() == before and ui.store.pending_count() == outbox

    # ---- the visit form: out-of-range and non-numbers at their fields, nothing saved
    patient, _ = await ui.session.call(
        patients.register, ui.store, PatientInput("钱", "七", gender="female")
    )
    chart = page(qtbot, clinic, "chart", ChartScreen)
    chart.show_patient(patient["id"])
    await until(lambda: chart_ready(chart), "the chart")
    before, outbox = ui.store.counts(), ui.store.pending_count()
    click(qtbot, chart.visit_button)
    dialog = chart.visit_dialog
    for link_id, text in (
        ("chief_complaint", "Palpitations"),
        ("history_present", "Two days"),
        ("assessment", "?"),
        ("plan", "Review"),
    ):
        type_into(qtbot, dialog.answers[link_id], text)
    v = dialog.vitals
    type_into(qtbot, v["systolic"].edit, "900")
    await leave(qtbot, v["systolic"].edit)  # leaving the field checks it
    assert dialog.vital_errors["systolic"].text() == "Must be between 40 and 300 mmHg."
    assert next_to(dialog.vital_errors["systolic"], v["systolic"])
    assert v["systolic"].flag.text() == ""  # no flag for a value that cannot be
    type_into(qtbot, v["diastolic"].edit, "80")
    type_into(qtbot, v["heart_rate"].edit, "fast")
    click(qtbot, dialog.save_button)
    await asyncio.sleep(0.3)
    assert shown_errors(dialog.vital_errors) == {
        "systolic": "Must be between 40 and 300 mmHg.",
        "heart_rate": "Enter a number.",
    }
    assert next_to(dialog.vital_errors["heart_rate"], v["heart_rate"])
    assert dialog.visit is None and dialog.status.text() == ""
    assert ui.store.counts() == before and ui.store.pending_count() == outbox
    # Corrected, the same form saves: the refusal was about those values only.
    retype(qtbot, v["systolic"].edit, "130")
    retype(qtbot, v["heart_rate"].edit, "76")
    click(qtbot, dialog.save_button)
    await until(lambda: dialog.status.text() == "Visit saved.", "the corrected visit")
    assert not shown_errors(dialog.vital_errors)
    assert ui.store.counts()["Observation"] == before.get("Observation", 0) + 3
