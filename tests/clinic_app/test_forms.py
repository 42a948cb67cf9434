"""Visit forms: versioned Questionnaires and the QuestionnaireResponses built from answers."""

from __future__ import annotations

from datetime import datetime

import pytest
from fhir.resources.R4B import get_fhir_model_class

from clinic_app.errors import ValidationError
from clinic_app.records import forms

WHEN = datetime(2025, 5, 6, 10, 0).astimezone()


def build(form, answers):
    return forms.build_response(
        form, answers, patient_id="p1", encounter_id="e1", authored=WHEN, author="Dr"
    )


@pytest.mark.parametrize("name", forms.FORM_KINDS)
def test_both_definitions_load_as_valid_questionnaires(name):
    form = forms.definition(name)
    assert form.version == "1"
    assert forms.definition(name, "1") is form
    assert form.url.endswith(f"/Questionnaire/{name}")
    assert form.canonical == f"{form.url}|1"
    assert forms.definition_for(form.canonical) is form
    assert form.items and any(i.required for i in form.items)
    get_fhir_model_class("Questionnaire").model_validate(form.questionnaire)


def test_unknown_form_and_version_are_refused():
    with pytest.raises(ValidationError) as err:
        forms.definition("discharge")
    assert err.value.field == "form"
    with pytest.raises(ValidationError):
        forms.definition("initial-visit", "99")
    with pytest.raises(ValidationError):
        forms.definition_for("https://example.org/Questionnaire/initial-visit|1")


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("initial-visit", "chief_complaint"),
        ("initial-visit", "history_present"),
        ("initial-visit", "assessment"),
        ("initial-visit", "plan"),
        ("follow-up", "progress"),
        ("follow-up", "plan"),
    ],
)
def test_missing_required_answer_names_its_link_id(b, name, missing):
    answers = dict(b.INITIAL_ANSWERS if name == "initial-visit" else b.FOLLOW_UP_ANSWERS)
    answers[missing] = "   " if missing != "progress" else None
    with pytest.raises(ValidationError) as err:
        build(forms.definition(name), answers)
    assert err.value.field == missing
    del answers[missing]
    with pytest.raises(ValidationError) as err:
        build(forms.definition(name), answers)
    assert err.value.field == missing


def test_unknown_link_id_is_rejected(b):
    answers = dict(b.INITIAL_ANSWERS, blood_type="A")
    with pytest.raises(ValidationError) as err:
        build(forms.definition("initial-visit"), answers)
    assert err.value.field == "blood_type"


@pytest.mark.parametrize(
    ("name", "link_id", "value"),
    [
        ("initial-visit", "smoking", "sometimes"),
        ("initial-visit", "smoking", True),
        ("initial-visit", "pregnant", "yes"),
        ("initial-visit", "pregnant", 1),
        ("initial-visit", "chief_complaint", "头" * 201),
        ("follow-up", "home_readings", "three"),
        ("follow-up", "home_readings", "2.5"),
        ("follow-up", "home_readings", -1),
        ("follow-up", "home_readings", True),
        ("follow-up", "adherence", "no"),
        ("follow-up", "progress", "better"),
    ],
)
def test_wrong_types_are_rejected_naming_the_question(b, name, link_id, value):
    answers = dict(b.INITIAL_ANSWERS if name == "initial-visit" else b.FOLLOW_UP_ANSWERS)
    answers[link_id] = value
    with pytest.raises(ValidationError) as err:
        build(forms.definition(name), answers)
    assert err.value.field == link_id


def test_response_names_url_and_version_and_validates(b):
    form = forms.definition("initial-visit")
    answers = dict(b.INITIAL_ANSWERS, smoking="former", pregnant=False, family_history="")
    resp = build(form, answers)
    assert resp["questionnaire"] == f"{form.url}|{form.version}"
    assert resp["questionnaire"] == (
        "https://fhir.clinic-workstation.cn/Questionnaire/initial-visit|1"
    )
    assert resp["status"] == "completed"
    assert resp["subject"] == {"reference": "Patient/p1"}
    assert resp["encounter"] == {"reference": "Encounter/e1"}
    link_ids = [i["linkId"] for i in resp["item"]]
    assert "family_history" not in link_ids, "blank optional answers are left out"
    assert link_ids == [i.link_id for i in form.items if i.link_id in link_ids], "form order"
    smoking = next(i for i in resp["item"] if i["linkId"] == "smoking")
    assert smoking["answer"] == [{"valueCoding": {"code": "former", "display": "Former"}}]
    get_fhir_model_class("QuestionnaireResponse").model_validate(resp)


@pytest.mark.parametrize(
    ("name", "answers"),
    [
        (
            "initial-visit",
            {
                "chief_complaint": "  咳嗽两周 ",
                "history_present": "夜间加重",
                "past_history": "无",
                "smoking": "current",
                "alcohol": "none",
                "pregnant": False,
                "exam": "双肺呼吸音粗",
                "assessment": "支气管炎",
                "plan": "对症治疗",
            },
        ),
        (
            "follow-up",
            {
                "progress": "worse",
                "adherence": False,
                "side_effects": "头痛",
                "home_readings": 0,
                "notes": "n",
                "plan": "加量",
            },
        ),
        ("follow-up", {"progress": "unchanged", "home_readings": "12", "plan": "继续"}),
    ],
)
def test_answers_of_round_trip(name, answers):
    resp = build(forms.definition(name), answers)
    expected = {
        k: (v.strip() if isinstance(v, str) and k != "home_readings" else v)
        for k, v in answers.items()
    }
    if "home_readings" in expected:
        expected["home_readings"] = int(expected["home_readings"])
    assert forms.answers_of(resp) == expected
    assert forms.answers_of(build(forms.definition(name), forms.answers_of(resp))) == expected
