"""Push and pull semantics (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio

from clinic_app.sync.protocol import PullResponse, PushResponse
from clinic_app.sync.pull_stream import decode_pull_texts
from tests.central.builders import delete, observation, patient, put, uid

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def dev(central):
    clinic = await central.clinic()
    return await central.device_token(clinic)


async def test_create_update_and_pull(central, dev):
    p = patient()
    res = PushResponse.parse(await central.push(dev, put(p)))
    assert res.results[0].status == "applied" and res.results[0].version == 1
    assert res.epoch
    p2 = {**p, "gender": "male"}
    r2 = await central.push_one(dev, put(p2, base=1))
    assert r2["status"] == "applied" and r2["version"] == 2 and r2["seq"] > res.results[0].seq
    page = PullResponse.parse(await central.pull(dev))
    assert [(c.version, c.resource["gender"]) for c in page.changes] == [(1, "female"), (2, "male")]
    assert page.head == page.next == r2["seq"] and not page.more
    assert page.changes[1].change_id == r2["change_id"]


async def test_stale_base_is_a_conflict_with_the_server_copy(central, dev):
    p = patient()
    await central.push_one(dev, put(p))
    await central.push_one(dev, put({**p, "gender": "male"}, base=1))
    r = await central.push_one(dev, put({**p, "gender": "other"}, base=1))
    assert r["status"] == "conflict"
    assert r["server"]["version"] == 2 and r["server"]["resource"]["gender"] == "male"
    before = await central.counts()
    assert before["records"] == 1 and before["changes"] == 2


async def test_create_of_an_existing_id_is_a_conflict(central, dev):
    p = patient()
    await central.push_one(dev, put(p))
    r = await central.push_one(dev, put({**p, "gender": "male"}))
    assert r["status"] == "conflict" and r["server"]["version"] == 1


async def test_replayed_change_id_returns_the_first_result_and_applies_nothing(central, dev):
    p = patient()
    change = put(p)
    first = await central.push_one(dev, change)
    again = await central.push_one(dev, change)
    assert again == first
    # Replayed in a later batch, next to a new change.
    other = patient()
    res = await central.push(dev, put(other), change)
    assert res["results"][1] == first and res["results"][0]["status"] == "applied"
    counts = await central.counts()
    assert counts["records"] == 2 and counts["changes"] == 2 and counts["applied_changes"] == 2
    # Even when the replayed change would now conflict (version has moved on).
    await central.push_one(dev, put({**p, "gender": "male"}, base=1))
    assert await central.push_one(dev, change) == first


async def test_change_id_of_another_clinic_is_not_replayed_to_it(central, dev):
    change = put(patient())
    await central.push_one(dev, change)
    other = await central.device_token(await central.clinic("Other"))
    r = await central.push_one(other, change)
    assert (r["status"] == "rejected" and "server" not in r) or r["server"] is None


async def test_a_rejected_change_does_not_abort_the_batch(central, dev):
    good1, good2 = patient(), patient()
    bad = {"resourceType": "Patient", "id": uid(), "gender": 12}
    res = await central.push(dev, put(good1), put(bad), put(good2))
    assert [r["status"] for r in res["results"]] == ["applied", "rejected", "applied"]
    assert "Patient" in res["results"][1]["error"]
    assert (await central.counts())["records"] == 2
    # The rejected change id is not burned: once fixed, the same id can be applied.
    fixed = put({**bad, "gender": "female"}, change_id=res["results"][1]["change_id"])
    assert (await central.push_one(dev, fixed))["status"] == "applied"


async def test_required_code_bindings_are_checked(central, dev):
    obs = {**observation(uid()), "status": "bogus-status"}
    r = await central.push_one(dev, put(obs))
    assert r["status"] == "rejected" and "status" in r["error"] and "bogus" not in r["error"]


async def test_oversized_resource_is_rejected(central, dev):
    p = patient()
    p["name"] = [{"text": "x" * 1_000_001}]
    r = await central.push_one(dev, put(p))
    assert r["status"] == "rejected" and "larger" in r["error"]


async def test_update_of_unknown_record_is_rejected(central, dev):
    r = await central.push_one(dev, put(patient(), base=3))
    assert r["status"] == "rejected"


async def test_tombstones(central, dev):
    p = patient()
    await central.push_one(dev, put(p))
    r = await central.push_one(dev, delete("Patient", p["id"], base=1))
    assert r["status"] == "applied" and r["version"] == 2
    stale = await central.push_one(dev, put({**p, "gender": "male"}, base=1))
    assert stale["status"] == "conflict"
    assert stale["server"] == {"version": 2, "deleted": True, "resource": None}
    page = await central.pull(dev)
    assert page["changes"][-1]["deleted"] is True and page["changes"][-1]["resource"] is None
    fhir = await central.get(f"/fhir/Patient/{p['id']}", dev)
    assert fhir.status == 410


async def test_pull_pages_by_seq(central, dev):
    ps = [patient() for _ in range(7)]
    await central.push(dev, *[put(p) for p in ps])
    seen, since, pages = [], 0, 0
    while True:
        page = await central.pull(dev, since, limit=3)
        pages += 1
        seen += [c["record_id"] for c in page["changes"]]
        assert page["next"] == (page["changes"][-1]["seq"] if page["changes"] else since)
        since = page["next"]
        if not page["more"]:
            break
    assert pages == 3 and seen == [p["id"] for p in ps]
    empty = await central.pull(dev, since)
    assert empty["changes"] == [] and empty["next"] == since and empty["more"] is False


async def test_pull_pages_end_at_their_byte_bound(central, dev, monkeypatch):
    """A page ends once its resources hold MAX_PULL_BYTES of JSON (always at least one change),
    read a chunk at a time; the pages still hold every change once, in order, with the Server-
    Timing of the read and the writing."""
    from central import sync as central_sync

    ps = [patient() for _ in range(7)]
    await central.push(dev, *[put(p) for p in ps])
    monkeypatch.setattr(central_sync, "_PULL_CHUNK", 2)
    whole = await central.pull(dev, 0, limit=100)
    assert [c["record_id"] for c in whole["changes"]] == [p["id"] for p in ps]
    one = len(json.dumps(whole["changes"][0]["resource"], separators=(",", ":")))
    monkeypatch.setattr(central_sync, "MAX_PULL_BYTES", 2 * one)
    seen, since, sizes = [], 0, []
    while True:
        page = await central.pull(dev, since, limit=100)
        sizes.append(len(page["changes"]))
        seen += [c["record_id"] for c in page["changes"]]
        since = page["next"]
        if not page["more"]:
            break
    assert seen == [p["id"] for p in ps] and max(sizes) <= 3 and len(sizes) >= 3
    monkeypatch.setattr(central_sync, "MAX_PULL_BYTES", 1)
    tiny = await central.pull(dev, 0, limit=100)
    assert len(tiny["changes"]) == 1 and tiny["more"] is True
    headers = {"Authorization": f"Bearer {dev}"}
    async with central.client.post("/api/v1/sync/pull", json={"since": 0}, headers=headers) as resp:
        assert resp.status == 200
        assert {"db", "json"} <= {
            part.split(";")[0].strip() for part in resp.headers["Server-Timing"].split(",")
        }


async def test_pull_answer_splices_stored_json_byte_for_byte(central, dev):
    """The pull's body is built from the stored resource text without parsing it: the same
    bytes the message's own serialiser gives (non-ASCII text, a tombstone, count)."""

    ps = [patient(name='张伟 \u2028 "quoted" \\ é') for _ in range(3)]
    await central.push(dev, *[put(x) for x in ps])
    await central.push(dev, delete("Patient", ps[1]["id"], base=1))
    headers = {"Authorization": f"Bearer {dev}", "Accept-Encoding": "identity"}
    body = {"since": 0, "limit": 2, "count": True}
    async with central.client.post("/api/v1/sync/pull", json=body, headers=headers) as resp:
        assert resp.status == 200 and resp.content_type == "application/json"
        raw = await resp.read()
    page = PullResponse.parse(json.loads(raw))
    assert raw.decode() == json.dumps(page.to_json(), separators=(",", ":"))
    assert page.more and page.remaining == 2 and len(page.changes) == 2
    assert page.changes[0].resource == ps[0]
    rest = PullResponse.parse(await central.pull(dev, page.next))
    assert rest.changes[-1].deleted and rest.changes[-1].resource is None
    assert not rest.more and rest.next == rest.head
    # The workstation reads this layout field by field and keeps each resource's text as
    # sent (clinic_app.sync.pull_stream): every resource of the answer comes with its text.
    texts = decode_pull_texts(raw, lambda c, text: (c["resource"], text)).changes
    assert [json.loads(text) for _res, text in texts if text] == [ps[0], ps[1]]
    assert all(text is not None for _res, text in texts)


