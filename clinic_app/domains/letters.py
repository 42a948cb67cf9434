"""Letters: what of a chart can be printed, the PDF of a prescription, referral, consult opinion
or visit summary (A4 or A5, Chinese or English), and printing one: the PDF is kept in the chart
as an encrypted DocumentReference (it syncs like any document) and handed back in memory for
the print dialog or a file the user saves."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.letters import content, layout
from clinic_app.letters.content import Choice, Letter, Translate
from clinic_app.records.common import Resource
from clinic_app.records.documents import digest_of
from clinic_app.services import documents, orders

SIZES = tuple(layout.SIZES)
LANGUAGES = ("zh", "en")
DOCUMENT_KIND = "letter"


@dataclass(frozen=True)
class Printed:
    """A printed letter: its PDF (in memory) and the DocumentReference that keeps it."""

    pdf: bytes
    document: Resource
    letter: Letter


class Letters(Domain):
    def choices(self, patient_id: str) -> list[Choice]:
        """Visits, prescriptions, referrals and opinions of a patient that can be printed."""
        return content.choices(self._store, patient_id)

    def letter(self, kind: str, record_id: str, *, lang: str = "zh",
               translate: Translate | None = None) -> Letter:  # fmt: skip
        """What the letter says (:func:`clinic_app.letters.content.build`)."""
        return content.build(
            self._store,
            kind,
            record_id,
            lang=lang,
            translate=translate,
            formulary=orders.formulary(self._store),
        )

    def render(self, kind: str, record_id: str, *, size: str = "A4", lang: str = "zh",
               translate: Translate | None = None) -> bytes:  # fmt: skip
        """The PDF of a letter, in memory (for a preview); nothing is kept."""
        return layout.render(self.letter(kind, record_id, lang=lang, translate=translate), size)

    def print(self, kind: str, record_id: str, *, size: str = "A4", lang: str = "zh",
              translate: Translate | None = None) -> Done[Printed]:  # fmt: skip
        """Build the letter and keep its PDF in the chart (encrypted, a DocumentReference of
        type "letter"); the same letter printed again is the same PDF and is kept once."""

        def work() -> Printed:
            letter = self.letter(kind, record_id, lang=lang, translate=translate)
            pdf = layout.render(letter, size)
            sha = hashlib.sha256(pdf).hexdigest()
            found = self._store.find("DocumentReference", patient_id=letter.patient_id)
            same = [d for d in found if d.get("status") == "current" and digest_of(d) == sha]
            kept = same[0] if same else None
            if kept is None:
                kept = documents.attach_bytes(
                    self._store, patient_id=letter.patient_id,
                    name=f"{kind}-{letter.date}-{size}.pdf", data=pdf,
                    title=f"{letter.title} {letter.date} ({size})", kind=DOCUMENT_KIND,
                )  # fmt: skip
            self._store.audit("letter.print", "DocumentReference", str(kept["id"]), detail=kind)
            return Printed(pdf, kept, letter)

        return self._write("print letter", work)
