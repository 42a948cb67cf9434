"""Desk-side services: the specialist's worklist of consult requests, the case as the clinic
sent it, the decision to accept or decline (a Task), the schedule with patient names, follow-ups
marked done, and sync conflicts labelled for people.

A decision is a FHIR ``Task`` (intent ``order``, code ``fulfill``) whose ``focus`` is the consult
ServiceRequest. It also carries ``basedOn`` the ServiceRequest: the central platform lets a
specialist write only records based on a consult they can see (``central.authz``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from clinic_app.errors import ValidationError
from clinic_app.records import schedule as sched
from clinic_app.records.common import Resource, iso, new_id, patient_of, ref, ref_id
from clinic_app.records.orders import kind_of, specialty_of
from clinic_app.records.patient import display_name
from clinic_app.records.vitals import VITALS, vital_key
from clinic_app.services.chart_view import (
    VitalSeries,
    derive_consult_status,
    related_of_patient,
    vital_trends,
)
from clinic_app.services.schedule import appointments_between
from clinic_app.services.writes import save, save_all
from local_store.errors import NotFound
from local_store.store import Store
from local_store.sync_ledger import Conflict, SyncLedger

URGENCY_RANK = {"stat": 0, "asap": 1, "urgent": 2, "routine": 3}
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"
CLOSED_CONSULT = ("revoked", "entered-in-error", "completed")
MAX_REASON = 2000
BOOKED = ("booked", "arrived", "checked-in", "fulfilled")
# chart_view's consult states as the desk names them: a request not yet decided is "new" there.
DESK_STATE = {"delivered": "new", "queued": "new"}


# ------------------------------------------------------------------------ worklist --
@dataclass(frozen=True)
class WorkItem:
    """One line of the worklist."""

    consult: Resource
    patient_name: str
    specialty: str | None
    priority: str
    authored: str
    state: str  # new, accepted, scheduled, declined, answered or cancelled
    appointment: str | None  # start of the next booked slot, ISO

    @property
    def consult_id(self) -> str:
        return str(self.consult["id"])

    @property
    def question(self) -> str:
        return question_of(self.consult)


def question_of(consult: Resource) -> str:
    return " ".join(str(r.get("text", "")) for r in consult.get("reasonCode") or []).strip()


def _based_on(res: Resource, consult_id: str) -> bool:
    return any(ref_id(r, "ServiceRequest") == consult_id for r in res.get("basedOn") or [])


def is_decision(task: Resource) -> bool:
    return task.get("intent") == "order" and ref_id(task.get("focus"), "ServiceRequest") is not None


def _newest(resources: list[Resource]) -> Resource | None:
    def key(r: Resource) -> str:
        return str(r.get("lastModified") or (r.get("meta") or {}).get("lastUpdated") or "")

    return max(resources, key=key) if resources else None


def urgency_key(consult: Resource) -> tuple[int, str]:
    """Most urgent first (stat, asap, urgent, routine), then the oldest request first."""
    return URGENCY_RANK.get(str(consult.get("priority")), 9), str(consult.get("authoredOn", ""))


def worklist(
    store: Store, *, specialty: str | None = None, include_closed: bool = False
) -> list[WorkItem]:
    """Consult requests by urgency then date. Closed ones (answered, declined, withdrawn) only
    with ``include_closed``."""
    consults = [
        sr
        for sr in store.find("ServiceRequest")
        if kind_of(sr) == "consult"
        and sr.get("status") not in ("draft", "entered-in-error")
        and (specialty is None or specialty_of(sr) == specialty)
    ]
    # The same derivation as the clinic's chart (chart_view), from the records of each
    # request's patient: the desk and the clinic never disagree about a consult's state.
    related: dict[str, list[Resource]] = {}
    for sr in consults:
        pid = patient_of(sr) or ""
        if pid and pid not in related:
            related[pid] = related_of_patient(store, pid)
    now = datetime.now().astimezone()
    pids = sorted(related)
    names = {p["id"]: display_name(p) for p in store.get_many("Patient", pids)}
    items = []
    for sr in sorted(consults, key=urgency_key):
        sr_id = str(sr["id"])
        rel = related.get(patient_of(sr) or "", [])
        derived = derive_consult_status(sr, related=rel)
        state = DESK_STATE.get(derived, derived)
        upcoming = sorted(
            str(a["start"])
            for a in rel
            if a.get("resourceType") == "Appointment"
            and a.get("status") in BOOKED  # proposed slots are suggestions, not a booking
            and _based_on(a, sr_id)
            and datetime.fromisoformat(a["start"]) >= now
        )
        item = WorkItem(
            consult=sr,
            patient_name=names.get(patient_of(sr) or "", ""),
            specialty=specialty_of(sr),
            priority=str(sr.get("priority", "routine")),
            authored=str(sr.get("authoredOn", "")),
            state=state,
            appointment=upcoming[0] if upcoming else None,
        )
        if include_closed or not is_closed(item):
            items.append(item)
    return items


def is_closed(item: WorkItem) -> bool:
    """Answered, declined or withdrawn: nothing left to do at the desk."""
    return item.state in ("answered", "declined", "cancelled") or (
        item.consult.get("status") in CLOSED_CONSULT
    )


# ------------------------------------------------------------------------ the case --
@dataclass
class SupportItem:
    """A record the clinic sent with the request; ``resource`` None if it is not here (yet).

    An Encounter carries the form answers and vitals of that visit that were sent with it."""

    rtype: str
    rid: str
    resource: Resource | None
    children: list[Resource] = field(default_factory=list)


@dataclass
class Case:
    """The whole case as the clinic sent it: ``supporting`` holds the visits (with their form
    answers and vitals), attachments and any other record sent; ``problems``, ``medications``
    and ``allergies`` the ticked summary records (also in ``supporting``); ``trends`` the vitals
    sent, as the chart's trend series; ``messages`` the Communications of the consult."""

    consult: Resource
    patient: Resource | None
    supporting: list[SupportItem]
    decision: Resource | None
    opinions: list[Resource]
    prescriptions: list[Resource]
    referrals: list[Resource]
    appointments: list[Resource]
    problems: list[Resource] = field(default_factory=list)
    medications: list[Resource] = field(default_factory=list)
    allergies: list[Resource] = field(default_factory=list)
    trends: dict[str, VitalSeries] = field(default_factory=dict)
    messages: list[Resource] = field(default_factory=list)

    @property
    def attachments(self) -> list[Resource]:
        return [s.resource for s in self.supporting
                if s.rtype == "DocumentReference" and s.resource is not None]  # fmt: skip


