"""A pull answer decoded change by change, so that decoding a first sync's large pages never
holds the interpreter lock, or fills the heap, long enough to freeze the workstation's window.

``json.loads`` of a whole page (up to :data:`~clinic_app.sync.protocol.MAX_PULL_BYTES`) is one
C call: the interpreter lock stays with the decoding thread for all of it (tens of ms, more on
a busy machine), and the ~10^5 dicts and lists it makes live until the page is stored. Living
that long, they are promoted to the oldest generation, and the collector's next full pass, over
the whole application heap, holds the lock again for 100-200 ms
(``tests/ui/test_event_loop_stalls.py`` measured both). Here the answer's outer object is read
key by key and its ``changes`` array element by element (``JSONDecoder.raw_decode``: one short
C call per change); each change is checked and handed to ``convert`` at once, so only what
``convert`` keeps (the texts the store writes) outlives it.

A change laid out as the central platform writes it (``central.sync.pull_text``: its fields in
order, compact) is read in three short steps instead: its fields before the resource by one
regular expression, the resource by ``raw_decode``, the change id after it by another; so the
resource's text as sent is known exactly, and :func:`decode_pull_texts` hands it to
``convert`` (the store keeps it as it is instead of encoding the resource again). Any other
layout is read as a whole, and ``convert`` gets no text.

The result is exactly what :func:`~clinic_app.sync.client.decode_pull` accepts; any answer this
reader does not take as it stands (malformed, a change the fast check refuses, a key twice)
goes through ``decode_pull``, whose error names the fault, or which accepts it after all.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from clinic_app.sync import protocol as p

T = TypeVar("T")

_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"
# A change as central.sync.pull_text writes it: these fields in this order, compact, the
# resource next (any JSON value), then the change id. Strings here hold no escapes (a type
# name, a FHIR id, a UUID), so the groups are their values; numbers are JSON integers.
_INT = r"(0|[1-9][0-9]{0,18})"
_CHANGE_HEAD = re.compile(
    r'\{"seq":' + _INT + r',"rtype":"([A-Za-z]{1,64})","record_id":"([A-Za-z0-9.\-]{1,64})",'
    r'"version":' + _INT + r',"deleted":(true|false),"resource":'
)
_CHANGE_TAIL = re.compile(r',"change_id":(?:"([0-9A-Za-z\-]{1,64})"|null)\}')


class _NotAsIs(Exception):
    """The answer is not one this reader takes as it stands (decode_pull decides)."""


@dataclass
class DecodedPage(Generic[T]):
    """A checked pull answer with each change as ``convert`` made it."""

    epoch: str
    head: int
    next: int
    more: bool
    remaining: int | None
    changes: list[T]
    decode_s: float  # reading JSON
    convert_s: float  # in ``convert``


def _skip(s: str, i: int) -> int:
    n = len(s)
    while i < n and s[i] in _SPACE:
        i += 1
    return i


def _expect(s: str, i: int, char: str) -> int:
    """The index after ``char`` at ``i`` (after white space), or _NotAsIs."""
    i = _skip(s, i)
    if i >= len(s) or s[i] != char:
        raise _NotAsIs
    return i + 1


def _next_item(s: str, i: int, close: str) -> tuple[int, bool]:
    """After an item of an array or object: the index past its ``,`` (another item follows)
    or past ``close`` (the last one), or _NotAsIs."""
    i = _skip(s, i)
    if i < len(s) and s[i] == ",":
        return i + 1, True
    if i < len(s) and s[i] == close:
        return i + 1, False
    raise _NotAsIs


def decode_pull_each(raw: bytes, convert: Callable[[dict[str, Any]], T]) -> DecodedPage[T]:
    """The pull answer ``raw`` checked, each change converted as it is read (module docstring).
    A malformed answer raises ``Offline`` (from :func:`~clinic_app.sync.client.decode_pull`)."""
    return decode_pull_texts(raw, lambda change, _text: convert(change))


def decode_pull_texts(
    raw: bytes, convert: Callable[[dict[str, Any], str | None], T]
) -> DecodedPage[T]:
    """:func:`decode_pull_each`, ``convert`` also given each change's resource as the text it
    was sent as (None when not known: a layout other than the central platform's, or no
    resource)."""
    try:
        return _read(raw, convert)
    except (_NotAsIs, ValueError, IndexError, p.ProtocolError):
        pass
    from clinic_app.sync.client import decode_pull  # the whole answer at once, strictly

    t0 = time.perf_counter()
    page = decode_pull(raw)
    t1 = time.perf_counter()
    changes = [convert(c, None) for c in page.changes]
    return DecodedPage(page.epoch, page.head, page.next, page.more, page.remaining, changes,
                       decode_s=t1 - t0, convert_s=time.perf_counter() - t1)  # fmt: skip


def _change_at(s: str, i: int) -> tuple[dict[str, Any], str | None, int]:
    """The change that begins at ``i``, its resource's text (when laid out as the central
    platform writes it) and the index after it."""
    head = _CHANGE_HEAD.match(s, i)
    if head is not None:
        res, j = _DECODER.raw_decode(s, head.end())
        tail = _CHANGE_TAIL.match(s, j)
        if tail is not None:
            seq, rtype, rid, version, deleted = head.groups()
            change = {"seq": int(seq), "rtype": rtype, "record_id": rid,
                      "version": int(version), "deleted": deleted == "true", "resource": res,
                      "change_id": tail.group(1)}  # fmt: skip
            return change, s[head.end() : j] if res is not None else None, tail.end()
    change, j = _DECODER.raw_decode(s, i)
    return change, None, j


def _read(raw: bytes, convert: Callable[[dict[str, Any], str | None], T]) -> DecodedPage[T]:
    decode_s = convert_s = 0.0
    t = time.perf_counter()
    s = raw.decode("utf-8")
    header: dict[str, Any] = {}
    changes: list[T] | None = None
    i = _expect(s, 0, "{")
    j = _skip(s, i)
    if j < len(s) and s[j] == "}":
        raise _NotAsIs  # an empty object: not a pull answer (decode_pull says why)
    while True:
        i = _expect(s, i, '"') - 1
        key, i = _DECODER.raw_decode(s, i)  # a string, from its opening quote
        i = _skip(s, _expect(s, i, ":"))
        if key in header or (key == "changes" and changes is not None):
            raise _NotAsIs  # a key twice: json.loads keeps the last, decode_pull decides
        if key == "changes" and s.startswith("[", i):
            changes = []
            i = _skip(s, i + 1)
            if s[i] == "]":
                i += 1
            else:
                while True:
                    change, text, i = _change_at(s, _skip(s, i))
                    if not p.change_ok(change):
                        raise _NotAsIs
                    now = time.perf_counter()
                    decode_s += now - t
                    changes.append(convert(change, text))
                    t = time.perf_counter()
                    convert_s += t - now
                    i, more = _next_item(s, i, "]")
                    if not more:
                        break
        else:
            header[key], i = _DECODER.raw_decode(s, i)
        i, more = _next_item(s, i, "}")
        if not more:
            break
    if _skip(s, i) != len(s) or changes is None:
        raise _NotAsIs
    header["changes"] = []
    checked = p.pull_page(header)  # the outer fields, checked as decode_pull checks them
    decode_s += time.perf_counter() - t
    return DecodedPage(checked.epoch, checked.head, checked.next, checked.more,
                       checked.remaining, changes, decode_s, convert_s)  # fmt: skip
