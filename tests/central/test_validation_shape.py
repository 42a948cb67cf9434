"""The fast JSON-form walk (central.fhir_shape) gives the same verdicts as the full
re-serialise-and-compare it replaces: old vs new over the demo data's resources and over
many mutations of them (every leaf given another JSON type, a null, an empty or wrapped
value, unknown or misspelt keys), generated and hypothesis-driven."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.sync_support import clinic_records
from central import validation
from central.fhir_shape import plain_form, resource_class
from tests.central.builders import observation, patient

CORPUS: list[dict[str, Any]] = [
    *clinic_records(600, seed=7),
    patient(),
    observation(patient()["id"]),
]
# one of each type the demo makes (the first 600 records are mostly Observations)
_BY_TYPE: dict[str, dict[str, Any]] = {}
for _r in clinic_records(3000, seed=11):
    _BY_TYPE.setdefault(_r["resourceType"], _r)
SAMPLES = [*_BY_TYPE.values(), *CORPUS[:40]]


def old_verdict(resource: Any, rtype: str) -> validation.Problem | None:
    """The verdict with the walk switched off: validate, dump, compare (the old path)."""
    with mock.patch.object(validation, "plain_form", lambda *_: False):
        return validation.check_resource(rtype, resource)


def new_verdict(resource: Any, rtype: str) -> validation.Problem | None:
    return validation.check_resource(rtype, resource)


def test_demo_data_takes_the_fast_path_and_is_accepted() -> None:
    assert len(_BY_TYPE) >= 10
    for res in [*CORPUS, *_BY_TYPE.values()]:
        assert plain_form(res, resource_class(res["resourceType"])), res["resourceType"]
        assert new_verdict(res, res["resourceType"]) is None
        assert old_verdict(res, res["resourceType"]) is None


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k)
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*path, i)
            yield from _paths(v, (*path, i))


def _set(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(node)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    if value is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


_DELETE = object()


def _replacements(old: Any) -> list[Any]:
    out: list[Any] = [None, "5", "true", 5, 5.5, 0, -1, True, False, [], {}, [old], [None]]
    out += [{"x": 1}, "", " ", [old, None], {"extension": []}, _DELETE]
    if isinstance(old, list) and old:
        out += [old[0], [*old, old[0]]]
    if isinstance(old, str):
        out += [old + " ", int(old) if old.isdigit() else old.upper()]
    if isinstance(old, int | float) and not isinstance(old, bool):
        out += [str(old), float(old), int(old)]
    return out


def _mutants() -> Iterator[tuple[str, dict[str, Any]]]:
    for res in SAMPLES:
        rtype = res["resourceType"]
        for path in _paths(res):
            for value in _replacements(_get(res, path)):
                yield rtype, _set(res, path, value)
        for key in ("_status", "fhir_comments", "class_", "resource_type", "valueString", "x"):
            for value in ("a", None, [], {"id": "x1"}, ["a"]):
                yield rtype, {**res, key: value}
        yield "Patient" if rtype != "Patient" else "Observation", res
        yield rtype, {**res, "contained": [dict(CORPUS[0], id="c1")]}
        yield rtype, {**res, "contained": [dict(CORPUS[0], id="c1", status=5)]}


def test_same_verdicts_on_every_single_leaf_mutation() -> None:
    """Thousands of inputs: the refused set, and every refusal's code and message, unchanged."""
    count = fast = 0
    for rtype, res in _mutants():
        old = old_verdict(res, rtype)
        assert new_verdict(res, rtype) == old, (rtype, json.dumps(res)[:300], old)
        count += 1
        if plain_form(res, resource_class(rtype)):
            fast += 1
            assert old is None or old.code != "invalid_resource" or "JSON form" not in old.message
    assert count > 5_000
    assert fast > 100  # the walk did confirm many mutants (the rest fell back)


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**40), max_value=2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(["", "5", "true", "final", "2024-01-01", "Patient/x", "a b"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(["id", "value", "code", "system", "extension", "url", "text", "x"]),
            children,
            max_size=3,
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_same_verdicts_on_generated_mutations(data: st.DataObject) -> None:
    res = data.draw(st.sampled_from(SAMPLES))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths(res))
        path = data.draw(st.sampled_from(paths))
        value = data.draw(st.one_of(json_values, st.just(_get(res, path)).map(lambda v: [v])))
        res = _set(res, path, value)
    rtype = res["resourceType"] if isinstance(res.get("resourceType"), str) else "Patient"
    assert new_verdict(res, rtype) == old_verdict(res, rtype)


@pytest.mark.parametrize(
    "field,value",
    [("active", "yes"), ("active", None), ("birthDate", 19800101), ("name", {"family": "X"})],
)
def test_known_refusals_still_refused(field: str, value: Any) -> None:
    res = {**patient(), field: value}
    old = old_verdict(res, "Patient")
    if value is None:  # a null the models drop: accepted today, and still
        assert old is None and new_verdict(res, "Patient") is None
    else:
        assert old is not None and new_verdict(res, "Patient") == old
