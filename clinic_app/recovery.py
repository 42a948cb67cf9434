"""Rebuilding a damaged profile from the central platform.

``rebuild`` makes a new profile, connects it (a new one-time enrollment code from the
administrator is the dependable way, since the device token in a damaged store may not be
readable; without a code the old account is used if it can be read), receives everything the
central platform holds for the clinic, then puts back the local changes that were never sent
(outbox entries not acknowledged, whose record versions can still be read in the damaged
profile) so that the next sync pushes them. They keep their change ids: a change the platform
already applied (its answer was lost) is recognised by the id in what was received and not
queued again, and would not be applied twice anyway. What could not be read is listed.

The new profile keeps the damaged profile's key file (every user's passphrase and the recovery
key still open it); when that file cannot be read, a new one is made for the given user and
passphrase (its recovery key is in the report, to show once). The damaged profile is only read.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from clinic_app.errors import ClinicError
from clinic_app.records.common import patient_of
from clinic_app.records.patient import search_terms
from clinic_app.sync.account import META_KEY, SyncAccount
from clinic_app.sync.client import CentralClient
from clinic_app.sync.engine import SyncEngine
from local_store import faults
from local_store import salvage as sv
from local_store.atomic import fsync_dir
from local_store.errors import KeyFileDamaged, KeyFileMissing
from local_store.store import ATTACHMENTS, Store
from local_store.sync_ledger import Incoming, SyncLedger

log = logging.getLogger(__name__)


class RebuildFailed(ClinicError):
    """The central platform could not give the clinic's records; nothing was kept."""

    code = "REBUILD_FAILED"
    exit_status = 4


@dataclass
class RebuildReport:
    dest: Path
    received: dict[str, int]
    requeued: int
    already_on_central: int
    unsent_lost: list[sv.LostChange]
    account: str
    attachments_kept: int
    recovery_key: str | None = None  # a new key file was made: show it once
    notes: list[str] = field(default_factory=list)
    previous: Path | None = None  # rebuilt in place: where the replaced profile was moved

    def lines(self) -> list[str]:
        out = [f"Rebuilt into {self.dest} from the central platform ({self.account})."]
        out.append("Records received:")
        out.extend(f"  {rtype:<26} {n:>8}" for rtype, n in sorted(self.received.items()))
        out.append(
            f"Local changes never sent: {self.requeued} put back (they go on the next sync),"
            f" {self.already_on_central} were already on the central platform,"
            f" {len(self.unsent_lost)} could not be read."
        )
        out.extend(f"  could not be read: {lost.describe()}" for lost in self.unsent_lost)
        if self.attachments_kept:
            out.append(f"Attachments copied from the damaged profile: {self.attachments_kept}.")
        out.extend(self.notes)
        if self.previous is not None:
            out.append(f"The profile it replaced was moved, unchanged, to {self.previous}.")
        if self.recovery_key:
            out.append("The key file of the damaged profile could not be read: a new one was made.")
            out.append("Recovery key (write it down and keep it safe; it is shown only this once):")
            out.append(f"  {self.recovery_key}")
        else:
            out.append("Every user's passphrase and the recovery key open the new profile.")
        return out


