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
    user_token_ttl: int = 12 * 3600  # a signed-in person: one working day
    device_token_ttl: int = 365 * 24 * 3600  # an enrolled workstation: a year (revocable)
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
