"""One answer on both databases: the same generated pushes, sent to central on SQLite and on
PostgreSQL side by side, get the same answers and leave the same stored state.

Two in-process servers (aiohttp's TestServer), each on an empty database with the same clinic
and device, receive the same sequence of pushes: Patients and Observations referring to them
whose ids, identifiers, names, extensions and values hold NULs, lone surrogates, 4-byte
characters (emoji, CJK Extension B), decomposed and composed accents, huge strings, deep
extension nesting and odd numbers (huge integers, 1e308, -0.0, 5e-324, "NaN" as text). After
every example the answers (status, result codes, versions, sequences, server copies) and the
stored state — every record as the FHIR read API returns it, both searches, identifier
searches, the pull feed and the raw ``records``/``identifiers``/``changes`` rows — must be equal.

The PostgreSQL database uses a linguistic (ICU ``en-US``) collation, as a server installed
with a default locale does, so text ordering that depends on the database shows up here.

Only the change ``epoch`` is server-generated and random: it is replaced by a placeholder.
Runtime: about 60–90 s for 200 examples on one core.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from central import schema
from central.app import build_app
from central.db import Database, sql
from central.web import DB_KEY
from tests.central.conftest import Central, make_settings
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.asyncio

EXAMPLES = int(os.environ.get("PARITY_EXAMPLES", "200"))

# -- generated content -----------------------------------------------------------------------

# Storable but unusual text: 4-byte characters, the same letter composed and decomposed, a BOM,
# right-to-left override, NEL, numbers and keywords as text, case twins.
ODD_WORDS = [
    "😀",
    "👩‍⚕️",
    "𠀀𠀁𪜀",  # CJK Extension B
    "é",
    "e\u0301",  # the same letter, decomposed
    "Å",
    "\u212b",  # ANGSTROM SIGN (NFC: Å)
    "\ufeff",
    "\u202etxet",
    "\u0085",
    "\t tab \r\n",
    "1e308",
    "-0.0",
    "NaN",
    "Infinity",
    "null",
    "",
    " ",
    "B",
    "a",
    "Z9",
    "z9",
]
# Text no database can hold as it is: NUL, lone surrogates (a joined pair is fine).
BAD_WORDS = ["\x00", "a\x00b", "\ud800", "x\udfff", "\udbff\udc00"]
any_char = st.characters(codec=None, exclude_categories=())  # NUL, controls, lone surrogates
fine_char = st.characters(exclude_categories=("Cs", "Cc"))  # any plane, no NUL or surrogate
fine_text = st.one_of(
    st.text(alphabet=fine_char, max_size=16),
    st.lists(st.sampled_from(ODD_WORDS), max_size=4).map("".join),
    st.sampled_from(ODD_WORDS),
)
bad_text = st.one_of(
    st.sampled_from(BAD_WORDS),
    st.text(alphabet=any_char, min_size=1, max_size=12),
    st.lists(st.sampled_from(BAD_WORDS + ODD_WORDS[:4]), min_size=1, max_size=4).map("".join),
)
odd_text = st.integers(1, 12).flatmap(lambda n: bad_text if n == 1 else fine_text)
huge_text = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from(["a", "é", "😀", "𠀀"]),
    # around MAX_RESOURCE_BYTES (1,000,000 bytes): characters vs UTF-8 bytes vs JSON escapes
    st.sampled_from([20_000, 249_990, 333_000, 999_000, 1_000_100]),
)
long_or_odd = st.integers(1, 8).flatmap(lambda n: huge_text if n == 1 else odd_text)
valid_id = st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True)
good_ids = st.one_of(
    st.sampled_from(["p1", "P1", "p-1", "p.1", "1e308", "-0.0", "NaN", "a" * 64, "B", "a"]),
    st.sampled_from(["p1", "P1", "B", "a", "Z9", "z9", "0", "-", "."]),
    valid_id,
)
bad_ids = st.one_of(
    st.sampled_from(["a" * 65, "p 1", "p/1", "p1\n", "𠀀", "p\x00", "", "Patient/p1"]),
    bad_text,
)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any], one_in: int) -> Any:
    """``bad`` about once in ``one_in`` draws, else ``good``."""
    return st.integers(1, one_in).flatmap(lambda n: bad if n == 1 else good)


odd_id = mostly(good_ids, bad_ids, 8)
odd_number = st.one_of(
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**90), 2**90),
    st.sampled_from([1e308, -1e308, -0.0, 0.0, 5e-324, 2.5e-308, 0.1, 1.0, 10**400, -(10**40)]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["NaN", "1e308", "-0.0", "12"]),  # numbers as text: not FHIR numbers
)


@st.composite
def extension(draw: st.DrawFn) -> dict[str, Any]:
    depth = draw(st.sampled_from([0, 0, 0, 1, 3, 10, 40, 200]))
    url = mostly(st.just("http://example.org/x"), st.sampled_from(["x", "", "http://x/\x00"]), 6)
    leaf: dict[str, Any] = {"url": draw(url)}
    kind = draw(st.sampled_from(["valueString", "valueInteger", "valueDecimal", "valueBoolean"]))
    if kind == "valueString":
        leaf[kind] = draw(long_or_odd)
    elif kind == "valueBoolean":
        leaf[kind] = draw(mostly(st.booleans(), st.sampled_from(["yes", 0, None]), 4))
    else:
        leaf[kind] = draw(odd_number)
    node = leaf
    for _ in range(depth):
        node = {"url": "http://example.org/nested", "extension": [node]}
    return node


@st.composite
def patient(draw: st.DrawFn, pid: str) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Patient", "id": pid}
    if draw(st.booleans()):
        res["identifier"] = [
            {
                "system": draw(st.sampled_from(["urn:oid:1.2.3", "http://x/id", ""])),
                "value": draw(st.one_of(long_or_odd, st.just("ID-1"), st.just("id-1"))),
            }
            for _ in range(draw(st.integers(1, 2)))
        ]
    if draw(st.booleans()):
        res["name"] = [{"text": draw(odd_text), "family": draw(odd_text)}]
        if draw(st.booleans()):
            res["name"][0]["given"] = [draw(odd_text)]
    if draw(st.booleans()):
        res["extension"] = [draw(extension())]
    if draw(st.booleans()):
        res["gender"] = draw(
            mostly(
                st.sampled_from(["female", "male", "other"]),
                st.sampled_from(["Female", "x\x00"]),
                6,
            )
        )
    if draw(st.booleans()):
        res["birthDate"] = draw(
            mostly(
                st.sampled_from(["1970-01-01", "2024"]), st.sampled_from(["1970-02-30", "𠀀"]), 6
            )
        )
    return res


@st.composite
def observation(draw: st.DrawFn, oid: str, pid: str) -> dict[str, Any]:
    spellings = st.sampled_from(
        [f"patient/{pid}", f" Patient/{pid}", pid, f"Patient/{pid}/_history/1"]
    )
    subject = draw(mostly(st.just(f"Patient/{pid}"), spellings, 4))
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": draw(mostly(st.sampled_from(["final", "amended"]), st.just("Final"), 6)),
        "code": {"text": draw(odd_text)},
        "subject": {"reference": subject},
    }
    value = draw(st.sampled_from(["valueQuantity", "valueString", "valueInteger", None]))
    if value == "valueQuantity":
        res[value] = {"value": draw(odd_number), "unit": draw(odd_text)}
    elif value == "valueString":
        res[value] = draw(long_or_odd)
    elif value == "valueInteger":
        res[value] = draw(odd_number)
    if draw(st.booleans()):
        res["extension"] = [draw(extension())]
    return res


def change(
    change_id: uuid.UUID, resource: dict[str, Any] | None, base: int | None, op: str = "put"
) -> dict[str, Any]:
    rtype = resource["resourceType"] if resource else "Observation"
    return {
        "change_id": str(change_id),
        "rtype": rtype,
        "record_id": resource["id"] if resource else "",
        "op": op,
        "base_version": base,
        "resource": resource if op == "put" else None,
        "attachments": [],
    }


@st.composite
def pushes(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """One to three pushes: creates, updates, deletes and repeats of a few records."""
    pids = draw(st.lists(odd_id, min_size=1, max_size=2))
    oids = draw(st.lists(odd_id, min_size=0, max_size=2))
    out: list[list[dict[str, Any]]] = []
    sent: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 3))):
        batch: list[dict[str, Any]] = []
        for _ in range(draw(st.integers(1, 4))):
            what = draw(st.sampled_from(["patient", "observation", "update", "delete", "again"]))
            again = [ch for ch in sent if ch not in batch]
            if what == "again" and again:  # a change of an earlier push sent again: same id
                batch.append(draw(st.sampled_from(again)))
                continue
            cid = draw(st.one_of(st.uuids(), st.builds(uuid.uuid4), st.builds(uuid.uuid4)))
            pid = draw(st.sampled_from(pids))
            if what == "observation" and oids:
                oid = draw(st.sampled_from(oids))
                ch = change(cid, draw(observation(oid, pid)), draw(st.sampled_from([None, 1])))
            elif what == "delete":
                target = draw(st.sampled_from(pids + oids))
                ch = change(cid, None, draw(st.sampled_from([1, 2])), op="delete")
                ch["record_id"] = target
                ch["rtype"] = "Patient" if target in pids else "Observation"
            else:
                base = draw(st.sampled_from([None, 1, 2])) if what == "update" else None
                ch = change(cid, draw(patient(pid)), base)
            batch.append(ch)
        out.append(batch)
        sent += [ch for ch in batch if ch not in sent]
    return out


# -- two servers side by side ----------------------------------------------------------------


def _icu_database(pg: PostgresServer, name: str) -> str:
    """A database with a linguistic collation (what a default-locale install gets)."""
    import psycopg

    with psycopg.connect(pg.url("postgres"), autocommit=True) as conn:
        conn.execute(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
            "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'".encode()
        )
    url = pg.url(name)
    db = Database(url, pool_size=1)
    try:
        schema.ensure(db)
    finally:
        db.close()
    return url


class Pair:
    """The same clinic and device on each server."""

    def __init__(self) -> None:
        self.sides: list[tuple[str, Central, str]] = []  # (name, server, device token)
        self.touched: set[tuple[str, str]] = set()
        self.identifiers: set[str] = set()


@pytest_asyncio.fixture
async def pair(pg_server: PostgresServer, tmp_path: Any) -> AsyncIterator[Pair]:
    urls = {
        "sqlite": f"sqlite:///{tmp_path / 'parity.db'}",
        "postgresql": _icu_database(pg_server, f"parity_{uuid.uuid4().hex[:12]}"),
    }
    out = Pair()
    clients: list[TestClient] = []
    try:
        for name, url in urls.items():
            app = build_app(make_settings(url))
            client = TestClient(TestServer(app))
            await client.start_server()
            clients.append(client)
            server = Central(client, app[DB_KEY])
            clinic = await server.clinic("Parity Clinic")
            out.sides.append((name, server, await server.device_token(clinic)))
        yield out
    finally:
        for client in clients:
            await client.close()


# -- what is compared ------------------------------------------------------------------------


def _normalised(body: Any) -> Any:
    """An answer with the random server epoch replaced (the only value that must differ)."""
    if isinstance(body, dict):
        return {k: ("<epoch>" if k == "epoch" else _normalised(v)) for k, v in body.items()}
    if isinstance(body, list):
        return [_normalised(v) for v in body]
    return body


def _wire(payload: Any) -> bytes:
    """The request body as a client would send it (lone surrogates as JSON escapes; a float
    NaN/Infinity would be written as such and refused by both)."""
    return json.dumps(payload).encode("ascii")


_RAW_TABLES = {
    "records": sql(
        "SELECT rtype, id, version, deleted, resource, patient_id, last_seq FROM records"
    ),
    "identifiers": sql("SELECT rtype, id, system, value FROM identifiers"),
    "changes": sql(
        "SELECT seq, rtype, record_id, version, deleted, resource, change_id, reemit "
        "FROM changes ORDER BY seq"
    ),
}


_RESOURCE_COLUMN = {"records": 4, "changes": 5}


async def _raw_state(server: Central) -> dict[str, Any]:
    def work(conn: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, query in _RAW_TABLES.items():
            rows = [list(r) for r in conn.all(query)]
            col = _RESOURCE_COLUMN.get(name)
            for r in rows:  # the stored JSON compared as text AND as what it means
                if col is not None and r[col] is not None:
                    r.append(json.loads(r[col]))
            # text is ordered here, by code point: an ORDER BY would use the database's collation
            out[name] = rows if name == "changes" else sorted(rows, key=repr)
        return out

    return await server.db.read(work)


async def _api_state(pair: Pair, server: Central, token: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rtype, rid in sorted(pair.touched):
        if rid and all(0x20 < ord(c) < 0x7F for c in rid):
            reply = await server.get(f"/fhir/{rtype}/{quote(rid, safe='')}", token)
            out[f"read {rtype}/{rid}"] = (reply.status, _normalised(reply.body))
    for rtype in ("Patient", "Observation"):
        reply = await server.get(f"/fhir/{rtype}?_count=1000", token)
        out[f"search {rtype}"] = (reply.status, _normalised(reply.body))
    for value in sorted(pair.identifiers):
        try:
            query = quote(value, safe="")
        except UnicodeEncodeError:
            continue  # a lone surrogate cannot go into a URL
        reply = await server.get(f"/fhir/Patient?identifier={query}", token)
        out[f"identifier {value!r}"] = (reply.status, _normalised(reply.body))
    out["pull"] = _normalised(await server.pull_all(token))
    return out


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=False,
)
@given(batches=pushes())
async def test_same_answers_and_state_on_both_databases(pair: Pair, batches: list) -> None:
    for batch in batches:
        for ch in batch:
            pair.touched.add((str(ch["rtype"]), str(ch["record_id"])))
            res = ch.get("resource")
            for ident in (res or {}).get("identifier") or []:
                if isinstance(ident.get("value"), str) and len(ident["value"]) < 300:
                    pair.identifiers.add(ident["value"])
        body = _wire({"protocol": 1, "changes": batch})
        answers = []
        for _name, server, token in pair.sides:
            reply = await server.call("POST", "/api/v1/sync/push", token=token, data=body,
                                      headers={"Content-Type": "application/json"})  # fmt: skip
            assert reply.status < 500, (_name, reply.status, reply.body)
            answers.append((reply.status, _normalised(reply.body)))
        assert answers[0] == answers[1]
        event(f"push answered {answers[0][0]}")  # the mix: --hypothesis-show-statistics
        body_back = answers[0][1]
        for result in body_back.get("results", []) if isinstance(body_back, dict) else []:
            event(f"{result.get('status')} {result.get('code') or ''}".strip())
    states = [await _raw_state(server) for _n, server, _t in pair.sides]
    assert states[0] == states[1]
    api = [await _api_state(pair, server, token) for _n, server, token in pair.sides]
    for key in api[0]:
        assert api[0][key] == api[1][key], key
    assert api[0].keys() == api[1].keys()
