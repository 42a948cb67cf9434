"""Structured visit forms: versioned FHIR Questionnaires and the QuestionnaireResponses they give.

Definitions live in ``forms/<name>-<version>.json``. A response names the exact
``url|version`` it answers, so an old visit still renders with the form it was written in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from clinic_app.errors import ValidationError
from clinic_app.records.common import Resource, iso, new_id, ref

FORM_KINDS = ("initial-visit", "follow-up")


@dataclass(frozen=True)
class FormItem:
    link_id: str
    text: str
    type: str
    required: bool
    options: tuple[tuple[str, str], ...]  # (code, display)
    max_length: int | None


@dataclass(frozen=True)
class FormDefinition:
    name: str
    version: str
    url: str
    title: str
    items: tuple[FormItem, ...]
    questionnaire: Resource

    @property
    def canonical(self) -> str:
        return f"{self.url}|{self.version}"


@cache
def _all_definitions() -> dict[tuple[str, str], FormDefinition]:
    found: dict[tuple[str, str], FormDefinition] = {}
    folder = resources.files("clinic_app.records") / "forms"
    for entry in folder.iterdir():
        if not entry.name.endswith(".json"):
            continue
        q = json.loads(entry.read_text(encoding="utf-8"))
        items = tuple(
            FormItem(
                link_id=i["linkId"],
                text=i["text"],
                type=i["type"],
                required=bool(i.get("required")),
                options=tuple(
                    (o["valueCoding"]["code"], o["valueCoding"]["display"])
                    for o in i.get("answerOption", [])
                ),
                max_length=i.get("maxLength"),
            )
            for i in q["item"]
        )
        found[(q["id"], q["version"])] = FormDefinition(
            q["id"], q["version"], q["url"], q["title"], items, q
        )
    return found


def definition(name: str, version: str | None = None) -> FormDefinition:
    """The named form at ``version`` (default: the newest)."""
    versions = [d for (n, _), d in _all_definitions().items() if n == name]
    if not versions:
        raise ValidationError("form", "Unknown form.")
    if version is None:
        return max(versions, key=lambda d: int(d.version))
    for d in versions:
        if d.version == version:
            return d
    raise ValidationError("form", "Unknown form version.")


def definition_for(canonical: str) -> FormDefinition:
    url, _, version = canonical.partition("|")
    for d in _all_definitions().values():
        if d.url == url and d.version == version:
            return d
    raise ValidationError("form", "Unknown form version.")


def _answer(item: FormItem, value: Any) -> dict[str, Any]:
    if item.type in ("string", "text"):
        text = str(value).strip()
        if item.max_length and len(text) > item.max_length:
            raise ValidationError(item.link_id, f"At most {item.max_length} characters.")
        return {"valueString": text}
    if item.type == "integer":
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValidationError(item.link_id, "Enter a whole number.") from None
        if number < 0:
            raise ValidationError(item.link_id, "Enter zero or more.")
        return {"valueInteger": number}
    if item.type == "decimal":
        try:
            return {"valueDecimal": float(str(value).strip())}
        except ValueError:
            raise ValidationError(item.link_id, "Enter a number.") from None
    if item.type == "boolean":
        if not isinstance(value, bool):
            raise ValidationError(item.link_id, "Answer yes or no.")
        return {"valueBoolean": value}
    if item.type == "choice":
        for code, display in item.options:
            if value == code:
                return {"valueCoding": {"code": code, "display": display}}
        raise ValidationError(item.link_id, "Choose one of the listed answers.")
    raise ValidationError(item.link_id, "Unsupported question type.")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def build_response(
    form: FormDefinition,
    answers: dict[str, Any],
    *,
    patient_id: str,
    encounter_id: str,
    authored: datetime,
    author: str | None = None,
) -> Resource:
    """Validate ``answers`` ({linkId: value}) against ``form``; a QuestionnaireResponse."""
    known = {i.link_id for i in form.items}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValidationError(unknown[0], "That question is not part of this form.")
    items = []
    for item in form.items:
        value = answers.get(item.link_id)
        if _blank(value):
            if item.required:
                raise ValidationError(item.link_id, f"'{item.text}' is required.")
            continue
        items.append({"linkId": item.link_id, "text": item.text, "answer": [_answer(item, value)]})
    resp: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": new_id(),
        "questionnaire": form.canonical,
        "status": "completed",
        "subject": ref("Patient", patient_id),
        "encounter": ref("Encounter", encounter_id),
        "authored": iso(authored),
        "item": items,
    }
    if author:
        resp["author"] = {"display": author}
    return resp


def answers_of(response: Resource) -> dict[str, Any]:
    """{linkId: plain value} out of a QuestionnaireResponse."""
    out: dict[str, Any] = {}
    for item in response.get("item", []):
        for ans in item.get("answer", [])[:1]:
            for key, value in ans.items():
                if key == "valueCoding":
                    out[item["linkId"]] = value.get("code")
                elif key.startswith("value"):
                    out[item["linkId"]] = value
    return out
