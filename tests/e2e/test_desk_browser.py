"""The web desk in a real browser (Playwright on Debian's Chromium, headless) against a real
central process and real clinic workstations (tests/e2e/conftest.py's world): the specialist
signs in to /desk/, finds the clinic's consult on the worklist, accepts it, writes an opinion
and an e-prescription; after the clinic's sync they are in the clinic's records. A consult
begun on the desktop desk (clinic_app.services.desk, as the specialist) is finished in the
browser, and one begun in the browser is finished on the desktop."""

from __future__ import annotations

from playwright.sync_api import Page

from clinic_app.services import desk, orders
from tests.e2e.conftest import SPECIALIST_PASSWORD
from tests.e2e.desk_browser import browser, new_page, sign_in


def _sent_consult(world, family: str, given: str) -> str:
    patient = world.a.add_patient(family, given)
    consult = world.a.consult(patient["id"])["id"]
    assert world.a.sync_until_quiet().pending == 0
    return str(consult)


def _open_case(page: Page, url: str, name: str, consult: str) -> None:
    page.goto(f"{url}/desk/worklist")
    page.click(f"a[href='/desk/consults/{consult}']")
    page.wait_for_url(f"**/desk/consults/{consult}")
    assert name in page.inner_text("h1")


def _saved(page: Page) -> None:
    # a boosted form (htmx) posts in the background: the URL may already end in ?saved=1
    # from the form before, so wait for this request to be over first
    page.wait_for_selector(".htmx-request", state="detached")
    page.wait_for_url("**?saved=1")
    assert page.locator(".notice").count() == 1, page.inner_text("main")


def _accept(page: Page) -> None:
    page.click("#accept")
    _saved(page)


def _opinion(page: Page, text: str) -> None:
    page.fill("#conclusion", text)
    page.click("form[action$='/opinion'] button[type=submit]")
    _saved(page)


def _prescribe(page: Page, medication: str, dosage: str, days: str) -> None:
    page.fill("#medication", medication)
    page.fill("#dosage", dosage)
    page.fill("#days", days)
    page.click("form[action$='/prescription'] button[type=submit]")
    _saved(page)


def _answers_of(world, consult: str) -> dict[str, list[dict]]:
    """What the clinic holds for the consult after its sync."""
    assert world.a.sync_until_quiet().last_error is None
    store = world.a.store

    def based(rtype: str) -> list[dict]:
        wanted = {"reference": f"ServiceRequest/{consult}"}
        return [r for r in store.find(rtype) if wanted in (r.get("basedOn") or [])]

    return {
        "opinions": based("DiagnosticReport"),
        "prescriptions": based("MedicationRequest"),
        "decisions": [t for t in based("Task") if desk.is_decision(t)],
    }


def test_specialist_answers_in_the_browser_and_the_clinic_receives_it(world):
    consult = _sent_consult(world, "王", "芳")
    url = world.central.url
    with browser() as b:
        page = new_page(b)
        sign_in(page, url, "dr.heart", SPECIALIST_PASSWORD)
        # the worklist lists the clinic's request with its question
        row = page.locator(f"tr:has(a[href='/desk/consults/{consult}'])")
        assert "血压控制不佳" in row.inner_text()
        _open_case(page, url, "王芳", consult)
        _accept(page)
        _opinion(page, "Raise amlodipine to 10 mg; recheck BP in two weeks.")
        _prescribe(page, "amlodipine", "10 mg once a day", "30")
        # the specialist reads back what they signed
        rx = page.inner_text("section[aria-labelledby=h-rx] ul")
        assert "amlodipine — 10 mg once a day" in rx, rx
        opinion = page.inner_text("section[aria-labelledby=h-opinion] blockquote")
        assert opinion == "Raise amlodipine to 10 mg; recheck BP in two weeks."
    got = _answers_of(world, consult)
    assert [o["conclusion"] for o in got["opinions"]] == [
        "Raise amlodipine to 10 mg; recheck BP in two weeks."
    ]
    assert [
        (m["medicationCodeableConcept"]["text"], m["dosageInstruction"][0]["text"])
        for m in got["prescriptions"]
    ] == [("amlodipine", "10 mg once a day")]
    assert [(t["status"], t["owner"]["display"]) for t in got["decisions"]] == [
        ("accepted", "dr.heart")
    ]


def test_desktop_and_browser_desks_finish_each_others_consults(world):
    url = world.central.url
    begun_on_desktop = _sent_consult(world, "李", "强")
    begun_in_browser = _sent_consult(world, "张", "伟")
    s = world.specialist  # the desktop desk's profile, signed in as dr.heart
    assert s.sync_until_quiet().last_error is None
    desk.decide(s.store, consult_id=begun_on_desktop, accept=True, reason="", owner="dr.heart")
    assert s.sync_until_quiet().pending == 0
    with browser() as b:
        page = new_page(b)
        sign_in(page, url, "dr.heart", SPECIALIST_PASSWORD)
        # the desktop's acceptance is shown, and the browser finishes the consult
        _open_case(page, url, "李强", begun_on_desktop)
        assert "dr.heart" in page.inner_text("section[aria-labelledby=h-decision]")
        _opinion(page, "Finished in the browser.")
        # the other consult is begun in the browser
        _open_case(page, url, "张伟", begun_in_browser)
        _accept(page)
    # ... and finished on the desktop, after its sync
    assert s.sync_until_quiet().last_error is None
    decision = [t for t in s.store.find("Task") if desk.is_decision(t)
                and t["focus"]["reference"] == f"ServiceRequest/{begun_in_browser}"]  # fmt: skip
    assert [t["status"] for t in decision] == ["accepted"]
    orders.write_opinion(s.store, consult_id=begun_in_browser,
                         conclusion="Finished on the desktop.", author="dr.heart")  # fmt: skip
    assert s.sync_until_quiet().pending == 0

    first = _answers_of(world, begun_on_desktop)
    second = _answers_of(world, begun_in_browser)
    assert [o["conclusion"] for o in first["opinions"]] == ["Finished in the browser."]
    assert [t["status"] for t in first["decisions"]] == ["accepted"]
    assert [o["conclusion"] for o in second["opinions"]] == ["Finished on the desktop."]
    assert [t["status"] for t in second["decisions"]] == ["accepted"]
