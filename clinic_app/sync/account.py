"""This workstation's link to the central platform: server, token and identity, kept in the
encrypted store (never in a plain settings file)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from clinic_app.errors import ClinicError
from local_store.store import Store

META_KEY = "sync_account"


@dataclass
class SyncAccount:
    server: str
    token: str
    kind: str  # "device" (a clinic workstation) or "user" (a specialist's desk)
    subject_id: str
    clinic_id: str | None = None
    role: str | None = None
    specialties: list[str] | None = None
    ca_file: str | None = None

    def save(self, store: Store) -> None:
        store.set_meta(META_KEY, json.dumps(asdict(self)))
        store.audit("sync.account", detail=f"{self.kind} {self.subject_id}")

    @classmethod
    def load(cls, store: Store) -> SyncAccount | None:
        raw = store.get_meta(META_KEY)
        return cls(**json.loads(raw)) if raw else None

    @classmethod
    def require(cls, store: Store) -> SyncAccount:
        account = cls.load(store)
        if account is None:
            raise ClinicError(
                "This workstation is not connected to a central platform: run"
                " `clinic-app enroll` (clinic) or `clinic-app login` (specialist) first."
            )
        return account
