"""Chronic-disease registers of the national basic public-health programme (国家基本公共卫生服务):
hypertension and type 2 diabetes, who is due or overdue for follow-up, who is not controlled,
and the follow-up and control rates per month. No Qt, no store: it reads FHIR resources.

Who is on a register
    A patient with an active Condition (problem or diagnosis, not entered in error, not resolved
    or inactive) coded ICD-10 I10–I15 (hypertension) or E11 (type 2 diabetes), by code prefix.
    For a past month, the Condition counts from its onset (or, without one, its recorded date)
    and until its abatement.

Follow-up (国家基本公共卫生服务规范（第三版）, 2017: at least four face-to-face follow-ups a
year, i.e. one per quarter)
    A *follow-up contact* is a visit (an Encounter that is not cancelled or entered in error,
    at its start) or a completed follow-up Task (at its end). With ``days`` the whole days from
    the last contact to today:

    - ``overdue``: no contact at all, or ``days > 90``;
    - ``due``: ``76 <= days <= 90`` (the quarter ends within 14 days), or an open follow-up
      Task is due today or earlier;
    - ``ok``: otherwise.

    "Followed up in the last N days" (the query builder's condition) is ``days <= N``, so "no
    follow-up in 90 days" is exactly ``overdue``.

Control, from the patient's latest readings (final or amended Observations)
    - Hypertension (国家基层高血压防治管理指南 2020): controlled when the latest systolic is
      < 140 mmHg and the latest diastolic < 90 mmHg; uncontrolled when either is at or above.
    - Type 2 diabetes (国家基层糖尿病防治管理指南 2022: HbA1c < 7 %, fasting glucose 4.4–7.0
      mmol/L): the latest HbA1c (LOINC 4548-4 in %, or 59261-8 in IFCC mmol/mol, converted by
      the IFCC-NGSP master equation) when one was taken within the last
      ``HBA1C_VALID_DAYS`` (183, six months: the guideline measures HbA1c every 3-6 months)
      up to the day asked about: controlled when < 7.0 %, uncontrolled at or above. Without
      a recent HbA1c, the latest blood glucose (LOINC 15074-8 mmol/L, 2339-0 mg/dL): controlled
      when <= 7.0 mmol/L (126 mg/dL), uncontrolled above; readings are taken as fasting (the
      visit form asks for a fasting value).
    - ``unknown``: no reading.

Monthly rates (as the programme reports them), for each month's last day D
    - patients: on the register at D;
    - follow-up rate: of those, the share with a contact within the 90 days up to D;
    - control rate: of those, the share whose latest reading up to D is controlled (a patient
      without a reading is not controlled: the denominator is everyone managed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from clinic_app.records import conditions as cond
from clinic_app.records.common import patient_of
from clinic_app.records.encounter import visit_kind
from clinic_app.records.patient import age_on, display_name
from clinic_app.records.schedule import task_due
from clinic_app.records.vitals import hba1c_percent, vital_key

Resource = dict[str, Any]
Register = Literal["hypertension", "diabetes"]
FollowUp = Literal["ok", "due", "overdue"]
Control = Literal["controlled", "uncontrolled", "unknown"]

REGISTERS: dict[str, tuple[str, ...]] = {
    "hypertension": ("I10", "I11", "I12", "I13", "I14", "I15"),
    "diabetes": ("E11",),
}
FOLLOW_UP_DAYS = 90
DUE_WINDOW_DAYS = 14
BP_TARGET = (140.0, 90.0)  # controlled below both (mmHg)
GLUCOSE_TARGET_MMOL = 7.0  # controlled at or below
GLUCOSE_TARGET_MGDL = 126.0
HBA1C_TARGET = 7.0  # %, controlled below
HBA1C_VALID_DAYS = 183  # an HbA1c older than about six months no longer decides control
SOURCES = (
    "国家基本公共卫生服务规范（第三版），国家卫生计生委，2017",
    "国家基层高血压防治管理指南（2020版）",
    "国家基层糖尿病防治管理指南（2022）：HbA1c < 7 %，空腹血糖 4.4–7.0 mmol/L",
    "Hoelzel W et al. IFCC reference system for HbA1c. Clin Chem 2004;50:166-174 (master "
    "equation NGSP % = 0.09148 x IFCC mmol/mol + 2.152)",
)
_LIVE_OBS = ("final", "amended", "corrected")
_RECORD_TYPES = ("Patient", "Condition", "Observation", "Encounter", "QuestionnaireResponse",
                 "Task", "MedicationRequest", "MedicationStatement")  # fmt: skip


@dataclass(frozen=True)
class Reading:
    key: str
    value: float
    when: datetime


@dataclass
class PatientRecords:
    """One patient's records the registers and queries read."""

    patient: Resource
    conditions: list[Resource] = field(default_factory=list)
    observations: list[Resource] = field(default_factory=list)
    encounters: list[Resource] = field(default_factory=list)
    responses: list[Resource] = field(default_factory=list)
    tasks: list[Resource] = field(default_factory=list)
    medications: list[Resource] = field(default_factory=list)
    _readings: dict[str, list[Reading]] | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return str(self.patient["id"])

    def all_readings(self) -> dict[str, list[Reading]]:
        """Every vital sign's values, oldest first (worked out once)."""
        if self._readings is None:
            found: dict[str, list[Reading]] = {}
            for obs in self.observations:
                key = vital_key(obs) if obs.get("status") in _LIVE_OBS else None
                when = moment(obs.get("effectiveDateTime"))
                value = (obs.get("valueQuantity") or {}).get("value")
                if key is not None and when is not None and value is not None:
                    found.setdefault(key, []).append(Reading(key, float(value), when))
            for values in found.values():
                values.sort(key=lambda r: r.when)
            self._readings = found
        return self._readings


