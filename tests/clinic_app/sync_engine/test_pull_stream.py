"""The pull answer read change by change (clinic_app/sync/pull_stream.py) takes exactly what
``decode_pull`` (the whole answer at once) takes, gives the same page, and refuses the same
answers with the same error: pages as the server writes them, other spacing, every cut of a
page, the malformed pages of the protocol's own tests, keys twice and in any order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic_app.sync.client import Offline, decode_pull
from clinic_app.sync.pull_stream import decode_pull_each, decode_pull_texts
from local_store.sync_ledger import stored_text
from tests.clinic_app.sync_engine.test_protocol import MALFORMED_PULLS, _answer, _pulled


def whole(raw: bytes) -> tuple[Any, ...] | str:
    """What decode_pull makes of ``raw``: the page's fields, or the error's words."""
    try:
        page = decode_pull(raw)
    except Offline as exc:
        return str(exc)
    return (page.epoch, page.head, page.next, page.more, page.remaining, page.changes)


def each(raw: bytes) -> tuple[Any, ...] | str:
    try:
        page = decode_pull_each(raw, dict)
    except Offline as exc:
        return str(exc)
    return (page.epoch, page.head, page.next, page.more, page.remaining, page.changes)


def page_json(n: int = 3, **dump: Any) -> bytes:
    changes = [_pulled(seq=i + 1, record_id=f"r{i}") for i in range(n)]
    changes.append(_pulled(seq=n + 1, record_id="gone", deleted=True, resource=None))
    data = _answer(*changes, remaining=4, more=True)
    data["resource_note"] = {"nested": [1, {"changes": []}]}  # an unknown key, ignored
    return json.dumps(data, ensure_ascii=False, **dump).encode()


@pytest.mark.parametrize(
    "dump",
    [{}, {"indent": 2}, {"separators": (",", ":")}, {"sort_keys": True}, {"indent": "\t"}],
    ids=["default", "indented", "compact", "sorted", "tabs"],
)
def test_a_page_reads_the_same_change_by_change(dump):
    raw = page_json(**dump)
    got = each(raw)
    assert got == whole(raw)
    assert isinstance(got, tuple) and [c["record_id"] for c in got[5]] == ["r0", "r1", "r2", "gone"]


def test_convert_sees_every_change_in_order_and_its_results_are_the_page():
    raw = page_json(50)
    seen: list[str] = []
    page = decode_pull_each(raw, lambda c: seen.append(c["record_id"]) or c["seq"])
    assert seen == [f"r{i}" for i in range(50)] + ["gone"]
    assert page.changes == list(range(1, 52))
    assert page.decode_s >= 0 and page.convert_s >= 0


def test_an_empty_page_and_chinese_text():
    empty = json.dumps(_answer()).encode()
    assert each(empty) == whole(empty)
    zh = _pulled(resource={"resourceType": "Patient", "id": "a", "name": [{"text": "王芳"}]})
    raw = json.dumps(_answer(zh), ensure_ascii=False).encode()
    got = each(raw)
    assert got == whole(raw) and isinstance(got, tuple)
    assert got[5][0]["resource"]["name"][0]["text"] == "王芳"


@pytest.mark.parametrize("compact", [False, True], ids=["spaced", "compact"])
@pytest.mark.parametrize("data", MALFORMED_PULLS, ids=range(len(MALFORMED_PULLS)))
def test_a_malformed_page_is_refused_with_the_same_words(data, compact):
    # compact: the central platform's own layout, read by the regular expressions first
    raw = json.dumps(data, separators=(",", ":") if compact else None).encode()
    expected = whole(raw)
    assert isinstance(expected, str)
    assert each(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{}",
        b"[]",
        b"null",
        b'{"epoch": "e"',
        b'{"epoch": "e", "head": 9, "changes": [}, "next": 1, "more": false}',
        b'{"epoch": "e", "head": 9, "changes": [1,], "next": 1, "more": false}',
        b'{"epoch": "e", "head": 9, "changes": [], "next": 1, "more": false} x',
        b'{"epoch": "e", "head": 9, "changes": {}, "next": 1, "more": false}',
        b'{"epoch": "e" "head": 9}',
        b"\xff\xfe{}",
    ],
)
def test_broken_json_is_refused_as_decode_pull_refuses_it(raw):
    expected = whole(raw)
    assert isinstance(expected, str)
    assert each(raw) == expected


def test_a_key_twice_is_read_as_json_reads_it_the_last_one_wins():
    one = json.dumps(_pulled(seq=1, record_id="first"))
    two = json.dumps(_pulled(seq=2, record_id="second"))
    raw = (
        f'{{"epoch": "e", "head": 9, "changes": [{one}], "next": 1, "more": false,'
        f' "changes": [{two}], "head": 10}}'
    ).encode()
    got = each(raw)
    assert got == whole(raw)
    assert isinstance(got, tuple) and got[1] == 10 and got[5][0]["record_id"] == "second"


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_cut_or_damaged_page_is_refused_or_read_exactly_as_a_whole(data):
    raw = page_json(4, indent=data.draw(st.sampled_from([None, 1])))
    cut = data.draw(st.integers(0, len(raw)))
    damaged = bytearray(raw[:cut])
    if damaged and data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.sampled_from(b' ,:{}[]"0a\\'))
    assert each(bytes(damaged)) == whole(bytes(damaged))


def server_layout(*changes: dict[str, Any]) -> bytes:
    """A page laid out as central.sync.pull_text writes it (fields in its order, compact,
    non-ASCII escaped as the central platform stores resources)."""
    q = json.dumps
    parts = [
        f'{{"seq":{c["seq"]},"rtype":{q(c["rtype"])},"record_id":{q(c["record_id"])},'
        f'"version":{c["version"]},"deleted":{q(c["deleted"])},'
        f'"resource":{q(c["resource"], separators=(",", ":"))},"change_id":{q(c["change_id"])}}}'
        for c in changes
    ]
    return (f'{{"epoch":"e","head":9,"changes":[{",".join(parts)}],"next":1,'
            f'"more":false}}').encode()  # fmt: skip


def test_the_central_layout_gives_each_resource_as_sent_and_it_is_stored_as_it_is():
    zh = {"resourceType": "Patient", "id": "a", "name": [{"text": '王芳 \u2028 "q" \\'}]}
    kept = {"resourceType": "Patient", "id": "b", "meta": {"versionId": "3", "tag": []}}
    other = {"resourceType": "Patient", "id": "c", "meta": {"versionId": "1"}}
    odd_meta = {"resourceType": "Patient", "id": "d", "meta": None}
    changes = [
        _pulled(seq=1, record_id="a", resource=zh),
        _pulled(seq=2, record_id="b", version=3, resource=kept),
        _pulled(seq=3, record_id="c", version=2, resource=other),
        _pulled(seq=4, record_id="d", resource=odd_meta),
        _pulled(seq=5, record_id="e", resource={}),
        _pulled(seq=6, record_id="gone", deleted=True, resource=None, change_id=None),
    ]
    raw = server_layout(*changes)
    page = decode_pull_texts(raw, lambda c, text: (c, text))
    assert [c for c, _text in page.changes] == list(decode_pull(raw).changes) == changes
    texts = [text for _c, text in page.changes]
    assert texts[-1] is None and all(t is not None for t in texts[:-1])
    for c, text in page.changes[:-1]:
        assert text is not None and json.loads(text) == c["resource"]  # exactly the value
        stored = stored_text(c["resource"], c["version"], text)
        assert json.loads(stored) == json.loads(stored_text(c["resource"], c["version"]))
        assert json.loads(stored)["meta"]["versionId"] == str(c["version"])
    assert stored_text(kept, 3, texts[1]) is texts[1]  # said versionId 3 already: as it is
    # Another layout (spaces, keys in another order): the same changes, no texts.
    spaced = decode_pull_texts(json.dumps(_answer(*changes)).encode(), lambda c, t: (c, t))
    assert [c for c, _t in spaced.changes] == changes
    assert all(t is None for _c, t in spaced.changes)


def test_a_change_id_the_expressions_do_not_take_is_read_as_a_whole():
    odd = _pulled(change_id="x" * 65)  # not the central's layout: read by raw_decode
    raw = server_layout(odd)
    got = decode_pull_texts(raw, lambda c, t: (c, t))
    assert got.changes == [(odd, None)] and list(decode_pull(raw).changes) == [odd]
