"""One program, two sides: the consult desk is listed only for a specialist's account, and a
specialist lands on it; a clinic workstation (or one not yet connected) does not list it."""

from __future__ import annotations

from clinic_app.sync.account import SyncAccount
from ui.bridge import Event
from ui.desk_screen import DeskScreen
from ui.main_window import Workspace
from ui.patients_screen import PatientsScreen


def desk_row(ws: Workspace) -> int:
    return next(n for n, page in enumerate(ws.pages) if page.key == "desk")


def test_the_desk_is_listed_for_specialists_only(ui, qtbot):
    ws = Workspace(ui.session)
    qtbot.addWidget(ws)
    row = desk_row(ws)
    assert ws.nav.item(row).isHidden()
    assert isinstance(ws.stack.currentWidget(), PatientsScreen)

    specialist = SyncAccount(
        server="http://127.0.0.1:1", token="t", kind="user", subject_id="dr.heart",
        role="specialist", specialties=["cardiology"],
    )  # fmt: skip
    ui.call(specialist.save, ui.store)
    ui.run(ws.load_role())
    assert not ws.nav.item(row).isHidden()
    assert isinstance(ws.stack.currentWidget(), DeskScreen)

    device = SyncAccount(
        server="http://127.0.0.1:1", token="t", kind="device", subject_id="d1", clinic_id="c1"
    )
    ui.session.bridge.emit_now(Event.ACCOUNT_CHANGED, device)
    assert ws.nav.item(row).isHidden()
