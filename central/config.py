"""Settings of one server process, declared once with their defaults.

A setting comes from, first to last: the command line, the environment (``CLINIC_CENTRAL_…``),
the configuration file (TOML, ``--config FILE`` or ``$CLINIC_CENTRAL_CONFIG``; see
installers/central/central.toml), the default here. :data:`OPTIONS` lists them all.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from central import __version__
from central.errors import CommandError
from clinic_app.sync.protocol import MAX_BODY_BYTES

# Call settings may also come from the environment (a secret never goes on a command line).
TURN_URLS_ENV = "CLINIC_CENTRAL_TURN_URLS"  # comma-separated turn:host:port?transport=udp
STUN_URLS_ENV = "CLINIC_CENTRAL_STUN_URLS"  # comma-separated stun:host:port
TURN_SECRET_ENV = "CLINIC_CENTRAL_TURN_SECRET"  # coturn's static-auth-secret
TURN_SECRET_FILE_ENV = "CLINIC_CENTRAL_TURN_SECRET_FILE"  # or a file holding it
CONFIG_ENV = "CLINIC_CENTRAL_CONFIG"  # the configuration file (TOML)
DB_ENV = "CLINIC_CENTRAL_DB"


@dataclass
class Settings:
    db_url: str
    min_client_version: str = __version__
    update_url: str | None = None  # where an outdated workstation gets the new version
    # Sessions (central/accounts.py): a bearer (access) token lives access_token_ttl; the
    # refresh token that renews it rotates on every use. A person's session ends
    # user_token_ttl after signing in; a workstation's is extended by every refresh (so one
    # left off for device_token_ttl must be enrolled again). A rotated refresh token sent again
    # revokes its whole session, unless it is within refresh_reuse_grace seconds of its
    # rotation and its successor was never used (the answer with it was lost on the way).
    access_token_ttl: int = 15 * 60
    user_token_ttl: int = 12 * 3600  # a signed-in person: one working day
    device_token_ttl: int = 365 * 24 * 3600  # an enrolled workstation: a year (revocable)
    refresh_reuse_grace: int = 30
    # Sign-in throttling (central/logins.py), per user name: from login_backoff_after failures
    # on, each further attempt waits 1, 2, 4 … up to login_backoff_max seconds (429); after
    # login_max_failures within login_window seconds the name is locked for login_lockout
    # seconds (423) or until `clinic-central user unlock`. Per source address: after
    # address_max_failures failed sign-ins within login_window, 429 until the window ends.
    # Enrollment codes: enroll_max_failures wrong codes per address within login_window.
    login_max_failures: int = 10
    login_window: int = 15 * 60
    login_lockout: int = 15 * 60
    login_backoff_after: int = 3
    login_backoff_max: int = 60
    address_max_failures: int = 100
    enroll_max_failures: int = 10
    # Open call signaling sockets re-check their session this often (seconds): a revoked
    # device, disabled user or ended session is disconnected within that time, on every
    # server process sharing the database.
    session_check_interval: float = 3.0
    # A call that loses its link rejoins with the token it started with (media/signaling.py):
    # the call routes take an access token up to this long after its expiry while its session
    # lives (every other route answers token_expired).
    call_token_grace: int = 4 * 3600
    # Call rooms are shared by every server process (central/callbus.py): each process writes
    # its heartbeat every call_heartbeat seconds; one not seen for call_presence_ttl seconds is
    # taken for dead, and the sockets it held leave their rooms ("peer-left", "gone").
    call_heartbeat: float = 2.0
    call_presence_ttl: float = 10.0
    # Reverse proxies whose X-Forwarded-For is believed (exact addresses): the client's address,
    # which throttling and the sign-in audit use, is the last one in that header that is not
    # itself a trusted proxy. Empty: the address of the TCP peer.
    trusted_proxies: tuple[str, ...] = ()
    pool_size: int = 8  # database connections = worker threads
    debug: bool = False
    password_hasher: PasswordHasher | None = field(default=None, repr=False)
    stun_urls: tuple[str, ...] = ()  # no public STUN server by default
    turn_urls: tuple[str, ...] = ()  # coturn, e.g. "turn:turn.example.org:3478?transport=udp"
    turn_secret: str | None = field(default=None, repr=False)  # coturn static-auth-secret
    turn_ttl: int = 6 * 3600  # lifetime of TURN credentials handed to a caller
    # This server's public address (https://central.example.org): absolute references are
    # accepted only under its FHIR base (public_url + "/fhir"); none are when unset.
    public_url: str | None = None
    # Limits on what a request may be (central/web.py): aiohttp's parser refuses longer request
    # lines (414) and header lines or more headers (431) before any handler runs; a body is read
    # up to max_body_bytes, also after gzip/deflate decoding, which must not expand more than
    # max_inflate_ratio times beyond the first MiB (413).
    max_url_bytes: int = 8192
    max_header_bytes: int = 8190
    max_headers: int = 64
    max_body_bytes: int = MAX_BODY_BYTES
    max_inflate_ratio: int = 100
    # Housekeeping (central.app): every housekeeping_interval seconds each server process drops
    # the upload slots (with their chunks) that received nothing for upload_ttl seconds.
    upload_ttl: int = 7 * 24 * 3600
    housekeeping_interval: float = 3600.0


def split_urls(text: str | None) -> tuple[str, ...]:
    return tuple(u.strip() for u in (text or "").split(",") if u.strip())


def call_settings_from_env(
    env: dict[str, str] | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    """(stun urls, turn urls, turn secret) from the environment; the secret from
    ``CLINIC_CENTRAL_TURN_SECRET`` or the file named by ``CLINIC_CENTRAL_TURN_SECRET_FILE``."""
    e = os.environ if env is None else env
    secret = e.get(TURN_SECRET_ENV) or None
    path = e.get(TURN_SECRET_FILE_ENV)
    if not secret and path:
        secret = read_secret_file(Path(path))
    return split_urls(e.get(STUN_URLS_ENV)), split_urls(e.get(TURN_URLS_ENV)), secret


def read_secret_file(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip()


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``1.2.3`` (a suffix such as ``.dev1`` or ``rc1`` is ignored) to a comparable tuple."""
    import re

    m = re.match(r"^\s*(\d{1,6})(?:\.(\d{1,6}))?(?:\.(\d{1,6}))?", text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)


