"""A thin database layer: the same SQL over SQLite and PostgreSQL, DB-API calls in a thread pool.

Queries are written once with ``?`` placeholders; :func:`Conn.execute` translates them to
``%s`` for psycopg in one place. Every unit of work is a function ``fn(conn) -> T`` run in one
transaction by :meth:`Database.read` or :meth:`Database.write` (async, on the thread pool) or
their ``*_sync`` twins (the command line).

Durability and ordering:

* SQLite: WAL, ``synchronous=FULL``; writes start with ``BEGIN IMMEDIATE`` so write
  transactions are serialised (and so is the change sequence).
* PostgreSQL: default durable commits (``synchronous_commit=on``); every write transaction
  that may append to the change table first takes ``pg_advisory_xact_lock(SEQ_LOCK)``, so
  change sequences are assigned and committed in order across all server processes: a pull
  never skips a sequence that commits later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

T = TypeVar("T")
Dialect = Literal["sqlite", "postgresql"]
Row = tuple[Any, ...]

SEQ_LOCK = 7_351_001  # advisory lock key: the single writer of the change table
SCHEMA_LOCK = 7_351_002  # advisory lock key: schema creation and upgrades


class DatabaseError(Exception):
    """The database cannot be opened or used; ``str()`` is a sentence for an operator."""


class UniqueViolation(Exception):
    """An INSERT hit a unique constraint (same meaning on both databases)."""


@dataclass(frozen=True)
class DbUrl:
    dialect: Dialect
    target: str  # a file path (SQLite) or a libpq URL (PostgreSQL)

    @classmethod
    def parse(cls, url: str) -> DbUrl:
        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///") :]
            if not path:
                raise DatabaseError("The SQLite URL has no file path (sqlite:///PATH).")
            return cls("sqlite", path)
        if url.startswith(("postgresql://", "postgres://")):
            parts = urlsplit(url)
            if not parts.path.strip("/"):
                raise DatabaseError("The PostgreSQL URL names no database (…/DBNAME).")
            return cls("postgresql", url)
        raise DatabaseError("The database URL must start with sqlite:/// or postgresql://.")

    def describe(self) -> str:
        """For logs: never the password."""
        if self.dialect == "sqlite":
            return f"sqlite:///{self.target}"
        parts = urlsplit(self.target)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"postgresql://{host}{port}{parts.path}"


_translated: dict[str, str] = {}


def _to_pg(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s`` (and a literal ``%`` doubled)."""
    out = _translated.get(sql)
    if out is None:
        out = sql.replace("%", "%%").replace("?", "%s")
        _translated[sql] = out
    return out


def placeholders(n: int) -> str:
    """``?, ?, ?`` for an IN list of ``n`` values (n >= 1)."""
    return ", ".join("?" * n)


