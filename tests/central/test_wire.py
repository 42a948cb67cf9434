"""The wire protocol is declared once (clinic_app/sync/protocol.py) and both sides refuse the
same malformed payloads with the same codes: a table of malformed pushes and pulls goes
through the client's parse (what the workstation's own protocol module says of it) and through
the real server (what it answers), on SQLite and PostgreSQL, and the codes must agree.

No refusal, on either side, quotes the offending value or an unknown key's name.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from clinic_app.sync.protocol import (
    MAX_ATTACHMENTS,
    MAX_BATCH,
    MAX_SEQ,
    Change,
    InvalidChange,
    ProtocolError,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)
from tests.central.builders import patient, put, uid

pytestmark = pytest.mark.asyncio

SECRET = "Zhang San 110101199003077777"  # stands for patient data in a bad value
DIGEST = "ab" * 32


def _good() -> dict[str, Any]:
    return put(patient())


def _set(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(c: dict[str, Any]) -> None:
        c.update(fields)

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda c: c.pop(key)


def _resource(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda c: c["resource"].update(fields)


def _delete(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(c: dict[str, Any]) -> None:
        c.update(op="delete", base_version=1, resource=None)
        c.update(fields)

    return change


# One malformed change in a good batch: refused alone, with this code, on both sides.
CHANGES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "rtype not synced": (_set(rtype="Binary"), "unknown_type"),
    "rtype is data": (_set(rtype=SECRET), "unknown_type"),
    "rtype a number": (_set(rtype=5), "unknown_type"),
    "rtype missing": (_drop("rtype"), "unknown_type"),
    "record_id with a slash": (_set(record_id=SECRET + "/x"), "invalid_id"),
    "record_id too long": (_set(record_id="a" * 65), "invalid_id"),
    "record_id with a newline": (_set(record_id="abc\n"), "invalid_id"),
    "record_id a number": (_set(record_id=7), "invalid_id"),
    "op in capitals": (_set(op="PUT"), "invalid_change"),
    "op a number": (_set(op=1), "invalid_change"),
    "base_version a string": (_set(base_version="5"), "invalid_change"),
    "base_version true": (_set(base_version=True), "invalid_change"),
    "base_version 1.0": (_set(base_version=1.0), "invalid_change"),
    "base_version 0": (_set(base_version=0), "invalid_change"),
    "resource a list": (_set(resource=[SECRET]), "invalid_change"),
    "resource of another record": (_resource(id="other"), "invalid_change"),
    "resource of another type": (_resource(resourceType="Observation"), "invalid_change"),
    "put without resource": (_set(resource=None), "invalid_change"),
    "unknown key": (_set(**{SECRET: 1}), "invalid_change"),
    "delete with a resource": (_delete(resource={"resourceType": "Patient"}), "invalid_change"),
    "delete without base_version": (_delete(base_version=None), "invalid_change"),
    "attachments a string": (_set(attachments=DIGEST), "invalid_change"),
    "attachment not a digest": (_set(attachments=[SECRET]), "invalid_change"),
    "attachment in capitals": (_set(attachments=[DIGEST.upper()]), "invalid_change"),
    "too many attachments": (_set(attachments=[DIGEST] * (MAX_ATTACHMENTS + 1)), "invalid_change"),
}


def _envelope(changes: list[Any], **extra: Any) -> dict[str, Any]:
    return {"protocol": 1, "changes": changes, **extra}


def _twice() -> dict[str, Any]:
    change = _good()
    return _envelope([change, copy.deepcopy(change)])


# A malformed request as a whole: (payload, HTTP status, code) on both sides.
REQUESTS: dict[str, tuple[Callable[[], Any], int, str]] = {
    "not an object": (lambda: [_good()], 400, "bad_request"),
    "a string": (lambda: SECRET, 400, "bad_request"),
    "protocol as a string": (lambda: {**_envelope([_good()]), "protocol": "1"}, 400, "bad_request"),
    "protocol true": (lambda: {**_envelope([_good()]), "protocol": True}, 400, "bad_request"),
    "protocol 2": (lambda: {**_envelope([_good()]), "protocol": 2}, 400, "bad_request"),
    "protocol missing": (lambda: {"changes": [_good()]}, 400, "bad_request"),
    "no changes": (lambda: _envelope([]), 400, "bad_request"),
    "changes an object": (lambda: {"protocol": 1, "changes": _good()}, 400, "bad_request"),
    "too many changes": (
        lambda: _envelope([_good() for _ in range(MAX_BATCH + 1)]),
        400,
        "bad_request",
    ),
    "unknown key": (lambda: _envelope([_good()], **{SECRET: 1}), 400, "bad_request"),
    "a change_id twice": (_twice, 400, "bad_request"),
    "a change that is not an object": (
        lambda: _envelope([_good(), SECRET]),
        422,
        "invalid_change_id",
    ),
    "a change_id that is not a UUID": (
        lambda: _envelope([{**_good(), "change_id": SECRET}]),
        422,
        "invalid_change_id",
    ),
    "a change_id in capitals": (
        lambda: _envelope([{**_good(), "change_id": uid().upper()}]),
        422,
        "invalid_change_id",
    ),
    "a change without change_id": (
        lambda: _envelope([{k: v for k, v in _good().items() if k != "change_id"}]),
        422,
        "invalid_change_id",
    ),
    "an envelope error before a change's": (
        lambda: {"protocol": 2, "changes": [{**_good(), "record_id": "a/b"}]},
        400,
        "bad_request",
    ),
}

PULLS: dict[str, Any] = {
    "not an object": [0],
    "since as a string": {"since": "0"},
    "since true": {"since": True},
    "since below zero": {"since": -1},
    "since beyond BIGINT": {"since": MAX_SEQ + 1},
    "since 1.0": {"since": 1.0},
    "since missing": {"limit": 10},
    "limit 0": {"since": 0, "limit": 0},
    "limit as a string": {"since": 0, "limit": "5"},
    "count as a string": {"since": 0, "count": "yes"},
    "count 1": {"since": 0, "count": 1},
    "unknown key": {"since": 0, SECRET: 1},
}


def _client_push(payload: Any) -> tuple[str, ...] | ProtocolError:
    """What the shared protocol module says of a push: per-change codes, or the refusal."""
    try:
        items = PushRequest.parse_items(payload)
    except ProtocolError as exc:
        with pytest.raises(ProtocolError) as strict:
            PushRequest.parse(payload)
        assert strict.value.code == exc.code  # the strict parse agrees
        return exc
    bad = [i for i in items if isinstance(i, InvalidChange)]
    if bad:
        with pytest.raises(ProtocolError) as strict:
            PushRequest.parse(payload)
        assert strict.value.code == bad[0].code
    return tuple(i.code if isinstance(i, InvalidChange) else "ok" for i in items)


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert "Zhang" not in text and "1101" not in text, text


async def test_a_malformed_change_gets_the_same_code_from_client_and_server(central):
    token = await central.device_token(await central.clinic())
    for name, (mutate, code) in CHANGES.items():
        bad, good = _good(), _good()
        mutate(bad)
        payload = _envelope([bad, good])

        said = _client_push(payload)
        assert said == (code, "ok"), name
        item = PushRequest.parse_items(payload)[0]
        assert isinstance(item, InvalidChange)

        before = await central.counts()
        reply = await central.post("/api/v1/sync/push", payload, token)
        assert reply.status == 200, (name, reply.body)
        refused, applied = reply.body["results"]
        assert (refused["status"], refused["code"], refused["http_status"]) == (
            "rejected",
            code,
            422,
        ), name
        assert applied["status"] == "applied", name  # the bad change blocks nothing
        assert (await central.counts())["records"] == before["records"] + 1, name
        _no_secret(item.message, refused["error"])


async def test_a_malformed_push_gets_the_same_code_from_client_and_server(central):
    token = await central.device_token(await central.clinic())
    for name, (make, status, code) in REQUESTS.items():
        payload = make()
        said = _client_push(payload)
        assert isinstance(said, ProtocolError), (name, said)
        assert said.code == code, (name, said.code)

        before = await central.counts()
        reply = await central.post("/api/v1/sync/push", payload, token)
        assert (reply.status, reply.error_code) == (status, code), (name, reply.body)
        assert await central.counts() == before, name
        _no_secret(str(said), reply.body["error"]["message"])


async def test_a_malformed_pull_gets_the_same_code_from_client_and_server(central):
    token = await central.device_token(await central.clinic())
    for name, payload in PULLS.items():
        with pytest.raises(ProtocolError) as said:
            PullRequest.parse(payload)
        assert said.value.code == "bad_request", name
        reply = await central.post("/api/v1/sync/pull", payload, token)
        assert (reply.status, reply.error_code) == (400, "bad_request"), (name, reply.body)
        _no_secret(str(said.value), reply.body["error"]["message"])


async def test_what_the_client_builds_is_what_the_server_takes(central):
    """A push built in Python by the workstation's engine (the same classes) is applied, and a
    pull's answer parses back with the client's strict parse."""
    token = await central.device_token(await central.clinic())
    p = patient()
    req = PushRequest((Change(uid(), "Patient", p["id"], "put", None, p),))
    reply = await central.post("/api/v1/sync/push", req.to_json(), token)
    assert reply.status == 200
    pushed = PushResponse.parse(reply.body)
    assert [r.status for r in pushed.results] == ["applied"]

    reply = await central.post("/api/v1/sync/pull", PullRequest(0, count=True).to_json(), token)
    pulled = PullResponse.parse(reply.body)
    assert [(c.rtype, c.record_id) for c in pulled.changes] == [("Patient", p["id"])]
    assert pulled.remaining == 0 and pulled.changes[0].resource == p