def upgrade_sentence(client_version: str, minimum: str, update_url: str | None) -> str:
    """What an outdated workstation shows its user (the 426 answer's message)."""
    where = (
        f"Install the update from {update_url}."
        if update_url
        else "Ask the central platform's administrator for the update."
    )
    return (
        f"This workstation runs version {client_version}; the central platform needs version "
        f"{minimum} or newer. {where}"
    )


@dataclass(frozen=True)
class Option:
    """One setting of ``clinic-central serve``: its file key (= argparse dest), variable, type."""

    key: str
    env: str | None
    kind: type  # str, int, Path or tuple (a list of URLs; comma-separated in the environment)
    default: Any
    help: str


OPTIONS: tuple[Option, ...] = (
    Option("db", DB_ENV, str, None, "sqlite:///PATH or postgresql://…"),
    Option("host", "CLINIC_CENTRAL_HOST", str, "127.0.0.1", "address to listen on"),
    Option("port", "CLINIC_CENTRAL_PORT", int, 8700, "port to listen on"),
    Option("tls_cert", "CLINIC_CENTRAL_TLS_CERT", Path, None, "TLS certificate (PEM)"),
    Option("tls_key", "CLINIC_CENTRAL_TLS_KEY", Path, None, "TLS private key (PEM)"),
    Option(
        "min_client_version",
        "CLINIC_CENTRAL_MIN_CLIENT_VERSION",
        str,
        __version__,
        "older workstations are told to update (HTTP 426)",
    ),
    Option(
        "update_url",
        "CLINIC_CENTRAL_UPDATE_URL",
        str,
        None,
        "where an outdated workstation gets the update (named in the 426 sentence)",
    ),
    Option("pool_size", "CLINIC_CENTRAL_POOL_SIZE", int, 8, "database connections"),
    Option(
        "public_url",
        "CLINIC_CENTRAL_PUBLIC_URL",
        str,
        None,
        "this server's public https URL (absolute FHIR references under it are accepted)",
    ),
    Option("stun_urls", STUN_URLS_ENV, tuple, (), "STUN servers for calls (none by default)"),
    Option("turn_urls", TURN_URLS_ENV, tuple, (), "TURN servers for calls"),
    Option("turn_secret_file", TURN_SECRET_FILE_ENV, Path, None, "coturn's static-auth-secret"),
    Option("turn_ttl", "CLINIC_CENTRAL_TURN_TTL", int, 6 * 3600, "TURN credentials' lifetime (s)"),
    Option(
        "trusted_proxies",
        "CLINIC_CENTRAL_TRUSTED_PROXIES",
        tuple,
        (),
        "reverse proxies (addresses) whose X-Forwarded-For names the client",
    ),
    Option(
        "access_token_ttl",
        "CLINIC_CENTRAL_ACCESS_TOKEN_TTL",
        int,
        15 * 60,
        "seconds a bearer (access) token lives; refresh tokens renew it",
    ),
    Option(
        "user_token_ttl",
        "CLINIC_CENTRAL_USER_SESSION_TTL",
        int,
        12 * 3600,
        "seconds a person's sign-in session lasts",
    ),
    Option(
        "device_token_ttl",
        "CLINIC_CENTRAL_DEVICE_SESSION_TTL",
        int,
        365 * 24 * 3600,
        "seconds an unused workstation session lasts (each refresh extends it)",
    ),
    Option(
        "login_max_failures",
        "CLINIC_CENTRAL_LOGIN_MAX_FAILURES",
        int,
        10,
        "failed sign-ins of one user name within login_window that lock it",
    ),
    Option("login_window", "CLINIC_CENTRAL_LOGIN_WINDOW", int, 15 * 60, "seconds failures count"),
    Option(
        "login_lockout",
        "CLINIC_CENTRAL_LOGIN_LOCKOUT",
        int,
        15 * 60,
        "seconds a locked user name stays locked (or until `user unlock`)",
    ),
    Option(
        "login_backoff_after",
        "CLINIC_CENTRAL_LOGIN_BACKOFF_AFTER",
        int,
        3,
        "failed sign-ins of one user name before each next attempt must wait 1, 2, 4 … s",
    ),
    Option(
        "address_max_failures",
        "CLINIC_CENTRAL_ADDRESS_MAX_FAILURES",
        int,
        100,
        "failed sign-ins from one address within login_window before it must wait",
    ),
    Option(
        "enroll_max_failures",
        "CLINIC_CENTRAL_ENROLL_MAX_FAILURES",
        int,
        10,
        "wrong enrollment codes from one address within login_window before it must wait",
    ),
    Option(
        "upload_ttl",
        "CLINIC_CENTRAL_UPLOAD_TTL",
        int,
        7 * 24 * 3600,
        "seconds an unfinished upload may sit idle before it and its chunks are dropped",
    ),
)
OPTION_KEYS = frozenset(o.key for o in OPTIONS)


