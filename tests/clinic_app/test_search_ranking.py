"""Search puts the best match first: exact name, name prefix, full pinyin, initials, contains."""

from __future__ import annotations

import pytest

from clinic_app.records.patient import PatientInput, display_name
from clinic_app.services import patients


@pytest.fixture(scope="module")
def store(tmp_path_factory, b):
    made = b.new_store(tmp_path_factory.mktemp("ranking") / "profile")
    for family, given, phone in [
        ("方", "旺", "13900000001"),  # given name reads wang: "contains"
        ("黄", "王", "13900000002"),  # second syllable wang
        ("汪", "洋", "13900000003"),  # surname reads wang
        ("王", "芳", "13812345678"),  # surname reads wang
        ("王", "", None),  # the name is just 王
        ("王", "小明", None),
    ]:
        patients.register(made, PatientInput(family, given, phone=phone or ""))
    yield made
    made.lock()


def names(store, query: str) -> list[str]:
    return [display_name(p) for p in patients.search(store, query)]


def test_pinyin_full_ranks_before_a_later_syllable(store):
    found = names(store, "wang")
    assert found.index("王芳") < found.index("方旺")
    assert found.index("汪洋") < found.index("方旺")
    assert found.index("汪洋") < found.index("黄王")
    assert found[-2:] == ["方旺", "黄王"] or found[-2:] == ["黄王", "方旺"]


def test_exact_pinyin_before_pinyin_prefix(store):
    assert names(store, "wangfang")[0] == "王芳"
    assert names(store, "wang fang")[0] == "王芳"


def test_exact_name_then_name_prefix_then_contains(store):
    found = names(store, "王")
    assert found[0] == "王"
    assert set(found[1:3]) == {"王芳", "王小明"}
    assert found[-1] == "黄王"


def test_initials_rank_after_full_pinyin(store):
    found = names(store, "wy")
    assert found[0] == "汪洋"


def test_match_rank_levels():
    wang_fang = PatientInput("王", "芳", phone="13812345678").to_fhir()
    fang_wang = PatientInput("方", "旺").to_fhir()
    assert patients.match_rank(wang_fang, "王芳") == patients.EXACT_NAME
    assert patients.match_rank(wang_fang, "13812345678") == patients.EXACT_NAME
    assert patients.match_rank(wang_fang, "王") == patients.NAME_PREFIX
    assert patients.match_rank(wang_fang, "wangfang") == patients.PINYIN_FULL
    assert patients.match_rank(wang_fang, "wangf") == patients.PINYIN_PREFIX
    assert patients.match_rank(wang_fang, "wf") == patients.PINYIN_INITIALS
    assert patients.match_rank(fang_wang, "wang") == patients.CONTAINS


def test_full_phone_still_finds_one_patient(store):
    assert names(store, "13812345678") == ["王芳"]
