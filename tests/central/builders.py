"""Small FHIR R4 resources and protocol changes for the central tests."""

from __future__ import annotations

import uuid
from typing import Any

SNOMED = "http://snomed.info/sct"
SPECIALTY = "https://fhir.clinic-workstation.cn/CodeSystem/specialty"
RESIDENT = "https://fhir.clinic-workstation.cn/sid/cn-resident-id"


def uid() -> str:
    return str(uuid.uuid4())


def patient(pid: str | None = None, name: str = "Li Wei", resident_id: str | None = None) -> dict:
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid or uid(),
        "name": [{"text": name}],
        "gender": "female",
        "birthDate": "1970-01-01",
    }
    if resident_id:
        res["identifier"] = [{"system": RESIDENT, "value": resident_id}]
    return res


def observation(pid: str, oid: str | None = None, value: float = 120) -> dict:
    return {
        "resourceType": "Observation",
        "id": oid or uid(),
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "valueQuantity": {
            "value": value,
            "unit": "mmHg",
            "system": "http://unitsofmeasure.org",
            "code": "mm[Hg]",
        },
    }


def consult(
    pid: str,
    specialty: str = "cardiology",
    sid: str | None = None,
    supporting: list[str] | None = None,
    code: str = "11429006",
    based_on: str | None = None,
) -> dict:
    res: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": sid or uid(),
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": SNOMED, "code": code}]}],
        "subject": {"reference": f"Patient/{pid}"},
        "performerType": {"coding": [{"system": SPECIALTY, "code": specialty}]},
        "reasonCode": [{"text": "chest pain"}],
    }
    if supporting:
        res["supportingInfo"] = [{"reference": r} for r in supporting]
    if based_on:
        res["basedOn"] = [{"reference": f"ServiceRequest/{based_on}"}]
    return res


def report(pid: str, consult_id: str, rid: str | None = None) -> dict:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid or uid(),
        "status": "final",
        "code": {"text": "Cardiology opinion"},
        "subject": {"reference": f"Patient/{pid}"},
        "basedOn": [{"reference": f"ServiceRequest/{consult_id}"}],
        "conclusion": "Stable angina; start treatment.",
    }


def document(pid: str, sha: str, size: int, did: str | None = None) -> dict:
    return {
        "resourceType": "DocumentReference",
        "id": did or uid(),
        "status": "current",
        "subject": {"reference": f"Patient/{pid}"},
        "content": [
            {
                "attachment": {
                    "contentType": "image/png",
                    "size": size,
                    "url": f"attachment:sha256:{sha}",
                }
            }
        ],
    }


def put(
    resource: dict,
    base: int | None = None,
    change_id: str | None = None,
    attachments: list[str] | None = None,
) -> dict:
    return {
        "change_id": change_id or uid(),
        "rtype": resource["resourceType"],
        "record_id": resource["id"],
        "op": "put",
        "base_version": base,
        "resource": resource,
        "attachments": attachments or [],
    }


def delete(rtype: str, rid: str, base: int, change_id: str | None = None) -> dict:
    return {
        "change_id": change_id or uid(),
        "rtype": rtype,
        "record_id": rid,
        "op": "delete",
        "base_version": base,
        "resource": None,
        "attachments": [],
    }
