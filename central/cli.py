"""The ``clinic-central`` command line: run the server and administer accounts.

    clinic-central [--config FILE] COMMAND …            (FILE: TOML, or $CLINIC_CENTRAL_CONFIG)
    clinic-central serve --db sqlite:///PATH | postgresql://user@host:port/db
                         [--host 127.0.0.1] [--port 8700] [--tls-cert F --tls-key F]
                         [--min-client-version 0.1.0] [--update-url URL]
                         [--turn-url turn:HOST:3478?transport=udp --turn-secret-file F]
                         [--stun-url stun:HOST:3478]   (calls; env CLINIC_CENTRAL_TURN_URLS,
                         CLINIC_CENTRAL_TURN_SECRET[_FILE], CLINIC_CENTRAL_STUN_URLS)
    clinic-central dev-cert --out DIR
    clinic-central clinic add NAME --db URL            (prints the clinic id)
    clinic-central clinic list --db URL
    clinic-central device enroll --clinic ID --db URL [--ttl-hours 24]   (prints a one-time code)
    clinic-central device revoke DEVICE_ID --db URL    (its sessions end; open calls within seconds)
    clinic-central device list --db URL
    clinic-central user add USERNAME --role clinician|specialist|admin [--specialty X ...]
                         [--clinic ID] --db URL  (password: $CLINIC_CENTRAL_PASSWORD or a prompt)
    clinic-central user unlock USERNAME --db URL       (lift a sign-in lockout)
    clinic-central user disable|enable USERNAME --db URL   (disable: its sessions end at once)
    clinic-central user locked --db URL                (user names locked now)
    clinic-central audit list --db URL [--limit 50] [--account NAME]   (the sign-in audit)
    clinic-central epoch bump --db URL                 (after restoring the database from a backup)
    clinic-central formulary import [FILE] --db URL    (add/update medicines; no FILE: the
                                                        packaged starter list, run once to seed)
    clinic-central formulary add ID --atc C08CA01 --ingredient amlodipine --ingredient-zh 氨氯地平
                         --strength 5 --unit mg --form tablet --name-zh … --name-en … --db URL
    clinic-central formulary retire ID --db URL        (no longer offered; never deleted)
    clinic-central formulary list --db URL

Every setting comes from the command line, else the environment (``CLINIC_CENTRAL_DB``,
``CLINIC_CENTRAL_PORT``, …), else the configuration file, else its default (central/config.py
``OPTIONS``). Errors are one line on stderr and a non-zero exit status; ``--debug`` shows the
traceback.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import ssl
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from central import __version__, accounts, attachments, logins, schema
from central.config import (
    CONFIG_ENV,
    DB_ENV,
    STUN_URLS_ENV,
    TURN_SECRET_ENV,
    TURN_URLS_ENV,
    Settings,
    config_path,
    load_config_file,
    parse_version,
    read_secret_file,
    resolve,
    split_urls,
)
from central.db import Conn, Database, DatabaseError
from central.errors import ApiError, CommandError
from central.references import Base

T = TypeVar("T")
PASSWORD_ENV = "CLINIC_CENTRAL_PASSWORD"
__all__ = ["DB_ENV", "main"]


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are one line too (and exit status 2, as argparse does)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"clinic-central: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="clinic-central", description="The clinic workstation's central platform."
    )
    parser.add_argument("--version", action="version", version=f"clinic-central {__version__}")
    config_help = f"configuration file (TOML; default: ${CONFIG_ENV})"
    parser.add_argument("--config", type=Path, help=config_help)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--db",
            help=f"sqlite:///PATH or postgresql://… (default: ${DB_ENV}, then the config file)",
        )
        # Also accepted after the command; SUPPRESS keeps a --config given before it.
        p.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=config_help)
        return p

    serve = with_db(sub.add_parser("serve", help="run the server"))
    serve.add_argument("--host", help="default 127.0.0.1")
    serve.add_argument("--port", type=int, help="default 8700")
    serve.add_argument("--tls-cert", type=Path)
    serve.add_argument("--tls-key", type=Path)
    serve.add_argument(
        "--min-client-version", help=f"older workstations must update (default {__version__})"
    )
    serve.add_argument("--update-url", help="where outdated workstations get the update")
    serve.add_argument("--pool-size", type=int, help="database connections (default 8)")
    serve.add_argument(
        "--public-url", help="this server's public URL (absolute FHIR references under it)"
    )
    serve.add_argument(
        "--turn-url",
        action="append",
        default=[],
        help=f"TURN server for calls, e.g. turn:host:3478?transport=udp (repeatable; "
        f"default: ${TURN_URLS_ENV}, comma-separated)",
    )
    serve.add_argument(
        "--stun-url",
        action="append",
        default=[],
        help=f"STUN server for calls (repeatable; default: ${STUN_URLS_ENV}; none by default)",
    )
    serve.add_argument(
        "--turn-secret-file",
        type=Path,
        help=f"file holding coturn's static-auth-secret (or ${TURN_SECRET_ENV})",
    )
    serve.add_argument("--turn-ttl", type=int, help="seconds TURN credentials stay valid")

    wait = sub.add_parser("wait", help="wait until a central platform answers (scripts)")
    wait.add_argument("--url", default="http://127.0.0.1:8700")
    wait.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    wait.add_argument("--ca", type=Path, help="CA certificate for a self-signed server")

    cert = sub.add_parser("dev-cert", help="write a self-signed certificate for development")
    cert.add_argument("--out", type=Path, required=True)

    clinic = sub.add_parser("clinic", help="clinics").add_subparsers(dest="action", required=True)
    add = with_db(clinic.add_parser("add", help="add a clinic; prints its id"))
    add.add_argument("name")
    with_db(clinic.add_parser("list", help="list clinics"))

    device = sub.add_parser("device", help="devices").add_subparsers(dest="action", required=True)
    enroll = with_db(device.add_parser("enroll", help="make a one-time enrollment code"))
    enroll.add_argument("--clinic", required=True)
    enroll.add_argument("--ttl-hours", type=float, default=24.0)
    revoke = with_db(device.add_parser("revoke", help="revoke a device and its tokens"))
    revoke.add_argument("device_id")
    with_db(device.add_parser("list", help="list devices"))

    user = sub.add_parser("user", help="user accounts").add_subparsers(dest="action", required=True)
    uadd = with_db(user.add_parser("add", help="add a user; prints its id"))
    uadd.add_argument("username")
    uadd.add_argument("--role", required=True, choices=accounts.USER_ROLES)
    uadd.add_argument("--specialty", action="append", default=[])
    uadd.add_argument("--clinic")
    unlock = with_db(user.add_parser("unlock", help="lift a sign-in lockout of a user name"))
    unlock.add_argument("username")
    disable = with_db(user.add_parser("disable", help="disable a user; its sessions end at once"))
    disable.add_argument("username")
    enable = with_db(user.add_parser("enable", help="enable a disabled user again"))
    enable.add_argument("username")
    with_db(user.add_parser("locked", help="list the user names locked now"))

    audit = sub.add_parser("audit", help="the sign-in audit").add_subparsers(
        dest="action", required=True
    )
    alist = with_db(audit.add_parser("list", help="newest sign-in events first"))
    alist.add_argument("--limit", type=int, default=50)
    alist.add_argument("--account", help="only this user name or device id")

    epoch = sub.add_parser("epoch", help="the database epoch").add_subparsers(
        dest="action", required=True
    )
    with_db(epoch.add_parser("bump", help="new epoch: run after restoring from a backup"))

    form = sub.add_parser("formulary", help="the platform's formulary (synced to clinics)")
    formulary_actions = form.add_subparsers(dest="action", required=True)
    fimport = with_db(
        formulary_actions.add_parser("import", help="add or update medicines from a file")
    )
    fimport.add_argument("file", nargs="?", type=Path, help="default: the packaged starter list")
    fadd = with_db(formulary_actions.add_parser("add", help="add (or change) one medicine"))
    fadd.add_argument("id", help="the formulary id, e.g. amlodipine-5")
    fadd.add_argument("--atc", required=True, help="WHO ATC code, e.g. C08CA01")
    fadd.add_argument("--ingredient", required=True, help="ingredient in English")
    fadd.add_argument("--ingredient-zh", required=True, help="ingredient in Chinese")
    fadd.add_argument("--strength", required=True, type=float, help="e.g. 5")
    fadd.add_argument("--unit", required=True, help="UCUM unit of the strength, e.g. mg")
    fadd.add_argument("--form", required=True, help="dosage form, e.g. tablet")
    fadd.add_argument("--name-zh", required=True)
    fadd.add_argument("--name-en", required=True)
    fretire = with_db(formulary_actions.add_parser("retire", help="no longer offer a medicine"))
    fretire.add_argument("id")
    with_db(formulary_actions.add_parser("list", help="list the formulary"))

    uploads = sub.add_parser("uploads", help="unfinished uploads").add_subparsers(
        dest="action", required=True
    )
    reap = with_db(
        uploads.add_parser("reap", help="drop uploads idle for too long (as serve does)")
    )
    reap.add_argument(
        "--idle-seconds", type=int, help="idle longer than this (default: upload_ttl, 7 days)"
    )
    return parser


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The serve/admin settings: command line, else environment, else config file, else default."""
    path = config_path(getattr(args, "config", None), os.environ)
    file = load_config_file(path) if path is not None else {}
    cli = {
        "db": getattr(args, "db", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "tls_cert": getattr(args, "tls_cert", None),
        "tls_key": getattr(args, "tls_key", None),
        "min_client_version": getattr(args, "min_client_version", None),
        "update_url": getattr(args, "update_url", None),
        "pool_size": getattr(args, "pool_size", None),
        "public_url": getattr(args, "public_url", None),
        "stun_urls": [u for a in getattr(args, "stun_url", []) for u in split_urls(a)],
        "turn_urls": [u for a in getattr(args, "turn_url", []) for u in split_urls(a)],
        "turn_secret_file": getattr(args, "turn_secret_file", None),
        "turn_ttl": getattr(args, "turn_ttl", None),
    }
    return resolve(cli, os.environ, file)


def _open(url: str | None) -> Database:
    if not url:
        raise CommandError(
            f"Give the database with --db URL (or set {DB_ENV}, or db in the --config file)."
        )
    db = Database(url, pool_size=2)
    try:
        schema.ensure(db)
    except BaseException:
        db.close()
        raise
    return db


def _with_db(url: str | None, fn: Callable[[Conn], T], *, seq_lock: bool = False) -> T:
    db = _open(url)
    try:
        return db.write_sync(fn, seq_lock=seq_lock)
    finally:
        db.close()


def _password() -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise CommandError(f"Set {PASSWORD_ENV}, or run this in a terminal to be asked.")
        password = getpass.getpass("Password for the new account: ")
        if getpass.getpass("Again: ") != password:
            raise CommandError("The two passwords differ.")
    return password


def _serve(args: argparse.Namespace, debug: bool) -> None:
    from central.app import build_app, run_app

    o = _options(args)
    if parse_version(o["min_client_version"]) is None:
        raise CommandError("--min-client-version is not a version number (like 0.1.0).")
    if bool(o["tls_cert"]) != bool(o["tls_key"]):
        raise CommandError("Give both --tls-cert and --tls-key, or neither.")
    ssl_context = None
    if o["tls_cert"]:
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ssl_context.load_cert_chain(o["tls_cert"], o["tls_key"])
        except (OSError, ssl.SSLError) as exc:
            raise CommandError(
                f"Cannot load the TLS certificate or key: {exc.strerror or exc}"
            ) from None
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The secret: --turn-secret-file, else $CLINIC_CENTRAL_TURN_SECRET, else the file named by
    # $CLINIC_CENTRAL_TURN_SECRET_FILE or turn_secret_file in the configuration file.
    secret = os.environ.get(TURN_SECRET_ENV) or None
    if args.turn_secret_file is not None or (secret is None and o["turn_secret_file"]):
        try:
            secret = read_secret_file(o["turn_secret_file"])
        except OSError as exc:
            raise CommandError(f"Cannot read the TURN secret file: {exc.strerror}") from None
    turn_urls = o["turn_urls"]
    if turn_urls and not secret:
        raise CommandError(
            f"TURN servers need their shared secret: give --turn-secret-file or set "
            f"{TURN_SECRET_ENV}."
        )
    host, port = o["host"], o["port"]
    db = _open(o["db"])
    settings = Settings(
        db.url.describe(),
        min_client_version=o["min_client_version"],
        update_url=o["update_url"],
        pool_size=max(2, o["pool_size"]),
        debug=debug,
        stun_urls=o["stun_urls"],
        turn_urls=turn_urls,
        turn_secret=secret,
        turn_ttl=o["turn_ttl"],
        public_url=o["public_url"],
        trusted_proxies=o["trusted_proxies"],
        access_token_ttl=o["access_token_ttl"],
        user_token_ttl=o["user_token_ttl"],
        device_token_ttl=o["device_token_ttl"],
        login_max_failures=o["login_max_failures"],
        login_window=o["login_window"],
        login_lockout=o["login_lockout"],
        login_backoff_after=o["login_backoff_after"],
        address_max_failures=o["address_max_failures"],
        enroll_max_failures=o["enroll_max_failures"],
        upload_ttl=o["upload_ttl"],
    )
    if min(settings.access_token_ttl, settings.user_token_ttl, settings.device_token_ttl) < 1:
        raise CommandError("Token and session lifetimes are at least one second.")
    if min(settings.login_max_failures, settings.address_max_failures,
           settings.enroll_max_failures, settings.login_window) < 1:  # fmt: skip
        raise CommandError("Sign-in limits and their window are at least 1.")
    try:
        Base.parse(settings.public_url)
    except ValueError:
        raise CommandError("--public-url must be an http(s) URL such as https://host") from None
    db.close()
    settings.db_url = o["db"]
    app = build_app(settings)
    from central import faults

    faults.warn_if_active()
    scheme = "https" if ssl_context else "http"
    try:
        run_app(
            app,
            host=host,
            port=port,
            ssl_context=ssl_context,
            shutdown_timeout=10,
            on_ready=lambda: print(
                f"clinic-central {__version__} listening on {scheme}://{host}:{port}",
                flush=True,
            ),
        )
    except OSError as exc:
        raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace, debug: bool) -> None:
    command = args.command
    action = getattr(args, "action", None)
    if command != "serve" and hasattr(args, "db"):
        args.db = _options(args)["db"]  # --db, else $CLINIC_CENTRAL_DB, else the config file
    if command == "serve":
        _serve(args, debug)
    elif command == "wait":
        from central.wait import NotAnswering, wait_for

        try:
            wait_for(args.url, args.timeout, args.ca)
        except NotAnswering as exc:
            raise CommandError(str(exc)) from None
    elif command == "dev-cert":
        from central.tls import make_dev_cert

        cert, key = make_dev_cert(args.out)
        print(cert)
        print(key)
    elif (command, action) == ("clinic", "add"):
        name = args.name.strip()
        if not name or len(name) > 200:
            raise CommandError("A clinic name has 1 to 200 characters.")
        print(_with_db(args.db, lambda conn: accounts.create_clinic(conn, name)))
    elif (command, action) == ("clinic", "list"):
        for c in _with_db(args.db, accounts.list_clinics):
            print(f"{c['id']}\t{c['name']}")
    elif (command, action) == ("device", "enroll"):
        code, _expires = _with_db(
            args.db, lambda conn: accounts.create_enrollment_code(conn, args.clinic, args.ttl_hours)
        )
        print(code)
    elif (command, action) == ("device", "revoke"):
        at = _with_db(args.db, lambda conn: accounts.revoke_device(conn, args.device_id))
        if at is None:
            raise CommandError("There is no device with that id.")
        print(f"revoked {args.device_id}")
    elif (command, action) == ("device", "list"):
        for d in _with_db(args.db, accounts.list_devices):
            state = "revoked" if d["revoked_at"] else "active"
            print(f"{d['id']}\t{d['clinic_id']}\t{state}\t{d['name']}")
    elif (command, action) == ("user", "add"):
        _add_user(args)
    elif (command, action) == ("user", "unlock"):
        name = args.username

        def unlock(conn: Conn) -> bool:
            was = logins.clear(conn, logins.account_key(name))
            logins.audit(conn, "unlock", "success", account=name, address="command line")
            return was

        was = _with_db(args.db, unlock)
        print(f"unlocked {name}" if was else f"{name} was not locked")
    elif (command, action) in (("user", "disable"), ("user", "enable")):
        _set_disabled(args, action == "disable")
    elif (command, action) == ("user", "locked"):
        for row in _with_db(args.db, logins.locked_accounts):
            until = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["locked_until"]))
            print(f"{row['username']}\tlocked until {until}\t{row['failures']} failures")
    elif (command, action) == ("audit", "list"):
        limit = max(1, min(args.limit, 10000))
        rows = _with_db(args.db, lambda conn: logins.audit_entries(conn, limit, args.account))
        for r in rows:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["at_ms"] / 1000))
            fields = (r["event"], r["outcome"], r["account"], r["subject_id"], r["address"])
            print("\t".join([when, *(str(v) if v is not None else "-" for v in fields)]))
    elif (command, action) == ("epoch", "bump"):
        print(_with_db(args.db, schema.bump_epoch, seq_lock=True))
    elif command == "formulary":
        _formulary(args, action)
    elif (command, action) == ("uploads", "reap"):
        idle = args.idle_seconds if args.idle_seconds is not None else _options(args)["upload_ttl"]
        if idle < 0:
            raise CommandError("--idle-seconds is 0 or more.")
        total = 0
        while True:
            n = _with_db(args.db, lambda conn: attachments.reap_abandoned(conn, idle))
            total += n
            if n < attachments.REAP_BATCH:
                break
        print(f"dropped {total} abandoned uploads")
    else:  # pragma: no cover - argparse requires a known command
        raise CommandError("Unknown command.")


