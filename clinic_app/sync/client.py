"""HTTP client of the central platform (aiohttp): JSON bodies gzip-compressed, bearer token,
and failures sorted into "offline" (try later) and "refused" (a message for the user).

Tokens: the bearer (access) token lives minutes; a client given a refresh token renews it
transparently — shortly before it expires, and when an answer says ``token_expired`` (the
request is then sent once more). Each refresh rotates the refresh token: the new pair goes to
the :class:`TokenKeeper` (the workstation's encrypted profile, see
clinic_app.sync.account) before it is used. Refreshes of one server are one at a time per
event loop, and each first re-reads the keeper, so two clients of the same account never
spend the same refresh token (the server would take that as theft and end the session). When
the session has ended (revoked, signed out, expired, or a stolen refresh token was used),
:class:`SessionEnded` says so with the code ``reenroll`` (a workstation) or ``sign_in_again``
(a person), which the UI translates.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, TypeVar

import aiohttp

from clinic_app import __version__
from clinic_app.errors import ClinicError
from clinic_app.sync import protocol as p

_M = TypeVar("_M", bound=p.WireMessage)


class JsonText(str):
    """A request body that is already JSON text: sent as it is, not serialised again."""


class SyncError(ClinicError):
    """Sync failed; the message says why in words."""


class Offline(SyncError):
    """The central platform cannot be reached (or is failing); retry later."""


class ServerTrouble(Offline):
    """The central platform was reached but failed on the request: a 5xx answer, or no answer
    in time after the request was sent. The sync engine splits a push that meets this to find
    the one change the server fails on (see clinic_app.sync.engine)."""


class Refused(SyncError):
    """The central platform answered with a refusal (4xx)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = details


class AuthFailed(Refused):
    """The token is missing, expired or revoked: enroll or sign in again."""


class UpgradeRequired(Refused):
    """This workstation version is too old for the central platform."""


class SessionEnded(AuthFailed):
    """The session with the central platform has ended for good (revoked, signed out, expired,
    or its refresh token was used twice): ``code`` is ``reenroll`` for a workstation, or
    ``sign_in_again`` for a person."""


class TooManyAttempts(Refused):
    """Sign-in or enrollment throttled (429) or the user name locked (423): ``retry_after``
    seconds to wait."""

    def __init__(self, status: int, code: str, message: str, retry_after: int) -> None:
        super().__init__(status, code, message)
        self.retry_after = retry_after


SESSION_ENDED_MESSAGES = {
    "device": (
        "reenroll",
        "This workstation's connection to the central platform has ended (the device was "
        "revoked or its session expired): enroll it again with a new code from the "
        "administrator.",
    ),
    "user": (
        "sign_in_again",
        "Your session with the central platform has ended (signed out, revoked or expired): "
        "sign in again.",
    ),
}
REFRESH_MARGIN = 60.0  # seconds before its expiry an access token is renewed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tokens:
    """An access token and the refresh token that renews it (expiries: Unix seconds)."""

    token: str
    expires_at: int | None = None
    refresh_token: str | None = None
    refresh_expires_at: int | None = None

    @classmethod
    def from_answer(cls, body: dict[str, Any]) -> Tokens:
        """From a sign-in, enrollment or refresh answer."""
        return cls(
            str(body["token"]),
            _int_or_none(body.get("expires_at")),
            str(body["refresh_token"]) if body.get("refresh_token") else None,
            _int_or_none(body.get("refresh_expires_at")),
        )


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class TokenKeeper(Protocol):
    """Where a session's tokens are kept: read again before each refresh (another client may
    have rotated them), written at once after one."""

    def load(self) -> Tokens | None: ...

    def save(self, tokens: Tokens) -> None: ...


_REFRESH_LOCKS: dict[tuple[int, str], asyncio.Lock] = {}


def _refresh_lock(base_url: str) -> asyncio.Lock:
    key = (id(asyncio.get_running_loop()), base_url)
    lock = _REFRESH_LOCKS.get(key)
    if lock is None:
        lock = _REFRESH_LOCKS[key] = asyncio.Lock()
    return lock


