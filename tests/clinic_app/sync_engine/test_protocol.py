"""The wire protocol's models (clinic_app/sync/protocol.py): strict types, unknown keys refused
in requests and ignored in answers, the bounds, refusals that never quote the input, and
every message's JSON form parsing back to itself. (That client and server refuse the same
payloads with the same codes is tests/central/test_wire.py.)"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from clinic_app.sync import protocol as p

SECRET = "Wang Fang 13800138000"


def uid() -> str:
    return str(uuid.uuid4())


def change(**fields: Any) -> dict[str, Any]:
    rid = uid()
    out: dict[str, Any] = {
        "change_id": uid(),
        "rtype": "Patient",
        "record_id": rid,
        "op": "put",
        "base_version": None,
        "resource": {"resourceType": "Patient", "id": rid},
        "attachments": [],
    }
    out.update(fields)
    return out


def refusal(parser: Any, data: Any) -> p.ProtocolError:
    with pytest.raises(p.ProtocolError) as caught:
        parser(data)
    assert SECRET not in str(caught.value) and "Wang" not in str(caught.value)
    return caught.value


def test_every_message_parses_back_from_its_json_form():
    c = p.Change(
        uid(),
        "Observation",
        "obs-1",
        "put",
        3,
        {"resourceType": "Observation", "id": "obs-1"},
        ("ab" * 32,),
    )
    d = p.Change(uid(), "Patient", "pat.1", "delete", 2, None)
    server = p.ServerCopy(4, False, {"resourceType": "Patient", "id": "pat.1"})
    messages: list[Any] = [
        c,
        d,
        p.PushRequest((c, d)),
        server,
        p.ChangeResult(c.change_id, "applied", version=4, seq=9),
        p.ChangeResult(d.change_id, "conflict", server=server),
        p.ChangeResult(
            d.change_id, "rejected", error="Refused.", code="invalid_id", http_status=422
        ),
        p.PushResponse("e1", (p.ChangeResult(c.change_id, "applied", version=1, seq=1),)),
        p.PullRequest(5, 20, count=True),
        p.PullRequest(0),
        p.PulledChange(7, "Patient", "pat.1", 2, True, None, d.change_id),
        p.PullResponse(
            "e1", 9, (p.PulledChange(7, "Patient", "pat.1", 2, True, None),), 7, False, 0
        ),
        p.AttachmentStatus("cd" * 32, 10, 4, False),
    ]
    for message in messages:
        wire = json.loads(json.dumps(message.to_json()))
        assert type(message).parse(wire) == message, message


def test_the_json_form_sends_optional_keys_only_when_set():
    assert p.PullRequest(0).to_json() == {"since": 0, "limit": 500}
    assert p.PullRequest(0, count=True).to_json() == {"since": 0, "limit": 500, "count": True}
    applied = p.ChangeResult(uid(), "applied", version=1, seq=1).to_json()
    assert "code" not in applied and "http_status" not in applied
    rejected = p.ChangeResult(uid(), "rejected", error="No.", code="invalid_id").to_json()
    assert rejected["code"] == "invalid_id" and rejected["http_status"] is None
    assert "remaining" not in p.PullResponse("e", 0, (), 0, False).to_json()
    assert p.ErrorBody("not_found", "Not found.").to_json() == {
        "error": {"code": "not_found", "message": "Not found."}
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("base_version", "5"),  # no "5" for 5
        ("base_version", True),  # no true for 1
        ("base_version", 2.0),
        ("op", b"put"),
        ("change_id", uuid.uuid4()),  # a UUID object is not JSON
        ("attachments", ("ab" * 32,)),  # a tuple is not a JSON array
        ("attachments", {"ab" * 32}),
        ("resource", [("resourceType", "Patient")]),
    ],
)
def test_types_are_strict(key, value):
    err = refusal(p.Change.parse, change(**{key: value}))
    assert key in str(err)


def test_a_request_refuses_unknown_keys_without_naming_them():
    err = refusal(p.Change.parse, change(**{SECRET: 1}))
    assert str(err) == "change has unknown fields." and err.code == "bad_request"
    err = refusal(p.PullRequest.parse, {"since": 0, SECRET: 1})
    assert str(err) == "pull has unknown fields."
    err = refusal(p.PushRequest.parse, {"protocol": 1, "changes": [change(**{SECRET: 1})]})
    assert err.code == "invalid_change"


def test_an_answer_ignores_unknown_keys_a_newer_server_may_add():
    cid = uid()
    result = p.ChangeResult.parse(
        {
            "change_id": cid,
            "status": "applied",
            "version": 1,
            "seq": 2,
            "content_sha256": "x",
            "new": {"a": 1},
        }
    )
    assert result == p.ChangeResult(cid, "applied", version=1, seq=2)
    status = p.AttachmentStatus.parse({"sha256": "ab" * 32, "size": 3, "received": 1, "x": 1})
    assert status.received == 1 and not status.complete


@pytest.mark.parametrize(
    ("parser", "data", "field"),
    [
        (p.PushResponse.parse, {"epoch": 5, "results": []}, "epoch"),
        (p.PushResponse.parse, {"epoch": "e", "results": {}}, "results"),
        (p.ChangeResult.parse, {"change_id": uid(), "status": "done"}, "status"),
        (p.ChangeResult.parse, {"change_id": uid(), "status": "applied", "seq": "1"}, "seq"),
        (p.ChangeResult.parse, {"change_id": SECRET, "status": "applied"}, "change_id"),
        (
            p.PullResponse.parse,
            {"epoch": "e", "head": -1, "changes": [], "next": 0, "more": False},
            "head",
        ),
        (
            p.PullResponse.parse,
            {"epoch": "e", "head": 0, "changes": [], "next": 0, "more": "no"},
            "more",
        ),
        (
            p.PulledChange.parse,
            {
                "seq": 1,
                "rtype": "patient",
                "record_id": "a",
                "version": 1,
                "deleted": False,
                "resource": None,
            },
            "rtype",
        ),
        (
            p.PulledChange.parse,
            {
                "seq": 1,
                "rtype": "Patient",
                "record_id": "a",
                "version": 1,
                "deleted": 0,
                "resource": None,
            },
            "deleted",
        ),
        (p.AttachmentStatus.parse, {"sha256": SECRET, "size": 1, "received": 0}, "sha256"),
        (p.ServerCopy.parse, {"version": 0}, "version"),
    ],
)
def test_answers_are_held_to_their_types(parser, data, field):
    err = refusal(parser, data)
    assert field in str(err)


def test_the_bounds_hold():
    many = {"protocol": 1, "changes": [change() for _ in range(p.MAX_BATCH + 1)]}
    assert refusal(p.PushRequest.parse_items, many).code == "bad_request"
    assert len(p.PushRequest.parse_items({**many, "changes": many["changes"][:-1]})) == 500
    assert p.PullRequest.parse({"since": 0, "limit": 10**9}).limit == p.MAX_PULL
    assert p.PullRequest.parse({"since": 0, "limit": None}).limit == 500
    assert p.PullRequest.parse({"since": p.MAX_SEQ}).since == p.MAX_SEQ
    refusal(p.PullRequest.parse, {"since": p.MAX_SEQ + 1})
    digests = ["ab" * 32] * p.MAX_ATTACHMENTS
    assert len(p.Change.parse(change(attachments=digests)).attachments) == p.MAX_ATTACHMENTS
    refusal(p.Change.parse, change(attachments=[*digests, "cd" * 32]))


def test_the_envelope_is_checked_before_the_changes_in_it():
    bad_change = change(record_id="a/b")
    err = refusal(p.PushRequest.parse_items, {"protocol": 2, "changes": [bad_change]})
    assert (err.code, str(err)) == ("bad_request", "push.protocol must be 1.")
    items = p.PushRequest.parse_items({"protocol": 1, "changes": [bad_change, change()]})
    assert isinstance(items[0], p.InvalidChange) and items[0].code == "invalid_id"
    assert str(items[0].message).startswith("push.changes[0].record_id ")
    assert isinstance(items[1], p.Change)


def test_built_in_python_a_message_checks_types_and_leaves_the_rules_to_the_receiver():
    """The engine builds changes from its own store; one the server would refuse (an id
    outside FHIR's grammar) is still sent, so the server answers it alone with its code."""
    odd = p.Change(uid(), "Patient", "no/such id", "put", None, {"resourceType": "Patient"})
    assert odd.record_id == "no/such id"
    with pytest.raises(ValueError):
        p.Change(uid(), "Patient", 5, "put", None, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        p.PullRequest("0")  # type: ignore[arg-type]


def test_a_protocol_error_is_of_the_one_hierarchy():
    from clinic_errors import ClinicError

    err = refusal(p.PullRequest.parse, [])
    assert isinstance(err, ClinicError) and isinstance(err, ValueError)
    assert err.code == "bad_request" and str(err) == "pull must be a JSON object."


def test_every_message_has_a_json_schema():
    for message in p.MESSAGES:
        schema = p.json_schema(message)
        assert schema["type"] == "object" and schema["properties"], message


def _pulled(**over: Any) -> dict[str, Any]:
    res = {"resourceType": "Patient", "id": "a"}
    return {"seq": 1, "rtype": "Patient", "record_id": "a", "version": 1, "deleted": False,
            "resource": res, "change_id": uid(), **over}  # fmt: skip


def _answer(*changes: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {"epoch": "e", "head": 9, "changes": list(changes), "next": 1, "more": False, **over}


MALFORMED_PULLS = [
    _answer(_pulled(seq=0)),
    _answer(_pulled(seq=True)),
    _answer(_pulled(seq="1")),
    _answer(_pulled(version=1.0)),
    _answer(_pulled(deleted=0)),
    _answer(_pulled(rtype="patient")),
    _answer(_pulled(rtype="Patient\n")),
    _answer(_pulled(record_id="a b")),
    _answer(_pulled(record_id=7)),
    _answer(_pulled(resource=[])),
    _answer(_pulled(change_id=5)),
    _answer({k: v for k, v in _pulled().items() if k != "resource"}),
    _answer({k: v for k, v in _pulled().items() if k != "deleted"}),
    _answer("not a change"),
    _answer(head=-1),
    _answer(next=False),
    _answer(more="no"),
    _answer(remaining=-1),
    _answer(epoch=None),
    {**_answer(), "changes": {"0": _pulled()}},
    [],
    None,
]


@pytest.mark.parametrize("data", MALFORMED_PULLS, ids=range(len(MALFORMED_PULLS)))
def test_the_fast_pull_check_refuses_what_the_model_refuses(data):
    """The client's fast check of a pull page (no model per change) refuses exactly what
    PullResponse.parse refuses, with the same words and code."""
    expected = refusal(p.PullResponse.parse, data)
    got = refusal(p.pull_page, data)
    assert (str(got), got.code) == (str(expected), expected.code)


def test_the_fast_pull_check_takes_what_the_model_takes():
    tomb = _pulled(seq=2, version=2, deleted=True, resource=None, change_id=None)
    bare = {k: v for k, v in _pulled(seq=3, record_id="b.1-X").items() if k != "change_id"}
    data = _answer(_pulled(extra=1), tomb, bare, remaining=0, more=True, newer_field=[1])
    page = p.pull_page(data)
    model = p.PullResponse.parse(data)
    assert (page.epoch, page.head, page.next, page.more, page.remaining) == (
        model.epoch, model.head, model.next, model.more, model.remaining)  # fmt: skip
    assert [
        (c["seq"], c["rtype"], c["record_id"], c["version"], c["deleted"], c["resource"],
         c.get("change_id")) for c in page.changes
    ] == [
        (c.seq, c.rtype, c.record_id, c.version, c.deleted, c.resource, c.change_id)
        for c in model.changes
    ]  # fmt: skip
