"""Printed letters (issue 19): each of prescription, referral, opinion and visit summary renders
as a PDF whose text (read back with pypdf) has the patient's Chinese name and the medicines;
the Chinese font is embedded as a TrueType subset (FontFile2), never a non-embedded CID font;
A4 and A5 pages have their sizes; printing keeps the PDF encrypted as a DocumentReference in the
chart (once for the same letter)."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from pypdf import PdfReader

from clinic_app.clinic import Clinic
from clinic_app.records.documents import digest_of
from clinic_app.records.patient import PatientInput

MM = 72 / 25.4


@pytest.fixture
def chart(store):
    """A patient with a visit (diagnosis I10, vitals), two prescriptions of the visit, an
    allergy, a consult with the specialist's opinion and a referral."""
    clinic = Clinic(store)
    data = PatientInput(family="王", given="秀英", gender="female", birth_date=date(1958, 3, 2))
    pid = clinic.patients.register(data).value["id"]
    visit, _dx = clinic.problems.record_visit(
        diagnoses=["I10"], patient_id=pid, kind="initial-visit",
        answers={"chief_complaint": "头晕、乏力一周", "history_present": "一周前出现头晕。",
                 "assessment": "高血压病", "plan": "两周后复诊。"},
        vitals={"systolic": 172, "diastolic": 104, "heart_rate": 88},
        start=datetime.now().astimezone(), practitioner="李医生", reason="头晕",
    ).value  # fmt: skip
    eid = visit.encounter["id"]
    clinic.allergies.record(patient_id=pid, substance="青霉素", recorder="李医生")
    rx = clinic.medications.prescribe(
        patient_id=pid, formulary_id="amlodipine-5", dosage="每日一次，每次一片",
        requester="李医生", days=14, encounter_id=eid,
    ).value  # fmt: skip
    clinic.medications.prescribe(
        patient_id=pid, formulary_id="metformin-500", dosage="每日两次，饭后",
        requester="李医生", days=30, encounter_id=eid,
    )  # fmt: skip
    consult = clinic.consults.request(
        patient_id=pid, specialty="cardiology", priority="urgent",
        question="血压控制不佳，请协助调整方案。", requester="李医生",
    ).value  # fmt: skip
    opinion = clinic.consults.write_opinion(
        consult_id=consult["id"], conclusion="建议加用厄贝沙坦，两周后复查肾功能。",
        author="张主任",
    ).value  # fmt: skip
    referral = clinic.orders.refer(
        patient_id=pid, specialty="cardiology", priority="urgent",
        reason="需评估靶器官损害。", requester="张主任", based_on=consult["id"],
    ).value  # fmt: skip
    records = {"prescription": rx["id"], "referral": referral["id"],
               "opinion": opinion["id"], "summary": eid}  # fmt: skip
    return clinic, pid, records


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def fonts_of(pdf: bytes) -> list[dict]:
    out = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            out.append(font)
    return out