SUMMARY_TYPES = ("Condition", "AllergyIntolerance", "MedicationRequest", "MedicationStatement")


def _sent_trends(items: list[SupportItem]) -> dict[str, VitalSeries]:
    """The trend series of the vitals sent with the request (top-level or under a visit)."""
    found = [i.resource for i in items if i.resource is not None] + [
        c for i in items for c in i.children
    ]
    by_key: dict[str, list[Resource]] = {}
    for obs in found:
        key = vital_key(obs) if obs.get("resourceType") == "Observation" else None
        if key and obs.get("status") != "entered-in-error":
            by_key.setdefault(key, []).append(obs)
    for series in by_key.values():
        series.sort(key=lambda o: str(o.get("effectiveDateTime", "")))
    return vital_trends(by_key)


def _parse_ref(value: Any) -> tuple[str, str] | None:
    text = str((value or {}).get("reference", "")) if isinstance(value, dict) else ""
    rtype, _, rid = text.partition("/")
    return (rtype, rid) if rtype and rid else None


def case(store: Store, consult_id: str, *, audit: bool = True) -> Case:
    """The consult with what was sent with it and what has been answered. The read is audited
    (``audit=False`` only to refresh a case already shown to the same user)."""
    consult = store.get("ServiceRequest", consult_id)
    if kind_of(consult) != "consult":
        raise ValidationError("consult", "That request is not a consult request.")
    pid = patient_of(consult)
    patient = None
    if pid:
        try:
            patient = store.get("Patient", pid)
        except NotFound:
            patient = None
    items: list[SupportItem] = []
    for value in consult.get("supportingInfo") or []:
        parsed = _parse_ref(value)
        if parsed is None:
            continue
        rtype, rid = parsed
        try:
            res: Resource | None = store.get(rtype, rid)
        except NotFound:
            res = None
        items.append(SupportItem(rtype, rid, res))
    summary = {t: [i.resource for i in items if i.rtype == t and i.resource is not None]
               for t in SUMMARY_TYPES}  # fmt: skip
    encounters = {i.rid: i for i in items if i.rtype == "Encounter" and i.resource}
    top: list[SupportItem] = []
    for item in items:
        parent = ref_id((item.resource or {}).get("encounter"), "Encounter")
        if item.resource is not None and item.rtype in SUMMARY_TYPES:
            continue  # shown in the case's summary (problems, medicines, allergies)
        if item.resource is not None and parent in encounters and item.rtype != "Encounter":
            encounters[str(parent)].children.append(item.resource)
        else:
            top.append(item)
    order = {key: n for n, key in enumerate(VITALS)}
    for enc in encounters.values():
        enc.children.sort(
            key=lambda r: (
                r.get("resourceType") != "QuestionnaireResponse",
                order.get(vital_key(r) or "", len(order)),
            )
        )

    def answers(rtype: str) -> list[Resource]:
        found = store.find(rtype, patient_id=pid) if pid else []
        return [r for r in found if _based_on(r, consult_id)]

    decisions = [
        t
        for t in (store.find("Task", patient_id=pid) if pid else [])
        if is_decision(t) and ref_id(t.get("focus"), "ServiceRequest") == consult_id
    ]
    referrals = [r for r in answers("ServiceRequest") if kind_of(r) == "referral"]
    appointments = [
        a
        for a in answers("Appointment")
        if a.get("status") not in ("cancelled", "noshow", "entered-in-error")
    ]
    if audit:
        store.audit("consult.read", "ServiceRequest", consult_id)
    return Case(
        consult=consult,
        patient=patient,
        supporting=top,
        decision=_newest(decisions),
        opinions=answers("DiagnosticReport"),
        prescriptions=answers("MedicationRequest"),
        referrals=referrals,
        appointments=sorted(appointments, key=lambda a: str(a.get("start"))),
        problems=summary["Condition"],
        medications=summary["MedicationRequest"] + summary["MedicationStatement"],
        allergies=summary["AllergyIntolerance"],
        trends=_sent_trends(top),
        messages=sorted(answers("Communication"), key=lambda m: str(m.get("sent", ""))),
    )


