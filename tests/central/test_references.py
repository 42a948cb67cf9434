"""Canonical references: whatever the spelling, clinic A's push never reaches clinic B.

Clinic A pushes records whose references name clinic B's Patient in every spelling we know of
(history forms, absolute URLs on this server and elsewhere, case changes, urn:uuid,
whitespace, path tricks, percent-encoding, look-alike characters), in every place a Reference
can sit (subject, nested elements, extensions, contained resources). Each is rejected with a
stable 422 code, nothing is written, and B's records and pulls are unchanged. Good spellings of
A's own references are accepted and stored in the canonical ``Type/id`` form.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from central.app import build_app
from central.db import sql
from central.references import Base as FhirBase
from central.references import RefProblem, canonicalize, parse_reference
from central.web import DB_KEY, AccessLogger
from tests.central.builders import observation, patient, put, uid
from tests.central.conftest import Central, make_settings

pytestmark = pytest.mark.asyncio
OWN = "https://central.test"


@pytest_asyncio.fixture
async def central(db_url: str) -> AsyncIterator[Central]:
    app = build_app(make_settings(db_url, public_url=OWN))
    server = TestServer(app)
    await server.start_server(access_log_class=AccessLogger)
    async with TestClient(server) as client:
        yield Central(client, app[DB_KEY])


def spellings(pid: str) -> dict[str, str]:
    """Spellings of a reference to Patient ``pid`` and the code each must be refused with
    (``reference_not_found`` where it does name that Patient of this server, or another id)."""
    return {
        f"Patient/{pid}": "reference_not_found",
        f"{OWN}/fhir/Patient/{pid}": "reference_not_found",
        f"HTTPS://CENTRAL.TEST/fhir/Patient/{pid}": "reference_not_found",
        f"https://central.test:443/fhir/Patient/{pid}": "reference_not_found",
        f"Patient/{pid.upper()}": "reference_not_found",
        f"Patient/{pid}/_history/1": "reference_versioned",
        f"{OWN}/fhir/Patient/{pid}/_history/1": "reference_versioned",
        f"Patient/{pid}/_history": "reference_versioned",
        f"https://evil.example/fhir/Patient/{pid}": "reference_foreign",
        f"http://central.test/fhir/Patient/{pid}": "reference_foreign",
        f"https://central.test:8443/fhir/Patient/{pid}": "reference_foreign",
        f"https://user@central.test/fhir/Patient/{pid}": "reference_foreign",
        f"https://central.test/other/Patient/{pid}": "reference_foreign",
        f"https://central.test/fhir/../fhir/Patient/{pid}": "reference_malformed",
        f"https://central.test/fhir/Patient/{pid}?x=1": "reference_malformed",
        f"patient/{pid}": "reference_unknown_type",
        f"PATIENT/{pid}": "reference_unknown_type",
        f"Person/{pid}": "reference_unknown_type",
        f"urn:uuid:{pid}": "reference_urn",
        f"URN:UUID:{pid}": "reference_urn",
        f"urn:oid:1.2.{len(pid)}": "reference_urn",
        f" Patient/{pid}": "reference_malformed",
        f"Patient/{pid} ": "reference_malformed",
        f"Patient/{pid}\n": "reference_malformed",
        f"Patient/ {pid}": "reference_malformed",
        f"Patient/{pid}\x00": "unstorable_text",
        f"Patient/{pid}\u200b": "reference_malformed",
        f"Patient//{pid}": "reference_malformed",
        f"Patient/./{pid}": "reference_malformed",
        f"./Patient/{pid}": "reference_malformed",
        f"/Patient/{pid}": "reference_malformed",
        f"Patient/../Patient/{pid}": "reference_malformed",
        f"Patient/{pid}/": "reference_malformed",
        f"Patient/{pid}#x": "reference_malformed",
        f"Patient%2F{pid}": "reference_malformed",
        f"Patient/{pid[:8]}%2D{pid[9:]}": "reference_malformed",
        f"Patient\\{pid}": "reference_malformed",
        f"Patient\uff0f{pid}": "reference_malformed",
        f"\uff30atient/{pid}": "reference_malformed",
        f"Patient:{pid}": "reference_malformed",
        f"#{pid}": "reference_contained_missing",
        "": "invalid_resource",  # FHIR strings are never empty
    }


def placements(ref: str, a_pid: str) -> list[dict]:
    """A's records that carry ``ref`` in different places (the rest points at A's patient)."""
    own = {"reference": f"Patient/{a_pid}"}
    subject = observation(a_pid)
    subject["subject"] = {"reference": ref}
    performer = observation(a_pid)
    performer["performer"] = [{"reference": ref}]
    extension = observation(a_pid)
    extension["extension"] = [
        {"url": "https://example.org/x", "valueReference": {"reference": ref}}
    ]
    member = observation(a_pid)
    member["hasMember"] = [own, {"reference": ref}]
    contained = observation(a_pid)
    contained["contained"] = [
        {
            "resourceType": "Observation",
            "id": "inner",
            "status": "final",
            "code": {"text": "x"},
            "subject": {"reference": ref},
        }
    ]
    contained["hasMember"] = [{"reference": "#inner"}]
    return [subject, performer, extension, member, contained]


async def test_no_spelling_of_clinic_b_patient_is_accepted(central):
    a_clinic, b_clinic = await central.clinic("A"), await central.clinic("B")
    a_dev, b_dev = await central.device_token(a_clinic), await central.device_token(b_clinic)
    bp, ap = patient(), patient()
    await central.push(b_dev, put(bp))
    await central.push(a_dev, put(ap))
    b_before = await central.pull_all(b_dev)
    before = await central.counts()
    tried = 0
    for ref, code in spellings(bp["id"]).items():
        for resource in placements(ref, ap["id"]):
            result = await central.push_one(a_dev, put(resource))
            tried += 1
            assert result["status"] == "rejected", (ref, result)
            assert (result["code"], result["http_status"]) == (code, 422), (ref, result)
            assert result["server"] is None
            assert bp["id"] not in result["error"] and "Patient/" not in result["error"]
    assert tried >= 200
    assert await central.counts() == before  # nothing written, whatever the spelling
    assert await central.pull_all(b_dev) == b_before
    stored = await central.db.read(lambda c: c.all(sql("SELECT resource FROM records")))
    assert not any(bp["id"] in str(r[0]) and ap["id"] in str(r[0]) for r in stored)


async def test_hidden_and_missing_references_get_the_same_answer(central):
    a_clinic, b_clinic = await central.clinic("A"), await central.clinic("B")
    a_dev, b_dev = await central.device_token(a_clinic), await central.device_token(b_clinic)
    bp, ap = patient(), patient()
    await central.push(b_dev, put(bp))
    await central.push(a_dev, put(ap))
    hidden = await central.push_one(a_dev, put(observation(bp["id"])))
    missing = await central.push_one(a_dev, put(observation(uid())))
    deleted_pid = ap["id"]
    await central.push(a_dev, {**put(ap, base=1), "op": "delete", "resource": None})
    deleted = await central.push_one(a_dev, put(observation(deleted_pid)))
    for r in (hidden, missing, deleted):
        assert (r["status"], r["code"], r["http_status"]) == (
            "rejected",
            "reference_not_found",
            422,
        )
        assert r["error"] == hidden["error"]


async def test_own_references_are_stored_in_canonical_spelling(central):
    clinic = await central.clinic()
    dev = await central.device_token(clinic)
    p = patient()
    await central.push(dev, put(p))
    obs = observation(p["id"])
    obs["subject"] = {"reference": f"HTTPS://Central.Test:443/fhir/Patient/{p['id']}"}
    obs["performer"] = [{"identifier": {"system": "https://example.org/staff", "value": "7"}}]
    obs["contained"] = [
        {"resourceType": "Observation", "id": "c1", "status": "final", "code": {"text": "x"}}
    ]
    obs["hasMember"] = [{"reference": "#c1"}]
    result = await central.push_one(dev, put(obs))
    assert result["status"] == "applied", result
    got = (await central.get(f"/fhir/Observation/{obs['id']}", dev)).body
    assert got["subject"] == {"reference": f"Patient/{p['id']}"}
    assert got["hasMember"] == [{"reference": "#c1"}]  # contained: kept as FHIR defines
    assert got["performer"] == obs["performer"]  # logical reference: kept
    pulled = [c for c in await central.pull_all(dev) if c["record_id"] == obs["id"]]
    assert pulled[0]["resource"]["subject"] == {"reference": f"Patient/{p['id']}"}


async def test_reference_type_must_match(central):
    clinic = await central.clinic()
    dev = await central.device_token(clinic)
    p = patient()
    await central.push(dev, put(p))
    obs = observation(p["id"])
    obs["subject"] = {"reference": f"Patient/{p['id']}", "type": "Group"}
    result = await central.push_one(dev, put(obs))
    assert result["code"] == "reference_type_mismatch"
    obs["subject"]["type"] = "http://hl7.org/fhir/StructureDefinition/Patient"
    assert (await central.push_one(dev, put(obs)))["status"] == "applied"


async def test_protocol_ids_use_the_same_grammar(central):
    """record_id with a trailing newline, a NUL, 65 characters, a slash: 422 invalid_id for
    that change alone; the good change beside it is applied in the same push."""
    clinic = await central.clinic()
    dev = await central.device_token(clinic)
    for bad in ("abc\n", "a\x00b", "x" * 65, "a/b", "a b", "ä", ""):
        good, broken = put(patient()), put(patient())
        broken["record_id"] = bad
        broken["resource"]["id"] = bad
        body = await central.push(dev, broken, good)
        first, second = body["results"]
        assert (first["status"], first["code"], first["http_status"]) == (
            "rejected",
            "invalid_id",
            422,
        ), bad
        assert second["status"] == "applied"
    change = put(patient())
    change["change_id"] = change["change_id"] + "\n"
    reply = await central.post("/api/v1/sync/push", {"protocol": 1, "changes": [change]}, dev)
    assert reply.status == 422 and reply.error_code == "invalid_change_id"


async def test_fhir_routes_use_the_same_parser(central):
    clinic = await central.clinic()
    dev = await central.device_token(clinic)
    p = patient()
    await central.push(dev, put(p), put(observation(p["id"])))
    for value in (f"Patient/{p['id']}", f"{OWN}/fhir/Patient/{p['id']}"):
        got = await central.get(f"/fhir/Observation?subject={value}", dev)
        assert got.status == 200 and len(got.body["entry"]) == 1, value
    for value in (f"patient/{p['id']}", f"Patient/{p['id']}/_history/1", "urn:uuid:x"):
        got = await central.get(f"/fhir/Observation?subject={value}", dev)
        assert got.status == 400, value
    assert (await central.get(f"/fhir/Patient/{p['id']}%0A", dev)).status == 404


def test_parser_rules_without_a_server():
    base = FhirBase.parse(OWN)
    assert parse_reference("Patient/a.b-C", base) == ("Patient", "a.b-C")
    assert parse_reference(f"{OWN}/fhir/Observation/x", base) == ("Observation", "x")
    with pytest.raises(RefProblem) as no_base:
        parse_reference(f"{OWN}/fhir/Patient/x", None)
    assert no_base.value.code == "reference_foreign"
    deep: dict = {"resourceType": "Patient", "id": "p"}
    node = deep
    for _ in range(200):
        node["extension"] = [{"url": "https://e.org", "valueReference": {"reference": "x"}}]
        node = node["extension"][0]
    with pytest.raises(RefProblem) as too_deep:
        canonicalize(deep, base)
    assert too_deep.value.code in ("too_deep", "reference_malformed")


def _plan_and_task(pid: str) -> tuple[dict, dict]:
    """A follow-up CarePlan and its Task: each refers to the other (as the workstation writes
    them, in one transaction)."""
    plan_id, task_id = uid(), uid()
    plan = {
        "resourceType": "CarePlan",
        "id": plan_id,
        "status": "active",
        "intent": "plan",
        "subject": {"reference": f"Patient/{pid}"},
        "activity": [{"reference": {"reference": f"Task/{task_id}"}}],
    }
    task = {
        "resourceType": "Task",
        "id": task_id,
        "status": "requested",
        "intent": "plan",
        "for": {"reference": f"Patient/{pid}"},
        "basedOn": [{"reference": f"CarePlan/{plan_id}"}],
    }
    return plan, task


async def test_records_of_one_push_may_refer_to_each_other(central):
    """A cycle of references inside one batch (CarePlan <-> Task) is applied as a whole, in
    either order; alone, each half is refused (its partner does not exist)."""
    clinic = await central.clinic()
    dev = await central.device_token(clinic)
    p = patient()
    await central.push(dev, put(p))
    for first_plan in (True, False):
        plan, task = _plan_and_task(p["id"])
        pair = (put(plan), put(task)) if first_plan else (put(task), put(plan))
        results = (await central.push(dev, *pair))["results"]
        assert [r["status"] for r in results] == ["applied", "applied"], results
        got = (await central.get(f"/fhir/Task/{task['id']}", dev)).body
        assert got["basedOn"] == [{"reference": f"CarePlan/{plan['id']}"}]
    plan, task = _plan_and_task(p["id"])
    alone = await central.push_one(dev, put(plan))
    assert (alone["status"], alone["code"]) == ("rejected", "reference_not_found")


async def test_a_cycle_with_a_refused_member_leaves_nothing(central):
    """When one record of a cycle is refused for a reason of its own (here: it names another
    clinic's patient), its partners are refused too and nothing of the cycle is stored."""
    a_clinic, b_clinic = await central.clinic("A"), await central.clinic("B")
    a_dev, b_dev = await central.device_token(a_clinic), await central.device_token(b_clinic)
    ap, bp = patient(), patient()
    await central.push(a_dev, put(ap))
    await central.push(b_dev, put(bp))
    plan, task = _plan_and_task(ap["id"])
    task["for"] = {"reference": f"Patient/{bp['id']}"}
    before = await central.counts()
    bystander = observation(ap["id"])
    results = (await central.push(a_dev, put(plan), put(task), put(bystander)))["results"]
    assert [(r["status"], r.get("code")) for r in results] == [
        ("rejected", "reference_not_found"),
        ("rejected", "reference_not_found"),
        ("applied", None),
    ], results
    after = await central.counts()
    assert after != before  # the bystander went in
    stored = await central.db.read(lambda c: c.all(sql("SELECT id FROM records")))
    ids = {str(r[0]) for r in stored}
    assert plan["id"] not in ids and task["id"] not in ids and bystander["id"] in ids
