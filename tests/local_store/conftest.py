"""Shared fixtures for the encrypted store tests: a real profile on disk, unlocked."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from local_store.store import Store

USER = "dr.wang"
PASSPHRASE = "correct horse battery staple 7"


@dataclass
class Profile:
    path: Path
    user: str
    passphrase: str
    recovery: str
    store: Store

    def reopen(self) -> Store:
        if not self.store.locked:
            self.store.lock()
        self.store = Store.unlock(self.path, self.user, self.passphrase)
        return self.store


@pytest.fixture
def profile(tmp_path):
    """A freshly created profile in ``tmp_path / "profile"``, unlocked; locked at teardown."""
    store, recovery = Store.create(tmp_path / "profile", USER, PASSPHRASE)
    prof = Profile(tmp_path / "profile", USER, PASSPHRASE, recovery, store)
    yield prof
    prof.store.lock()


def patient(rid: str, name: str, **extra) -> dict:
    return {"resourceType": "Patient", "id": rid, "name": [{"text": name}], **extra}


def observation(rid: str, patient_id: str, value: float) -> dict:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": {"reference": f"Patient/{patient_id}"},
        "code": {"text": "heart rate"},
        "valueQuantity": {"value": value, "unit": "/min"},
    }


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file below ``folder`` (empty if it does not exist)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def helpers():
    """Small builders shared by the modules (conftest is not importable as a module)."""

    class Helpers:
        USER = USER
        PASSPHRASE = PASSPHRASE
        patient = staticmethod(patient)
        observation = staticmethod(observation)
        snapshot = staticmethod(snapshot)

    return Helpers