def _formulary(args: argparse.Namespace, action: str | None) -> None:
    from central import formulary
    from clinic_app.clinical.medication_formulary import Entry

    if action == "import":
        entries = formulary.read_file(args.file)
        print(_with_db(args.db, lambda conn: formulary.import_entries(conn, entries)))
    elif action == "add":
        entry = Entry(
            id=args.id, atc=args.atc.strip().upper(), ingredient_en=args.ingredient.strip().lower(),
            ingredient_zh=args.ingredient_zh.strip(), strength_value=args.strength,
            strength_unit=args.unit.strip(), form=args.form.strip(),
            name_zh=args.name_zh.strip(), name_en=args.name_en.strip(),
        )  # fmt: skip
        print(_with_db(args.db, lambda conn: formulary.put_entry(conn, entry)))
    elif action == "retire":
        if not _with_db(args.db, lambda conn: formulary.retire(conn, args.id)):
            raise CommandError("There is no formulary entry with that id.")
        print(f"retired {args.id}")
    else:
        known = _with_db(args.db, formulary.platform_entries)
        if not known:
            print("The platform has no formulary yet (clinics use their packaged starter list): "
                  "run clinic-central formulary import.")  # fmt: skip
        for e in known:
            state = "active" if e.active else "retired"
            print(f"{e.id}\t{e.atc}\t{state}\t{e.name_en}\t{e.name_zh}")


