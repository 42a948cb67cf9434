"""Generated malformed, oversized and wrong-typed requests (hypothesis): each is answered 4xx
with an error body, never 5xx, and writes nothing (row counts unchanged).

Over 1,000 examples per database across push, pull, enroll, login, admin and attachment
routes, against the in-process server.
"""

from __future__ import annotations

import gzip
import json
import re
import string
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from clinic_app.sync.protocol import InvalidChange, ProtocolError, PullRequest, PushRequest
from tests.central.builders import observation, patient, put, uid

pytestmark = pytest.mark.asyncio


def fuzz(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck))


text = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=40
)  # includes NUL, controls and lone surrogates
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)
not_uuid = st.one_of(
    scalars.filter(lambda v: not isinstance(v, str)),
    text.filter(lambda s: not re.fullmatch(r"[0-9a-f-]{36}", s)),
)


def parses(parser: Any, data: Any) -> bool:
    try:
        parser.parse(data)
        return True
    except (ProtocolError, AssertionError, TypeError, ValueError, KeyError):
        return False


# -- push ------------------------------------------------------------------------------------

BAD_FIELD = {
    "change_id": not_uuid,
    "rtype": st.one_of(json_values, st.sampled_from(["Binary", "patient", "Organization"])),
    "record_id": st.one_of(json_values, st.text(alphabet="/ ?#", min_size=1, max_size=3)),
    "op": st.one_of(json_values, st.sampled_from(["PUT", "patch", "del"])),
    "base_version": st.one_of(
        st.integers(max_value=0),
        st.booleans(),
        text,
        st.floats(),
        st.lists(st.integers(), max_size=2),
    ),
    "resource": st.one_of(
        scalars,
        st.lists(scalars, max_size=2),
        st.fixed_dictionaries({"resourceType": st.just("Observation"), "id": st.just("x")}),
    ),
    "attachments": st.one_of(
        scalars.filter(lambda v: v is not None and v != []), st.lists(text, min_size=1, max_size=3)
    ),
}


@st.composite
def bad_push(draw: st.DrawFn) -> Any:
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return draw(json_values)
    if kind == 1:
        return {"protocol": draw(json_values), "changes": draw(json_values)}
    if kind == 2:
        return {"protocol": 1, "changes": []}
    if kind == 3:
        change = put(patient())
        return {"protocol": 1, "changes": [change, change]}  # repeated change id
    changes = [put(patient()) for _ in range(draw(st.integers(1, 3)))]
    victim = draw(st.sampled_from(changes))
    if kind == 4:
        key = draw(st.sampled_from(sorted(BAD_FIELD)))
        victim[key] = draw(BAD_FIELD[key])
    elif kind == 5:
        del victim[draw(st.sampled_from(["change_id", "rtype", "record_id", "op"]))]
    elif kind == 6:
        victim[draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in victim))] = 1
    else:
        victim["op"] = "delete"
        victim["base_version"] = draw(st.one_of(st.none(), st.integers(1, 5)))
        victim["resource"] = draw(st.one_of(st.just({}), st.just(None)))
        if victim["resource"] is None and victim["base_version"] is not None:
            victim["change_id"] = "not-a-uuid"
    return {"protocol": draw(st.sampled_from([1, 1, 2, "1"])), "changes": changes}


# -- the fixture -----------------------------------------------------------------------------


@pytest_asyncio.fixture
async def fz(central):
    clinic = await central.clinic()
    dev = await central.device_token(clinic)
    admin = await central.user("root", "admin")
    p = patient()
    await central.push(dev, put(p), put(observation(p["id"])))
    sha = "a" * 64
    await central.get(f"/api/v1/attachments/{sha}/status?size=10", dev)
    central.fz = {"dev": dev, "admin": admin, "clinic": clinic, "sha": sha}
    return central


async def check(
    central,
    method: str,
    path: str,
    *,
    token: str | None,
    body: Any = None,
    raw: bytes | None = None,
    headers: dict | None = None,
) -> None:
    before = await central.counts()
    if raw is None:
        try:
            raw = json.dumps(body).encode("utf-8", "surrogatepass")
        except ValueError:
            raw = repr(body).encode("utf-8", "surrogatepass")
    reply = await central.call(method, path, token=token, data=raw, headers=headers)
    assert 400 <= reply.status < 500, (path, reply.status, reply.body)
    assert isinstance(reply.body, dict) and isinstance(reply.body.get("error"), dict), reply.body
    assert set(reply.body["error"]) >= {"code", "message"}
    assert await central.counts() == before


