"""What the web desk reads and writes, with the signed-in specialist's rights.

Reads select only records the caller may read (``central.authz.visible_filter``, as the FHIR
API). Writes are FHIR resources built by the same record builders as the desktop
(``clinic_app.records``) and stored through the sync push itself (``central.validation.prepare``
then ``central.sync.push`` in one write transaction): the same validation, authorization,
versioning and change feed, so the clinic's workstation receives them on its next pull and a
consult can be handled half on the desktop and half in the browser."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from central import authz, sync
from central.accounts import Principal
from central.db import Conn, Sql, sql
from central.formulary import formulary as platform_formulary
from central.records import RecordRow, select
from central.validation import prepare
from central.web import db, fhir_base
from clinic_app.clinical.medication_checks import Finding, allergy_active, check
from clinic_app.clinical.medication_formulary import Formulary
from clinic_app.clinical.medication_list import build as medication_list
from clinic_app.records.common import Resource, patient_of, ref_id
from clinic_app.records.consult_state import BOOKED, derive_consult_status
from clinic_app.records.orders import kind_of, specialty_of
from clinic_app.records.patient import display_name
from clinic_app.records.vitals import VITALS, vital_key
from clinic_app.sync.protocol import PROTOCOL_VERSION, ChangeResult, PushRequest

URGENCY_RANK = {"stat": 0, "asap": 1, "urgent": 2, "routine": 3}
OPEN_STATES = ("new", "accepted", "scheduled")
_LIVE = sql("r.deleted = 0")
_OF_TYPE = sql("r.rtype = :rtype")
_OF_PATIENT = sql("r.patient_id = :patient")
_OF_ID = sql("r.id = :id")


def _visible(conn: Conn, p: Principal, parts: list[Sql], params: dict[str, Any]) -> list[RecordRow]:
    where, vparams = authz.visible_filter(p)
    return select(conn, Sql.join(" AND ", [_LIVE, *parts, where]), {**params, **vparams})


def _resources(rows: list[RecordRow]) -> list[Resource]:
    return [r.resource for r in rows if r.resource is not None]


@dataclass(frozen=True)
class Item:
    """One line of the worklist."""

    consult: Resource
    patient_name: str
    specialty: str | None
    priority: str
    authored: str
    state: str  # new, accepted, scheduled (answered, declined, cancelled when closed)
    appointment: str | None

    @property
    def consult_id(self) -> str:
        return str(self.consult["id"])

    @property
    def question(self) -> str:
        return question_of(self.consult)


def question_of(consult: Resource) -> str:
    return " ".join(str(r.get("text", "")) for r in consult.get("reasonCode") or []).strip()


def _state(consult: Resource, related: list[Resource]) -> str:
    derived = derive_consult_status(consult, related=related)
    return "new" if derived in ("delivered", "queued") else derived


def _upcoming(consult_id: str, related: list[Resource], now: datetime) -> str | None:
    starts = sorted(
        str(a["start"])
        for a in related
        if a.get("resourceType") == "Appointment"
        and a.get("status") in BOOKED
        and any(ref_id(b, "ServiceRequest") == consult_id for b in a.get("basedOn") or [])
        and datetime.fromisoformat(str(a["start"])) >= now
    )
    return starts[0] if starts else None


def worklist(conn: Conn, p: Principal) -> list[Item]:
    """Open consult requests (new, accepted, scheduled): most urgent first, then oldest."""
    consults = [
        sr
        for sr in _resources(_visible(conn, p, [_OF_TYPE], {"rtype": "ServiceRequest"}))
        if kind_of(sr) == "consult" and sr.get("status") not in ("draft", "entered-in-error")
    ]
    related: dict[str, list[Resource]] = {}
    for sr in consults:
        pid = patient_of(sr) or ""
        if pid and pid not in related:
            related[pid] = _resources(_visible(conn, p, [_OF_PATIENT], {"patient": pid}))
    now = datetime.now().astimezone()
    items = []
    for sr in sorted(consults, key=lambda s: (URGENCY_RANK.get(str(s.get("priority")), 9),
                                              str(s.get("authoredOn", "")))):  # fmt: skip
        rel = related.get(patient_of(sr) or "", [])
        state = _state(sr, rel)
        if state not in OPEN_STATES:
            continue
        patient = next((r for r in rel if r.get("resourceType") == "Patient"), None)
        items.append(
            Item(
                consult=sr,
                patient_name=display_name(patient) if patient else "",
                specialty=specialty_of(sr),
                priority=str(sr.get("priority", "routine")),
                authored=str(sr.get("authoredOn", "")),
                state=state,
                appointment=_upcoming(str(sr["id"]), rel, now),
            )
        )
    return items


@dataclass
class Case:
    """A consult as the clinic sent it, and what has been answered."""

    consult: Resource
    version: int
    state: str
    patient: Resource | None
    problems: list[Resource] = field(default_factory=list)
    medications: list[Resource] = field(default_factory=list)
    allergies: list[Resource] = field(default_factory=list)
    vitals: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    documents: list[Resource] = field(default_factory=list)
    decision: tuple[Resource, int] | None = None
    appointments: list[Resource] = field(default_factory=list)
    opinions: list[Resource] = field(default_factory=list)
    prescriptions: list[Resource] = field(default_factory=list)
    referrals: list[Resource] = field(default_factory=list)
    messages: list[Resource] = field(default_factory=list)
    appointment: str | None = None
    formulary: Formulary | None = None  # the platform's, as the clinics have it

    @property
    def consult_id(self) -> str:
        return str(self.consult["id"])

    @property
    def question(self) -> str:
        return question_of(self.consult)

    @property
    def patient_id(self) -> str:
        return patient_of(self.consult) or ""


def _about(res: Resource, consult_id: str) -> bool:
    refs = list(res.get("basedOn") or [])
    if res.get("focus"):
        refs.append(res["focus"])
    return any(ref_id(r, "ServiceRequest") == consult_id for r in refs)


def _time(res: Resource) -> str:
    return str(res.get("lastModified") or res.get("authoredOn") or res.get("issued")
               or res.get("sent") or res.get("start") or "")  # fmt: skip


def case(conn: Conn, p: Principal, consult_id: str) -> Case | None:
    """The consult and the records of its patient the caller may read; None if it is not a
    consult request the caller can see."""
    rows = _visible(conn, p, [_OF_TYPE, _OF_ID], {"rtype": "ServiceRequest", "id": consult_id})
    if not rows or rows[0].resource is None or kind_of(rows[0].resource) != "consult":
        return None
    consult, version = rows[0].resource, rows[0].version
    pid = patient_of(consult) or ""
    related_rows = _visible(conn, p, [_OF_PATIENT], {"patient": pid}) if pid else []
    related = _resources(related_rows)
    out = Case(consult, version, _state(consult, related), None)
    out.formulary = platform_formulary(conn)
    out.appointment = _upcoming(consult_id, related, datetime.now().astimezone())
    versions = {(r.rtype, r.id): r.version for r in related_rows}
    by_type: dict[str, list[Resource]] = {}
    for res in related:
        by_type.setdefault(str(res.get("resourceType")), []).append(res)
    out.patient = next(iter(by_type.get("Patient", [])), None)
    out.problems = [c for c in by_type.get("Condition", [])
                    if (c.get("clinicalStatus") or {}).get("coding", [{}])[0].get("code")
                    not in ("resolved", "inactive")]  # fmt: skip
    out.allergies = [a for a in by_type.get("AllergyIntolerance", []) if allergy_active(a)]
    listed = medication_list(
        by_type.get("MedicationRequest", []) + by_type.get("MedicationStatement", []),
        out.formulary,
    )
    out.medications = [line.resource for line in listed.lines]
    for obs in sorted(
        by_type.get("Observation", []), key=lambda o: str(o.get("effectiveDateTime"))
    ):
        key = vital_key(obs)
        value = (obs.get("valueQuantity") or {}).get("value")
        if (
            key in VITALS
            and isinstance(value, int | float)
            and obs.get("status") != "entered-in-error"
        ):
            out.vitals.setdefault(key, []).append(
                (str(obs.get("effectiveDateTime", "")), float(value))
            )
    out.documents = [d for d in by_type.get("DocumentReference", [])
                     if d.get("status") == "current"]  # fmt: skip
    tasks = [t for t in by_type.get("Task", []) if t.get("intent") == "order"
             and ref_id(t.get("focus"), "ServiceRequest") == consult_id]  # fmt: skip
    if tasks:
        newest = max(tasks, key=_time)
        out.decision = (newest, versions[("Task", str(newest["id"]))])
    about = [r for r in related if _about(r, consult_id)]
    out.appointments = sorted((a for a in about if a.get("resourceType") == "Appointment"
                               and a.get("status") in BOOKED), key=_time)  # fmt: skip
    out.opinions = [r for r in about if r.get("resourceType") == "DiagnosticReport"]
    out.prescriptions = [r for r in about if r.get("resourceType") == "MedicationRequest"]
    out.referrals = [r for r in about if r.get("resourceType") == "ServiceRequest"
                     and kind_of(r) == "referral"]  # fmt: skip
    out.messages = sorted((r for r in about if r.get("resourceType") == "Communication"),
                          key=_time)  # fmt: skip
    return out


def document(conn: Conn, p: Principal, doc_id: str) -> Resource | None:
    rows = _visible(conn, p, [_OF_TYPE, _OF_ID], {"rtype": "DocumentReference", "id": doc_id})
    return rows[0].resource if rows else None


def medication_findings(case: Case, drug: Any) -> list[Finding]:
    """The desktop's checks (duplicates, allergies, interactions) against the patient's
    records on the central platform that the specialist can read."""
    current = medication_list(case.medications, case.formulary).as_current()
    return check(drug, current, case.allergies)


class Refused(Exception):
    """A change the sync push did not apply; ``code`` is its stable reason."""

    def __init__(self, result: ChangeResult) -> None:
        super().__init__(result.error or result.status)
        self.code = result.code or result.status


async def save(request: web.Request, p: Principal,
               resources: list[tuple[Resource, int | None]]) -> list[ChangeResult]:  # fmt: skip
    """Store resources (each with the version it was based on, None for new) through the sync
    push; Refused if any was not applied (the others of the batch may have been)."""
    wire = {
        "protocol": PROTOCOL_VERSION,
        "changes": [
            {"change_id": str(uuid.uuid4()), "rtype": res["resourceType"], "record_id": res["id"],
             "op": "put", "base_version": base, "resource": res, "attachments": []}
            for res, base in resources
        ],
    }  # fmt: skip
    items = PushRequest.parse_items(wire)
    base_url = fhir_base(request)
    prepared = await asyncio.get_running_loop().run_in_executor(
        None, lambda: [prepare(item, base_url) for item in items]
    )
    response = await db(request).write(lambda conn: sync.push(conn, p, prepared))
    for result in response.results:
        if result.status != "applied":
            raise Refused(result)
    return list(response.results)
