"""Accounts: clinics, users (argon2 password hashes), devices, one-time enrollment codes and
bearer tokens.

Secrets are never stored in clear: enrollment codes and tokens are random (80 and 256 bits) and
kept as SHA-256 digests; passwords as argon2id hashes. Every request re-reads its token, device
and user rows (no cache), so a revocation is effective on the very next request.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from central.db import Conn, UniqueViolation, sql
from central.errors import ApiError
from clinic_app.records.orders import SPECIALTIES

Role = Literal["device", "clinician", "specialist", "admin"]
USER_ROLES = ("clinician", "specialist", "admin")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
MAX_PASSWORD = 1024
MIN_PASSWORD = 10


@dataclass(frozen=True)
class Principal:
    """Who is calling: an enrolled clinic device or a signed-in user."""

    kind: Literal["device", "user"]
    id: str
    role: Role
    clinic_id: str | None
    specialties: tuple[str, ...]
    token_hash: str

    def whoami(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "role": self.role,
            "clinic_id": self.clinic_id,
            "specialties": list(self.specialties),
        }


def now() -> int:
    return int(time.time())


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_id() -> str:
    return str(uuid.uuid4())


# -- passwords -------------------------------------------------------------------------------


class Passwords:
    """argon2id hashing (argon2-cffi defaults unless a test asks for cheaper parameters)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy = self.hasher.hash(secrets.token_hex(16))

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Constant work whether or not the user exists."""
        try:
            return bool(self.hasher.verify(stored or self._dummy, password)) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def check_password_rules(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ApiError(
            400, "weak_password", f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters."
        )


# -- clinics ---------------------------------------------------------------------------------


_NEW_CLINIC = sql("INSERT INTO clinics (id, name, created_at) VALUES (:id, :name, :at)")
_CLINIC_NAME = sql("SELECT name FROM clinics WHERE id = :id")
_CLINICS = sql("SELECT id, name, created_at FROM clinics ORDER BY created_at, id")


def create_clinic(conn: Conn, name: str) -> str:
    clinic_id = new_id()
    conn.execute(_NEW_CLINIC, {"id": clinic_id, "name": name, "at": now()})
    return clinic_id


def clinic_name(conn: Conn, clinic_id: str) -> str | None:
    value = conn.scalar(_CLINIC_NAME, {"id": clinic_id})
    return str(value) if value is not None else None


def list_clinics(conn: Conn) -> list[dict[str, Any]]:
    rows = conn.all(_CLINICS)
    return [{"id": r[0], "name": r[1], "created_at": r[2]} for r in rows]


# -- users -----------------------------------------------------------------------------------


def check_user_fields(
    conn: Conn, username: str, role: str, specialties: list[str], clinic_id: str | None
) -> None:
    """The rules for a new account, as :class:`ApiError` (400) sentences."""
    if not USERNAME.match(username):
        raise ApiError(
            400, "bad_username", "A user name has 2 to 64 letters, digits, dots, dashes, @ or _."
        )
    if role not in USER_ROLES:
        raise ApiError(400, "bad_role", "The role is clinician, specialist or admin.")
    unknown = [s for s in specialties if s not in SPECIALTIES]
    if unknown:
        raise ApiError(
            400,
            "bad_specialty",
            "Unknown specialty; known: " + ", ".join(sorted(SPECIALTIES)) + ".",
        )
    if role == "specialist" and not specialties:
        raise ApiError(400, "bad_specialty", "A specialist needs at least one specialty.")
    if role != "specialist" and specialties:
        raise ApiError(400, "bad_specialty", "Only specialists have specialties.")
    if role == "clinician" and not clinic_id:
        raise ApiError(400, "bad_clinic", "A clinician belongs to a clinic (give its id).")
    if role != "clinician" and clinic_id:
        raise ApiError(400, "bad_clinic", "Only clinicians belong to a clinic.")
    if clinic_id and clinic_name(conn, clinic_id) is None:
        raise ApiError(404, "no_such_clinic", "There is no clinic with that id.")


_NEW_USER = sql(
    "INSERT INTO users (id, username, password_hash, role, clinic_id, specialties, created_at) "
    "VALUES (:id, :username, :password_hash, :role, :clinic_id, :specialties, :at)"
)
_LOGIN = sql(
    "SELECT id, password_hash, role FROM users WHERE username = :username AND disabled_at IS NULL"
)


def create_user(
    conn: Conn,
    username: str,
    password_hash: str,
    role: str,
    specialties: list[str],
    clinic_id: str | None,
) -> str:
    check_user_fields(conn, username, role, specialties, clinic_id)
    user_id = new_id()
    try:
        conn.execute(
            _NEW_USER,
            {
                "id": user_id,
                "username": username,
                "password_hash": password_hash,
                "role": role,
                "clinic_id": clinic_id,
                "specialties": json.dumps(sorted(set(specialties))),
                "at": now(),
            },
        )
    except UniqueViolation:
        raise ApiError(409, "user_exists", "That user name is taken.") from None
    return user_id


def user_for_login(conn: Conn, username: str) -> tuple[str, str, str] | None:
    """(id, password hash, role) of an active user."""
    row = conn.one(_LOGIN, {"username": username})
    return (str(row[0]), str(row[1]), str(row[2])) if row else None


# -- enrollment and devices ------------------------------------------------------------------


def new_enrollment_code() -> str:
    """16 base32 characters (80 bits) in groups of four: easy to read out on the phone."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode()
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


