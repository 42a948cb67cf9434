"""Realistic synthetic clinic data: Chinese and English names, years of visits and vitals, consults.

Everything is invented (names drawn from common surnames and given-name characters, valid but
fictional resident ID numbers). Deterministic for a given seed.

The entry points take an open :class:`~clinic_app.clinic.Clinic` (``clinic-app demo-data``,
``make demo``, the screenshots and benchmarks drive it, never the store):

- :func:`generate`: patients with years of history;
- :func:`add_demo_conflicts`: two sync conflicts to resolve;
- :func:`showcase_patient`, :func:`first_visit`, :func:`add_follow_up`: what the screenshots
  pick and add;
- :func:`add_showcase_medications`: a prescription superseded by a higher dose (amlodipine
  5 -> 10 mg, ``priorPrescription``), a medicine taken from elsewhere and a warning signed past
  with a reason, through ``clinic.medications`` as a clinician would;
- :func:`mark_refused` / :func:`unmark_refused`: changes shown as refused by the central
  platform, and back to waiting.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from clinic_app.records import allergies, clinical, conditions, forms, orders
from clinic_app.records import encounter as enc
from clinic_app.records.common import Resource, patient_of
from clinic_app.records.dosage import Dose
from clinic_app.records.identity import make_resident_id
from clinic_app.records.patient import Address, PatientInput
from clinic_app.records.schedule import appointment, follow_up
from clinic_app.records.vitals import vital_observation
from clinic_app.services.writes import item, save, save_all
from clinic_app.sync import demo as sync_demo
from clinic_app.sync.merge import DELETED_THERE
from local_store.sync_ledger import SyncLedger

if TYPE_CHECKING:
    from clinic_app.clinic import Clinic

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国文辉鹏飞海燕志"
    "强玲丹丽华建华春梅金凤宇浩然子涵欣怡梓轩雨桐佳怡俊杰晓东小红淑珍桂芳德明永福"
)
EN_GIVEN = ["James", "Mary", "John", "Emma", "David", "Sarah", "Michael", "Anna", "Peter",
            "Laura", "Thomas", "Grace"]  # fmt: skip
EN_FAMILY = ["Smith", "Brown", "Wilson", "Taylor", "Anderson", "Martin", "Clark", "Walker",
             "Hall", "Young"]  # fmt: skip
PLACES = [
    ("530000", "云南省", "昭通市", "镇雄县", "530627"),
    ("520000", "贵州省", "毕节市", "威宁县", "520526"),
    ("620000", "甘肃省", "定西市", "岷县", "621126"),
    ("510000", "四川省", "凉山州", "昭觉县", "513431"),
    ("430000", "湖南省", "湘西州", "花垣县", "433124"),
    ("450000", "广西壮族自治区", "百色市", "凌云县", "451027"),
]
VILLAGES = ["新华村", "团结村", "红星村", "和平村", "光明村", "向阳村", "东风村", "幸福村"]
COMPLAINTS = ["头晕、乏力一周", "血压控制不佳", "口渴多饮三个月", "咳嗽咳痰两周", "胸闷气短",
              "皮疹伴瘙痒", "关节疼痛", "Headache for 3 days", "Fever and cough"]  # fmt: skip
QUESTIONS = [
    "患者血压长期控制不佳，三种降压药联用仍在160/100左右，请协助调整方案。",
    "空腹血糖波动大，是否需要起始胰岛素治疗？",
    "心电图提示ST段改变，请评估是否需要转诊。",
    "Rash not responding to topical steroids for 4 weeks; please advise.",
    "胸片示右下肺阴影，请放射科会诊。",
]
DOCTORS = ["李建国医生", "王秀英医生", "Dr. Chen"]
# The demo's prescriptions carry their dose structured too (route, timing, amount), as the
# dose written in Chinese says: one tablet a day by mouth; one capsule before breakfast.
ONE_TABLET_DAILY = Dose(route="oral", frequency=1, amount=1, unit="tablet")
ONE_CAPSULE_BEFORE_BREAKFAST = Dose(route="oral", frequency=1, amount=1, unit="capsule",
                                    when=("ACM",))  # fmt: skip


@dataclass
class DemoSummary:
    patients: int
    records: int


def _name(rng: random.Random) -> tuple[str, str, bool]:
    if rng.random() < 0.06:
        return rng.choice(EN_FAMILY), rng.choice(EN_GIVEN), False
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES), given, True


def _patient(rng: random.Random, today: date) -> PatientInput:
    family, given, chinese = _name(rng)
    born = today - timedelta(days=rng.randint(18 * 365, 88 * 365))
    _, province, city, county, region = rng.choice(PLACES)
    gender = rng.choice(("male", "female"))
    seq = rng.randint(0, 499) * 2 + (1 if gender == "male" else 0)
    data = PatientInput(
        family=family,
        given=given,
        gender=gender,
        birth_date=born,
        phone=f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
        address=Address(
            line=f"{rng.choice(VILLAGES)}{rng.randint(1, 12)}组",
            district=county,
            city=city,
            province=province,
        ),
    )
    if chinese:
        data.resident_id = make_resident_id(region, born, seq)
    return data


def _patient_records(rng: random.Random, today: date, years: int) -> Iterator[Resource]:
    data = _patient(rng, today)
    patient = data.to_fhir()
    pid = patient["id"]
    yield patient
    hypertensive = rng.random() < 0.45
    diabetic = rng.random() < 0.2
    # Problem list coded with ICD-10 (I10 hypertension, E11.9 type 2 diabetes) and allergies:
    # penicillin for some, a dated "no known allergies" statement for others.
    doctor_on_file = DOCTORS[0]
    onset = today - timedelta(days=365 * rng.randint(1, 12))
    if hypertensive:
        yield conditions.problem(patient_id=pid, code="I10", recorder=doctor_on_file,
                                 recorded=today, onset=onset)  # fmt: skip
    if diabetic:
        yield conditions.problem(patient_id=pid, code="E11.9", recorder=doctor_on_file,
                                 recorded=today, onset=onset)  # fmt: skip
    draw = rng.random()
    if draw < 0.15:
        substance = rng.choice(["青霉素", "青霉素", "磺胺类", "Aspirin"])
        yield allergies.allergy(patient_id=pid, substance=substance, reaction="皮疹",
                                severity="moderate", criticality="high", recorder=doctor_on_file,
                                recorded=today)  # fmt: skip
    elif draw < 0.6:
        yield allergies.no_known_allergies(patient_id=pid, recorder=doctor_on_file,
                                           recorded=today)  # fmt: skip
    visits = rng.randint(1, 3 + years * (4 if hypertensive or diabetic else 1))
    start = datetime.combine(today - timedelta(days=rng.randint(30, 365 * years)),
                             datetime.min.time()).astimezone()  # fmt: skip
    gap = max(14, ((datetime.now().astimezone() - start).days) // max(visits, 1))
    sbp = rng.gauss(150 if hypertensive else 122, 8)
    glucose = rng.gauss(8.5 if diabetic else 5.3, 0.6)
    weight = rng.gauss(62, 9)
    doctor = rng.choice(DOCTORS)
    last_encounter = ""
    for n in range(visits):
        when = start + timedelta(days=n * gap + rng.randint(0, 5), hours=8 + rng.randint(0, 8))
        if when > datetime.now().astimezone():
            break
        kind = "initial-visit" if n == 0 else "follow-up"
        e = enc.encounter(patient_id=pid, kind=kind, start=when, practitioner=doctor,
                          reason=rng.choice(COMPLAINTS))  # fmt: skip
        last_encounter = e["id"]
        yield e
        if kind == "initial-visit":
            answers: dict[str, object] = {
                       "chief_complaint": rng.choice(COMPLAINTS), "history_present": "详见主诉。",
                       "smoking": rng.choice(["never", "former", "current"]),
                       "assessment": "待查", "plan": "完善检查，随访。"}  # fmt: skip
        else:
            answers = {"progress": rng.choice(["improved", "unchanged", "worse"]),
                       "adherence": rng.random() < 0.8, "plan": "继续目前治疗。"}  # fmt: skip
        yield forms.build_response(forms.definition(kind), answers, patient_id=pid,
                                   encounter_id=e["id"], authored=when, author=doctor)  # fmt: skip
        sbp = min(230.0, max(95.0, sbp + rng.gauss(-0.8 if hypertensive else 0, 6)))
        vitals: dict[str, float] = {
            "systolic": round(sbp),
            "diastolic": round(min(sbp - 25, max(55, sbp * 0.62 + rng.gauss(0, 4)))),
            "heart_rate": round(rng.gauss(76, 9)),
            "temperature": round(rng.gauss(36.6, 0.3), 1),
            "weight": round(max(35.0, weight + rng.gauss(0, 1.2)), 1),
        }
        if diabetic or rng.random() < 0.2:
            glucose = min(25.0, max(3.2, glucose + rng.gauss(-0.05, 0.8)))
            vitals["glucose_mmol"] = round(glucose, 1)
        if diabetic and n % 2 == 1:  # HbA1c every other visit, from the glucose (no draw, so
            # the rest of the demo stays as it was): ADAG, mean glucose = 1.59 x A1c - 2.59
            vitals["hba1c"] = round(min(14.0, max(4.5, (glucose + 2.59) / 1.59)), 1)
        if rng.random() < 0.3:
            vitals["spo2"] = round(min(100, rng.gauss(97, 1.5)))
        for key, value in vitals.items():
            yield vital_observation(key, value, patient_id=pid, effective=when,
                                    encounter_id=e["id"], performer=doctor)  # fmt: skip
    if hypertensive:
        yield clinical.medication_request(patient_id=pid, medication="氨氯地平片 5mg",
                                          dosage="每日一次，每次一片", requester=doctor,
                                          authored=datetime.now().astimezone(), days=30,
                                          encounter_id=last_encounter or None,
                                          dose=ONE_TABLET_DAILY)  # fmt: skip
    if rng.random() < 0.12:
        sr = orders.consult_request(
            patient_id=pid,
            specialty=rng.choice(["cardiology", "endocrinology", "dermatology", "radiology"]),
            priority=rng.choice(["routine", "routine", "urgent"]),
            question=rng.choice(QUESTIONS),
            requester=doctor,
            authored=datetime.now().astimezone() - timedelta(days=rng.randint(0, 20)),
        )
        yield sr
        slot = datetime.combine(today + timedelta(days=rng.randint(1, 10)),
                                datetime.min.time()).astimezone() + timedelta(
            hours=rng.randint(9, 16))  # fmt: skip
        yield appointment(patient_id=pid, start=slot, practitioner="专家门诊",
                          description="远程会诊", based_on=sr["id"])  # fmt: skip
    if hypertensive or diabetic:
        plan, task = follow_up(patient_id=pid, due=today + timedelta(days=rng.randint(0, 45)),
                               description="慢病随访", author=doctor,
                               created=datetime.now().astimezone())  # fmt: skip
        yield plan
        yield task


def generate(clinic: Clinic, patients: int, seed: int = 2026, years: int = 5) -> DemoSummary:
    """Write ``patients`` patients with their history, a few hundred per transaction."""
    store = clinic.store
    rng = random.Random(seed)
    today = date.today()
    total = 0
    batch: list[Resource] = []
    for n in range(patients):
        batch.extend(_patient_records(rng, today, years))
        if (n + 1) % 200 == 0 or n + 1 == patients:
            store.put_many(item(r) for r in batch)
            total += len(batch)
            batch = []
    return DemoSummary(patients, total)


def add_demo_conflicts(clinic: Clinic) -> None:
    """Two sync conflicts for the screenshots: one field conflict on a patient and one
    edit-against-deletion on an appointment."""
    store = clinic.store
    ledger = SyncLedger(store)
    patient = store.page("Patient", 3, 1)[0]
    base = dict(patient)

    def moved(line: str) -> list[dict[str, object]]:
        address = dict((patient.get("address") or [{}])[0])
        place = "".join(str(address.get(k, "")) for k in ("state", "city", "district"))
        return [address | {"line": [line], "text": f"{place}{line}"}]

    local = dict(patient) | {
        "telecom": [{"system": "phone", "value": "13800001111", "use": "mobile"}],
        "address": moved("幸福村3组"),
    }
    save(store, local)
    local = store.get("Patient", patient["id"])
    remote = dict(base) | {
        "telecom": [{"system": "phone", "value": "13900002222", "use": "mobile"}],
        "address": moved("光明村7组"),
        "gender": base.get("gender"),
    }
    ledger.add_conflict(
        rtype="Patient",
        record_id=patient["id"],
        fields=["address", "telecom"],
        base=base,
        local=local,
        local_deleted=False,
        remote_version=int(base["meta"]["versionId"]) + 1,
        remote=remote,
        remote_deleted=False,
    )
    appt = store.find("Appointment")[0]
    changed = dict(appt) | {"description": "远程会诊（改为视频）"}
    save(store, changed)
    ledger.add_conflict(
        rtype="Appointment",
        record_id=appt["id"],
        fields=[DELETED_THERE],
        base=appt,
        local=store.get("Appointment", appt["id"]),
        local_deleted=False,
        remote_version=int(appt["meta"]["versionId"]) + 1,
        remote=None,
        remote_deleted=True,
    )


def showcase_patient(clinic: Clinic) -> str:
    """The patient with the most vital-sign readings (ties: the one with prescriptions)."""
    store = clinic.store
    counts: dict[str, int] = {}
    for obs in store.find("Observation"):
        pid = patient_of(obs)
        if pid:
            counts[pid] = counts.get(pid, 0) + 1
    treated = {patient_of(m) for m in store.find("MedicationRequest")}
    return max(counts, key=lambda pid: (pid in treated, counts[pid]))


def add_showcase_problems(clinic: Clinic, patient_id: str) -> None:
    """Entry point for screenshots and demos: give one patient the coded problems and the
    allergy every screen should show (hypertension I10, type 2 diabetes E11.9, penicillin),
    through the services, so a no-known-allergies statement is replaced as in real use."""
    from clinic_app.records import allergies as allergy_records
    from clinic_app.records import conditions as condition_records

    active, _ = condition_records.problem_list(clinic.problems.of_patient(patient_id))
    listed = {condition_records.icd10_code(c) for c in active}
    for code in ("I10", "E11.9"):
        if code not in listed:
            clinic.problems.add(patient_id=patient_id, code=code, recorder=DOCTORS[0],
                                onset=date.today() - timedelta(days=3 * 365))  # fmt: skip
    _, current = allergy_records.current(clinic.allergies.of_patient(patient_id))
    if not any(allergy_records.substance(a) == "青霉素" for a in current):
        clinic.allergies.record(patient_id=patient_id, substance="青霉素", recorder=DOCTORS[0],
                                reaction="皮疹", severity="moderate",
                                criticality="high")  # fmt: skip


OVERRIDE_REASON = "既往消化道出血，需抑酸保护胃黏膜；已告知患者，两周后复查"


def add_showcase_medications(clinic: Clinic, patient_id: str) -> None:
    """Entry point for screenshots and demos: amlodipine 5 mg prescribed three months ago then
    raised to 10 mg (the 5 mg one completed, the 10 mg one pointing at it), clopidogrel taken
    from the county hospital, and omeprazole prescribed past its interaction warning with the
    reason recorded. Through the medication service, so the checks run as in real use; done
    once per patient."""
    from clinic_app.services.orders import MedicationWarnings

    listed = clinic.medications.medication_list(patient_id)
    if any("amlodipine-10" in str(line.resource.get("medicationCodeableConcept"))
           for line in listed.lines):  # fmt: skip
        return
    now = datetime.now().astimezone().replace(microsecond=0)
    doctor = DOCTORS[0]

    def prescribe(formulary_id: str, dosage: str, days: int, authored: datetime,
                  reason: str | None = None, dose: Dose = ONE_TABLET_DAILY) -> None:  # fmt: skip
        try:
            clinic.medications.prescribe(
                patient_id=patient_id, formulary_id=formulary_id, dosage=dosage,
                requester=doctor, days=days, authored=authored, override_reason=reason,
                dose=dose,
            )  # fmt: skip
        except MedicationWarnings:  # e.g. an allergy in the generated history: a reason
            clinic.medications.prescribe(
                patient_id=patient_id, formulary_id=formulary_id, dosage=dosage,
                requester=doctor, days=days, authored=authored,
                override_reason=reason or OVERRIDE_REASON, dose=dose,
            )  # fmt: skip

    if not any(line.drug is not None and line.drug.ingredient == "amlodipine"
               for line in listed.current):  # fmt: skip
        prescribe("amlodipine-5", "每日一次，每次一片", 90, now - timedelta(days=90))
    prescribe("amlodipine-10", "每日一次，每次一片", 90, now - timedelta(days=2))
    clinic.medications.record_taken(
        patient_id=patient_id, recorded_by=doctor, formulary_id="clopidogrel-75",
        dosage="每日一次，每次一片", source="县医院心内科",
    )  # fmt: skip
    prescribe(
        "omeprazole-20",
        "每日一次，早餐前",
        14,
        now - timedelta(days=1),
        OVERRIDE_REASON,
        ONE_CAPSULE_BEFORE_BREAKFAST,
    )


def add_showcase(clinic: Clinic) -> None:
    """The showcase patient's coded problems, allergy and medicines (``clinic-app demo-data``)."""
    if not clinic.store.counts().get("Observation"):
        return
    pid = showcase_patient(clinic)
    add_showcase_problems(clinic, pid)
    add_showcase_medications(clinic, pid)
    add_showcase_hba1c(clinic, pid)


