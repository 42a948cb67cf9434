"""Clinics pushing at once on PostgreSQL (central.db, central.sync: a clinic's push runs beside
other clinics' and numbers its changes only at the end, under a lock held until commit).

What must hold: a pull never sees a later sequence before an earlier one commits (no reader
skips a change), sequences stay gap-free and in commit order, and two clinics racing for the
same new record id get one "applied" and one clean rejection (never a server error)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from central import sync
from central.accounts import Principal
from central.db import sql
from central.validation import prepare
from clinic_app.sync.protocol import PushRequest
from tests.central.builders import observation, patient, put, uid
from tests.central.conftest import Central, _empty_pg

pytestmark = pytest.mark.asyncio


@pytest.fixture
def db_url(pg_shared: str) -> str:
    """PostgreSQL only: SQLite serialises every write transaction (BEGIN IMMEDIATE)."""
    _empty_pg(pg_shared)
    return pg_shared


async def _all_seqs(central: Central) -> list[int]:
    rows = await central.db.read(lambda c: c.all(sql("SELECT seq FROM changes ORDER BY seq")))
    return [int(r[0]) for r in rows]


async def test_a_held_push_holds_back_later_numbers(central: Central) -> None:
    clinic_a, clinic_b = await central.clinic("A"), await central.clinic("B")
    dev_a = await central.device(clinic_a)
    token_b = await central.device_token(clinic_b)
    pa = Principal("device", dev_a["device_id"], "device", clinic_a, (), "unused")
    pid = uid()
    items = PushRequest.parse_items(
        {"protocol": 1, "changes": [put(patient(pid)), put(observation(pid))]}
    )
    prepared = [prepare(item, None) for item in items]
    numbered = threading.Event()
    release = threading.Event()

    def held(conn):  # clinic A's push, numbered, then kept open (not committed)
        result = sync.push(conn, pa, prepared)
        numbered.set()
        assert release.wait(30)
        return result

    loop = asyncio.get_running_loop()
    first = loop.run_in_executor(
        None, lambda: central.db.run_sync(held, write=True, clinic=clinic_a)
    )
    assert await loop.run_in_executor(None, numbered.wait, 30)
    pid_b = uid()
    second = asyncio.ensure_future(
        central.push(token_b, put(patient(pid_b)), put(observation(pid_b)))
    )
    await asyncio.sleep(1.0)
    # B has done its work beside A but waits to be numbered; nobody sees either yet.
    assert not second.done()
    assert (await central.pull(token_b))["changes"] == []
    assert await _all_seqs(central) == []
    release.set()
    answer_a = await first
    answer_b = await second
    seqs_a = [r.seq for r in answer_a.results]
    seqs_b = [r["seq"] for r in answer_b["results"]]
    assert seqs_a == [1, 2] and seqs_b == [3, 4]
    assert await _all_seqs(central) == [1, 2, 3, 4]
    pulled = await central.pull_all(token_b)
    assert [c["seq"] for c in pulled] == [3, 4]
    stored = await central.db.read(
        lambda c: c.all(sql("SELECT last_seq FROM records ORDER BY last_seq"))
    )
    assert [int(r[0]) for r in stored] == [1, 2, 3, 4]
    again = await central.push(token_b, put(patient(pid_b)))  # a new change id: a conflict
    assert again["results"][0]["status"] == "conflict"


async def test_many_clinics_at_once_number_gap_free(central: Central) -> None:
    tokens = [await central.device_token(await central.clinic(f"C{i}")) for i in range(6)]

    async def clinic_pushes(token: str) -> list[int]:
        seqs: list[int] = []
        for _ in range(4):
            pid = uid()
            body = await central.push(token, put(patient(pid)), put(observation(pid)))
            seqs += [r["seq"] for r in body["results"]]
        return seqs

    per_clinic = await asyncio.gather(*(clinic_pushes(t) for t in tokens))
    every = sorted(s for seqs in per_clinic for s in seqs)
    assert every == list(range(1, 6 * 4 * 2 + 1))
    assert await _all_seqs(central) == every
    for token, seqs in zip(tokens, per_clinic, strict=True):
        assert [c["seq"] for c in await central.pull_all(token)] == sorted(seqs)
        replay = await central.pull(token, since=max(seqs))
        assert replay["changes"] == [] and replay["head"] == len(every)


async def test_two_clinics_racing_for_one_record_id(central: Central) -> None:
    token_a = await central.device_token(await central.clinic("A"))
    token_b = await central.device_token(await central.clinic("B"))
    for _ in range(5):
        pid = uid()
        answers = await asyncio.gather(
            central.push(token_a, put(patient(pid))), central.push(token_b, put(patient(pid)))
        )
        statuses = sorted(a["results"][0]["status"] for a in answers)
        assert statuses == ["applied", "rejected"]
