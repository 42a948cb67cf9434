"""The ``clinic-app`` command line, in-process through ``main(argv)`` and as a real process.

Errors must be one line on stderr that a person understands, a non-zero exit status and no
traceback; automation passes secrets in environment variables.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from clinic_app.cli import main
from clinic_app.exchange import tables
from local_store.errors import WrongPassphrase
from local_store.store import Store

REPO = Path(__file__).resolve().parents[2]
WRONG_PASSPHRASE = WrongPassphrase.exit_status
PASS = "cli-passphrase-1"
NEW_PASS = "cli-passphrase-2-new"
CLINIC_VARS = (
    "CLINIC_PROFILE",
    "CLINIC_USER",
    "CLINIC_PASSPHRASE",
    "CLINIC_NEW_PASSPHRASE",
    "CLINIC_RECOVERY_KEY",
)


def run(argv, env=None):
    """main(argv) with exactly the CLINIC_* variables given; (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name in CLINIC_VARS:
            mp.delenv(name, raising=False)
        for name, value in (env or {}).items():
            mp.setenv(name, value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in argv])
            except SystemExit as exc:  # argparse
                code = exc.code
    return code, out.getvalue(), err.getvalue()


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    assert "Traceback" not in err
    assert lines[0].startswith("error: ")
    return lines[0]


def recovery_key_of(init_output: str) -> str:
    lines = init_output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Recovery key"))
    return lines[at + 1].strip()


