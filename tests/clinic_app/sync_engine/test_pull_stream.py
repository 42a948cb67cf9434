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
from clinic_app.sync.pull_stream import decode_pull_each
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


@pytest.mark.parametrize("data", MALFORMED_PULLS, ids=range(len(MALFORMED_PULLS)))
def test_a_malformed_page_is_refused_with_the_same_words(data):
    raw = json.dumps(data).encode()
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
