"""HTTP plumbing shared by every route: JSON bodies, errors, authentication, middlewares,
and the connection handler that keeps aiohttp's own answers JSON too.

* Every error is ``{"error": {"code", "message"}}`` (protocol.ErrorBody); FHIR routes answer an
  OperationOutcome instead. Bad input never becomes a 5xx: anything unexpected is logged by
  exception type only (no request content) and answered 500. No answer echoes the request
  (no header value, URL or body fragment): messages are fixed sentences and limits.
* Requests aiohttp's parser refuses before any middleware runs (a bad request line, a URL over
  ``Settings.max_url_bytes`` → 414, header lines over ``max_header_bytes`` or more than
  ``max_headers`` → 431, broken chunked framing → 400) are answered by :class:`JsonErrorHandler`
  (its ``handle_error``), which :class:`CentralRunner` installs; they are logged as one line with
  the exception's type, never the request line.
* Every request body goes through :func:`read_body`: at most ``Settings.max_body_bytes`` on the
  wire and after decoding ``Content-Encoding: gzip`` or ``deflate`` (decoded here while
  streaming, aiohttp's own decoding is off), expanding at most ``max_inflate_ratio`` times
  beyond the first MiB (413 as soon as either is passed: a gzip bomb is never inflated); a
  truncated or corrupt stream is 400; any other coding (br, zstd, …) is 415.
* Responses over 1 KiB are compressed when the client accepts it.
* ``X-Client-Version`` below the configured minimum is answered 426 with a sentence.
* Logs (access and errors) carry the method, the route template (``/fhir/{rtype}/{rid}``,
  never the path with its ids) and the status; never query strings, bodies or headers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import http_exceptions, web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_parser import RawRequestMessage

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
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "unprocessable",
    426: "upgrade_required",
    431: "headers_too_large",
    500: "server_error",
    501: "not_implemented",
    504: "timeout",
}
_FHIR_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    410: "deleted",
    413: "too-costly",
    414: "too-costly",
    415: "not-supported",
    426: "not-supported",
    431: "too-costly",
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
    """The request's JSON body (through :func:`read_body`), or a 400/413/415 ApiError."""
    raw = await read_body(request, settings(request).max_body_bytes)
    if not raw:
        raise bad_request("The request needs a JSON body.")
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise bad_request("The request body is not valid UTF-8 JSON.") from None


# -- the one bounded body reader -------------------------------------------------------------

_READ_CHUNK = 64 * 1024
RATIO_FLOOR = 1024 * 1024  # decoded bytes always allowed before the ratio cap applies
_CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


def too_large(limit: int, what: str = "The request body") -> ApiError:
    return ApiError(413, "too_large", f"{what} is larger than {limit} bytes.")


def content_coding(request: web.BaseRequest) -> str | None:
    """``gzip``, ``deflate`` or None (no coding, or ``identity``); anything else is a 415."""
    codings = [
        c.strip().lower()
        for value in request.headers.getall("Content-Encoding", [])
        for c in value.split(",")
    ]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in _CODINGS:
        return _CODINGS[codings[0]]
    raise ApiError(
        415,
        "unsupported_encoding",
        "The request body's Content-Encoding is not supported: send it plain, gzip or deflate.",
    )


