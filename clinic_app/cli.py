"""The ``clinic-app`` command: profile set-up, demo data, import/export, backup, audit.

Errors print one line a person understands, with a stable code in brackets, and exit with the
status of their class (``ClinicError.exit_status``: a full disk, a damaged database, a wrong
passphrase each have their own); ``--debug`` shows tracebacks.
GUI commands (added with the workstation) import ``ui`` lazily: the one arrow up from the core.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from clinic_app import __version__, config
from clinic_app.clinic import Clinic
from clinic_app.errors import ClinicError, ValidationError

log = logging.getLogger(__name__)


class UsageError(ClinicError):
    """The command line itself is wrong."""

    code = "USAGE"
    exit_status = 2


class NoWindow(ClinicError):
    """The window cannot open here: no display, or system libraries Qt needs are missing."""

    code = "NO_DISPLAY"
    exit_status = 8


def _secret(setting: str, prompt: str, confirm: bool = False) -> str:
    value = config.setting(setting)
    if value:
        return value
    if not sys.stdin.isatty():
        env = config.SETTINGS[setting].env
        raise UsageError(f"No terminal to ask for it: set {env}.")
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat: ") != value:
        raise UsageError("The two entries differ; nothing was changed.")
    return value


def _user(args: argparse.Namespace, profile: Path) -> str:
    user = args.user or config.setting("user")
    if user:
        return str(user)
    users = Clinic.users(profile)
    if len(users) == 1:
        return users[0]
    raise UsageError("This workstation has several users: pass --user NAME.")


def _profile(args: argparse.Namespace) -> Path:
    return Path(args.profile).expanduser() if args.profile else config.default_profile()


def _open(args: argparse.Namespace) -> Clinic:
    profile = _profile(args)
    Clinic.users(profile)  # a missing key file is named (never "run init" beside records)
    user = _user(args, profile)
    clinic = Clinic.open(profile, user, _secret("passphrase", f"Passphrase for {user}: "))
    clinic.patients.reindex_if_needed()
    return clinic


def cmd_init(args: argparse.Namespace) -> int:
    profile = _profile(args)
    user = args.user or config.setting("user") or "doctor"
    passphrase = _secret("passphrase", f"New passphrase for {user}: ", confirm=True)
    clinic, recovery = Clinic.create(profile, user, passphrase, set_aside=args.set_aside)
    clinic.close()
    print(f"Profile created at {profile} for user {user}.")
    print("Recovery key (write it down and keep it safe; it is shown only this once):")
    print(f"  {recovery}")
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from clinic_app import demo_data

    if args.patients < 1 or args.patients > 200_000:
        raise UsageError("--patients must be between 1 and 200000.")
    with _open(args) as clinic:
        summary = demo_data.generate(clinic, args.patients, seed=args.seed, years=args.years)
        demo_data.add_showcase(clinic)
    print(f"Added {summary.patients} patients ({summary.records} records).")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with _open(args) as clinic:
        counts = clinic.profile.import_fhir(Path(args.file), update=args.update).value
    if not counts:
        print("Nothing new to import: every record in the file is already here.")
    else:
        print("Imported " + ", ".join(f"{n} {t}" for t, n in sorted(counts.items())) + ".")
    return 0


def _parse_day(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(field, f"--{field} takes a date as YYYY-MM-DD.") from None


def cmd_export(args: argparse.Namespace) -> int:
    from clinic_app.exchange import tables

    out = Path(args.out)
    if not out.parent.exists():
        raise UsageError("The folder for --out does not exist.")
    query = tables.Query(
        since=_parse_day(args.since, "since"),
        until=_parse_day(args.until, "until"),
        vital=args.vital,
        abnormal_only=args.abnormal_only,
    )
    query.validate()
    with _open(args) as clinic:
        if args.format == "fhir":
            n = clinic.profile.export_fhir(out, args.type or None)
            print(f"Exported {n} FHIR resources to {out}.")
        elif args.format == "csv":
            n = clinic.profile.export_csv(out, args.table or "patients", query, args.lang)
            print(f"Exported {n} rows to {out}.")
        else:
            chosen = tuple(args.table.split(",")) if args.table else tables.TABLES
            counts = clinic.profile.export_xlsx(out, chosen, query, args.lang)
            print(f"Exported {sum(counts.values())} rows in {len(counts)} sheets to {out}.")
    print("The exported file is not encrypted: keep it on this PC or an encrypted drive.")
    return 0


def _query_json(text: str) -> str:
    """``--json``: the query itself, or ``@FILE`` holding it."""
    if text.startswith("@"):
        return Path(text[1:]).read_text(encoding="utf-8")
    return text


def cmd_query(args: argparse.Namespace) -> int:
    """Saved queries: list, save, delete, run (and export the patients found)."""
    if args.action in ("save", "delete") and not args.name:
        raise UsageError(f"query {args.action} needs the query's NAME.")
    if args.action == "save" and not args.json:
        raise UsageError("query save needs --json SPEC (or --json @FILE).")
    if args.action == "run":
        if bool(args.name) == bool(args.json):
            raise UsageError("query run takes a saved query's NAME or --json SPEC (one of them).")
        if not args.out or not args.format:
            raise UsageError("query run needs --format csv|xlsx|txt and --out PATH.")
        if not Path(args.out).parent.exists():
            raise UsageError("The folder for --out does not exist.")
    with _open(args) as clinic:
        if args.action == "list":
            for name in clinic.queries.names():
                print(name)
        elif args.action == "save":
            clinic.queries.save(args.name, _query_json(args.json))
            print(f"Saved the query {args.name}.")
        elif args.action == "delete":
            clinic.queries.delete(args.name)
            print(f"Deleted the query {args.name}.")
        else:
            result = clinic.queries.run(args.name or _query_json(args.json))
            n = clinic.queries.export(result, Path(args.out), args.format, args.lang)
            print(f"{n} patients found; written to {args.out}.")
            print("The exported file is not encrypted: keep it on this PC or an encrypted drive.")
    return 0


REGISTER_WORDS = {
    "en": {"hypertension": "Hypertension register (ICD-10 I10-I15)",
           "diabetes": "Type 2 diabetes register (ICD-10 E11)", "on": "on",
           "patients": "patients", "overdue": "overdue for follow-up",
           "due": "follow-up due within 14 days", "uncontrolled": "not controlled",
           "month": "Month", "followed": "Followed up (90 days)", "follow_rate": "Follow-up rate",
           "controlled": "Controlled", "control_rate": "Control rate"},
    "zh_CN": {"hypertension": "高血压登记（ICD-10 I10–I15）",
              "diabetes": "2型糖尿病登记（ICD-10 E11）", "on": "日期",
              "patients": "管理人数", "overdue": "随访逾期", "due": "14天内应随访",
              "uncontrolled": "未控制", "month": "月份", "followed": "90天内随访",
              "follow_rate": "随访率", "controlled": "已控制", "control_rate": "控制率"},
}  # fmt: skip
EXPORT_SUFFIXES = {".xlsx": "xlsx", ".csv": "csv", ".txt": "txt"}


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def cmd_registers(args: argparse.Namespace) -> int:
    """A chronic-disease register: the summary (patients, overdue, due, not controlled and the
    monthly rates) on stdout, and its patients (with the monthly rates) exported."""
    lang = "zh_CN" if args.lang.startswith("zh") else "en"
    today = _parse_day(args.today, "today") or date.today()
    out = Path(args.export) if args.export else None
    if out is not None:
        if out.suffix.lower() not in EXPORT_SUFFIXES:
            raise UsageError("--export takes a file ending in .xlsx, .csv or .txt.")
        if not out.parent.exists():
            raise UsageError("The folder for --export does not exist.")
    with _open(args) as clinic:
        summary = clinic.registers.summary(args.register, today)
        w = REGISTER_WORDS[lang]
        print(f"{w[args.register]}, {w['on']} {today.isoformat()}")
        print(f"  {w['patients']}: {len(summary.entries)}")
        print(f"  {w['overdue']}: {len(summary.overdue)}")
        print(f"  {w['due']}: {len(summary.due)}")
        print(f"  {w['uncontrolled']}: {len(summary.uncontrolled)}")
        heads = [w["month"], w["patients"], w["followed"], w["follow_rate"], w["controlled"],
                 w["control_rate"]]  # fmt: skip
        print("\t".join(heads))
        for m in summary.months:
            print("\t".join([m.month, str(m.patients), str(m.followed),
                             _percent(m.follow_up_rate), str(m.controlled),
                             _percent(m.control_rate)]))  # fmt: skip
        if out is not None:
            fmt = EXPORT_SUFFIXES[out.suffix.lower()]
            n = clinic.registers.export(out, fmt, lang, today, register=args.register)
            print(f"{n} rows written to {out}.")
            print("The exported file is not encrypted: keep it on this PC or an encrypted drive.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    with _open(args) as clinic:
        result = clinic.profile.write_backup(
            Path(args.out) if args.out else clinic.profile.folder.parent,
            skip_damaged=args.skip_damaged,
        )
    if result.left_out:
        print(
            f"warning: {len(result.left_out)} attachments were left out of the backup"
            f" ({result.left_out_tally}); run `clinic-app check` for details.",
            file=sys.stderr,
        )
    print(f"Encrypted backup written to {result.path} and verified.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from clinic_app.domains.profile import Profile

    profile = _profile(args)

    def credentials(users: list[str]) -> tuple[str, str]:
        user = args.user or config.setting("user") or (users[0] if len(users) == 1 else None)
        if not user:
            raise UsageError("This workstation has several users: pass --user NAME.")
        return str(user), _secret("passphrase", f"Passphrase for {user}: ")

    report = Profile.check_folder(profile, credentials, full=args.full)
    print(f"Checked {profile} ({'full' if args.full else 'quick'} check):")
    for line in report.lines():
        print(f"  {line}")
    if report.ok:
        print(report.verdict())
        return 0
    code = report.fault.code if report.fault else "DAMAGED"
    print(f"error: {report.verdict()} [{code}]", file=sys.stderr)
    return report.exit_status


def cmd_backups(args: argparse.Namespace) -> int:
    """Automatic backups for cron or a scheduled task: `set` the folder and schedule, `run` one
    (written, verified, old ones rotated), `status` (exit 1 when a warning is due)."""
    changes = {
        name: value
        for name, value in (
            ("target", args.target), ("interval_hours", args.every),
            ("keep_daily", args.keep_daily), ("keep_weekly", args.keep_weekly),
            ("warn_after_days", args.warn_after),
        )
        if value is not None
    }  # fmt: skip
    if args.action != "set" and changes:
        raise UsageError("Settings are changed with `clinic-app backups set`.")
    clinic = _open(args)
    try:
        backups = clinic.backups
        if args.action == "set":
            plan = backups.configure(**changes)
            where = plan.target or "(none: automatic backups are off)"
            print(f"Backup folder {where}; every {plan.interval_hours} h; keep"
                  f" {plan.keep_daily} daily and {plan.keep_weekly} weekly; warn after"
                  f" {plan.warn_after_days} days.")  # fmt: skip
            return 0
        if args.action == "run":
            if args.if_due and not backups.due():
                print("A backup is not due: " + backups.status().message())
                return 0
            result = backups.run()
            print(f"Encrypted backup written to {result.path} and verified"
                  f" ({result.verified.records} records, {result.verified.attachments}"
                  f" attachments, {result.seconds:.1f} s).")  # fmt: skip
            if result.removed:
                print(f"Removed {len(result.removed)} older backups (rotation).")
            for note in result.notes:
                print(f"warning: {note}", file=sys.stderr)
            return 0
        status = backups.status()
        print(("warning: " if status.warning else "") + status.message())
        if status.same_disk and status.target_state == "ok":
            print("note: the backup folder is on the same disk as the records.")
        return 1 if status.warning else 0
    finally:
        clinic.close()


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore over anything, a damaged or refused profile included: it is never opened, only
    moved aside to a dated folder, and the report says what was kept and what is missing."""
    from clinic_app.domains.profile import Profile

    profile = _profile(args)
    user = args.user or config.setting("user")
    if not user:
        users = Profile.backup_users(Path(args.file))
        if len(users) != 1:
            raise UsageError("Pass --user NAME: the user whose passphrase opens the backup.")
        user = users[0]
    passphrase = _secret("passphrase", f"Passphrase for {user}: ")
    report = Profile.restore(Path(args.file), profile, str(user), passphrase,
                             replace=args.replace)  # fmt: skip
    for line in report.lines():
        print(line)
    return 0


