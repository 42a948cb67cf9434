"""Documents: files encrypted into the vault with a DocumentReference in the chart."""

from __future__ import annotations

from pathlib import Path

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.records.common import Resource
from clinic_app.services import chart_view, documents


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

    def content(self, doc: Resource) -> bytes:
        """The decrypted content of a document small enough to show in a window."""
        return chart_view.document_bytes(self._store, doc)

    def save_copy(self, doc: Resource, dest: Path) -> Path:
        """Decrypt a document to ``dest`` (a file the user chose to export)."""
        return documents.open_document(self._store, doc, dest)
