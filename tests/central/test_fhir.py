"""The FHIR R4 read API: read, search, history; errors as OperationOutcome."""

from __future__ import annotations

import pytest
import pytest_asyncio
from fhir.resources.R4B import get_fhir_model_class

from tests.central.builders import RESIDENT, delete, observation, patient, put, uid

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def dev(central):
    return await central.device_token(await central.clinic())


def valid(resource: dict) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


async def test_read(central, dev):
    p = patient(resident_id="110101199003074477")
    await central.push_one(dev, put(p))
    reply = await central.get(f"/fhir/Patient/{p['id']}", dev)
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/fhir+json")
    assert reply.body["id"] == p["id"] and reply.body["meta"]["versionId"] == "1"
    valid(reply.body)


async def test_not_found_is_an_operation_outcome(central, dev):
    reply = await central.get(f"/fhir/Patient/{uid()}", dev)
    assert reply.status == 404 and reply.body["resourceType"] == "OperationOutcome"
    assert reply.body["issue"][0]["code"] == "not-found"
    valid(reply.body)
    assert (await central.get("/fhir/Binary/x", dev)).status == 404
    assert (await central.get(f"/fhir/Patient/{uid()}")).status == 401


async def test_search_by_identifier_and_patient(central, dev):
    p = patient(resident_id="110101199003074477")
    q = patient(resident_id="110101199003070000")
    o1, o2, o3 = observation(p["id"]), observation(p["id"]), observation(q["id"])
    await central.push(dev, put(p), put(q), put(o1), put(o2), put(o3))
    for query in ("identifier=110101199003074477", f"identifier={RESIDENT}|110101199003074477"):
        reply = await central.get(f"/fhir/Patient?{query}", dev)
        assert reply.status == 200 and reply.body["type"] == "searchset"
        assert [e["resource"]["id"] for e in reply.body["entry"]] == [p["id"]]
        valid(reply.body)
    assert (await central.get("/fhir/Patient?identifier=other|110101199003074477", dev)).body[
        "entry"
    ] == []
    by_patient = await central.get(f"/fhir/Observation?patient={p['id']}", dev)
    assert {e["resource"]["id"] for e in by_patient.body["entry"]} == {o1["id"], o2["id"]}
    by_subject = await central.get(f"/fhir/Observation?subject=Patient/{q['id']}", dev)
    assert [e["resource"]["id"] for e in by_subject.body["entry"]] == [o3["id"]]
    page = await central.get(f"/fhir/Observation?patient={p['id']}&_count=1", dev)
    assert len(page.body["entry"]) == 1
    assert any(link["relation"] == "next" for link in page.body["link"])
    assert (await central.get("/fhir/Observation?code=1234", dev)).status == 400


async def test_history(central, dev):
    p = patient()
    await central.push_one(dev, put(p))
    await central.push_one(dev, put({**p, "gender": "male"}, base=1))
    await central.push_one(dev, delete("Patient", p["id"], base=2))
    reply = await central.get(f"/fhir/Patient/{p['id']}/_history", dev)
    assert reply.status == 200 and reply.body["type"] == "history"
    entries = reply.body["entry"]
    assert [e["request"]["method"] for e in entries] == ["DELETE", "PUT", "PUT"]
    assert entries[1]["resource"]["gender"] == "male"
    assert entries[2]["resource"]["meta"]["versionId"] == "1"
    valid(reply.body)
    assert (await central.get(f"/fhir/Patient/{p['id']}", dev)).status == 410
    assert (await central.get(f"/fhir/Patient?identifier=x&patient={p['id']}", dev)).status == 200


async def test_metadata(central):
    reply = await central.get("/fhir/metadata")
    assert reply.status == 200 and reply.body["resourceType"] == "CapabilityStatement"
    valid(reply.body)
