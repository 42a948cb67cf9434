"""``clinic-app query``: save a query by name, list it, run it to TXT/Excel/CSV (the same
patients as worked out from the records), run an unsaved one from a file, delete it; mistakes
are one line on stderr. ``export --since/--vital/--abnormal-only`` keeps working beside it."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook

from clinic_app import demo_data
from clinic_app.cli import main
from clinic_app.clinic import Clinic
from local_store.store import Store
from tests.support.registers_expect import NAME, SPEC, all_records, expected_ids

USER, PASS = "dr.cli", "query-cli-passphrase-1"


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    path = tmp_path_factory.mktemp("qcli") / "profile"
    clinic, _ = Clinic.create(path, USER, PASS)
    with clinic:
        demo_data.generate(clinic, 40, seed=7)
    return path


def cli(profile, *argv):
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLINIC_PASSPHRASE", PASS)
        mp.delenv("CLINIC_USER", raising=False)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["--profile", str(profile), *map(str, argv)])
            except SystemExit as exc:
                code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_query_save_list_run_delete(profile, tmp_path):
    store = Store.unlock(profile, USER, PASS)
    try:
        want = expected_ids(all_records(store), date.today())
    finally:
        store.lock()
    assert want

    code, out, err = cli(profile, "query", "save", NAME, "--json", json.dumps(SPEC))
    assert code == 0, err
    assert cli(profile, "query", "list")[1].splitlines() == [NAME]

    txt = tmp_path / "found.txt"
    code, out, err = cli(profile, "query", "run", NAME, "--format", "txt", "--out", txt,
                         "--lang", "zh_CN")  # fmt: skip
    assert code == 0, err
    assert out.startswith(f"{len(want)} patients found")
    lines = txt.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("患者编号\t姓名\t性别")
    assert {line.split("\t")[0] for line in lines[1:]} == want

    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SPEC), encoding="utf-8")
    xlsx = tmp_path / "found.xlsx"
    code, _, err = cli(profile, "query", "run", "--json", f"@{spec_file}", "--format", "xlsx",
                       "--out", xlsx)  # fmt: skip
    assert code == 0, err
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == want

    assert cli(profile, "query", "delete", NAME)[0] == 0
    assert cli(profile, "query", "list")[1] == ""


def test_query_mistakes_are_one_line(profile, tmp_path):
    bad = json.dumps({"match": "all", "conditions": [{"kind": "vital", "vital": "bp",
                                                      "op": ">", "value": 1}]})  # fmt: skip
    code, _, err = cli(profile, "query", "run", "--json", bad, "--format", "csv",
                       "--out", tmp_path / "x.csv")  # fmt: skip
    assert code == 2 and err.startswith("error: conditions[0].vital: Choose one of")
    assert len(err.splitlines()) == 1 and not (tmp_path / "x.csv").exists()
    code, _, err = cli(profile, "query", "run", "nothing-saved", "--format", "txt",
                       "--out", tmp_path / "y.txt")  # fmt: skip
    assert code != 0 and len(err.splitlines()) == 1 and "No saved query" in err
    code, _, err = cli(profile, "query", "run", "--format", "txt", "--out", tmp_path / "z.txt")
    assert code == 2 and "NAME or --json" in err


def test_export_with_filters_still_works(profile, tmp_path):
    out = tmp_path / "vitals.csv"
    code, _, err = cli(profile, "export", "--format", "csv", "--table", "vitals", "--out", out,
                       "--vital", "systolic", "--abnormal-only",
                       "--since", "2000-01-01")  # fmt: skip
    assert code == 0, err
    rows = out.read_text(encoding="utf-8-sig").splitlines()[1:]
    assert rows and all(",Systolic blood pressure," in r for r in rows)


@pytest.fixture(scope="module")
def demo_profile(tmp_path_factory):
    """A demo profile as `clinic-app demo-data` makes it (with the showcase's HbA1c)."""
    path = tmp_path_factory.mktemp("rcli") / "profile"
    clinic, _ = Clinic.create(path, USER, PASS)
    with clinic:
        demo_data.generate(clinic, 80, seed=11)
        demo_data.add_showcase(clinic)
    return path


def test_registers_cli_prints_the_summary_and_exports_the_patients(demo_profile, tmp_path):
    from tests.support.registers_expect import diabetes_expectation

    today = date.today()
    store = Store.unlock(demo_profile, USER, PASS)
    try:
        records = list(store.iter_records(["Condition", "Observation", "Encounter", "Task"]))
    finally:
        store.lock()
    want = diabetes_expectation(records, today)
    assert want and {c for _f, c in want.values()} >= {"controlled", "uncontrolled"}
    overdue = sum(1 for f, _c in want.values() if f == "overdue")
    due = sum(1 for f, _c in want.values() if f == "due")
    uncontrolled = sum(1 for _f, c in want.values() if c == "uncontrolled")
    controlled = sum(1 for _f, c in want.values() if c == "controlled")

    out_csv = tmp_path / "dm.csv"
    code, out, err = cli(demo_profile, "registers", "diabetes", "--export", out_csv,
                         "--today", today.isoformat())  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"Type 2 diabetes register (ICD-10 E11), on {today.isoformat()}"
    assert lines[1:5] == [f"  patients: {len(want)}", f"  overdue for follow-up: {overdue}",
                          f"  follow-up due within 14 days: {due}",
                          f"  not controlled: {uncontrolled}"]  # fmt: skip
    this_month = next(x for x in lines if x.startswith(today.strftime("%Y-%m") + "\t"))
    _month, patients, followed, _rate, ok, _crate = this_month.split("\t")
    assert (int(patients), int(followed), int(ok)) == (len(want), len(want) - overdue, controlled)
    rows = list(csv.reader(out_csv.read_text(encoding="utf-8-sig").splitlines()))
    head = rows[0]
    assert head[:3] == ["Register", "Patient id", "Name"] and "Last HbA1c (%)" in head
    entries = rows[1 : rows.index([])]
    got = {r[1]: (r[head.index("Follow-up")], r[head.index("Control")]) for r in entries}
    words = {"ok": "on time", "due": "due", "overdue": "overdue", "controlled": "controlled",
             "uncontrolled": "not controlled", "unknown": "no reading"}  # fmt: skip
    assert got == {pid: (words[f], words[c]) for pid, (f, c) in want.items()}
    assert f"{len(entries) + 12} rows written to {out_csv}." in out

    # Chinese words and a tab-separated export; Excel has its two sheets.
    txt = tmp_path / "htn.txt"
    code, out, err = cli(demo_profile, "registers", "hypertension", "--lang", "zh",
                         "--export", txt)  # fmt: skip
    assert code == 0, err
    assert out.startswith("高血压登记（ICD-10 I10–I15）")
    assert txt.read_text(encoding="utf-8").splitlines()[0].startswith("登记册\t患者编号\t姓名")
    xlsx = tmp_path / "dm.xlsx"
    assert cli(demo_profile, "registers", "diabetes", "--export", xlsx)[0] == 0
    book = load_workbook(xlsx)
    assert book.sheetnames == ["Registers", "Monthly rates"]
    assert {r[1] for r in list(book["Registers"].iter_rows(values_only=True))[1:]} == set(want)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("registers", "diabetes", "--export", "x.pdf"), "--export takes a file ending in"),
        (("registers", "diabetes", "--today", "2024-13-01"), "--today takes a date"),
        (("registers", "asthma"), "invalid choice"),
    ],
)
def test_registers_cli_mistakes_are_one_line(demo_profile, tmp_path, argv, says):
    code, _out, err = cli(demo_profile, *argv)
    assert code == 2 and says in err and "Traceback" not in err
