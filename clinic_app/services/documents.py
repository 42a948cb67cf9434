"""Chart attachments: the file goes encrypted into the vault; a DocumentReference points to it."""

from __future__ import annotations

import io
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

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
    mime = _allowed_mime(path.name)
    with open(path, "rb") as fh:
        return _attach(store, patient_id, fh, mime, title or path.name, kind)


def attach_bytes(
    store: Store, *, patient_id: str, name: str, data: bytes, title: str | None = None,
    kind: str = "photo",
) -> Resource:  # fmt: skip
    """Like :meth:`attach_file` for content already in memory (e.g. a file shared during a
    call): it goes straight into the encrypted vault, never through a plain temporary file."""
    store.get("Patient", patient_id)
    mime = _allowed_mime(name)
    return _attach(store, patient_id, io.BytesIO(data), mime, title or name, kind)


def _allowed_mime(name: str) -> str:
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if not mime.startswith(ALLOWED):
        raise ValidationError("file", "Attach images, PDFs, DICOM or text files.")
    return mime


def _attach(
    store: Store, patient_id: str, source: BinaryIO, mime: str, title: str, kind: str
) -> Resource:
    stored = store.store_attachment(source, mime)
    doc = document(
        patient_id=patient_id,
        digest=stored.sha256,
        size=stored.size,
        mime=mime,
        title=title,
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
