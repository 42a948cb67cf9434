"""The web desk offers the platform's formulary (issue 19): a medicine the administrator adds
is in the prescription form's list and, chosen by its name, is prescribed as that formulary
entry; a retired one is no longer offered."""

from __future__ import annotations

import pytest

from central import formulary
from clinic_app.clinical.medication_formulary import SYS_FORMULARY, Entry, starter
from tests.central.conftest import Central
from tests.central.test_desk_web import _csrf, _page, _post, _pulled, _setup, _sign_in

pytestmark = pytest.mark.asyncio

NEW = Entry(
    id="indapamide-sr-1.5", atc="C03BA11", ingredient_en="indapamide", ingredient_zh="吲达帕胺",
    strength_value=1.5, strength_unit="mg", form="extended-release tablet",
    name_zh="吲达帕胺缓释片 1.5mg", name_en="Indapamide 1.5 mg extended-release tablet",
)  # fmt: skip


@pytest.fixture
def db_url(tmp_path) -> str:  # the desk adds no SQL of its own beyond authz's: SQLite is enough
    return f"sqlite:///{tmp_path / 'central.db'}"


def _options(html: str) -> str:
    return html.split('<datalist id="formulary">', 1)[1].split("</datalist>", 1)[0]


async def test_the_desk_offers_what_the_administrator_keeps(central: Central):
    ids = await _setup(central)
    await _sign_in(central)
    case = f"/desk/consults/{ids['consult']}"
    status, html, _ = await _page(central, case)  # nothing imported: the starter list
    assert status == 200 and NEW.name_en not in _options(html)
    assert starter().entries[0].name_en in _options(html)

    await central.db.write(lambda c: formulary.import_entries(c, starter().known))
    await central.db.write(lambda c: formulary.put_entry(c, NEW))
    token = await _csrf(central, case)
    _, html, _ = await _page(central, case)
    assert f'<option value="{NEW.name_en}">' in _options(html)
    form = {"csrf": token, "medication": NEW.name_en, "dosage": "1 tablet every morning"}
    status, html, _ = await _post(central, f"{case}/prescription", form)
    assert status == 303, html
    rx = [m for m in await _pulled(central, ids["device"], "MedicationRequest")
          if m["medicationCodeableConcept"]["text"] == NEW.name_zh]  # fmt: skip
    assert len(rx) == 1
    assert {"system": SYS_FORMULARY, "code": NEW.id, "display": NEW.name_en} in rx[0][
        "medicationCodeableConcept"
    ]["coding"]
    # The clinic device pulled the same Medication records the desk offers.
    pulled = {m["id"] for m in await _pulled(central, ids["device"], "Medication")}
    assert pulled == {e.id for e in starter().known} | {NEW.id}

    assert await central.db.write(lambda c: formulary.retire(c, NEW.id))
    _, html, _ = await _page(central, case)
    assert NEW.name_en not in _options(html)
    assert NEW.name_zh in html  # the prescription written from it still displays
