"""Patient: Chinese and Latin names, resident ID (checked), phone, address."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clinic_app.errors import ValidationError
from clinic_app.records.common import SYS_RESIDENT_ID, Resource, new_id
from clinic_app.records.identity import is_mobile, normalize_phone, validate_resident_id
from clinic_app.records.names import has_han, name_pinyin, name_terms

GENDERS = ("male", "female", "other", "unknown")


@dataclass
class Address:
    line: str = ""
    district: str = ""
    city: str = ""
    province: str = ""
    postal_code: str = ""

    def text(self) -> str:
        return "".join(p for p in (self.province, self.city, self.district, self.line) if p)

    def is_empty(self) -> bool:
        return not any((self.line, self.district, self.city, self.province, self.postal_code))


@dataclass
class PatientInput:
    """What a clinician enters for a patient. ``family``/``given`` in characters or Latin."""

    family: str
    given: str
    gender: str = "unknown"
    birth_date: date | None = None
    resident_id: str = ""
    phone: str = ""
    latin_family: str = ""
    latin_given: str = ""
    address: Address = field(default_factory=Address)
    record_id: str | None = None

    def validate(self) -> None:
        """Raise ValidationError naming the first bad field; derive what the ID tells."""
        self.family = self.family.strip()
        self.given = self.given.strip()
        if not self.family and not self.given:
            raise ValidationError("family", "Enter the patient's name.")
        if len(self.family) > 40 or len(self.given) > 60:
            raise ValidationError("family", "The name is too long.")
        if self.gender not in GENDERS:
            raise ValidationError("gender", "Choose male, female, other or unknown.")
        if self.birth_date is not None and (
            self.birth_date > date.today() or self.birth_date.year < 1880
        ):
            raise ValidationError("birth_date", "The birth date is not possible.")
        if self.resident_id:
            value, born, gender = validate_resident_id(self.resident_id)
            self.resident_id = value
            if self.birth_date is None:
                self.birth_date = born
            elif self.birth_date != born:
                raise ValidationError(
                    "birth_date", "The birth date does not match the one in the ID number."
                )
            if self.gender == "unknown":
                self.gender = gender
            elif self.gender in ("male", "female") and self.gender != gender:
                raise ValidationError("gender", "The gender does not match the ID number.")
        if self.phone:
            self.phone = normalize_phone(self.phone)
        if has_han(self.family + self.given) and not (self.latin_family or self.latin_given):
            self.latin_family, self.latin_given = name_pinyin(self.family, self.given)

    def to_fhir(self) -> Resource:
        self.validate()
        han = has_han(self.family + self.given)
        official: dict[str, Any] = {
            "use": "official",
            "text": f"{self.family}{self.given}" if han else f"{self.given} {self.family}".strip(),
            "family": self.family,
            "given": [self.given] if self.given else [],
        }
        names = [official]
        if han and (self.latin_family or self.latin_given):
            names.append(
                {
                    "use": "usual",
                    "text": f"{self.latin_family} {self.latin_given}".strip(),
                    "family": self.latin_family,
                    "given": [self.latin_given] if self.latin_given else [],
                }
            )
        res: Resource = {
            "resourceType": "Patient",
            "id": self.record_id or new_id(),
            "active": True,
            "name": [{k: v for k, v in n.items() if v} for n in names],
            "gender": self.gender,
        }
        if self.resident_id:
            res["identifier"] = [
                {"use": "official", "system": SYS_RESIDENT_ID, "value": self.resident_id}
            ]
        if self.phone:
            use = "mobile" if is_mobile(self.phone) else "home"
            res["telecom"] = [{"system": "phone", "value": self.phone, "use": use}]
        if self.birth_date:
            res["birthDate"] = self.birth_date.isoformat()
        if not self.address.is_empty():
            a = self.address
            addr: dict[str, Any] = {"use": "home", "text": a.text(), "country": "CN"}
            if a.line:
                addr["line"] = [a.line]
            for key, value in (
                ("district", a.district),
                ("city", a.city),
                ("state", a.province),
                ("postalCode", a.postal_code),
            ):
                if value:
                    addr[key] = value
            res["address"] = [addr]
        return res

    @classmethod
    def from_fhir(cls, res: Resource) -> PatientInput:
        names = res.get("name") or [{}]
        official = next((n for n in names if n.get("use") == "official"), names[0])
        latin: dict[str, Any] = next((n for n in names if n.get("use") == "usual"), {})
        addr = (res.get("address") or [{}])[0]
        family = official.get("family", "")
        given = " ".join(official.get("given", []))
        latin_family = latin.get("family", "")
        latin_given = " ".join(latin.get("given", []))
        if has_han(family + given) and (latin_family, latin_given) == name_pinyin(family, given):
            # Derived, not typed: leave it empty so an edited name gets fresh pinyin.
            latin_family = latin_given = ""
        return cls(
            family=family,
            given=given,
            gender=res.get("gender", "unknown"),
            birth_date=date.fromisoformat(res["birthDate"]) if res.get("birthDate") else None,
            resident_id=resident_id_of(res) or "",
            phone=phone_of(res) or "",
            latin_family=latin_family,
            latin_given=latin_given,
            address=Address(
                line=" ".join(addr.get("line", [])),
                district=addr.get("district", ""),
                city=addr.get("city", ""),
                province=addr.get("state", ""),
                postal_code=addr.get("postalCode", ""),
            ),
            record_id=res.get("id"),
        )


def display_name(res: Resource) -> str:
    names = res.get("name") or []
    if not names:
        return ""
    official = next((n for n in names if n.get("use") == "official"), names[0])
    text = official.get("text")
    if text:
        return str(text)
    return f"{official.get('family', '')}{''.join(official.get('given', []))}"


def latin_name(res: Resource) -> str:
    for n in res.get("name") or []:
        if n.get("use") == "usual":
            return str(n.get("text", ""))
    return ""


def resident_id_of(res: Resource) -> str | None:
    for ident in res.get("identifier") or []:
        if ident.get("system") == SYS_RESIDENT_ID:
            return str(ident.get("value"))
    return None


def phone_of(res: Resource) -> str | None:
    for tel in res.get("telecom") or []:
        if tel.get("system") == "phone":
            return str(tel.get("value"))
    return None


def age_on(res: Resource, day: date) -> int | None:
    if not res.get("birthDate"):
        return None
    born = date.fromisoformat(res["birthDate"][:10])
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def search_terms(res: Resource) -> list[str]:
    """Terms for prefix search: names (characters, pinyin, initials), ID number, phone."""
    terms: set[str] = set()
    for n in res.get("name") or []:
        terms |= name_terms(n.get("family", ""), " ".join(n.get("given", [])))
    rid = resident_id_of(res)
    if rid:
        terms.add(rid.lower())
    phone = phone_of(res)
    if phone:
        terms.add(phone)
    return sorted(terms)
