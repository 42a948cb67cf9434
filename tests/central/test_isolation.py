"""The authorization matrix over EVERY route.

* without a token, or with a revoked one: 401 on every route that needs one;
* an admin reads no clinical content: 403 on sync, attachment and FHIR routes;
* nobody but an admin uses the admin routes: 403;
* clinic A's device cannot read, write or learn the existence of clinic B's records;
* a specialist does not see another specialty's consults;
* the web desk (/desk/) opens only with its own cookie session of a specialist, signed in
  through its CSRF-checked form: a bearer token alone opens none of its pages.

``test_every_route_is_in_the_matrix`` fails when a route is added without an entry here.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

import pytest
import pytest_asyncio

from central.app import build_app
from tests.central.builders import consult, delete, document, observation, patient, put, uid
from tests.central.conftest import PASSWORD, make_settings

pytestmark = pytest.mark.asyncio

PUBLIC = {
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/enroll"),
    ("POST", "/api/v1/login"),
    ("POST", "/api/v1/token/refresh"),
    ("GET", "/fhir/metadata"),
}
ADMIN = {
    ("POST", "/api/v1/admin/clinics"),
    ("GET", "/api/v1/admin/clinics"),
    ("POST", "/api/v1/admin/users"),
    ("POST", "/api/v1/admin/enrollment-codes"),
    ("GET", "/api/v1/admin/devices"),
    ("POST", "/api/v1/admin/devices/{device_id}/revoke"),
    ("POST", "/api/v1/admin/users/{username}/unlock"),
    ("POST", "/api/v1/admin/users/{username}/disable"),
    ("POST", "/api/v1/admin/users/{username}/enable"),
    ("GET", "/api/v1/admin/locked"),
    ("GET", "/api/v1/admin/auth-audit"),
}
CLINICAL = {
    ("POST", "/api/v1/sync/push"),
    ("POST", "/api/v1/sync/pull"),
    ("GET", "/api/v1/attachments/{sha256}/status"),
    ("PUT", "/api/v1/attachments/{sha256}"),
    ("GET", "/api/v1/attachments/{sha256}"),
    ("GET", "/fhir/{rtype}/{rid}"),
    ("GET", "/fhir/{rtype}"),
    ("GET", "/fhir/{rtype}/{rid}/_history"),
    ("GET", "/api/v1/calls/{consult_id}/ice"),
    ("GET", "/api/v1/calls/{consult_id}/ws"),
    ("GET", "/api/v1/calls/active"),
}
ANY_SIGNED_IN = {("POST", "/api/v1/logout"), ("GET", "/api/v1/whoami")}
# The web desk: cookies and CSRF, never a bearer token. What anyone gets without a session:
DESK_OPEN = {
    ("GET", "/desk"): (308, "/desk/"),
    ("GET", "/desk/"): (303, "/desk/signin"),
    ("GET", "/desk/signin"): (200, None),
    ("POST", "/desk/signin"): (403, None),  # a specialist's right password, but no CSRF token
    ("GET", "/desk/lang/{lang}"): (303, "/desk/"),
    ("GET", "/desk/static/{name}"): (200, None),
}
# ... and what needs a specialist's desk session: without one a page sends to the sign-in
# page (303), a form post is 401, the call socket 401.
DESK_SESSION = {
    ("POST", "/desk/signout"),
    ("GET", "/desk/worklist"),
    ("GET", "/desk/consults/{consult_id}"),
    ("POST", "/desk/consults/{consult_id}/{action}"),
    ("GET", "/desk/consults/{consult_id}/call"),
    ("GET", "/desk/consults/{consult_id}/call/ice"),
    ("GET", "/desk/consults/{consult_id}/call/ws"),
    ("GET", "/desk/documents/{doc_id}"),
}
DESK_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@dataclass
class Ctx:
    a_clinic: str
    a_dev: str
    a_device_id: str
    b_clinic: str
    b_dev: str
    b_patient: dict
    b_obs: dict
    b_sha: str
    b_sr: dict
    b_doc: dict
    cardio: str
    neuro: str
    admin: str


def call_for(route: tuple[str, str], ctx: Ctx) -> tuple[str, str, object, bytes | None]:
    """A well-formed request for each route (aimed at clinic B's things where it matters)."""
    method, path = route
    sha = ctx.b_sha
    body: object = None
    raw: bytes | None = None
    url = {
        "/api/v1/attachments/{sha256}/status": f"/api/v1/attachments/{sha}/status?size=100",
        "/api/v1/attachments/{sha256}": f"/api/v1/attachments/{sha}"
        + ("?offset=0" if method == "PUT" else ""),
        "/api/v1/admin/devices/{device_id}/revoke": f"/api/v1/admin/devices/{ctx.a_device_id}"
        "/revoke",
        "/api/v1/admin/users/{username}/unlock": "/api/v1/admin/users/dr.brain/unlock",
        "/api/v1/admin/users/{username}/disable": "/api/v1/admin/users/dr.brain/disable",
        "/api/v1/admin/users/{username}/enable": "/api/v1/admin/users/dr.brain/enable",
        "/fhir/{rtype}/{rid}": f"/fhir/Patient/{ctx.b_patient['id']}",
        "/fhir/{rtype}": f"/fhir/Observation?patient={ctx.b_patient['id']}",
        "/fhir/{rtype}/{rid}/_history": f"/fhir/Patient/{ctx.b_patient['id']}/_history",
        "/api/v1/calls/{consult_id}/ice": f"/api/v1/calls/{ctx.b_sr['id']}/ice",
        "/api/v1/calls/{consult_id}/ws": f"/api/v1/calls/{ctx.b_sr['id']}/ws",
    }.get(path, path)
    if path == "/api/v1/sync/push":
        body = {"protocol": 1, "changes": [put(patient())]}
    elif path == "/api/v1/sync/pull":
        body = {"since": 0}
    elif path == "/api/v1/attachments/{sha256}" and method == "PUT":
        raw = b"x" * 100
    elif path == "/api/v1/admin/clinics" and method == "POST":
        body = {"name": "New"}
    elif path == "/api/v1/admin/users":
        body = {"username": f"u{uid()[:8]}", "password": "long enough pw", "role": "admin"}
    elif path == "/api/v1/admin/enrollment-codes":
        body = {"clinic_id": ctx.a_clinic, "ttl_hours": 1}
    return method, url, body, raw


async def send(central, route, ctx, token):
    method, url, body, raw = call_for(route, ctx)
    if body is not None:
        return await central.call(method, url, token=token, json_body=body)
    return await central.call(method, url, token=token, data=raw)


@pytest_asyncio.fixture
async def ctx(central) -> Ctx:
    a_clinic, b_clinic = await central.clinic("A"), await central.clinic("B")
    a = await central.device(a_clinic)
    b_dev = await central.device_token(b_clinic)
    bp = patient(resident_id="110101199003074477")
    bo = observation(bp["id"])
    data = os.urandom(100)
    sha = hashlib.sha256(data).hexdigest()
    await central.get(f"/api/v1/attachments/{sha}/status?size=100", b_dev)
    await central.call("PUT", f"/api/v1/attachments/{sha}?offset=0", token=b_dev, data=data)
    doc = document(bp["id"], sha, 100)
    sr = consult(
        bp["id"],
        "cardiology",
        supporting=[f"Observation/{bo['id']}", f"DocumentReference/{doc['id']}"],
    )
    res = await central.push(b_dev, put(bp), put(bo), put(doc), put(sr))
    assert all(r["status"] == "applied" for r in res["results"]), res
    return Ctx(
        a_clinic=a_clinic,
        a_dev=a["token"],
        a_device_id=a["device_id"],
        b_clinic=b_clinic,
        b_dev=b_dev,
        b_patient=bp,
        b_obs=bo,
        b_sha=sha,
        b_sr=sr,
        b_doc=doc,
        cardio=await central.user("dr.heart", "specialist", specialties=("cardiology",)),
        neuro=await central.user("dr.brain", "specialist", specialties=("neurology",)),
        admin=await central.user("root", "admin"),
    )


async def test_every_route_is_in_the_matrix(db_url):
    app = build_app(make_settings(db_url))
    routes = {
        (r.method, r.resource.canonical)
        for r in app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    assert routes == PUBLIC | ADMIN | CLINICAL | ANY_SIGNED_IN | set(DESK_OPEN) | DESK_SESSION


@pytest.mark.parametrize("route", sorted(ADMIN | CLINICAL | ANY_SIGNED_IN))
async def test_no_token_or_revoked_token_is_401_everywhere(central, ctx, route):
    assert (await send(central, route, ctx, None)).status == 401
    assert (await send(central, route, ctx, "not-a-real-token-at-all-xyz")).status == 401
    # A revoked device, a signed-out user and a revoked admin session: refused at once.
    await central.post(f"/api/v1/admin/devices/{ctx.a_device_id}/revoke", token=ctx.admin)
    reply = await send(central, route, ctx, ctx.a_dev)
    assert reply.status == 401 and reply.headers["WWW-Authenticate"] == "Bearer"
    if route[1].startswith("/fhir"):
        assert reply.body["resourceType"] == "OperationOutcome"
        assert reply.body["issue"][0]["code"] == "login"
    else:
        assert reply.error_code == "unauthorized"
    assert (await central.post("/api/v1/logout", token=ctx.cardio)).status == 204
    assert (await send(central, route, ctx, ctx.cardio)).status == 401
    assert (await central.post("/api/v1/logout", token=ctx.admin)).status == 204
    assert (await send(central, route, ctx, ctx.admin)).status == 401


@pytest.mark.parametrize("route", sorted(CLINICAL))
async def test_admin_reads_no_clinical_content(central, ctx, route):
    before = await central.counts()
    reply = await send(central, route, ctx, ctx.admin)
    assert reply.status == 403
    assert await central.counts() == before


@pytest.mark.parametrize("route", sorted(ADMIN))
async def test_only_admins_use_admin_routes(central, ctx, route):
    for token in (
        ctx.a_dev,
        ctx.cardio,
        await central.user("dr.li", "clinician", clinic_id=ctx.a_clinic),
    ):
        before = await central.counts()
        reply = await send(central, route, ctx, token)
        assert reply.status == 403, (route, reply.body)
        assert await central.counts() == before
    assert (await send(central, route, ctx, ctx.admin)).status in (200, 201)


async def test_clinic_a_cannot_learn_about_clinic_b_through_fhir(central, ctx):
    for rtype, rid in (
        ("Patient", ctx.b_patient["id"]),
        ("Observation", ctx.b_obs["id"]),
        ("ServiceRequest", ctx.b_sr["id"]),
    ):
        for suffix in ("", "/_history"):
            hidden = await central.get(f"/fhir/{rtype}/{rid}{suffix}", ctx.a_dev)
            missing = await central.get(f"/fhir/{rtype}/{uid()}{suffix}", ctx.a_dev)
            assert hidden.status == missing.status == 404
            assert hidden.body == missing.body
            assert hidden.headers["Content-Type"] == missing.headers["Content-Type"]
    for query in (f"patient={ctx.b_patient['id']}", f"subject=Patient/{ctx.b_patient['id']}"):
        reply = await central.get(f"/fhir/Observation?{query}", ctx.a_dev)
        assert reply.status == 200 and reply.body["entry"] == []
    reply = await central.get("/fhir/Patient?identifier=110101199003074477", ctx.a_dev)
    assert reply.body["entry"] == []
    assert (await central.get("/fhir/Patient", ctx.a_dev)).body["entry"] == []


async def test_clinic_a_pull_never_shows_clinic_b(central, ctx):
    mine = await central.push(ctx.a_dev, put(patient()))
    got = await central.pull_all(ctx.a_dev)
    assert [c["seq"] for c in got] == [mine["results"][0]["seq"]]
    assert (await central.pull_all(ctx.b_dev))[0]["record_id"] == ctx.b_patient["id"]


async def test_clinic_a_cannot_write_clinic_b_records(central, ctx):
    before = await central.counts()
    bp = ctx.b_patient
    attempts = [
        put({**bp, "gender": "male"}),  # create over B's id
        put({**bp, "gender": "male"}, base=1),  # update
        delete("Patient", bp["id"], base=1),  # delete
        put(observation(bp["id"])),  # attach an Observation to B's Patient
        put(consult(uid(), "cardiology", supporting=[f"Observation/{ctx.b_obs['id']}"])),
    ]
    res = await central.push(ctx.a_dev, *attempts)
    assert [r["status"] for r in res["results"]] == ["rejected"] * len(attempts)
    assert all(r["server"] is None for r in res["results"])  # no server copy leaks
    assert await central.counts() == before
    assert (await central.get(f"/fhir/Patient/{bp['id']}", ctx.b_dev)).body["gender"] == "female"


async def test_clinic_a_cannot_fetch_clinic_b_attachment(central, ctx):
    hidden = await central.get(f"/api/v1/attachments/{ctx.b_sha}", ctx.a_dev)
    random = await central.get(f"/api/v1/attachments/{hashlib.sha256(b'r').hexdigest()}", ctx.a_dev)
    assert hidden.status == random.status == 404 and hidden.body == random.body
    st = await central.get(f"/api/v1/attachments/{ctx.b_sha}/status?size=100", ctx.a_dev)
    assert st.body["complete"] is False and st.body["received"] == 0  # nothing learned


async def test_specialist_of_another_specialty_sees_nothing(central, ctx):
    assert await central.pull_all(ctx.neuro) == []
    for rtype, rid in (("ServiceRequest", ctx.b_sr["id"]), ("Patient", ctx.b_patient["id"])):
        hidden = await central.get(f"/fhir/{rtype}/{rid}", ctx.neuro)
        missing = await central.get(f"/fhir/{rtype}/{uid()}", ctx.neuro)
        assert hidden.status == 404 and hidden.body == missing.body
        assert (await central.get(f"/fhir/{rtype}/{rid}", ctx.cardio)).status == 200
    assert (await central.get(f"/api/v1/attachments/{ctx.b_sha}", ctx.neuro)).status == 404
    assert (await central.get("/fhir/ServiceRequest", ctx.neuro)).body["entry"] == []
    listed = await central.get("/fhir/ServiceRequest", ctx.cardio)
    assert [e["resource"]["id"] for e in listed.body["entry"]] == [ctx.b_sr["id"]]


async def test_a_waiting_call_is_seen_only_by_its_own_clinic(central, ctx):
    """``/calls/active`` answers only the caller's own calls: the specialist opened clinic B's
    consult; clinic A's device, another specialty and the specialist's own side see nothing."""
    headers = {"Authorization": f"Bearer {ctx.cardio}"}
    url = f"/api/v1/calls/{ctx.b_sr['id']}/ws"
    async with central.client.ws_connect(url, headers=headers) as spec:
        joined = await spec.receive_json(timeout=5)
        assert joined["type"] == "joined" and joined["side"] == "specialist"
        seen = await central.get("/api/v1/calls/active", ctx.b_dev)
        assert seen.status == 200
        assert [(c["consult_id"], c["call_id"], c["waiting_side"]) for c in seen.body["calls"]] == [
            (ctx.b_sr["id"], joined["call_id"], "specialist")
        ]
        for token in (ctx.a_dev, ctx.neuro, ctx.cardio):
            reply = await central.get("/api/v1/calls/active", token)
            assert reply.status == 200 and reply.body == {"calls": []}


# -- the web desk ------------------------------------------------------------------------------


def desk_url(path: str, ctx: Ctx) -> str:
    """A well-formed address for each desk route (aimed at clinic B's cardiology consult)."""
    sr = ctx.b_sr["id"]
    return (
        path.replace("{lang}", "en")
        .replace("{name}", "htmx-2.0.11.min.js")
        .replace("{consult_id}/{action}", f"{sr}/accept")
        .replace("{consult_id}", sr)
        .replace("{doc_id}", ctx.b_doc["id"])
    )


async def desk_send(central, route, ctx, *, token=None, form=None):
    """The route as a browser asks it (same-origin, no redirects followed), plus a bearer
    token if given: (status, Location, Set-Cookie headers)."""
    method, path = route
    origin = str(central.client.make_url("/").origin())
    headers = {"Origin": origin} | ({"Authorization": f"Bearer {token}"} if token else {})
    async with central.client.request(
        method, desk_url(path, ctx), headers=headers, data=form, allow_redirects=False
    ) as resp:
        await resp.read()
        return resp.status, resp.headers.get("Location"), resp.headers.getall("Set-Cookie", [])


async def desk_sign_in(central, username: str) -> int:
    """Sign in through the desk's form (fresh cookies, CSRF token from the page)."""
    central.client.session.cookie_jar.clear()
    async with central.client.get("/desk/signin") as resp:
        token = DESK_CSRF.search(await resp.text())
    assert token
    form = {"csrf": token.group(1), "username": username, "password": PASSWORD}
    async with central.client.post("/desk/signin", data=form, allow_redirects=False) as resp:
        return resp.status


async def bearer_kinds(central, ctx) -> list[str | None]:
    clinician = await central.user("dr.li", "clinician", clinic_id=ctx.a_clinic)
    return [None, ctx.a_dev, clinician, ctx.cardio, ctx.admin]


@pytest.mark.parametrize("route", sorted(DESK_OPEN))
async def test_open_desk_routes_answer_the_same_to_every_bearer(central, ctx, route):
    status, location = DESK_OPEN[route]
    form = {"username": "dr.heart", "password": PASSWORD} if route[0] == "POST" else None
    for token in await bearer_kinds(central, ctx):
        central.client.session.cookie_jar.clear()
        got, where, cookies = await desk_send(central, route, ctx, token=token, form=form)
        assert (got, where) == (status, location), (route, token)
        assert not [c for c in cookies if c.startswith(("desk_access=", "desk_refresh="))]


@pytest.mark.parametrize("route", sorted(DESK_SESSION))
async def test_a_bearer_token_opens_no_desk_page(central, ctx, route):
    expected = (303, "/desk/signin") if route[0] == "GET" else (401, None)
    if route[1].endswith("/ws"):
        expected = (401, None)
    for token in await bearer_kinds(central, ctx):
        central.client.session.cookie_jar.clear()
        before = await central.counts()
        got, where, _ = await desk_send(central, route, ctx, token=token, form={})
        assert (got, where) == expected, (route, token)
        assert await central.counts() == before


async def test_only_specialists_get_a_desk_session(central, ctx):
    await central.user("dr.li", "clinician", clinic_id=ctx.a_clinic)
    for username in ("dr.li", "root"):
        assert await desk_sign_in(central, username) == 403
        got, where, _ = await desk_send(central, ("GET", "/desk/worklist"), ctx)
        assert (got, where) == (303, "/desk/signin")
    assert await desk_sign_in(central, "dr.heart") == 303
    got, _, _ = await desk_send(central, ("GET", "/desk/consults/{consult_id}"), ctx)
    assert got == 200  # clinic B's cardiology consult, to a cardiologist


async def test_a_desk_session_of_another_specialty_sees_nothing(central, ctx):
    assert await desk_sign_in(central, "dr.brain") == 303
    async with central.client.get("/desk/worklist") as resp:
        html = await resp.text()
    assert resp.status == 200 and ctx.b_sr["id"] not in html
    found = DESK_CSRF.search(html)
    assert found
    before = await central.counts()
    for route in sorted(DESK_SESSION - {("GET", "/desk/worklist"), ("POST", "/desk/signout")}):
        form = {"csrf": found.group(1), "reason": "x"} if route[0] == "POST" else None
        got, _, _ = await desk_send(central, route, ctx, form=form)
        assert got == 404, route
    assert await central.counts() == before
    got, where, _ = await desk_send(
        central, ("POST", "/desk/signout"), ctx, form={"csrf": found.group(1)}
    )
    assert (got, where) == (303, "/desk/signin")