RECORD_TYPES = _RECORD_TYPES
_SLOTS = {"Condition": "conditions", "Observation": "observations", "Encounter": "encounters",
          "QuestionnaireResponse": "responses", "Task": "tasks",
          "MedicationRequest": "medications", "MedicationStatement": "medications"}  # fmt: skip


def group(resources: Iterable[Resource]) -> dict[str, PatientRecords]:
    """Records (of :data:`RECORD_TYPES`, any order) grouped by patient."""
    patients: dict[str, PatientRecords] = {}
    others: list[tuple[str, Resource]] = []
    for res in resources:
        rtype = res.get("resourceType")
        if rtype == "Patient":
            patients[str(res["id"])] = PatientRecords(res)
        elif rtype in _SLOTS:
            pid = patient_of(res)
            if pid:
                others.append((pid, res))
    for pid, res in others:
        owner = patients.get(pid)
        if owner is not None:
            getattr(owner, _SLOTS[str(res["resourceType"])]).append(res)
    return patients


def moment(text: str | None) -> datetime | None:
    """An ISO date or time from a record as an aware local time (a date: its midnight)."""
    if not text:
        return None
    try:
        if len(text) <= 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time()).astimezone()
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone()  # a time without offset is local


def readings(records: PatientRecords, key: str, until: date | None = None) -> list[Reading]:
    """The patient's values of one vital sign (oldest first), up to ``until`` included."""
    found = records.all_readings().get(key, [])
    return found if until is None else [r for r in found if r.when.date() <= until]


def latest(records: PatientRecords, key: str, until: date | None = None) -> Reading | None:
    found = readings(records, key, until)
    return found[-1] if found else None


def latest_glucose(records: PatientRecords, until: date | None = None) -> Reading | None:
    """The newest blood glucose reading in either unit."""
    found = [r for k in ("glucose_mmol", "glucose_mgdl") if (r := latest(records, k, until))]
    return max(found, key=lambda r: r.when) if found else None


def latest_hba1c(records: PatientRecords, until: date | None = None) -> Reading | None:
    """The newest HbA1c in either unit, as a percentage (key ``hba1c``)."""
    found = [r for k in ("hba1c", "hba1c_ifcc") if (r := latest(records, k, until))]
    if not found:
        return None
    newest = max(found, key=lambda r: r.when)
    return Reading("hba1c", hba1c_percent(newest.key, newest.value), newest.when)


