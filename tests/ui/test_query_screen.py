"""The query screen with real widgets over a real encrypted demo profile: the issue's query
(hypertension, last systolic >= 140, no follow-up in 90 days) built in the builder, saved by
name, run again from the saved list, shows exactly the patients worked out from the raw records
and exports them to TXT and Excel; a nested "any" group built with the buttons runs too."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook

from clinic_app import demo_data
from tests.support.registers_expect import NAME, SPEC, all_records, expected_ids
from ui.query_screen import ConditionRow, GroupBox, QueryScreen


def test_build_save_rerun_and_export(ui, qtbot, tmp_path):
    clinic = ui.session.clinic
    ui.call(demo_data.generate, clinic, 40)
    want = ui.call(lambda: expected_ids(all_records(ui.store), date.today()))
    assert want
    screen = QueryScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1200, 760)
    screen.show()
    assert screen.builder.to_json() == SPEC  # the builder opens on the query
    screen.builder.set_json({"match": "all", "conditions": []})
    first = screen.builder.add({"kind": "diagnosis", "code": ""})
    assert isinstance(first, ConditionRow)
    qtbot.keyClicks(first.value, "I10")
    vital = screen.builder.add({"kind": "vital"})
    assert isinstance(vital, ConditionRow)
    vital.field.setCurrentIndex(vital.field.findData("systolic"))
    vital.op.setCurrentIndex(vital.op.findData(">="))
    vital.value.setText("140")
    follow = screen.builder.add({"kind": "followup"})
    assert isinstance(follow, ConditionRow)
    assert follow.days.isVisibleTo(follow) and not follow.value.isVisibleTo(follow)
    follow.days.setValue(90)
    follow.negate.setChecked(True)
    assert screen.builder.to_json() == SPEC

    screen.name.setText(NAME)
    assert ui.run(screen.save())
    assert screen.names == [NAME]
    assert ui.run(screen.run())
    shown = {screen.result.rows[n].patient_id for n in range(screen.table.rowCount())}
    assert shown == want
    assert screen.count.text() == f"{len(want)} patient(s) found"

    screen.builder.set_json({"match": "all", "conditions": [{"kind": "diagnosis", "code": "Z"}]})
    assert ui.run(screen.run()) and screen.table.rowCount() == 0
    screen.saved.setCurrentRow(0)
    assert ui.run(screen.run_saved())
    assert screen.builder.to_json() == SPEC
    assert {r.patient_id for r in screen.result.rows} == want

    assert ui.run(screen.export_to(tmp_path / "found.txt")) == len(want)
    lines = (tmp_path / "found.txt").read_text(encoding="utf-8").splitlines()
    assert {line.split("\t")[0] for line in lines[1:]} == want
    assert ui.run(screen.export_to(tmp_path / "found.xlsx")) == len(want)
    rows = list(load_workbook(tmp_path / "found.xlsx").active.iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == want


def test_nested_group_from_the_buttons(ui, qtbot):
    clinic = ui.session.clinic
    ui.call(demo_data.generate, clinic, 25)
    screen = QueryScreen(ui.session)
    qtbot.addWidget(screen)
    screen.show()
    screen.builder.set_json({"match": "all", "conditions": [{"kind": "diagnosis",
                                                             "code": "I10"}]})  # fmt: skip
    screen.builder.add_group.click()
    group = screen.builder.items[-1]
    assert isinstance(group, GroupBox) and group.nested and not group.add_group.isVisibleTo(group)
    row = group.items[0]
    assert isinstance(row, ConditionRow)
    row.kind.setCurrentIndex(row.kind.findData("form"))
    row.field.setCurrentIndex(row.field.findData("follow-up:adherence"))
    assert row.choice.isVisibleTo(row) and not row.value.isVisibleTo(row)
    row.choice.setCurrentIndex(row.choice.findData(False))
    group.add_condition.click()
    age = group.items[1]
    assert isinstance(age, ConditionRow)
    age.kind.setCurrentIndex(age.kind.findData("patient"))
    age.field.setCurrentIndex(age.field.findData("age"))
    age.op.setCurrentIndex(age.op.findData(">="))
    age.value.setText("70")
    spec = screen.builder.to_json()
    assert spec["conditions"][1] == {"match": "any", "conditions": [
        {"kind": "form", "form": "follow-up", "field": "adherence", "op": "=", "value": False,
         "which": "latest"},
        {"kind": "patient", "field": "age", "op": ">=", "value": 70}]}  # fmt: skip
    assert ui.run(screen.run())
    direct = ui.call(clinic.queries.run, spec)
    assert [r.patient_id for r in screen.result.rows] == [r.patient_id for r in direct.rows]
    assert len(direct.rows) > 0
