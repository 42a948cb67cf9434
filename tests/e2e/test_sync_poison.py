"""Poison isolation end to end, against a real central process: a change the server refuses for
good (a NUL in an identifier: the same 422 on SQLite and PostgreSQL) waits in error with the
server's code and never holds up the changes behind it; a change the server *fails* on (500,
or no answer in time: injected by a proxy in front of the real central) is isolated by halving
the push, held back alone with an exponential back-off kept across cycles, and everything else
goes in the same cycle; when the server fails on everything it is an outage, as before."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinic_app.clinic import Clinic
from clinic_app.records.patient import PatientInput
from clinic_app.services.writes import save, save_all
from clinic_app.sync.client import CentralClient
from clinic_app.sync.engine import SyncEngine
from local_store.sync_ledger import SyncLedger
from tests.e2e.fault_proxy import FaultProxy
from tests.e2e.workstation import Workstation
from tests.support.central_proc import CentralProcess
from tests.support.postgres import PostgresServer


@dataclass
class Pair:
    central: CentralProcess
    a: Workstation  # the clinic's workstation under test
    a2: Workstation  # a second PC of the same clinic: what reached the central platform


def _pair(tmp_path: Path, db_url: str) -> Pair:
    central = CentralProcess(db_url, log_path=tmp_path / "central.log").start()
    clinic = central.add_clinic("Hill Clinic")
    a, a2 = Workstation(tmp_path, "a"), Workstation(tmp_path, "a2")
    a.enroll(central.url, central.enrollment_code(clinic))
    a2.enroll(central.url, central.enrollment_code(clinic))
    return Pair(central, a, a2)


@pytest.fixture
def pair(tmp_path) -> Iterator[Pair]:
    p = _pair(tmp_path, f"sqlite:///{tmp_path / 'central.db'}")
    try:
        yield p
    finally:
        p.a.close()
        p.a2.close()
        p.central.stop()


def engine_via(ws: Workstation, proxy: FaultProxy, timeout: float = 20) -> SyncEngine:
    assert ws.account is not None
    token = ws.account.token
    return SyncEngine(ws.store, lambda: CentralClient(proxy.url, token, timeout=timeout),
                      batch_size=100, hold_base=0.6, hold_cap=30.0)  # fmt: skip


def outbox_row(ws: Workstation, record_id: str) -> tuple[str, int, str | None]:
    row = ws.store.conn.execute(
        "SELECT state, failures, retry_at FROM outbox WHERE record_id = ? ORDER BY seq DESC",
        (record_id,),
    ).fetchone()
    return str(row[0]), int(row[1]), row[2]


# ------------------------------------------------------------------ refused for good --
def nul_identifier_then_good(ws: Workstation) -> tuple[dict, dict, dict]:
    bad = PatientInput(family="周", given="树人").to_fhir()
    bad["identifier"] = [{"system": "urn:oid:1.2.156.1", "value": "1101\x0005"}]
    save(ws.store, bad)
    bad_id = {"resourceType": "Patient", "id": "nul\x00id", "name": [{"family": "鲁"}]}
    save(ws.store, bad_id)
    good = ws.add_patient("许", "广平")
    return bad, bad_id, good


def check_nul_refused_and_rest_synced(p: Pair) -> list[tuple[str | None, int | None]]:
    bad, bad_id, good = nul_identifier_then_good(p.a)
    status = p.a.sync()  # one cycle
    assert status.online is True and status.pending == 0 and status.errors == 2
    p.a2.sync()
    assert good["id"] in p.a2.ids("Patient") and bad["id"] not in p.a2.ids("Patient")
    entries = SyncLedger(p.a.store).changes_in_error()
    assert {e.record_id for e in entries} == {bad["id"], bad_id["id"]}
    for e in entries:
        assert "\x00" not in e.reason and "1101" not in e.reason  # no values in the reason
    # The fix (a new local version) supersedes the refused change and goes in its place, as
    # the create it was (version 1 on the central platform), in the next cycle.
    fixed = p.a.store.get("Patient", bad["id"])
    fixed["identifier"] = [{"system": "urn:oid:1.2.156.1", "value": "110105"}]
    save(p.a.store, fixed)
    again = p.a.sync()
    assert again.errors == 1 and again.pending == 0
    p.a2.sync()
    there = p.a2.store.get("Patient", bad["id"])
    assert there["identifier"][0]["value"] == "110105" and there["meta"]["versionId"] == "1"
    assert p.a.store.get("Patient", bad["id"])["meta"]["versionId"] == "1"
    return sorted((e.code, e.http_status) for e in entries)


def test_nul_identifier_refused_and_the_change_behind_syncs_in_one_cycle(pair):
    answers = check_nul_refused_and_rest_synced(pair)
    assert all(status == 422 for _code, status in answers), answers
    assert all(code for code, _status in answers), answers


def test_nul_gets_the_same_answer_on_postgresql(tmp_path, pair):
    sqlite_answers = check_nul_refused_and_rest_synced(pair)
    pg = PostgresServer().start()  # `make sysdeps` installs it: missing fails the run
    try:
        other = tmp_path / "pg"
        other.mkdir()
        p = _pair(other, pg.create_database("poison"))
        try:
            assert check_nul_refused_and_rest_synced(p) == sqlite_answers
        finally:
            p.a.close()
            p.a2.close()
            p.central.stop()
    finally:
        pg.stop()


# ---------------------------------------------------------------- the server fails --
def test_a_5xx_on_one_record_is_isolated_held_back_and_the_rest_goes(pair):
    made = [pair.a.add_patient("孙", f"{n}号")["id"] for n in range(30)]
    poison = made[11]

    async def scenario() -> None:
        async with FaultProxy(pair.central.url) as proxy:
            proxy.poison = {poison}
            engine = engine_via(pair.a, proxy)
            try:
                status = await engine.sync_once()
                # One cycle: everything but the poison went; the clinic is online, not stalled.
                assert status.online is True and status.last_error is None
                assert status.pending == 1 and status.held == 1 and status.errors == 0
                assert status.pushed == 29
                first_cost = len(proxy.pushes)
                assert proxy.failed_pushes() <= math.ceil(math.log2(30)) + 1
                assert first_cost <= 2 * math.ceil(math.log2(30)) + 2
                state, failures, retry_at = outbox_row(pair.a, poison)
                assert (state, failures) == ("pending", 1) and retry_at
                # Held: the next cycle does not send it again (kept across cycles).
                again = await engine.sync_once()
                assert again.pending == 1 and len(proxy.pushes) == first_cost
                # After its back-off it is tried alone-first again, fails, and waits twice as long.
                await asyncio.sleep(0.9)
                await engine.sync_once()
                assert len(proxy.pushes) == first_cost + 1
                assert outbox_row(pair.a, poison)[:2] == ("pending", 2)
                # Another change made meanwhile is not held up by it.
                later = await asyncio.to_thread(pair.a.add_patient, "李", "后来")
                after = await engine.sync_once()
                assert after.pending == 1 and after.pushed == 1
                assert outbox_row(pair.a, later["id"])[0] == "done"
                # The server recovers: once the back-off passes, the poison goes too.
                proxy.poison = set()
                await asyncio.sleep(1.6)
                done = await engine.sync_once()
                assert done.pending == 0 and done.held == 0
                assert outbox_row(pair.a, poison)[:2] == ("done", 0)
            finally:
                engine.close()

    asyncio.run(scenario())
    pair.a2.sync()
    assert set(made) <= pair.a2.ids("Patient")


def test_a_record_the_server_does_not_answer_for_is_isolated_too(pair):
    made = [pair.a.add_patient("钱", f"{n}号")["id"] for n in range(6)]

    async def scenario() -> None:
        async with FaultProxy(pair.central.url) as proxy:
            proxy.poison, proxy.hang = {made[2]}, 5.0
            engine = engine_via(pair.a, proxy, timeout=1.0)
            try:
                status = await engine.sync_once()
                assert status.online is True and status.pending == 1 and status.held == 1
                assert status.pushed == 5
            finally:
                engine.close()

    asyncio.run(scenario())
    assert outbox_row(pair.a, made[2])[:2] == ("pending", 1)


def test_the_server_failing_on_everything_is_an_outage_not_poison(pair):
    made = [pair.a.add_patient("吴", f"{n}号")["id"] for n in range(40)]

    async def scenario() -> None:
        async with FaultProxy(pair.central.url) as proxy:
            proxy.fail_all = True
            engine = engine_via(pair.a, proxy)
            try:
                status = await engine.sync_once()
                assert status.online is False and status.last_error
                assert status.pending == 40 and status.held == 0
                assert len(proxy.pushes) <= math.ceil(math.log2(40)) + 3  # gave up quickly
                # As today: the link's back-off, then everything goes once the server is well.
                proxy.fail_all = False
                assert (await engine.sync_once()).pending == 0
            finally:
                engine.close()

    asyncio.run(scenario())
    assert all(outbox_row(pair.a, rid)[:2] == ("done", 0) for rid in made)


def test_discard_after_a_refusal_goes_back_to_the_servers_copy(pair):
    p = pair.a.add_patient("郑", "和")
    assert pair.a.sync().pending == 0
    bad = pair.a.store.get("Patient", p["id"])
    bad["identifier"] = [{"system": "urn:oid:1.2.156.1", "value": "9\x009"}]
    save(pair.a.store, bad)
    assert pair.a.sync().errors == 1
    clinic = Clinic(pair.a.store)  # the same open profile, through the domain services
    (item,) = clinic.sync.changes_in_error()
    assert item.patient_name == "郑和" and item.entry.code and item.entry.http_status == 422
    clinic.sync.discard(item.change_id)
    back = clinic.store.get("Patient", p["id"])
    assert "identifier" not in back and back["meta"]["versionId"] == "1"
    assert clinic.store.pending_count() == 0
    # Edited again afterwards, it syncs as the next version.
    back["gender"] = "male"
    save(pair.a.store, back)
    assert pair.a.sync().pending == 0
    pair.a2.sync()
    assert pair.a2.store.get("Patient", p["id"])["meta"]["versionId"] == "2"


def test_a_push_refused_as_a_whole_is_halved_and_only_a_write_too_large_alone_stays(pair):
    made = [pair.a.add_patient("冯", f"{n}号")["id"] for n in range(9)]
    together = [PatientInput(family="褚", given=f"{n}").to_fhir() for n in range(4)]
    save_all(pair.a.store, together)  # one write of four records: too large alone here

    async def scenario() -> None:
        async with FaultProxy(pair.central.url) as proxy:
            proxy.max_changes = 3
            engine = engine_via(pair.a, proxy)
            try:
                status = await engine.sync_once()
                assert status.online is True and status.pushed == 9
                assert status.errors == 4 and status.pending == 0
            finally:
                engine.close()

    asyncio.run(scenario())
    entries = SyncLedger(pair.a.store).changes_in_error()
    assert {(e.code, e.http_status) for e in entries} == {("too_large", 413)}
    assert {e.record_id for e in entries} == {r["id"] for r in together}
    pair.a2.sync()
    assert pair.a2.ids("Patient") == set(made)
