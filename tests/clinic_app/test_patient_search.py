"""Finding patients: characters, pinyin (full, prefix, initials, words), Latin names, ID, phone."""

from __future__ import annotations

from datetime import date

import pytest

from clinic_app.records.names import name_terms, query_terms, to_pinyin
from clinic_app.records.patient import PatientInput, display_name, latin_name
from clinic_app.services import patients

BORN = {
    "wang": date(1958, 4, 12),
    "wangfang": date(1975, 9, 3),
    "zhang": date(1969, 1, 20),
    "zeng": date(1990, 7, 7),
    "shan": date(1983, 2, 14),
}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory, b):
    """A read-only store with a handful of patients, and their ids by short key."""
    store = b.new_store(tmp_path_factory.mktemp("search") / "profile")
    wang_id = b.resident_id(BORN["wang"], male=True, region="530627")
    fang_id = b.resident_id(BORN["wangfang"], male=False, ends_with_x=True, region="520526")
    people = {
        "wang": PatientInput("王", "小明", resident_id=wang_id, phone="13812345678"),
        "wangfang": PatientInput("王", "芳", resident_id=fang_id, phone="0871-6512345"),
        "zhang": PatientInput(
            "张", "伟", gender="male", birth_date=BORN["zhang"], phone="13998765432"
        ),
        "zeng": PatientInput("曾", "小红", gender="female", birth_date=BORN["zeng"]),
        "shan": PatientInput("单", "田芳", gender="female", birth_date=BORN["shan"]),
        "smith": PatientInput("Smith", "John", gender="male", phone="15011112222"),
        "li": PatientInput("李", "秀英", gender="female", phone="13700001111"),
    }
    ids = {}
    records = {}
    for key, data in people.items():
        res, saved = patients.register(store, data)
        assert saved.created and saved.version == 1
        ids[key] = res["id"]
        records[key] = res
    yield store, ids, records
    store.lock()


def found(store, query):
    return [p["id"] for p in patients.search(store, query)]


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("王小明", {"wang"}),
        ("王", {"wang", "wangfang"}),
        ("小明", {"wang"}),
        ("wangxiaoming", {"wang"}),
        ("wangx", {"wang"}),
        ("wxm", {"wang"}),
        ("wang xiao", {"wang"}),
        ("WangXiaoMing", {"wang"}),
        ("wang", {"wang", "wangfang"}),
        ("张伟", {"zhang"}),
        ("zhangwei", {"zhang"}),
        ("zw", {"zhang"}),
        ("SMITH", {"smith"}),
        ("john", {"smith"}),
        ("John Smith", {"smith"}),
        ("smi jo", {"smith"}),
        ("曾小红", {"zeng"}),
        ("单田芳", {"shan"}),
        ("田芳", {"shan"}),
    ],
)
def test_search_by_name(clinic, query, keys):
    store, ids, _ = clinic
    result = found(store, query)
    assert len(result) == len(set(result)), "no patient twice"
    assert set(result) == {ids[k] for k in keys}


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("zeng", "zeng"),
        ("zengxiaohong", "zeng"),
        ("zxh", "zeng"),
        ("shan", "shan"),
        ("shantianfang", "shan"),
        ("stf", "shan"),
    ],
)
def test_polyphonic_surnames_are_found_by_their_surname_reading(clinic, query, key):
    # As surnames 曾 reads zēng (not céng) and 单 reads shàn (not dān).
    store, ids, _ = clinic
    assert ids[key] in found(store, query)


@pytest.mark.parametrize(("key", "latin"), [("zeng", "Zeng Xiaohong"), ("shan", "Shan Tianfang")])
def test_latin_name_of_polyphonic_surname_uses_surname_reading(clinic, key, latin):
    _, _, records = clinic
    assert latin_name(records[key]) == latin


def test_latin_name_is_derived_from_characters(clinic):
    _, _, records = clinic
    assert display_name(records["wang"]) == "王小明"
    assert latin_name(records["wang"]) == "Wang Xiaoming"
    assert display_name(records["smith"]) == "John Smith"
    assert latin_name(records["smith"]) == ""


