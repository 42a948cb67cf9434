"""Shared fixtures for the clinic_app tests: real encrypted profiles in tmp_path, small builders.

Creating or unlocking a profile costs an Argon2id derivation (about 0.17 s), so tests that
only read share a module-scoped store; tests that change records get their own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from clinic_app.records.identity import make_resident_id
from local_store.store import Store

USER = "dr.test"
PASSPHRASE = "test-passphrase-1"

INITIAL_ANSWERS = {
    "chief_complaint": "头晕、乏力一周",
    "history_present": "一周前无明显诱因出现头晕。",
    "assessment": "高血压病",
    "plan": "调整降压药，两周后复诊。",
}
FOLLOW_UP_ANSWERS = {"progress": "improved", "adherence": True, "plan": "继续目前治疗。"}


def new_store(path) -> Store:
    store, _recovery = Store.create(path, USER, PASSPHRASE)
    return store


def resident_id(
    born: date, *, male: bool, ends_with_x: bool = False, region: str = "110101"
) -> str:
    """A valid resident ID for ``born``; the 17th digit's parity gives the gender."""
    for seq in range(1000):
        if (seq % 2 == 1) != male:
            continue
        rid = make_resident_id(region, born, seq)
        if rid.endswith("X") == ends_with_x:
            return rid
    raise AssertionError("no sequence gives such an ID")  # pragma: no cover


def on_the_hour(days_ahead: int = 1, hour: int = 10) -> datetime:
    """An aware datetime on the hour, ``days_ahead`` days from today."""
    day = date.today() + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, hour).astimezone()


class Builders:
    USER = USER
    PASSPHRASE = PASSPHRASE
    INITIAL_ANSWERS = INITIAL_ANSWERS
    FOLLOW_UP_ANSWERS = FOLLOW_UP_ANSWERS
    new_store = staticmethod(new_store)
    resident_id = staticmethod(resident_id)
    on_the_hour = staticmethod(on_the_hour)


@pytest.fixture(scope="session")
def b() -> Builders:
    """Builders and constants (a conftest is not importable as a module)."""
    return Builders()


@pytest.fixture
def store(tmp_path):
    """A fresh, empty, unlocked profile of its own; locked at teardown."""
    s = new_store(tmp_path / "profile")
    yield s
    s.lock()


def state(store: Store) -> tuple[dict[str, int], int]:
    """What must not change when an operation is refused: record counts and pending changes."""
    return store.counts(), store.pending_count()


@pytest.fixture(scope="session")
def snapshot():
    return state
