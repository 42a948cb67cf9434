"""Required FHIR R4 code bindings the model library does not enforce (status, intent, gender…).

fhir.resources checks structure and types but accepts any string for a ``code`` element bound
"required" to a value set; this table closes that gap for the resources we store and sync.
"""

from __future__ import annotations

from typing import Any

_REQUEST_INTENT = frozenset(
    {"proposal", "plan", "directive", "order", "original-order", "reflex-order",
     "filler-order", "instance-order", "option"}
)  # fmt: skip
_REQUEST_STATUS = frozenset(
    {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
)

REQUIRED: dict[str, dict[str, frozenset[str]]] = {
    "Patient": {"gender": frozenset({"male", "female", "other", "unknown"})},
    "Observation": {
        "status": frozenset({"registered", "preliminary", "final", "amended", "corrected",
                             "cancelled", "entered-in-error", "unknown"}),
    },
    "Encounter": {
        "status": frozenset({"planned", "arrived", "triaged", "in-progress", "onleave",
                             "finished", "cancelled", "entered-in-error", "unknown"}),
    },
    "MedicationRequest": {
        "status": frozenset({"active", "on-hold", "cancelled", "completed", "entered-in-error",
                             "stopped", "draft", "unknown"}),
        "intent": _REQUEST_INTENT - {"directive"},
    },
    "MedicationStatement": {
        "status": frozenset({"active", "completed", "entered-in-error", "intended", "stopped",
                             "on-hold", "unknown", "not-taken"}),
    },
    "ServiceRequest": {
        "status": _REQUEST_STATUS,
        "intent": _REQUEST_INTENT,
        "priority": frozenset({"routine", "urgent", "asap", "stat"}),
    },
    "Appointment": {
        "status": frozenset({"proposed", "pending", "booked", "arrived", "fulfilled",
                             "cancelled", "noshow", "entered-in-error", "checked-in",
                             "waitlist"}),
    },
    "CarePlan": {
        "status": _REQUEST_STATUS,
        "intent": frozenset({"proposal", "plan", "order", "option"}),
    },
    "Task": {
        "status": frozenset({"draft", "requested", "received", "accepted", "rejected", "ready",
                             "cancelled", "in-progress", "on-hold", "failed", "completed",
                             "entered-in-error"}),
        "intent": (_REQUEST_INTENT - {"directive"}) | {"unknown"},
    },
    "QuestionnaireResponse": {
        "status": frozenset({"in-progress", "completed", "amended", "entered-in-error",
                             "stopped"}),
    },
    "DocumentReference": {"status": frozenset({"current", "superseded", "entered-in-error"})},
    "AllergyIntolerance": {"criticality": frozenset({"low", "high", "unable-to-assess"})},
    "DiagnosticReport": {
        "status": frozenset({"registered", "partial", "preliminary", "final", "amended",
                             "corrected", "appended", "cancelled", "entered-in-error",
                             "unknown"}),
    },
    "ClinicalImpression": {
        "status": frozenset({"in-progress", "completed", "entered-in-error"}),
    },
    "Communication": {
        "status": frozenset({"preparation", "in-progress", "not-done", "on-hold", "stopped",
                             "completed", "entered-in-error", "unknown"}),
    },
}  # fmt: skip


def binding_problem(resource: dict[str, Any]) -> str | None:
    """The first element holding a code outside its required value set, named without value."""
    for element, allowed in REQUIRED.get(str(resource.get("resourceType")), {}).items():
        value = resource.get(element)
        if value is not None and value not in allowed:
            return f"field {element}: not a code of its required value set"
    return None