EXPECTED = {
    "prescription": [
        "处方笺",
        "临床诊断",
        "高血压",
        "苯磺酸氨氯地平片",
        "二甲双胍",
        "14 天",
        "医师签名",
    ],
    "referral": ["转诊单", "心内科", "需评估靶器官损害", "苯磺酸氨氯地平片", "青霉素", "高血压"],
    "opinion": ["会诊意见", "血压控制不佳", "厄贝沙坦", "张主任"],
    "summary": ["就诊小结", "头晕、乏力一周", "172 mmHg", "高血压", "苯磺酸氨氯地平片"],
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_letter_has_the_patient_name_and_its_content_in_chinese(chart, kind):
    clinic, _pid, records = chart
    text = text_of(clinic.letters.render(kind, records[kind], size="A4", lang="zh"))
    assert "王秀英" in text
    for wanted in EXPECTED[kind]:
        assert wanted in text, (kind, wanted)


def test_english_letter_prints_english_words_and_the_recorded_chinese(chart):
    clinic, _pid, records = chart
    text = text_of(clinic.letters.render("prescription", records["prescription"], lang="en"))
    assert "Prescription" in text and "王秀英" in text
    assert "Amlodipine 5 mg tablet" in text and "oral" in text


def test_the_font_is_an_embedded_truetype_subset(chart):
    clinic, _pid, records = chart
    fonts = fonts_of(clinic.letters.render("opinion", records["opinion"]))
    assert fonts
    for font in fonts:
        assert font["/Subtype"] == "/TrueType", font
        assert "/FontFile2" in font["/FontDescriptor"].get_object()
        assert "STSong" not in str(font["/BaseFont"])


@pytest.mark.parametrize(("size", "width_mm", "height_mm"), [("A4", 210, 297), ("A5", 148, 210)])
def test_page_sizes(chart, size, width_mm, height_mm):
    clinic, _pid, records = chart
    pdf = clinic.letters.render("summary", records["summary"], size=size)
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert float(box.width) == pytest.approx(width_mm * MM, abs=1)
    assert float(box.height) == pytest.approx(height_mm * MM, abs=1)


def test_printing_keeps_the_pdf_as_a_document_once(chart):
    clinic, pid, records = chart
    done = clinic.letters.print("prescription", records["prescription"], size="A5")
    printed = done.value
    assert ("DocumentReference", printed.document["id"]) in done.changes.records
    doc = clinic.documents.get(printed.document["id"])
    assert doc["type"]["text"] == "letter"
    assert doc["content"][0]["attachment"]["contentType"] == "application/pdf"
    assert doc["description"].startswith("处方笺")
    assert clinic.documents.content(doc) == printed.pdf  # decrypted from the vault
    again = clinic.letters.print("prescription", records["prescription"], size="A5")
    assert again.value.document["id"] == doc["id"] and not again.changes.touches(
        "DocumentReference"
    )
    letters = [d for d in clinic.documents.current(pid) if d["type"]["text"] == "letter"]
    assert [digest_of(d) for d in letters] == [digest_of(doc)]
    listed = clinic.patients.chart_view(pid).attachments
    assert doc["id"] in [d["id"] for d in listed]


def test_the_choices_of_a_chart_group_the_prescriptions_of_a_visit(chart):
    clinic, pid, records = chart
    found = clinic.letters.choices(pid)
    kinds = sorted(c.kind for c in found)
    assert kinds == ["opinion", "prescription", "referral", "summary"]
    rx = next(c for c in found if c.kind == "prescription")
    assert rx.record_id == records["prescription"] and "二甲双胍" in rx.text


def test_a_pdf_in_clear_is_never_written_to_the_profile(chart):
    clinic, _pid, records = chart
    printed = clinic.letters.print("referral", records["referral"]).value
    folder = clinic.profile.folder
    marker = printed.pdf[:400]
    for path in folder.rglob("*"):
        if path.is_file():
            assert b"%PDF" not in path.read_bytes()[:8], path
            assert marker not in path.read_bytes(), path


def test_a_medicine_only_the_platform_has_is_named_as_the_platform_names_it(store):
    """The formulary in force (the platform's synced Medication records) names medicines in
    letters and queries: an entry the packaged starter list lacks, later renamed on the
    platform, prints under its new Chinese name and is found by it."""
    from clinic_app.clinical.medication_formulary import Entry, starter
    from clinic_app.services.writes import save_all

    clinic = Clinic(store)
    added = Entry(id="dapagliflozin-10", atc="A10BK01", ingredient_en="dapagliflozin",
                  ingredient_zh="达格列净", strength_value=10, strength_unit="mg",
                  form="film-coated tablet", name_zh="达格列净片 10mg",
                  name_en="Dapagliflozin tablets 10 mg")  # fmt: skip
    assert starter().get(added.id) is None and not starter().search("达格列净")
    synced = [e.medication() for e in starter().entries] + [added.medication()]
    clinic.run(lambda: save_all(store, synced))  # as a sync pulls them
    data = PatientInput(family="赵", given="建国", gender="male", birth_date=date(1961, 7, 9))
    pid = clinic.patients.register(data).value["id"]
    rx = clinic.medications.prescribe(patient_id=pid, formulary_id=added.id,
                                      dosage="每日一次，每次一片", requester="李医生",
                                      days=30).value  # fmt: skip
    # The administrator renames it on the platform; the workstation pulls the new record.
    renamed = dict(added.medication(), id=synced[-1]["id"])
    renamed["code"] = dict(renamed["code"], text="安达唐（达格列净片）10mg")
    clinic.run(lambda: save_all(store, [renamed]))

    text = text_of(clinic.letters.render("prescription", rx["id"]))
    assert "安达唐（达格列净片）10mg" in text and "赵建国" in text
    english = text_of(clinic.letters.render("prescription", rx["id"], lang="en"))
    assert "Dapagliflozin tablets 10 mg" in english and "oral" in english
    query = {"match": "all", "conditions": [{"kind": "medicine", "text": "安达唐"}]}
    assert [r.patient_id for r in clinic.queries.run(query).rows] == [pid]


@pytest.fixture
def patient(store):
    clinic = Clinic(store)
    data = PatientInput(family="陈", given="桂芳", gender="female", birth_date=date(1950, 5, 6))
    return clinic, clinic.patients.register(data).value["id"]


def prescribed(clinic, pid, medication, dosage="每日一次，每次一片", **fields):
    return clinic.medications.prescribe(patient_id=pid, medication=medication, dosage=dosage,
                                        requester="李医生", days=30, **fields).value  # fmt: skip


def table_rows(letter):
    table = next(s.table for s in letter.sections if s.table)
    return table[1:]


def test_a_recognised_free_text_medicine_is_named_by_the_formulary_in_the_letters_language(
    patient,
):
    """Free text "氨氯地平片 5mg" is the formulary's amlodipine 5 mg tablet: the
    English letter names it in English (never the Chinese as written), the Chinese one by the
    formulary's Chinese name; a tablet is taken by mouth. The dose written in Chinese stays as
    written."""
    clinic, pid = patient
    rx = prescribed(clinic, pid, "氨氯地平片 5mg")
    english = text_of(clinic.letters.render("prescription", rx["id"], lang="en", size="A5"))
    assert "Amlodipine 5 mg tablet" in english
    assert "氨氯地平" not in english
    assert "oral" in english and "每日一次，每次一片" in english
    chinese = text_of(clinic.letters.render("prescription", rx["id"], lang="zh", size="A5"))
    assert "苯磺酸氨氯地平片 5mg" in chinese and "口服" in chinese
    visit = clinic.letters.letter("summary", _visit_with(clinic, pid, "氨氯地平片 5mg"), lang="en")
    assert table_rows(visit)[0][0] == "Amlodipine 5 mg tablet"
    assert table_rows(visit)[0][2] == "oral"


def _visit_with(clinic, pid, medication):
    visit, _dx = clinic.problems.record_visit(
        diagnoses=["I10"], patient_id=pid, kind="follow-up",
        answers={"progress": "improved", "adherence": True, "plan": "继续目前治疗。"},
        vitals={"systolic": 150}, start=datetime.now().astimezone(), practitioner="李医生",
    ).value  # fmt: skip
    eid = visit.encounter["id"]
    prescribed(clinic, pid, medication, encounter_id=eid, override_reason="换用")
    return eid


def test_nothing_recognised_prints_the_medicine_as_written(patient):
    clinic, pid = patient
    rx = prescribed(clinic, pid, "复方甘草片", dosage="每日三次，每次两片")
    for lang in ("en", "zh"):
        letter = clinic.letters.letter("prescription", rx["id"], lang=lang)
        assert table_rows(letter) == [
            [
                "复方甘草片",
                "每日三次，每次两片",
                "口服" if lang == "zh" else "oral",
                "30 天" if lang == "zh" else "30 days",
            ]
        ]
    text = text_of(clinic.letters.render("prescription", rx["id"], lang="en"))
    assert "复方甘草片" in text and "每日三次，每次两片" in text


def test_a_strength_the_formulary_lacks_is_not_named_as_another_strength(patient):
    """Amlodipine 2.5 mg is not the formulary's 5 or 10 mg tablet: the English letter names
    the ingredient with the strength written, the text as written beside it."""
    clinic, pid = patient
    rx = prescribed(clinic, pid, "氨氯地平片 2.5mg")
    [row] = table_rows(clinic.letters.letter("prescription", rx["id"], lang="en"))
    assert row[0] == "Amlodipine 2.5mg (氨氯地平片 2.5mg)" and row[2] == "oral"
    [row] = table_rows(clinic.letters.letter("prescription", rx["id"], lang="zh"))
    assert row[0] == "氨氯地平片 2.5mg"


def test_route_and_structured_dose_are_printed_in_the_letters_language(patient):
    """A coded route wins over the form; an injection's route is not guessed from its form;
    a structured dose prints in the letter's language, the dose as written beside it when
    written in the other language."""
    from clinic_app.records.dosage import Dose

    clinic, pid = patient
    insulin = prescribed(clinic, pid, "", formulary_id="insulin-glargine",
                         dosage="睡前皮下注射10单位",
                         dose=Dose(route="subcutaneous", frequency=1, amount=10, unit="IU",
                                   when=("HS",)))  # fmt: skip
    prescribed(clinic, pid, "", formulary_id="insulin-human-regular", dosage="餐前皮下注射",
               override_reason="两种胰岛素")  # fmt: skip
    prescribed(
        clinic,
        pid,
        "",
        formulary_id="metformin-500",
        dosage="bid pc",
        dose=Dose(route="oral", frequency=2, amount=1, unit="tablet", when=("PC",)),
    )
    english = {r[0]: r for r in table_rows(clinic.letters.letter("prescription", insulin["id"],
                                                                 lang="en"))}  # fmt: skip
    assert english["Insulin glargine 100 IU/mL injection"][1:3] == [
        "10 IU once daily, at bedtime\n(睡前皮下注射10单位)", "subcutaneous"]  # fmt: skip
    assert english["Human insulin (regular) 100 IU/mL injection"][2] == "—"
    assert english["Metformin 500 mg tablet"][1:3] == ["bid pc", "oral"]
    chinese = {r[0]: r for r in table_rows(clinic.letters.letter("prescription", insulin["id"],
                                                                 lang="zh"))}  # fmt: skip
    assert chinese["甘精胰岛素注射液 100IU/ml"][1:3] == ["睡前皮下注射10单位", "皮下注射"]
    assert chinese["盐酸二甲双胍片 0.5g"][1:3] == ["每日2次，每次1片，饭后\n(bid pc)", "口服"]
    text = text_of(clinic.letters.render("prescription", insulin["id"], lang="en"))
    assert "subcutaneous" in text and "at bedtime" in text


def test_the_demo_letters_name_the_medicines_in_english_with_their_route(store):
    from clinic_app import demo_data

    clinic = Clinic(store)
    demo_data.generate(clinic, 6)
    demo_data.add_showcase(clinic)
    pid = demo_data.showcase_patient(clinic)
    found = [c for c in clinic.letters.choices(pid) if c.kind == "prescription"]
    assert any("氨氯地平片 5mg" in c.text for c in found)  # the generated free text
    for choice in found:
        for row in table_rows(clinic.letters.letter("prescription", choice.record_id, lang="en")):
            name, dosage, route, _amount = row
            assert not any(ord(ch) >= 0x2E80 for ch in name), row
            assert route == "oral", row
            assert dosage.startswith("1 "), row  # the structured dose, in English
