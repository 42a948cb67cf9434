"""Accounts: clinics, users (argon2 password hashes), devices, one-time enrollment codes,
sessions and their tokens.

Secrets are never stored in clear: enrollment codes and tokens are random (80 and 256 bits) and
kept as SHA-256 digests; passwords as argon2id hashes (argon2-cffi, at least
:data:`MIN_PASSWORD` characters). Every request re-reads its token, session, device and user
rows (no cache), so a revocation is effective on the very next request.

A sign-in or an enrollment starts a *session* (``sessions``): a short-lived access token (the
bearer token of every request) and a refresh token. :func:`refresh` spends a refresh token for
a new pair: the old one is marked used and names its successor. Sending a used refresh token
again means it was copied: the whole session (every token of it) is revoked — unless the reuse
comes within the grace seconds after the rotation and the successor was never used, which is
a client that lost the answer (the unused successor is then revoked and a new pair issued).
Revoking a device, disabling a user or signing out revokes sessions; call signaling sockets
re-check theirs (:func:`session_alive`). Tokens made before sessions existed (no session) stay
valid access tokens until they expire or are revoked.
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
    session_id: str | None = None

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


_USER_BY_NAME = sql("SELECT id, disabled_at FROM users WHERE username = :username")
_SET_DISABLED = sql("UPDATE users SET disabled_at = :at WHERE id = :id")


def user_id_by_name(conn: Conn, username: str) -> str | None:
    row = conn.one(_USER_BY_NAME, {"username": username})
    return str(row[0]) if row else None


_USERNAME_OF = sql("SELECT username FROM users WHERE id = :id")


def username_of(conn: Conn, user_id: str) -> str | None:
    value = conn.scalar(_USERNAME_OF, {"id": user_id})
    return str(value) if value is not None else None


def set_user_disabled(conn: Conn, username: str, disabled: bool) -> str | None:
    """Disable (ending every session of the user at once) or enable a user; returns the user's
    id, None if there is no such user."""
    row = conn.one(_USER_BY_NAME, {"username": username})
    if row is None:
        return None
    user_id = str(row[0])
    if disabled:
        at = int(row[1]) if row[1] is not None else now()
        conn.execute(_SET_DISABLED, {"at": at, "id": user_id})
        end_sessions(conn, user_id, "user_disabled")
    else:
        conn.execute(_SET_DISABLED, {"at": None, "id": user_id})
    return user_id


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


BAD_CODE = (
    "This enrollment code is unknown, already used or expired; ask the administrator for a new one."
)


def enroll(
    conn: Conn, code: str, device_name: str, access_ttl: int, session_ttl: int
) -> dict[str, Any] | None:
    """Spend a one-time code: a new device of the code's clinic and its first session (access
    and refresh token). None for a code that is unknown, used or expired."""
    code_hash = digest(normalize_code(code))
    row = conn.one(_LIVE_CODE, {"code_hash": code_hash, "now": now()})
    if row is None:
        return None
    clinic_id = str(row[0])
    device_id = new_id()
    claimed = conn.execute(
        _CLAIM_CODE, {"now": now(), "device_id": device_id, "code_hash": code_hash}
    )
    if claimed != 1:
        return None
    conn.execute(
        _NEW_DEVICE, {"id": device_id, "clinic_id": clinic_id, "name": device_name, "at": now()}
    )
    pair = start_session(conn, "device", device_id, access_ttl, session_ttl)
    return {
        "device_id": device_id,
        "clinic_id": clinic_id,
        "clinic_name": clinic_name(conn, clinic_id),
        **pair.to_json(),
    }


def revoke_device(conn: Conn, device_id: str) -> int | None:
    """Revoke a device and all its sessions and tokens; returns the revocation time (None if
    unknown)."""
    row = conn.one(_DEVICE_REVOKED, {"id": device_id})
    if row is None:
        return None
    at = int(row[0]) if row[0] is not None else now()
    conn.execute(_REVOKE_DEVICE, {"at": at, "id": device_id})
    end_sessions(conn, device_id, "device_revoked", at)
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


# -- sessions and tokens ----------------------------------------------------------------------


@dataclass(frozen=True)
class TokenPair:
    """What a sign-in, an enrollment or a refresh answers."""

    session_id: str
    token: str  # the access (bearer) token
    expires_at: int
    refresh_token: str
    refresh_expires_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "expires_at": self.expires_at,
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at,
        }


_NEW_SESSION = sql(
    "INSERT INTO sessions (id, kind, subject_id, created_at, expires_at) "
    "VALUES (:id, :kind, :subject, :at, :expires)"
)
_SESSION = sql("SELECT kind, subject_id, expires_at, revoked_at FROM sessions WHERE id = :id")
_EXTEND_SESSION = sql("UPDATE sessions SET expires_at = :expires WHERE id = :id")
_END_SESSION = sql(
    "UPDATE sessions SET revoked_at = :at, revoke_reason = :reason "
    "WHERE id = :id AND revoked_at IS NULL"
)
_END_SUBJECT_SESSIONS = sql(
    "UPDATE sessions SET revoked_at = :at, revoke_reason = :reason "
    "WHERE subject_id = :subject AND revoked_at IS NULL"
)
_REVOKE_SESSION_TOKENS = sql(
    "UPDATE tokens SET revoked_at = :at WHERE session_id = :id AND revoked_at IS NULL"
)
_NEW_TOKEN = sql(
    "INSERT INTO tokens (token_hash, kind, subject_id, created_at, expires_at, purpose, "
    "session_id) VALUES (:token_hash, :kind, :subject, :at, :expires, :purpose, :session)"
)
_REVOKE_TOKEN = sql(
    "UPDATE tokens SET revoked_at = :at WHERE token_hash = :token_hash AND revoked_at IS NULL"
)
_TOKEN = sql(
    "SELECT t.kind, t.subject_id, t.expires_at, t.revoked_at, t.session_id, s.revoked_at, "
    "s.expires_at "
    "FROM tokens t LEFT JOIN sessions s ON s.id = t.session_id "
    "WHERE t.token_hash = :token_hash AND t.purpose = 'access'"
)
_REFRESH = sql(
    "SELECT kind, subject_id, expires_at, revoked_at, session_id, used_at, replaced_by "
    "FROM tokens WHERE token_hash = :token_hash AND purpose = 'refresh'"
)
_SPEND_REFRESH = sql(
    "UPDATE tokens SET used_at = :now, replaced_by = :next "
    "WHERE token_hash = :token_hash AND used_at IS NULL AND revoked_at IS NULL"
)
_SET_REPLACED = sql("UPDATE tokens SET replaced_by = :next WHERE token_hash = :token_hash")
_SUCCESSOR = sql(
    "SELECT used_at, revoked_at FROM tokens WHERE token_hash = :token_hash AND purpose = 'refresh'"
)
_LIVE_DEVICE = sql("SELECT clinic_id FROM devices WHERE id = :id AND revoked_at IS NULL")
_LIVE_USER = sql(
    "SELECT role, clinic_id, specialties FROM users WHERE id = :id AND disabled_at IS NULL"
)


def _new_token(
    conn: Conn, purpose: str, kind: str, subject_id: str, expires: int, session_id: str | None
) -> str:
    token = secrets.token_urlsafe(32)
    conn.execute(
        _NEW_TOKEN,
        {"token_hash": digest(token), "kind": kind, "subject": subject_id, "at": now(),
         "expires": expires, "purpose": purpose, "session": session_id},
    )  # fmt: skip
    return token


def _pair(
    conn: Conn, session_id: str, kind: str, subject_id: str, access_ttl: int, session_end: int
) -> TokenPair:
    access_expires = min(now() + access_ttl, session_end)
    access = _new_token(conn, "access", kind, subject_id, access_expires, session_id)
    refresh_token = _new_token(conn, "refresh", kind, subject_id, session_end, session_id)
    return TokenPair(session_id, access, access_expires, refresh_token, session_end)


def start_session(
    conn: Conn, kind: str, subject_id: str, access_ttl: int, session_ttl: int
) -> TokenPair:
    """A new session of a device or user: its first access and refresh token."""
    session_id = new_id()
    end = now() + session_ttl
    conn.execute(
        _NEW_SESSION,
        {"id": session_id, "kind": kind, "subject": subject_id, "at": now(), "expires": end},
    )
    return _pair(conn, session_id, kind, subject_id, access_ttl, end)


def end_session(conn: Conn, session_id: str, reason: str, at: int | None = None) -> None:
    """Revoke a session and every token of it."""
    when = now() if at is None else at
    conn.execute(_END_SESSION, {"at": when, "reason": reason, "id": session_id})
    conn.execute(_REVOKE_SESSION_TOKENS, {"at": when, "id": session_id})


def end_sessions(conn: Conn, subject_id: str, reason: str, at: int | None = None) -> None:
    """Revoke every session and token of a device or user."""
    when = now() if at is None else at
    conn.execute(_END_SUBJECT_SESSIONS, {"at": when, "reason": reason, "subject": subject_id})
    conn.execute(_REVOKE_SUBJECT_TOKENS, {"at": when, "subject": subject_id})


def issue_token(conn: Conn, kind: str, subject_id: str, ttl: int) -> tuple[str, int]:
    """A lone access token of no session (kept for administration scripts and tests)."""
    expires = now() + ttl
    return _new_token(conn, "access", kind, subject_id, expires, None), expires


def revoke_token(conn: Conn, token_hash: str) -> None:
    conn.execute(_REVOKE_TOKEN, {"at": now(), "token_hash": token_hash})


def logout(conn: Conn, p: Principal) -> None:
    """Sign out: the caller's session (or lone token) ends."""
    if p.session_id is not None:
        end_session(conn, p.session_id, "logout")
    else:
        revoke_token(conn, p.token_hash)