def _set_disabled(args: argparse.Namespace, disabled: bool) -> None:
    name = args.username

    def work(conn: Conn) -> str | None:
        user_id = accounts.set_user_disabled(conn, name, disabled)
        if user_id is not None:
            event = "disable" if disabled else "enable"
            logins.audit(conn, event, "success", account=name, address="command line")
        return user_id

    if _with_db(args.db, work) is None:
        raise CommandError("There is no user with that name.")
    print(f"{'disabled' if disabled else 'enabled'} {name}")


def _add_user(args: argparse.Namespace) -> None:
    db = _open(args.db)
    try:
        db.read_sync(
            lambda conn: accounts.check_user_fields(
                conn, args.username, args.role, args.specialty, args.clinic
            )
        )
        password = _password()
        accounts.check_password_rules(password)
        hashed = accounts.Passwords().hash(password)
        user_id = db.write_sync(
            lambda conn: accounts.create_user(
                conn, args.username, hashed, args.role, args.specialty, args.clinic
            ),
            seq_lock=False,
        )
    finally:
        db.close()
    print(user_id)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    args_list = [a for a in args_list if a != "--debug"]
    args = _parser().parse_args(args_list)
    try:
        run(args, debug)
    except KeyboardInterrupt:
        return 130
    except (CommandError, DatabaseError) as exc:
        return _fail(exc, debug)
    except ApiError as exc:
        return _fail(exc, debug, exc.message)
    except Exception as exc:
        return _fail(exc, debug, _describe(exc))
    return 0


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    if "sqlite3" in type(exc).__module__ or "psycopg" in type(exc).__module__:
        return f"The database failed ({name}); run again with --debug for details."
    return f"Unexpected error ({name}); run again with --debug for details."


def _fail(exc: BaseException, debug: bool, message: str | None = None) -> int:
    if debug:
        import traceback

        traceback.print_exception(exc)
    print(f"clinic-central: {message or exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
