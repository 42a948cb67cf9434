"""Checks made when a profile is opened, before anything is written to it.

* The database is compared with its high-water mark (:mod:`local_store.highwater`): a store
  behind it has lost acknowledged changes and is refused, with what is missing and how to
  recover, and the cause named when it can be (a damaged log, damaged pages, or a copy).
* After an unclean shutdown (a log left with frames in it) the database is first opened
  read-only, so that nothing (not even SQLite's checkpoint at close) can make a loss final;
  there the mark is checked and a time-bounded ``PRAGMA quick_check`` runs before the first
  write. There must also be room for SQLite's recovery of its log index: on a full disk that
  memory-mapped index is what kills a process with SIGBUS, so a nearly full disk is refused
  with the named error first.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from local_store import db as dbmod
from local_store import faults, pagecheck
from local_store.errors import RECOVER_BEHIND, DatabaseDamaged, StoreBehind
from local_store.highwater import HighWaterMark, Mark, parse_head

log = logging.getLogger(__name__)

QUICK_CHECK_SECONDS = 3.0
RECOVERY_ROOM = 1024 * 1024  # free bytes needed to rebuild the log index after a crash


def db_state(conn: dbmod.Connection) -> tuple[int, str | None]:
    """(commit_seq, audit_head) as the database holds them."""
    rows = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('commit_seq', 'audit_head')"
        ).fetchall()
    )
    return int(rows.get("commit_seq") or 0), rows.get("audit_head")


def compare(conn: dbmod.Connection, mark: HighWaterMark, db_path: Path, key: bytes) -> Mark | None:
    """Refuse a database behind ``mark``; returns the mark read (None if there is none)."""
    seen = mark.read()
    if seen is None:
        return None
    seq, head = db_state(conn)
    audit_seq, audit_hash = parse_head(head)
    if seq > seen.commit_seq:
        return seen  # committed after the last advance (a crash in between): nothing lost
    if seq == seen.commit_seq and (audit_seq, audit_hash) == (seen.audit_seq, seen.audit_hash):
        return seen
    missing = seen.commit_seq - seq
    what = (
        f"the last {missing} saved changes (up to {seen.when}) are missing"
        if missing > 0
        else "its audit log does not end where it did"
    )
    wal = pagecheck.scan_wal(Path(f"{db_path}-wal"), key, pagecheck.file_salt(db_path))
    if wal.damaged or wal.first_bad is not None:
        err = dbmod.log_damaged(wal)
        raise type(err)(
            f"{str(err).split('. ')[0]}: {what}. {RECOVER_BEHIND}",
            variant="behind",
            **{**err.params, "what": what, "recover": RECOVER_BEHIND},
        )
    raise StoreBehind(
        f"The record database is behind what was saved: {what}. It is an older copy, a copy"
        f" taken while the program was running, or its change log was lost. {RECOVER_BEHIND}",
        variant="what", what=what, recover=RECOVER_BEHIND,
    )  # fmt: skip


def ensure_recovery_room(db_path: Path) -> None:
    wal = Path(f"{db_path}-wal")
    frames = max(0, (wal.stat().st_size - pagecheck.WAL_HEADER)) // (4096 + 24)
    need = RECOVERY_ROOM + (frames // 4096 + 1) * 32768
    free = faults.free_bytes(db_path.parent)
    if free is not None and free < need:
        raise faults.disk_full(
            db_path.parent,
            doing="opening the profile after an unclean shutdown",
            needed=need - free,
            outcome="Nothing was changed.",
        )


def quick_check(conn: dbmod.Connection, budget: float = QUICK_CHECK_SECONDS) -> str:
    """``PRAGMA quick_check``, abandoned after ``budget`` seconds: "ok", "unfinished" or what
    it found."""
    deadline = time.monotonic() + budget
    raw: Any = getattr(conn, "raw", conn)
    raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10000)
    try:
        rows = raw.execute("PRAGMA quick_check(20)").fetchall()
    except dbmod.DatabaseError as exc:
        if "interrupt" in str(exc).lower():
            return "unfinished"
        raise
    finally:
        raw.set_progress_handler(None, 0)
    found = [r[0] for r in rows]
    return "ok" if found == ["ok"] else "; ".join(found[:5])


def check_unclean(db_path: Path, key: bytes, mark: HighWaterMark | None) -> list[str]:
    """Open read-only after an unclean shutdown, check against the mark, quick_check.

    Returns notes for the store's health; raises the named error when the store is refused.
    """
    ensure_recovery_room(db_path)
    conn = dbmod.connect(db_path, key, readonly=True)
    try:
        if mark is not None:
            compare(conn, mark, db_path, key)
        result = quick_check(conn)
    finally:
        conn.close()
    if result == "unfinished":
        log.warning("quick check after an unclean shutdown did not finish in time")
        return ["the quick check after an unclean shutdown did not finish in time"]
    if result != "ok":
        found = dbmod.diagnose(db_path, key)
        if found is not None:
            raise found
        raise DatabaseDamaged(
            f"The record database failed its check after an unclean shutdown ({result})."
            f" {dbmod.RECOVER}",
            variant="unclean", detail=result, recover=dbmod.RECOVER,
        )  # fmt: skip
    return ["checked after an unclean shutdown: ok"]
