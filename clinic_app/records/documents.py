"""DocumentReference for attachments held encrypted in the store's vault."""

from __future__ import annotations

from datetime import datetime

from clinic_app.records.common import Resource, iso, new_id, ref

# Attachments are named between sites by the SHA-256 of their content; each workstation keeps
# its own encrypted copy under a keyed name (see local_store.attachments).
ATTACHMENT_URL = "attachment:sha256:"


def document(
    *,
    patient_id: str,
    digest: str,
    size: int,
    mime: str,
    title: str,
    created: datetime,
    kind: str = "photo",
) -> Resource:
    return {
        "resourceType": "DocumentReference",
        "id": new_id(),
        "status": "current",
        "type": {"text": kind},
        "subject": ref("Patient", patient_id),
        "date": iso(created),
        "description": title,
        "content": [
            {
                "attachment": {
                    "contentType": mime,
                    "url": f"{ATTACHMENT_URL}{digest}",
                    "size": size,
                    "title": title,
                    "creation": iso(created),
                }
            }
        ],
    }


def digest_of(doc: Resource) -> str | None:
    for content in doc.get("content", []):
        url = str(content.get("attachment", {}).get("url", ""))
        if url.startswith(ATTACHMENT_URL):
            return url[len(ATTACHMENT_URL) :]
    return None
