"""Query results and registers as files clinic reporting tools read: Excel (.xlsx), CSV (UTF-8
with BOM, which Excel and WPS open as Chinese) and TXT (tab-separated UTF-8 without BOM, one
row per line, CRLF: what the county's reporting tools import), with English or Chinese column
headings and coded values (``lang``: ``en`` or ``zh_CN``).

A file is written beside its target and renamed into place, so a failure leaves nothing half
written. The files are not encrypted: the caller says so to the user.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from clinic_app.clinical.registers import Entry, MonthRate, Summary
from clinic_app.errors import ValidationError
from clinic_app.exchange.labels import cell_text, label
from clinic_app.query.evaluate import Result

FORMATS = ("csv", "xlsx", "txt")
RESULT_HEADERS = {
    "en": ["Patient id", "Name", "Sex", "Age", "Diagnoses (ICD-10)", "Last systolic (mmHg)",
           "Last diastolic (mmHg)", "Last BP time", "Last follow-up", "Days since follow-up"],
    "zh_CN": ["患者编号", "姓名", "性别", "年龄", "诊断（ICD-10）", "最近收缩压（mmHg）",
              "最近舒张压（mmHg）", "最近血压时间", "最近随访", "距上次随访天数"],
}  # fmt: skip
REGISTER_HEADERS = {
    "en": ["Register", "Patient id", "Name", "Sex", "Age", "ICD-10", "Last follow-up",
           "Days since", "Next due", "Follow-up", "Control", "Last systolic", "Last diastolic",
           "Last glucose", "Last HbA1c (%)", "HbA1c date"],
    "zh_CN": ["登记册", "患者编号", "姓名", "性别", "年龄", "ICD-10", "最近随访", "距今天数",
              "下次应随访", "随访状态", "控制情况", "最近收缩压", "最近舒张压", "最近血糖",
              "最近糖化血红蛋白（%）", "糖化血红蛋白日期"],
}  # fmt: skip
RATE_HEADERS = {
    "en": ["Register", "Month", "Patients", "Followed up (90 days)", "Follow-up rate (%)",
           "Controlled", "Control rate (%)"],
    "zh_CN": ["登记册", "月份", "管理人数", "90天内随访人数", "随访率（%）", "控制人数",
              "控制率（%）"],
}  # fmt: skip
_ZH = {
    "hypertension": "高血压", "diabetes": "2型糖尿病",
    "ok": "正常", "due": "即将到期", "overdue": "逾期",
    "controlled": "已控制", "uncontrolled": "未控制", "unknown": "无记录",
}  # fmt: skip
_EN = {"hypertension": "Hypertension", "diabetes": "Type 2 diabetes", "ok": "on time",
       "due": "due", "overdue": "overdue", "controlled": "controlled",
       "uncontrolled": "not controlled", "unknown": "no reading"}  # fmt: skip
SHEETS = {
    "en": {"result": "Patients", "register": "Registers", "rates": "Monthly rates"},
    "zh_CN": {"result": "患者", "register": "慢病登记", "rates": "月度指标"},
}


def word(code: str, lang: str) -> str:
    """A register, follow-up state or control state in ``lang``."""
    return (_ZH if lang == "zh_CN" else _EN).get(code, code)


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]


def _lang(lang: str) -> str:
    if lang not in ("en", "zh_CN"):
        raise ValidationError("lang", "Choose en or zh_CN.")
    return lang


def result_table(result: Result, lang: str) -> Table:
    rows = [[r.patient_id, r.name, label("gender", r.gender, lang), r.age, r.diagnoses,
             r.systolic, r.diastolic, r.bp_time, r.last_follow_up, r.days_since_follow_up]
            for r in result.rows]  # fmt: skip
    return Table(SHEETS[_lang(lang)]["result"], RESULT_HEADERS[lang], rows)


def _entry_row(e: Entry, lang: str) -> list[Any]:
    glucose = ""
    if e.glucose is not None:
        unit = "mmol/L" if e.glucose.key == "glucose_mmol" else "mg/dL"
        glucose = f"{e.glucose.value:g} {unit}"
    return [word(e.register, lang), e.patient_id, e.name, label("gender", e.gender, lang), e.age,
            e.code, e.last_follow_up, e.days_since, e.next_due, word(e.follow_up, lang),
            word(e.control, lang), e.systolic, e.diastolic, glucose,
            e.hba1c.value if e.hba1c else None,
            e.hba1c.when.date() if e.hba1c else None]  # fmt: skip


def _rate(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _rate_row(register: str, m: MonthRate, lang: str) -> list[Any]:
    return [word(register, lang), m.month, m.patients, m.followed, _rate(m.follow_up_rate),
            m.controlled, _rate(m.control_rate)]  # fmt: skip


def register_tables(summaries: Sequence[Summary], lang: str) -> list[Table]:
    sheets = SHEETS[_lang(lang)]
    entries = [_entry_row(e, lang) for s in summaries for e in s.entries]
    rates = [_rate_row(s.register, m, lang) for s in summaries for m in s.months]
    return [Table(sheets["register"], REGISTER_HEADERS[lang], entries),
            Table(sheets["rates"], RATE_HEADERS[lang], rates)]  # fmt: skip


def _text(value: Any) -> str:
    value = cell_text(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _write_delimited(path: Path, tables: Iterable[Table], fmt: str) -> None:
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            for n, table in enumerate(tables):
                if n:
                    writer.writerow([])
                writer.writerow(table.headers)
                writer.writerows([[_text(v) for v in row] for row in table.rows])
        return
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for n, table in enumerate(tables):
            if n:
                fh.write("\r\n")
            for row in [table.headers, *table.rows]:
                fh.write("\t".join(_text(v) for v in row) + "\r\n")


def _write_xlsx(path: Path, tables: Iterable[Table]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for table in tables:
        ws = wb.create_sheet(title=table.title[:31])
        ws.append(table.headers)
        for row in table.rows:
            ws.append([v.isoformat() if isinstance(v, date) else v for v in row])
    wb.save(path)


def write(path: Path, fmt: str, tables: Sequence[Table]) -> int:
    """Write ``tables`` (CSV and TXT: one after the other, a blank line between; Excel: one
    sheet each) to ``path``; returns the number of data rows."""
    if fmt not in FORMATS:
        raise ValidationError("format", "Choose csv, xlsx or txt.")
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        if fmt == "xlsx":
            _write_xlsx(partial, tables)
        else:
            _write_delimited(partial, tables, fmt)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return sum(len(t.rows) for t in tables)
