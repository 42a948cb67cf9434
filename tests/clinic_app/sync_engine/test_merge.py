"""Three-way merge: disjoint fields merge, same field conflicts, deletes and append-only kinds."""

from clinic_app.sync.merge import DELETED_HERE, DELETED_THERE, resolve, three_way

BASE = {
    "resourceType": "Patient",
    "id": "p1",
    "meta": {"versionId": "1"},
    "gender": "female",
    "telecom": [{"system": "phone", "value": "13900000000"}],
    "address": [{"text": "A村"}],
}


def edit(**changes):
    return {**BASE, "meta": {"versionId": "2"}, **changes}


def test_disjoint_fields_merge():
    local = edit(telecom=[{"system": "phone", "value": "13911111111"}])
    remote = edit(address=[{"text": "B村"}])
    result = three_way("Patient", BASE, local, False, remote, False)
    assert result.outcome == "push-merged"
    assert result.merged["telecom"][0]["value"] == "13911111111"
    assert result.merged["address"][0]["text"] == "B村"
    assert result.merged["id"] == "p1"


def test_same_field_conflicts_and_keeps_both():
    local = edit(address=[{"text": "C村"}])
    remote = edit(address=[{"text": "B村"}])
    result = three_way("Patient", BASE, local, False, remote, False)
    assert result.outcome == "conflict"
    assert result.fields == ["address"]


def test_identical_edits_take_remote():
    same = edit(gender="male")
    assert three_way("Patient", BASE, same, False, dict(same), False).outcome == "take-remote"


def test_remote_only_change_takes_remote():
    remote = edit(gender="male")
    assert three_way("Patient", BASE, BASE, False, remote, False).outcome == "take-remote"


def test_field_removed_on_one_side_merges():
    local = {k: v for k, v in BASE.items() if k != "address"}
    remote = edit(gender="male")
    result = three_way("Patient", BASE, local, False, remote, False)
    assert result.outcome == "push-merged"
    assert "address" not in result.merged
    assert result.merged["gender"] == "male"


def test_deleted_then_edited_is_a_conflict():
    result = three_way("Patient", BASE, edit(gender="male"), False, None, True)
    assert result.outcome == "conflict" and result.fields == [DELETED_THERE]
    result = three_way("Patient", BASE, None, True, edit(gender="male"), False)
    assert result.outcome == "conflict" and result.fields == [DELETED_HERE]
    assert three_way("Patient", BASE, None, True, None, True).outcome == "take-remote"


def test_append_only_entered_in_error_wins():
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "valueQuantity": {"value": 1},
    }
    wrong = {**obs, "status": "entered-in-error"}
    other = {**obs, "note": [{"text": "re-checked"}]}
    result = three_way("Observation", obs, wrong, False, other, False)
    assert result.outcome == "push-merged"
    assert result.merged["status"] == "entered-in-error"
    assert three_way("Observation", obs, other, False, wrong, False).outcome == "push-merged"


def test_append_only_never_merges_fields():
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "valueQuantity": {"value": 1},
    }
    a = {**obs, "valueQuantity": {"value": 2}}
    b = {**obs, "note": [{"text": "x"}]}
    result = three_way("Observation", obs, a, False, b, False)
    assert result.outcome == "conflict"
    assert set(result.fields) == {"valueQuantity", "note"}


def test_resolve_per_field_choice():
    local = edit(address=[{"text": "C村"}], telecom=[{"system": "phone", "value": "1"}])
    remote = edit(address=[{"text": "B村"}])
    out = resolve(BASE, local, remote, {"address": "remote"}, ["address"])
    assert out["address"][0]["text"] == "B村"
    assert out["telecom"][0]["value"] == "1"  # merged from the local side
    out = resolve(BASE, local, remote, {"address": "local"}, ["address"])
    assert out["address"][0]["text"] == "C村"


def test_resolve_requires_every_field():
    import pytest

    with pytest.raises(ValueError):
        resolve(BASE, BASE, BASE, {}, ["address"])
