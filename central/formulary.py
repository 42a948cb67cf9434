"""The platform's formulary: FHIR Medication records owned by the platform
(:data:`central.authz.PLATFORM_OWNER`), written only by the administrator from the command line
(``clinic-central formulary import|add|retire|list``) and pulled by every clinic device and
specialist (audience ``platform``); a push of a Medication is refused (central.authz).

A write here is an ordinary accepted change: a new version of the record, the next global
``seq`` (under the change-table lock of ``Database.write_sync``) and its ``change_audience``
row, so workstations receive it with their next pull. Nothing is ever deleted: retiring an entry
is a new version with ``status = inactive`` (prescriptions written from it keep their meaning).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from central import sync
from central.authz import PLATFORM_AUDIENCE, PLATFORM_OWNER
from central.db import Conn, sql
from central.errors import CommandError
from central.records import forget, load, select
from central.references import ID_GRAMMAR
from central.validation import canonical_json, check_resource
from clinic_app.clinical.medication_formulary import Entry, Formulary, current

RTYPE = "Medication"
_ATC = re.compile(r"[A-Z]\d\d[A-Z][A-Z]\d\d")  # a chemical substance (level 5)
_PLATFORM_MEDICATIONS = sql(
    "r.rtype = 'Medication' AND r.owner_clinic = :owner AND r.deleted = 0 ORDER BY r.id"
)
_NEW_RECORD = sql(
    "INSERT INTO records (rtype, id, version, deleted, resource, owner_clinic, patient_id, "
    "last_seq) VALUES (:rtype, :rid, :version, 0, :resource, :owner, NULL, :seq)"
)
_UPDATE_RECORD = sql(
    "UPDATE records SET version = :version, deleted = 0, resource = :resource, "
    "last_seq = :seq WHERE rtype = :rtype AND id = :rid"
)
_NEW_CHANGE = sql(
    "INSERT INTO changes (seq, rtype, record_id, version, deleted, resource, change_id, "
    "reemit, created_at) VALUES (:seq, :rtype, :rid, :version, 0, :resource, NULL, 0, :at)"
)
_NEW_AUDIENCE = sql("INSERT INTO change_audience (audience, seq) VALUES (:audience, :seq)")


def medications(conn: Conn) -> list[dict[str, Any]]:
    """The platform's Medication resources (retired ones too)."""
    rows = select(conn, _PLATFORM_MEDICATIONS, {"owner": PLATFORM_OWNER})
    return [r.resource for r in rows if r.resource is not None]


def platform_entries(conn: Conn) -> list[Entry]:
    """The platform's entries, retired ones too (empty before the first import)."""
    return Formulary.from_medications(medications(conn)).known


def formulary(conn: Conn) -> Formulary:
    """The formulary in force on the platform (what the web desk offers and checks with): the
    same function a workstation uses on the records it pulled."""
    return current(medications(conn))


@dataclass
class Outcome:
    added: int = 0
    changed: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"added {self.added}, changed {self.changed}, unchanged {self.unchanged}"


def _check(entry: Entry) -> dict[str, Any]:
    if not ID_GRAMMAR.fullmatch(entry.id):
        raise CommandError(
            f"The formulary id {entry.id!r} is not 1 to 64 letters, digits, '-' or '.'."
        )
    if not (entry.atc and entry.ingredient_en and entry.name_zh and entry.name_en):
        raise CommandError(f"{entry.id}: the ATC code, ingredient and names are required.")
    if entry.strength_value <= 0 or not entry.strength_unit or not entry.form:
        raise CommandError(f"{entry.id}: give a strength above 0, its unit and the form.")
    if not _ATC.fullmatch(entry.atc):
        raise CommandError(f"{entry.id}: {entry.atc!r} is not a WHO ATC code (like C08CA01).")
    resource = entry.medication()
    problem = check_resource(RTYPE, resource)
    if problem is not None:
        raise CommandError(f"{entry.id}: {problem.message}")
    return resource


def put(conn: Conn, entry: Entry, outcome: Outcome, *, keep_retired: bool = False) -> None:
    """Write ``entry`` as the platform's Medication (a new version only when it differs);
    ``keep_retired``: an entry the administrator retired stays retired (an import)."""
    row = load(conn, RTYPE, entry.id)
    if row is not None and row.owner_clinic != PLATFORM_OWNER:  # pragma: no cover - refused
        raise CommandError(f"{entry.id}: a record of that id is not the platform's.")
    if keep_retired and row is not None and (row.resource or {}).get("status") == "inactive":
        entry = replace(entry, active=False)
    resource = _check(entry)
    text = canonical_json(resource)
    if row is not None and not row.deleted and canonical_json(row.resource or {}) == text:
        outcome.unchanged += 1
        return
    version = 1 if row is None else row.version + 1
    seq = sync.head(conn) + 1
    values = {"rtype": RTYPE, "rid": entry.id, "version": version, "resource": text, "seq": seq}
    forget(conn, RTYPE, entry.id)
    if row is None:
        conn.execute(_NEW_RECORD, {**values, "owner": PLATFORM_OWNER})
        outcome.added += 1
    else:
        conn.execute(_UPDATE_RECORD, values)
        outcome.changed += 1
    conn.execute(_NEW_CHANGE, {**values, "at": int(time.time())})
    conn.execute(_NEW_AUDIENCE, {"audience": PLATFORM_AUDIENCE, "seq": seq})


def put_entry(conn: Conn, entry: Entry) -> Outcome:
    """Add one entry, or change it (an entry added again is offered again)."""
    outcome = Outcome()
    put(conn, entry, outcome)
    return outcome


def import_entries(conn: Conn, entries: Iterable[Entry]) -> Outcome:
    """Add or update each entry (a retired one stays retired; entries not named are left as
    they are: retiring is explicit)."""
    outcome = Outcome()
    for entry in entries:
        put(conn, entry, outcome, keep_retired=True)
    return outcome


def read_file(path: Path | None) -> list[Entry]:
    """The entries of a formulary file (``data/formulary.json``'s form; None: that file)."""
    if path is None:
        return Formulary.load().known
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
        entries = [Entry.from_json(m) for m in doc["medications"]]
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError):
        raise CommandError(
            f'{path} is not a formulary file (JSON with "medications": [{{id, atc, '
            "ingredient {en, zh}, strength {value, unit}, form, name {zh, en}}}, …])."
        ) from None
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise CommandError(f"{path} repeats a formulary id; nothing was imported.")
    return entries


def retire(conn: Conn, entry_id: str) -> bool:
    """Mark an entry inactive (no longer offered; prescriptions keep naming it). False when
    there is no such entry."""
    row = load(conn, RTYPE, entry_id)
    if row is None or row.owner_clinic != PLATFORM_OWNER or row.resource is None:
        return False
    entry = Entry.from_medication(row.resource)
    if entry is None:  # pragma: no cover - every platform Medication is written by put()
        return False
    put(conn, replace(entry, active=False), Outcome())
    return True
