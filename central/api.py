"""The JSON API under /api/v1: health, enrollment, sign-in, sync, attachments, administration.

Each handler authenticates first (except health, enroll and login), then asks :mod:`central.authz`
whether the caller may use the route, then parses its body.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from aiohttp import web

from central import __version__, accounts, attachments, authz, faults, schema, sync
from central.accounts import Principal
from central.db import Conn
from central.errors import ApiError, bad_request, not_found
from central.validation import Prepared, prepare
from central.web import (
    PASSWORDS_KEY,
    authenticate,
    body_object,
    db,
    fhir_base,
    is_uuid,
    json_response,
    number_field,
    query_int,
    read_body,
    read_json,
    settings,
    text_field,
    text_list_field,
    uuid_field,
)
from clinic_app.sync.protocol import (
    PROTOCOL_VERSION,
    PullRequest,
    PushRequest,
    PushResponse,
    is_sha256,
)

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
MAX_SEQ = 2**63 - 1  # BIGINT


# -- public ----------------------------------------------------------------------------------


@routes.get("/api/v1/health")
async def health(request: web.Request) -> web.Response:
    epoch = await db(request).read(schema.epoch)
    return json_response(
        {
            "status": "ok",
            "epoch": epoch,
            "protocol": PROTOCOL_VERSION,
            "version": __version__,
            "min_client_version": settings(request).min_client_version,
            "update_url": settings(request).update_url,
        }
    )


@routes.post("/api/v1/enroll")
async def enroll(request: web.Request) -> web.Response:
    data = body_object(await read_json(request), {"code", "device_name"}, "enroll")
    code = text_field(data, "code", max_len=64)
    name = text_field(data, "device_name", max_len=128)
    assert code is not None and name is not None
    ttl = settings(request).device_token_ttl
    result = await db(request).write(
        lambda conn: accounts.enroll(conn, code, name.strip(), ttl), seq_lock=False
    )
    log.info("device enrolled: %s (clinic %s)", result["device_id"], result["clinic_id"])
    return json_response(result)


@routes.post("/api/v1/login")
async def login(request: web.Request) -> web.Response:
    data = body_object(await read_json(request), {"username", "password"}, "login")
    username = text_field(data, "username", max_len=64)
    password = data.get("password")
    if not isinstance(password, str) or not 1 <= len(password) <= accounts.MAX_PASSWORD:
        raise bad_request("'password' must be text.")
    assert username is not None
    found = await db(request).read(lambda conn: accounts.user_for_login(conn, username))
    passwords = request.app[PASSWORDS_KEY]
    ok = await asyncio.get_running_loop().run_in_executor(
        None, passwords.verify, found[1] if found else None, password
    )
    if not ok or found is None:
        raise ApiError(401, "bad_credentials", "The user name or password is wrong.")
    user_id = found[0]
    ttl = settings(request).user_token_ttl

    def issue(conn: Conn) -> tuple[str, int, Principal | None]:
        token, expires = accounts.issue_token(conn, "user", user_id, ttl)
        return token, expires, accounts.authenticate(conn, token)

    token, expires, who = await db(request).write(issue, seq_lock=False)
    if who is None:
        raise ApiError(401, "bad_credentials", "The user name or password is wrong.")
    return json_response(
        {
            "token": token,
            "expires_at": expires,
            "user_id": user_id,
            "role": who.role,
            "specialties": list(who.specialties),
        }
    )


# -- any signed-in caller --------------------------------------------------------------------


@routes.post("/api/v1/logout")
async def logout(request: web.Request) -> web.Response:
    p = await authenticate(request)
    await db(request).write(lambda conn: accounts.revoke_token(conn, p.token_hash), seq_lock=False)
    return web.Response(status=204)


@routes.get("/api/v1/whoami")
async def whoami(request: web.Request) -> web.Response:
    p = await authenticate(request)
    return json_response(p.whoami())


# -- sync ------------------------------------------------------------------------------------


@routes.post("/api/v1/sync/push")
async def push(request: web.Request) -> web.Response:
    p = await authenticate(request)
    authz.require_clinical(p)
    items = PushRequest.parse_items(await read_json(request))
    base = fhir_base(request)

    def validate() -> list[Prepared]:
        return [prepare(item, base) for item in items]

    prepared = await asyncio.get_running_loop().run_in_executor(None, validate)

    def apply(conn: Conn) -> PushResponse:
        result = sync.push(conn, p, prepared)
        faults.hit("push-before-commit")
        return result

    response = await db(request).write(apply)
    faults.hit("push-after-commit")
    counts = {
        s: sum(1 for r in response.results if r.status == s)
        for s in ("applied", "conflict", "rejected")
    }
    log.info("push by %s %s: %s", p.kind, p.id, counts)
    return json_response(response.to_json())


@routes.post("/api/v1/sync/pull")
async def pull(request: web.Request) -> web.Response:
    p = await authenticate(request)
    authz.require_clinical(p)
    req = PullRequest.parse(await read_json(request))
    if req.since > MAX_SEQ:
        raise bad_request("pull.since is beyond any sequence.")
    response = await db(request).read(lambda conn: sync.pull(conn, p, req))
    if response.changes:
        faults.hit("pull-after-read")
    return json_response(response.to_json())


# -- attachments -----------------------------------------------------------------------------


def _digest(request: web.Request) -> str:
    sha = request.match_info["sha256"]
    if not is_sha256(sha):
        raise bad_request("The attachment is named by its SHA-256 digest (64 lowercase hex).")
    return sha


@routes.get("/api/v1/attachments/{sha256}/status")
async def attachment_status(request: web.Request) -> web.Response:
    p = await authenticate(request)
    authz.require_clinical(p)
    sha = _digest(request)
    size = query_int(request, "size", low=1, high=attachments.MAX_ATTACHMENT)
    scope = authz.scope(p)
    state = await db(request).write(
        lambda conn: attachments.status(conn, scope, sha, size), seq_lock=False
    )
    if not state.complete and state.received == state.size:  # finished, but not yet checked
        state = await _finish(request, scope, sha)
    return json_response(state.to_json())


async def _finish(request: web.Request, scope: str, sha: str) -> attachments.AttachmentStatus:
    state, matched = await db(request).write(
        lambda conn: attachments.finish(conn, scope, sha), seq_lock=False
    )
    if not matched:
        raise ApiError(
            422,
            "digest_mismatch",
            "The uploaded bytes do not match the SHA-256 digest; the upload was "
            "discarded, send the file again.",
            state.to_json(),
        )
    return state


async def _read_chunk(request: web.Request) -> bytes:
    return await read_body(request, attachments.MAX_CHUNK, what="A chunk")


@routes.put("/api/v1/attachments/{sha256}")
async def attachment_put(request: web.Request) -> web.Response:
    p = await authenticate(request)
    authz.require_clinical(p)
    sha = _digest(request)
    offset = query_int(request, "offset", high=attachments.MAX_ATTACHMENT)
    data = await _read_chunk(request)
    scope = authz.scope(p)
    state = await db(request).write(
        lambda conn: attachments.put_chunk(conn, scope, sha, offset, data), seq_lock=False
    )
    if state.received == state.size:
        state = await _finish(request, scope, sha)
    return json_response(state.to_json())


@routes.get("/api/v1/attachments/{sha256}")
async def attachment_get(request: web.Request) -> web.StreamResponse:
    p = await authenticate(request)
    authz.require_clinical(p)
    sha = _digest(request)

    def layout(conn: Conn) -> tuple[int, list[int]] | None:
        if not authz.can_download(conn, p, sha):
            return None
        return attachments.blob_layout(conn, sha)

    found = await db(request).read(layout)
    if found is None:
        raise not_found("No such attachment.")
    size, offsets = found
    response = web.StreamResponse(
        headers={"Content-Type": "application/octet-stream", "ETag": f'"{sha}"'}
    )
    response.content_length = size
    await response.prepare(request)
    for off in offsets:
        chunk = await db(request).read(partial(attachments.blob_chunk, sha256=sha, offset=off))
        await response.write(chunk)
    await response.write_eof()
    return response


# -- administration --------------------------------------------------------------------------


async def _admin(request: web.Request) -> Principal:
    p = await authenticate(request)
    authz.require_admin(p)
    return p


@routes.post("/api/v1/admin/clinics")
async def admin_add_clinic(request: web.Request) -> web.Response:
    await _admin(request)
    data = body_object(await read_json(request), {"name"}, "clinic")
    name = text_field(data, "name", max_len=200)
    assert name is not None
    clinic_id = await db(request).write(
        lambda conn: accounts.create_clinic(conn, name.strip()), seq_lock=False
    )
    log.info("clinic added: %s", clinic_id)
    return json_response({"id": clinic_id, "name": name.strip()}, status=201)


@routes.get("/api/v1/admin/clinics")
async def admin_list_clinics(request: web.Request) -> web.Response:
    await _admin(request)
    return json_response({"clinics": await db(request).read(accounts.list_clinics)})


@routes.post("/api/v1/admin/users")
async def admin_add_user(request: web.Request) -> web.Response:
    await _admin(request)
    data = body_object(
        await read_json(request),
        {"username", "password", "role", "specialties", "clinic_id"},
        "user",
    )
    username = text_field(data, "username", max_len=64)
    role = text_field(data, "role", max_len=20)
    password = data.get("password")
    if not isinstance(password, str):
        raise bad_request("'password' must be text.")
    accounts.check_password_rules(password)
    specialties = text_list_field(data, "specialties", max_items=20, max_len=64)
    clinic_id = uuid_field(data, "clinic_id", optional=True)
    assert username is not None and role is not None
    await db(request).read(
        lambda conn: accounts.check_user_fields(conn, username, role, specialties, clinic_id)
    )
    passwords = request.app[PASSWORDS_KEY]
    hashed = await asyncio.get_running_loop().run_in_executor(None, passwords.hash, password)
    user_id = await db(request).write(
        lambda conn: accounts.create_user(conn, username, hashed, role, specialties, clinic_id),
        seq_lock=False,
    )
    log.info("user added: %s (%s)", user_id, role)
    return json_response(
        {
            "id": user_id,
            "username": username,
            "role": role,
            "specialties": sorted(set(specialties)),
            "clinic_id": clinic_id,
        },
        status=201,
    )


@routes.post("/api/v1/admin/enrollment-codes")
async def admin_enrollment_code(request: web.Request) -> web.Response:
    await _admin(request)
    data = body_object(await read_json(request), {"clinic_id", "ttl_hours"}, "enrollment code")
    clinic_id = uuid_field(data, "clinic_id")
    ttl = number_field(data, "ttl_hours", default=24, low=0.02, high=24 * 30)
    assert clinic_id is not None
    code, expires = await db(request).write(
        lambda conn: accounts.create_enrollment_code(conn, clinic_id, ttl), seq_lock=False
    )
    return json_response({"code": code, "clinic_id": clinic_id, "expires_at": expires}, 201)


@routes.get("/api/v1/admin/devices")
async def admin_devices(request: web.Request) -> web.Response:
    await _admin(request)
    return json_response({"devices": await db(request).read(accounts.list_devices)})


@routes.post("/api/v1/admin/devices/{device_id}/revoke")
async def admin_revoke_device(request: web.Request) -> web.Response:
    await _admin(request)
    device_id = request.match_info["device_id"]
    if not is_uuid(device_id):
        raise not_found("No such device.")
    at = await db(request).write(
        lambda conn: accounts.revoke_device(conn, device_id), seq_lock=False
    )
    if at is None:
        raise not_found("No such device.")
    log.info("device revoked: %s", device_id)
    return json_response({"id": device_id, "revoked_at": at})
