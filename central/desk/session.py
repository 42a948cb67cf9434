"""The web desk's browser session: the same access and refresh tokens as the desktop (issued by
``central.api.sign_in`` under the same throttling and lockout), carried in cookies that scripts
cannot read (HttpOnly), sent only to this site (SameSite=Strict) and only over TLS (Secure).

The one exception to Secure: a desk served over plain HTTP to a loopback address (development,
tests, a reverse proxy on the same host that terminates TLS) gets cookies without the flag; over
plain HTTP from any other address the desk refuses to sign in at all.

Every POST form carries a CSRF token: HMAC-SHA256 keyed by a random per-browser secret (its own
HttpOnly cookie) over the session id, or over ``signin`` before there is a session. An expired
access token is renewed on the server with the refresh token (rotating, as for the desktop)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from central import accounts, logins
from central.accounts import Principal
from central.api import client_address
from central.db import Conn, sql
from central.web import db, settings

ACCESS = "desk_access"
REFRESH = "desk_refresh"
CSRF = "desk_csrf"
LANG = "desk_lang"
PATH = "/desk/"
LANGUAGES = ("zh", "en")
_SESSION_END = sql("SELECT expires_at FROM sessions WHERE id = :id AND revoked_at IS NULL")


def loopback(request: web.BaseRequest) -> bool:
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def over_tls(request: web.BaseRequest) -> bool:
    """TLS here, or at a trusted reverse proxy that says so."""
    if request.secure:
        return True
    proxied = request.remote in settings(request).trusted_proxies  # type: ignore[arg-type]
    return proxied and request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def transport_ok(request: web.BaseRequest) -> bool:
    return over_tls(request) or loopback(request)


def set_cookie(request: web.BaseRequest, response: web.StreamResponse, name: str, value: str,
               max_age: int | None = None) -> None:  # fmt: skip
    response.set_cookie(name, value, path=PATH, max_age=max_age, httponly=True,
                        secure=over_tls(request), samesite="Strict")  # fmt: skip


def clear_cookies(response: web.StreamResponse) -> None:
    for name in (ACCESS, REFRESH):
        response.del_cookie(name, path=PATH)


def language(request: web.BaseRequest) -> str:
    chosen = request.cookies.get(LANG)
    if chosen in LANGUAGES:
        return str(chosen)
    accept = request.headers.get("Accept-Language", "").lower()
    return "en" if accept.startswith("en") else "zh"


def csrf_secret(request: web.BaseRequest) -> tuple[str, bool]:
    """The browser's CSRF secret and whether it is new (then the response must set it)."""
    have = request.cookies.get(CSRF, "")
    if len(have) == 43 and have.replace("-", "").replace("_", "").isalnum():
        return have, False
    return secrets.token_urlsafe(32), True


def csrf_token(secret: str, session_id: str | None) -> str:
    return hmac.new(secret.encode(), (session_id or "signin").encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: web.BaseRequest, form: Any, session_id: str | None) -> bool:
    secret = request.cookies.get(CSRF, "")
    given = form.get("csrf") if form is not None else None
    if not secret or not isinstance(given, str):
        return False
    return hmac.compare_digest(given, csrf_token(secret, session_id))


@dataclass
class Visit:
    """One request's view of the browser session."""

    principal: Principal | None
    session_end: int | None
    csrf: str
    lang: str
    cookies: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    ended: bool = False  # there were cookies, but the session is over

    def apply(self, request: web.BaseRequest, response: web.StreamResponse) -> None:
        for name, (value, max_age) in self.cookies.items():
            set_cookie(request, response, name, value, max_age)
        if self.ended:
            clear_cookies(response)


async def visit(request: web.Request) -> Visit:
    """Who is at the desk (a live specialist session) after renewing an expired access token."""
    secret, new_secret = csrf_secret(request)
    lang = language(request)
    out = Visit(None, None, csrf_token(secret, None), lang)
    if new_secret:
        out.cookies[CSRF] = (secret, None)
    access = request.cookies.get(ACCESS, "")
    refresh = request.cookies.get(REFRESH, "")
    if not access and not refresh:
        return out
    found: Principal | str = "invalid"
    if access:
        found = await db(request).read(lambda conn: accounts.check_token(conn, access))
    if not isinstance(found, Principal) and refresh:
        found = await _renew(request, refresh, out)
    if not isinstance(found, Principal) or found.session_id is None:
        out.ended = True
        return out
    p = found
    end = await db(request).read(lambda conn: conn.one(_SESSION_END, {"id": p.session_id}))
    if end is None:
        out.ended = True
        return out
    out.principal, out.session_end = p, int(end[0])
    out.csrf = csrf_token(secret, p.session_id)
    return out


async def _renew(request: web.Request, refresh: str, out: Visit) -> Principal | str:
    s = settings(request)
    ttls = {"device": s.device_token_ttl, "user": s.user_token_ttl}
    address = client_address(request)

    def work(conn: Conn) -> tuple[accounts.Refreshed, Principal | None]:
        done = accounts.refresh(conn, refresh, s.access_token_ttl, ttls, s.refresh_reuse_grace)
        account = done.subject_id
        if done.kind == "user" and done.subject_id:
            account = accounts.username_of(conn, done.subject_id)
        logins.audit(conn, "refresh", done.outcome, account=account,
                     subject_id=done.subject_id, address=address)  # fmt: skip
        who = accounts.authenticate(conn, done.pair.token) if done.pair else None
        return done, who

    done, who = await db(request).write(work, seq_lock=False)
    if done.pair is None or who is None:
        return "invalid"
    remember(out, done.pair)
    return who


def remember(out: Visit, pair: accounts.TokenPair) -> None:
    """Set the cookies of a new token pair (both expire with the session)."""
    left = max(1, pair.refresh_expires_at - accounts.now())
    out.cookies[ACCESS] = (pair.token, left)
    out.cookies[REFRESH] = (pair.refresh_token, left)
