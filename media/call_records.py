"""The record of a call: a FHIR ``Encounter`` of class VR (virtual), based on the consult.

Written through the clinic's calls service (``clinic.calls``: the store's normal write path,
so it syncs like every record; the media layer never writes the store itself): status
``finished``, ``basedOn`` the consult ServiceRequest, the consult's patient as subject, the
participants by side and display name, ``period`` and ``length``, and the quality summary as an
extension (averages of fps, bitrate and round-trip time, worst loss, reconnects). No media.

Who writes it: the clinic side (the chart lives there); a specialist desk may write its own
(the central platform accepts a specialist's Encounter only if it is class VR and based on a
consult the specialist can see).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from clinic_app.changes import Done
from clinic_app.clinic import Clinic
from clinic_app.records.common import SYS_ACT_CODE, Resource, iso, new_id, ref, ref_id
from media.session import CallSummary

QUALITY_URL = "https://fhir.clinic-workstation.cn/StructureDefinition/call-quality"
CALL_ID_SYSTEM = "https://fhir.clinic-workstation.cn/sid/call"
VIDEO_CALL = "Video consult"


def _moment(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).astimezone()


def call_encounter(
    consult: Resource,
    summary: CallSummary,
    *,
    participants: Sequence[tuple[str, str]] = (),
) -> Resource:
    """The Encounter for a finished call. ``participants`` are (side, display name) pairs."""
    patient_id = ref_id(consult.get("subject"), "Patient")
    start = summary.connected_at or summary.joined_at
    end = summary.ended_at or start
    res: Resource = {
        "resourceType": "Encounter",
        "id": new_id(),
        "status": "finished",
        "class": {"system": SYS_ACT_CODE, "code": "VR", "display": "virtual"},
        "type": [{"text": VIDEO_CALL}],
        "basedOn": [ref("ServiceRequest", str(consult["id"]))],
        "period": {"start": iso(_moment(start)), "end": iso(_moment(max(start, end)))},
        "length": {
            "value": round(summary.duration / 60, 2),
            "unit": "min",
            "system": "http://unitsofmeasure.org",
            "code": "min",
        },
    }
    if summary.call_id:
        res["identifier"] = [{"system": CALL_ID_SYSTEM, "value": summary.call_id}]
    if patient_id:
        res["subject"] = ref("Patient", patient_id)
    parts: list[dict[str, Any]] = []
    for side, name in participants:
        parts.append(
            {"type": [{"text": f"{side} side"}], "individual": {"display": name[:200] or side}}
        )
    if parts:
        res["participant"] = parts
    quality = summary.quality()
    if quality:
        res["extension"] = [
            {
                "url": QUALITY_URL,
                "extension": [{"url": k, "valueDecimal": v} for k, v in sorted(quality.items())],
            }
        ]
    return res


def save_call(
    clinic: Clinic,
    consult_id: str,
    summary: CallSummary,
    *,
    participants: Sequence[tuple[str, str]] = (),
) -> Done[Resource]:
    """Write the call's Encounter (queued for sync like any record)."""
    return clinic.calls.save(
        consult_id, lambda consult: call_encounter(consult, summary, participants=participants)
    )
