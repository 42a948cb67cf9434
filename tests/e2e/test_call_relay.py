"""With host candidates blocked (relay-only ICE on both sides), the call connects through a real
coturn started on loopback, with TURN REST credentials handed out by a real central process:
coturn accepting them is the proof that the credential scheme matches."""

from __future__ import annotations

import pytest

from tests.e2e.workstation import Workstation
from tests.support.call_peers import start_peer
from tests.support.central_proc import CentralProcess
from tests.support.turn_proc import TurnServer

pytestmark = pytest.mark.slow
PASSWORD = "specialist-password-1"


def test_relay_only_call_goes_through_coturn(tmp_path):
    with TurnServer(tmp_path) as turn:
        central = CentralProcess(
            f"sqlite:///{tmp_path / 'central.db'}",
            extra=turn.central_args(),
            log_path=tmp_path / "central.log",
        )
        with central:
            clinic_id = central.add_clinic("Hill Clinic")
            central.add_user("dr.heart", PASSWORD, "specialist", specialties=("cardiology",))
            a, s = Workstation(tmp_path, "a"), Workstation(tmp_path, "heart")
            try:
                a.enroll(central.url, central.enrollment_code(clinic_id))
                s.login(central.url, "dr.heart", PASSWORD)
                patient = a.add_patient("李", "伟")
                consult = a.consult(patient["id"])["id"]
                a.sync_until_quiet()
                assert a.account is not None and s.account is not None
                peers = [
                    start_peer(tmp_path, name, central.url, token, consult,
                               "--relay-only", "--seconds", "2", "--size", "320x240")
                    for name, token in (("clinic", a.account.token),
                                        ("specialist", s.account.token))
                ]  # fmt: skip
                try:
                    reports = [p.wait() for p in peers]
                finally:
                    for p in peers:
                        p.kill()
            finally:
                a.close()
                s.close()
        log = turn.log()
    for r in reports:
        assert r["ok"], (r.get("error"), r["log"], log[-3000:])
        assert r["selected"] == ["relay", "relay"], r["selected"]
        assert len(r["received"]) >= 20
    # coturn saw authenticated allocations for both principals
    assert log.count("ALLOCATE processed, success") >= 2, log[-3000:]