TOKEN_TEXT = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")


def _principal(conn: Conn, kind: str, subject: str, token_hash: str, session_id: str | None
               ) -> Principal | None:  # fmt: skip
    if kind == "device":
        dev = conn.one(_LIVE_DEVICE, {"id": subject})
        if dev is None:
            return None
        return Principal("device", subject, "device", str(dev[0]), (), token_hash, session_id)
    user = conn.one(_LIVE_USER, {"id": subject})
    if user is None:
        return None
    role = str(user[0])
    if role not in USER_ROLES:
        return None
    specialties = tuple(json.loads(user[2]))
    clinic = str(user[1]) if user[1] is not None else None
    return Principal("user", subject, role, clinic, specialties, token_hash, session_id)  # type: ignore[arg-type]


def check_token(
    conn: Conn, token: str, expired_grace: int = 0
) -> Principal | Literal["expired", "invalid"]:
    """The principal of a live access token; ``"expired"`` for a token that only ran out of
    time (its session and principal live: a refresh renews it); ``"invalid"`` otherwise.
    ``expired_grace``: seconds after its expiry a token of a live session is still taken (for
    rejoining a call with the token it started with)."""
    if not TOKEN_TEXT.match(token):
        return "invalid"
    token_hash = digest(token)
    row = conn.one(_TOKEN, {"token_hash": token_hash})
    if row is None or row[3] is not None or row[5] is not None:
        return "invalid"
    kind, subject = str(row[0]), str(row[1])
    session_id = str(row[4]) if row[4] is not None else None
    p = _principal(conn, kind, subject, token_hash, session_id)
    if p is None:
        return "invalid"
    if int(row[2]) <= now():
        # Renewable only while its session lasts; a lone token cannot be renewed at all.
        renewable = session_id is not None and row[6] is not None and int(row[6]) > now()
        if renewable and now() - int(row[2]) < expired_grace:
            return p
        return "expired" if renewable else "invalid"
    return p


