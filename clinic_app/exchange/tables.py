"""Report tables (patients, visits, vitals, consults, prescriptions) for CSV and Excel export.

Clinics answer their reporting questions with a query and a spreadsheet. A :class:`Query`
narrows what goes in; each table is a header row and a stream of rows.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from clinic_app.errors import ValidationError
from clinic_app.exchange.labels import cell_text, label, local_time, sheet_title
from clinic_app.records.common import ref_id
from clinic_app.records.encounter import visit_kind
from clinic_app.records.orders import kind_of, specialty_of
from clinic_app.records.patient import (
    age_on,
    display_name,
    latin_name,
    phone_of,
    resident_id_of,
)
from clinic_app.records.vitals import VITALS, flag_of, vital_key
from local_store.store import Store

Row = list[Any]


@dataclass
class Query:
    since: date | None = None
    until: date | None = None
    vital: str | None = None
    abnormal_only: bool = False

    def validate(self) -> None:
        if self.vital and self.vital not in VITALS:
            raise ValidationError("vital", f"Unknown vital; choose from {', '.join(VITALS)}.")
        if self.since and self.until and self.until < self.since:
            raise ValidationError("until", "The end date is before the start date.")

    def in_range(self, when: str | None) -> bool:
        if not when:
            return self.since is None and self.until is None
        day = date.fromisoformat(when[:10])
        if self.since and day < self.since:
            return False
        return not (self.until and day > self.until)


HEADERS: dict[str, dict[str, list[str]]] = {
    "patients": {
        "en": ["Patient id", "Name", "Latin name", "Gender", "Birth date", "Age", "ID number",
               "Phone", "Address"],
        "zh_CN": ["患者编号", "姓名", "拼音/英文名", "性别", "出生日期", "年龄", "身份证号",
                  "电话", "地址"],
    },
    "visits": {
        "en": ["Visit id", "Patient id", "Name", "Kind", "Start", "Doctor", "Reason"],
        "zh_CN": ["就诊编号", "患者编号", "姓名", "类型", "时间", "医生", "就诊原因"],
    },
    "vitals": {
        "en": ["Observation id", "Patient id", "Name", "Time", "Measure", "LOINC", "Value",
               "Unit", "Flag"],
        "zh_CN": ["观察编号", "患者编号", "姓名", "时间", "项目", "LOINC", "数值", "单位",
                  "异常标记"],
    },
    "consults": {
        "en": ["Request id", "Patient id", "Name", "Kind", "Specialty", "Urgency", "Status",
               "Requested", "Question"],
        "zh_CN": ["申请编号", "患者编号", "姓名", "类型", "专科", "紧急程度", "状态",
                  "申请时间", "问题"],
    },
    "prescriptions": {
        "en": ["Prescription id", "Patient id", "Name", "Medication", "Dosage", "Prescriber",
               "Date", "Status"],
        "zh_CN": ["处方编号", "患者编号", "姓名", "药品", "用法用量", "开方医生", "日期", "状态"],
    },
}  # fmt: skip
TABLES = tuple(HEADERS)


class _Names:
    """Patient display names, loaded once per export."""

    def __init__(self, store: Store) -> None:
        self._names = {p["id"]: display_name(p) for p in store.iter_records(["Patient"])}

    def __call__(self, res: dict[str, Any], key: str = "subject") -> tuple[str, str]:
        pid = ref_id(res.get(key), "Patient") or ""
        return pid, self._names.get(pid, "")


def _patients(store: Store, q: Query, names: _Names, lang: str) -> Iterator[Row]:
    today = date.today()
    for p in store.iter_records(["Patient"]):
        addr = (p.get("address") or [{}])[0].get("text", "")
        yield [p["id"], display_name(p), latin_name(p), label("gender", p.get("gender"), lang),
               p.get("birthDate", ""), age_on(p, today), resident_id_of(p) or "",
               phone_of(p) or "", addr]  # fmt: skip


def _visits(store: Store, q: Query, names: _Names, lang: str) -> Iterator[Row]:
    for e in store.iter_records(["Encounter"]):
        start = (e.get("period") or {}).get("start", "")
        if not q.in_range(start):
            continue
        doctor = ((e.get("participant") or [{}])[0].get("individual") or {}).get("display", "")
        reason = (e.get("reasonCode") or [{}])[0].get("text", "")
        yield [e["id"], *names(e), label("visit_kind", visit_kind(e), lang), local_time(start),
               doctor, reason]  # fmt: skip


def _vitals(store: Store, q: Query, names: _Names, lang: str) -> Iterator[Row]:
    for o in store.iter_records(["Observation"]):
        key = vital_key(o)
        if key is None or o.get("status") == "entered-in-error":
            continue
        if q.vital and key != q.vital:
            continue
        if not q.in_range(o.get("effectiveDateTime")):
            continue
        flag = flag_of(o) or ""
        if q.abnormal_only and not flag:
            continue
        spec = VITALS[key]
        vq = o.get("valueQuantity", {})
        yield [o["id"], *names(o), local_time(o.get("effectiveDateTime")),
               label("vital", key, lang), spec.loinc, vq.get("value"), vq.get("unit", ""),
               label("flag", flag, lang)]  # fmt: skip


def _consults(store: Store, q: Query, names: _Names, lang: str) -> Iterator[Row]:
    for s in store.iter_records(["ServiceRequest"]):
        if not q.in_range(s.get("authoredOn")):
            continue
        question = (s.get("reasonCode") or [{}])[0].get("text", "")
        yield [s["id"], *names(s), label("request_kind", kind_of(s), lang),
               label("specialty", specialty_of(s), lang),
               label("priority", s.get("priority"), lang), label("status", s.get("status"), lang),
               local_time(s.get("authoredOn")), question]  # fmt: skip


def _prescriptions(store: Store, q: Query, names: _Names, lang: str) -> Iterator[Row]:
    for m in store.iter_records(["MedicationRequest"]):
        if not q.in_range(m.get("authoredOn")):
            continue
        med = (m.get("medicationCodeableConcept") or {}).get("text", "")
        dosage = (m.get("dosageInstruction") or [{}])[0].get("text", "")
        yield [m["id"], *names(m), med, dosage, (m.get("requester") or {}).get("display", ""),
               local_time(m.get("authoredOn")), label("status", m.get("status"), lang)]  # fmt: skip


_ROWS: dict[str, Callable[[Store, Query, _Names, str], Iterator[Row]]] = {
    "patients": _patients,
    "visits": _visits,
    "vitals": _vitals,
    "consults": _consults,
    "prescriptions": _prescriptions,
}


def export_csv(store: Store, out: Path, table: str, q: Query, lang: str = "en") -> int:
    """One table as CSV (UTF-8 with BOM, so Excel shows Chinese correctly)."""
    if table not in _ROWS:
        raise ValidationError("table", f"Unknown table; choose from {', '.join(TABLES)}.")
    q.validate()
    names = _Names(store)
    partial = out.with_name(f".{out.name}.partial")
    n = 0
    try:
        with open(partial, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADERS[table].get(lang, HEADERS[table]["en"]))
            for row in _ROWS[table](store, q, names, lang):
                writer.writerow([cell_text(v) for v in row])
                n += 1
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    store.audit("export", detail=f"csv {table} {n} rows")
    return n


def export_xlsx(
    store: Store, out: Path, tables: tuple[str, ...], q: Query, lang: str = "en"
) -> dict[str, int]:
    """Several tables as sheets of one workbook, written in streaming mode."""
    from openpyxl import Workbook

    for table in tables:
        if table not in _ROWS:
            raise ValidationError("table", f"Unknown table; choose from {', '.join(TABLES)}.")
    q.validate()
    names = _Names(store)
    wb = Workbook(write_only=True)
    counts: dict[str, int] = {}
    for table in tables:
        ws = wb.create_sheet(title=sheet_title(table, lang))
        ws.append(HEADERS[table].get(lang, HEADERS[table]["en"]))
        n = 0
        for row in _ROWS[table](store, q, names, lang):
            ws.append(row)
            n += 1
        counts[table] = n
    partial = out.with_name(f".{out.name}.partial")
    try:
        wb.save(partial)
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    store.audit("export", detail=f"xlsx {sum(counts.values())} rows")
    return counts
