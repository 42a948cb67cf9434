"""A world for end-to-end sync tests: one real central process, two clinics, one specialist."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.e2e.workstation import Workstation
from tests.support.central_proc import CentralProcess

SPECIALIST_PASSWORD = "specialist-password-1"


@dataclass
class World:
    central: CentralProcess
    clinic_a: str
    clinic_b: str
    a: Workstation
    b: Workstation
    a2: Workstation  # a second PC of clinic A
    specialist: Workstation
    other_specialist: Workstation


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    central = CentralProcess(f"sqlite:///{tmp_path / 'central.db'}",
                             log_path=tmp_path / "central.log")  # fmt: skip
    central.start()
    try:
        clinic_a = central.add_clinic("Hill Clinic")
        clinic_b = central.add_clinic("River Clinic")
        central.add_user("dr.heart", SPECIALIST_PASSWORD, "specialist",
                         specialties=("cardiology",))  # fmt: skip
        central.add_user("dr.skin", SPECIALIST_PASSWORD, "specialist",
                         specialties=("dermatology",))  # fmt: skip
        a = Workstation(tmp_path, "a")
        b = Workstation(tmp_path, "b")
        a2 = Workstation(tmp_path, "a2")
        s = Workstation(tmp_path, "heart")
        s2 = Workstation(tmp_path, "skin")
        a.enroll(central.url, central.enrollment_code(clinic_a))
        a2.enroll(central.url, central.enrollment_code(clinic_a))
        b.enroll(central.url, central.enrollment_code(clinic_b))
        s.login(central.url, "dr.heart", SPECIALIST_PASSWORD)
        s2.login(central.url, "dr.skin", SPECIALIST_PASSWORD)
        w = World(central, clinic_a, clinic_b, a, b, a2, s, s2)
        yield w
    finally:
        for ws in ("a", "b", "a2", "specialist", "other_specialist"):
            station = locals().get("w")
            if station is not None:
                getattr(station, ws).close()
        central.stop()