def authenticate(conn: Conn, token: str) -> Principal | None:
    """The principal of a live token, or None (unknown, expired, revoked, revoked device)."""
    found = check_token(conn, token)
    return found if isinstance(found, Principal) else None


def session_alive(conn: Conn, p: Principal) -> bool:
    """Whether ``p``'s session (or lone token) is still in force and its device or user still
    active — ignoring the access token's own expiry (an open call outlives it)."""
    if p.session_id is not None:
        row = conn.one(_SESSION, {"id": p.session_id})
        if row is None or row[3] is not None or int(row[2]) <= now():
            return False
    else:
        row = conn.one(_TOKEN, {"token_hash": p.token_hash})
        if row is None or row[3] is not None:
            return False
    return _principal(conn, p.kind, p.id, p.token_hash, p.session_id) is not None


@dataclass(frozen=True)
class Refreshed:
    """The outcome of spending a refresh token: ``outcome`` is ``success``, ``retry`` (a lost
    answer within the grace), ``reuse`` (the session was revoked), or ``invalid`` (unknown,
    expired, revoked, or its device or user is no more)."""

    outcome: str
    pair: TokenPair | None = None
    kind: str | None = None
    subject_id: str | None = None


def refresh(
    conn: Conn, refresh_token: str, access_ttl: int, session_ttls: dict[str, int], grace: int
) -> Refreshed:
    """Rotate a refresh token (see the module text). ``session_ttls`` by kind; a device's
    session is extended by each refresh, a person's keeps its end."""
    if not TOKEN_TEXT.match(refresh_token):
        return Refreshed("invalid")
    token_hash = digest(refresh_token)
    row = conn.one(_REFRESH, {"token_hash": token_hash})
    if row is None or row[4] is None:
        return Refreshed("invalid")
    kind, subject, expires = str(row[0]), str(row[1]), int(row[2])
    session_id = str(row[4])
    session = conn.one(_SESSION, {"id": session_id})
    t = now()
    if (
        session is None
        or session[3] is not None
        or row[3] is not None
        or expires <= t
        or int(session[2]) <= t
        or _principal(conn, kind, subject, token_hash, session_id) is None
    ):
        return Refreshed("invalid", None, kind, subject)
    outcome = "success"
    if row[5] is not None:  # already rotated
        successor = conn.one(_SUCCESSOR, {"token_hash": row[6]}) if row[6] else None
        lost_answer = (
            successor is not None
            and successor[0] is None
            and successor[1] is None
            and t - int(row[5]) < grace
        )
        if not lost_answer:
            end_session(conn, session_id, "refresh_reuse")
            return Refreshed("reuse", None, kind, subject)
        conn.execute(_REVOKE_TOKEN, {"at": t, "token_hash": row[6]})
        outcome = "retry"
    end = int(session[2])
    if kind == "device":
        end = t + session_ttls["device"]
        conn.execute(_EXTEND_SESSION, {"expires": end, "id": session_id})
    pair = _pair(conn, session_id, kind, subject, access_ttl, end)
    params = {"now": t, "next": digest(pair.refresh_token), "token_hash": token_hash}
    if outcome == "retry":
        conn.execute(_SET_REPLACED, {"next": params["next"], "token_hash": token_hash})
    elif conn.execute(_SPEND_REFRESH, params) != 1:
        # Spent by a concurrent request in the meantime: that is a reuse too.
        end_session(conn, session_id, "refresh_reuse")
        return Refreshed("reuse", None, kind, subject)
    return Refreshed(outcome, pair, kind, subject)
