"""The formulary: medicines a clinic prescribes from, each a FHIR Medication with its ATC code,
ingredient, strength and form, named in Chinese and English; and how a prescription written as
free text (an older record, a specialist's "氨氯地平片 5mg") is recognised as one of them.

The formulary belongs to the platform: its administrator keeps it as Medication records on the
central platform (``clinic-central formulary import|add|retire``) and every clinic pulls them.
:func:`current` is the one way to the formulary in force: those records when there are any,
else the starter list packaged here (``data/formulary.json``; ATC codes from the WHO ATC/DDD
Index, cited in the file), which is also what an administrator imports once. A retired entry
(Medication.status inactive) is no longer offered but still names the prescriptions written
from it. No Qt, no store: the central platform can use it too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

SYS_ATC = "http://www.whocc.no/atc"
SYS_FORMULARY = "https://fhir.clinic-workstation.cn/CodeSystem/formulary"

Resource = dict[str, Any]


@dataclass(frozen=True)
class Drug:
    """What a prescription is of: an ingredient (English, lower case) and its ATC code; the
    formulary entry when it came from one, the text as written otherwise."""

    ingredient: str
    atc: str
    display: str
    formulary_id: str | None = None
    strength: str = ""

    def same_ingredient(self, other: Drug) -> bool:
        return (bool(self.atc) and self.atc == other.atc) or self.ingredient == other.ingredient


@dataclass(frozen=True)
class Entry:
    id: str
    atc: str
    ingredient_en: str
    ingredient_zh: str
    strength_value: float
    strength_unit: str
    form: str
    name_zh: str
    name_en: str
    active: bool = True

    @property
    def strength(self) -> str:
        value = f"{self.strength_value:g}"
        unit = {"[iU]/mL": "IU/mL", "ug": "μg", "ug/{actuat}": "μg/dose"}.get(
            self.strength_unit, self.strength_unit
        )
        return f"{value} {unit}"

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en

    def drug(self) -> Drug:
        return Drug(self.ingredient_en, self.atc, self.name_zh, self.id, self.strength)

    def concept(self) -> Resource:
        """The CodeableConcept a MedicationRequest carries (ATC and formulary codes)."""
        return {
            "coding": [
                {"system": SYS_ATC, "code": self.atc, "display": self.ingredient_en},
                {"system": SYS_FORMULARY, "code": self.id, "display": self.name_en},
            ],
            "text": self.name_zh,
        }

    def medication(self) -> Resource:
        """The FHIR R4 Medication resource for this entry."""
        unit = self.strength_unit
        return {
            "resourceType": "Medication",
            "id": self.id.replace("_", "-"),
            "code": self.concept(),
            "status": "active" if self.active else "inactive",
            "form": {"text": self.form},
            "ingredient": [
                {
                    "itemCodeableConcept": {
                        "coding": [
                            {"system": SYS_ATC, "code": self.atc, "display": self.ingredient_en}
                        ],
                        "text": self.ingredient_zh,
                    },
                    "isActive": True,
                    "strength": {
                        "numerator": {"value": self.strength_value, "unit": unit,
                                      "system": "http://unitsofmeasure.org", "code": unit},
                        "denominator": {"value": 1, "unit": self.form},
                    },
                }
            ],
        }  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        """The entry as one item of a formulary file's ``medications``."""
        return {
            "id": self.id, "atc": self.atc,
            "ingredient": {"en": self.ingredient_en, "zh": self.ingredient_zh},
            "strength": {"value": self.strength_value, "unit": self.strength_unit},
            "form": self.form, "name": {"zh": self.name_zh, "en": self.name_en},
        }  # fmt: skip

    @classmethod
    def from_json(cls, m: dict[str, Any]) -> Entry:
        """One item of a formulary file (KeyError, TypeError or ValueError when malformed)."""
        return cls(
            id=str(m["id"]),
            atc=str(m["atc"]),
            ingredient_en=str(m["ingredient"]["en"]),
            ingredient_zh=str(m["ingredient"]["zh"]),
            strength_value=float(m["strength"]["value"]),
            strength_unit=str(m["strength"]["unit"]),
            form=str(m["form"]),
            name_zh=str(m["name"]["zh"]),
            name_en=str(m["name"]["en"]),
        )

    @classmethod
    def from_medication(cls, res: Resource) -> Entry | None:
        """The entry a FHIR Medication written by :meth:`medication` stands for (None for a
        Medication without a formulary code)."""
        concept = res.get("code") or {}
        fid = atc = en = ""
        for c in concept.get("coding") or []:
            if c.get("system") == SYS_FORMULARY:
                fid, en = str(c.get("code") or ""), str(c.get("display") or "")
            elif c.get("system") == SYS_ATC:
                atc = str(c.get("code") or "")
        if not fid:
            return None
        ingredient = (res.get("ingredient") or [{}])[0]
        item = ingredient.get("itemCodeableConcept") or {}
        item_codings = item.get("coding") or [{}]
        numerator = (ingredient.get("strength") or {}).get("numerator") or {}
        return cls(
            id=fid, atc=atc,
            ingredient_en=str(item_codings[0].get("display") or "").lower(),
            ingredient_zh=str(item.get("text") or ""),
            strength_value=float(numerator.get("value") or 0),
            strength_unit=str(numerator.get("code") or numerator.get("unit") or ""),
            form=str((res.get("form") or {}).get("text") or ""),
            name_zh=str(concept.get("text") or en), name_en=en or str(concept.get("text") or ""),
            active=res.get("status") != "inactive",
        )  # fmt: skip