def recent_hba1c(records: PatientRecords, day: date) -> Reading | None:
    """The newest HbA1c up to ``day`` if taken within :data:`HBA1C_VALID_DAYS` of it."""
    found = latest_hba1c(records, day)
    if found is None or (day - found.when.date()).days > HBA1C_VALID_DAYS:
        return None
    return found


# ---- registers --------------------------------------------------------------------------
def is_active(condition: Resource, day: date | None = None) -> bool:
    """Active (on ``day``: begun by then and not yet abated); never when entered in error."""
    if cond.status_of(condition) in ("resolved", "inactive", "remission"):
        abated = moment(condition.get("abatementDateTime"))
        if day is None or abated is None or abated.date() <= day:
            return False
    verification = (condition.get("verificationStatus") or {}).get("coding") or [{}]
    if verification[0].get("code") in ("entered-in-error", "refuted"):
        return False
    if day is None:
        return True
    start = moment(condition.get("onsetDateTime") or condition.get("recordedDate"))
    return start is None or start.date() <= day


def code_matches(code: str | None, prefixes: Sequence[str]) -> bool:
    """An ICD-10 code under one of the prefixes (``I10`` matches ``I10`` and ``I10.x``)."""
    if not code:
        return False
    code = code.upper()
    return any(code.startswith(p.upper()) for p in prefixes)


def register_condition(
    records: PatientRecords, register: str, day: date | None = None
) -> Resource | None:
    """The active Condition that puts the patient on ``register`` (on ``day``), if any."""
    prefixes = REGISTERS[register]
    for c in records.conditions:
        if code_matches(cond.icd10_code(c), prefixes) and is_active(c, day):
            return c
    return None


def last_follow_up(records: PatientRecords, until: date | None = None) -> datetime | None:
    """The last follow-up contact (a visit, or a completed follow-up Task), up to ``until``."""
    found: list[datetime] = []
    for e in records.encounters:
        if e.get("status") in ("cancelled", "entered-in-error") or visit_kind(e) is None:
            continue
        when = moment((e.get("period") or {}).get("start"))
        if when is not None:
            found.append(when)
    for t in records.tasks:
        if t.get("intent") == "plan" and t.get("status") == "completed":
            when = moment((t.get("executionPeriod") or {}).get("end") or t.get("lastModified"))
            if when is not None:
                found.append(when)
    found = [w for w in found if until is None or w.date() <= until]
    return max(found) if found else None


def days_since(when: datetime | None, today: date) -> int | None:
    return None if when is None else (today - when.date()).days


def followed_within(records: PatientRecords, days: int, today: date) -> bool:
    """A follow-up contact within the last ``days`` days (``days_since <= days``)."""
    since = days_since(last_follow_up(records, today), today)
    return since is not None and since <= days


def follow_up_state(records: PatientRecords, today: date) -> FollowUp:
    since = days_since(last_follow_up(records, today), today)
    if since is None or since > FOLLOW_UP_DAYS:
        return "overdue"
    if since >= FOLLOW_UP_DAYS - DUE_WINDOW_DAYS:
        return "due"
    for t in records.tasks:
        due = task_due(t)
        if t.get("intent") == "plan" and t.get("status") not in ("completed", "cancelled") \
                and due is not None and due <= today:  # fmt: skip
            return "due"
    return "ok"


def control(records: PatientRecords, register: str, until: date | None = None) -> Control:
    if register == "hypertension":
        sbp, dbp = latest(records, "systolic", until), latest(records, "diastolic", until)
        if sbp is None and dbp is None:
            return "unknown"
        high = (sbp is not None and sbp.value >= BP_TARGET[0]) or (
            dbp is not None and dbp.value >= BP_TARGET[1]
        )
        return "uncontrolled" if high else "controlled"
    a1c = recent_hba1c(records, until or date.today())
    if a1c is not None:
        return "uncontrolled" if a1c.value >= HBA1C_TARGET else "controlled"
    glucose = latest_glucose(records, until)
    if glucose is None:
        return "unknown"
    limit = GLUCOSE_TARGET_MMOL if glucose.key == "glucose_mmol" else GLUCOSE_TARGET_MGDL
    return "uncontrolled" if glucose.value > limit else "controlled"


