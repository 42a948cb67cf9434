"""HTTP plumbing shared by every route: JSON bodies, errors, authentication, middlewares.

* Every error is ``{"error": {"code", "message"}}`` (protocol.ErrorBody); FHIR routes answer an
  OperationOutcome instead. Bad input never becomes a 5xx: anything unexpected is logged by
  exception type only (no request content) and answered 500.
* Request bodies are limited to protocol.MAX_BODY_BYTES (after gzip decoding, which aiohttp
  does for ``Content-Encoding: gzip``); responses over 1 KiB are compressed when the client
  accepts it.
* ``X-Client-Version`` below the configured minimum is answered 426 with a sentence.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from central import accounts
from central.accounts import Principal
from central.config import Settings, parse_version, upgrade_sentence
from central.db import Database
from central.errors import ApiError, bad_request, unauthorized
from central.references import Base
from central.validation import clean_line, storable_text
from clinic_app.sync.protocol import ProtocolError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DB_KEY = web.AppKey("db", Database)
SETTINGS_KEY = web.AppKey("settings", Settings)
PASSWORDS_KEY = web.AppKey("passwords", accounts.Passwords)

FHIR_JSON = "application/fhir+json"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    426: "upgrade_required",
}
_FHIR_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    410: "deleted",
    413: "too-costly",
    426: "not-supported",
    500: "exception",
}


def db(request: web.Request) -> Database:
    return request.app[DB_KEY]


def settings(request: web.Request) -> Settings:
    return request.app[SETTINGS_KEY]


def fhir_base(request: web.Request) -> Base | None:
    """This server's own FHIR base (absolute references under it are local), if configured."""
    return Base.parse(settings(request).public_url)


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def fhir_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=_dumps(data), status=status, content_type=FHIR_JSON)


def operation_outcome(status: int, message: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": _FHIR_CODES.get(status, "processing"),
                "diagnostics": message,
            }
        ],
    }


def error_response(err: ApiError, fhir: bool) -> web.Response:
    if fhir:
        response = fhir_response(operation_outcome(err.status, err.message), err.status)
    else:
        response = json_response(err.body(), err.status)
    if err.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _reject_constant(name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


async def read_json(request: web.Request) -> Any:
    """The request's JSON body (gzip already decoded by aiohttp), or a 400/413 ApiError."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(
            413, "too_large", f"The request body is larger than {request.client_max_size} bytes."
        ) from None
    except (asyncio.CancelledError, web.HTTPException):
        raise
    except Exception:  # undecodable gzip, a broken chunked body…
        raise bad_request("The request body could not be read (bad encoding?).") from None
    if not raw:
        raise bad_request("The request needs a JSON body.")
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise bad_request("The request body is not valid UTF-8 JSON.") from None


# -- fields of small JSON bodies -------------------------------------------------------------


def body_object(data: Any, allowed: set[str], what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise bad_request(f"The {what} request must be a JSON object.")
    extra = set(data) - allowed
    if extra:
        raise bad_request(f"The {what} request has unknown fields.")
    return data


def text_field(
    d: dict[str, Any], key: str, *, max_len: int, optional: bool = False, line: bool = True
) -> str | None:
    value = d.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= max_len:
        raise bad_request(f"'{key}' must be text of 1 to {max_len} characters.")
    ok = clean_line(value) if line else storable_text(value)
    if not ok:
        raise bad_request(f"'{key}' holds characters that are not allowed.")
    return value


def uuid_field(d: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = d.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not _UUID.match(value):
        raise bad_request(f"'{key}' must be an id (a UUID).")
    return value


def is_uuid(value: str) -> bool:
    return bool(_UUID.match(value))


def number_field(d: dict[str, Any], key: str, *, default: float, low: float, high: float) -> float:
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise bad_request(f"'{key}' must be a number from {low:g} to {high:g}.")
    return float(value)


def text_list_field(d: dict[str, Any], key: str, *, max_items: int, max_len: int) -> list[str]:
    value = d.get(key, [])
    if value is None:
        return []
    if (
        not isinstance(value, list)
        or len(value) > max_items
        or not all(isinstance(v, str) and 0 < len(v) <= max_len and clean_line(v) for v in value)
    ):
        raise bad_request(f"'{key}' must be a list of at most {max_items} short texts.")
    return list(value)


def query_int(
    request: web.Request, key: str, *, default: int | None = None, low: int = 0, high: int = 2**62
) -> int:
    text = request.query.get(key)
    if text is None:
        if default is None:
            raise bad_request(f"The query parameter '{key}' is required.")
        return default
    if not re.fullmatch(r"\d{1,19}", text) or not low <= int(text) <= high:
        raise bad_request(f"The query parameter '{key}' must be an integer from {low} to {high}.")
    return int(text)


# -- authentication --------------------------------------------------------------------------


async def authenticate(request: web.Request) -> Principal:
    """The caller, checked against the database on every request (no cache)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Sign in first: this needs a bearer token.")
    token = token.strip()
    principal = await db(request).read(lambda conn: accounts.authenticate(conn, token))
    if principal is None:
        raise unauthorized()
    return principal


# -- middlewares -----------------------------------------------------------------------------


def _route_name(request: web.Request) -> str:
    try:
        info = request.match_info.route.resource
        return info.canonical if info is not None else "?"
    except Exception:
        return "?"


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    fhir = request.path.startswith("/fhir")
    try:
        return await handler(request)
    except ApiError as err:
        return error_response(err, fhir)
    except ProtocolError as err:
        status = 400 if err.code == "bad_request" else 422
        return error_response(ApiError(status, err.code, str(err)), fhir)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = {
            404: "There is no such route.",
            405: "This route does not take that method.",
            413: "The request body is too large.",
        }.get(exc.status, exc.reason or "The request was refused.")
        return error_response(
            ApiError(exc.status, _STATUS_CODES.get(exc.status, "error"), message), fhir
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if settings(request).debug:
            log.exception("%s %s failed", request.method, _route_name(request))
        else:
            log.error("%s %s failed: %s", request.method, _route_name(request), type(exc).__name__)
        return error_response(
            ApiError(500, "server_error", "The server failed; the request was not applied."),
            fhir,
        )


@web.middleware
async def client_version_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = request.headers.get("X-Client-Version")
    if given is not None and request.path != "/api/v1/health":
        minimum = settings(request).min_client_version
        have, need = parse_version(given), parse_version(minimum)
        if have is None:
            raise bad_request("X-Client-Version is not a version number.")
        if need is not None and have < need:
            shown = ".".join(str(n) for n in have)  # parsed digits only: nothing echoed raw
            update_url = settings(request).update_url
            raise ApiError(
                426,
                "upgrade_required",
                upgrade_sentence(shown, minimum, update_url),
                {"min_client_version": minimum, "update_url": update_url},
            )
    return await handler(request)


@web.middleware
async def compression_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if (
        isinstance(response, web.Response)
        and response.body is not None
        and isinstance(response.body, bytes)
        and len(response.body) >= 1024
    ):
        response.enable_compression()  # gzip/deflate if the request's Accept-Encoding allows
    return response


class AccessLogger(AbstractAccessLogger):
    """Method, path (no query string: it may hold identifiers), status and time. Never bodies,
    headers or tokens."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.3fs", request.method, request.path, response.status, time)
