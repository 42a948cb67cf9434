"""A connection wrapper through which no raw SQLite or OS error leaves the store.

Every statement and every row fetched goes through :func:`Guard.translate`: a full disk, a
read-only or removed medium, a permission or I/O failure, a damaged page or log become the
named errors of :mod:`local_store.errors`. Constraint violations and programming errors pass
through unchanged (they are the caller's to handle).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from local_store import faults
from local_store.errors import ClinicError

SQL_ERRORS: tuple[type[BaseException], ...] = (sqlcipher.Error, sqlite3.Error)
Translate = Callable[[BaseException], ClinicError | None]


def is_fault(exc: BaseException) -> bool:
    """An SQLite error about the medium or damage (not a constraint or a bad statement)."""
    code = faults.sqlite_code(exc)
    return code is not None and (
        code in faults.MEDIUM_CODES
        or code in faults.DAMAGE_CODES
        or code in (faults.SQLITE_BUSY, faults.SQLITE_LOCKED)
    )


class GuardedCursor:
    def __init__(self, cursor: Any, translate: Translate) -> None:
        self._cursor = cursor
        self._translate = translate

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except OSError as exc:
            raise self._translate(exc) or exc from None
        except MemoryError as exc:
            # SQLite answers SQLITE_NOMEM on a connection whose disk failed under it.
            named = self._translate(exc)
            if named is None:
                raise
            raise named from None
        except SQL_ERRORS as exc:
            if not is_fault(exc):
                raise
            named = self._translate(exc)
            if named is None:
                raise
            raise named from None

    def fetchone(self) -> Any:
        return self._call(self._cursor.fetchone)

    def fetchall(self) -> list[Any]:
        result: list[Any] = self._call(self._cursor.fetchall)
        return result

    def fetchmany(self, size: int = 1) -> list[Any]:
        result: list[Any] = self._call(self._cursor.fetchmany, size)
        return result

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return self._call(self._cursor.__next__)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class GuardedConnection:
    """Wraps a DB-API connection; ``raw`` is the connection itself (for the backup API)."""

    def __init__(self, conn: Any, translate: Translate) -> None:
        self.raw = conn
        self._translate = translate

    def _cursor(self, fn: Callable[..., Any], *args: Any) -> GuardedCursor:
        cursor = GuardedCursor(None, self._translate)
        cursor._cursor = cursor._call(fn, *args)
        return cursor

    def execute(self, sql: str, params: Any = ()) -> GuardedCursor:
        return self._cursor(self.raw.execute, sql, params)

    def executemany(self, sql: str, seq: Any) -> GuardedCursor:
        return self._cursor(self.raw.executemany, sql, seq)

    def executescript(self, sql: str) -> GuardedCursor:
        return self._cursor(self.raw.executescript, sql)

    @property
    def in_transaction(self) -> bool:
        return bool(self.raw.in_transaction)

    def close(self) -> None:
        self.raw.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)