def _damaged_credentials(args: argparse.Namespace) -> tuple[Path, str, str]:
    """The damaged profile, its user and passphrase (it is not opened: it may not open)."""
    profile = _profile(args)
    user = args.user or config.setting("user")
    if not user:
        try:
            users = Clinic.users(profile)
        except ClinicError:
            users = []
        if len(users) != 1:
            raise UsageError("Pass --user NAME: the user whose passphrase opens the profile.")
        user = users[0]
    return profile, str(user), _secret("passphrase", f"Passphrase for {user}: ")


def cmd_salvage(args: argparse.Namespace) -> int:
    from clinic_app.domains.profile import Profile

    profile, user, passphrase = _damaged_credentials(args)
    report = Profile.salvage(profile, Path(args.out), user, passphrase)
    for line in report.lines():
        print(line)
    if not report.complete:  # the last line of the report says what was lost
        print(f"error: {report.verdict()} [SALVAGE_INCOMPLETE]", file=sys.stderr)
    return report.exit_status


def cmd_rebuild(args: argparse.Namespace) -> int:
    from clinic_app.domains.profile import Profile

    profile, user, passphrase = _damaged_credentials(args)
    report = _run_async(Profile.rebuild(profile, Path(args.out), user, passphrase,
                                        server=args.server, code=args.code))  # fmt: skip
    for line in report.lines():
        print(line)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    with _open(args) as clinic:
        report = clinic.profile.verify_audit()
    if report.ok:
        print(f"Audit log verified: {report.entries} entries, chain intact.")
        return 0
    print(
        f"Audit log FAILED at entry {report.first_bad_seq}: {report.reason}.",
        file=sys.stderr,
    )
    return 1