_NEW_CODE = sql(
    "INSERT INTO enrollment_codes (code_hash, clinic_id, created_at, expires_at) "
    "VALUES (:code_hash, :clinic_id, :at, :expires)"
)
_LIVE_CODE = sql(
    "SELECT clinic_id FROM enrollment_codes WHERE code_hash = :code_hash AND used_at IS NULL "
    "AND expires_at > :now"
)
_CLAIM_CODE = sql(
    "UPDATE enrollment_codes SET used_at = :now, device_id = :device_id "
    "WHERE code_hash = :code_hash AND used_at IS NULL"
)
_NEW_DEVICE = sql(
    "INSERT INTO devices (id, clinic_id, name, created_at) VALUES (:id, :clinic_id, :name, :at)"
)
_DEVICE_REVOKED = sql("SELECT revoked_at FROM devices WHERE id = :id")
_REVOKE_DEVICE = sql("UPDATE devices SET revoked_at = :at WHERE id = :id AND revoked_at IS NULL")
_REVOKE_SUBJECT_TOKENS = sql(
    "UPDATE tokens SET revoked_at = :at WHERE subject_id = :subject AND revoked_at IS NULL"
)
_DEVICES = sql(
    "SELECT d.id, d.clinic_id, c.name, d.name, d.created_at, d.revoked_at "
    "FROM devices d JOIN clinics c ON c.id = d.clinic_id ORDER BY d.created_at, d.id"
)


def create_enrollment_code(conn: Conn, clinic_id: str, ttl_hours: float) -> tuple[str, int]:
    if clinic_name(conn, clinic_id) is None:
        raise ApiError(404, "no_such_clinic", "There is no clinic with that id.")
    if not 0 < ttl_hours <= 24 * 30:
        raise ApiError(400, "bad_ttl", "An enrollment code lives between a minute and 30 days.")
    code = new_enrollment_code()
    expires = now() + max(60, int(ttl_hours * 3600))
    conn.execute(
        _NEW_CODE,
        {
            "code_hash": digest(normalize_code(code)),
            "clinic_id": clinic_id,
            "at": now(),
            "expires": expires,
        },
    )
    return code, expires