class Inflater:
    """Decodes a gzip or deflate body chunk by chunk into ``out``, never producing more than
    allowed: ``limit`` bytes in all, and no more than ``ratio`` times the encoded bytes seen so
    far once past :data:`RATIO_FLOOR` (zlib's ``max_length`` stops it there, so a bomb costs
    at most that much work and memory before the 413)."""

    def __init__(self, coding: str, limit: int, ratio: int, what: str) -> None:
        self.coding = coding
        self.limit = limit
        self.ratio = ratio
        self.what = what
        self.seen = 0  # encoded bytes fed
        self._z: Any = None  # zlib decompress object of the current gzip member / deflate stream
        self._head = b""  # deflate: the first bytes, until the zlib header can be checked
        self._ended = False

    def _allowed(self) -> int:
        return min(self.limit, max(RATIO_FLOOR, self.ratio * self.seen))

    def _start(self, data: bytes) -> bytes | None:
        """Open the decompressor for what ``data`` begins; None while waiting for 2 bytes."""
        if self.coding == "gzip":
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            return data
        data = self._head + data
        if len(data) < 2:
            self._head = data
            return None
        self._head = b""
        # RFC 9110 deflate is zlib-wrapped; some clients send raw deflate: tell by the header.
        wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
        self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return data

    def feed(self, data: bytes, out: bytearray) -> None:
        self.seen += len(data)
        while data:
            if self._ended:
                if self.coding == "gzip":  # another gzip member follows (RFC 1952 allows it)
                    self._ended = False
                    self._z = None
                else:
                    raise bad_request(f"{self.what} has data after the end of its deflate stream.")
            if self._z is None:
                started = self._start(data)
                if started is None:
                    return
                data = started
            allowed = self._allowed()
            try:
                out += self._z.decompress(data, allowed - len(out) + 1)
            except zlib.error:
                raise bad_request(f"{self.what} is not valid {self.coding} data.") from None
            if len(out) > allowed:
                if len(out) > self.limit:
                    raise too_large(self.limit, f"{self.what} (decoded)")
                raise ApiError(
                    413,
                    "too_large",
                    f"{self.what} expands more than {self.ratio} times when decoded.",
                )
            if self._z.eof:
                self._ended = True
                data = self._z.unused_data
            else:
                data = self._z.unconsumed_tail

    def finish(self) -> None:
        if self.seen and not self._ended:
            raise bad_request(f"{self.what} ends in the middle of its {self.coding} stream.")


async def read_body(request: web.Request, limit: int, *, what: str = "The request body") -> bytes:
    """The whole body, decoded, of at most ``limit`` bytes (on the wire and decoded).

    Every handler reads its body through here: 413 ``too_large`` as soon as a limit is passed
    (the declared Content-Length is checked before reading), 415 ``unsupported_encoding``,
    400 for a broken or truncated body; the messages hold limits, never request content."""
    coding = content_coding(request)
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large(limit, what)
    ratio = settings(request).max_inflate_ratio
    inflater = Inflater(coding, limit, ratio, what) if coding else None
    out = bytearray()
    received = 0
    try:
        while True:
            chunk = await request.content.read(_READ_CHUNK)
            if not chunk:
                break
            received += len(chunk)
            if received > limit:
                raise too_large(limit, what)
            if inflater is None:
                out += chunk
            else:
                inflater.feed(chunk, out)
    except (ApiError, asyncio.CancelledError):
        raise
    except Exception:  # a broken chunked body, a connection cut mid-body…
        raise bad_request(f"{what} could not be read (broken framing?).") from None
    if inflater is not None:
        inflater.finish()
    return bytes(out)


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
    found = await db(request).read(lambda conn: accounts.check_token(conn, token))
    if found == "expired":  # the client renews it with its refresh token
        raise ApiError(401, "token_expired", "The access token expired; refresh it.")
    if not isinstance(found, Principal):
        raise unauthorized()
    return found


# -- middlewares -----------------------------------------------------------------------------


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _match_info(request: web.BaseRequest) -> Any:
    """The request's match info; None before routing (aiohttp's stand-in request for what its
    parser refused has none, and its ``match_info`` property asserts that it has)."""
    try:
        return request.match_info if isinstance(request, web.Request) else None
    except AssertionError:
        return None


def _route_name(request: web.BaseRequest) -> str:
    """The matched route's template (``/fhir/{rtype}/{rid}``): never the path with its ids.
    ``(no route)`` for 404/405, ``(unparsed)`` for what aiohttp's parser refused."""
    match_info = _match_info(request)
    if match_info is None:
        return "(unparsed)"
    try:
        resource = match_info.route.resource
        return resource.canonical if resource is not None else "(no route)"
    except Exception:
        return "(no route)"