def cmd_passwd(args: argparse.Namespace) -> int:
    with _open(args) as clinic:
        old = _secret("passphrase", "Current passphrase: ")
        new = _secret("new_passphrase", "New passphrase: ", confirm=True)
        clinic.profile.change_passphrase(old, new)
    print("Passphrase changed.")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    profile = _profile(args)
    user = _user(args, profile)
    key = _secret("recovery_key", "Recovery key: ")
    Clinic.check_recovery_key(profile, key)  # refuse a wrong key first
    new = _secret("new_passphrase", f"New passphrase for {user}: ", confirm=True)
    Clinic.recover(profile, key, user, new).close()
    print(f"New passphrase set for {user}.")
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    with _open(args) as clinic:
        if args.action == "add":
            new = _secret("new_passphrase", f"Passphrase for {args.name}: ", confirm=True)
            clinic.profile.add_user(args.name, new)
            print(f"User {args.name} added.")
        else:
            clinic.profile.remove_user(args.name)
            print(f"User {args.name} removed.")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    with _open(args) as clinic:
        profile = clinic.profile
        counts = profile.counts()
        print(f"Profile {profile.folder} (schema {profile.schema}), user {profile.user}")
        for line in profile.health():
            print(line)
        for rtype, n in counts.items():
            print(f"  {rtype:<24} {n:>8}")
        print(f"  {'changes waiting to sync':<24} {profile.pending_count():>8}")
    return 0


