"""FHIR import is all or nothing: a bad file raises ImportFailed with a message free of patient
data and of the offending value, and the store is exactly as before."""

from __future__ import annotations

import json

import pytest

from clinic_app.errors import ImportFailed
from clinic_app.exchange.fhir_io import import_file
from clinic_app.records.patient import PatientInput
from clinic_app.services import patients

SECRET_NAME = "李秘密"
SECRET_PHONE = "13811112222"
SECRET_ID = "11010519491231002X"


def valid_patient(rid="imp-1"):
    return {
        "resourceType": "Patient",
        "id": rid,
        "name": [{"use": "official", "text": SECRET_NAME, "family": "李", "given": ["秘密"]}],
        "telecom": [{"system": "phone", "value": SECRET_PHONE}],
        "identifier": [{"system": "urn:test", "value": SECRET_ID}],
        "birthDate": "1949-12-31",
    }


def valid_observation(rid="imp-obs-1", patient="imp-1"):
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "valueQuantity": {
            "value": 72,
            "unit": "/min",
            "system": "http://unitsofmeasure.org",
            "code": "/min",
        },
    }


def line(res) -> str:
    return json.dumps(res, ensure_ascii=False) + "\n"


def ndjson(*resources) -> str:
    return "".join(line(r) for r in resources)


def bundle(*resources, indent=None) -> str:
    doc = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }
    return json.dumps(doc, ensure_ascii=False, indent=indent)


@pytest.fixture(scope="module")
def target(tmp_path_factory, b):
    """A store that already holds records; every test checks it is left untouched."""
    store = b.new_store(tmp_path_factory.mktemp("import") / "profile")
    patients.register(store, PatientInput("王", "小明", phone="13900001111"))
    patients.register(store, PatientInput("Smith", "John"))
    yield store
    store.lock()


def bogus_status():
    obs = valid_observation("imp-obs-2")
    obs["status"] = "bogus"
    return obs


def bad_birth_date():
    pat = valid_patient("imp-2")
    pat["birthDate"] = "1999-13-01"
    return pat


def bad_gender():
    pat = valid_patient("imp-3")
    pat["gender"] = "robot"
    return pat


def bad_value_type():
    obs = valid_observation("imp-obs-3")
    obs["valueQuantity"]["value"] = "seventy-two"
    return obs


CASES = {
    # name: (file name, content, bad values that must not be echoed)
    "malformed-json": (
        "bad.json",
        f'{{"resourceType": "Patient", "id": "x", "name": [{{"text": "{SECRET_NAME}"',
        [],
    ),
    "malformed-line-in-ndjson": (
        "bad.ndjson",
        line(valid_patient()) + '{"resourceType": '
        f'"Observation", "id": "{SECRET_PHONE}",\n' + line(valid_observation()),
        [],
    ),
    "birth-date-13th-month": (
        "bd.ndjson",
        ndjson(valid_patient(), bad_birth_date(), valid_observation()),
        ["1999-13-01"],
    ),
    "observation-status-bogus": (
        "st.ndjson",
        ndjson(valid_patient(), bogus_status(), valid_observation()),
        ["bogus"],
    ),
    "patient-gender-robot": ("g.ndjson", ndjson(valid_patient("imp-9"), bad_gender()), ["robot"]),
    "value-of-wrong-type": (
        "vt.ndjson",
        ndjson(valid_patient(), bad_value_type()),
        ["seventy-two"],
    ),
    "missing-required-code": (
        "rq.ndjson",
        ndjson(valid_patient(), {"resourceType": "Observation", "id": "o9", "status": "final"}),
        [],
    ),
    "unsupported-type": (
        "ut.ndjson",
        ndjson(
            valid_patient(),
            {"resourceType": "Practitioner", "id": "pr1", "name": [{"text": "王医生"}]},
        ),
        ["王医生"],
    ),
    "unsupported-type-name-is-data": (
        "ut2.ndjson",
        ndjson(valid_patient(), {"resourceType": "张伟病历", "id": "pr2"}),
        ["张伟病历"],
    ),
    "no-resource-type": ("nt.ndjson", ndjson(valid_patient(), {"id": "x"}), []),
    "not-an-object": ("arr.ndjson", line(valid_patient()) + f'["{SECRET_NAME}"]\n', []),
    "missing-id": (
        "ni.ndjson",
        ndjson({k: v for k, v in valid_patient().items() if k != "id"}),
        [],
    ),
    "id-too-long": ("il.ndjson", ndjson(valid_patient("x" * 65)), ["x" * 65]),
    "duplicate-ids-ndjson": (
        "dup.ndjson",
        ndjson(valid_patient(), valid_observation(), valid_patient()),
        [],
    ),
    "duplicate-ids-bundle": (
        "dup.json",
        bundle(valid_patient(), valid_observation(), valid_patient(), indent=2),
        [],
    ),
    "invalid-in-bundle": (
        "inv.json",
        bundle(valid_patient(), bad_birth_date(), indent=2),
        ["1999-13-01"],
    ),
    "bundle-entry-without-resource": (
        "ne.json",
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": valid_patient()}, {"fullUrl": "urn:uuid:x"}],
            },
            ensure_ascii=False,
        ),
        [],
    ),
    "empty-bundle": (
        "eb.json",
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}),
        [],
    ),
    "empty-file": ("empty.ndjson", "", []),
    "only-blank-lines": ("blank.ndjson", "\n  \n\t\n", []),
    "deeply-nested": ("deep.json", "[" * 200_000, []),
}
NON_UTF8 = {
    "gbk-encoded": ndjson(valid_patient()).encode("gbk"),
    "latin1-byte-mid-file": line(valid_patient()).encode()
    + b'{"resourceType":"Patient","id":"imp-7","name":[{"text":"M\xfcller"}]}\n'
    + line(valid_observation()).encode(),
    "utf16": ndjson(valid_patient()).encode("utf-16"),
}


