"""The central database schema: the same tables on SQLite and PostgreSQL.

Times are integer Unix seconds, flags are 0/1 integers, JSON is text: the only per-database
difference is the type of binary columns (``BLOB`` / ``BYTEA``).

Records and the change table:

* ``records`` — the current version of each record, its owner clinic and its Patient.
* ``changes`` — every accepted change, numbered by a global, gap-free ``seq`` (assigned under
  the single-writer lock). ``reemit = 1`` marks a copy of a record's current version sent again
  to an audience that has just been granted access (not a new version).
* ``change_audience`` — who may pull each change: ``clinic:<id>`` or ``specialty:<code>``;
  pulls join on the caller's audiences through the (audience, seq) key.
* ``grants`` — consult visibility: the ServiceRequest ``via_sr`` grants ``audience`` read
  access to a target record (only when the target belongs to the consult's clinic).
* ``links`` — ``basedOn`` references from records to ServiceRequests.
* ``applied_changes`` — idempotency: the result of every applied ``change_id``.

The tables are made and upgraded by the numbered steps of :mod:`central.migrations`;
:func:`ensure` runs them when a server or the command line opens the database.
"""

from __future__ import annotations

from central.db import Conn, Database, sql
from central.migrations import CURRENT_SCHEMA, SchemaTooNew, migrate, new_epoch, v1_statements

SCHEMA_VERSION = CURRENT_SCHEMA

__all__ = [
    "SCHEMA_VERSION",
    "SchemaTooNew",
    "bump_epoch",
    "ensure",
    "epoch",
    "new_epoch",
    "statements",
]


def statements(dialect: str) -> list[str]:
    """The statements of the first schema step (every table is created there)."""
    return v1_statements(dialect)


def ensure(db: Database) -> list[int]:
    """Create or upgrade the schema (and the epoch); safe when several processes start at
    once. Returns the migration steps this process applied; raises :class:`SchemaTooNew`
    (a :class:`central.db.DatabaseError`) for a database made by a newer server."""
    return migrate(db)


_EPOCH = sql("SELECT value FROM meta WHERE key = 'epoch'")
_SET_EPOCH = sql("UPDATE meta SET value = :value WHERE key = 'epoch'")


def epoch(conn: Conn) -> str:
    return str(conn.scalar(_EPOCH))


def bump_epoch(conn: Conn) -> str:
    value = new_epoch()
    conn.execute(_SET_EPOCH, {"value": value})
    return value
