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
from clinic_app.clinical import prescribing
from clinic_app.records import common, messages, orders, schedule
from clinic_app.records.vitals import VITALS
from tests.central.builders import consult, patient, put, uid
from tests.central.conftest import PASSWORD, Central

DESK = Path(views.__file__).resolve().parent
ROOT = DESK.parents[1]
# views.py's module constants that are sentences shown on a page
SENTENCES = ("EXPIRED", "SAVED", "CHANGED", "WITHDRAWN", "DECLINED", "WARNINGS", "NO_DAY",
             "SESSION_ENDS", "THROTTLED")  # fmt: skip
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
            if isinstance(name, ast.Name) and name.id in SENTENCES:
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
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "ntranslate":
            out |= {str(a.value) for a in node.args[1:2] if isinstance(a, ast.Constant)}
    return out


def _builder_messages() -> set[str]:
    """The ValidationError sentences of the record builders the desk's forms go through."""
    out: set[str] = set()
    for module in (orders, schedule, messages, prescribing, common):
        for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ValidationError":
                out |= {str(a.value) for a in node.args[1:2] if isinstance(a, ast.Constant)}
    assert len(out) > 10
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
    words = _template_words() | _view_messages() | _builder_messages() | from_data
    words |= set(terms.ERRORS.values()) | set(terms.SINGULAR)
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


# -- counts, in the English singular and plural ----------------------------------------------


def test_counts_say_one_in_the_singular_in_english():
    ends = views.SESSION_ENDS
    assert terms.ntranslate("en", ends, 1).startswith("Your session ends in 1 minute:")
    assert terms.ntranslate("en", ends, 2).startswith("Your session ends in 2 minutes:")
    assert terms.ntranslate("en", ends, 0).startswith("Your session ends in 0 minutes:")
    assert terms.ntranslate("zh", ends, 1) == "您的会话将在 1 分钟后结束：请保存工作后重新登录。"
    assert terms.ntranslate("zh", ends, 5) == "您的会话将在 5 分钟后结束：请保存工作后重新登录。"
    assert terms.ntranslate("en", views.THROTTLED, 1) == (
        "Too many sign-in attempts: wait 1 second, then try again.")  # fmt: skip
    assert terms.ntranslate("en", "%n bytes", 1) == "1 byte"
    assert terms.ntranslate("en", "%n bytes", 512) == "512 bytes"
    assert terms.ntranslate("zh", "%n bytes", 1) == "1 字节"
    # the call page's script fills the count into the form the server gives it
    assert terms.plural_forms("en", "%n bytes") == ("%n byte", "%n bytes")
    assert terms.plural_forms("zh", "%n bytes") == ("%n 字节", "%n 字节")
    for plural, singular in terms.SINGULAR.items():
        assert plural.count("%n") == singular.count("%n") == 1, plural
        assert plural in ZH and ZH[plural].count("%n") == 1, plural


# -- every error code the desk can be answered with has its sentence --------------------------

_CODE_ARG = {"ApiError": 1, "Problem": 0, "RefProblem": 0, "Denied": 1, "_rejected": 1,
             "_refuse": 1, "_error": 0, "bad_request": 1, "ProtocolError": 1}  # fmt: skip
_DEFAULT_CODE = {"unauthorized": "unauthorized", "forbidden": "forbidden",
                 "not_found": "not_found", "conflict": "conflict", "bad_request": "bad_request",
                 "Denied": "not_permitted"}  # fmt: skip


