"""A thin database layer: the same SQL over SQLite and PostgreSQL, DB-API calls in a thread pool.

Statements are :class:`Sql` values written once with named parameters (``:name``, sqlite3's
native style) and translated once, when the statement is defined, to psycopg's native
``%(name)s`` style; parameters are passed as a mapping that both drivers take as it is. No SQL
text is rewritten when it runs. Every unit of work is a function ``fn(conn) -> T`` run in one
transaction by :meth:`Database.read` or :meth:`Database.write` (async, on the thread pool) or
their ``*_sync`` twins (the command line).

Connections: PostgreSQL through psycopg 3's ``psycopg_pool.ConnectionPool``; SQLite through a
small stack of idle connections (a file database needs no more).

Durability and ordering:

* SQLite: WAL, ``synchronous=FULL``; writes start with ``BEGIN IMMEDIATE`` so write
  transactions are serialised (and so is the change sequence).
* PostgreSQL: default durable commits (``synchronous_commit=on``). A write transaction that
  may append to the change table first takes ``pg_advisory_xact_lock(SEQ_LOCK)`` (exclusive:
  nothing else writes changes meanwhile). A clinic's push (``write(…, clinic=ID)``) instead
  takes SEQ_LOCK *shared* plus an exclusive lock of its clinic, so pushes of different clinics
  run in parallel; its changes carry provisional negative numbers (unique per backend) and are
  numbered only at the end, under ``SEQ_ASSIGN`` held until commit (:meth:`Conn.assign_lock`).
  Either way sequences are assigned and committed in order across all server processes: a
  pull never skips a sequence that commits later. A clinic write that lost a race with another
  clinic (the same new record id or change id, a deadlock) is run again from the start.

Round trips: rows a unit of work inserts but reads only later go through
:meth:`Conn.insert_later` (one multi-row statement per table, sent before the next other
statement or the commit); a write's BEGIN and its lock go together, and so do a clinic push's
last inserts, the numbering lock and its numbering statement (:meth:`Conn.assign_and_run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)

T = TypeVar("T")
Dialect = Literal["sqlite", "postgresql"]
Row = tuple[Any, ...]
Params = Mapping[str, Any]

SEQ_LOCK = 7_351_001  # advisory lock key: the single writer of the change table
SEQ_ASSIGN = 7_351_003  # advisory lock key: numbering a clinic push's changes, held to commit
CLINIC_LOCK_CLASS = 7_351  # two-key advisory locks (class, hashtext(clinic id)): one clinic
CONFLICT_RETRIES = 3  # attempts of a clinic write that raced another clinic (unique, deadlock)
SCHEMA_LOCK = 7_351_002  # advisory lock key: schema creation and upgrades
PG_CONNECT_TIMEOUT = 10  # seconds, for one connection attempt
PG_POOL_TIMEOUT = 15.0  # seconds a unit of work waits for a pooled connection

_NO_PARAMS: Params = {}


class DatabaseError(Exception):
    """The database cannot be opened or used; ``str()`` is a sentence for an operator."""


class UniqueViolation(Exception):
    """An INSERT hit a unique constraint (same meaning on both databases)."""


# -- statements ------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Sql:
    """One statement in both drivers' native parameter styles.

    ``text`` is the statement as written (sqlite3 reads ``:name`` itself); ``pg`` is the same
    statement for psycopg, with ``%(name)s`` parameters and a literal ``%`` doubled — or the
    text unchanged when it has no parameters (psycopg then reads no placeholders at all).
    Made by :func:`sql` (parsing, once) or by joining statements already made (no parsing).
    """

    text: str
    pg: str
    names: frozenset[str]

    def __add__(self, other: Sql) -> Sql:
        return Sql.join("", (self, other))

    @staticmethod
    def join(sep: str, parts: Iterable[Sql]) -> Sql:
        """The parts with ``sep`` (plain SQL, no parameters) between them."""
        items = list(parts)
        names: frozenset[str] = frozenset().union(*(p.names for p in items))
        pg_sep = sep.replace("%", "%%") if names else sep
        pg_parts = [_pg_form(p, bool(names)) for p in items]
        return Sql(sep.join(p.text for p in items), pg_sep.join(pg_parts), names)


def _pg_form(part: Sql, escaped: bool) -> str:
    """A part's psycopg text in a statement that does (``escaped``) or does not have
    parameters: a part without parameters keeps its ``%`` single, so it is doubled here."""
    if part.names or not escaped:
        return part.pg
    return part.pg.replace("%", "%%")


def sql(text: str) -> Sql:
    """Parse a statement once: ``:name`` parameters (not inside quotes, comments or a ``::``
    cast) become ``%(name)s`` for psycopg. Positional ``?`` placeholders are refused."""
    out: list[str] = []
    names: set[str] = set()
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":  # a string literal or a quoted identifier ('' / "" escape themselves)
            end = i + 1
            while True:
                end = text.find(ch, end)
                if end < 0:
                    raise ValueError(f"Unterminated quote in SQL: {text!r}")
                if end + 1 < n and text[end + 1] == ch:
                    end += 2
                    continue
                break
            out.append(text[i : end + 1].replace("%", "%%"))
            i = end + 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(text[i:end].replace("%", "%%"))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ValueError(f"Unterminated comment in SQL: {text!r}")
            out.append(text[i : end + 2].replace("%", "%%"))
            i = end + 2
        elif text.startswith("::", i):
            out.append("::")
            i += 2
        elif ch == ":" and (m := _NAME.match(text, i + 1)):
            names.add(m.group(0))
            out.append(f"%({m.group(0)})s")
            i = m.end()
        elif ch == "?":
            raise ValueError(f"Use :name parameters, not '?': {text!r}")
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return Sql(text, "".join(out) if names else text, frozenset(names))


def sql_each(sqlite: str, postgresql: str) -> Sql:
    """One statement written once for each database, where they must differ to give the same
    answer (e.g. :data:`BYTEWISE` ordering); both take the same parameters."""
    lite, pg = sql(sqlite), sql(postgresql)
    if lite.names != pg.names:
        raise ValueError("Both forms of a statement take the same parameters.")
    return Sql(lite.text, pg.pg, lite.names)


@dataclass(frozen=True)
class Bulk:
    """An INSERT of many rows at once (:meth:`Conn.insert_later`): on SQLite ``executemany`` of
    the one-row statement, on PostgreSQL ONE statement over ``unnest()`` of a typed array per
    column (one parse, one plan, one round trip for the whole batch instead of one Bind and
    Execute per row). Rows are mappings keyed by the parameter names."""

    table: str
    columns: tuple[tuple[str, str, str], ...]  # (column, parameter name, PostgreSQL type)
    one: Sql  # INSERT ... VALUES (:param, ...)
    pg: str  # INSERT ... SELECT * FROM unnest(%b::type[], ...): binary arrays, no escaping

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(name for _, name, _ in self.columns)

    def arrays(self, rows: Sequence[Params]) -> list[list[Any]]:
        """The rows as one list per column (PostgreSQL's unnest arrays)."""
        return [[row[name] for row in rows] for name in self.params]


def bulk(table: str, columns: Sequence[tuple[str, str, str]]) -> Bulk:
    """A :class:`Bulk` insert into ``table`` of (column, parameter, PostgreSQL type) triples."""
    cols = ", ".join(c for c, _, _ in columns)
    one = sql(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(f':{n}' for _, n, _ in columns)})")
    arrays = ", ".join(f"%b::{t}[]" for _, _, t in columns)
    return Bulk(
        table, tuple(columns), one, f"INSERT INTO {table} ({cols}) SELECT * FROM unnest({arrays})"
    )


