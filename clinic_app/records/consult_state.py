"""The one place a consult request's status is derived, from the request and the records that
speak about it (no store: the workstation's chart and desk and the central platform's web desk
all call it, so they never disagree).

* ``draft`` — the ServiceRequest is a draft (not sent);
* ``queued`` — sent here, but the local outbox still holds a change of it (offline);
* ``delivered`` — its changes reached the central platform (or it came from there);
* ``accepted`` / ``declined`` — the specialist desk's latest Task about it (intent ``order``,
  ``focus`` or ``basedOn`` = the ServiceRequest) says so in ``businessStatus`` (or ``status``);
* ``scheduled`` — an Appointment based on it is booked (proposed slots do not count);
* ``answered`` — a final DiagnosticReport (or a ClinicalImpression) answers it, or the request
  is completed;
* ``cancelled`` — the request was revoked or entered in error.
"""

from __future__ import annotations

from collections.abc import Iterable

from clinic_app.records.common import Resource, ref_id

BOOKED = ("booked", "arrived", "checked-in", "fulfilled")
ANSWERED_REPORT = ("final", "amended", "corrected", "appended")


def _answers_to(res: Resource, sr_id: str) -> bool:
    refs = list(res.get("basedOn") or [])
    if res.get("resourceType") == "ClinicalImpression":  # R4 has no basedOn there
        refs += list(res.get("supportingInfo") or [])
    if res.get("resourceType") == "Task" and res.get("focus"):
        refs.append(res["focus"])
    return any(ref_id(r, "ServiceRequest") == sr_id for r in refs)


def _task_time(task: Resource) -> str:
    return str(
        task.get("lastModified")
        or (task.get("meta") or {}).get("lastUpdated")
        or task.get("authoredOn")
        or ""
    )


def _decision(task: Resource) -> str | None:
    """accepted / declined from a desk Task; None when it says neither."""
    business = task.get("businessStatus") or {}
    words = {str(business.get("text", "")).strip().lower()}
    words |= {str(c.get("code", "")).lower() for c in business.get("coding", []) or []}
    if words & {"declined", "rejected"} or task.get("status") == "rejected":
        return "declined"
    if "accepted" in words or task.get("status") in ("accepted", "in-progress", "completed"):
        return "accepted"
    return None


def derive_consult_status(
    service_request: Resource,
    *,
    related: Iterable[Resource] = (),
    queued: bool = False,
) -> str:
    """The status of a consult request, from the request, the records of its patient that may
    speak about it (Tasks, Appointments, DiagnosticReports, ClinicalImpressions; others are
    ignored) and whether the local outbox still holds a change of it."""
    sr_id = str(service_request.get("id", ""))
    status = service_request.get("status")
    if status in ("revoked", "entered-in-error"):
        return "cancelled"
    about = [r for r in related if _answers_to(r, sr_id)]
    for r in about:
        rtype, rstatus = r.get("resourceType"), r.get("status")
        if (rtype == "DiagnosticReport" and rstatus in ANSWERED_REPORT) or (
            rtype == "ClinicalImpression" and rstatus == "completed"
        ):
            return "answered"
    if status == "completed":
        return "answered"
    if status == "draft":
        return "draft"
    tasks = [
        r
        for r in about
        if r.get("resourceType") == "Task"
        and r.get("intent") != "plan"
        and r.get("status") not in ("cancelled", "entered-in-error", "draft")
    ]
    decision = _decision(max(tasks, key=_task_time)) if tasks else None
    if decision == "declined":
        return "declined"
    if any(r.get("resourceType") == "Appointment" and r.get("status") in BOOKED for r in about):
        return "scheduled"
    if decision == "accepted":
        return "accepted"
    return "queued" if queued else "delivered"
