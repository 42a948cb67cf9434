"""The web desk speaks one language at a time: every word of its pages goes through its
translation table (central/desk/terms.py, the desktop's terms), and the medication checks'
warnings read in English on the English desk and in Chinese on the Chinese desk — severity
words, not raw codes, never the other language's text."""

from __future__ import annotations

import ast
import html as htmllib
import re
from pathlib import Path
from typing import Any

import pytest

from central.desk import terms, views
from central.desk.terms import SEVERITY, ZH
from clinic_app.records import orders
from clinic_app.records.vitals import VITALS
from tests.central.builders import consult, patient, put, uid
from tests.central.conftest import PASSWORD, Central

DESK = Path(views.__file__).resolve().parent
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z-]+")
FINDING = re.compile(r'<li class="sev-(\w+)"><strong class="severity">(.*?)</strong> '
                     r'<span class="finding">(.*?)</span></li>', re.S)  # fmt: skip


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'central.db'}"


def _template_words() -> set[str]:
    words = set()
    for path in (DESK / "templates").glob("*.html"):
        words |= {m.group(2) for m in re.finditer(r"""\bt\((["'])(.+?)\1""", path.read_text())}
    return words


def _view_messages() -> set[str]:
    """The sentences views.py shows: its constants, ``error=`` literals and the messages of
    the ValidationErrors it raises (passed through ``t`` by base.html)."""
    tree = ast.parse((DESK / "views.py").read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            name = node.targets[0]
            if isinstance(name, ast.Name) and name.id in ("EXPIRED", "SAVED", "CHANGED"):
                out.add(str(node.value.value))
        if isinstance(node, ast.keyword) and node.arg == "error":
            if isinstance(node.value, ast.Constant):
                out.add(str(node.value.value))
            elif isinstance(node.value, ast.IfExp):
                out |= {str(v.value) for v in (node.value.body, node.value.orelse)
                        if isinstance(v, ast.Constant)}  # fmt: skip
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ValidationError":
            out |= {str(a.value) for a in node.args[1:] if isinstance(a, ast.Constant)}
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "translate":
            out |= {str(a.value) for a in node.args[1:2] if isinstance(a, ast.Constant)}
    return out


def test_every_desk_word_has_its_chinese():
    from_data = {
        *orders.SPECIALTIES.values(),
        *(v.display for v in VITALS.values()),
        *(p.upper() if p in ("stat", "asap") else p.capitalize() for p in orders.PRIORITIES),
        *(
            s.capitalize()
            for s in ("new", "accepted", "scheduled", "answered", "declined", "cancelled", "draft")
        ),
        *SEVERITY.values(),
        # the validation errors of the record builders a desk form can reach
        "Enter the medication.",
        "That medicine is not in the formulary.",
        "Write the opinion.",
        "The opinion is too long (20000 characters at most).",
        "Write the message.",
        "The message is too long (4000 characters at most).",
        "Appointments start on the hour (one-hour slots).",
        "Choose a specialty from the list.",
        "Not Found",
    }
    words = _template_words() | _view_messages() | from_data
    assert len(words) > 100
    missing = sorted(w for w in words if w not in ZH)
    assert missing == [], missing
    # ... and what the table says in Chinese is Chinese (no English left in a translation)
    for en, zh in ZH.items():
        assert CJK.search(zh), (en, zh)


def test_finding_sentences_in_both_languages():
    from clinic_app.clinical.medication_checks import Finding

    f = Finding("interaction", "major", "warfarin", "interaction:B01AA03+M01AE01",
                effect={"en": "bleeding risk", "zh": "出血风险"})  # fmt: skip
    assert terms.describe("en", f) == "interacts with warfarin: bleeding risk"
    assert terms.describe("zh", f) == "与 warfarin 相互作用：出血风险"
    assert (terms.severity("en", "major"), terms.severity("zh", "major")) == ("Major", "严重")
    assert terms.severity("zh", "contraindicated") == "禁忌"


def _med(pid: str, text: str, atc: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest", "id": uid(), "status": "active", "intent": "order",
        "subject": {"reference": f"Patient/{pid}"},
        "medicationCodeableConcept": {"text": text, "coding": [
            {"system": "http://www.whocc.no/atc", "code": atc, "display": text}]},
        "dosageInstruction": [{"text": "once a day"}],
    }  # fmt: skip


def _allergy(pid: str, text: str) -> dict[str, Any]:
    status = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
    return {
        "resourceType": "AllergyIntolerance", "id": uid(),
        "patient": {"reference": f"Patient/{pid}"},
        "clinicalStatus": {"coding": [{"system": status, "code": "active"}]},
        "code": {"text": text},
    }  # fmt: skip


async def _warnings(central: Central, case: str, lang: str, medication: str) -> list[tuple]:
    central.client.session.cookie_jar.update_cookies({"desk_lang": lang})
    async with central.client.get(case) as resp:
        token = CSRF.search(await resp.text())
    assert token
    form = {"csrf": token.group(1), "medication": medication, "dosage": "1 tablet"}
    async with central.client.post(f"{case}/prescription", data=form) as resp:
        page = await resp.text()
        assert resp.status == 200, page
    found = [(sev, htmllib.unescape(word), htmllib.unescape(text))
             for sev, word, text in FINDING.findall(page)]  # fmt: skip
    assert found, page
    return found


@pytest.mark.asyncio
async def test_prescription_warnings_render_in_english_and_in_chinese(central: Central):
    clinic = await central.clinic()
    device = await central.device_token(clinic)
    await central.user("dr.heart", "specialist", specialties=("cardiology",))
    pid = uid()
    # what the clinic sent: names as its records hold them (shown as written, in any language)
    sent = [_med(pid, "warfarin", "B01AA03"), _med(pid, "simvastatin", "C10AA01")]
    allergy = _allergy(pid, "penicillin")
    sr = consult(pid, supporting=[f"Patient/{pid}", f"AllergyIntolerance/{allergy['id']}"]
                 + [f"MedicationRequest/{m['id']}" for m in sent])  # fmt: skip
    body = await central.push(device, put(patient(pid, name="王芳")), *[put(m) for m in sent],
                              put(allergy), put(sr))  # fmt: skip
    assert all(r["status"] == "applied" for r in body["results"]), body
    central.client.session.cookie_jar.update_cookies({"desk_lang": "en"})
    async with central.client.get("/desk/signin") as resp:
        token = CSRF.search(await resp.text())
    assert token
    form = {"csrf": token.group(1), "username": "dr.heart", "password": PASSWORD}
    async with central.client.post("/desk/signin", data=form, allow_redirects=False) as resp:
        assert resp.status == 303
    case = f"/desk/consults/{sr['id']}"
    names = {"warfarin", "simvastatin", "penicillin"}
    seen: dict[str, set[str]] = {"en": set(), "zh": set()}
    # an interaction (major), a contraindicated one, an allergy, a duplicate of a class
    for medication in ("ibuprofen", "clarithromycin", "amoxicillin", "atorvastatin"):
        for lang in ("en", "zh"):
            for sev, word, text in await _warnings(central, case, lang, medication):
                seen[lang].add(sev)
                assert word == terms.severity(lang, sev), (lang, sev, word)
                if lang == "en":
                    assert word in SEVERITY.values()
                    assert not CJK.search(word + text), (medication, word, text)
                else:
                    assert word in {ZH[w] for w in SEVERITY.values()}
                    # only the names the clinic wrote (and abbreviations such as CYP3A4,
                    # INR) may stay in Latin letters: no English word is left
                    left = [w for w in LATIN_WORD.findall(text)
                            if w not in names and not w.isupper()]  # fmt: skip
                    assert left == [], (medication, text)
                    assert CJK.search(text), text
    assert seen["en"] == seen["zh"] and {"major", "contraindicated"} <= seen["en"], seen