# Text ordered by code point, as SQLite's default BINARY collation does: a PostgreSQL database
# created with a linguistic locale (en_US.UTF-8, ICU) would order "a" before "B" instead.
BYTEWISE = 'COLLATE "C"'


def in_list(prefix: str, values: Sequence[Any]) -> tuple[Sql, dict[str, Any]]:
    """``:prefix0, :prefix1, …`` for an IN list of ``values`` (at least one), and its
    parameters; made directly in both styles (no parsing)."""
    if not values or not _NAME.fullmatch(prefix):
        raise ValueError("An IN list has a parameter prefix and at least one value.")
    keys = [f"{prefix}{i}" for i in range(len(values))]
    part = Sql(
        ", ".join(f":{k}" for k in keys), ", ".join(f"%({k})s" for k in keys), frozenset(keys)
    )
    return part, dict(zip(keys, values, strict=True))


# -- URLs ------------------------------------------------------------------------------------


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


# -- one transaction -------------------------------------------------------------------------


def _is_unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc)
    module = type(exc).__module__
    if module.startswith("psycopg"):
        import psycopg

        return isinstance(exc, psycopg.errors.UniqueViolation)
    return False


def _check_params(query: Sql, params: Params) -> None:
    missing = query.names - params.keys()
    if missing:
        raise TypeError(f"SQL parameters missing: {', '.join(sorted(missing))}")


