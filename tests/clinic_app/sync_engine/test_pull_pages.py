"""The engine's pull against a scripted central platform: pages fetched one ahead while the
store writes the one before, sizes that grow while answers come back quickly, a malformed page
refused with a clear error and nothing of it stored (the pages before it stay, and the next
sync resumes after them), and a push body made without the models that is the models' JSON."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from clinic_app.sync import protocol as p
from clinic_app.sync.engine import FIRST_PULL_PAGE, SyncEngine
from local_store.store import Store
from local_store.sync_ledger import Outgoing, SyncLedger

PASS = "pull-pages-passphrase-1"


@pytest.fixture
def store(tmp_path):
    s, _ = Store.create(tmp_path / "p", "dr.pull", PASS)
    yield s
    s.lock()


def patient(n: int) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": f"pat-{n}", "gender": "female",
            "name": [{"family": "王", "given": [f"芳{n}"]}]}  # fmt: skip


class ScriptedCentral:
    """Answers pulls from a list of records (seq = index + 1), or with what ``bad`` says for
    the page asked for after a given ``since``."""

    def __init__(self, count: int, bad: dict[int, bytes] | None = None) -> None:
        self.records = [patient(n) for n in range(count)]
        self.bad = bad or {}
        self.asked: list[tuple[int, int]] = []  # (since, limit)
        self.server_timing: dict[str, float] = {"db": 1.0, "json": 0.5}

    async def pull_raw(self, req: p.PullRequest) -> bytes:
        self.asked.append((req.since, req.limit))
        if req.since in self.bad:
            return self.bad[req.since]
        rows = self.records[req.since : req.since + req.limit]
        more = req.since + len(rows) < len(self.records)
        changes = [
            {"seq": req.since + i + 1, "rtype": "Patient", "record_id": r["id"], "version": 1,
             "deleted": False, "resource": r, "change_id": str(uuid.uuid4())}
            for i, r in enumerate(rows)
        ]  # fmt: skip
        answer = {
            "epoch": "e1",
            "head": len(self.records),
            "changes": changes,
            "next": req.since + len(rows),
            "more": more,
        }
        if req.count:
            answer["remaining"] = len(self.records) - req.since - len(rows)
        return json.dumps(answer).encode()

    async def close(self) -> None:
        pass


def sync(store: Store, central: ScriptedCentral) -> Any:
    engine = SyncEngine(store, lambda: central)  # type: ignore[arg-type, return-value]
    try:
        return asyncio.run(engine.sync_once()), engine
    finally:
        engine.close()


def test_pages_grow_and_everything_arrives_once(store):
    central = ScriptedCentral(FIRST_PULL_PAGE * 7 + 3)
    status, engine = sync(store, central)
    assert status.last_error is None and status.pulled == len(central.records)
    limits = [limit for _since, limit in central.asked]
    assert limits[0] == FIRST_PULL_PAGE and limits[1] == 2 * FIRST_PULL_PAGE
    assert limits == sorted(limits) and max(limits) <= p.MAX_PULL
    sinces = [since for since, _limit in central.asked]
    assert sinces == sorted(set(sinces))  # each page asked for once, in order
    assert SyncLedger(store).cursor() == len(central.records)
    assert store.count("Patient") == len(central.records)
    got = store.get("Patient", "pat-3")
    assert got["meta"]["versionId"] == "1" and got["name"][0]["given"] == ["芳3"]
    assert store.search_prefix(["wang"], limit=5)  # the search terms were written too
    stats = engine.pull_stats
    assert stats.pages == len(central.asked) and stats.records == len(central.records)
    assert stats.server_s > 0 and stats.store_s > 0


def test_a_malformed_page_is_refused_and_nothing_of_it_is_stored(store):
    bad_seq = {"epoch": "e1", "head": 9, "next": 1, "more": False,
               "changes": [{"seq": "1", "rtype": "Patient", "record_id": "x", "version": 1,
                            "deleted": False, "resource": None}]}  # fmt: skip
    central = ScriptedCentral(FIRST_PULL_PAGE * 3, {FIRST_PULL_PAGE: json.dumps(bad_seq).encode()})
    status, _engine = sync(store, central)
    assert status.last_error is not None
    assert "malformed answer" in status.last_error and "seq" in status.last_error
    # The first page was stored with its cursor; nothing of the malformed one.
    assert SyncLedger(store).cursor() == FIRST_PULL_PAGE
    assert store.count("Patient") == FIRST_PULL_PAGE
    central.bad = {FIRST_PULL_PAGE: b'{"epoch": "e1", "changes": [tru'}  # cut off
    status, _engine = sync(store, central)
    assert "cut off" in (status.last_error or "")
    assert SyncLedger(store).cursor() == FIRST_PULL_PAGE
    central.bad = {}
    central.asked.clear()
    status, _engine = sync(store, central)  # resumes after the page stored
    assert status.last_error is None and central.asked[0][0] == FIRST_PULL_PAGE
    assert store.count("Patient") == len(central.records)


def test_the_push_body_is_the_models_json():
    res = patient(1)
    doc = {"resourceType": "DocumentReference", "id": "doc-1",
           "content": [{"attachment": {"url": "attachment:sha256:" + "ab" * 32}}]}  # fmt: skip
    changes = [
        Outgoing(1, str(uuid.uuid4()), "Patient", "pat-1", "put", 2, 1, res, "t", json.dumps(res)),
        Outgoing(2, str(uuid.uuid4()), "DocumentReference", "doc-1", "put", 1, None, doc),
        Outgoing(3, str(uuid.uuid4()), "Patient", "pat-2", "delete", 3, 2, None),
    ]
    model = p.PushRequest(tuple(SyncEngine._change(c) for c in changes)).to_json()
    body = json.loads(SyncEngine._push_body(changes))
    assert body == model and list(body["changes"][0]) == list(model["changes"][0])
    assert p.PushRequest.parse(body).changes[1].attachments