def test_search_by_resident_id_prefix_and_full(clinic):
    store, ids, records = clinic
    wang_rid = records["wang"]["identifier"][0]["value"]
    assert found(store, wang_rid[:10]) == [ids["wang"]]
    assert found(store, wang_rid) == [ids["wang"]]
    fang_rid = records["wangfang"]["identifier"][0]["value"]
    assert fang_rid.endswith("X")
    assert found(store, fang_rid) == [ids["wangfang"]]
    assert found(store, fang_rid.lower()) == [ids["wangfang"]]
    assert found(store, fang_rid[:17]) == [ids["wangfang"]]


def test_search_by_phone_prefix(clinic):
    store, ids, _ = clinic
    assert found(store, "1381234") == [ids["wang"]]
    assert found(store, "13812345678") == [ids["wang"]]
    assert found(store, "0871") == [ids["wangfang"]]
    assert set(found(store, "13")) >= {ids["wang"], ids["zhang"], ids["li"]}


@pytest.mark.parametrize("query", ["赵", "zhao", "wang zhang", "99999", "xyzzy", "王伟"])
def test_query_matching_nothing_returns_empty_list(clinic, query):
    store, _, _ = clinic
    assert patients.search(store, query) == []


@pytest.mark.parametrize("query", ["", "   ", "--", "!!"])
def test_empty_query_returns_empty_list(clinic, query):
    store, _, _ = clinic
    assert patients.search(store, query) == []


def test_results_are_in_name_order_and_limited(clinic):
    store, _ids, _ = clinic
    result = patients.search(store, "王")
    assert [display_name(p) for p in result] == sorted(display_name(p) for p in result)
    assert len(patients.search(store, "王", limit=1)) == 1


def test_name_terms_and_query_terms():
    terms = name_terms("王", "小明")
    assert {"王小明", "王", "小明", "wangxiaoming", "wxm", "xiaoming", "wang"} <= terms
    assert query_terms("  Wang  XIAO-ming ") == ["wang", "xiao", "ming"]
    assert to_pinyin("王小明") == "wang xiao ming"
    assert {"smith", "john"} <= name_terms("Smith", "John")


# ------------------------------------------------------------- updates and deletions --
def test_search_after_update_finds_new_name_only(store):
    res, saved = patients.register(store, PatientInput("王", "小明", gender="male"))
    assert found(store, "wangxiaoming") == [res["id"]]
    data = PatientInput("李", "建国", gender="male", record_id=res["id"])
    _new, saved2 = patients.update(store, data, expect_version=saved.version)
    assert saved2.version == 2
    assert found(store, "李建国") == [res["id"]]
    assert found(store, "lijianguo") == [res["id"]]
    for old in ("王小明", "wangxiaoming", "wxm", "小明"):
        assert found(store, old) == [], old
    assert store.get("Patient", res["id"])["name"][0]["text"] == "李建国"


def test_editing_a_loaded_patient_refreshes_the_derived_pinyin(store):
    # The edit screen loads a patient with from_fhir, changes the characters and saves.
    res, saved = patients.register(store, PatientInput("王", "小明", gender="male"))
    data = PatientInput.from_fhir(patients.get(store, res["id"]))
    data.family, data.given = "李", "建国"
    new, _ = patients.update(store, data, expect_version=saved.version)
    assert latin_name(new) == "Li Jianguo"
    assert found(store, "wangxiaoming") == []
    assert found(store, "lijianguo") == [res["id"]]


def test_update_with_stale_version_is_refused_and_search_unchanged(store):
    from local_store.errors import StoreError

    res, saved = patients.register(store, PatientInput("张", "伟"))
    patients.update(
        store,
        PatientInput("张", "伟", phone="13912345678", record_id=res["id"]),
        expect_version=saved.version,
    )
    with pytest.raises(StoreError):
        patients.update(
            store, PatientInput("赵", "六", record_id=res["id"]), expect_version=saved.version
        )
    assert found(store, "zhangwei") == [res["id"]]
    assert found(store, "赵六") == []


def test_deleted_patient_is_no_longer_found(store):
    keep, _ = patients.register(store, PatientInput("王", "芳"))
    gone, _ = patients.register(store, PatientInput("王", "小明"))
    assert set(found(store, "王")) == {keep["id"], gone["id"]}
    store.delete("Patient", gone["id"])
    assert found(store, "王") == [keep["id"]]
    assert found(store, "wangxiaoming") == []
    assert found(store, "wxm") == []