class Conn:
    """One connection inside one transaction: the only way queries reach the database."""

    def __init__(self, raw: Any, dialect: Dialect, *, concurrent: bool = False) -> None:
        self._raw = raw
        self.dialect = dialect
        # A clinic write on PostgreSQL running beside others (see the module docstring): its
        # changes get provisional numbers until assign_lock() is held.
        self.concurrent = concurrent
        self.state: dict[str, Any] = {}  # per-transaction scratch space of the layers above
        # Rows of insert_later(), by statement in the order first used: inserted by flush(),
        # which runs before any other statement of this connection (and before COMMIT), so
        # every read still sees them; only the round trips are saved.
        self._deferred: dict[Bulk, list[Params]] = {}

    @property
    def backend_id(self) -> int:
        """This connection's PostgreSQL backend process id (unique among live connections)."""
        return int(self._raw.info.backend_pid)

    def assign_lock(self) -> None:
        """Take the change-numbering lock of a concurrent clinic write (held until commit)."""
        if self.concurrent:
            self.flush()
            self._raw.execute("SELECT pg_advisory_xact_lock(%s)", (SEQ_ASSIGN,))

    def assign_and_run(self, text: str, params: Params) -> list[Row]:
        """:meth:`assign_lock`, then one statement in psycopg's ``%(name)s`` style; its rows.
        The rows still waiting (:meth:`insert_later`), the lock and the statement are sent
        together (a psycopg pipeline: one round trip)."""
        if not self.concurrent:
            raise RuntimeError("assign_and_run is for a concurrent clinic write")
        items = list(self._deferred.items())
        self._deferred.clear()
        try:
            with self._raw.cursor() as cur:
                with self._raw.pipeline():
                    for query, rows in items:
                        cur.execute(query.pg, query.arrays(rows), prepare=True)
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (SEQ_ASSIGN,))
                    cur.execute(text, params, prepare=True)
                # leaving the pipeline sent it and read every answer
                return [tuple(r) for r in cur.fetchall()]
        except Exception as exc:
            if _is_unique_violation(exc):
                raise UniqueViolation(str(exc)) from exc
            raise

    def insert_later(self, query: Bulk, rows: Iterable[Params]) -> None:
        """Insert these rows before the next other statement of this transaction (or its
        commit): consecutive inserts of one push become one statement per table."""
        rows = list(rows)
        for params in rows:
            missing = set(query.params) - params.keys()
            if missing:
                raise TypeError(f"SQL parameters missing: {', '.join(sorted(missing))}")
        if rows:
            self._deferred.setdefault(query, []).extend(rows)

    def take_later(self, query: Bulk) -> list[Params]:
        """The rows of ``query`` still waiting for :meth:`flush` (now no longer inserted by it)."""
        return self._deferred.pop(query, [])

    def flush(self) -> None:
        """Insert the rows of :meth:`insert_later` (a statement per table, in first-use order)."""
        if not self._deferred:
            return
        items = list(self._deferred.items())
        self._deferred.clear()
        try:
            for query, rows in items:
                if self.dialect == "sqlite":
                    self._raw.executemany(query.one.text, rows)
                else:
                    self._raw.execute(query.pg, query.arrays(rows), prepare=True)
        except Exception as exc:
            if _is_unique_violation(exc):
                raise UniqueViolation(str(exc)) from exc
            raise

    def execute(self, query: Sql, params: Params = _NO_PARAMS) -> int:
        """Run a statement; returns the number of rows it changed."""
        return self._run(query, params, lambda cur: int(cur.rowcount or 0))

    def executemany(self, query: Sql, rows: Iterable[Params]) -> None:
        rows = list(rows)
        if not rows:
            return
        for params in rows:
            _check_params(query, params)
        self.flush()
        try:
            if self.dialect == "sqlite":
                self._raw.executemany(query.text, rows)
                return
            with self._raw.cursor() as cur:
                if query.names:
                    cur.executemany(query.pg, rows)
                else:
                    for _ in rows:
                        cur.execute(query.pg)
        except Exception as exc:
            if _is_unique_violation(exc):
                raise UniqueViolation(str(exc)) from exc
            raise

    def one(self, query: Sql, params: Params = _NO_PARAMS) -> Row | None:
        row = self._run(query, params, lambda cur: cur.fetchone())
        return tuple(row) if row is not None else None

    def all(self, query: Sql, params: Params = _NO_PARAMS) -> list[Row]:
        rows = self._run(query, params, lambda cur: cur.fetchall())
        return [tuple(r) for r in rows]

    def scalar(self, query: Sql, params: Params = _NO_PARAMS) -> Any:
        row = self.one(query, params)
        return row[0] if row else None

    def _run(self, query: Sql, params: Params, fetch: Callable[[Any], T]) -> T:
        if not isinstance(query, Sql):
            raise TypeError("Statements are Sql values (central.db.sql), not strings.")
        _check_params(query, params)
        self.flush()
        try:
            if self.dialect == "sqlite":
                cur = self._raw.execute(query.text, params)
            else:
                cur = self._raw.cursor()
                cur.execute(query.pg, params if query.names else None)
        except Exception as exc:
            if _is_unique_violation(exc):
                raise UniqueViolation(str(exc)) from exc
            raise
        try:
            return fetch(cur)
        finally:
            cur.close()