@fuzz(330)
@given(payload=bad_push())
async def test_push(fz, payload):
    """A malformed envelope (or a change without a readable change_id) is a 4xx that writes
    nothing; a malformed change inside a good envelope is rejected on its own (with a code)
    and never blocks the well-formed changes beside it."""
    assume(not parses(PushRequest, payload))
    try:
        json.dumps(payload, allow_nan=False).encode("utf-8")  # what valid JSON can carry
        items = PushRequest.parse_items(payload)
    except (ProtocolError, TypeError, ValueError):
        await check(fz, "POST", "/api/v1/sync/push", token=fz.fz["dev"], body=payload)
        return
    before = await fz.counts()
    reply = await fz.post("/api/v1/sync/push", payload, fz.fz["dev"])
    assert reply.status == 200, reply.body
    results = reply.body["results"]
    assert [r["change_id"] for r in results] == [i.change_id for i in items]
    for item, result in zip(items, results, strict=True):
        if isinstance(item, InvalidChange):
            assert result["status"] == "rejected" and result["code"] == item.code
            assert result["http_status"] == 422
        else:
            assert result["status"] == "applied", result
    applied = sum(r["status"] == "applied" for r in results)
    assert (await fz.counts())["records"] == before["records"] + applied


@fuzz(120)
@given(
    payload=st.one_of(
        json_values,
        st.fixed_dictionaries({"since": json_values}, optional={"limit": json_values}),
        st.fixed_dictionaries({"since": st.integers(min_value=2**63)}),
        st.fixed_dictionaries({"since": st.just(0), "extra": json_values}),
    )
)
async def test_pull(fz, payload):
    big = (
        isinstance(payload, dict)
        and isinstance(payload.get("since"), int)
        and payload["since"] >= 2**63
    )
    assume(big or not parses(PullRequest, payload))
    await check(fz, "POST", "/api/v1/sync/pull", token=fz.fz["dev"], body=payload)


@fuzz(120)
@given(
    payload=st.one_of(
        json_values,
        st.fixed_dictionaries({"code": json_values, "device_name": json_values}),
        st.fixed_dictionaries({"code": st.text(max_size=80), "device_name": st.text(max_size=200)}),
        st.fixed_dictionaries(
            {"code": st.just("AAAA-BBBB-CCCC-DDDD"), "device_name": text, "x": json_values}
        ),
    )
)
async def test_enroll(fz, payload):
    await check(fz, "POST", "/api/v1/enroll", token=None, body=payload)


@fuzz(120)
@given(
    payload=st.one_of(
        json_values,
        st.fixed_dictionaries({"username": json_values, "password": json_values}),
        st.fixed_dictionaries({"username": st.text(max_size=80), "password": st.text(max_size=40)}),
        st.fixed_dictionaries({"username": st.just("root"), "password": st.text(max_size=2000)}),
    )
)
async def test_login(fz, payload):
    await check(fz, "POST", "/api/v1/login", token=None, body=payload)


@st.composite
def bad_admin(draw: st.DrawFn) -> tuple[str, Any]:
    path = draw(
        st.sampled_from(
            ["/api/v1/admin/clinics", "/api/v1/admin/users", "/api/v1/admin/enrollment-codes"]
        )
    )
    if draw(st.booleans()):
        return path, draw(json_values.filter(lambda v: not isinstance(v, dict)))
    if path.endswith("clinics"):
        return path, draw(
            st.one_of(
                st.fixed_dictionaries(
                    {"name": json_values.filter(lambda v: not isinstance(v, str))}
                ),
                st.fixed_dictionaries({"name": st.just(" " * 3)}),
                st.fixed_dictionaries({"name": st.text(min_size=201, max_size=300)}),
                st.fixed_dictionaries({"name": st.just("a\x00b")}),
                st.fixed_dictionaries({"name": st.just("ok"), "extra": json_values}),
            )
        )
    if path.endswith("users"):
        good = {
            "username": "dr.new",
            "password": "long enough pw",
            "role": "clinician",
            "clinic_id": draw(st.just(None)),
        }
        key = draw(st.sampled_from(["username", "password", "role", "specialties", "clinic_id"]))
        bad = {
            "username": st.one_of(json_values, st.text(alphabet=" /\x00", min_size=1)),
            "password": st.one_of(
                json_values.filter(lambda v: not isinstance(v, str)), st.text(max_size=9)
            ),
            "role": st.one_of(json_values, st.just("root")).filter(
                lambda r: r not in ("admin", "specialist", "clinician")
            ),
            "specialties": st.one_of(
                st.lists(st.text(max_size=3), min_size=1, max_size=3),
                scalars.filter(lambda v: v is not None),
            ),
            "clinic_id": st.one_of(not_uuid, st.just(uid())),
        }[key]
        good[key] = draw(bad)
        return path, good
    return path, draw(
        st.one_of(
            st.fixed_dictionaries({"clinic_id": not_uuid, "ttl_hours": st.just(1)}),
            st.fixed_dictionaries({"clinic_id": st.just(uid()), "ttl_hours": st.just(1)}),
            st.fixed_dictionaries(
                {
                    "clinic_id": st.just("CLINIC"),
                    "ttl_hours": st.one_of(
                        json_values.filter(
                            lambda v: not isinstance(v, int | float) or isinstance(v, bool)
                        ),
                        st.floats(max_value=0.01),
                        st.floats(min_value=721, allow_infinity=False),
                    ),
                }
            ),
        )
    )


