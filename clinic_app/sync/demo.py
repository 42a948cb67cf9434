"""Demo data for the changes-in-error screen (screenshots only, nothing is sent): waiting
changes of a demo profile marked refused the way the central platform answers, and put back
in the queue afterwards."""

from __future__ import annotations

from clinic_app.records.common import patient_of
from local_store.store import Store
from local_store.sync_ledger import Rejection, SyncLedger

# (record type, the server's stable code, HTTP status, its sentence): as central answers them.
REFUSALS = (
    ("Observation", "invalid_resource", 422,
     "The resource is not a valid Observation (valueQuantity.value)."),
    ("Patient", "unstorable_text", 422, "The resource holds a NUL character."),
)  # fmt: skip


def mark_refused(store: Store) -> int:
    """Mark the newest waiting change of a vital sign and of a patient's details (of two
    different patients) as refused. Returns how many changes are in error."""
    ledger = SyncLedger(store)
    if ledger.changes_in_error():
        return len(ledger.changes_in_error())
    refused: list[tuple[str, Rejection]] = []
    patients_done: set[str] = set()
    for rtype, code, status, sentence in REFUSALS:
        rows = store.conn.execute(
            "SELECT change_id, record_id FROM outbox WHERE rtype = ? AND state IN"
            " ('pending', 'uploading') ORDER BY seq DESC LIMIT 50",
            (rtype,),
        ).fetchall()
        for change_id, record_id in rows:
            found = store.get_many(rtype, [record_id])
            pid = patient_of(found[0]) if found else None
            if pid and pid not in patients_done:
                patients_done.add(pid)
                refused.append((change_id, Rejection(sentence, code, status)))
                break
    ledger.record_results([], refused)
    return len(refused)


def unmark_refused(store: Store) -> int:
    """Every change in error waits again (as before :func:`mark_refused`)."""
    return SyncLedger(store).retry_errors()