async def test_pull_limit_is_capped(central, dev):
    reply = await central.post("/api/v1/sync/pull", {"since": 0, "limit": 10**9}, dev)
    assert reply.status == 200


async def test_epoch_bump_is_visible_in_responses(central, dev):
    from central import schema

    first = (await central.pull(dev))["epoch"]
    new = await central.db.write(schema.bump_epoch)
    assert new != first
    assert (await central.pull(dev))["epoch"] == new
    assert (await central.push(dev, put(patient())))["epoch"] == new
    assert (await central.get("/api/v1/health")).body["epoch"] == new


async def test_gzip_request_and_compressed_response(central, dev):
    ps = [patient(name="Zhang San " * 20) for _ in range(20)]
    reply = await central.call(
        "POST",
        "/api/v1/sync/push",
        token=dev,
        gzip_body=True,
        json_body={"protocol": 1, "changes": [put(p) for p in ps]},
    )
    assert reply.status == 200 and all(r["status"] == "applied" for r in reply.body["results"])
    reply = await central.call(
        "POST",
        "/api/v1/sync/pull",
        token=dev,
        json_body={"since": 0},
        headers={"Accept-Encoding": "gzip"},
    )
    assert reply.status == 200 and reply.headers.get("Content-Encoding") == "gzip"
    assert len(reply.body["changes"]) == 20


async def test_bad_gzip_is_a_400(central, dev):
    reply = await central.call(
        "POST",
        "/api/v1/sync/push",
        token=dev,
        data=b"not gzip at all",
        headers={"Content-Encoding": "gzip"},
    )
    assert reply.status == 400 and reply.error_code


async def test_body_over_the_limit_is_413(central, dev):
    big = b'{"protocol": 1, "changes": ["' + b"x" * (16 * 1024 * 1024) + b'"]}'
    reply = await central.call("POST", "/api/v1/sync/push", token=dev, data=big)
    assert reply.status == 413 and reply.error_code == "too_large"


async def test_observation_then_pull_cursor_skips_nothing(central, dev):
    p = patient()
    await central.push_one(dev, put(p))
    mid = (await central.pull(dev))["next"]
    await central.push(dev, put(observation(p["id"])), put(observation(p["id"])))
    page = await central.pull(dev, mid)
    assert [c["seq"] for c in page["changes"]] == [mid + 1, mid + 2]
