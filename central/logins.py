"""Sign-in throttling and the sign-in audit.

Failures are counted in ``auth_throttle`` under a key: ``account:<user name as typed>`` (the
name whether or not such a user exists, so the answers never tell which names exist),
``address:<client address>`` for sign-ins and ``enroll:<client address>`` for enrollment codes.
A :class:`Policy` turns the count into an answer:

* from ``backoff_after`` failures on, the next attempt must wait 1, 2, 4 … seconds (at most
  ``backoff_max``); an attempt made sooner is answered 429 ``too_many_attempts`` with
  Retry-After, without checking the password, and counts as a failure itself;
* ``max_failures`` failures within ``window`` seconds lock the key for ``lockout`` seconds
  (423 ``account_locked``, even for the right password) when the policy locks, or hold it off
  until the window ends (429) when it does not (addresses, enrollment codes);
* a successful sign-in clears its account key (not its address key); an administrator's
  unlock clears the account key too.

Every attempt (success, failure, throttled, locked), every refresh, reuse of a rotated refresh
token, unlock, revocation and logout is a row of ``auth_audit``: time (ms), event, outcome,
account (the user name or device id), the subject id when known and the client address. No
password, token or code is ever written there (nor to the log).

Times here are milliseconds. All functions run inside the caller's write transaction and
return answers (never raise), so the counts and the audit row commit with the decision.
"""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from central.accounts import USERNAME
from central.config import Settings
from central.db import Conn, sql

INVALID_NAME = "(invalid)"  # what the audit says for a user name that cannot be one


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Policy:
    max_failures: int
    window: int  # seconds failures count for
    lock: bool  # True: 423 for `lockout` seconds; False: 429 until the window ends
    lockout: int = 0  # seconds
    backoff_after: int = 0  # failures before back-off starts (0: no back-off)
    backoff_max: int = 60  # seconds


@dataclass(frozen=True)
class Verdict:
    """An attempt refused before its secret is checked: 429 (wait) or 423 (locked)."""

    status: int
    retry_after: int  # seconds

    @property
    def locked(self) -> bool:
        return self.status == 423


def account_policy(s: Settings) -> Policy:
    return Policy(
        max_failures=s.login_max_failures,
        window=s.login_window,
        lock=True,
        lockout=s.login_lockout,
        backoff_after=s.login_backoff_after,
        backoff_max=s.login_backoff_max,
    )


def address_policy(s: Settings) -> Policy:
    return Policy(max_failures=s.address_max_failures, window=s.login_window, lock=False)


def enroll_policy(s: Settings) -> Policy:
    return Policy(
        max_failures=s.enroll_max_failures,
        window=s.login_window,
        lock=False,
        backoff_after=3,
        backoff_max=s.login_backoff_max,
    )


def account_key(username: str) -> str:
    return f"account:{username}"


def audit_name(username: str) -> str:
    """The user name as the audit keeps it: as typed if it could be one (never free text that
    might be a password typed into the wrong field)."""
    return username if USERNAME.match(username) else INVALID_NAME


# -- the client's address ----------------------------------------------------------------------


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Iterable[str]) -> str:
    """The client's address: the TCP peer, or when the peer is a trusted proxy the last
    address of X-Forwarded-For that is not a trusted proxy itself."""
    trusted_set = {t for t in (_ip(t) for t in trusted) if t}
    address = _ip(peer or "") or "unknown"
    if address not in trusted_set:
        return address
    hops = [h for value in forwarded_for for h in value.split(",")]
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            return address  # a garbled header: the proxy is all that is known
        if ip not in trusted_set:
            return ip
        address = ip
    return address


# -- counting ----------------------------------------------------------------------------------

_GET = sql(
    "SELECT failures, window_start, blocked_until, locked FROM auth_throttle WHERE key = :key"
)
_PUT = sql(
    "INSERT INTO auth_throttle (key, failures, window_start, blocked_until, locked) "
    "VALUES (:key, :failures, :window_start, :blocked_until, :locked) "
    "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, "
    "window_start = excluded.window_start, blocked_until = excluded.blocked_until, "
    "locked = excluded.locked"
)
_CLEAR = sql("DELETE FROM auth_throttle WHERE key = :key")
_LOCKED = sql(
    "SELECT key, failures, blocked_until FROM auth_throttle "
    "WHERE locked = 1 AND blocked_until > :now ORDER BY key"
)


