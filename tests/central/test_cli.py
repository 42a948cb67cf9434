"""The clinic-central command line (in-process for speed, and as a real subprocess for the
one-line-error contract)."""

from __future__ import annotations

import re
import time

import pytest

from central import accounts, cli
from central.db import Database, sql
from tests.support.central_proc import run_cli

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def query(db_url: str, text: str, params: dict | None = None) -> list[tuple]:
    db = Database(db_url, pool_size=1)
    try:
        return db.read_sync(lambda c: c.all(sql(text), params or {}))
    finally:
        db.close()


def test_clinic_device_user_epoch(capsys, monkeypatch, db_url):
    code, clinic, _ = run(capsys, "clinic", "add", "Hill Clinic", "--db", db_url)
    assert code == 0 and UUID.match(clinic)
    code, listing, _ = run(capsys, "clinic", "list", "--db", db_url)
    assert listing == f"{clinic}\tHill Clinic"

    code, enroll_code, _ = run(
        capsys, "device", "enroll", "--clinic", clinic, "--db", db_url, "--ttl-hours", "2"
    )
    assert code == 0 and re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", enroll_code)
    rows = query(db_url, "SELECT code_hash, expires_at FROM enrollment_codes")
    assert rows[0][0] == accounts.digest(accounts.normalize_code(enroll_code))
    assert 7100 < rows[0][1] - time.time() <= 7200

    monkeypatch.setenv("CLINIC_CENTRAL_PASSWORD", "a good long password")
    code, user_id, _ = run(
        capsys,
        "user",
        "add",
        "dr.heart",
        "--role",
        "specialist",
        "--specialty",
        "cardiology",
        "--specialty",
        "neurology",
        "--db",
        db_url,
    )
    assert code == 0 and UUID.match(user_id)
    role, specs, pw_hash = query(db_url, "SELECT role, specialties, password_hash FROM users")[0]
    assert role == "specialist" and "cardiology" in specs and pw_hash.startswith("$argon2id$")
    code, _, _ = run(
        capsys, "user", "add", "dr.li", "--role", "clinician", "--clinic", clinic, "--db", db_url
    )
    assert code == 0

    (epoch_before,) = query(db_url, "SELECT value FROM meta WHERE key = 'epoch'")[0]
    code, epoch, _ = run(capsys, "epoch", "bump", "--db", db_url)
    assert code == 0 and epoch != epoch_before and re.fullmatch(r"[0-9a-f]{32}", epoch)


def test_device_revoke(capsys, db_url):
    db = Database(db_url, pool_size=1)
    try:
        from central import schema

        schema.ensure(db)
        clinic = db.write_sync(lambda c: accounts.create_clinic(c, "C"))
        code, _ = db.write_sync(lambda c: accounts.create_enrollment_code(c, clinic, 1))
        dev = db.write_sync(lambda c: accounts.enroll(c, code, "PC", 3600, 3600))
    finally:
        db.close()
    rc, out, _ = run(capsys, "device", "list", "--db", db_url)
    assert "active" in out
    rc, out, _ = run(capsys, "device", "revoke", dev["device_id"], "--db", db_url)
    assert rc == 0 and dev["device_id"] in out
    assert query(db_url, "SELECT revoked_at FROM tokens")[0][0] is not None
    rc, out, err = run(capsys, "device", "revoke", "no-such-device", "--db", db_url)
    assert rc == 1 and err == "clinic-central: There is no device with that id."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["device", "enroll", "--clinic", "nope"], "There is no clinic with that id."),
        (["user", "add", "dr.x", "--role", "specialist"], "A specialist needs at least one"),
        (
            ["user", "add", "dr.x", "--role", "specialist", "--specialty", "astrology"],
            "Unknown specialty",
        ),
        (["user", "add", "dr.x", "--role", "clinician"], "A clinician belongs to a clinic"),
    ],
)
def test_errors_are_one_line(capsys, monkeypatch, db_url, args, message):
    monkeypatch.setenv("CLINIC_CENTRAL_PASSWORD", "a good long password")
    rc, out, err = run(capsys, *args, "--db", db_url)
    assert rc == 1 and out == ""
    assert err.startswith(f"clinic-central: {message}") and "\n" not in err


def test_short_password_is_refused(capsys, monkeypatch, db_url):
    monkeypatch.setenv("CLINIC_CENTRAL_PASSWORD", "short")
    rc, _, err = run(capsys, "user", "add", "dr.x", "--role", "admin", "--db", db_url)
    assert rc == 1 and "password" in err


def test_dev_cert(capsys, tmp_path):
    from cryptography import x509

    rc, _out, _ = run(capsys, "dev-cert", "--out", str(tmp_path / "tls"))
    assert rc == 0
    cert = x509.load_pem_x509_certificate((tmp_path / "tls" / "cert.pem").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert (tmp_path / "tls" / "key.pem").stat().st_mode & 0o077 == 0


def test_subprocess_errors_have_no_traceback_unless_debug(db_url, tmp_path):
    proc = run_cli("device", "enroll", "--clinic", "nope", db=db_url, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "clinic-central: There is no clinic with that id."
    debug = run_cli("--debug", "device", "enroll", "--clinic", "nope", db=db_url, check=False)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_subprocess_bad_database_urls(tmp_path):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-dir").mkdir()
    for url, words in [
        ("mysql://x/y", "must start with sqlite:/// or postgresql://"),
        ("postgresql://postgres@127.0.0.1:1/nothing", "Cannot connect to PostgreSQL"),
        (f"sqlite:///{tmp_path}/a-file/x.db", "Cannot create the folder"),
        (f"sqlite:///{tmp_path}/a-dir", "Cannot open the SQLite database"),
    ]:
        proc = run_cli("clinic", "list", db=url, check=False)
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("clinic-central: ") and words in lines[0]
    proc = run_cli("clinic", "list", check=False, env={"CLINIC_CENTRAL_DB": ""})
    assert proc.returncode == 1 and "--db" in proc.stderr


def test_user_add_without_password_or_terminal(tmp_path):
    url = f"sqlite:///{tmp_path}/c.db"
    proc = run_cli(
        "user",
        "add",
        "dr.x",
        "--role",
        "admin",
        db=url,
        check=False,
        env={"CLINIC_CENTRAL_PASSWORD": ""},
    )
    # An empty variable is a password that is too short; an unset one asks for a terminal.
    assert proc.returncode == 1 and "password" in proc.stderr.lower()


def test_usage_errors_are_one_line():
    proc = run_cli("user", "add", "x", "--role", "emperor", check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("clinic-central: ")
