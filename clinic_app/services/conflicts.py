"""Sync conflicts for the clinician: both versions side by side, and the choice that ends one."""

from __future__ import annotations

import json
from typing import Any, Literal

from clinic_app.errors import NotFound, ValidationError
from clinic_app.records.common import patient_of
from clinic_app.records.patient import search_terms
from clinic_app.sync.merge import DELETED_HERE, DELETED_THERE
from clinic_app.sync.merge import resolve as merge_resolve
from local_store.store import Store
from local_store.sync_ledger import Conflict, SyncLedger

__all__ = ["Conflict", "Side", "describe", "open_conflicts", "resolve"]

Side = Literal["local", "remote"]


def open_conflicts(store: Store) -> list[Conflict]:
    return SyncLedger(store).open_conflicts()


def _find(store: Store, conflict_id: int) -> Conflict:
    for c in open_conflicts(store):
        if c.id == conflict_id:
            return c
    raise NotFound("No open conflict with that number.")


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else "—"


def describe(store: Store, conflict_id: int) -> list[str]:
    """Lines showing, per field, the value here and the value on the server."""
    c = _find(store, conflict_id)
    lines = [f"Conflict #{c.id} on {c.rtype}/{c.record_id}"]
    for name in c.fields:
        if name in (DELETED_HERE, DELETED_THERE):
            lines.append(f"  {name}")
            continue
        lines.append(f"  {name}:")
        lines.append(f"    here:   {_show((c.local or {}).get(name))}")
        lines.append(f"    server: {_show((c.remote or {}).get(name))}")
    return lines


def resolve(
    store: Store,
    conflict_id: int,
    *,
    take: Side | None = None,
    choices: dict[str, Side] | None = None,
) -> None:
    """End a conflict: keep one side entirely (``take``) or choose per field (``choices``)."""
    c = _find(store, conflict_id)
    ledger = SyncLedger(store)
    choices = dict(choices or {})
    deletion = any(f in (DELETED_HERE, DELETED_THERE) for f in c.fields)
    if take is None and (deletion or set(c.fields) - set(choices)):
        raise ValidationError("take", "Choose a side for every field (or keep one side entirely).")
    if take == "remote" or (deletion and take is None):
        resource = None  # the server's copy as it is
    elif take == "local" and c.local_deleted:
        resource = None  # take the server's copy, then delete it again on top of it
    elif take == "local":
        resource = c.local
    else:
        resource = merge_resolve(c.base, c.local, c.remote, choices, c.fields)
    target = resource or c.remote or c.local or {}
    ledger.write_merged(
        rtype=c.rtype,
        record_id=c.record_id,
        resource=resource,
        server_version=c.remote_version,
        server_deleted=c.remote_deleted,
        server_resource=c.remote,
        patient_id=patient_of(target),
        terms=search_terms(target) if c.rtype == "Patient" and target else None,
        conflict_id=c.id,
        resolution=f"resolved-{take or 'per-field'}",
    )
    if take == "local" and c.local_deleted and not c.remote_deleted:
        store.delete(c.rtype, c.record_id)