# ------------------------------------------------------------------------ decision --
def decide(
    store: Store,
    *,
    consult_id: str,
    accept: bool,
    reason: str,
    owner: str,
    now: datetime | None = None,
) -> Resource:
    """Accept or decline a consult: the desk's decision Task (updated if one exists).

    Declining needs a reason; the clinic reads it in the chart after sync."""
    consult = store.get("ServiceRequest", consult_id)
    if kind_of(consult) != "consult":
        raise ValidationError("consult", "That request is not a consult request.")
    if consult.get("status") in CLOSED_CONSULT:
        raise ValidationError("consult", "This consult request is closed or was withdrawn.")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationError("reason", "Say why you decline the consult.")
    if len(reason) > MAX_REASON:
        raise ValidationError("reason", "The reason is too long (2000 characters at most).")
    pid = patient_of(consult)
    if not pid:
        raise ValidationError("consult", "The consult request names no patient.")
    moment = iso(now or datetime.now().astimezone())
    existing = _newest(
        [
            t
            for t in store.find("Task", patient_id=pid)
            if is_decision(t) and ref_id(t.get("focus"), "ServiceRequest") == consult_id
        ]
    )
    task: Resource = (
        dict(existing)
        if existing
        else {
            "resourceType": "Task",
            "id": new_id(),
            "intent": "order",
            "code": {
                "coding": [
                    {
                        "system": TASK_CODE_SYSTEM,
                        "code": "fulfill",
                        "display": "Fulfill the focal request",
                    }
                ],
                "text": "Consult decision",
            },
            "focus": ref("ServiceRequest", consult_id),
            "basedOn": [ref("ServiceRequest", consult_id)],
            "for": ref("Patient", pid),
            "authoredOn": moment,
        }
    )
    task["status"] = "accepted" if accept else "rejected"
    task["businessStatus"] = {"text": "accepted" if accept else "declined"}
    task["owner"] = {"display": owner}
    task["lastModified"] = moment
    if reason:
        task["statusReason"] = {"text": reason}
    else:
        task.pop("statusReason", None)
    save(store, task)
    return task


