"""`make demo`: build (once) a demo profile with synthetic patients, start a central platform
on loopback (embedded SQLite) with a demo clinic and a cardiology specialist, enroll the demo
workstation with it, print what the profile holds, and open the workstation signed in.

Run as ``python -m clinic_app.demo --profile DIR`` with CLINIC_PASSPHRASE set; ``--no-gui``
stops after the summary. Without a display (or without the libraries the window needs) one line
says so and how to fix it.

The central platform is a child process that ends with the demo however the demo ends: window
closed, Ctrl-C, SIGTERM, or a crash (Linux: the kernel's parent-death signal).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from clinic_app import config
from clinic_app.clinic import Clinic
from clinic_app.demo_data import generate
from clinic_app.errors import ClinicError
from clinic_app.records.patient import display_name, latin_name, resident_id_of
from clinic_app.records.vitals import VITALS, flag_of

DEMO_USER = "demo.doctor"


def run(profile: Path, count: int) -> None:
    passphrase = config.setting("passphrase")
    if not passphrase:
        raise ClinicError("Set CLINIC_PASSPHRASE for the demo profile.")
    if not Clinic.exists(profile):
        clinic, recovery = Clinic.create(profile, DEMO_USER, passphrase)
        print(f"Created demo profile at {profile}")
        print(f"Recovery key (shown once): {recovery}")
        summary = generate(clinic, count)
        print(f"Generated {summary.patients} patients, {summary.records} records.")
    else:
        clinic = Clinic.open(profile, DEMO_USER, passphrase)
    with clinic:
        clinic.patients.reindex_if_needed()
        print(f"\nProfile {profile} · schema {clinic.profile.schema} · user {clinic.user}")
        for rtype, n in clinic.profile.counts().items():
            print(f"  {rtype:<24}{n:>8}")
        print(f"  {'changes waiting to sync':<24}{clinic.profile.pending_count():>8}")
        print("\nSearch 'wang' (pinyin prefix):")
        found = clinic.patients.search("wang", limit=5)
        for p in found:
            print(f"  {display_name(p):<8} {latin_name(p):<18} {p.get('birthDate', '')}"
                  f"  {resident_id_of(p) or '-'}")  # fmt: skip
        if found:
            chart = clinic.patients.chart(found[0]["id"])
            print(f"\nChart of {display_name(chart.patient)}: "
                  f"{len(chart.of('Encounter'))} visits, "
                  f"{len(chart.active('Condition'))} active conditions")  # fmt: skip
            for key in ("systolic", "diastolic", "glucose_mmol"):
                series = chart.vitals(key)[-6:]
                if series:
                    values = "  ".join(
                        f"{o['valueQuantity']['value']}{'*' if flag_of(o) else ''}" for o in series
                    )
                    print(f"  {VITALS[key].display:<38} {values}  ({VITALS[key].unit_label})")
        due = clinic.followups.due(date.today())
        print(f"\nFollow-ups due or overdue: {len(due)}")
        intact, entries = clinic.profile.audit_intact()
        print(f"Audit chain: {'intact' if intact else 'BROKEN'} ({entries} entries)")
        print(f"Database integrity: {', '.join(clinic.profile.integrity())}")


SPECIALIST = ("dr.heart", "demo-specialist-2026")


def _central_cli(db: str, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "central.cli", *args, "--db", db],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise ClinicError(done.stderr.strip() or "clinic-central failed")
    return done.stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def check_port(port: int) -> None:
    """A chosen port (0: any) that another program holds is said in one line."""
    if port and _port_taken(port):
        raise ClinicError(
            f"Port {port} on 127.0.0.1 is in use by another program: stop it, or choose "
            "another port (make demo DEMO_PORT=N; 0 takes any free port)."
        )


def _end_with_parent() -> None:
    """In the child, before exec: SIGTERM when the demo process dies, however it dies."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))


