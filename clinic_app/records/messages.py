"""Messages about a consult between the clinic and the specialist: FHIR ``Communication``
records based on the consult request (the clinic's chart and both desks read them)."""

from __future__ import annotations

from datetime import datetime

from clinic_app.errors import ValidationError
from clinic_app.records.common import Resource, iso, new_id, ref

MAX_MESSAGE = 4000


def message(
    *, patient_id: str, consult_id: str, text: str, sender: str, sent: datetime
) -> Resource:
    """A message about consult ``consult_id``, written by ``sender`` (a display name)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("message", "Write the message.")
    if len(text) > MAX_MESSAGE:
        raise ValidationError("message", "The message is too long (4000 characters at most).")
    return {
        "resourceType": "Communication",
        "id": new_id(),
        "status": "completed",
        "basedOn": [ref("ServiceRequest", consult_id)],
        "subject": ref("Patient", patient_id),
        "sent": iso(sent),
        "sender": {"display": sender},
        "payload": [{"contentString": text}],
    }