def assert_refused(store, path, bad_values, snapshot):
    before = snapshot(store)
    audit_before = store.audit_entries(1)
    with pytest.raises(ImportFailed) as err:
        import_file(store, path)
    message = str(err.value)
    assert message and "\n" not in message
    for secret in (SECRET_NAME, SECRET_PHONE, SECRET_ID, "王小明", "13900001111", *bad_values):
        assert secret not in message, f"the message shows {secret!r}: {message}"
    assert "Traceback" not in message
    assert snapshot(store) == before
    assert store.audit_entries(1) == audit_before, "a refused import is not logged as done"
    return message


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_is_refused_and_store_unchanged(target, tmp_path, case, snapshot):
    name, content, bad_values = CASES[case]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert_refused(target, path, bad_values, snapshot)


@pytest.mark.parametrize("case", sorted(NON_UTF8))
def test_non_utf8_file_is_refused_and_store_unchanged(target, tmp_path, case, snapshot):
    path = tmp_path / "data.ndjson"
    path.write_bytes(NON_UTF8[case])
    message = assert_refused(target, path, ["Müller"], snapshot)
    if case != "utf16":
        assert "UTF-8" in message


def test_missing_file_is_refused(target, tmp_path, snapshot):
    message = assert_refused(target, tmp_path / "nowhere.ndjson", [], snapshot)
    assert "cannot be read" in message


def test_message_names_where_the_problem_is(target, tmp_path, snapshot):
    path = tmp_path / "where.ndjson"
    path.write_text(
        ndjson(valid_patient(), valid_observation(), bad_birth_date()), encoding="utf-8"
    )
    message = assert_refused(target, path, ["1999-13-01"], snapshot)
    assert "line 3" in message and "birthDate" in message
    path.write_text(bundle(valid_patient(), bad_birth_date(), indent=1), encoding="utf-8")
    message = assert_refused(target, path, ["1999-13-01"], snapshot)
    assert "entry 2" in message


def test_the_same_file_without_its_bad_line_imports(b, tmp_path):
    # Control: the valid lines used above are importable, so the refusals are about the bad ones.
    store = b.new_store(tmp_path / "profile")
    try:
        path = tmp_path / "good.ndjson"
        path.write_text(ndjson(valid_patient(), valid_observation()), encoding="utf-8")
        assert import_file(store, path) == {"Patient": 1, "Observation": 1}
        assert [p["id"] for p in patients.search(store, SECRET_NAME)] == ["imp-1"]
    finally:
        store.lock()
