"""The specialist's web desk (/desk/) on a real central app: sign-in through the same throttled
path, the worklist, a case, answers stored as the same FHIR records a sync push stores (the
clinic pulls them), the medication checks, CSRF and the security headers, sign-out."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.central.builders import consult, observation, patient, put, uid
from tests.central.conftest import PASSWORD, Central

pytestmark = pytest.mark.asyncio
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@pytest.fixture
def db_url(tmp_path) -> str:  # the desk adds no SQL of its own beyond authz's: SQLite is enough
    return f"sqlite:///{tmp_path / 'central.db'}"


def _med(pid: str, text: str, atc: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest", "id": uid(), "status": "active", "intent": "order",
        "subject": {"reference": f"Patient/{pid}"},
        "medicationCodeableConcept": {"text": text, "coding": [
            {"system": "http://www.whocc.no/atc", "code": atc, "display": text}]},
        "dosageInstruction": [{"text": "3 mg daily"}],
    }  # fmt: skip


async def _setup(central: Central) -> dict[str, Any]:
    central.client.session.cookie_jar.update_cookies({"desk_lang": "en"})
    clinic = await central.clinic()
    device = await central.device_token(clinic)
    await central.user("dr.heart", "specialist", specialties=("cardiology",))
    pid = uid()
    pat, med = patient(pid, name="王芳"), _med(pid, "warfarin", "B01AA03")
    obs = [observation(pid, value=v) for v in (150, 142, 135)]
    for n, o in enumerate(obs):
        o["effectiveDateTime"] = f"2026-0{n + 1}-10T09:00:00+08:00"
    sr = consult(pid, supporting=[f"Patient/{pid}", f"MedicationRequest/{med['id']}"]
                 + [f"Observation/{o['id']}" for o in obs])  # fmt: skip
    sr["priority"] = "urgent"
    sr["authoredOn"] = "2026-03-01T10:00:00+08:00"
    body = await central.push(device, put(pat), put(med), *[put(o) for o in obs], put(sr))
    assert all(r["status"] == "applied" for r in body["results"]), body
    return {"device": device, "pid": pid, "consult": sr["id"]}


async def _page(central: Central, path: str) -> tuple[int, str, Any]:
    async with central.client.get(path, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp.headers


async def _post(central: Central, path: str, form: dict[str, str]) -> tuple[int, str, Any]:
    async with central.client.post(path, data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp.headers


async def _sign_in(central: Central, password: str = PASSWORD) -> tuple[int, str, Any]:
    _, html, _ = await _page(central, "/desk/signin")
    token = CSRF.search(html)
    assert token
    form = {"csrf": token.group(1), "username": "dr.heart", "password": password}
    return await _post(central, "/desk/signin", form)


async def _csrf(central: Central, path: str) -> str:
    status, html, _ = await _page(central, path)
    assert status == 200, html
    found = CSRF.search(html)
    assert found
    return found.group(1)


async def _pulled(central: Central, device: str, rtype: str) -> list[dict]:
    return [c["resource"] for c in await central.pull_all(device)
            if c["rtype"] == rtype and c.get("resource")]  # fmt: skip


async def test_sign_in_worklist_and_security_headers(central: Central):
    ids = await _setup(central)
    status, _, headers = await _page(central, "/desk/worklist")
    assert status == 303 and headers["Location"] == "/desk/signin"
    status, html, headers = await _sign_in(central, "wrong password 2026")
    assert status == 401 and "The user name or password is wrong." in html
    status, _, headers = await _sign_in(central)
    assert status == 303 and headers["Location"] == "/desk/worklist"
    cookies = headers.getall("Set-Cookie")
    session = [c for c in cookies if c.startswith(("desk_access=", "desk_refresh="))]
    assert len(session) == 2
    for c in session:
        assert "HttpOnly" in c and "SameSite=Strict" in c and "Path=/desk/" in c
        assert "Secure" not in c  # plain HTTP on loopback: the documented development exception
    status, html, headers = await _page(central, "/desk/worklist")
    assert status == 200
    assert "王芳" in html and f"/desk/consults/{ids['consult']}" in html and "chest pain" in html
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in html and " style=" not in html  # nothing inline for the CSP to allow
    status, html, headers = await _page(central, f"/desk/consults/{ids['consult']}")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert "warfarin" in html and "<svg" in html  # the medicine sent and the BP trend
    async with central.client.get("/desk/static/htmx-2.0.11.min.js") as resp:
        assert resp.status == 200 and "htmx" in await resp.text()


async def test_the_clinic_pulls_the_decision_and_opinion(central: Central):
    ids = await _setup(central)
    await _sign_in(central)
    case = f"/desk/consults/{ids['consult']}"
    token = await _csrf(central, case)
    status, _, _ = await _post(central, f"{case}/accept", {"csrf": token})
    assert status == 303
    _, html, _ = await _page(central, "/desk/worklist")
    assert "state-accepted" in html
    opinion = {"csrf": token, "conclusion": "Start a beta blocker."}
    status, _, headers = await _post(central, f"{case}/opinion", opinion)
    assert status == 303 and headers["Location"] == f"{case}?saved=1"
    tasks = await _pulled(central, ids["device"], "Task")
    assert [t["businessStatus"]["text"] for t in tasks] == ["accepted"]
    assert tasks[0]["focus"]["reference"] == f"ServiceRequest/{ids['consult']}"
    reports = await _pulled(central, ids["device"], "DiagnosticReport")
    assert [r["conclusion"] for r in reports] == ["Start a beta blocker."]
    assert reports[0]["performer"] == [{"display": "dr.heart"}]
    _, html, _ = await _page(central, "/desk/worklist")
    assert ids["consult"] not in html  # answered: off the open worklist


async def test_a_prescription_with_a_warning_needs_a_reason(central: Central):
    ids = await _setup(central)
    await _sign_in(central)
    case = f"/desk/consults/{ids['consult']}"
    token = await _csrf(central, case)
    form = {"csrf": token, "medication": "ibuprofen", "dosage": "200 mg three times a day"}
    status, html, _ = await _post(central, f"{case}/prescription", form)
    assert status == 200 and 'name="override_reason"' in html and "warfarin" in html
    assert await _pulled(central, ids["device"], "MedicationRequest") != []  # only the clinic's
    assert len(await _pulled(central, ids["device"], "MedicationRequest")) == 1
    status, _, _ = await _post(central, f"{case}/prescription",
                               form | {"override_reason": "short course, INR checked"})  # fmt: skip
    assert status == 303
    rx = [m for m in await _pulled(central, ids["device"], "MedicationRequest")
          if m["medicationCodeableConcept"]["text"] == "ibuprofen"]  # fmt: skip
    assert len(rx) == 1 and rx[0]["basedOn"] == [{"reference": f"ServiceRequest/{ids['consult']}"}]
    ext = rx[0]["extension"][0]["extension"]
    assert {"url": "reason", "valueString": "short course, INR checked"} in ext
    assert any(e["valueString"].startswith("interaction:") for e in ext if e["url"] == "warning")
    # The specialist reads back what they signed: the case page's e-prescription list.
    status, html, _ = await _page(central, case)
    assert status == 200
    listed = _rx_list(html)
    assert "ibuprofen" in listed and "warfarin" not in listed  # theirs, not the clinic's


def _rx_list(html: str) -> str:
    """The case page's list of the consult's e-prescriptions."""
    return html.split('id="h-rx"', 1)[1].split("</ul>", 1)[0]


async def test_the_specialist_reads_back_what_they_prescribed(central: Central):
    ids = await _setup(central)
    await _sign_in(central)
    case = f"/desk/consults/{ids['consult']}"
    token = await _csrf(central, case)
    for action, form in (("accept", {}), ("opinion", {"conclusion": "Add amlodipine."}),
                         ("prescription", {"medication": "amlodipine", "days": "30",
                                           "dosage": "10 mg once a day"})):  # fmt: skip
        status, html, headers = await _post(central, f"{case}/{action}", form | {"csrf": token})
        assert status == 303 and headers["Location"] == f"{case}?saved=1", html
    rx = await _pulled(central, ids["device"], "MedicationRequest")
    assert "amlodipine" in [m["medicationCodeableConcept"]["text"] for m in rx]  # the clinic's
    status, html, _ = await _page(central, f"{case}?saved=1")
    assert status == 200
    assert "amlodipine — 10 mg once a day" in _rx_list(html)  # ... and the specialist's view


async def test_posts_without_the_csrf_token_are_refused(central: Central):
    ids = await _setup(central)
    await _sign_in(central)
    case = f"/desk/consults/{ids['consult']}"
    await _csrf(central, case)
    for form in ({}, {"csrf": "0" * 64}):
        status, html, _ = await _post(central, f"{case}/opinion", form | {"conclusion": "x"})
        assert status == 403 and "The form expired" in html
    assert await _pulled(central, ids["device"], "DiagnosticReport") == []
    _, html, _ = await _page(central, "/desk/signin")  # the sign-in form is protected too
    status, _, _ = await _post(central, "/desk/signin",
                               {"username": "dr.heart", "password": PASSWORD})  # fmt: skip
    assert status == 403


async def test_sign_out_ends_the_session_on_the_server(central: Central):
    await _setup(central)
    _, _, headers = await _sign_in(central)
    access = next(c.split(";")[0].split("=", 1)[1] for c in headers.getall("Set-Cookie")
                  if c.startswith("desk_access="))  # fmt: skip
    assert (await central.get("/api/v1/whoami", access)).status == 200
    token = await _csrf(central, "/desk/worklist")
    status, _, headers = await _post(central, "/desk/signout", {"csrf": token})
    assert status == 303 and headers["Location"] == "/desk/signin"
    assert (await central.get("/api/v1/whoami", access)).status == 401
    status, _, headers = await _page(central, "/desk/worklist")
    assert status == 303 and headers["Location"] == "/desk/signin"


async def test_clinicians_cannot_use_the_desk(central: Central):
    central.client.session.cookie_jar.update_cookies({"desk_lang": "en"})
    clinic = await central.clinic()
    await central.user("dr.li", "clinician", clinic_id=clinic)
    _, html, _ = await _page(central, "/desk/signin")
    token = CSRF.search(html)
    assert token
    status, html, headers = await _post(central, "/desk/signin", {
        "csrf": token.group(1), "username": "dr.li", "password": PASSWORD})  # fmt: skip
    assert status == 403 and "for specialists" in html
    assert not any(c.startswith("desk_access=") for c in headers.getall("Set-Cookie", []))


STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=|javascript:", re.I)


async def test_every_page_keeps_the_strict_policy_and_no_inline_code(central: Central):
    """The OWASP basics on every desk page, the call page and a page of warnings included:
    the same strict CSP (no inline script or style, no blob: or data: images), no-store, and
    nothing inline in the HTML for a policy to allow."""
    ids = await _setup(central)
    _, html, headers = await _page(central, "/desk/signin")
    pages = [("signin", html, headers)]
    await _sign_in(central)
    case = f"/desk/consults/{ids['consult']}"
    for path in ("/desk/worklist", case, f"{case}/call"):
        status, html, headers = await _page(central, path)
        assert status == 200, (path, html)
        pages.append((path, html, headers))
    token = await _csrf(central, case)
    form = {"csrf": token, "medication": "ibuprofen", "dosage": "200 mg three times a day"}
    status, html, headers = await _post(central, f"{case}/prescription", form)
    assert status == 200 and "findings" in html
    pages.append(("warnings", html, headers))
    for name, html, headers in pages:
        assert headers["Content-Security-Policy"] == STRICT_CSP, name
        assert headers["Cache-Control"] == "no-store", name
        assert headers["X-Frame-Options"] == "DENY", name
        assert INLINE.search(html) is None, (name, INLINE.search(html))
