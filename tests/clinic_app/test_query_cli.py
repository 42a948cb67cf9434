"""``clinic-app query``: save a query by name, list it, run it to TXT/Excel/CSV (the same
patients as worked out from the records), run an unsaved one from a file, delete it; mistakes
are one line on stderr. ``export --since/--vital/--abnormal-only`` keeps working beside it."""

from __future__ import annotations

import contextlib
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