class CentralClient:
    """One session with the central platform."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        ca_file: str | None = None,
        timeout: float = 30.0,
        refresh_token: str | None = None,
        expires_at: int | None = None,
        keeper: TokenKeeper | None = None,
        kind: str | None = None,
        refresh_margin: float = REFRESH_MARGIN,
    ) -> None:
        """``token`` alone is used as it is; with ``refresh_token`` (and ``kind``: "device" or
        "user", for the words of :class:`SessionEnded`) it is renewed when needed, and the
        new pair handed to ``keeper``."""
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.expires_at = expires_at
        self.refresh_token = refresh_token
        self.refresh_expires_at: int | None = None
        self.keeper = keeper
        self.kind = kind
        self.refresh_margin = refresh_margin
        ssl_ctx: ssl.SSLContext | bool = True
        if ca_file:
            ssl_ctx = ssl.create_default_context(cafile=ca_file)
        self._ssl = ssl_ctx
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10))
        self._session: aiohttp.ClientSession | None = None
        self.bytes_sent = 0
        self.bytes_received = 0
        self.server_timing: dict[str, float] = {}  # of the last answer: name -> milliseconds

    async def __aenter__(self) -> CentralClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _headers(self) -> dict[str, str]:
        headers = {"X-Client-Version": __version__, "Accept-Encoding": "gzip"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _raise_for(self, resp: aiohttp.ClientResponse) -> None:
        if resp.status < 400:
            return
        if resp.status >= 500:
            raise ServerTrouble(f"The central platform is having trouble (HTTP {resp.status}).")
        try:
            body = await resp.json(content_type=None)
            err = body.get("error", {}) if isinstance(body, dict) else {}
        except (ValueError, aiohttp.ContentTypeError):
            err = {}
        message = str(err.get("message") or f"The central platform refused (HTTP {resp.status}).")
        code = str(err.get("code") or resp.status)
        if resp.status == 401:
            ended = code not in ("token_expired", "bad_credentials")
            if ended and self.kind in SESSION_ENDED_MESSAGES:
                raise self._session_ended()
            raise AuthFailed(resp.status, code, message)
        if resp.status in (423, 429):
            details = err.get("details")
            wait = _int_or_none(details.get("retry_after") if isinstance(details, dict) else None)
            wait = wait or _retry_after(resp.headers.get("Retry-After"))
            raise TooManyAttempts(resp.status, code, message, wait or 1)
        if resp.status == 426:
            raise UpgradeRequired(resp.status, code, message)
        raise Refused(resp.status, code, message, err.get("details"))

    # ------------------------------------------------------------------------- tokens --
    def _session_ended(self) -> SessionEnded:
        code, message = SESSION_ENDED_MESSAGES.get(
            self.kind or "user", SESSION_ENDED_MESSAGES["user"]
        )
        return SessionEnded(401, code, message)

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token)

    def _expiring(self) -> bool:
        return self.expires_at is not None and self.expires_at - time.time() < self.refresh_margin

    def _adopt(self, tokens: Tokens) -> None:
        self.token = tokens.token
        self.expires_at = tokens.expires_at
        self.refresh_token = tokens.refresh_token
        self.refresh_expires_at = tokens.refresh_expires_at

    async def ensure_fresh(self) -> None:
        """Renew the access token if it expires within the margin (and can be renewed)."""
        if self.can_refresh and self._expiring():
            await self.refresh()

    async def refresh(self, *, force: bool = False) -> None:
        """Spend the refresh token for a new pair (see the module text); ``force`` renews even
        a token that does not look expired (the server said it was)."""
        if not self.refresh_token:
            raise (
                self._session_ended()
                if self.kind
                else AuthFailed(401, "unauthorized", "Sign in again: the token expired.")
            )
        seen = self.refresh_token
        async with _refresh_lock(self.base_url):
            if self.refresh_token != seen:
                return  # renewed by another request of this client meanwhile
            if self.keeper is not None:
                latest = self.keeper.load()
                if latest is not None and latest.refresh_token not in (None, seen):
                    self._adopt(latest)  # another client of this account renewed them
                    if latest.expires_at is None or latest.expires_at > time.time() + 1:
                        return
            body = {"refresh_token": self.refresh_token}
            try:
                raw = await self._request_once(
                    "POST", "/api/v1/token/refresh", body, None, auth=False
                )
                answer = json.loads(raw)
            except AuthFailed:
                raise self._session_ended() from None
            except ValueError:  # not JSON (or not UTF-8): cut off on the way
                raise Offline("The answer from the central platform was cut off.") from None
            tokens = Tokens.from_answer(answer)
            self._adopt(tokens)
            if self.keeper is not None:
                self.keeper.save(tokens)
            log.info("access token renewed")

    async def request_json(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        raw = await self.request_raw(method, path, body, params)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:  # not JSON (or not UTF-8): cut off on the way
            raise Offline("The answer from the central platform was cut off.") from None

    async def request_raw(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> bytes:
        """The answer's body as it came (after gzip), not decoded: a large answer is decoded
        off the event loop by its caller (b"" for 204 No Content)."""
        await self.ensure_fresh()
        try:
            return await self._request_once(method, path, body, params)
        except AuthFailed as exc:
            if exc.code != "token_expired" or not self.can_refresh:
                raise
        await self.refresh(force=True)
        return await self._request_once(method, path, body, params)

    async def _request_once(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        *,
        auth: bool = True,
    ) -> bytes:
        headers = self._headers()
        if not auth:
            headers.pop("Authorization", None)
        data = None
        if body is not None:
            text = (
                body
                if isinstance(body, JsonText)
                else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            )
            raw = text.encode()
            data = gzip.compress(raw, compresslevel=5)
            headers["Content-Encoding"] = "gzip"
            headers["Content-Type"] = "application/json"
            self.bytes_sent += len(data)
        try:
            async with self._http().request(
                method, self.base_url + path, data=data, headers=headers, params=params,
                ssl=self._ssl,
            ) as resp:  # fmt: skip
                await self._raise_for(resp)
                self.server_timing = _server_timing(resp.headers.get("Server-Timing", ""))
                if resp.status == 204:
                    return b""
                raw_body = await resp.read()
                self.bytes_received += int(resp.headers.get("Content-Length", len(raw_body)))
                return raw_body
        except aiohttp.ConnectionTimeoutError:
            raise Offline(
                "The central platform cannot be reached (ConnectionTimeoutError)."
            ) from None
        except (aiohttp.SocketTimeoutError, TimeoutError) as exc:  # sent, no answer in time
            raise ServerTrouble(
                f"The central platform did not answer in time ({type(exc).__name__})."
            ) from None
        except aiohttp.ClientConnectionError as exc:
            raise Offline(
                f"The central platform cannot be reached ({type(exc).__name__})."
            ) from None
        except aiohttp.ClientPayloadError:
            raise Offline("The answer from the central platform was cut off.") from None

    # --------------------------------------------------------------------------- calls --
    async def health(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.request_json("GET", "/api/v1/health")
        return result

    async def enroll(self, code: str, device_name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request_json(
            "POST", "/api/v1/enroll", {"code": code, "device_name": device_name}
        )
        return result

    async def login(self, username: str, password: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request_json(
            "POST", "/api/v1/login", {"username": username, "password": password}
        )
        return result

    async def push(self, req: p.PushRequest) -> p.PushResponse:
        return await self.push_json(req.to_json())

    async def push_json(self, body: dict[str, Any] | JsonText) -> p.PushResponse:
        """A push whose body is already the JSON form of a :class:`~p.PushRequest` (or its
        text)."""
        return _answer(p.PushResponse, await self.request_json("POST", "/api/v1/sync/push", body))

    async def pull(self, req: p.PullRequest) -> p.PullResponse:
        return _answer(
            p.PullResponse, await self.request_json("POST", "/api/v1/sync/pull", req.to_json())
        )

    async def pull_raw(self, req: p.PullRequest) -> bytes:
        """A pull answer's JSON, not decoded: the sync engine decodes a page off the event
        loop (:func:`decode_pull`) while it stores the one before."""
        return await self.request_raw("POST", "/api/v1/sync/pull", req.to_json())

    async def attachment_status(self, sha256: str, size: int) -> p.AttachmentStatus:
        return _answer(
            p.AttachmentStatus,
            await self.request_json(
                "GET", f"/api/v1/attachments/{sha256}/status", params={"size": str(size)}
            ),
        )

    async def upload_chunk(self, sha256: str, offset: int, chunk: bytes) -> p.AttachmentStatus:
        await self.ensure_fresh()
        try:
            return await self._upload_once(sha256, offset, chunk)
        except AuthFailed as exc:
            if exc.code != "token_expired" or not self.can_refresh:
                raise
        await self.refresh(force=True)
        return await self._upload_once(sha256, offset, chunk)

    async def _upload_once(self, sha256: str, offset: int, chunk: bytes) -> p.AttachmentStatus:
        headers = self._headers() | {"Content-Type": "application/octet-stream"}
        try:
            async with self._http().put(
                f"{self.base_url}/api/v1/attachments/{sha256}", data=chunk, headers=headers,
                params={"offset": str(offset)}, ssl=self._ssl,
            ) as resp:  # fmt: skip
                if resp.status == 409:
                    body = await resp.json(content_type=None)
                    details = body.get("error", {}).get("details") or {}
                    return _answer(p.AttachmentStatus, details)
                await self._raise_for(resp)
                self.bytes_sent += len(chunk)
                return _answer(p.AttachmentStatus, await resp.json(content_type=None))
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise Offline(f"The upload was interrupted ({type(exc).__name__}).") from None

    async def download(self, sha256: str) -> AsyncIterator[bytes]:
        await self.ensure_fresh()
        try:
            async for chunk in self._download_once(sha256):
                yield chunk
        except AuthFailed as exc:  # raised before the first chunk: nothing was yielded yet
            if exc.code != "token_expired" or not self.can_refresh:
                raise
            await self.refresh(force=True)
            async for chunk in self._download_once(sha256):
                yield chunk

    async def _download_once(self, sha256: str) -> AsyncIterator[bytes]:
        try:
            async with self._http().get(
                f"{self.base_url}/api/v1/attachments/{sha256}", headers=self._headers(),
                ssl=self._ssl,
            ) as resp:  # fmt: skip
                await self._raise_for(resp)
                async for chunk in resp.content.iter_chunked(256 * 1024):
                    self.bytes_received += len(chunk)
                    yield chunk
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise Offline(f"The download was interrupted ({type(exc).__name__}).") from None


def _answer(message: type[_M], data: Any) -> _M:
    """An answer of the central platform, parsed with the shared protocol's strict models; a
    malformed one is a fault of the server's side: retried later, like an outage."""
    try:
        return message.parse(data)
    except p.ProtocolError as exc:
        raise Offline(f"The central platform sent a malformed answer: {exc}") from None


def decode_pull(raw: bytes) -> p.PullPage:
    """A pull answer's JSON (:meth:`CentralClient.pull_raw`) decoded and checked; a malformed
    one is a fault of the server's side: retried later, like an outage (nothing is stored)."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise Offline("The answer from the central platform was cut off.") from None
    try:
        return p.pull_page(data)
    except p.ProtocolError as exc:
        raise Offline(f"The central platform sent a malformed answer: {exc}") from None


def _server_timing(header: str) -> dict[str, float]:
    """``Server-Timing: db;dur=1.2, json;dur=3.4`` as {"db": 1.2, "json": 3.4} (ms)."""
    out: dict[str, float] = {}
    for item in header.split(","):
        name, _, rest = item.strip().partition(";")
        for param in rest.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "dur" and name:
                with contextlib.suppress(ValueError):
                    out[name] = float(value)
    return out


def _retry_after(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None