SHOWCASE_HBA1C = (8.2, 6.6)  # %: the showcase patient not controlled, another diabetic is


def add_showcase_hba1c(clinic: Clinic, patient_id: str) -> None:
    """Entry point for screenshots and demos: HbA1c on the diabetes register one way and the
    other, taken yesterday (so it is each patient's latest): the showcase patient's 8.2 % (not
    controlled: < 7 % is the target) and another patient with type 2 diabetes 6.6 %
    (controlled); done once."""
    from clinic_app.records import conditions as condition_records

    def values(pid: str) -> list[float]:
        return [float((o.get("valueQuantity") or {}).get("value") or 0)
                for o in clinic.visits.vitals_series(pid, "hba1c")]  # fmt: skip

    if SHOWCASE_HBA1C[0] in values(patient_id):
        return
    when = datetime.now().astimezone().replace(microsecond=0) - timedelta(days=1)
    clinic.visits.add_vitals(patient_id=patient_id, vitals={"hba1c": SHOWCASE_HBA1C[0]},
                             effective=when, performer=DOCTORS[0])  # fmt: skip
    diabetic = sorted({
        pid for c in clinic.store.find("Condition")
        if (condition_records.icd10_code(c) or "").startswith("E11")
        and (pid := patient_of(c)) and pid != patient_id
    })  # fmt: skip
    if diabetic:
        clinic.visits.add_vitals(patient_id=diabetic[0], vitals={"hba1c": SHOWCASE_HBA1C[1]},
                                 effective=when, performer=DOCTORS[0])  # fmt: skip


