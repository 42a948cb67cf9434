"""The JSON API under /api/v1: health, enrollment, sign-in, sync, attachments, administration.

Each handler authenticates first (except health, enroll and login), then asks :mod:`central.authz`
whether the caller may use the route, then parses its body.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from aiohttp import web

from central import __version__, accounts, attachments, authz, faults, logins, schema, sync
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


def client_address(request: web.Request) -> str:
    """The caller's address for throttling and the audit (see Settings.trusted_proxies)."""
    return logins.client_address(
        request.remote,
        request.headers.getall("X-Forwarded-For", []),
        settings(request).trusted_proxies,
    )


LOCKED = (
    "Sign-in with this user name is locked after too many failed attempts. Wait until the "
    "lock ends, or ask the administrator to unlock it."
)
SESSION_ENDED = (
    "This session has ended (signed out, revoked or expired): sign in again, or enroll this "
    "workstation again."
)


def refusal(verdict: logins.Verdict, what: str) -> web.Response:
    """429 (wait) or 423 (locked) as a JSON error with Retry-After; the same words whether or
    not the account exists."""
    wait = verdict.retry_after
    if verdict.locked:
        err = ApiError(423, "account_locked", LOCKED, {"retry_after": wait})
    else:
        err = ApiError(
            429,
            "too_many_attempts",
            f"Too many {what} attempts: wait {wait} seconds, then try again.",
            {"retry_after": wait},
        )
    response = json_response(err.body(), err.status)
    response.headers["Retry-After"] = str(wait)
    return response


@routes.post("/api/v1/enroll")
async def enroll(request: web.Request) -> web.Response:
    data = body_object(await read_json(request), {"code", "device_name"}, "enroll")
    code = text_field(data, "code", max_len=64)
    name = text_field(data, "device_name", max_len=128)
    assert code is not None and name is not None
    s = settings(request)
    address = client_address(request)
    key, policy = f"enroll:{address}", logins.enroll_policy(s)

    def work(conn: Conn) -> dict[str, Any] | logins.Verdict | None:
        t = logins.now_ms()
        held = logins.check(conn, key, policy, t)
        if held is not None:
            held = logins.fail(conn, key, policy, t) or held  # guessing on counts too
            logins.audit(conn, "enroll", "throttled", address=address, at=t)
            return held
        result = accounts.enroll(conn, code, name.strip(), s.access_token_ttl, s.device_token_ttl)
        if result is None:
            logins.fail(conn, key, policy, t)
            logins.audit(conn, "enroll", "failure", address=address, at=t)
            return None
        device_id = result["device_id"]
        logins.audit(conn, "enroll", "success", account=device_id, subject_id=device_id,
                     address=address, at=t)  # fmt: skip
        return result

    result = await db(request).write(work, seq_lock=False)
    if isinstance(result, logins.Verdict):
        return refusal(result, "enrollment")
    if result is None:
        raise ApiError(403, "bad_code", accounts.BAD_CODE)
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
    outcome = await sign_in(request, username, password)
    if isinstance(outcome, logins.Verdict):
        return refusal(outcome, "sign-in")
    if outcome is None:
        raise ApiError(401, "bad_credentials", "The user name or password is wrong.")
    pair, who = outcome
    return json_response(
        {
            **pair.to_json(),
            "user_id": who.id,
            "role": who.role,
            "specialties": list(who.specialties),
        }
    )