def _method(request: web.BaseRequest) -> str:
    """The method if it is one of HTTP's usual ones (a made-up method is not logged)."""
    if _match_info(request) is None:
        return "-"
    return request.method if request.method in _METHODS else "OTHER"


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await _answer_errors(request, handler)
    body = request.content
    if response.status >= 400 and (not body.at_eof() or body.exception() is not None):
        # The body was refused or broken before its end: close the connection after this
        # answer instead of reading the rest (and answering twice for a broken framing).
        response.force_close()
    return response


async def _answer_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
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
            log.exception("%s %s failed", _method(request), _route_name(request))
        else:
            log.error(
                "%s %s failed: %s", _method(request), _route_name(request), type(exc).__name__
            )
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
    """Method, route template, status and time: never the path (it holds record ids), the
    query string, bodies, headers or tokens."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.3fs", _method(request), _route_name(request), response.status, time
        )


# -- aiohttp's own answers: parse errors before any middleware --------------------------------

http_log = logging.getLogger("central.http")


def parse_error(handler: web.RequestHandler, status: int, exc: BaseException | None) -> ApiError:
    """The JSON error for what aiohttp refused before routing (its parser's exception types;
    aiohttp reports all of them as 400). Fixed sentences: the exception's own message quotes
    the request line or header, so it is never used."""
    if isinstance(exc, http_exceptions.LineTooLong):
        limit = exc.args[1] if len(exc.args) > 1 else None
        if limit == handler.max_line_size and limit != handler.max_field_size:
            return ApiError(414, "uri_too_long", f"The URL is longer than {limit} bytes.")
        return ApiError(
            431,
            "headers_too_large",
            f"A header line is longer than {handler.max_field_size} bytes.",
        )
    if (
        isinstance(exc, http_exceptions.BadHttpMessage)
        and exc.message == "Too many headers received"
    ):
        return ApiError(
            431, "headers_too_large", f"The request has more than {handler.max_headers} headers."
        )
    if isinstance(exc, http_exceptions.BadStatusLine | http_exceptions.InvalidURLError):
        return bad_request("The request line is not valid HTTP/1.1.", "bad_request_line")
    if isinstance(exc, http_exceptions.InvalidHeader):
        return bad_request("A request header is not valid HTTP.", "bad_header")
    if isinstance(exc, http_exceptions.PayloadEncodingError):
        return bad_request("The request body's framing is broken.", "bad_framing")
    if isinstance(exc, http_exceptions.HttpProcessingError) or 400 <= status < 500:
        return bad_request("The request is not valid HTTP.", "bad_http")
    if status == 504:
        return ApiError(504, "timeout", "The server took too long; the request was not applied.")
    return ApiError(500, "server_error", "The server failed; the request was not applied.")


class JsonErrorHandler(web.RequestHandler):
    """aiohttp's connection handler, answering what its parser refuses with the JSON error
    body (aiohttp's ``handle_error`` hook, its one public way in: issue aio-libs/aiohttp#3287)
    and logging errors without the request line or a traceback (which quotes it)."""

    __slots__ = ()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:  # as aiohttp: too late for another answer
            raise ConnectionError("The response was sent already; the connection is closed.")
        err = parse_error(self, status, exc)
        kind = type(exc).__name__ if exc is not None else "no exception"
        if err.status >= 500:
            http_log.error("request failed outside the routes: %s (%d)", kind, err.status)
        else:
            http_log.info("refused a malformed request: %s (%d %s)", kind, err.status, err.code)
        response = json_response(err.body(), err.status)
        response.force_close()
        return response

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        fail_bodies_cut_by_parse_error(self)

    def log_exception(self, *args: Any, **kw: Any) -> None:
        """aiohttp's other error reports (a failed write, a handler without a response): the
        exception's type only."""
        exc = kw.get("exc_info")
        kind = type(exc).__name__ if isinstance(exc, BaseException) else "error"
        http_log.error("connection handler error: %s", kind)


_CUT_BODY_CHECKED = (3, 9) <= tuple(int(p) for p in aiohttp.__version__.split(".")[:2]) < (4, 0)


def fail_bodies_cut_by_parse_error(handler: web.RequestHandler) -> bool:
    """Fail the body that aiohttp's parser gave up on; True if one was failed.

    When the parser meets an error inside a body (a bad chunk size after good chunks), aiohttp
    queues the error as the next message but never tells the reader of that body, which then
    waits until the client hangs up. Here every unfinished body before the queued error (the
    request being handled, or one queued behind it) gets an exception, so read_body answers 400
    at once. The only use of aiohttp's private state (``_messages``, ``_current_request``),
    checked against aiohttp 3.9 to 3.x (test_hostile_http covers it on the installed one)."""
    if not _CUT_BODY_CHECKED:
        return False
    messages = getattr(handler, "_messages", None)
    if not messages or all(isinstance(m, RawRequestMessage) for m, _ in messages):
        return False
    bodies = []
    current = getattr(handler, "_current_request", None)
    if current is not None:
        bodies.append(current.content)
    for message, payload in messages:
        if not isinstance(message, RawRequestMessage):
            break
        bodies.append(payload)
    failed = False
    for body in bodies:
        if not body.is_eof() and body.exception() is None:
            body.set_exception(http_exceptions.TransferEncodingError("body framing"))
            body.feed_eof()  # nothing more comes: aiohttp need not drain it after the answer
            failed = True
    return failed


class _JsonErrorServer(web.Server):
    """aiohttp's low-level server whose connections are :class:`JsonErrorHandler`."""

    def __init__(
        self,
        handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
        *,
        request_factory: Any,
        loop: asyncio.AbstractEventLoop,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, request_factory=request_factory, loop=loop, **kwargs)
        self._handler_loop = loop
        self._handler_kwargs = kwargs

    def __call__(self) -> web.RequestHandler:
        return JsonErrorHandler(self, loop=self._handler_loop, **self._handler_kwargs)


def handler_args(s: Settings) -> dict[str, Any]:
    """aiohttp connection-handler options for these settings (``web.Application(handler_args=…)``
    applies them under any runner, aiohttp's test server included)."""
    return {
        "max_line_size": s.max_url_bytes,
        "max_field_size": s.max_header_bytes,
        "max_headers": s.max_headers,
        "auto_decompress": False,  # read_body decodes, bounded
        "lingering_time": 2.0,  # the unread rest of a refused body is drained this long at most
        "keepalive_timeout": 75.0,
    }


class CentralRunner(web.AppRunner):
    """``web.AppRunner`` whose server uses :class:`JsonErrorHandler` (the app's start-up and
    clean-up run as usual). ``clinic-central serve`` runs the app through it."""

    def __init__(
        self,
        app: web.Application,
        *,
        handle_signals: bool = False,
        shutdown_timeout: float = 60.0,
        access_log_class: type[AbstractAccessLogger] = AccessLogger,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            app,
            handle_signals=handle_signals,
            shutdown_timeout=shutdown_timeout,
            access_log_class=access_log_class,
            **kwargs,
        )
        self._handler_kwargs = {"access_log_class": access_log_class, **kwargs}

    async def _make_server(self) -> web.Server:
        # BaseRunner's template method: AppRunner's runs the app's start-up and freezes it; its
        # server is replaced by one that makes JsonErrorHandler connections.
        plain = await super()._make_server()
        return _JsonErrorServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            loop=asyncio.get_running_loop(),
            **{**self._handler_kwargs, **handler_args(self.app[SETTINGS_KEY])},
        )