@fuzz(150)
@given(case=bad_admin())
async def test_admin(fz, case):
    path, body = case
    if isinstance(body, dict) and body.get("clinic_id") == "CLINIC":
        body = {**body, "clinic_id": fz.fz["clinic"]}
    await check(fz, "POST", path, token=fz.fz["admin"], body=body)


hexes = st.text(alphabet=string.hexdigits + "xyz/%", min_size=0, max_size=70)


@fuzz(150)
@given(
    kind=st.integers(0, 4),
    sha=hexes.filter(
        lambda s: not re.fullmatch(r"[0-9a-f]{64}", s) and "/" not in s and "%" not in s and s
    ),
    q=st.one_of(
        st.text(alphabet="-0123456789abc", max_size=25),
        st.integers(min_value=200 * 1024 * 1024 + 1).map(str),
    ),
    data=st.binary(max_size=64),
)
async def test_attachments(fz, kind, sha, q, data):
    dev = fz.fz["dev"]
    good = fz.fz["sha"]
    if kind == 0:  # malformed digest in the path
        await check(fz, "GET", f"/api/v1/attachments/{sha}/status?size=10", token=dev, raw=b"")
    elif kind == 1:  # bad size
        assume(not re.fullmatch(r"\d+", q) or not 1 <= int(q) <= 200 * 1024 * 1024)
        await check(fz, "GET", f"/api/v1/attachments/{good}/status?size={q}", token=dev, raw=b"")
    elif kind == 2:  # bad offset
        assume(not re.fullmatch(r"\d+", q) or int(q) != 0)
        await check(
            fz, "PUT", f"/api/v1/attachments/{good}?offset={q}", token=dev, raw=data or b"x"
        )
    elif kind == 3:  # past the declared size, or empty
        await check(
            fz,
            "PUT",
            f"/api/v1/attachments/{good}?offset=0",
            token=dev,
            raw=(data * 20)[:0] if not data else data + b"0123456789",
        )
    else:
        await check(fz, "GET", f"/api/v1/attachments/{sha}", token=dev, raw=b"")


@fuzz(100)
@given(
    route=st.sampled_from(
        [
            "/api/v1/sync/push",
            "/api/v1/sync/pull",
            "/api/v1/enroll",
            "/api/v1/login",
            "/api/v1/admin/clinics",
        ]
    ),
    raw=st.one_of(st.binary(max_size=200), st.text(max_size=100).map(lambda t: t.encode())),
    zipped=st.sampled_from(["no", "gzip-header", "gzipped"]),
)
async def test_raw_bodies(fz, route, raw, zipped):
    try:
        json.loads(raw)
        assume(False)  # valid JSON is covered above
    except ValueError:
        pass
    headers = {}
    if zipped != "no":
        headers["Content-Encoding"] = "gzip"
    if zipped == "gzipped":
        raw = gzip.compress(raw)
    token = fz.fz["admin"] if "admin" in route else fz.fz["dev"]
    await check(fz, "POST", route, token=token, raw=raw, headers=headers)


async def test_bomb_and_oversized_bodies(fz):
    # 20 MiB of zeros gzip to ~20 KiB: the limit applies to the decoded body.
    bomb = gzip.compress(b'{"since": 0, "x": "' + b"0" * (20 * 1024 * 1024) + b'"}')
    await check(
        fz,
        "POST",
        "/api/v1/sync/pull",
        token=fz.fz["dev"],
        raw=bomb,
        headers={"Content-Encoding": "gzip"},
    )
    deep = b"[" * 100_000 + b"]" * 100_000
    await check(fz, "POST", "/api/v1/sync/push", token=fz.fz["dev"], raw=deep)
    many = {"protocol": 1, "changes": [put(patient()) for _ in range(501)]}
    await check(fz, "POST", "/api/v1/sync/push", token=fz.fz["dev"], body=many)