class Formulary:
    """``entries`` are what is offered (active); :meth:`get` also knows retired ones."""

    def __init__(self, doc: dict[str, Any], known: Iterable[Entry] | None = None) -> None:
        self.version = str(doc.get("version", ""))
        self.source = dict(doc.get("source", {}))
        if known is None:
            known = [Entry.from_json(m) for m in doc.get("medications", [])]
        self.known: list[Entry] = list(known)
        self.entries: list[Entry] = [e for e in self.known if e.active]
        self._by_id = {e.id: e for e in self.known}

    @classmethod
    def from_medications(cls, medications: Iterable[Resource]) -> Formulary:
        """The formulary the platform's Medication records make (by ATC code, strength)."""
        found = [e for res in medications if (e := Entry.from_medication(res)) is not None]
        found.sort(key=lambda e: (e.atc, e.strength_value, e.id))
        return cls({"version": "platform"}, found)

    @classmethod
    def load(cls, path: Path | None = None) -> Formulary:
        """A formulary file (the packaged starter list when ``path`` is None)."""
        if path is None:
            text = resources.files("clinic_app.clinical").joinpath("data/formulary.json")
            return cls(json.loads(text.read_text("utf-8")))
        return cls(json.loads(Path(path).read_text("utf-8")))

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this id, retired or not (a prescription written from it)."""
        return self._by_id.get(entry_id)

    def offered(self, entry_id: str) -> Entry | None:
        """The entry with this id if it may be prescribed now (not retired)."""
        entry = self._by_id.get(entry_id)
        return entry if entry is not None and entry.active else None

    def search(self, text: str, limit: int = 30) -> list[Entry]:
        """Entries whose names, ingredient or ATC code contain ``text`` (any case)."""
        q = (text or "").strip().lower()
        if not q:
            return self.entries[:limit]
        hits = [
            e for e in self.entries
            if q in e.name_zh.lower() or q in e.name_en.lower() or q in e.ingredient_en
            or q in e.ingredient_zh or e.atc.lower().startswith(q)
        ]  # fmt: skip
        return hits[:limit]

    def recognise(self, text: str) -> Drug | None:
        """The ingredient a free-text medication names (the longest name found in it)."""
        low = (text or "").lower()
        best: Entry | None = None
        best_len = 0
        for e in self.known:
            for name in (e.ingredient_zh, e.ingredient_en):
                if name and name.lower() in low and len(name) > best_len:
                    best, best_len = e, len(name)
        if best is None:
            return None
        strength = _STRENGTH.search(low)
        return Drug(
            best.ingredient_en, best.atc, text.strip(), None,
            strength.group(0).replace(" ", "") if strength else "",
        )  # fmt: skip

    def entry_for(self, text: str) -> Entry | None:
        """The one entry a free-text medicine names (as :meth:`recognise` reads it): that
        ingredient at the strength written (0.5g is 500 mg) and, when the text names a dosage
        form (片, 胶囊, 缓释, 肠溶, tablet...), that form; None when no entry or more than one
        fits, or the text gives no strength."""
        drug = self.recognise(text)
        written = _amount(drug.strength) if drug is not None else None
        if drug is None or written is None:
            return None
        low = text.lower()
        forms = {form for words, form in _FORMS if any(w in low for w in words)}
        kinds = {kind for words, kind in _MODIFIED if any(w in low for w in words)}
        fits = [
            e for e in self.known
            if e.ingredient_en == drug.ingredient and e.atc == drug.atc
            and _amount(f"{e.strength_value:g}{e.strength_unit}") == written
            and all(f in e.form for f in forms)
            and {k for words, k in _MODIFIED if any(w in e.form for w in words)} == kinds
            and _same_salt(text, e)
        ]  # fmt: skip
        return fits[0] if len(fits) == 1 else None

    def drug_of(self, res: Resource) -> Drug | None:
        """What a MedicationRequest or MedicationStatement is of."""
        concept = res.get("medicationCodeableConcept") or {}
        atc = fid = ""
        for coding in concept.get("coding") or []:
            if coding.get("system") == SYS_ATC:
                atc = str(coding.get("code", ""))
            elif coding.get("system") == SYS_FORMULARY:
                fid = str(coding.get("code", ""))
        entry = self.get(fid) if fid else None
        if entry is not None:
            return entry.drug()
        text = str(concept.get("text") or "")
        if atc:
            same = [e for e in self.known if e.atc == atc]
            ingredient = same[0].ingredient_en if same else text.lower()
            return Drug(ingredient, atc, text or ingredient)
        return self.recognise(text) if text else None


_STRENGTH = re.compile(r"\d+(?:\.\d+)?\s*(?:mg|g|μg|ug|iu|ml)", re.IGNORECASE)
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|g|μg|ug|\[iu\]|iu|ml)", re.IGNORECASE)
_TO_MG = {"g": 1000.0, "mg": 1.0, "μg": 0.001, "ug": 0.001}
# Dosage forms and modified release, as written in Chinese or English, and as the formulary's
# forms name them: a text that names one must name the entry's.
_FORMS = (
    (("片", "tablet"), "tablet"),
    (("胶囊", "capsule"), "capsule"),
    (("注射", "injection"), "injection"),
    (("吸入", "气雾", "inhal"), "inhal"),
)
_MODIFIED = (
    (("缓释", "控释", "extended", "modified", "sustained"), "release"),
    (("肠溶", "enteric"), "enteric"),
)


def _same_salt(text: str, entry: Entry) -> bool:
    """Whether what a Chinese text writes around the ingredient (a salt: 马来酸氨氯地平片,
    氯沙坦钾片; a release: 控释片) is in the entry's Chinese name too."""
    at = text.find(entry.ingredient_zh) if entry.ingredient_zh else -1
    if at < 0:
        return True
    before = text[:at].strip()
    after = re.split(r"[片胶注吸气丸颗\s\d]", text[at + len(entry.ingredient_zh) :], maxsplit=1)[0]
    return all(part in entry.name_zh for part in (before, after.strip()))


def _amount(text: str) -> tuple[float, str] | None:
    """A strength as a comparable amount: (milligrams, "mg"), or (value, "iu"/"ml")."""
    found = _AMOUNT.search(text or "")
    if found is None:
        return None
    value, unit = float(found.group(1)), found.group(2).lower().strip("[]")
    if unit in _TO_MG:
        return round(value * _TO_MG[unit], 6), "mg"
    return value, unit


@cache
def starter() -> Formulary:
    """The packaged starter formulary (loaded once)."""
    return Formulary.load()


def current(medications: Iterable[Resource] = ()) -> Formulary:
    """The formulary in force: the platform's Medication records (pulled by a workstation,
    stored on the central platform) when there are any, else the packaged starter list (a
    workstation's first run, before its first sync). Every reader goes through here: the
    prescribe dialog, the checks, the medication list and the web desk."""
    synced = Formulary.from_medications(medications)
    return synced if synced.known else starter()