def _constants(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constants(node.body) | _constants(node.orelse)
    return set()


def _raised_codes() -> set[str]:
    """The codes the central platform's modules and the wire protocol answer with: the code
    argument of every ApiError, sync Problem, RefProblem, authz Denied, rejected change and
    call error they build (or the helper's default code), and the protocol's field codes."""
    from clinic_app.sync import protocol

    files = [*(ROOT / "central").glob("*.py"), Path(protocol.__file__)]
    codes: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in _CODE_ARG and name not in _DEFAULT_CODE:
                continue
            found: set[str] = set()
            at = _CODE_ARG.get(name or "")
            if at is not None and len(node.args) > at:
                found |= _constants(node.args[at])
            for kw in node.keywords:
                if kw.arg == "code":
                    found |= _constants(kw.value)
            if not found and name in _DEFAULT_CODE and not node.keywords and (
                    at is None or len(node.args) <= at):  # fmt: skip
                found = {_DEFAULT_CODE[name or ""]}
            codes |= found
    codes |= {code for _, code in protocol._FIELDS.values()} | set(protocol._RULES)
    return codes


def _hierarchy_codes() -> set[str]:
    """The codes of the product's error hierarchy (clinic_errors and its subclasses)."""
    # the modules whose classes join the hierarchy
    import central.errors  # noqa: F401
    import clinic_app.errors
    import clinic_app.sync.client
    import clinic_app.sync.protocol  # noqa: F401
    import local_store.errors  # noqa: F401
    import media.errors  # noqa: F401
    from clinic_errors import ClinicError

    def walk(cls: type) -> set[str]:
        return {str(cls.code)}.union(*(walk(sub) for sub in cls.__subclasses__()))

    return walk(ClinicError)


def test_every_error_code_has_a_sentence_in_both_languages():
    from ui import error_texts

    raised = _raised_codes()
    assert {"unstorable_text", "reference_not_found", "not_permitted", "consult_closed",
            "too_many_attempts", "invalid_change", "change_id_reused"} <= raised  # fmt: skip
    hierarchy = _hierarchy_codes()
    assert {"DISK_FULL", "ERROR", "bad_request", "CENTRAL_COMMAND"} <= hierarchy
    desktop = {k for k in error_texts.TEMPLATES if "." not in k}  # the desktop's own codes
    missing = sorted((raised | hierarchy | desktop) - set(terms.ERRORS))
    assert missing == [], missing
    for code, sentence in terms.ERRORS.items():
        assert sentence in ZH and CJK.search(ZH[sentence]), (code, sentence)
        assert terms.error_text("en", code) == sentence
        assert terms.error_text("zh", code) == ZH[sentence]
    # the same words as the desktop: its error texts, and its translations (clinic_zh_CN.ts)
    for code in desktop:
        sentence = error_texts.TEMPLATES[code]
        assert terms.ERRORS[code] == sentence, code
        assert ZH[sentence] == error_texts.ZH[sentence], code
    ts = _desktop_translations()
    shared = [s for s in set(terms.ERRORS.values()) if s in ts]
    assert len(shared) > 12, shared
    for sentence in shared:
        assert ZH[sentence] in ts[sentence], (sentence, ZH[sentence], ts[sentence])
    # a code the table does not know is still said in the desk's language
    assert terms.refusal("zh", "some_new_code") == "未保存：中心平台拒绝了这项更改。"


def _desktop_translations() -> dict[str, set[str]]:
    import xml.etree.ElementTree as ET

    out: dict[str, set[str]] = {}
    root = ET.parse(ROOT / "ui" / "i18n" / "clinic_zh_CN.ts").getroot()
    for message in root.iter("message"):
        source, translation = message.findtext("source"), message.find("translation")
        if source and translation is not None and translation.text:
            out.setdefault(source, set()).add(translation.text)
    return out


# -- refusals on the Chinese desk: said in Chinese, and nothing saved ---------------------------

ERROR_P = re.compile(r'<p class="error" role="alert">(.*?)</p>', re.S)


async def _signed_in(central: Central, lang: str) -> dict[str, str]:
    clinic = await central.clinic()
    device = await central.device_token(clinic)
    await central.user("dr.heart", "specialist", specialties=("cardiology",))
    pid = uid()
    med = _med(pid, "warfarin", "B01AA03")  # the clinic's: ibuprofen interacts with it
    sr = consult(pid, supporting=[f"Patient/{pid}", f"MedicationRequest/{med['id']}"])
    body = await central.push(device, put(patient(pid, name="王芳")), put(med), put(sr))
    assert all(r["status"] == "applied" for r in body["results"]), body
    central.client.session.cookie_jar.update_cookies({"desk_lang": lang})
    async with central.client.get("/desk/signin") as resp:
        token = CSRF.search(await resp.text())
    assert token
    form = {"csrf": token.group(1), "username": "dr.heart", "password": PASSWORD}
    async with central.client.post("/desk/signin", data=form, allow_redirects=False) as resp:
        assert resp.status == 303
    return {"device": device, "pid": pid, "consult": sr["id"],
            "case": f"/desk/consults/{sr['id']}"}  # fmt: skip


async def _csrf(central: Central, path: str) -> str:
    async with central.client.get(path) as resp:
        found = CSRF.search(await resp.text())
    assert found
    return found.group(1)


async def _refused(central: Central, path: str, form: dict[str, str],
                   status: int) -> str:  # fmt: skip
    """The refusal a form post is answered with (the page's alert), as shown."""
    async with central.client.post(path, data=form, allow_redirects=False) as resp:
        page = await resp.text()
        assert resp.status == status, page
    found = ERROR_P.search(page)
    assert found, page
    return htmllib.unescape(found.group(1))


def _chinese_only(text: str) -> None:
    """Chinese, with no English word left (abbreviations such as FHIR may stay)."""
    assert CJK.search(text), text
    left = [w for w in LATIN_WORD.findall(text) if not w.isupper()]
    assert left == [], text


async def _pulled(central: Central, device: str, rtype: str) -> list[dict]:
    return [c["resource"] for c in await central.pull_all(device)
            if c["rtype"] == rtype and c.get("resource")]  # fmt: skip


@pytest.mark.asyncio
async def test_refusals_on_the_chinese_desk_are_said_in_chinese(central: Central):
    ids = await _signed_in(central, "zh")
    case = ids["case"]
    token = await _csrf(central, case)
    # the central platform refuses the change (a NUL character cannot be stored): said by
    # its code, not with the server's English message
    text = await _refused(central, f"{case}/opinion",
                          {"csrf": token, "conclusion": "加用\x00氨氯地平"}, 422)  # fmt: skip
    assert text == "未保存：该记录含有无法保存的字符，例如从其他程序粘贴来的不可见控制字符。"
    _chinese_only(text)
    # a field too long for the desk
    text = await _refused(central, f"{case}/opinion",
                          {"csrf": token, "conclusion": "长" * 20001}, 200)  # fmt: skip
    assert text == "文字过长。"
    text = await _refused(central, f"{case}/decline", {"csrf": token, "reason": "x" * 2001}, 200)
    assert text == "文字过长。"
    # a prescription whose warnings need a reason, signed without one
    text = await _refused(central, f"{case}/prescription", {
        "csrf": token, "medication": "ibuprofen", "dosage": "200 mg", "override_reason": " "},
        200)  # fmt: skip
    assert text == "有警示：须填写理由才能签署。"
    # an expired (or forged) form token
    text = await _refused(central, f"{case}/opinion", {"csrf": "0" * 64, "conclusion": "好"}, 403)
    assert text == "表单已失效：请刷新页面后重试。"
    # an opinion on a consult the specialist declined: accept it first
    async with central.client.post(f"{case}/decline", allow_redirects=False,
                                   data={"csrf": token, "reason": "非本专科"}) as resp:  # fmt: skip
        assert resp.status == 303
    text = await _refused(central, f"{case}/opinion", {"csrf": token, "conclusion": "好"}, 409)
    assert text == "此会诊已被拒绝：请先接受，再答复。"
    text = await _refused(central, f"{case}/prescription", {
        "csrf": token, "medication": "amlodipine", "dosage": "5 mg"}, 409)  # fmt: skip
    assert text == "此会诊已被拒绝：请先接受，再答复。"
    # the clinic withdraws the consult: nothing more can be answered or decided
    pulled = await central.pull_all(ids["device"])
    row = next(c for c in pulled if c["record_id"] == ids["consult"])
    withdrawn = dict(row["resource"]) | {"status": "revoked"}
    withdrawn.pop("meta", None)
    body = await central.push(ids["device"], put(withdrawn, base=row["version"]))
    assert body["results"][0]["status"] == "applied", body
    for action, form in (("accept", {}), ("message", {"text": "您好"}),
                         ("opinion", {"conclusion": "好"})):  # fmt: skip
        text = await _refused(central, f"{case}/{action}", form | {"csrf": token}, 409)
        assert text == "此会诊申请已关闭或已撤回。", action
    # a page that is not there
    async with central.client.get(f"/desk/consults/{uid()}") as resp:
        assert resp.status == 404
        found = ERROR_P.search(await resp.text())
    assert found and found.group(1) == "该记录不存在，或您无权查看。"
    async with central.client.get(f"{case}/call") as resp:  # withdrawn: its call is closed
        assert resp.status == 409
        found = ERROR_P.search(await resp.text())
    assert found and found.group(1) == "此会诊已撤回，通话已关闭。"
    # ... and nothing of it was saved: the clinic pulls only the decline
    assert await _pulled(central, ids["device"], "DiagnosticReport") == []
    assert await _pulled(central, ids["device"], "Communication") == []
    assert [
        m["medicationCodeableConcept"]["text"]
        for m in await _pulled(central, ids["device"], "MedicationRequest")
    ] == ["warfarin"]
    tasks = await _pulled(central, ids["device"], "Task")
    assert [t["businessStatus"]["text"] for t in tasks] == ["declined"]


@pytest.mark.asyncio
async def test_a_refusal_on_the_english_desk_names_the_reason_not_the_server_message(
    central: Central,
):
    ids = await _signed_in(central, "en")
    token = await _csrf(central, ids["case"])
    text = await _refused(central, f"{ids['case']}/opinion",
                          {"csrf": token, "conclusion": "add\x00amlodipine"}, 422)  # fmt: skip
    assert text == ("Not saved: The record holds characters that cannot be stored, such as an "
                    "invisible control character pasted from another program.")  # fmt: skip
    assert not CJK.search(text)
    assert await _pulled(central, ids["device"], "DiagnosticReport") == []


# -- the slot picker speaks the desk's language, without script -------------------------------

OPTION = re.compile(r'<option value="([^"]*)"( selected)?>([^<]*)</option>')


def _select(page: str, name: str) -> list[tuple[str, bool, str]]:
    block = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return [(v, bool(sel), htmllib.unescape(label)) for v, sel, label in OPTION.findall(block)]


@pytest.mark.asyncio
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_slot_picker_follows_the_desk_language(central: Central, lang: str):
    from datetime import date, datetime, timedelta

    ids = await _signed_in(central, lang)
    case = ids["case"]
    async with central.client.get(case) as resp:
        page = await resp.text()
    assert 'type="datetime-local"' not in page  # no input that follows the browser's locale
    days, hours = _select(page, "day"), _select(page, "hour")
    now = datetime.now().astimezone()
    today = now.date()
    assert [v for v, _, _ in days] == [(today + timedelta(days=n)).isoformat() for n in range(14)]
    assert [v for v, _, _ in hours] == [str(h) for h in range(24)]
    assert hours[9][2] == "09:00–10:00"
    nxt = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert [v for v, sel, _ in days if sel] == [nxt.date().isoformat()]
    assert [v for v, sel, _ in hours if sel] == [str(nxt.hour)]
    tomorrow = today + timedelta(days=1)
    label = days[1][2]
    if lang == "zh":
        assert label.startswith("明天 · ") and f"{tomorrow.month}月{tomorrow.day}日" in label
        assert days[0][2].startswith("今天 · ")
        assert "每个时段一小时" in page and "Times are" not in page
        for _, _, text in days:
            _chinese_only(text)
    else:
        assert label.startswith("Tomorrow · ") and f" {tomorrow.day} " in label
        assert days[0][2].startswith("Today · ")
        assert "Times are one-hour slots in UTC" in page
        assert not any(CJK.search(text) for _, _, text in days)
    token = CSRF.search(page)
    assert token
    form = {"csrf": token.group(1), "day": tomorrow.isoformat(), "hour": "10"}
    # refusals in the desk's language: a slot over, a day out of range, a made-up hour
    yesterday = (today - timedelta(days=1)).isoformat()
    expected = {"en": ("That slot is over; choose a later one.",
                       "Choose a day in the next 14 days.", "Choose a time on the hour."),
                "zh": ("该时段已过，请选择更晚的时段。", "请选择今后 14 天内的日期。",
                       "请选择整点时间。")}[lang]  # fmt: skip
    if now.hour > 0:
        over = await _refused(central, f"{case}/schedule",
                              form | {"day": today.isoformat(), "hour": "0"}, 200)  # fmt: skip
        assert over == expected[0]
    assert await _refused(central, f"{case}/schedule", form | {"day": yesterday}, 200) == \
        expected[1]  # fmt: skip
    far = (today + timedelta(days=14)).isoformat()
    assert await _refused(central, f"{case}/schedule", form | {"day": far}, 200) == expected[1]
    assert await _refused(central, f"{case}/schedule", form | {"hour": "24"}, 200) == expected[2]
    assert await _pulled(central, ids["device"], "Appointment") == []
    # a plain form post (no script) books the hour chosen, in the desk's time zone
    async with central.client.post(f"{case}/schedule", data=form, allow_redirects=False) as resp:
        assert resp.status == 303, await resp.text()
    booked = await _pulled(central, ids["device"], "Appointment")
    assert len(booked) == 1
    start = datetime.fromisoformat(booked[0]["start"])
    assert start == datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10).astimezone()
    assert isinstance(start.date(), date)


@pytest.mark.asyncio
async def test_the_worklist_counts_in_the_singular_and_the_plural(central: Central):
    ids = await _signed_in(central, "en")
    async with central.client.get("/desk/worklist") as resp:
        page = await resp.text()
    assert ">1 open consult request<" in page
    pid = uid()
    await central.push(ids["device"], put(patient(pid)), put(consult(pid)))
    async with central.client.get("/desk/worklist") as resp:
        page = await resp.text()
    assert ">2 open consult requests<" in page
    central.client.session.cookie_jar.update_cookies({"desk_lang": "zh"})
    async with central.client.get("/desk/worklist") as resp:
        page = await resp.text()
    assert ">2 个待处理的会诊申请<" in page