def first_visit(clinic: Clinic) -> tuple[Resource, list[Resource]]:
    """The earliest visit of the profile and its form answers and vital signs."""
    store = clinic.store
    encounter = min(store.find("Encounter"), key=lambda e: str(e["period"]["start"]))
    pid = str(patient_of(encounter))
    linked = [
        r
        for rtype in ("QuestionnaireResponse", "Observation")
        for r in store.find(rtype, patient_id=pid)
        if (r.get("encounter") or {}).get("reference") == f"Encounter/{encounter['id']}"
    ]
    return encounter, linked


def add_follow_up(clinic: Clinic, *, patient_id: str, due: date, description: str, author: str,
                  created: datetime) -> tuple[Resource, Resource]:  # fmt: skip
    """A follow-up planned on ``created`` (in the past, for an overdue reminder)."""
    plan, task = follow_up(patient_id=patient_id, due=due, description=description,
                           author=author, created=created)  # fmt: skip
    clinic.run(lambda: save_all(clinic.store, [plan, task]), reason="demo follow-up")
    return plan, task


def mark_refused(clinic: Clinic) -> int:
    """The newest waiting change of a vital sign and of a patient's details marked refused the
    way the central platform answers (nothing is sent). Returns how many are in error."""
    return sync_demo.mark_refused(clinic.store)


def unmark_refused(clinic: Clinic) -> int:
    """Every change in error waits again (as before :func:`mark_refused`)."""
    return sync_demo.unmark_refused(clinic.store)