async def sign_in(
    request: web.Request, username: str, password: str
) -> logins.Verdict | tuple[accounts.TokenPair, Principal] | None:
    """Check a user's password under the sign-in throttling and lockout rules (the same for the
    API and the web desk, central.desk): a Verdict (wait or locked), a new session's tokens and
    principal, or None for wrong credentials; every outcome is audited."""
    s = settings(request)
    address = client_address(request)
    name = logins.audit_name(username)
    key, policy = logins.account_key(username), logins.account_policy(s)
    address_key, address_policy = f"address:{address}", logins.address_policy(s)

    def before(conn: Conn) -> logins.Verdict | None:
        t = logins.now_ms()
        held = logins.check(conn, key, policy, t)
        locks = False
        if held is not None and not held.locked:
            held = logins.fail(conn, key, policy, t) or held  # too soon: counts as a failure
            locks = held.locked
        if held is None:
            held = logins.check(conn, address_key, address_policy, t)
        if held is not None:
            outcome = "throttled" if locks or not held.locked else "locked"
            logins.audit(conn, "login", outcome, account=name, address=address, at=t)
            if locks:
                logins.audit(conn, "lockout", "locked", account=name, address=address, at=t)
        return held

    held = await db(request).write(before, seq_lock=False)
    if held is not None:
        return held
    found = await db(request).read(lambda conn: accounts.user_for_login(conn, username))
    passwords = request.app[PASSWORDS_KEY]
    ok = await asyncio.get_running_loop().run_in_executor(
        None, passwords.verify, found[1] if found else None, password
    )
    user_id = found[0] if ok and found is not None else None

    def after(conn: Conn) -> logins.Verdict | tuple[accounts.TokenPair, Principal] | None:
        t = logins.now_ms()
        if user_id is None:
            verdict = logins.fail(conn, key, policy, t)
            logins.fail(conn, address_key, address_policy, t)
            logins.audit(conn, "login", "failure", account=name, address=address, at=t)
            if verdict is not None and verdict.locked:
                logins.audit(conn, "lockout", "locked", account=name, address=address, at=t)
            return None
        held = logins.check(conn, key, policy, t)
        if held is not None and held.locked:  # locked by attempts made meanwhile
            logins.audit(conn, "login", "locked", account=name, subject_id=user_id,
                         address=address, at=t)  # fmt: skip
            return held
        logins.clear(conn, key)
        pair = accounts.start_session(conn, "user", user_id, s.access_token_ttl, s.user_token_ttl)
        who = accounts.authenticate(conn, pair.token)
        if who is None:  # disabled meanwhile
            accounts.end_session(conn, pair.session_id, "user_disabled")
            logins.audit(conn, "login", "failure", account=name, address=address, at=t)
            return None
        logins.audit(conn, "login", "success", account=name, subject_id=user_id,
                     address=address, at=t)  # fmt: skip
        return pair, who

    return await db(request).write(after, seq_lock=False)


@routes.post("/api/v1/token/refresh")
async def refresh_token(request: web.Request) -> web.Response:
    """Spend a refresh token for a new access and refresh token (see central/accounts.py)."""
    data = body_object(await read_json(request), {"refresh_token"}, "refresh")
    token = text_field(data, "refresh_token", max_len=256)
    assert token is not None
    s = settings(request)
    address = client_address(request)
    ttls = {"device": s.device_token_ttl, "user": s.user_token_ttl}

    def work(conn: Conn) -> accounts.Refreshed:
        done = accounts.refresh(conn, token, s.access_token_ttl, ttls, s.refresh_reuse_grace)
        account = done.subject_id
        if done.kind == "user" and done.subject_id:
            account = accounts.username_of(conn, done.subject_id)
        logins.audit(conn, "refresh", done.outcome, account=account,
                     subject_id=done.subject_id, address=address)  # fmt: skip
        return done

    done = await db(request).write(work, seq_lock=False)
    if done.pair is None:
        if done.outcome == "reuse":
            log.warning("a rotated refresh token was used again: session of %s %s revoked",
                        done.kind, done.subject_id)  # fmt: skip
        raise ApiError(401, "session_ended", SESSION_ENDED)
    return json_response({**done.pair.to_json(), "kind": done.kind, "subject_id": done.subject_id})


# -- any signed-in caller --------------------------------------------------------------------