# -- connections -----------------------------------------------------------------------------


class _SqliteConnections:
    """Idle SQLite connections, newest first (one file; opening one is cheap)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._idle: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()

    def get(self) -> sqlite3.Connection:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        try:
            raw = sqlite3.connect(
                str(self._path), isolation_level=None, check_same_thread=False, timeout=60
            )
            raw.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise DatabaseError(f"Cannot open the SQLite database {self._path}: {exc}.") from None
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("PRAGMA busy_timeout=60000")
        return raw

    def put(self, raw: sqlite3.Connection, broken: bool) -> None:
        if broken:
            with contextlib.suppress(Exception):
                raw.close()
            return
        self._idle.put(raw)

    def close(self) -> None:
        while True:
            try:
                raw = self._idle.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(Exception):
                raw.close()


def _lost_race(exc: BaseException) -> bool:
    """A concurrent clinic write that another transaction beat to a row (PostgreSQL)."""
    if isinstance(exc, UniqueViolation):
        return True
    if type(exc).__module__.startswith("psycopg"):
        import psycopg

        errors = psycopg.errors
        return isinstance(exc, errors.DeadlockDetected | errors.SerializationFailure)
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no answer"


class Database:
    """A pool of connections used from a thread pool, one transaction per unit of work."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = DbUrl.parse(url)
        self.dialect: Dialect = self.url.dialect
        self._pool_size = pool_size
        self._closed = False
        self._pool_lock = threading.Lock()
        self._pg: ConnectionPool[Any] | None = None
        self._sqlite: _SqliteConnections | None = None
        self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="central-db")
        if self.dialect == "sqlite":
            path = Path(self.url.target).expanduser()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self._executor.shutdown()
                raise DatabaseError(
                    f"Cannot create the folder of the SQLite database: {exc.strerror or exc}."
                ) from None
            self._sqlite = _SqliteConnections(path)

    # -- connections -------------------------------------------------------------------------

    def _pg_pool(self) -> ConnectionPool[Any]:
        """The PostgreSQL pool, opened on first use after one direct connection proves the
        server answers (an operator gets the reason at once, not a pool timeout)."""
        with self._pool_lock:
            if self._pg is not None:
                return self._pg
            if self._closed:
                raise DatabaseError("The database is closed.")
            import psycopg
            from psycopg_pool import ConnectionPool

            try:
                psycopg.connect(self.url.target, connect_timeout=PG_CONNECT_TIMEOUT).close()
            except psycopg.OperationalError as exc:
                raise DatabaseError(
                    f"Cannot connect to PostgreSQL at {self.url.describe()}: {_first_line(exc)}"
                ) from None
            self._pg = ConnectionPool(
                self.url.target,
                kwargs={"autocommit": True, "connect_timeout": PG_CONNECT_TIMEOUT},
                min_size=1,
                max_size=self._pool_size,
                timeout=PG_POOL_TIMEOUT,
                name="central",
                open=True,
            )
            return self._pg

    def _acquire(self) -> Any:
        if self._sqlite is not None:
            return self._sqlite.get()
        from psycopg_pool import PoolTimeout

        try:
            return self._pg_pool().getconn()
        except PoolTimeout:
            raise DatabaseError(
                f"PostgreSQL at {self.url.describe()} gave no connection within "
                f"{PG_POOL_TIMEOUT:g} seconds."
            ) from None

    def _release(self, raw: Any, broken: bool) -> None:
        if self._sqlite is not None:
            self._sqlite.put(raw, broken or self._closed)
            return
        assert self._pg is not None
        self._pg.putconn(raw)  # a broken connection is discarded and replaced by the pool

    def _is_broken(self, raw: Any) -> bool:
        if self.dialect == "sqlite":
            return False
        return bool(raw.closed or raw.broken)

    # -- transactions ------------------------------------------------------------------------

    def run_sync(
        self,
        fn: Callable[[Conn], T],
        *,
        write: bool,
        seq_lock: bool = True,
        clinic: str | None = None,
    ) -> T:
        """Run ``fn`` in one transaction on this thread; commit, or roll back on any error.

        A pooled PostgreSQL connection found dead when the transaction starts (the server
        restarted, a proxy dropped it) is replaced once, after the pool has checked its other
        idle connections (they are most likely dead too); nothing had run on it yet.

        ``clinic`` (a write on PostgreSQL): a clinic's write that may run beside other
        clinics' (see the module docstring); rolled back and run again when it lost a race.
        """
        concurrent = write and seq_lock and clinic is not None and self.dialect == "postgresql"
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                return self._once(fn, write, seq_lock, clinic if concurrent else None)
            except Exception as exc:
                if not concurrent or attempt == CONFLICT_RETRIES or not _lost_race(exc):
                    raise
                log.info("a clinic write lost a race with another (%s); again", type(exc).__name__)
        raise AssertionError("unreachable")

    def _once(self, fn: Callable[[Conn], T], write: bool, seq_lock: bool, clinic: str | None) -> T:
        for attempt in (1, 2):
            raw = self._acquire()
            try:
                self._begin(raw, write, seq_lock, clinic)
            except Exception:
                broken = self._is_broken(raw)
                self._release(raw, broken)
                if broken and attempt == 1 and self._pg is not None:
                    self._pg.check()
                    continue
                raise
            return self._finish(raw, fn, concurrent=clinic is not None)
        raise AssertionError("unreachable")

    def _begin(self, raw: Any, write: bool, seq_lock: bool, clinic: str | None = None) -> None:
        if self.dialect == "sqlite":
            raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            return
        # Reads see one snapshot (a pull's rows and head agree); writes are serialised on the
        # change table by the advisory lock (a clinic's: only with its own clinic's writes).
        if not (write and seq_lock):
            raw.execute("BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return
        with raw.pipeline():  # BEGIN and the lock in one round trip
            raw.execute("BEGIN")
            if clinic is not None:
                raw.execute(
                    "SELECT pg_advisory_xact_lock_shared(%s), "
                    "pg_advisory_xact_lock(%s, hashtext(%s))",
                    (SEQ_LOCK, CLINIC_LOCK_CLASS, clinic),
                )
            else:
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (SEQ_LOCK,))

    def _finish(self, raw: Any, fn: Callable[[Conn], T], *, concurrent: bool = False) -> T:
        broken = False
        try:
            try:
                conn = Conn(raw, self.dialect, concurrent=concurrent)
                result = fn(conn)
                conn.flush()
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

    async def write(
        self, fn: Callable[[Conn], T], *, seq_lock: bool = True, clinic: str | None = None
    ) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor,
            lambda: self.run_sync(fn, write=True, seq_lock=seq_lock, clinic=clinic),
        )

    def schema_lock(self, conn: Conn) -> None:
        """Serialise schema creation and upgrades between processes (PostgreSQL; on SQLite
        the write transaction itself is exclusive), and order them with change writers."""
        if self.dialect == "postgresql":
            conn.execute(_SCHEMA_LOCK_SQL, {"key": SCHEMA_LOCK})
            conn.execute(_SCHEMA_LOCK_SQL, {"key": SEQ_LOCK})

    def close(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=True)
        with self._pool_lock:
            pool, self._pg = self._pg, None
        if pool is not None:
            pool.close()
        if self._sqlite is not None:
            self._sqlite.close()


_SCHEMA_LOCK_SQL = sql("SELECT pg_advisory_xact_lock(:key)")