def enroll(conn: Conn, code: str, device_name: str, token_ttl: int) -> dict[str, Any]:
    """Spend a one-time code: a new device of the code's clinic and its first token."""
    code_hash = digest(normalize_code(code))
    row = conn.one(_LIVE_CODE, {"code_hash": code_hash, "now": now()})
    if row is None:
        raise ApiError(
            403,
            "bad_code",
            "This enrollment code is unknown, already used or expired; "
            "ask the administrator for a new one.",
        )
    clinic_id = str(row[0])
    device_id = new_id()
    claimed = conn.execute(
        _CLAIM_CODE, {"now": now(), "device_id": device_id, "code_hash": code_hash}
    )
    if claimed != 1:
        raise ApiError(403, "bad_code", "This enrollment code was already used.")
    conn.execute(
        _NEW_DEVICE, {"id": device_id, "clinic_id": clinic_id, "name": device_name, "at": now()}
    )
    token, expires = issue_token(conn, "device", device_id, token_ttl)
    return {
        "device_id": device_id,
        "clinic_id": clinic_id,
        "clinic_name": clinic_name(conn, clinic_id),
        "token": token,
        "expires_at": expires,
    }


def revoke_device(conn: Conn, device_id: str) -> int | None:
    """Revoke a device and all its tokens; returns the revocation time (None if unknown)."""
    row = conn.one(_DEVICE_REVOKED, {"id": device_id})
    if row is None:
        return None
    at = int(row[0]) if row[0] is not None else now()
    conn.execute(_REVOKE_DEVICE, {"at": at, "id": device_id})
    conn.execute(_REVOKE_SUBJECT_TOKENS, {"at": at, "subject": device_id})
    return at


def list_devices(conn: Conn) -> list[dict[str, Any]]:
    rows = conn.all(_DEVICES)
    return [
        {
            "id": r[0],
            "clinic_id": r[1],
            "clinic_name": r[2],
            "name": r[3],
            "created_at": r[4],
            "revoked_at": r[5],
        }
        for r in rows
    ]


# -- tokens ----------------------------------------------------------------------------------


_NEW_TOKEN = sql(
    "INSERT INTO tokens (token_hash, kind, subject_id, created_at, expires_at) "
    "VALUES (:token_hash, :kind, :subject, :at, :expires)"
)
_REVOKE_TOKEN = sql(
    "UPDATE tokens SET revoked_at = :at WHERE token_hash = :token_hash AND revoked_at IS NULL"
)
_LIVE_TOKEN = sql(
    "SELECT kind, subject_id FROM tokens WHERE token_hash = :token_hash "
    "AND revoked_at IS NULL AND expires_at > :now"
)
_LIVE_DEVICE = sql("SELECT clinic_id FROM devices WHERE id = :id AND revoked_at IS NULL")
_LIVE_USER = sql(
    "SELECT role, clinic_id, specialties FROM users WHERE id = :id AND disabled_at IS NULL"
)


def issue_token(conn: Conn, kind: str, subject_id: str, ttl: int) -> tuple[str, int]:
    token = secrets.token_urlsafe(32)
    expires = now() + ttl
    conn.execute(
        _NEW_TOKEN,
        {
            "token_hash": digest(token),
            "kind": kind,
            "subject": subject_id,
            "at": now(),
            "expires": expires,
        },
    )
    return token, expires


def revoke_token(conn: Conn, token_hash: str) -> None:
    conn.execute(_REVOKE_TOKEN, {"at": now(), "token_hash": token_hash})


TOKEN_TEXT = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")


def authenticate(conn: Conn, token: str) -> Principal | None:
    """The principal of a live token, or None (unknown, expired, revoked, revoked device)."""
    if not TOKEN_TEXT.match(token):
        return None
    token_hash = digest(token)
    row = conn.one(_LIVE_TOKEN, {"token_hash": token_hash, "now": now()})
    if row is None:
        return None
    kind, subject = str(row[0]), str(row[1])
    if kind == "device":
        dev = conn.one(_LIVE_DEVICE, {"id": subject})
        if dev is None:
            return None
        return Principal("device", subject, "device", str(dev[0]), (), token_hash)
    user = conn.one(_LIVE_USER, {"id": subject})
    if user is None:
        return None
    role = str(user[0])
    if role not in USER_ROLES:
        return None
    specialties = tuple(json.loads(user[2]))
    clinic = str(user[1]) if user[1] is not None else None
    return Principal("user", subject, role, clinic, specialties, token_hash)  # type: ignore[arg-type]
