"""Backup file names say the clinic's local time (with its UTC offset); names written by
earlier versions (UTC, ``...Z``) are still recognised as ours and dated correctly."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from clinic_app.domains.backups import archive_name, ours

STORE_ID = "0123abcd-ef45-6789-abcd-0123456789ab"
MADE = datetime(2026, 5, 1, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai


@pytest.fixture
def shanghai() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_name_is_in_local_time(shanghai):
    name = archive_name(STORE_ID, MADE)
    assert name == "clinic-backup-0123abcd-2026-05-01_14-30-00+0800.clinicbackup"


def test_new_and_old_names_are_ours_with_their_moment(shanghai, tmp_path):
    new = tmp_path / archive_name(STORE_ID, MADE)
    old = tmp_path / "clinic-backup-0123abcd-20260430T063000Z.clinicbackup"
    other = tmp_path / "clinic-backup-99999999-2026-05-01_14-30-00+0800.clinicbackup"
    for path in (new, old, other):
        path.write_bytes(b"x")
    found = ours(tmp_path, STORE_ID)
    assert [a.path.name for a in found] == [old.name, new.name]
    assert [a.made for a in found] == [datetime(2026, 4, 30, 6, 30, tzinfo=UTC), MADE]
