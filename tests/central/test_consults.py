"""Consult visibility and what specialists may write."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import pytest_asyncio

from tests.central.builders import consult, observation, patient, put, report, uid

pytestmark = pytest.mark.asyncio


@dataclass
class World:
    clinic: str
    dev: str
    cardio: str
    neuro: str
    p: dict
    obs: dict
    other_obs: dict
    sr: dict


@pytest_asyncio.fixture
async def world(central) -> World:
    clinic = await central.clinic()
    dev = await central.device_token(clinic)
    cardio = await central.user("dr.heart", "specialist", specialties=("cardiology",))
    neuro = await central.user("dr.brain", "specialist", specialties=("neurology",))
    p = patient()
    obs, other = observation(p["id"]), observation(p["id"], value=99)
    await central.push(dev, put(p), put(obs), put(other))
    sr = consult(p["id"], "cardiology", supporting=[f"Observation/{obs['id']}"])
    assert (await central.push_one(dev, put(sr)))["status"] == "applied"
    return World(clinic, dev, cardio, neuro, p, obs, other, sr)


def ids(changes: list[dict]) -> set[str]:
    return {c["record_id"] for c in changes}


async def test_consult_grants_its_specialty_the_case(central, world):
    got = await central.pull_all(world.cardio)
    assert ids(got) == {world.p["id"], world.obs["id"], world.sr["id"]}
    assert world.other_obs["id"] not in ids(got)
    assert await central.pull_all(world.neuro) == []
    for rtype, rid in (("Patient", world.p["id"]), ("ServiceRequest", world.sr["id"])):
        assert (await central.get(f"/fhir/{rtype}/{rid}", world.cardio)).status == 200
        assert (await central.get(f"/fhir/{rtype}/{rid}", world.neuro)).status == 404
    hidden = await central.get(f"/fhir/Observation/{world.other_obs['id']}", world.cardio)
    assert hidden.status == 404


async def test_later_changes_reach_the_specialist(central, world):
    since = (await central.pull(world.cardio))["next"]
    r = await central.push_one(world.dev, put({**world.p, "gender": "male"}, base=1))
    page = await central.pull(world.cardio, since)
    assert [(c["record_id"], c["version"]) for c in page["changes"]] == [(world.p["id"], 2)]
    assert page["changes"][0]["seq"] == r["seq"]


async def test_specialist_answer_belongs_to_the_clinic(central, world):
    rep = report(world.p["id"], world.sr["id"])
    r = await central.push_one(world.cardio, put(rep))
    assert r["status"] == "applied", r
    clinic_sees = await central.pull_all(world.dev)
    assert rep["id"] in ids(clinic_sees)
    assert (await central.get(f"/fhir/DiagnosticReport/{rep['id']}", world.dev)).status == 200
    assert (await central.get(f"/fhir/DiagnosticReport/{rep['id']}", world.neuro)).status == 404
    # The clinic may correct or answer it too (it owns it); the specialist can update it.
    r2 = await central.push_one(world.cardio, put({**rep, "conclusion": "revised"}, base=1))
    assert r2["status"] == "applied"


async def test_specialist_updates_the_consult(central, world):
    accepted = {**world.sr, "status": "completed"}
    r = await central.push_one(world.cardio, put(accepted, base=1))
    assert r["status"] == "applied"
    moved = {**world.sr, "subject": {"reference": f"Patient/{uid()}"}}
    r = await central.push_one(world.cardio, put(moved, base=2))
    assert r["status"] == "rejected"


async def test_what_a_specialist_may_not_write(central, world):
    # Not a kind a specialist writes.
    r = await central.push_one(world.cardio, put(observation(world.p["id"])))
    assert r["status"] == "rejected"
    # The clinic's Patient.
    r = await central.push_one(world.cardio, put({**world.p, "gender": "male"}, base=1))
    assert r["status"] == "rejected"
    # An answer not based on a consult, or on a consult of another specialty.
    r = await central.push_one(world.cardio, put({**report(world.p["id"], uid())}))
    assert r["status"] == "rejected"
    r = await central.push_one(world.neuro, put(report(world.p["id"], world.sr["id"])))
    assert r["status"] == "rejected"
    # An answer about another patient.
    r = await central.push_one(world.cardio, put(report(uid(), world.sr["id"])))
    assert r["status"] == "rejected"
    # A referral citing a record the specialist cannot see.
    ref = consult(
        world.p["id"],
        "neurology",
        code="3457005",
        based_on=world.sr["id"],
        supporting=[f"Observation/{world.other_obs['id']}"],
    )
    r = await central.push_one(world.cardio, put(ref))
    assert r["status"] == "rejected"
    # Deleting the consult.
    from tests.central.builders import delete

    r = await central.push_one(world.cardio, delete("ServiceRequest", world.sr["id"], base=1))
    assert r["status"] == "rejected"


async def test_specialist_referral_reaches_the_other_specialty(central, world):
    ref = consult(
        world.p["id"],
        "neurology",
        code="3457005",
        based_on=world.sr["id"],
        supporting=[f"Observation/{world.obs['id']}"],
    )
    r = await central.push_one(world.cardio, put(ref))
    assert r["status"] == "applied", r
    got = ids(await central.pull_all(world.neuro))
    assert got == {world.p["id"], world.obs["id"], ref["id"]}
    assert ref["id"] in ids(await central.pull_all(world.dev))


async def test_clinical_impression_links_by_supporting_info(central, world):
    ci = {
        "resourceType": "ClinicalImpression",
        "id": uid(),
        "status": "completed",
        "subject": {"reference": f"Patient/{world.p['id']}"},
        "supportingInfo": [{"reference": f"ServiceRequest/{world.sr['id']}"}],
        "summary": "Likely benign.",
    }
    r = await central.push_one(world.cardio, put(ci))
    assert r["status"] == "applied", r
    assert ci["id"] in ids(await central.pull_all(world.dev))


async def test_rerouted_consult_moves_visibility(central, world):
    rerouted = {**world.sr, "performerType": {"coding": [{"code": "neurology"}]}}
    r = await central.push_one(world.dev, put(rerouted, base=1))
    assert r["status"] == "applied"
    neuro = ids(await central.pull_all(world.neuro))
    assert neuro == {world.p["id"], world.obs["id"], world.sr["id"]}
    cardio = await central.pull_all(world.cardio)
    # The old specialty only learns that the consult moved; the rest is no longer theirs.
    assert [(c["record_id"], c["version"]) for c in cardio] == [(world.sr["id"], 2)]
    assert (await central.get(f"/fhir/Patient/{world.p['id']}", world.cardio)).status == 404


async def test_order_in_the_batch_does_not_matter(central):
    clinic = await central.clinic()
    dev = await central.device_token(clinic)
    derm = await central.user("dr.skin", "specialist", specialties=("dermatology",))
    p = patient()
    obs = observation(p["id"])
    sr = consult(p["id"], "dermatology", supporting=[f"Observation/{obs['id']}"])
    res = await central.push(dev, put(sr), put(p), put(obs))
    assert all(r["status"] == "applied" for r in res["results"])
    assert ids(await central.pull_all(derm)) == {p["id"], obs["id"], sr["id"]}
    # No duplicates: each record reached the specialty once.
    assert len(await central.pull_all(derm)) == 3


async def test_consult_cannot_grant_another_clinics_records(central, world):
    other_clinic = await central.clinic("Other")
    other = await central.device_token(other_clinic)
    sr = consult(world.p["id"], "cardiology")
    r = await central.push_one(other, put(sr))
    assert r["status"] == "rejected"  # the Patient is not theirs
    sr2 = consult(uid(), "cardiology", supporting=[f"Observation/{world.other_obs['id']}"])
    r = await central.push_one(other, put(sr2))
    assert r["status"] == "rejected"


async def test_clinician_user_sees_only_their_clinic(central, world):
    doc = await central.user("dr.li", "clinician", clinic_id=world.clinic)
    mine = ids(await central.pull_all(doc))
    assert world.p["id"] in mine
    other_clinic = await central.clinic("Other")
    stranger = await central.user("dr.x", "clinician", clinic_id=other_clinic)
    assert await central.pull_all(stranger) == []
    assert (await central.get(f"/fhir/Patient/{world.p['id']}", stranger)).status == 404