def _run_async(coro: Any) -> Any:
    import asyncio

    return asyncio.run(coro)


def cmd_enroll(args: argparse.Namespace) -> int:
    from clinic_app.sync.account import SyncAccount
    from clinic_app.sync.client import CentralClient

    with _open(args) as clinic:

        async def go() -> dict[str, Any]:
            async with CentralClient(args.server, ca_file=args.ca) as client:
                result: dict[str, Any] = await client.enroll(args.code, args.device_name)
                return result

        info = _run_async(go())
        account = SyncAccount(
            server=args.server,
            token=str(info["token"]),
            kind="device",
            subject_id=str(info["device_id"]),
            clinic_id=str(info["clinic_id"]),
            ca_file=args.ca,
            **SyncAccount.token_fields(info),
        )
        clinic.sync.save_account(account)
    print(f"Enrolled as a workstation of {info.get('clinic_name', info['clinic_id'])}.")
    return 0


def cmd_login(args: argparse.Namespace) -> int:
    from clinic_app.sync.account import SyncAccount
    from clinic_app.sync.client import CentralClient

    with _open(args) as clinic:
        password = _secret("central_password", f"Central platform password for {args.username}: ")

        async def go() -> dict[str, Any]:
            async with CentralClient(args.server, ca_file=args.ca) as client:
                result: dict[str, Any] = await client.login(args.username, password)
                return result

        info = _run_async(go())
        account = SyncAccount(
            server=args.server,
            token=str(info["token"]),
            kind="user",
            subject_id=str(info["user_id"]),
            role=str(info.get("role")),
            specialties=list(info.get("specialties") or []),
            ca_file=args.ca,
            **SyncAccount.token_fields(info),
        )
        clinic.sync.save_account(account)
    print(f"Signed in to the central platform as {args.username} ({info.get('role')}).")
    return 0