# ------------------------------------------------------------------ schedule views --
@dataclass(frozen=True)
class Booked:
    appointment: Resource
    patient_name: str

    @property
    def start(self) -> datetime:
        return datetime.fromisoformat(self.appointment["start"]).astimezone()

    @property
    def consult_id(self) -> str | None:
        """The consult request this appointment is for (a live call), if any."""
        for r in self.appointment.get("basedOn") or []:
            if sr := ref_id(r, "ServiceRequest"):
                return str(sr)
        return None

    @property
    def patient_id(self) -> str | None:
        for p in self.appointment.get("participant", []):
            if pid := ref_id(p.get("actor"), "Patient"):
                return str(pid)
        return None

    @property
    def practitioner(self) -> str:
        for p in self.appointment.get("participant", []):
            actor = p.get("actor") or {}
            if "reference" not in actor and actor.get("display"):
                return str(actor["display"])
        return ""


def _names(store: Store, resources: list[Resource]) -> dict[str, str]:
    pids = sorted({pid for r in resources if (pid := patient_of(r))})
    return {p["id"]: display_name(p) for p in store.get_many("Patient", pids)}


def appointments_with_names(store: Store, start: datetime, end: datetime) -> list[Booked]:
    """Appointments starting in [start, end), with their patients' names, by start."""
    appts = appointments_between(store, start, end)
    names = _names(store, appts)
    return [Booked(a, names.get(patient_of(a) or "", "")) for a in appts]


@dataclass(frozen=True)
class Reminder:
    task: Resource
    state: str  # due or overdue
    due: date | None
    patient_id: str | None
    patient_name: str


def reminders_with_names(store: Store, today: date) -> list[Reminder]:
    """Follow-ups due soon or overdue (most overdue first), with the patients' names."""
    from clinic_app.services.schedule import reminders

    found = reminders(store, today)
    names = _names(store, [t for t, _ in found])
    return [
        Reminder(t, s, sched.task_due(t), patient_of(t), names.get(patient_of(t) or "", ""))
        for t, s in found
    ]


def complete_follow_up(store: Store, task_id: str, *, now: datetime | None = None) -> Resource:
    """Mark a follow-up Task completed (and its CarePlan, once all of its tasks are done)."""
    task = store.get("Task", task_id)
    if task.get("intent") != "plan":
        raise ValidationError("task", "That task is not a follow-up.")
    if task.get("status") in ("completed", "cancelled"):
        raise ValidationError("task", "This follow-up is already done.")
    moment = iso(now or datetime.now().astimezone())
    done = dict(task)
    done["status"] = "completed"
    done["lastModified"] = moment
    done["executionPeriod"] = dict(task.get("executionPeriod") or {}) | {"end": moment}
    changed = [done]
    for based in task.get("basedOn") or []:
        plan_id = ref_id(based, "CarePlan")
        if not plan_id:
            continue
        try:
            plan = store.get("CarePlan", plan_id)
        except NotFound:
            continue
        open_tasks = []
        for activity in plan.get("activity") or []:
            other = ref_id(activity.get("reference"), "Task")
            if other and other != task_id:
                try:
                    if store.get("Task", other).get("status") not in ("completed", "cancelled"):
                        open_tasks.append(other)
                except NotFound:
                    continue
        if not open_tasks and plan.get("status") == "active":
            changed.append(dict(plan) | {"status": "completed"})
    save_all(store, changed)
    return done


# ----------------------------------------------------------------------- conflicts --
@dataclass(frozen=True)
class ConflictSummary:
    conflict: Conflict
    patient_name: str


def conflicts_with_names(store: Store) -> list[ConflictSummary]:
    """Open sync conflicts with the name of the patient each is about."""
    found = SyncLedger(store).open_conflicts()
    pids = []
    for c in found:
        target = c.local or c.remote or c.base or {}
        pid = patient_of(target)
        if pid:
            pids.append(pid)
    patients = {p["id"]: display_name(p) for p in store.get_many("Patient", sorted(set(pids)))}
    out = []
    for c in found:
        target = c.local or c.remote or c.base or {}
        name = display_name(target) if c.rtype == "Patient" else ""
        out.append(ConflictSummary(c, name or patients.get(patient_of(target) or "", "")))
    return out