def load_config_file(path: Path) -> dict[str, Any]:
    """The settings in a TOML file (top-level keys from :data:`OPTIONS`); unknown keys and wrong
    types are refused in one line, so a typo never silently falls back to a default."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise CommandError(f"Cannot read the configuration file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CommandError(f"The configuration file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - OPTION_KEYS)
    if unknown:
        raise CommandError(
            f"The configuration file {path} has unknown settings: {', '.join(unknown)} "
            f"(known: {', '.join(o.key for o in OPTIONS)})."
        )
    kinds = {o.key: o.kind for o in OPTIONS}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = _typed(key, value, kinds[key], f"the configuration file {path}")
    return out


def _typed(key: str, value: Any, kind: type, origin: str) -> Any:
    if kind is tuple:
        if isinstance(value, str):
            return split_urls(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(v.strip() for v in value if v.strip())
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
    elif kind is Path:
        if isinstance(value, str) and value:
            return Path(value)
    elif isinstance(value, str):
        return value
    raise CommandError(f"{key} in {origin} must be {_KIND_WORDS[kind]}.")


_KIND_WORDS = {str: "text", int: "a whole number", Path: "a file path", tuple: "a list of URLs"}


def resolve(
    cli: Mapping[str, Any], env: Mapping[str, str], file: Mapping[str, Any]
) -> dict[str, Any]:
    """Every option's value: the command line's (not None), else the environment's (not
    empty), else the file's, else the default."""
    out: dict[str, Any] = {}
    for o in OPTIONS:
        given = cli.get(o.key)
        if given is not None and given != [] and given != ():
            out[o.key] = tuple(given) if o.kind is tuple else given
        elif o.env and env.get(o.env, "").strip():
            out[o.key] = _typed(o.key, env[o.env].strip(), o.kind, f"${o.env}")
        elif o.key in file:
            out[o.key] = file[o.key]
        else:
            out[o.key] = o.default
    return out


def config_path(cli_value: str | Path | None, env: Mapping[str, str]) -> Path | None:
    """The configuration file named by ``--config`` or ``$CLINIC_CENTRAL_CONFIG`` (if any)."""
    chosen = cli_value or env.get(CONFIG_ENV, "").strip()
    return Path(chosen) if chosen else None
