"""HTTP client of the central platform (aiohttp): JSON bodies gzip-compressed, bearer token,
and failures sorted into "offline" (try later) and "refused" (a message for the user)."""

from __future__ import annotations

import gzip
import json
import ssl
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import aiohttp

from clinic_app import __version__
from clinic_app.errors import ClinicError
from clinic_app.sync import protocol as p


class SyncError(ClinicError):
    """Sync failed; the message says why in words."""


class Offline(SyncError):
    """The central platform cannot be reached (or is failing); retry later."""


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


class CentralClient:
    """One session with the central platform."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        ca_file: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        ssl_ctx: ssl.SSLContext | bool = True
        if ca_file:
            ssl_ctx = ssl.create_default_context(cafile=ca_file)
        self._ssl = ssl_ctx
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10))
        self._session: aiohttp.ClientSession | None = None
        self.bytes_sent = 0
        self.bytes_received = 0

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
            raise Offline(f"The central platform is having trouble (HTTP {resp.status}).")
        try:
            body = await resp.json(content_type=None)
            err = body.get("error", {}) if isinstance(body, dict) else {}
        except (ValueError, aiohttp.ContentTypeError):
            err = {}
        message = str(err.get("message") or f"The central platform refused (HTTP {resp.status}).")
        code = str(err.get("code") or resp.status)
        if resp.status == 401:
            raise AuthFailed(resp.status, code, message)
        if resp.status == 426:
            raise UpgradeRequired(resp.status, code, message)
        raise Refused(resp.status, code, message, err.get("details"))

    async def request_json(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        headers = self._headers()
        data = None
        if body is not None:
            raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
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
                if resp.status == 204:
                    return None
                raw_body = await resp.read()
                self.bytes_received += int(resp.headers.get("Content-Length", len(raw_body)))
                return json.loads(raw_body)
        except (aiohttp.ClientConnectionError, TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise Offline(
                f"The central platform cannot be reached ({type(exc).__name__})."
            ) from None
        except (aiohttp.ClientPayloadError, json.JSONDecodeError):
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
        try:
            return p.PushResponse.parse(
                await self.request_json("POST", "/api/v1/sync/push", req.to_json())
            )
        except p.ProtocolError as exc:
            raise Offline(f"The central platform sent a malformed answer: {exc}") from None

    async def pull(self, req: p.PullRequest) -> p.PullResponse:
        try:
            return p.PullResponse.parse(
                await self.request_json("POST", "/api/v1/sync/pull", req.to_json())
            )
        except p.ProtocolError as exc:
            raise Offline(f"The central platform sent a malformed answer: {exc}") from None

    async def attachment_status(self, sha256: str, size: int) -> p.AttachmentStatus:
        return p.AttachmentStatus.parse(
            await self.request_json(
                "GET", f"/api/v1/attachments/{sha256}/status", params={"size": str(size)}
            )
        )

    async def upload_chunk(self, sha256: str, offset: int, chunk: bytes) -> p.AttachmentStatus:
        headers = self._headers() | {"Content-Type": "application/octet-stream"}
        try:
            async with self._http().put(
                f"{self.base_url}/api/v1/attachments/{sha256}", data=chunk, headers=headers,
                params={"offset": str(offset)}, ssl=self._ssl,
            ) as resp:  # fmt: skip
                if resp.status == 409:
                    body = await resp.json(content_type=None)
                    details = body.get("error", {}).get("details") or {}
                    return p.AttachmentStatus.parse(details)
                await self._raise_for(resp)
                self.bytes_sent += len(chunk)
                return p.AttachmentStatus.parse(await resp.json(content_type=None))
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise Offline(f"The upload was interrupted ({type(exc).__name__}).") from None

    async def download(self, sha256: str) -> AsyncIterator[bytes]:
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
