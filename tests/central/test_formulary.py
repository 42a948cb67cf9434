"""The platform's formulary (issue 19) through a real ``clinic-central`` process, on SQLite and
PostgreSQL: the administrator imports the starter list, adds a medicine and retires it with the
command line; a clinic workstation pulls them and its Clinic offers (or stops offering) the
medicine; a clinic's push of a Medication is refused; a specialist's workstation pulls the
same formulary."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import pytest

from clinic_app.clinic import Clinic
from clinic_app.clinical.medication_formulary import SYS_FORMULARY, starter
from clinic_app.errors import ValidationError
from clinic_app.sync.protocol import Change, PushRequest
from tests.e2e.workstation import Workstation
from tests.support.central_proc import CentralProcess, CommandFailed

SPECIALIST_PASSWORD = "specialist-password-1"
NEW = "indapamide-sr-1.5"
NAME_EN = "Indapamide 1.5 mg extended-release tablet"
ADD = (
    "formulary", "add", NEW, "--atc", "C03BA11", "--ingredient", "Indapamide",
    "--ingredient-zh", "吲达帕胺", "--strength", "1.5", "--unit", "mg",
    "--form", "extended-release tablet", "--name-zh", "吲达帕胺缓释片 1.5mg",
    "--name-en", NAME_EN,
)  # fmt: skip


def _offered(clinic: Clinic) -> set[str]:
    return {e.id for e in clinic.medications.formulary.entries}


def test_admin_edits_reach_clinics_and_specialists(fresh_db_url: str, tmp_path: Path):
    central = CentralProcess(fresh_db_url, log_path=tmp_path / "central.log").start()
    stations: list[Workstation] = []
    try:
        clinic_id = central.add_clinic("Hill Clinic")
        central.add_user("dr.heart", SPECIALIST_PASSWORD, "specialist",
                         specialties=("cardiology",))  # fmt: skip
        a, s = Workstation(tmp_path, "a"), Workstation(tmp_path, "heart")
        stations += [a, s]
        a.enroll(central.url, central.enrollment_code(clinic_id))
        s.login(central.url, "dr.heart", SPECIALIST_PASSWORD)
        clinic = Clinic(a.store)
        # First run, nothing synced: the packaged starter list.
        assert _offered(clinic) == {e.id for e in starter().entries}
        assert clinic.medications.formulary.version == starter().version

        # The administrator seeds the platform once, then adds a medicine.
        assert (
            central.cli("formulary", "import")
            == f"added {len(starter().known)}, changed 0, unchanged 0"
        )
        assert central.cli("formulary", "import").startswith("added 0, changed 0,")
        assert central.cli(*ADD) == "added 1, changed 0, unchanged 0"
        assert a.sync_until_quiet().last_error is None
        assert clinic.medications.formulary.version == "platform"  # the synced records
        assert NEW in _offered(clinic)
        assert [e.id for e in clinic.medications.search("吲达帕胺")] == [NEW]
        pid = a.add_patient("王", "芳", gender="female", birth_date=date(1960, 3, 1))["id"]
        rx = clinic.medications.prescribe(patient_id=pid, formulary_id=NEW, dosage="每晚一次",
                                          requester="dr.a", days=30).value  # fmt: skip
        codes = rx["medicationCodeableConcept"]["coding"]
        assert {"system": SYS_FORMULARY, "code": NEW, "display": NAME_EN} in codes

        # Retired: no longer offered nor prescribable; the prescription still names it.
        assert central.cli("formulary", "retire", NEW) == f"retired {NEW}"
        assert central.cli("formulary", "import").startswith("added 0, changed 0,")  # stays retired
        assert f"{NEW}\tC03BA11\tretired" in central.cli("formulary", "list")
        assert a.sync_until_quiet().last_error is None
        assert NEW not in _offered(clinic)
        assert clinic.medications.search("吲达帕胺") == []
        with pytest.raises(ValidationError):
            clinic.medications.check(patient_id=pid, formulary_id=NEW)
        line = next(x for x in clinic.medications.medication_list(pid).lines if x.rid == rx["id"])
        assert line.drug is not None and line.drug.formulary_id == NEW

        # The specialist's workstation pulls the same formulary.
        assert s.sync_until_quiet().last_error is None
        assert Clinic(s.store).medications.formulary.known == clinic.medications.formulary.known
        assert NEW in s.ids("Medication") and NEW not in _offered(Clinic(s.store))

        # A clinic device may not write the formulary: refused with its own code.
        entry = starter().entries[0]
        changed = entry.medication() | {"status": "inactive"}

        async def push() -> list[tuple[str, str | None]]:
            assert a.account is not None
            async with a.account.client(a.store, timeout=20) as client:
                resp = await client.push(PushRequest(changes=(
                    Change(change_id=str(uuid.uuid4()), rtype="Medication", record_id=entry.id,
                           op="put", base_version=1, resource=changed),
                )))  # fmt: skip
            return [(r.status, r.code) for r in resp.results]

        assert asyncio.run(push()) == [("rejected", "platform_record")]
        assert entry.id in {e.id for e in clinic.medications.formulary.entries}
        # An admin command's mistakes are one line.
        with pytest.raises(CommandFailed, match="no formulary entry with that id"):
            central.cli("formulary", "retire", "no-such-medicine")
    finally:
        for station in stations:
            station.close()
        central.stop()
