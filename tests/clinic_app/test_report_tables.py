"""Report tables: CSV per table, one Excel workbook with all of them, query filters, headings."""

from __future__ import annotations

import csv
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from clinic_app.errors import ValidationError
from clinic_app.exchange import tables
from clinic_app.exchange.labels import sheet_title
from clinic_app.records.patient import PatientInput
from clinic_app.services import orders, patients, visits

MARCH = datetime(2024, 3, 1, 9, 0).astimezone()
MAY = datetime(2024, 5, 20, 9, 0).astimezone()
JULY = datetime(2024, 7, 2, 15, 0).astimezone()


@pytest.fixture(scope="module")
def reports(tmp_path_factory, b):
    """Two patients, three visits (Mar, May, Jul 2024) with normal and abnormal vitals."""
    store = b.new_store(tmp_path_factory.mktemp("tables") / "profile")
    wang, _ = patients.register(
        store,
        PatientInput(
            "王",
            "小明",
            resident_id=b.resident_id(date(1958, 4, 12), male=True),
            phone="13812345678",
        ),
    )
    smith, _ = patients.register(store, PatientInput("Smith", "John", gender="male"))
    ids = {"wang": wang["id"], "smith": smith["id"]}
    visits.record_visit(
        store,
        patient_id=ids["wang"],
        kind="initial-visit",
        answers=dict(b.INITIAL_ANSWERS),
        start=MARCH,
        practitioner="李医生",
        reason="头晕",
        vitals={"systolic": 120, "diastolic": 80, "heart_rate": 72},
    )
    visits.record_visit(
        store,
        patient_id=ids["wang"],
        kind="follow-up",
        answers=dict(b.FOLLOW_UP_ANSWERS),
        start=MAY,
        practitioner="李医生",
        vitals={"systolic": 165, "diastolic": 100, "glucose_mmol": 9.1, "heart_rate": 75},
    )
    visits.record_visit(
        store,
        patient_id=ids["smith"],
        kind="initial-visit",
        answers=dict(b.INITIAL_ANSWERS),
        start=JULY,
        practitioner="Dr. Chen",
        vitals={"systolic": 185, "diastolic": 95},
    )
    orders.request_consult(
        store,
        patient_id=ids["wang"],
        specialty="cardiology",
        priority="urgent",
        question="请协助调整降压方案。",
        requester="李医生",
        authored=MAY,
    )
    orders.prescribe(
        store,
        patient_id=ids["wang"],
        medication="氨氯地平片 5mg",
        dosage="每日一次",
        requester="李医生",
        authored=MAY,
        days=30,
    )
    yield store, ids
    store.lock()


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM so Excel shows Chinese"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


EXPECTED_ROWS = {"patients": 2, "visits": 3, "vitals": 9, "consults": 1, "prescriptions": 1}


@pytest.mark.parametrize("table", tables.TABLES)
def test_export_csv_of_each_table(reports, tmp_path, table):
    store, ids = reports
    out = tmp_path / f"{table}.csv"
    n = tables.export_csv(store, out, table, tables.Query())
    rows = read_csv(out)
    assert rows[0] == tables.HEADERS[table]["en"]
    assert n == len(rows) - 1 == EXPECTED_ROWS[table]
    assert all(len(r) == len(rows[0]) for r in rows)
    assert not list(tmp_path.glob(".*partial"))
    if table != "patients":
        by_patient = {r[1] for r in rows[1:]}
        assert by_patient <= set(ids.values())
        names = {r[1]: r[2] for r in rows[1:]}
        assert names.get(ids["wang"], "王小明") == "王小明"


def test_patient_rows_hold_the_demographics(reports, tmp_path):
    store, ids = reports
    out = tmp_path / "p.csv"
    tables.export_csv(store, out, "patients", tables.Query())
    rows = {r[0]: r for r in read_csv(out)[1:]}
    wang = rows[ids["wang"]]
    assert wang[1:5] == ["王小明", "Wang Xiaoming", "male", "1958-04-12"]
    assert int(wang[5]) >= 66
    assert wang[6].startswith("110101195804120") and wang[7] == "13812345678"
    assert rows[ids["smith"]][1] == "John Smith"


def test_zh_cn_headers(reports, tmp_path):
    store, _ = reports
    out = tmp_path / "vitals-zh.csv"
    tables.export_csv(store, out, "vitals", tables.Query(), lang="zh_CN")
    header = read_csv(out)[0]
    assert header == tables.HEADERS["vitals"]["zh_CN"]
    assert header[1] == "患者编号" and header[-1] == "异常标记"
    for table in tables.TABLES:
        assert len(tables.HEADERS[table]["zh_CN"]) == len(tables.HEADERS[table]["en"])