def _retry(until_ms: int, now: int) -> int:
    return max(1, -(-(until_ms - now) // 1000))  # whole seconds, rounded up


def _state(conn: Conn, key: str, policy: Policy, now: int) -> tuple[int, int, int, int]:
    """(failures, window start, blocked until, locked) still in force at ``now``."""
    row = conn.one(_GET, {"key": key})
    if row is None:
        return 0, now, 0, 0
    failures, start, until, locked = (int(v) for v in row)
    if locked and until > now:
        return failures, start, until, locked
    if locked or start + policy.window * 1000 <= now:  # a lockout or a window has ended
        return 0, now, 0, 0
    return failures, start, until, 0


def check(conn: Conn, key: str, policy: Policy, now: int) -> Verdict | None:
    """Whether an attempt under ``key`` must be refused now (without counting it)."""
    _failures, _start, until, locked = _state(conn, key, policy, now)
    if until > now:
        return Verdict(423 if locked else 429, _retry(until, now))
    return None


def fail(conn: Conn, key: str, policy: Policy, now: int) -> Verdict | None:
    """Count one failure under ``key``; the wait it now imposes, if any."""
    failures, start, until, locked = _state(conn, key, policy, now)
    if locked:
        return Verdict(423, _retry(until, now))  # a lockout is never extended by attempts
    failures += 1
    until = 0
    if failures >= policy.max_failures:
        if policy.lock:
            locked, until = 1, now + policy.lockout * 1000
        else:
            until = start + policy.window * 1000
    elif policy.backoff_after and failures >= policy.backoff_after:
        step = min(failures - policy.backoff_after, 16)
        until = now + min(2**step, policy.backoff_max) * 1000
    conn.execute(
        _PUT,
        {"key": key, "failures": failures, "window_start": start, "blocked_until": until,
         "locked": locked},
    )  # fmt: skip
    if until > now:
        return Verdict(423 if locked else 429, _retry(until, now))
    return None


def clear(conn: Conn, key: str) -> bool:
    """Forget the failures under ``key`` (a success, or an administrator's unlock)."""
    return conn.execute(_CLEAR, {"key": key}) > 0


def locked_accounts(conn: Conn) -> list[dict[str, Any]]:
    """User names locked now (whether or not such users exist) and until when (seconds)."""
    rows = conn.all(_LOCKED, {"now": now_ms()})
    return [
        {"username": str(r[0]).removeprefix("account:"), "failures": int(r[1]),
         "locked_until": int(r[2]) // 1000}
        for r in rows
        if str(r[0]).startswith("account:")
    ]  # fmt: skip


# -- the audit ---------------------------------------------------------------------------------

_AUDIT = sql(
    "INSERT INTO auth_audit (id, at_ms, event, outcome, account, subject_id, address) "
    "VALUES (:id, :at, :event, :outcome, :account, :subject, :address)"
)
_AUDIT_PAGE = sql(
    "SELECT at_ms, event, outcome, account, subject_id, address FROM auth_audit "
    "ORDER BY at_ms DESC, id DESC LIMIT :limit"
)
_AUDIT_OF = sql(
    "SELECT at_ms, event, outcome, account, subject_id, address FROM auth_audit "
    "WHERE account = :account ORDER BY at_ms DESC, id DESC LIMIT :limit"
)


_last_audit_ns = 0


def _audit_id() -> str:
    """A row id that sorts in the order the rows were written (the tie-break of rows in the
    same millisecond: a random id put a refusal before the attempt that came first): the
    nanosecond clock, strictly rising within this process, and a random tail so that the
    ids of several central instances never collide."""
    global _last_audit_ns
    _last_audit_ns = max(time.time_ns(), _last_audit_ns + 1)
    return f"{_last_audit_ns:020d}-{uuid.uuid4().hex[:12]}"


def audit(
    conn: Conn,
    event: str,
    outcome: str,
    *,
    account: str | None = None,
    subject_id: str | None = None,
    address: str | None = None,
    at: int | None = None,
) -> None:
    conn.execute(
        _AUDIT,
        {"id": _audit_id(), "at": now_ms() if at is None else at, "event": event,
         "outcome": outcome, "account": account, "subject": subject_id, "address": address},
    )  # fmt: skip


def audit_entries(conn: Conn, limit: int = 100, account: str | None = None) -> list[dict[str, Any]]:
    """The newest audit rows first (all, or one account's)."""
    if account is None:
        rows = conn.all(_AUDIT_PAGE, {"limit": limit})
    else:
        rows = conn.all(_AUDIT_OF, {"account": account, "limit": limit})
    keys = ("at_ms", "event", "outcome", "account", "subject_id", "address")
    return [dict(zip(keys, r, strict=True)) for r in rows]
