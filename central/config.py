"""Settings of one server process, declared once with their defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher

from central import __version__

# Call settings may also come from the environment (a secret never goes on a command line).
TURN_URLS_ENV = "CLINIC_CENTRAL_TURN_URLS"  # comma-separated turn:host:port?transport=udp
STUN_URLS_ENV = "CLINIC_CENTRAL_STUN_URLS"  # comma-separated stun:host:port
TURN_SECRET_ENV = "CLINIC_CENTRAL_TURN_SECRET"  # coturn's static-auth-secret
TURN_SECRET_FILE_ENV = "CLINIC_CENTRAL_TURN_SECRET_FILE"  # or a file holding it


@dataclass
class Settings:
    db_url: str
    min_client_version: str = __version__
    user_token_ttl: int = 12 * 3600  # a signed-in person: one working day
    device_token_ttl: int = 365 * 24 * 3600  # an enrolled workstation: a year (revocable)
    pool_size: int = 8  # database connections = worker threads
    debug: bool = False
    password_hasher: PasswordHasher | None = field(default=None, repr=False)
    stun_urls: tuple[str, ...] = ()  # no public STUN server by default
    turn_urls: tuple[str, ...] = ()  # coturn, e.g. "turn:turn.example.org:3478?transport=udp"
    turn_secret: str | None = field(default=None, repr=False)  # coturn static-auth-secret
    turn_ttl: int = 6 * 3600  # lifetime of TURN credentials handed to a caller


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