def _engine(clinic: Clinic) -> Any:
    return clinic.sync.engine()  # for the saved account; renews and saves its tokens


def _print_status(status: Any) -> None:
    state = {True: "online", False: "offline", None: "not tried"}[status.online]
    print(f"Link: {state}")
    print(f"Sent this run: {status.pushed}   received: {status.pulled}")
    print(f"Waiting to send: {status.pending}   in error: {status.errors}"
          f"   conflicts to resolve: {status.conflicts}")  # fmt: skip
    print(f"Last success: {_local_time(status.last_success) if status.last_success else 'never'}")
    if status.last_error:
        print(f"Last error: {status.last_error}")
    for rtype, rid, reason in status.error_reasons:
        print(f"  error: {rtype}/{rid}: {reason}")


def progress_line(status: Any) -> str:
    """'Receiving 1,200 of 21,294 · 850/s · about 24 s left' (English; the GUI translates)."""
    verb = {"sending": "Sending", "receiving": "Receiving"}.get(status.phase, "Syncing")
    line = f"{verb} {status.records_done:,} of {status.records_total:,}"
    if status.rate > 0:
        line += f" · {status.rate:,.0f}/s"
    if status.eta_seconds is not None and status.records_done < status.records_total:
        line += f" · about {_duration(status.eta_seconds)} left"
    return line


def _duration(seconds: float) -> str:
    whole = max(1, round(seconds))
    return f"{whole} s" if whole < 90 else f"{round(whole / 60)} min"