def child(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """A helper process of the demo that cannot outlive it."""
    parent = os.getpid()

    def prepare() -> None:
        _end_with_parent()
        if os.getppid() != parent:  # the demo died before the line above took effect
            os._exit(1)

    return subprocess.Popen(argv, preexec_fn=prepare, **kwargs)


def start_central(folder: Path, port: int = 0) -> tuple[subprocess.Popen[bytes], str, str]:
    """A central platform on loopback over an embedded SQLite file; returns (process, url,
    clinic id). The demo clinic and the specialist are created on first use, the formulary
    imported. ``port`` 0 takes any free port."""
    folder.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{folder / 'central.db'}"
    marker = folder / "clinic-id"
    if not marker.exists():
        clinic = _central_cli(db, "clinic", "add", "示范卫生院 Demo Clinic")
        _central_cli(db, "user", "add", SPECIALIST[0], "--role", "specialist",
                     "--specialty", "cardiology",
                     env={"CLINIC_CENTRAL_PASSWORD": SPECIALIST[1]})  # fmt: skip
        marker.write_text(clinic)
    clinic = marker.read_text().strip()
    # What an administrator runs once: the packaged starter formulary becomes the platform's
    # (synced to the clinic; idempotent, and an entry retired since stays retired).
    _central_cli(db, "formulary", "import")
    check_port(port)
    port = port or _free_port()
    log = open(folder / "central.log", "ab")  # noqa: SIM115 - handed to the child process
    proc = child(
        [sys.executable, "-m", "central.cli", "serve", "--db", db, "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ClinicError(
                f"The demo central platform stopped at start; see {folder}/central.log."
            )
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2):
                return proc, url, clinic
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise ClinicError("The demo central platform did not start; see .demo/central/central.log.")


def enrollment_code(db_folder: Path, clinic: str) -> str:
    """A one-time code for the demo workstation (the administrator's `device enroll`)."""
    return _central_cli(f"sqlite:///{db_folder / 'central.db'}", "device", "enroll",
                        "--clinic", clinic)  # fmt: skip


def connect(profile: Path, url: str, db_folder: Path, clinic: str, code: str | None = None) -> None:
    """Enroll the demo workstation (first time: with ``code`` when one was made ahead) or
    point it at the central's new port."""
    import asyncio

    with Clinic.open(profile, DEMO_USER, config.setting("passphrase")) as workstation:
        account = workstation.sync.account()
        if account is None:
            code = code or enrollment_code(db_folder, clinic)
            asyncio.run(workstation.sync.enroll(url, code, "demo workstation"))
        else:
            account.server = url
            workstation.sync.save_account(account)


def specialist_desk(folder: Path, url: str) -> Path:
    """A second profile signed in as the demo specialist (for a call between two windows)."""
    import asyncio

    profile = folder / "specialist"
    passphrase = config.setting("passphrase")
    if Clinic.exists(profile):
        desk = Clinic.open(profile, SPECIALIST[0], passphrase)
    else:
        desk, _recovery = Clinic.create(profile, SPECIALIST[0], passphrase)
    with desk:
        asyncio.run(desk.sync.login(url, *SPECIALIST))
    return profile


class Background:
    """``fn(*args)`` on a daemon thread (a Ctrl-C of the demo does not wait for it: the store
    is crash-safe); ``result()`` waits and raises what it raised."""

    def __init__(self, fn: Any, *args: Any) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, *args), daemon=True)
        self._thread.start()

    def _run(self, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except BaseException as exc:  # handed to the waiting thread
            self._error = exc

    def wait(self) -> None:
        while self._thread.is_alive():
            self._thread.join(0.2)  # short waits: Ctrl-C stays responsive

    def result(self) -> None:
        self.wait()
        if self._error is not None:
            raise self._error


def main() -> int:
    parser = argparse.ArgumentParser(description="Build the demo and open the workstation.")
    parser.add_argument("--profile", default=".demo/profile")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--no-gui", action="store_true", help="print the summary only")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("DEMO_PORT") or 0),
        help="the central platform's port on 127.0.0.1 (0: any free port)",
    )
    parser.add_argument(
        "--with-specialist",
        action="store_true",
        help="also open the specialist's desk in a second window (try a call)",
    )
    args = parser.parse_args()
    profile = Path(args.profile)
    central_dir = profile.parent / "central"
    proc = None
    desk: subprocess.Popen[bytes] | None = None
    try:
        # The demo records are made while the central platform starts (two processes, two
        # cores): its processes are started here, on the main thread, because a child's
        # PDEATHSIG follows the thread that started it.
        check_port(args.port)  # before anything is made
        fresh = not Clinic.exists(profile)
        making = Background(run, profile, args.patients)
        try:
            proc, url, clinic = start_central(central_dir, args.port)
            code = enrollment_code(central_dir, clinic) if fresh else None
        except ClinicError:
            making.wait()  # a whole demo profile for the next try, then say what failed
            raise
        making.result()
        connect(profile, url, central_dir, clinic, code)
        print(f"\nCentral platform running at {url} (SQLite in {central_dir}).")
        print(f"Specialist account for a second workstation: {SPECIALIST[0]} / {SPECIALIST[1]}")
        if args.no_gui:
            return 0
        from clinic_app import cli  # its gui command says in one line why a window cannot open

        if args.with_specialist:
            desk_profile = specialist_desk(profile.parent, url)
            desk = child(
                [sys.executable, "-m", "clinic_app.cli", "--profile", str(desk_profile), "gui"],
                env={**os.environ, "CLINIC_USER": SPECIALIST[0]},
            )
        os.environ.setdefault("CLINIC_USER", DEMO_USER)
        return cli.main(["--profile", str(profile), "gui"])
    except ClinicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if desk is not None:
            desk.terminate()
            desk.wait(10)
        if proc is not None:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