def state_of(profile: Path, user: str = "doctor", passphrase: str = PASS):
    store = Store.unlock(profile, user, passphrase)
    try:
        return store.counts(), store.pending_count()
    finally:
        store.lock()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A profile made by `init` and filled by `demo-data --patients 20` (read-mostly)."""
    folder = tmp_path_factory.mktemp("cli")
    profile = folder / "profile"
    code, out, err = run(["--profile", profile, "init"], {"CLINIC_PASSPHRASE": PASS})
    assert code == 0, err
    init_out = out
    code, out, err = run(
        ["--profile", profile, "demo-data", "--patients", 20, "--years", 2],
        {"CLINIC_PASSPHRASE": PASS},
    )
    assert code == 0, err
    assert out.startswith("Added 20 patients")
    return {"folder": folder, "profile": profile, "init_out": init_out}


def test_init_prints_a_recovery_key(demo):
    out = demo["init_out"]
    assert f"Profile created at {demo['profile']} for user doctor." in out
    key = recovery_key_of(out)
    groups = key.split("-")
    assert len(groups) == 13 and all(len(g) == 4 and g.isalnum() for g in groups)
    assert Store.users(demo["profile"]) == ["doctor"]
    # The key opens the profile.
    Store.unlock_recovery(demo["profile"], key).lock()


def test_init_refuses_an_existing_profile(demo):
    before = state_of(demo["profile"])
    code, _out, err = run(["--profile", demo["profile"], "init"], {"CLINIC_PASSPHRASE": "other-pw"})
    assert code == 1
    assert "exists" in one_error_line(err)
    assert state_of(demo["profile"]) == before


def test_info_lists_what_the_profile_holds(demo):
    code, out, err = run(["--profile", demo["profile"], "info"], {"CLINIC_PASSPHRASE": PASS})
    assert code == 0 and err == ""
    counts, pending = state_of(demo["profile"])
    lines = {ln.split()[0]: ln.split()[-1] for ln in out.splitlines()[1:]}
    assert lines["Patient"] == "20"
    for rtype, n in counts.items():
        assert lines[rtype] == str(n)
    assert out.splitlines()[-1].split()[-1] == str(pending)


def test_user_from_env_and_profile_from_env(demo):
    code, out, err = run(
        ["info"],
        {
            "CLINIC_PASSPHRASE": PASS,
            "CLINIC_USER": "doctor",
            "CLINIC_PROFILE": str(demo["profile"]),
        },
    )
    assert code == 0, err
    assert "user doctor" in out.splitlines()[0]


def test_export_fhir_csv_xlsx(demo, tmp_path):
    env = {"CLINIC_PASSPHRASE": PASS}
    counts, _ = state_of(demo["profile"])
    total = sum(counts.values())

    code, out, err = run(
        [
            "--profile",
            demo["profile"],
            "export",
            "--format",
            "fhir",
            "--out",
            tmp_path / "all.ndjson",
        ],
        env,
    )
    assert code == 0, err
    assert "not encrypted" in out
    lines = (tmp_path / "all.ndjson").read_text(encoding="utf-8").splitlines()
    kinds = [json.loads(line)["resourceType"] for line in lines]
    # the records, and the formulary Medications their prescriptions name (the demo's
    # showcase patient: amlodipine 5 -> 10 mg, clopidogrel taken elsewhere, omeprazole)
    medications = kinds.count("Medication")
    assert medications >= 3 and "MedicationStatement" in kinds
    assert len(lines) == total + medications
    assert f"Exported {total + medications} FHIR resources" in out

    code, out, err = run(
        [
            "--profile",
            demo["profile"],
            "export",
            "--format",
            "fhir",
            "--type",
            "Patient",
            "--out",
            tmp_path / "p.json",
        ],
        env,
    )
    assert code == 0, err
    doc = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert doc["resourceType"] == "Bundle" and len(doc["entry"]) == 20

    code, out, err = run(
        [
            "--profile",
            demo["profile"],
            "export",
            "--format",
            "csv",
            "--table",
            "vitals",
            "--vital",
            "systolic",
            "--lang",
            "zh_CN",
            "--out",
            tmp_path / "sbp.csv",
        ],
        env,
    )
    assert code == 0, err
    rows = (tmp_path / "sbp.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].split(",") == tables.HEADERS["vitals"]["zh_CN"]
    assert len(rows) > 1 and all(",8480-6," in r for r in rows[1:])
    assert f"Exported {len(rows) - 1} rows" in out

    code, out, err = run(
        [
            "--profile",
            demo["profile"],
            "export",
            "--format",
            "xlsx",
            "--out",
            tmp_path / "all.xlsx",
        ],
        env,
    )
    assert code == 0, err
    wb = load_workbook(tmp_path / "all.xlsx", read_only=True)
    try:
        assert wb.sheetnames == list(tables.TABLES)
        assert len(list(wb["patients"].iter_rows(values_only=True))) == 21
    finally:
        wb.close()


def test_export_with_unknown_table_fails_and_writes_nothing(demo, tmp_path):
    code, _out, err = run(
        [
            "--profile",
            demo["profile"],
            "export",
            "--format",
            "csv",
            "--table",
            "lab_results",
            "--out",
            tmp_path / "x.csv",
        ],
        {"CLINIC_PASSPHRASE": PASS},
    )
    assert code != 0
    assert "table" in one_error_line(err)
    assert list(tmp_path.iterdir()) == []


def test_export_with_bad_date_fails_in_one_line(demo, tmp_path):
    code, _out, err = run(
        [
            "--profile",
            demo["profile"],
            "export",
            "--format",
            "csv",
            "--since",
            "2024-13-01",
            "--out",
            tmp_path / "x.csv",
        ],
        {"CLINIC_PASSPHRASE": PASS},
    )
    assert code != 0
    assert "YYYY-MM-DD" in one_error_line(err)
    assert list(tmp_path.iterdir()) == []


def test_backup_then_restore_into_a_new_profile(demo, tmp_path):
    env = {"CLINIC_PASSPHRASE": PASS}
    archive = tmp_path / "clinic.clinicbackup"
    code, out, err = run(["--profile", demo["profile"], "backup", "--out", archive], env)
    assert code == 0, err
    assert archive.exists() and str(archive) in out
    restored = tmp_path / "restored"
    code, out, err = run(["--profile", restored, "--user", "doctor", "restore", archive], env)
    assert code == 0, err
    assert f"Restored into {restored}" in out
    assert state_of(restored) == state_of(demo["profile"])
    code, out, err = run(["--profile", restored, "audit", "verify"], env)
    assert code == 0, err
    # Restoring over an existing profile needs --replace.
    code, out, err = run(["--profile", restored, "--user", "doctor", "restore", archive], env)
    assert code == 1
    assert "--replace" in one_error_line(err)


def test_audit_verify_exits_zero(demo):
    code, out, err = run(
        ["--profile", demo["profile"], "audit", "verify"], {"CLINIC_PASSPHRASE": PASS}
    )
    assert code == 0, err
    assert "chain intact" in out


def test_wrong_passphrase_is_one_line_and_its_own_status(demo):
    code, out, err = run(
        ["--profile", demo["profile"], "info"], {"CLINIC_PASSPHRASE": "not-the-passphrase"}
    )
    assert code == WRONG_PASSPHRASE
    assert out == ""
    assert "passphrase is wrong" in one_error_line(err)


def test_missing_profile_is_one_clear_line(tmp_path):
    missing = tmp_path / "nowhere"
    code, _out, err = run(["--profile", missing, "info"], {"CLINIC_PASSPHRASE": PASS})
    assert code == 1
    line = one_error_line(err)
    assert "No profile" in line and "init" in line
    assert not missing.exists()


def test_import_of_a_bad_file_fails_and_changes_nothing(demo, tmp_path):
    before = state_of(demo["profile"])
    bad = tmp_path / "bad.ndjson"
    bad.write_text(
        '{"resourceType":"Patient","id":"ok-1","name":[{"text":"李秘密"}]}\n'
        '{"resourceType":"Patient","id":"bad-1","birthDate":"1999-13-01"}\n',
        encoding="utf-8",
    )
    code, _out, err = run(
        ["--profile", demo["profile"], "import", bad], {"CLINIC_PASSPHRASE": PASS}
    )
    assert code != 0
    line = one_error_line(err)
    assert "李秘密" not in line and "1999-13-01" not in line
    assert state_of(demo["profile"]) == before


def test_import_of_a_good_file(tmp_path):
    profile = tmp_path / "p"
    env = {"CLINIC_PASSPHRASE": PASS}
    assert run(["--profile", profile, "--user", "dr.li", "init"], env)[0] == 0
    good = tmp_path / "good.ndjson"
    good.write_text(
        '{"resourceType":"Patient","id":"ok-1","gender":"female"}\n'
        '{"resourceType":"Patient","id":"ok-2","gender":"male"}\n'
    )
    code, out, err = run(["--profile", profile, "import", good], env)
    assert code == 0, err
    assert out.strip() == "Imported 2 Patient."
    assert state_of(profile, "dr.li")[0] == {"Patient": 2}


def test_demo_data_refuses_a_bad_count(tmp_path):
    code, _out, err = run(
        ["--profile", tmp_path / "p", "demo-data", "--patients", 0], {"CLINIC_PASSPHRASE": PASS}
    )
    assert code != 0
    assert "--patients" in one_error_line(err)


def test_passwd_then_old_passphrase_fails(tmp_path):
    profile = tmp_path / "p"
    assert run(["--profile", profile, "init"], {"CLINIC_PASSPHRASE": PASS})[0] == 0
    code, out, err = run(
        ["--profile", profile, "passwd"],
        {"CLINIC_PASSPHRASE": PASS, "CLINIC_NEW_PASSPHRASE": NEW_PASS},
    )
    assert code == 0, err
    assert "Passphrase changed" in out
    code, out, err = run(["--profile", profile, "info"], {"CLINIC_PASSPHRASE": PASS})
    assert code == WRONG_PASSPHRASE
    one_error_line(err)
    code, out, err = run(["--profile", profile, "info"], {"CLINIC_PASSPHRASE": NEW_PASS})
    assert code == 0, err


def test_recover_with_the_recovery_key(tmp_path):
    profile = tmp_path / "p"
    code, out, _ = run(["--profile", profile, "init"], {"CLINIC_PASSPHRASE": PASS})
    assert code == 0
    key = recovery_key_of(out)
    code, out, err = run(
        ["--profile", profile, "recover"],
        {"CLINIC_RECOVERY_KEY": key, "CLINIC_NEW_PASSPHRASE": NEW_PASS},
    )
    assert code == 0, err
    assert "New passphrase set for doctor" in out
    assert run(["--profile", profile, "info"], {"CLINIC_PASSPHRASE": NEW_PASS})[0] == 0
    code, _, err = run(["--profile", profile, "info"], {"CLINIC_PASSPHRASE": PASS})
    assert code == WRONG_PASSPHRASE
    one_error_line(err)
    # A wrong recovery key changes nothing.
    wrong = "-".join(["AAAA"] * 13)
    code, _, err = run(
        ["--profile", profile, "recover"],
        {"CLINIC_RECOVERY_KEY": wrong, "CLINIC_NEW_PASSPHRASE": "x-y-z-1234"},
    )
    assert code == WRONG_PASSPHRASE
    one_error_line(err)
    assert run(["--profile", profile, "info"], {"CLINIC_PASSPHRASE": NEW_PASS})[0] == 0


# ------------------------------------------------------------------ real processes --
def process_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def clinic_app(args, env, cwd):
    return subprocess.run(
        [sys.executable, "-m", "clinic_app.cli", *map(str, args)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_process_without_passphrase_or_tty_says_to_set_clinic_passphrase(demo, tmp_path):
    proc = clinic_app(["--profile", demo["profile"], "info"], process_env(), tmp_path)
    assert proc.returncode == 2  # a usage error, as argparse's
    line = one_error_line(proc.stderr)
    assert "CLINIC_PASSPHRASE" in line and line.endswith("[USAGE]")
    assert proc.stdout == ""


def test_process_init_info_and_wrong_passphrase(tmp_path):
    profile = tmp_path / "p"
    proc = clinic_app(["--profile", profile, "init"], process_env(CLINIC_PASSPHRASE=PASS), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert recovery_key_of(proc.stdout)
    proc = clinic_app(["--profile", profile, "info"], process_env(CLINIC_PASSPHRASE=PASS), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "changes waiting to sync" in proc.stdout
    proc = clinic_app(
        ["--profile", profile, "info"], process_env(CLINIC_PASSPHRASE="wrong!!"), tmp_path
    )
    assert proc.returncode == WRONG_PASSPHRASE
    assert "passphrase is wrong" in one_error_line(proc.stderr)


def test_installed_console_script_runs_from_any_folder(tmp_path):
    script = Path(sys.executable).parent / "clinic-app"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [str(script), "--version"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.strip() == "clinic-app 0.1.0"
