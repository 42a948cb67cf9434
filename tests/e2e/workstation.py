"""A clinic or specialist workstation for end-to-end tests: a real encrypted profile whose
sync engine talks to a real ``clinic-central`` process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from clinic_app.records.patient import PatientInput
from clinic_app.services import orders, patients
from clinic_app.sync.account import SyncAccount
from clinic_app.sync.client import CentralClient
from clinic_app.sync.engine import SyncEngine, SyncStatus
from local_store.store import Store

PASSPHRASE = "e2e-passphrase-1"


class Workstation:
    def __init__(self, folder: Path, name: str) -> None:
        self.name = name
        self.store, _ = Store.create(folder / name, f"dr.{name}", PASSPHRASE)
        self.account: SyncAccount | None = None
        self.client_factory = self._client

    def _client(self) -> CentralClient:
        assert self.account is not None
        return self.account.client(self.store, timeout=20)  # renews and saves its tokens

    def enroll(self, url: str, code: str) -> None:
        async def go() -> dict:
            async with CentralClient(url) as c:
                return await c.enroll(code, self.name)

        info = asyncio.run(go())
        self.account = SyncAccount(url, info["token"], "device", info["device_id"],
                                   clinic_id=info["clinic_id"],
                                   **SyncAccount.token_fields(info))  # fmt: skip
        self.account.save(self.store)

    def login(self, url: str, username: str, password: str) -> None:
        async def go() -> dict:
            async with CentralClient(url) as c:
                return await c.login(username, password)

        info = asyncio.run(go())
        self.account = SyncAccount(url, info["token"], "user", info["user_id"],
                                   role=info["role"], **SyncAccount.token_fields(info))  # fmt: skip
        self.account.save(self.store)

    def engine(self) -> SyncEngine:
        return SyncEngine(self.store, lambda: self.client_factory(), batch_size=100)

    def sync(self) -> SyncStatus:
        engine = self.engine()
        try:
            return asyncio.run(engine.sync_once())
        finally:
            engine.close()

    def sync_until_quiet(self, rounds: int = 5) -> SyncStatus:
        status = self.sync()
        for _ in range(rounds):
            if status.pending == 0 or status.online is False:
                break
            status = self.sync()
        return status

    def add_patient(self, family: str, given: str, **kw: object) -> dict:
        res, _ = patients.register(self.store, PatientInput(family=family, given=given, **kw))
        return res

    def consult(self, patient_id: str, specialty: str = "cardiology") -> dict:
        return orders.request_consult(
            self.store, patient_id=patient_id, specialty=specialty, priority="urgent",
            question="血压控制不佳，请会诊。", requester=f"dr.{self.name}",
        )  # fmt: skip

    def ids(self, rtype: str) -> set[str]:
        return {r["id"] for r in self.store.find(rtype)}

    def close(self) -> None:
        self.store.lock()
