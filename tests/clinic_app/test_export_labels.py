"""Report tables in Chinese: coded values as Chinese labels, times in local wall-clock time and
a local format, sheets named in Chinese; the Chinese agrees with the UI's translation file."""

from __future__ import annotations

import csv
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from clinic_app.exchange import tables
from clinic_app.exchange.labels import _ZH, label, local_time, sheet_title
from clinic_app.records.encounter import VISIT_KINDS
from clinic_app.records.orders import SPECIALTIES
from clinic_app.records.patient import PatientInput
from clinic_app.records.vitals import VITALS
from clinic_app.services import orders, patients, visits

TS = Path(__file__).resolve().parents[2] / "ui" / "i18n" / "clinic_zh_CN.ts"
# 2024-05-20 01:30 UTC is 09:30 the same day in Shanghai
AUTHORED_UTC = datetime(2024, 5, 20, 1, 30, tzinfo=UTC)


@pytest.fixture
def shanghai() -> Iterator[None]:
    """Local time is China Standard Time (UTC+8) for the test."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture
def store(tmp_path, b, shanghai):
    store = b.new_store(tmp_path / "profile")
    wang, _ = patients.register(store, PatientInput("王", "小明", gender="female"))
    visits.record_visit(
        store,
        patient_id=wang["id"],
        kind="follow-up",
        answers=dict(b.FOLLOW_UP_ANSWERS),
        start=AUTHORED_UTC,
        practitioner="李医生",
        vitals={"systolic": 185},
    )
    orders.request_consult(
        store,
        patient_id=wang["id"],
        specialty="cardiology",
        priority="urgent",
        question="请协助调整降压方案。",
        requester="李医生",
        authored=AUTHORED_UTC,
    )
    yield store
    store.lock()


def rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))[1:]


def test_chinese_csv_shows_labels_and_local_times(store, tmp_path):
    out = tmp_path / "x.csv"
    tables.export_csv(store, out, "patients", tables.Query(), lang="zh_CN")
    assert rows(out)[0][3] == "女"
    tables.export_csv(store, out, "consults", tables.Query(), lang="zh_CN")
    (consult,) = rows(out)
    assert consult[3:8] == ["会诊", "心内科", "紧急", "进行中", "2024-05-20 09:30"]
    tables.export_csv(store, out, "visits", tables.Query(), lang="zh_CN")
    (visit,) = rows(out)
    assert visit[3:5] == ["复诊", "2024-05-20 09:30"]
    tables.export_csv(store, out, "vitals", tables.Query(), lang="zh_CN")
    (sbp,) = rows(out)
    assert (sbp[3], sbp[4], sbp[8]) == ("2024-05-20 09:30", "收缩压", "危急偏高")


def test_english_csv_keeps_codes_with_local_times(store, tmp_path):
    out = tmp_path / "x.csv"
    tables.export_csv(store, out, "consults", tables.Query(), lang="en")
    (consult,) = rows(out)
    assert consult[3:8] == ["consult", "cardiology", "urgent", "active", "2024-05-20 09:30"]


def test_chinese_workbook_has_chinese_sheets_and_real_local_times(store, tmp_path):
    out = tmp_path / "x.xlsx"
    tables.export_xlsx(store, out, ("consults", "vitals"), tables.Query(), lang="zh_CN")
    wb = load_workbook(out, read_only=True)
    try:
        assert wb.sheetnames == ["会诊与转诊", "生命体征"]
        (consult,) = list(wb["会诊与转诊"].iter_rows(values_only=True))[1:]
        assert consult[3:7] == ("会诊", "心内科", "紧急", "进行中")
        assert consult[7] == datetime(2024, 5, 20, 9, 30)  # a time cell, local, no zone
    finally:
        wb.close()


def test_local_time_leaves_dates_and_unreadable_values_alone(shanghai):
    assert local_time("1958-04-12") == "1958-04-12"
    assert local_time("not a time") == "not a time"
    assert local_time("2024-05-20T01:30:00Z") == datetime(2024, 5, 20, 9, 30)
    assert label("priority", "made-up", "zh_CN") == "made-up"
    assert label("vital", "systolic", "en") == "Systolic blood pressure"
    assert sheet_title("visits", "en") == "visits"


def test_chinese_labels_agree_with_the_ui_translation():
    """Specialties, visit kinds and vital signs read the same in exports as on screen."""
    core = {
        m.findtext("source"): m.findtext("translation")
        for c in ET.parse(TS).getroot().iter("context")
        if c.findtext("name") == "core"
        for m in c.findall("message")
    }
    for kind, english in (
        ("specialty", SPECIALTIES),
        ("visit_kind", VISIT_KINDS),
        ("vital", {k: s.display for k, s in VITALS.items()}),
    ):
        assert set(_ZH[kind]) == set(english), kind
        for code, text in english.items():
            assert _ZH[kind][code] == core[text], (kind, code)
