"""Settings of one server process, declared once with their defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher

from central import __version__


@dataclass
class Settings:
    db_url: str
    min_client_version: str = __version__
    user_token_ttl: int = 12 * 3600  # a signed-in person: one working day
    device_token_ttl: int = 365 * 24 * 3600  # an enrolled workstation: a year (revocable)
    pool_size: int = 8  # database connections = worker threads
    debug: bool = False
    password_hasher: PasswordHasher | None = field(default=None, repr=False)


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``1.2.3`` (a suffix such as ``.dev1`` or ``rc1`` is ignored) to a comparable tuple."""
    import re

    m = re.match(r"^\s*(\d{1,6})(?:\.(\d{1,6}))?(?:\.(\d{1,6}))?", text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
