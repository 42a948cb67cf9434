"""Sync: the account with the central platform, the engine, conflicts to resolve, and the
last successful exchange (kept in the profile)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clinic_app.changes import Changes, Done
from clinic_app.domains.base import Domain
from clinic_app.services import conflicts
from clinic_app.services.conflicts import Side
from clinic_app.sync.account import SyncAccount
from clinic_app.sync.client import CentralClient
from clinic_app.sync.engine import LAST_SUCCESS_META, SyncEngine


class Sync(Domain):
    def account(self) -> SyncAccount | None:
        return SyncAccount.load(self._store)

    def save_account(self, account: SyncAccount) -> None:
        account.save(self._store)

    def engine(self, client_factory: Callable[[], CentralClient] | None = None,
               **options: Any) -> SyncEngine:  # fmt: skip
        """An engine for this profile; without ``client_factory``, one for the saved account."""
        if client_factory is None:
            account = SyncAccount.require(self._store)

            def client_factory() -> CentralClient:
                return CentralClient(account.server, account.token, ca_file=account.ca_file)

        return SyncEngine(self._store, client_factory, **options)

    async def enroll(self, server: str, code: str, device_name: str,
                     ca_file: str | None = None) -> SyncAccount:  # fmt: skip
        """A clinic workstation joins the central platform with a one-time code."""
        async with CentralClient(server, ca_file=ca_file) as client:
            info = await client.enroll(code, device_name)
        account = SyncAccount(server, info["token"], "device", info["device_id"],
                              clinic_id=info["clinic_id"], ca_file=ca_file)  # fmt: skip
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
                              ca_file=ca_file)  # fmt: skip
        self.save_account(account)
        return account

    def last_success(self) -> str | None:
        return self._store.get_meta(LAST_SUCCESS_META)

    def conflicts(self) -> list[Any]:
        return conflicts.open_conflicts(self._store)

    def resolve(self, conflict_id: int, *, take: Side | None = None,
                choices: dict[str, Side] | None = None) -> Done[None]:  # fmt: skip
        """End a conflict; the record it was about changed (the merge writes it through the
        sync ledger, beside the store's recorded writes, so it is named here)."""
        found = [c for c in conflicts.open_conflicts(self._store) if c.id == conflict_id]
        done = self._write("resolve conflict", lambda: conflicts.resolve(
            self._store, conflict_id, take=take, choices=choices))  # fmt: skip
        named = Changes(frozenset((c.rtype, c.record_id) for c in found), "resolve conflict")
        return Done(done.value, done.changes | named)