class _RecordingLedger(SyncLedger):
    """The ledger, also noting the change ids of everything received."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.seen: set[str] = set()

    def apply_incoming(self, changes: Sequence[Incoming], cursor: int, epoch: str) -> int:
        self.seen.update(c.change_id for c in changes if c.change_id)
        return super().apply_incoming(changes, cursor, epoch)


def _requeue(store: Store, changes: list[sv.UnsentChange]) -> None:
    """Write the unsent changes over what was received: each record's last local version, the
    bodies of every version to push, and the outbox rows with their original ids, in order."""
    latest: dict[str, sv.UnsentChange] = {}
    for change in changes:
        latest[change.record_id] = change
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    rows = []
    for change in latest.values():
        res = json.loads(change.body)
        rows.append(sv.RecordRow(change.record_id, change.rtype, change.version,
                                 patient_of(res), change.deleted, now, change.body))  # fmt: skip
    with store.transaction("putting back the changes never sent") as conn:
        sv.write_records(conn, rows, history=False)
        sv.write_unsent(conn, [dataclasses.replace(c, state="pending", error=None)
                               for c in changes])  # fmt: skip
        for row in rows:
            conn.execute("DELETE FROM search_terms WHERE record_id = ?", (row.record_id,))
            if row.rtype == "Patient" and not row.deleted:
                conn.executemany(
                    "INSERT OR IGNORE INTO search_terms(term, record_id) VALUES (?, ?)",
                    [(t, row.record_id) for t in set(search_terms(json.loads(row.resource))) if t],
                )
        store.append_audit(conn, "recovery.requeue", detail=f"{len(changes)} changes")


async def rebuild(
    source: Path,
    out: Path,
    user: str,
    passphrase: str,
    *,
    server: str | None = None,
    code: str | None = None,
    device_name: str = "clinic workstation (rebuilt)",
    ca_file: str | None = None,
    client_factory: Callable[[SyncAccount], CentralClient] | None = None,
    recovery_key: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> RebuildReport:
    """Make a new profile at ``out`` from the central platform and the damaged ``source``.
    With ``recovery_key`` that key opens the damaged profile instead of ``user``'s passphrase.
    ``progress`` is told each step as it starts (one of :data:`STEPS`), from this thread."""
    source, out = Path(source), Path(out)
    step = progress or (lambda _step: None)
    sv.check_destination(source, out)
    try:
        header = Store.load_header(source)
    except (KeyFileMissing, KeyFileDamaged):
        header = None
    if header is not None:  # a wrong passphrase or recovery key: refused here
        data_key = (header.unlock_recovery(recovery_key) if recovery_key
                    else header.unlock(user, passphrase))  # fmt: skip
    work_parent = out.parent if out.parent.exists() else Path(tempfile.gettempdir())
    if header is None:
        if recovery_key:
            raise ClinicError(
                "The profile's key file cannot be read, so the recovery key cannot open it:"
                " rebuild with your passphrase (it protects the new key file). Nothing was"
                " changed."
            )
        step("receiving")
        return await _rebuild_new_keys(out, user, passphrase, server, code, device_name,
                                       ca_file, client_factory)  # fmt: skip
    step("reading")
    with sv.DamagedProfile.opened(source, header, data_key, work_parent) as damaged:
        notes: list[str] = []
        unsent = sv.UnsentRead()
        account: SyncAccount | None = None
        base: dict[str, int] = {}
        records = sv.RecordsRead()
        if damaged.readable:
            records = damaged.read_records()
            unsent = damaged.read_unsent(records.rows)
            base = {r[0]: r[2] for r in damaged.read_sync_base(set(records.rows))}
            raw = damaged.read_meta().get(META_KEY)
            if raw:
                try:
                    account = SyncAccount(**json.loads(raw))
                except (ValueError, TypeError):
                    account = None
        else:
            reason = str(damaged.open_error).split(":")[0]
            unsent.lost.append(sv.LostChange(None, None, f"none could be read ({reason})"))
            notes.append("No local change could be read from the damaged profile.")
        changes, _made_good, lost = sv.requeue(records, unsent, base)
        with sv.new_profile(out, damaged.header, data_key, user) as store:
            store.audit("profile.rebuild", detail="from the central platform")
            step("connecting")
            how = await _connect(store, account, server, code, device_name, ca_file)
            step("receiving")
            seen = await _receive(store, client_factory)
            step("requeueing")
            fresh = [c for c in changes if c.change_id not in seen]
            if fresh:
                _requeue(store, fresh)
            copied = damaged.read_attachments(out / ATTACHMENTS) if damaged.readable else None
            if copied and copied.rows:
                with store.transaction("saving the copied attachments") as conn:
                    sv.write_attachments(conn, copied.rows)
            report = RebuildReport(
                dest=out,
                received=store.counts(),
                requeued=len(fresh),
                already_on_central=len(changes) - len(fresh),
                unsent_lost=lost,
                account=how,
                attachments_kept=len(copied.rows) if copied else 0,
                notes=notes,
            )
            store.audit(
                "recovery.rebuilt",
                detail=f"put back {report.requeued}, already there {report.already_on_central},"
                f" unreadable {len(lost)}",
            )
    return report


STEPS = ("reading", "connecting", "receiving", "requeueing", "placing")


async def rebuild_in_place(
    profile: Path,
    user: str,
    passphrase: str,
    *,
    recovery_key: str | None = None,
    server: str | None = None,
    code: str | None = None,
    device_name: str = "clinic workstation (rebuilt)",
    client_factory: Callable[[SyncAccount], CentralClient] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RebuildReport:
    """Rebuild ``profile`` (closed) from the central platform into a folder beside it, then move
    the profile, unchanged, to a dated folder beside and the rebuilt one into its place. If the
    rebuild fails nothing was changed (the folder beside is removed again)."""
    profile = Path(profile)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging = profile.with_name(f".{profile.name}.rebuild-{stamp}")
    try:
        report = await rebuild(profile, staging, user, passphrase, server=server, code=code,
                               device_name=device_name, client_factory=client_factory,
                               recovery_key=recovery_key, progress=progress)  # fmt: skip
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if progress is not None:
        progress("placing")
    previous = profile.with_name(f"{profile.name}.before-rebuild-{stamp}")
    try:
        profile.rename(previous)
        try:
            staging.rename(profile)
        except OSError:
            previous.rename(profile)  # put back what was moved: nothing changed
            raise
        fsync_dir(profile.parent)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise faults.from_os_error(
            exc, profile.parent, doing="putting the rebuilt profile in place",
            outcome="Nothing was changed.",
        ) from None  # fmt: skip
    log.info("rebuilt a profile in place (%d records)", sum(report.received.values()))
    return dataclasses.replace(report, dest=profile, previous=previous)


async def _rebuild_new_keys(
    out: Path, user: str, passphrase: str, server: str | None, code: str | None,
    device_name: str, ca_file: str | None,
    client_factory: Callable[[SyncAccount], CentralClient] | None,
) -> RebuildReport:  # fmt: skip
    """The damaged profile's key file cannot be read: a new profile with new keys."""
    store, recovery = Store.create(out, user, passphrase)
    try:
        store.audit("profile.rebuild", detail="new key file; from the central platform")
        how = await _connect(store, None, server, code, device_name, ca_file)
        await _receive(store, client_factory)
        report = RebuildReport(
            dest=out, received=store.counts(), requeued=0, already_on_central=0,
            unsent_lost=[sv.LostChange(None, None, "the key file could not be read")],
            account=how, attachments_kept=0, recovery_key=recovery,
        )  # fmt: skip
    except BaseException:
        store.lock()
        shutil.rmtree(out, ignore_errors=True)
        raise
    store.lock()
    return report


