"""What the report tables (CSV, Excel) show for coded values and times, per export language.

A spreadsheet is read by people: in a Chinese export a sex is 男/女, not ``male``; a consult's
urgency is 紧急, not ``urgent``; a time is local wall-clock time (``2026-05-01 14:30``), not
``2026-05-01T06:30:00+00:00`` (in both languages). The codes themselves stay in the record;
only their labels change. The core has no Qt, so the Chinese is
kept here; ``tests/clinic_app/test_export_labels.py`` checks it agrees with the UI's
translation file for the names the UI shows too (specialties, visit kinds, vital signs).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from clinic_app.records.vitals import VITALS

LANGS = ("en", "zh_CN")

# English exports keep the codes themselves (what scripts reading them expect), except the
# vital signs, which were always written by name.
_EN: dict[str, dict[str, str]] = {"vital": {key: spec.display for key, spec in VITALS.items()}}

_ZH: dict[str, dict[str, str]] = {
    "gender": {"male": "男", "female": "女", "other": "其他", "unknown": "未知"},
    "visit_kind": {"initial-visit": "初诊", "follow-up": "复诊"},
    "request_kind": {"consult": "会诊", "referral": "转诊"},
    "specialty": {
        "cardiology": "心内科",
        "endocrinology": "内分泌科",
        "dermatology": "皮肤科",
        "neurology": "神经内科",
        "pediatrics": "儿科",
        "radiology": "放射科",
        "respiratory": "呼吸内科",
        "obstetrics": "妇产科",
        "general": "全科",
    },
    "priority": {"routine": "常规", "urgent": "紧急", "asap": "尽快", "stat": "急诊（立即）"},
    "status": {"draft": "草稿", "active": "进行中", "on-hold": "暂停", "revoked": "已撤销",
               "completed": "已完成", "entered-in-error": "录入错误", "cancelled": "已取消",
               "stopped": "已停止", "unknown": "未知"},
    "flag": {"L": "偏低", "H": "偏高", "LL": "危急偏低", "HH": "危急偏高"},
    "vital": {
        "systolic": "收缩压",
        "diastolic": "舒张压",
        "heart_rate": "心率",
        "resp_rate": "呼吸频率",
        "temperature": "体温",
        "spo2": "动脉血氧饱和度",
        "glucose_mmol": "血糖（mmol/L）",
        "glucose_mgdl": "血糖（mg/dL）",
        "hba1c": "糖化血红蛋白（%）",
        "hba1c_ifcc": "糖化血红蛋白（IFCC，mmol/mol）",
        "weight": "体重",
        "height": "身高",
    },
}  # fmt: skip

SHEETS = {
    "zh_CN": {"patients": "患者", "visits": "就诊", "vitals": "生命体征", "consults": "会诊与转诊",
              "prescriptions": "处方"},
}  # fmt: skip


def label(kind: str, code: str | None, lang: str) -> str:
    """The label of a coded value in ``lang``; an unknown code is shown as it is."""
    if not code:
        return ""
    table = _ZH if lang == "zh_CN" else _EN
    return table.get(kind, {}).get(code) or _EN.get(kind, {}).get(code) or code


def sheet_title(table: str, lang: str) -> str:
    return SHEETS.get(lang, {}).get(table, table)


def local_time(value: str | None) -> datetime | str:
    """An ISO time from a record as naive local wall-clock time (minutes); a date-only value
    (or an unreadable one) is returned as it is."""
    if not value:
        return ""
    if len(value) <= 10:
        return value
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.replace(tzinfo=None, second=0, microsecond=0)


def cell_text(value: Any) -> Any:
    """A value for a CSV cell: times as ``YYYY-MM-DD HH:MM`` (the way Excel and WPS in China
    read them back as times), everything else unchanged."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value