def vitals_rows(store, tmp_path, query):
    out = tmp_path / "v.csv"
    n = tables.export_csv(store, out, "vitals", query)
    rows = read_csv(out)[1:]
    assert n == len(rows)
    return rows


def test_query_since_until(reports, tmp_path):
    store, _ = reports
    since = vitals_rows(store, tmp_path, tables.Query(since=date(2024, 5, 1)))
    assert len(since) == 6 and all(r[3] >= "2024-05" for r in since)
    until = vitals_rows(store, tmp_path, tables.Query(until=date(2024, 3, 1)))
    assert len(until) == 3 and all(r[3].startswith("2024-03-01") for r in until)
    window = vitals_rows(
        store, tmp_path, tables.Query(since=date(2024, 5, 20), until=date(2024, 5, 20))
    )
    assert len(window) == 4
    assert vitals_rows(store, tmp_path, tables.Query(since=date(2025, 1, 1))) == []
    out = tmp_path / "visits.csv"
    assert tables.export_csv(store, out, "visits", tables.Query(since=date(2024, 4, 1))) == 2


def test_query_vital_and_abnormal_only(reports, tmp_path):
    store, _ = reports
    systolic = vitals_rows(store, tmp_path, tables.Query(vital="systolic"))
    assert sorted(float(r[6]) for r in systolic) == [120, 165, 185]
    assert {r[5] for r in systolic} == {"8480-6"}
    abnormal = vitals_rows(store, tmp_path, tables.Query(abnormal_only=True))
    assert sorted((r[5], r[8]) for r in abnormal) == sorted(
        [
            ("8480-6", "H"),
            ("8462-4", "H"),
            ("15074-8", "H"),
            ("8480-6", "HH"),
            ("8462-4", "H"),
        ]
    )
    both = vitals_rows(
        store, tmp_path, tables.Query(vital="systolic", abnormal_only=True, until=date(2024, 6, 30))
    )
    assert [(r[6], r[8]) for r in both] == [("165", "H")]


def test_export_xlsx_with_all_tables(reports, tmp_path):
    store, _ = reports
    out = tmp_path / "report.xlsx"
    counts = tables.export_xlsx(store, out, tables.TABLES, tables.Query(), lang="zh_CN")
    assert counts == EXPECTED_ROWS
    wb = load_workbook(out, read_only=True)
    try:
        assert wb.sheetnames == ["患者", "就诊", "生命体征", "会诊与转诊", "处方"]
        for table in tables.TABLES:
            rows = list(wb[sheet_title(table, "zh_CN")].iter_rows(values_only=True))
            assert list(rows[0]) == tables.HEADERS[table]["zh_CN"]
            assert len(rows) - 1 == EXPECTED_ROWS[table]
        vitals = list(wb["生命体征"].iter_rows(values_only=True))[1:]
        assert sorted(r[6] for r in vitals if r[5] == "8480-6") == [120, 165, 185]
        names = {r[2] for r in list(wb["就诊"].iter_rows(values_only=True))[1:]}
        assert names == {"王小明", "John Smith"}
    finally:
        wb.close()


def test_export_xlsx_with_a_query(reports, tmp_path):
    store, _ = reports
    out = tmp_path / "abnormal.xlsx"
    counts = tables.export_xlsx(store, out, ("vitals",), tables.Query(abnormal_only=True))
    assert counts == {"vitals": 5}
    wb = load_workbook(out, read_only=True)
    try:
        assert wb.sheetnames == ["vitals"]
        assert all(r[8] for r in list(wb["vitals"].iter_rows(values_only=True))[1:])
    finally:
        wb.close()


def test_unknown_table_is_refused_and_no_file_created(reports, tmp_path):
    store, _ = reports
    with pytest.raises(ValidationError) as err:
        tables.export_csv(store, tmp_path / "x.csv", "lab_results", tables.Query())
    assert err.value.field == "table"
    with pytest.raises(ValidationError) as err:
        tables.export_xlsx(store, tmp_path / "x.xlsx", ("patients", "lab_results"), tables.Query())
    assert err.value.field == "table"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (tables.Query(vital="blood_colour"), "vital"),
        (tables.Query(since=date(2024, 5, 1), until=date(2024, 4, 1)), "until"),
    ],
)
def test_bad_query_is_refused_and_no_file_created(reports, tmp_path, query, field):
    store, _ = reports
    with pytest.raises(ValidationError) as err:
        tables.export_csv(store, tmp_path / "x.csv", "vitals", query)
    assert err.value.field == field
    with pytest.raises(ValidationError):
        tables.export_xlsx(store, tmp_path / "x.xlsx", tables.TABLES, query)
    assert list(tmp_path.iterdir()) == []