async def _connect(
    store: Store, old: SyncAccount | None, server: str | None, code: str | None,
    device_name: str, ca_file: str | None,
) -> str:  # fmt: skip
    """Save the account of the new profile; returns how it was connected (for the report)."""
    if code:
        url = server or (old.server if old else None)
        if not url:
            raise ClinicError("Give the central platform's address (--server URL).")
        async with CentralClient(url, ca_file=ca_file) as client:
            info = await client.enroll(code, device_name)
        SyncAccount(url, str(info["token"]), "device", str(info["device_id"]),
                    clinic_id=str(info["clinic_id"]), ca_file=ca_file,
                    **SyncAccount.token_fields(info)).save(store)  # fmt: skip
        return "enrolled with a new one-time code"
    if old is None:
        raise ClinicError(
            "The damaged profile's sync account cannot be read: ask the administrator for a new"
            " one-time enrollment code and pass it with --code. Nothing was changed."
        )
    if server and server.rstrip("/") != old.server.rstrip("/"):
        old = dataclasses.replace(old, server=server)
    old.save(store)
    return "with the damaged profile's saved account"


async def _receive(
    store: Store, client_factory: Callable[[SyncAccount], CentralClient] | None
) -> set[str]:
    """Receive everything the platform holds for the clinic; the change ids received."""
    account = SyncAccount.require(store)

    def factory() -> CentralClient:
        if client_factory is not None:
            return client_factory(account)
        return account.client(store)  # renews and saves its tokens

    engine = SyncEngine(store, factory)
    ledger = _RecordingLedger(store)
    engine.ledger = ledger
    try:
        status = await engine.sync_once()
    finally:
        engine.close()
    if status.online is not True or status.last_error:
        raise RebuildFailed(
            f"The clinic's records could not be received from the central platform"
            f" ({status.last_error or 'no answer'}). The new profile was removed; the damaged"
            " profile was not changed."
        )
    return ledger.seen
