"""Strict input: what the probe found accepted is refused with a stable code and nothing is
written — a boolean spelled "yes", script in a narrative, a subject that does not exist, an
id outside FHIR's grammar, a change id reused for other content; good input still goes in."""

from __future__ import annotations

import copy

import pytest

from tests.central.builders import observation, patient, put, uid

pytestmark = pytest.mark.asyncio


def _with_div(resource: dict, div: str) -> dict:
    out = copy.deepcopy(resource)
    out["text"] = {"status": "generated", "div": div}
    return out


async def _refused(central, token: str, change: dict, code: str) -> dict:
    before = await central.counts()
    result = await central.push_one(token, change)
    assert (result["status"], result.get("code")) == ("rejected", code), result
    assert result["http_status"] in (409, 413, 422), result
    assert await central.counts() == before  # nothing written
    return result


async def test_bad_values_are_refused_and_change_nothing(central):
    clinic = await central.clinic()
    dev = await central.device_token(clinic)
    p = patient()
    assert (await central.push_one(dev, put(p)))["status"] == "applied"

    coerced = {**patient(), "active": "yes"}
    await _refused(central, dev, put(coerced), "invalid_resource")

    for div in (
        '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>',
        '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">a</p></div>',
        '<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:x()">a</a></div>',
        '<div xmlns="http://www.w3.org/1999/xhtml"><iframe src="https://e.example"/></div>',
    ):
        await _refused(central, dev, put(_with_div(patient(), div)), "narrative_unsafe")
    safe = _with_div(patient(), '<div xmlns="http://www.w3.org/1999/xhtml"><p>王芳</p></div>')
    assert (await central.push_one(dev, put(safe)))["status"] == "applied"

    await _refused(central, dev, put(observation(uid())), "reference_not_found")
    bad_id = {**patient(), "id": "a" * 65}
    await _refused(central, dev, {**put(bad_id), "record_id": bad_id["id"]}, "invalid_id")


async def test_a_change_id_reused_for_other_content_is_409_and_applies_nothing(central):
    clinic = await central.clinic()
    dev = await central.device_token(clinic)
    first = put(patient())
    assert (await central.push_one(dev, first))["status"] == "applied"
    again = await central.push_one(dev, first)  # a retry: the first answer, nothing twice
    assert again["status"] == "applied" and again["version"] == 1
    other = put(patient(), change_id=first["change_id"])
    result = await _refused(central, dev, other, "change_id_reused")
    assert result["http_status"] == 409
    got = await central.get(f"/fhir/Patient/{other['record_id']}", dev)
    assert got.status == 404
