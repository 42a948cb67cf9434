"""Run one workstation action in its own process (so libfaketime can shift its clock):
``python -m tests.e2e.skewed_action PROFILE USER ACTION [ARGS]``; prints a JSON result."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from clinic_app.records.patient import Address, PatientInput
from clinic_app.services import patients
from clinic_app.sync.account import SyncAccount
from clinic_app.sync.client import CentralClient
from clinic_app.sync.engine import SyncEngine
from local_store.store import Store
from tests.e2e.workstation import PASSPHRASE


def main() -> None:
    profile, user, action, *rest = sys.argv[1:]
    store = Store.unlock(Path(profile), user, PASSPHRASE)
    try:
        out: dict[str, object] = {"now": datetime.now().astimezone().isoformat()}
        if action == "sync":
            account = SyncAccount.require(store)
            engine = SyncEngine(store, lambda: CentralClient(account.server, account.token))
            status = asyncio.run(engine.sync_once())
            engine.close()
            out |= {"online": status.online, "pending": status.pending,
                    "conflicts": status.conflicts, "error": status.last_error}  # fmt: skip
        elif action in ("phone", "city"):
            pid, value = rest
            data = PatientInput.from_fhir(store.get("Patient", pid))
            if action == "phone":
                data.phone = value
            else:
                data.address = Address(city=value)
            patients.update(store, data, expect_version=store.version_of(pid)[0])
        print(json.dumps(out))
    finally:
        store.lock()


if __name__ == "__main__":
    main()
