"""End to end through a real central platform: a clinic takes amlodipine 5 mg and simvastatin
and sends a consult with its prescriptions; on the specialist desk the same prescribe dialog
and checks run against the clinic's list as synced (amlodipine 10 mg replaces 5 mg;
clarithromycin meets simvastatin and needs a reason); after the clinic syncs, its list has one
current amlodipine line and flags the interaction the specialist signed past."""

from __future__ import annotations

import pytest

from clinic_app.clinical.medication_checks import overridden
from clinic_app.clinical.medication_list import build
from clinic_app.services import orders
from tests.e2e.workstation import Workstation
from tests.support.central_proc import CentralProcess
from tests.ui.test_desk_sync import PASSWORD, settings_folder, wait_for  # noqa: F401
from ui.desk_screen import DeskScreen
from ui.settings_screen import SettingsScreen


@pytest.mark.slow
def test_specialist_prescription_is_checked_against_the_clinics_list(
    ui,
    qtbot,
    tmp_path,
    settings_folder,  # noqa: F811
):
    central = CentralProcess(
        f"sqlite:///{tmp_path / 'central.db'}", log_path=tmp_path / "central.log"
    )
    central.start()
    clinic = Workstation(tmp_path, "clinic")
    try:
        clinic_id = central.add_clinic("Hill Clinic")
        central.add_user("dr.heart", PASSWORD, "specialist", specialties=("cardiology",))
        clinic.enroll(central.url, central.enrollment_code(clinic_id))
        patient = clinic.add_patient("王", "小明", gender="male")
        pid = patient["id"]
        aml = orders.prescribe(
            clinic.store,
            patient_id=pid,
            formulary_id="amlodipine-5",
            dosage="每日一次",
            requester="李医生",
        )
        sim = orders.prescribe(
            clinic.store,
            patient_id=pid,
            formulary_id="simvastatin-20",
            dosage="每晚一次",
            requester="李医生",
        )
        consult = clinic.consult(pid)
        consult["supportingInfo"] = [
            {"reference": f"MedicationRequest/{aml['id']}"},
            {"reference": f"MedicationRequest/{sim['id']}"},
        ]
        clinic.store.put(consult, patient_id=pid)
        settings = SettingsScreen(ui.session)
        desk = DeskScreen(ui.session)
        for w in (settings, desk):
            qtbot.addWidget(w)
        ui.run(scenario(ui, clinic, central.url, settings, desk, consult, aml), timeout=120)
    finally:
        clinic.close()
        central.stop()


async def scenario(ui, clinic, url, settings, desk, consult, aml) -> None:
    clinic_engine = clinic.engine()
    try:
        sent = await clinic_engine.sync_once()
        assert sent.last_error is None and sent.pending == 0
        settings.server.setText(url)
        settings.username.setText("dr.heart")
        settings.password.setText(PASSWORD)
        assert await settings.login() is True
        status = await ui.session.sync_now()
        assert status is not None and status.last_error is None, status
        desk.show()
        await wait_for(lambda: [i.consult_id for i in desk.items] == [consult["id"]], "worklist")
        desk.table.selectRow(0)
        await wait_for(lambda: desk.case is not None, "the case")

        dialog = desk.prescription_dialog()
        await wait_for(lambda: dialog.replaces.count() == 2, "the clinic's list on the desk")
        dialog.choose("amlodipine-10")
        dialog.dosage.setText("每日一次")
        await dialog.run_checks()
        assert [(f.kind, f.record) for f in dialog.findings] == [
            ("replaces", ("MedicationRequest", aml["id"]))
        ]
        new_aml = await dialog.sign_now()
        assert new_aml

        dialog = desk.prescription_dialog()
        await wait_for(lambda: dialog.replaces.count() == 2, "the list again")
        dialog.choose("clarithromycin-250")
        dialog.dosage.setText("每日两次")
        await dialog.run_checks()
        assert [f.kind for f in dialog.warnings] == ["interaction"]
        assert not dialog.sign_button.isEnabled()
        dialog.reason.setText("短期使用，已嘱暂停辛伐他汀")
        clar = await dialog.sign_now()
        assert clar

        pushed = await ui.session.sync_now()
        assert pushed is not None and pushed.errors == 0 and pushed.pending == 0, pushed
        got = await clinic_engine.sync_once()
        assert got.last_error is None
        mine = clinic.store.find(
            "MedicationRequest", patient_id=consult["subject"]["reference"][8:]
        )
        listed = build(mine)
        names = sorted(x.text for x in listed.current)
        assert names == ["克拉霉素片 0.25g", "苯磺酸氨氯地平片 10mg", "辛伐他汀片 20mg"]
        (old,) = [x for x in listed.stopped if x.rid == aml["id"]]
        assert old.replaced_by == new_aml
        received = clinic.store.get("MedicationRequest", clar)
        assert overridden(received)[0] == "短期使用，已嘱暂停辛伐他汀"
        from clinic_app.clinical.medication_checks import review
        from clinic_app.services.orders import allergies

        flagged = review(
            listed.as_current(), allergies(clinic.store, received["subject"]["reference"][8:])
        )
        assert [f.kind for f in flagged[clar]] == ["interaction"]
    finally:
        clinic_engine.close()
        await ui.session.stop_sync()