@dataclass(frozen=True)
class Entry:
    """One patient on a register, as the register lists them."""

    patient_id: str
    name: str
    gender: str
    age: int | None
    register: str
    code: str
    last_follow_up: date | None
    days_since: int | None
    follow_up: FollowUp
    control: Control
    systolic: float | None
    diastolic: float | None
    glucose: Reading | None
    hba1c: Reading | None = None  # the latest, as a percentage (however old)

    @property
    def next_due(self) -> date | None:
        if self.last_follow_up is None:
            return None
        return self.last_follow_up + timedelta(days=FOLLOW_UP_DAYS)


def entries(patients: Iterable[PatientRecords], register: str, today: date) -> list[Entry]:
    """Everyone on ``register`` today: overdue first, then due, then the longest unseen."""
    out = []
    order = {"overdue": 0, "due": 1, "ok": 2}
    for rec in patients:
        c = register_condition(rec, register)
        if c is None:
            continue
        last = last_follow_up(rec, today)
        sbp, dbp = latest(rec, "systolic"), latest(rec, "diastolic")
        out.append(Entry(
            patient_id=rec.id, name=display_name(rec.patient),
            gender=str(rec.patient.get("gender") or ""), age=age_on(rec.patient, today),
            register=register, code=cond.icd10_code(c) or "",
            last_follow_up=last.date() if last else None, days_since=days_since(last, today),
            follow_up=follow_up_state(rec, today), control=control(rec, register, today),
            systolic=sbp.value if sbp else None, diastolic=dbp.value if dbp else None,
            glucose=latest_glucose(rec), hba1c=latest_hba1c(rec),
        ))  # fmt: skip
    out.sort(key=lambda e: (order[e.follow_up], -(e.days_since if e.days_since is not None
                                                   else 10**6), e.name))  # fmt: skip
    return out


@dataclass(frozen=True)
class MonthRate:
    month: str  # YYYY-MM
    patients: int
    followed: int
    controlled: int

    @property
    def follow_up_rate(self) -> float | None:
        return self.followed / self.patients if self.patients else None

    @property
    def control_rate(self) -> float | None:
        return self.controlled / self.patients if self.patients else None


def _month_ends(today: date, months: int) -> list[date]:
    ends = [today]
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        ends.append(nxt - timedelta(days=1))
    return list(reversed(ends))


def monthly_rates(
    patients: Sequence[PatientRecords], register: str, today: date, months: int = 12
) -> list[MonthRate]:
    """The last ``months`` months, oldest first (the current month up to today)."""
    out = []
    for end in _month_ends(today, months):
        members = [p for p in patients if register_condition(p, register, end)]
        followed = sum(1 for p in members if followed_within(p, FOLLOW_UP_DAYS, end))
        controlled = sum(1 for p in members if control(p, register, end) == "controlled")
        out.append(MonthRate(end.strftime("%Y-%m"), len(members), followed, controlled))
    return out


@dataclass(frozen=True)
class Summary:
    register: str
    entries: list[Entry]
    months: list[MonthRate]

    @property
    def overdue(self) -> list[Entry]:
        return [e for e in self.entries if e.follow_up == "overdue"]

    @property
    def due(self) -> list[Entry]:
        return [e for e in self.entries if e.follow_up == "due"]

    @property
    def uncontrolled(self) -> list[Entry]:
        return [e for e in self.entries if e.control == "uncontrolled"]


def summarize(patients: Sequence[PatientRecords], today: date, months: int = 12) -> list[Summary]:
    return [Summary(r, entries(patients, r, today), monthly_rates(patients, r, today, months))
            for r in REGISTERS]  # fmt: skip
