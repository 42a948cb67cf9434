"""Hostile HTTP against the real ``clinic-central serve`` process, over raw sockets.

Malformed request lines, oversized URLs and headers, broken chunked framing, gzip and deflate
bombs, truncated gzip, unsupported encodings, unknown routes and methods: every answer is a
JSON error with a stable code and the right status, never 5xx, never echoing the request, and
the server's log (access and error lines) holds no query string and no record id. A hypothesis
run sends a few hundred generated bad requests with the same assertions. The HTTP layer is the
same on both databases; the server runs on each all the same (the usual parametrization).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.central.conftest import TEMPLATE
from tests.support.central_proc import CentralProcess

MARK = "Zq7SECRETmark"  # put into requests; must never come back or reach a log line
RECORD_ID = str(uuid.UUID(int=0x5EC2E7_1D))  # a record id in URLs: never in a log line


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    raw: bytes  # everything read: status line, headers, body
    seconds: float
    closed: bool  # the server closed the connection after the answer

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    port: int
    log: Path
    token: str
    proc: CentralProcess


# -- raw HTTP over asyncio streams -----------------------------------------------------------


async def _exchange(port: int, data: bytes, *, head: bool, timeout: float) -> Answer:
    start = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        with contextlib.suppress(ConnectionError):  # answered and closed before the whole body
            await writer.drain()
        async with asyncio.timeout(timeout):
            status_line = await reader.readline()
            raw = bytearray(status_line)
            parts = status_line.split(b" ", 2)
            assert len(parts) >= 2 and parts[0].startswith(b"HTTP/"), f"no answer: {raw!r}"
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                raw += line
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            raw += b"\r\n"
            length = 0 if head else int(headers.get("content-length", "0"))
            body = await reader.readexactly(length)
            raw += body
            seconds = time.monotonic() - start  # to the whole answer (not to the close)
            closed = headers.get("connection", "").lower() == "close" or parts[0] == b"HTTP/1.0"
            if closed:
                raw += await reader.read()  # nothing more: no second answer for one request
        return Answer(int(parts[1]), headers, body, bytes(raw), seconds, closed)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def ask(port: int, data: bytes, *, head: bool = False, timeout: float = 10.0) -> Answer:
    return asyncio.run(_exchange(port, data, head=head, timeout=timeout))


def request(
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    length: bool = True,
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: central"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if length and body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def assert_json_error(
    answer: Answer, status: int | None = None, code: str | None = None, *echo: str | bytes
) -> dict[str, Any]:
    """A JSON error (or FHIR OperationOutcome) answer holding none of ``echo`` nor MARK."""
    assert answer.status < 500, answer.raw
    if status is not None:
        assert answer.status == status, answer.raw
    assert answer.headers["content-type"].split(";")[0] in (
        "application/json",
        "application/fhir+json",
    ), answer.raw
    data = answer.json()
    if data.get("resourceType") == "OperationOutcome":
        assert data["issue"][0]["severity"] == "error"
    else:
        assert set(data) == {"error"} and {"code", "message"} <= set(data["error"]), data
        if code is not None:
            assert data["error"]["code"] == code, data
    for e in (MARK, *echo):
        needle = e.encode("latin-1") if isinstance(e, str) else e
        assert needle not in answer.raw, f"echoed {needle!r}: {answer.raw!r}"
    return data


# -- the server ------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'central.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(template=TEMPLATE)
    proc = CentralProcess(url, log_path=tmp / "central.log")
    # These tests sign in with a wrong password many times on purpose (to see the body read):
    # no sign-in throttling here (tests/central/test_logins.py tests that).
    unthrottled = {
        "CLINIC_CENTRAL_LOGIN_MAX_FAILURES": "1000000",
        "CLINIC_CENTRAL_LOGIN_BACKOFF_AFTER": "1000000",
        "CLINIC_CENTRAL_ADDRESS_MAX_FAILURES": "1000000",
    }
    with pytest.MonkeyPatch.context() as env:
        for key, value in unthrottled.items():
            env.setenv(key, value)
        proc.start()
    try:
        clinic = proc.add_clinic("Hill Clinic")
        code = proc.enrollment_code(clinic)
        body = json.dumps({"code": code, "device_name": "PC"}).encode()
        answer = ask(proc.port, request_post("/api/v1/enroll", body))
        assert answer.status == 200, answer.raw
        yield Server(proc.port, tmp / "central.log", answer.json()["token"], proc)
    finally:
        proc.stop()


def request_post(path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    return request("POST", path, {"Content-Type": "application/json", **(headers or {})}, body)


def health_is_prompt(server: Server) -> None:
    answer = ask(server.port, request("GET", "/api/v1/health", {"Connection": "close"}))
    assert answer.status == 200 and answer.seconds < 1.5, answer


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6)


LOGIN = json.dumps({"username": "nobody", "password": "not this one"}).encode()

# (name, request bytes, status, code): aiohttp's parser refuses each before any middleware.
MALFORMED: list[tuple[str, bytes, int, str]] = [
    ("garbage line", f"GARBAGE {MARK}\r\n\r\n".encode(), 400, "bad_request_line"),
    ("control in method", f"G\x01T /{MARK} HTTP/1.1\r\n\r\n".encode(), 400, "bad_request_line"),
    (
        "tls hello",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + MARK.encode(),
        400,
        "bad_request_line",
    ),
    ("http/9.9", f"GET /{MARK} HTTP/9.9\r\nHost: x\r\n\r\n".encode(), 400, "bad_request_line"),
    (
        "8-bit url",
        b"GET /api/\xff\xfe" + MARK.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
        "bad_request_line",
    ),
    ("no host", f"GET /api/v1/health?{MARK} HTTP/1.1\r\n\r\n".encode(), 400, "bad_http"),
    ("http/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, "bad_http"),
    (
        "nul in header",
        f"GET / HTTP/1.1\r\nHost: x\r\nX-A: {MARK}\x00\r\n\r\n".encode(),
        400,
        "bad_http",
    ),
    (
        "header without colon",
        f"GET / HTTP/1.1\r\nHost: x\r\n{MARK}\r\n\r\n".encode(),
        400,
        "bad_http",
    ),
    (
        "two content-lengths",
        request(
            "POST",
            "/api/v1/login",
            {"Content-Length": "2", "content-length": "3"},
            b"{}",
            length=False,
        ),
        400,
        "bad_http",
    ),
    (
        "content-length and chunked",
        request(
            "POST",
            "/api/v1/login",
            {"Content-Length": "5", "Transfer-Encoding": "chunked"},
            b"0\r\n\r\n",
            length=False,
        ),
        400,
        "bad_http",
    ),
    (
        "bad chunk size",
        request(
            "POST",
            "/api/v1/login",
            {"Transfer-Encoding": "chunked"},
            f"zz\r\n{MARK}\r\n0\r\n\r\n".encode(),
            length=False,
        ),
        400,
        "bad_http",
    ),
    (
        "negative content-length",
        request("POST", "/api/v1/login", {"Content-Length": "-1"}, b"", length=False),
        400,
        "bad_http",
    ),
]


@pytest.mark.parametrize("name, data, status, code", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_what_the_parser_refuses_is_a_json_error(
    server: Server, name: str, data: bytes, status: int, code: str
) -> None:
    answer = ask(server.port, data)
    assert_json_error(answer, status, code)
    assert answer.closed  # a refused request ends its connection


def test_oversized_url_and_headers(server: Server) -> None:
    long_url = "/api/v1/health?" + MARK * 700  # > 8192 bytes
    answer = ask(server.port, request("GET", long_url))
    assert_json_error(answer, 414, "uri_too_long", MARK[:8])
    long_value = request("GET", "/api/v1/health", {"X-Note": MARK * 700})
    assert_json_error(ask(server.port, long_value), 431, "headers_too_large", MARK[:8])
    long_name = request("GET", "/api/v1/health", {MARK * 700: "x"})
    assert_json_error(ask(server.port, long_name), 431, "headers_too_large", MARK[:8])
    many = request("GET", "/api/v1/health", {f"X-{MARK}-{i}": "v" for i in range(100)})
    assert_json_error(ask(server.port, many), 431, "headers_too_large")
    health_is_prompt(server)


def test_unknown_route_and_method_are_json(server: Server) -> None:
    for method, target in [
        ("GET", f"/nothing/{MARK}?q={MARK}"),
        ("HEAD", f"/nothing/{MARK}"),
        ("GET", f"http://elsewhere.example/{MARK}"),
        ("OPTIONS", "*"),
        ("GET", f"/api/v1/%ZZ/%00?x=%ff{MARK}"),
    ]:
        head = method == "HEAD"
        answer = ask(server.port, request(method, target, {"Connection": "close"}), head=head)
        assert answer.status == 404, answer.raw
        if not head:
            assert_json_error(answer, 404, "not_found")
    for method in ("DELETE", "TRACE", "PATCH"):
        answer = ask(server.port, request(method, "/api/v1/login", {"Connection": "close"}))
        assert_json_error(answer, 405, "method_not_allowed")
    made_up = ask(server.port, request(MARK.upper(), "/api/v1/login", {"Connection": "close"}))
    assert_json_error(made_up, 400, "bad_request_line", MARK.upper())
    fhir = ask(server.port, request("GET", f"/fhir/{MARK}/x/y/z", {"Connection": "close"}))
    assert_json_error(fhir, 404)


def test_gzip_bomb_is_refused_at_once_and_the_server_stays_responsive(server: Server) -> None:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = z.compress(b"\0" * (256 * 1024 * 1024)) + z.flush()  # 256 MiB in ~250 KiB
    for headers, data in [
        ({"Content-Encoding": "gzip"}, bomb),
        ({"Content-Encoding": "deflate"}, zlib.compress(b" " * (64 * 1024 * 1024), 9)),
    ]:
        answer = ask(server.port, request_post("/api/v1/login", data, headers))
        body = assert_json_error(answer, 413, "too_large")
        assert "expands" in body["error"]["message"]
        assert answer.seconds < 2.0, answer
        health_is_prompt(server)
    # Streamed in chunks, with no length announced: refused while it streams in.
    chunks = b"".join(
        b"%x\r\n%b\r\n" % (len(bomb[i : i + 65536]), bomb[i : i + 65536])
        for i in range(0, len(bomb), 65536)
    )
    streamed = request(
        "POST",
        "/api/v1/login",
        {"Content-Encoding": "gzip", "Transfer-Encoding": "chunked"},
        chunks + b"0\r\n\r\n",
        length=False,
    )
    answer = ask(server.port, streamed)
    assert_json_error(answer, 413, "too_large")
    assert answer.seconds < 2.0
    # Within the ratio but past the decoded limit (16 MiB): the absolute cap.
    noise = _gzip(b"".join(os.urandom(16).hex().encode() + b" " * 992 for _ in range(17 * 1024)))
    assert 10 < 17 * 1024 * 1024 / len(noise) < 100
    answer = ask(server.port, request_post("/api/v1/login", noise, {"Content-Encoding": "gzip"}))
    assert_json_error(answer, 413, "too_large")
    health_is_prompt(server)


def test_declared_body_over_the_limit_is_refused_before_it_is_sent(server: Server) -> None:
    head = request("POST", "/api/v1/login", {"Content-Length": str(17 * 1024 * 1024)})
    answer = ask(server.port, head)  # no body follows: the answer cannot wait for it
    assert_json_error(answer, 413, "too_large")
    assert answer.seconds < 1.0 and answer.closed


def test_truncated_and_corrupt_gzip_are_400(server: Server) -> None:
    whole = _gzip(LOGIN)
    for data in [
        whole[:-8],  # no trailer
        whole[: len(whole) // 2],
        whole[:5],
        b"not gzip at all " + MARK.encode(),
        whole + b"trailing " + MARK.encode(),
    ]:
        answer = ask(server.port, request_post("/api/v1/login", data, {"Content-Encoding": "gzip"}))
        assert_json_error(answer, 400, "bad_request")
    # Two gzip members are one body (RFC 1952): decoded whole, then refused as a bad login.
    two = _gzip(LOGIN[:10]) + _gzip(LOGIN[10:])
    answer = ask(server.port, request_post("/api/v1/login", two, {"Content-Encoding": "gzip"}))
    assert_json_error(answer, 401, "bad_credentials")


def test_deflate_both_spellings_and_gzip_are_decoded(server: Server) -> None:
    for coding, data in [
        ("deflate", zlib.compress(LOGIN)),  # RFC 9110: zlib-wrapped
        ("deflate", zlib.compress(LOGIN)[2:-4]),  # raw deflate, as some clients send
        ("gzip", _gzip(LOGIN)),
        ("x-gzip", _gzip(LOGIN)),
        ("identity", LOGIN),
    ]:
        answer = ask(server.port, request_post("/api/v1/login", data, {"Content-Encoding": coding}))
        assert_json_error(answer, 401, "bad_credentials")  # the body was read as JSON
    answer = ask(
        server.port,
        request_post("/api/v1/login", zlib.compress(LOGIN)[:-3], {"Content-Encoding": "deflate"}),
    )
    assert_json_error(answer, 400, "bad_request")


def test_unsupported_content_encodings_are_415(server: Server) -> None:
    for coding in ["br", "zstd", "compress", "gzip, br", "gzip, gzip", f"x-{MARK}"]:
        answer = ask(
            server.port,
            request_post(
                "/api/v1/login", b"\x1b\x00" + MARK.encode(), {"Content-Encoding": coding}
            ),
        )
        assert_json_error(answer, 415, "unsupported_encoding", coding)


def test_chunked_body_broken_midway_is_answered_at_once(server: Server) -> None:
    async def run() -> Answer:
        start = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        head = request("POST", "/api/v1/login", {"Transfer-Encoding": "chunked"}, length=False)
        writer.write(head + b'5\r\n{"use\r\n')
        await writer.drain()
        await asyncio.sleep(0.3)  # the handler is reading the body by now
        writer.write(f"zz\r\n{MARK}\r\n0\r\n\r\n".encode())
        await writer.drain()
        async with asyncio.timeout(5):
            raw = await reader.read()  # the answer, then the server closes
        writer.close()
        status_headers, _, body = raw.partition(b"\r\n\r\n")
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (h.partition(":") for h in status_headers.decode().split("\r\n")[1:])
        }
        status = int(status_headers.split(b" ")[1])
        return Answer(status, headers, body, raw, time.monotonic() - start, True)

    answer = asyncio.run(run())
    assert_json_error(answer, 400, "bad_request")
    assert answer.raw.count(b"HTTP/1.") == 1  # one answer, not a second for the framing
    assert answer.seconds < 2.0


def test_logs_hold_route_templates_never_queries_or_ids(server: Server) -> None:
    auth = {"Authorization": f"Bearer {server.token}", "Connection": "close"}
    sha = "ab" * 32
    for method, target in [
        ("GET", f"/fhir/Patient/{RECORD_ID}?name={MARK}"),
        ("GET", f"/fhir/Patient?identifier={MARK}&_id={RECORD_ID}"),
        ("GET", f"/fhir/Observation/{RECORD_ID}/_history?{MARK}=1"),
        ("GET", f"/api/v1/attachments/{sha}/status?{MARK}"),
        ("PUT", f"/api/v1/attachments/{sha}?offset=0&{MARK}"),
        ("GET", f"/api/v1/calls/{RECORD_ID}/ice?{MARK}"),
        ("GET", f"/nothing/{RECORD_ID}?{MARK}"),
    ]:
        answer = ask(server.port, request(method, target, auth, b"x" if method == "PUT" else b""))
        assert answer.status < 500, answer.raw
        assert MARK.encode() not in answer.raw
    for _name, data, _status, _code in MALFORMED:
        ask(server.port, data)
    ask(server.port, request("GET", f"/api/v1/health?{MARK}" + "x" * 9000))
    time.sleep(0.2)  # the access log line is written after the answer
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "GET /fhir/{rtype}/{rid} 404" in log
    assert "/api/v1/attachments/{sha256}" in log
    assert "(unparsed) 400" in log and "(unparsed) 414" in log
    for secret in (MARK, RECORD_ID, sha, "Traceback"):
        assert secret not in log, f"{secret!r} in the server log"


# -- generated bad requests --------------------------------------------------------------------

ROUTES = [
    "/api/v1/health",
    "/api/v1/login",
    "/api/v1/enroll",
    "/api/v1/sync/push",
    "/api/v1/sync/pull",
    "/api/v1/attachments/" + "cd" * 32,
    "/api/v1/admin/clinics",
    "/fhir/Patient",
    "/fhir/Patient/" + RECORD_ID,
    "/fhir/metadata",
    "/nothing",
]
token_chars = st.sampled_from(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'()*+,;=:@%"
)
header_text = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=255, blacklist_characters="\r\n"),
    max_size=60,
)


@st.composite
def bad_requests(draw: st.DrawFn) -> bytes:
    method = draw(
        st.sampled_from(
            ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO", "G\x00T", ""]
        )
        | st.text(token_chars, min_size=1, max_size=12)
    )
    path = draw(st.sampled_from(ROUTES)) + draw(st.text(token_chars | st.just("/"), max_size=30))
    path += draw(st.sampled_from(["", "?", "?a=", "#"])) + MARK
    version = draw(st.sampled_from(["HTTP/1.1"] * 8 + ["HTTP/1.0", "HTTP/2", "HTTP/1.1 x", ""]))
    headers = [("Host", "central")]
    headers += [
        (draw(st.text(token_chars, min_size=1, max_size=20)), draw(header_text) + MARK)
        for _ in range(draw(st.integers(0, 4)))
    ]
    for name, values in [
        (
            "Content-Type",
            ["application/json", "text/plain", MARK, "application/fhir+json; charset=latin-1"],
        ),
        ("Content-Encoding", ["gzip", "deflate", "br", "identity", "gzip, deflate", MARK]),
        ("Authorization", ["Bearer " + MARK, "Basic " + MARK, MARK]),
        ("X-Client-Version", ["0.0.1", MARK, "9" * 40]),
        ("Accept-Encoding", ["gzip", "br", MARK]),
    ]:
        if draw(st.booleans()):
            headers.append((name, draw(st.sampled_from(values))))
    body = draw(
        st.binary(max_size=300)
        | st.builds(lambda b: _gzip(b)[: len(b) // 2], st.binary(max_size=300))
        | st.just(json.dumps({"protocol": 1, "changes": [{"x": MARK}]}).encode())
        | st.just(b'{"since": "' + MARK.encode() + b'"}')
    )
    body += MARK.encode() if draw(st.booleans()) else b""
    framing = draw(st.sampled_from(["length", "chunked", "short length", "none", "broken chunk"]))
    if framing == "length":
        headers.append(("Content-Length", str(len(body))))
    elif framing == "short length":  # the rest parses as a garbage next request
        headers.append(("Content-Length", str(len(body) // 2)))
    elif framing in ("chunked", "broken chunk"):
        headers.append(("Transfer-Encoding", "chunked"))
        size = b"%x" % len(body) if framing == "chunked" else MARK.encode()
        body = (size + b"\r\n" + body + b"\r\n0\r\n\r\n") if body else b"0\r\n\r\n"
    else:
        body = b""
    headers.append(("Connection", "close"))
    head = f"{method} {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("latin-1") + b"\r\n" + body


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=bad_requests())
def test_generated_bad_requests_get_json_errors_and_no_echo(server: Server, data: bytes) -> None:
    head = data.split(b" ", 1)[0] == b"HEAD"
    answer = ask(server.port, data, head=head)
    assert answer.status < 500, answer.raw
    if answer.status >= 400:
        assert_json_error(answer)
    else:  # health or metadata answered: still JSON, still no echo
        answer.json()
        assert MARK.encode() not in answer.raw


def _storm() -> list[bytes]:
    """Well-framed requests carrying the mark and a record id where a log could catch them."""
    auth = "Authorization: Bearer " + MARK
    heads = [
        f"GET /api/v1/{MARK} HTTP/1.1",
        f"GET /fhir/Patient/{RECORD_ID}?q={MARK} HTTP/1.1",
        f"DELETE /api/v1/sync/push?x={MARK} HTTP/1.1",
        "POST /api/v1/sync/push HTTP/1.1",
        "POST /api/v1/sync/pull HTTP/1.1",
    ]
    body = json.dumps({"protocol": 1, "changes": [{"x": MARK}]}).encode()
    return [
        f"{head}\r\nHost: x\r\n{auth}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
        for head in heads
    ]


def test_after_the_storm_the_log_is_clean_and_the_server_answers(server: Server) -> None:
    # its own storm (the generated one above may have run in another order or process)
    storm = _storm()
    for n in range(320):
        answer = ask(server.port, storm[n % len(storm)])
        assert answer.status < 500 and MARK.encode() not in answer.raw
    health_is_prompt(server)
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert MARK not in log and RECORD_ID not in log and "Traceback" not in log
    statuses = [line.rsplit(" ", 2)[-2] for line in log.splitlines() if "aiohttp.access" in line]
    assert len(statuses) > 300 and not [s for s in statuses if s.startswith("5")]
