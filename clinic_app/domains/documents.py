"""Documents: files encrypted into the vault with a DocumentReference in the chart, read back
into memory for the in-app viewers or decrypted to a file for the system viewer."""

from __future__ import annotations

from pathlib import Path

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.errors import ValidationError
from clinic_app.records.common import Resource
from clinic_app.records.documents import digest_of
from clinic_app.services import documents

VIEW_IN_MEMORY_MAX = 64 * 1024 * 1024  # larger files go to the system viewer


class Documents(Domain):
    def attach_file(self, *, patient_id: str, path: Path, title: str | None = None,
                    kind: str = "photo") -> Done[Resource]:  # fmt: skip
        return self._write("attach file", lambda: documents.attach_file(
            self._store, patient_id=patient_id, path=path, title=title, kind=kind))  # fmt: skip

    def attach_bytes(self, *, patient_id: str, name: str, data: bytes, title: str | None = None,
                     kind: str = "photo") -> Done[Resource]:  # fmt: skip
        return self._write("attach file", lambda: documents.attach_bytes(
            self._store, patient_id=patient_id, name=name, data=data, title=title,
            kind=kind))  # fmt: skip

    def get(self, doc_id: str) -> Resource:
        """One DocumentReference (NotFound if there is none)."""
        return self._store.get("DocumentReference", doc_id)

    def current(self, patient_id: str) -> list[Resource]:
        """The patient's documents in force (not superseded or entered in error)."""
        found = self._store.find("DocumentReference", patient_id=patient_id)
        return [d for d in found if d.get("status") == "current"]

    def content(self, doc: Resource, max_size: int = VIEW_IN_MEMORY_MAX) -> bytes:
        """A document's content decrypted into memory for an in-app viewer or a call (nothing
        is written to disk); the read is audited like :meth:`save_copy`. A ValidationError
        (field ``file``) when the file has not reached this workstation or is over
        ``max_size`` bytes."""
        store = self._store
        sha = digest_of(doc)
        name = store.attachment_by_sha256(sha) if sha else None
        if name is None:
            raise ValidationError(
                "file", "The file of this document is not on this workstation yet."
            )
        size, _mime = store.attachment_info(name)
        if size > max_size:
            raise ValidationError(
                "file", "This file is too large to show here; open it with the system viewer."
            )
        data = store.attachments.read_all(name)
        store.audit("attachment.open", "DocumentReference", str(doc.get("id", "")))
        return data

    def save_copy(self, doc: Resource, dest: Path) -> Path:
        """Decrypt a document to ``dest`` (a file the user chose to export)."""
        return documents.open_document(self._store, doc, dest)