class Conn:
    """One connection inside one transaction: the only way queries reach the database."""

    def __init__(self, raw: Any, dialect: Dialect) -> None:
        self._raw = raw
        self.dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns the number of rows it changed."""
        cur = self._cursor(sql, params)
        count = int(cur.rowcount or 0)
        cur.close()
        return count

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        if self.dialect == "sqlite":
            try:
                self._raw.executemany(sql, rows)
            except sqlite3.IntegrityError as exc:
                raise UniqueViolation(str(exc)) from exc
            return
        import psycopg

        with self._raw.cursor() as cur:
            try:
                cur.executemany(_to_pg(sql), rows)
            except psycopg.errors.UniqueViolation as exc:
                raise UniqueViolation(str(exc)) from exc

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cur = self._cursor(sql, params)
        row = cur.fetchone()
        cur.close()
        return tuple(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = self._cursor(sql, params)
        rows = cur.fetchall()
        cur.close()
        return [tuple(r) for r in rows]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return row[0] if row else None

    def _cursor(self, sql: str, params: Sequence[Any]) -> Any:
        if self.dialect == "sqlite":
            try:
                return self._raw.execute(sql, tuple(params))
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
                    raise UniqueViolation(str(exc)) from exc
                raise
        import psycopg

        cur = self._raw.cursor()
        try:
            cur.execute(_to_pg(sql), tuple(params))
        except psycopg.errors.UniqueViolation as exc:
            cur.close()
            raise UniqueViolation(str(exc)) from exc
        except BaseException:
            cur.close()
            raise
        return cur


class Database:
    """A pool of connections used from a thread pool, one transaction per unit of work."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = DbUrl.parse(url)
        self.dialect: Dialect = self.url.dialect
        self._pool_size = pool_size
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._open = 0
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="central-db")
        if self.dialect == "sqlite":
            try:
                Path(self.url.target).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self._executor.shutdown()
                raise DatabaseError(
                    f"Cannot create the folder of the SQLite database: {exc.strerror or exc}."
                ) from None

    # -- connections -------------------------------------------------------------------------

    def _connect(self) -> Any:
        if self.dialect == "sqlite":
            path = Path(self.url.target).expanduser()
            try:
                raw = sqlite3.connect(
                    str(path), isolation_level=None, check_same_thread=False, timeout=60
                )
                raw.execute("PRAGMA journal_mode=WAL")
            except sqlite3.Error as exc:
                raise DatabaseError(f"Cannot open the SQLite database {path}: {exc}.") from None
            raw.execute("PRAGMA synchronous=FULL")
            raw.execute("PRAGMA foreign_keys=ON")
            raw.execute("PRAGMA busy_timeout=60000")
            return raw
        import psycopg

        try:
            return psycopg.connect(self.url.target, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise DatabaseError(
                f"Cannot connect to PostgreSQL at {self.url.describe()}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else 'no answer'}"
            ) from None

    def _acquire(self) -> Any:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            self._open += 1
        try:
            return self._connect()
        except BaseException:
            with self._lock:
                self._open -= 1
            raise

    def _release(self, raw: Any, broken: bool) -> None:
        if broken or self._closed:
            with contextlib.suppress(Exception):
                raw.close()
            with self._lock:
                self._open -= 1
            return
        self._idle.put(raw)

    def _is_broken(self, raw: Any) -> bool:
        if self.dialect == "sqlite":
            return False
        return bool(raw.closed or raw.broken)

    # -- transactions ------------------------------------------------------------------------

    def run_sync(self, fn: Callable[[Conn], T], *, write: bool, seq_lock: bool = True) -> T:
        """Run ``fn`` in one transaction on this thread; commit, or roll back on any error.

        A pooled PostgreSQL connection found dead when the transaction starts (the server
        restarted, a proxy dropped it) is replaced once; nothing had run on it yet.
        """
        for attempt in (1, 2):
            raw = self._acquire()
            try:
                self._begin(raw, write, seq_lock)
            except Exception:
                broken = self._is_broken(raw)
                self._release(raw, broken)
                if broken and attempt == 1:
                    self._drain_idle()  # its siblings are most likely dead too
                    continue
                raise
            return self._finish(raw, fn)
        raise AssertionError("unreachable")

    def _begin(self, raw: Any, write: bool, seq_lock: bool) -> None:
        if self.dialect == "sqlite":
            raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            return
        # Reads see one snapshot (a pull's rows and head agree); writes are serialised on the
        # change table by the advisory lock.
        raw.execute("BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if write and seq_lock:
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (SEQ_LOCK,))

    def _finish(self, raw: Any, fn: Callable[[Conn], T]) -> T:
        broken = False
        try:
            try:
                result = fn(Conn(raw, self.dialect))
            except BaseException:
                with contextlib.suppress(Exception):
                    raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")
            return result
        except BaseException:
            broken = self._is_broken(raw)
            raise
        finally:
            self._release(raw, broken)

    def read_sync(self, fn: Callable[[Conn], T]) -> T:
        return self.run_sync(fn, write=False)

    def write_sync(self, fn: Callable[[Conn], T], *, seq_lock: bool = True) -> T:
        return self.run_sync(fn, write=True, seq_lock=seq_lock)

    async def read(self, fn: Callable[[Conn], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.read_sync, fn)

    async def write(self, fn: Callable[[Conn], T], *, seq_lock: bool = True) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, lambda: self.run_sync(fn, write=True, seq_lock=seq_lock)
        )

    def schema_lock(self, conn: Conn) -> None:
        """Serialise schema creation between processes starting together (PostgreSQL)."""
        if self.dialect == "postgresql":
            conn.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))

    def _drain_idle(self) -> None:
        while True:
            try:
                raw = self._idle.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(Exception):
                raw.close()
            with self._lock:
                self._open -= 1

    def close(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=True)
        self._drain_idle()