class _ProgressPrinter:
    """Prints sync progress on stderr: one updating line on a terminal, else a line every
    few seconds (logs of a scheduled run stay short)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.shown = ""
        self.open_line = False  # a terminal line printed without its newline yet

    def __call__(self, status: Any) -> None:
        import time

        if not status.syncing or not status.phase or status.records_total <= 0:
            return
        now = time.monotonic()
        finished = status.records_done >= status.records_total
        if not finished and now - self.last < (0.2 if self.tty else 5.0):
            return
        line = progress_line(status)
        if line == self.shown:
            return
        self.last, self.shown = now, line
        if self.tty:
            print("\r\033[K" + line, end="", file=sys.stderr, flush=True)
            self.open_line = True
        else:
            print(line, file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.open_line:
            print(file=sys.stderr, flush=True)
            self.open_line = False


def _local_time(iso: str) -> str:
    from datetime import datetime

    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def cmd_sync(args: argparse.Namespace) -> int:
    clinic = _open(args)
    try:
        engine = _engine(clinic)
        printer = _ProgressPrinter()
        if args.once:
            engine.subscribe(printer)
        try:
            if args.retry_errors:
                n = engine.ledger.retry_errors()
                print(f"{n} changes in error put back in the queue.")
            status = _run_async(engine.sync_once() if args.once else engine.refresh_counts())
        finally:
            printer.done()
            engine.close()
        _print_status(status)
    finally:
        clinic.close()
    if args.once and status.online is False:
        return 4
    return 1 if args.once and status.last_error else 0


def cmd_conflicts(args: argparse.Namespace) -> int:
    clinic = _open(args)
    try:
        if args.action == "list":
            items = clinic.sync.conflicts()
            if not items:
                print("No conflicts to resolve.")
            for c in items:
                print(f"#{c.id}  {c.rtype}/{c.record_id}  fields: {', '.join(c.fields)}"
                      f"  ({c.created_at})")  # fmt: skip
            return 0
        if args.id is None:
            raise UsageError("Give the conflict number (see `clinic-app conflicts list`).")
        if args.action == "show":
            for line in clinic.sync.describe_conflict(args.id):
                print(line)
            return 0
        choices = {}
        for item in args.field or []:
            name, _, side = item.partition("=")
            if side not in ("local", "remote"):
                raise UsageError("--field takes NAME=local or NAME=remote.")
            choices[name] = side
        clinic.sync.resolve(args.id, take=args.take, choices=choices)
        print(f"Conflict #{args.id} resolved; the result will be sent on the next sync.")
    finally:
        clinic.close()
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    from ui.app import main as gui_main  # the one lazy arrow up from the core to the UI
    from ui.platform_libs import DisplayProblem, check_display, check_libraries

    profile = _profile(args)
    Clinic.users(profile)  # a missing or damaged key file is named before Qt starts
    try:  # one line instead of Qt's abort when the window cannot open
        check_display()
        check_libraries()
    except DisplayProblem as exc:
        raise NoWindow(str(exc)) from None
    return gui_main(profile, getattr(args, "lang", None))


def cmd_screenshot(args: argparse.Namespace) -> int:
    from ui.screenshots import run as render

    languages = (args.lang,) if args.lang else ("en", "zh_CN")
    written = render(Path(args.out), languages)
    print(f"Wrote {len(written)} screenshots to {args.out}.")
    return 0


def _common_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """--profile, --user and --debug: accepted before and after the command."""
    flag_default = default if default is argparse.SUPPRESS else False
    parser.add_argument("--profile", default=default,
                        help="profile folder (default: CLINIC_PROFILE or per user)")  # fmt: skip
    parser.add_argument("--user", default=default,
                        help="user name to unlock with (default: CLINIC_USER)")  # fmt: skip
    parser.add_argument("--debug", action="store_true", default=flag_default,
                        help="show tracebacks and debug logs")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clinic-app", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"clinic-app {__version__}")
    _common_options(p, None)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    # The same options after the command (`clinic-app init --user dr.li`): SUPPRESS keeps a
    # subcommand from overwriting what was given before it.
    common = argparse.ArgumentParser(add_help=False)
    _common_options(common, argparse.SUPPRESS)

    def add(
        name: str, fn: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, parents=[common])
        sp.set_defaults(func=fn)
        return sp

    sp = add("init", cmd_init, "create a new encrypted profile")
    sp.add_argument(
        "--set-aside", action="store_true",
        help="a record database without key file is in the folder: keep it renamed, start anew",
    )  # fmt: skip
    sp = add("demo-data", cmd_demo_data, "add realistic synthetic patients")
    sp.add_argument("--patients", type=int, default=100)
    sp.add_argument("--seed", type=int, default=2026)
    sp.add_argument("--years", type=int, default=5, choices=range(1, 21), metavar="1..20")
    sp = add("import", cmd_import, "import a FHIR Bundle or NDJSON file (all or nothing)")
    sp.add_argument("file")
    sp.add_argument("--update", action="store_true", help="replace records that differ here")
    sp = add("export", cmd_export, "export records (FHIR) or report tables (CSV, Excel)")
    sp.add_argument("--format", required=True, choices=("fhir", "csv", "xlsx"))
    sp.add_argument("--out", required=True)
    sp.add_argument("--type", action="append", help="FHIR: resource type(s) to export")
    sp.add_argument("--table", help="csv: one of patients,visits,vitals,consults,prescriptions;"
                    " xlsx: a comma-separated list (default all)")  # fmt: skip
    sp.add_argument("--since", help="only from this date (YYYY-MM-DD)")
    sp.add_argument("--until", help="only up to this date (YYYY-MM-DD)")
    sp.add_argument("--vital", help="vitals table: only this measure (e.g. systolic)")
    sp.add_argument("--abnormal-only", action="store_true", help="vitals: only flagged values")
    sp.add_argument(
        "--lang",
        default="en",
        choices=("en", "zh_CN"),
        help="column headings, coded values and sheet names",
    )
    sp = add("query", cmd_query, "saved queries: list, save, delete, run and export")
    sp.add_argument("action", choices=("list", "save", "delete", "run"))
    sp.add_argument("name", nargs="?", help="the saved query's name")
    sp.add_argument("--json", help="the query as JSON (or @FILE): save, or run unsaved")
    sp.add_argument("--format", choices=("csv", "xlsx", "txt"), help="run: file format")
    sp.add_argument("--out", help="run: the file to write")
    sp.add_argument("--lang", default="en", choices=("en", "zh_CN"),
                    help="run: column headings and coded values")  # fmt: skip
    sp = add(
        "registers",
        cmd_registers,
        "a chronic-disease register: summary, monthly rates and its patients exported",
    )
    sp.add_argument("register", choices=("hypertension", "diabetes"))
    sp.add_argument(
        "--export",
        metavar="PATH",
        help="write the register's patients and monthly rates (.xlsx, .csv, .txt)",
    )
    sp.add_argument(
        "--lang",
        default="en",
        choices=("en", "zh", "zh_CN"),
        help="summary words, column headings and coded values",
    )
    sp.add_argument("--today", help="the day the register is worked out for (YYYY-MM-DD)")
    sp = add("backup", cmd_backup, "write an encrypted, verified backup (SQLite backup API)")
    sp.add_argument("--out", help="file or folder (default: next to the profile)")
    sp.add_argument("--skip-damaged", action="store_true",
                    help="leave damaged or missing attachments out (with a warning)")  # fmt: skip
    sp = add("check", cmd_check, "check the database, its log, the key file and attachments")
    sp.add_argument("--full", action="store_true",
                    help="integrity_check and the audit chain instead of quick_check")  # fmt: skip
    sp = add("backups", cmd_backups, "automatic backups: set the folder, run one, status")
    sp.add_argument("action", choices=("run", "status", "set"))
    sp.add_argument("--if-due", action="store_true", help="run: only when one is due (cron)")
    sp.add_argument("--target", help="set: backup folder (another disk, stick or share);"
                    " empty turns automatic backups off")  # fmt: skip
    sp.add_argument("--every", type=int, help="set: hours between backups")
    sp.add_argument("--keep-daily", type=int, help="set: daily backups to keep")
    sp.add_argument("--keep-weekly", type=int, help="set: weekly backups to keep")
    sp.add_argument("--warn-after", type=int, help="set: warn when the newest is older (days)")
    sp = add("restore", cmd_restore, "restore an encrypted backup into the profile folder")
    sp.add_argument("file")
    sp.add_argument("--replace", action="store_true", help="replace an existing profile")
    sp = add("salvage", cmd_salvage, "copy every readable record of a damaged profile anew")
    sp.add_argument("--out", required=True, help="new (empty) folder for the salvaged profile")
    sp = add("rebuild", cmd_rebuild, "rebuild a damaged profile from the central platform")
    sp.add_argument("--out", required=True, help="new (empty) folder for the rebuilt profile")
    sp.add_argument("--server", help="central platform URL (default: the saved account's)")
    sp.add_argument("--code", help="one-time enrollment code from the administrator")
    sp = add("audit", cmd_audit, "check the audit log")
    sp.add_argument("action", choices=("verify",))
    add("passwd", cmd_passwd, "change your passphrase (rewraps your key slot only)")
    add("recover", cmd_recover, "set a new passphrase with the recovery key")
    sp = add("user", cmd_user, "add or remove a user of this workstation")
    sp.add_argument("action", choices=("add", "remove"))
    sp.add_argument("name")
    add("info", cmd_info, "what the profile holds")
    sp = add("gui", cmd_gui, "open the workstation (the default without a command)")
    sp.add_argument("--lang", choices=("en", "zh_CN"), help="language of the interface")
    sp = add("screenshot", cmd_screenshot, "render every screen with demo data to PNG")
    sp.add_argument("--out", required=True, help="folder for the PNG files")
    sp.add_argument("--lang", choices=("en", "zh_CN"), help="one language (default: both)")
    sp = add("enroll", cmd_enroll, "connect this clinic workstation with a one-time code")
    sp.add_argument("--server", required=True, help="central platform URL")
    sp.add_argument("--code", required=True, help="one-time enrollment code")
    sp.add_argument("--device-name", default="clinic workstation")
    sp.add_argument("--ca", help="CA certificate file for a self-signed server")
    sp = add("login", cmd_login, "connect a specialist's desk with the central account")
    sp.add_argument("--server", required=True)
    sp.add_argument("--username", required=True)
    sp.add_argument("--ca", help="CA certificate file for a self-signed server")
    sp = add("sync", cmd_sync, "sync with the central platform (or show the sync state)")
    sp.add_argument("--once", action="store_true", help="run one full cycle now")
    sp.add_argument("--retry-errors", action="store_true", help="re-queue changes in error")
    sp = add("conflicts", cmd_conflicts, "list, show and resolve sync conflicts")
    sp.add_argument("action", choices=("list", "show", "resolve"), nargs="?", default="list")
    sp.add_argument("id", type=int, nargs="?")
    sp.add_argument("--take", choices=("local", "remote"), help="keep one side entirely")
    sp.add_argument("--field", action="append", help="per field: NAME=local|remote")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        args.func = cmd_gui
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("Interrupted; nothing more was changed.", file=sys.stderr)
        return 130
    except ValidationError as exc:
        if args.debug:
            raise
        print(f"error: {exc.field}: {exc}", file=sys.stderr)
        return 2
    except ClinicError as exc:
        if args.debug:
            raise
        print(f"error: {exc} [{exc.code}]", file=sys.stderr)
        return exc.exit_status
    except OSError as exc:  # a file the command itself reads or writes (an export, an import)
        if args.debug:
            raise
        folder = Path(exc.filename).parent if exc.filename else Path.cwd()
        named = Clinic.file_fault(
            exc, folder, doing=f"running `{args.command}`", outcome="No file was left behind."
        )
        print(f"error: {named} [{named.code}]", file=sys.stderr)
        return named.exit_status
    except Exception as exc:
        if args.debug:
            raise
        log.debug("unexpected failure", exc_info=True)
        print(
            f"error: unexpected failure ({type(exc).__name__}); run with --debug for details.",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
