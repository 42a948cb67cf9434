"""Sync: the account with the central platform, the engine, conflicts to resolve, changes the
central platform refused (to fix and retry, or discard), and the last successful exchange (kept
in the profile)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clinic_app.changes import Changes, Done
from clinic_app.domains.base import Domain
from clinic_app.records.common import patient_of
from clinic_app.records.patient import display_name, search_terms
from clinic_app.services import conflicts, desk
from clinic_app.services.conflicts import Side
from clinic_app.sync.account import SyncAccount
from clinic_app.sync.client import CentralClient
from clinic_app.sync.engine import LAST_SUCCESS_META, SyncEngine, SyncStatus
from local_store.sync_ledger import Discarded, ErrorEntry, SyncLedger


@dataclass(frozen=True)
class ChangeInError:
    """A change the central platform refused, named the way a clinician knows the record: its
    kind (``rtype``), the patient it belongs to, and what it is (e.g. the vital's name)."""

    entry: ErrorEntry
    patient_id: str | None
    patient_name: str
    what: str  # the record's own label (a code's text), '' if it has none

    @property
    def change_id(self) -> str:
        return self.entry.change_id


def record_label(res: dict[str, Any] | None) -> str:
    """What a record is, in its own words: its code's or type's text, if any."""
    if not res:
        return ""
    for key in ("code", "type", "category", "specialty"):
        value = res.get(key)
        for concept in value if isinstance(value, list) else [value]:
            if not isinstance(concept, dict):
                continue
            if concept.get("text"):
                return str(concept["text"])
            for coding in concept.get("coding") or []:
                if isinstance(coding, dict) and coding.get("display"):
                    return str(coding["display"])
    return ""


class Sync(Domain):
    def account(self) -> SyncAccount | None:
        return SyncAccount.load(self._store)

    def save_account(self, account: SyncAccount) -> None:
        account.save(self._store)

    async def fresh_token(self, account: SyncAccount) -> str:
        """A bearer token of ``account`` good for a while yet (call signaling): renewed first
        (and saved) if about to expire; the saved one when the central platform cannot be
        reached now. :class:`~clinic_app.sync.client.SessionEnded` when the session is over."""
        return await account.fresh_token(self._store)

    def engine(self, client_factory: Callable[[], CentralClient] | None = None,
               **options: Any) -> SyncEngine:  # fmt: skip
        """An engine for this profile; without ``client_factory``, one for the saved account."""
        if client_factory is None:
            account = SyncAccount.require(self._store)

            def client_factory() -> CentralClient:
                return account.client(self._store)  # renews and saves its tokens

        return SyncEngine(self._store, client_factory, **options)

    async def enroll(self, server: str, code: str, device_name: str,
                     ca_file: str | None = None) -> SyncAccount:  # fmt: skip
        """A clinic workstation joins the central platform with a one-time code."""
        async with CentralClient(server, ca_file=ca_file) as client:
            info = await client.enroll(code, device_name)
        account = SyncAccount(server, info["token"], "device", info["device_id"],
                              clinic_id=info["clinic_id"], ca_file=ca_file,
                              **SyncAccount.token_fields(info))  # fmt: skip
        self.save_account(account)
        return account

    async def login(self, server: str, username: str, password: str,
                    ca_file: str | None = None) -> SyncAccount:  # fmt: skip
        """A specialist's desk signs in with the central account."""
        async with CentralClient(server, ca_file=ca_file) as client:
            info = await client.login(username, password)
        account = SyncAccount(server, info["token"], "user", str(info["user_id"]),
                              role=str(info["role"]),
                              specialties=list(info.get("specialties") or []),
                              ca_file=ca_file, **SyncAccount.token_fields(info))  # fmt: skip
        self.save_account(account)
        return account

    def last_success(self) -> str | None:
        return self._store.get_meta(LAST_SUCCESS_META)

    def conflicts(self) -> list[Any]:
        return conflicts.open_conflicts(self._store)

    def conflicts_with_names(self) -> list[desk.ConflictSummary]:
        """Open conflicts, each with the name of the patient it is about (the conflicts
        screen's list)."""
        return desk.conflicts_with_names(self._store)

    def describe_conflict(self, conflict_id: int) -> list[str]:
        """Lines showing, per field, the value here and the value on the server."""
        return conflicts.describe(self._store, conflict_id)

    def resolve(self, conflict_id: int, *, take: Side | None = None,
                choices: dict[str, Side] | None = None) -> Done[None]:  # fmt: skip
        """End a conflict; the record it was about changed (the merge writes it through the
        sync ledger, beside the store's recorded writes, so it is named here)."""
        found = [c for c in conflicts.open_conflicts(self._store) if c.id == conflict_id]
        done = self._write("resolve conflict", lambda: conflicts.resolve(
            self._store, conflict_id, take=take, choices=choices))  # fmt: skip
        named = Changes(frozenset((c.rtype, c.record_id) for c in found), "resolve conflict")
        return Done(done.value, done.changes | named)

    def outbox_status(self) -> SyncStatus:
        """What the outbox holds now (waiting, held back, in error, conflicts) and the last
        success, as a status: what the sync bar shows before (or without) an engine."""
        ledger = SyncLedger(self._store)
        c = ledger.counts()
        return SyncStatus(pending=c.pending + c.uploading, held=c.held, errors=c.error,
                          conflicts=len(ledger.open_conflicts()), error_reasons=tuple(c.errors),
                          last_success=self.last_success())  # fmt: skip

    # ------------------------------------------------------------- changes in error --
    def changes_in_error(self) -> list[ChangeInError]:
        """Changes the central platform refused for good, oldest first, with the patient's
        name (the record's own for a Patient)."""
        entries = SyncLedger(self._store).changes_in_error()
        pids = {patient_of(e.resource) for e in entries if e.resource and e.rtype != "Patient"}
        names = {
            p["id"]: display_name(p)
            for p in self._store.get_many("Patient", sorted(i for i in pids if i))
        }
        out = []
        for e in entries:
            res = e.resource or {}
            if e.rtype == "Patient":
                pid: str | None = e.record_id
                name = display_name(res) if res else ""
            else:
                pid = patient_of(res) if res else None
                name = names.get(pid or "", "")
            out.append(ChangeInError(e, pid, name, record_label(res)))
        return out

    def retry(self, change_id: str) -> Done[bool]:
        """Send a refused change again: the record's newer version (the fix) in its place, or
        the change itself when nothing newer waits. True if a newer version took its place."""
        ledger = SyncLedger(self._store)
        entry = next((e for e in ledger.changes_in_error() if e.change_id == change_id), None)
        done = self._write("retry change in error", lambda: ledger.retry(change_id))
        named = Changes(frozenset({(entry.rtype, entry.record_id)} if entry else ()),
                        "retry change in error")  # fmt: skip
        return Done(done.value, done.changes | named)

    def discard(self, change_id: str) -> Done[Discarded]:
        """Give up a refused change: the record goes back to the central platform's newest copy
        known here, or is deleted here if the platform never had it (see
        local_store.sync_ledger). Recorded and audited; nothing is sent."""
        ledger = SyncLedger(self._store)
        rtype, _record_id, back = ledger.discard_target(change_id)
        terms = search_terms(back) if back is not None and rtype == "Patient" else None
        patient_id = patient_of(back) if back is not None else None
        done = self._write("discard change in error", lambda: ledger.discard(
            change_id, patient_id=patient_id, terms=terms))  # fmt: skip
        named = Changes(frozenset({(done.value.rtype, done.value.record_id)}),
                        "discard change in error")  # fmt: skip
        return Done(done.value, done.changes | named)