@routes.post("/api/v1/logout")
async def logout(request: web.Request) -> web.Response:
    p = await authenticate(request)
    address = client_address(request)

    def work(conn: Conn) -> None:
        accounts.logout(conn, p)
        logins.audit(conn, "logout", "success", subject_id=p.id, address=address)

    await db(request).write(work, seq_lock=False)
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

    # A clinic's push runs beside other clinics' on PostgreSQL (central.db); a specialist's
    # may touch any clinic's records, so it still writes alone.
    clinic = p.clinic_id if p.role != "specialist" else None
    response = await db(request).write(apply, clinic=clinic)
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
    req = PullRequest.parse(await read_json(request))  # since within BIGINT, limit capped
    timings: dict[str, float] = {}
    text, count = await db(request).read(lambda conn: sync.pull_text(conn, p, req, timings))
    if count:
        faults.hit("pull-after-read")
    timing = ", ".join(f"{name};dur={ms:.1f}" for name, ms in timings.items())
    return web.Response(
        text=text, content_type="application/json", headers={"Server-Timing": timing}
    )


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
    admin = await _admin(request)
    device_id = request.match_info["device_id"]
    if not is_uuid(device_id):
        raise not_found("No such device.")
    address = client_address(request)

    def work(conn: Conn) -> int | None:
        at = accounts.revoke_device(conn, device_id)
        if at is not None:
            logins.audit(conn, "revoke", "success", account=device_id, subject_id=admin.id,
                         address=address)  # fmt: skip
        return at

    at = await db(request).write(work, seq_lock=False)
    if at is None:
        raise not_found("No such device.")
    log.info("device revoked: %s", device_id)
    return json_response({"id": device_id, "revoked_at": at})


def _username(request: web.Request) -> str:
    name = request.match_info["username"]
    if not accounts.USERNAME.match(name):
        raise not_found("No such user.")
    return name


@routes.post("/api/v1/admin/users/{username}/unlock")
async def admin_unlock_user(request: web.Request) -> web.Response:
    """Lift a sign-in lockout (and back-off) of a user name."""
    admin = await _admin(request)
    name = _username(request)
    address = client_address(request)

    def work(conn: Conn) -> bool:
        was = logins.clear(conn, logins.account_key(name))
        logins.audit(conn, "unlock", "success", account=name, subject_id=admin.id,
                     address=address)  # fmt: skip
        return was

    was_locked = await db(request).write(work, seq_lock=False)
    return json_response({"username": name, "was_throttled": was_locked})


async def _set_disabled(request: web.Request, disabled: bool) -> web.Response:
    admin = await _admin(request)
    name = _username(request)
    address = client_address(request)

    def work(conn: Conn) -> str | None:
        user_id = accounts.set_user_disabled(conn, name, disabled)
        if user_id is not None:
            logins.audit(conn, "disable" if disabled else "enable", "success", account=name,
                         subject_id=admin.id, address=address)  # fmt: skip
        return user_id

    user_id = await db(request).write(work, seq_lock=False)
    if user_id is None:
        raise not_found("No such user.")
    log.info("user %s: %s", "disabled" if disabled else "enabled", user_id)
    return json_response({"id": user_id, "username": name, "disabled": disabled})


@routes.post("/api/v1/admin/users/{username}/disable")
async def admin_disable_user(request: web.Request) -> web.Response:
    """Disable a user: every session ends at once (open calls within seconds)."""
    return await _set_disabled(request, True)


@routes.post("/api/v1/admin/users/{username}/enable")
async def admin_enable_user(request: web.Request) -> web.Response:
    return await _set_disabled(request, False)


@routes.get("/api/v1/admin/auth-audit")
async def admin_auth_audit(request: web.Request) -> web.Response:
    """The sign-in audit, newest first (``?limit=``, ``?account=``)."""
    await _admin(request)
    limit = query_int(request, "limit", default=100, low=1, high=1000)
    account = request.query.get("account")
    if account is not None and len(account) > 64:
        raise bad_request("The query parameter 'account' is at most 64 characters.")
    entries = await db(request).read(lambda conn: logins.audit_entries(conn, limit, account))
    return json_response({"entries": entries})


@routes.get("/api/v1/admin/locked")
async def admin_locked(request: web.Request) -> web.Response:
    """User names locked now (whether or not such users exist)."""
    await _admin(request)
    return json_response({"locked": await db(request).read(logins.locked_accounts)})
