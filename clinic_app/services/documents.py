"""Chart attachments: the file goes encrypted into the vault; a DocumentReference points to it."""

from __future__ import annotations

import mimetypes
from datetime import datetime
from pathlib import Path

from clinic_app.errors import ValidationError
from clinic_app.records.common import Resource
from clinic_app.records.documents import digest_of, document
from clinic_app.services.writes import save
from local_store.store import Store

ALLOWED = ("image/", "application/pdf", "application/dicom", "text/plain")


def attach_file(
    store: Store, *, patient_id: str, path: Path, title: str | None = None, kind: str = "photo"
) -> Resource:
    """Encrypt ``path`` into the vault (streamed) and add a DocumentReference to the chart."""
    store.get("Patient", patient_id)
    path = Path(path)
    if not path.is_file():
        raise ValidationError("file", "That file cannot be read.")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if not mime.startswith(ALLOWED):
        raise ValidationError("file", "Attach images, PDFs, DICOM or text files.")
    stored = store.store_attachment(path, mime)
    doc = document(
        patient_id=patient_id,
        digest=stored.sha256,
        size=stored.size,
        mime=mime,
        title=title or path.name,
        created=datetime.now().astimezone(),
        kind=kind,
    )
    save(store, doc)
    return doc


def open_document(store: Store, doc: Resource, dest: Path) -> Path:
    """Decrypt a document's file to ``dest`` (for the system viewer); verified before it appears."""
    sha = digest_of(doc)
    name = store.attachment_by_sha256(sha) if sha else None
    if name is None:
        raise ValidationError("file", "The file of this document is not on this workstation yet.")
    store.attachments.export_to(name, dest)
    store.audit("attachment.open", "DocumentReference", str(doc.get("id", "")))
    return dest
