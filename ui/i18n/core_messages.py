# ruff: noqa: E501  (translation table: one message per line)
"""Add the core's user-facing messages to the translation file under context "core".

The UI shows messages from ``clinic_app``, ``local_store`` and ``media`` through ``ui.errors.tr_core``
(``QApplication.translate("core", message)``). lupdate cannot see them, so this script collects
the literal strings with ``ast`` and JSON:

* string constants passed to ``ClinicError`` and its subclasses (``ValidationError``,
  ``StoreError``, ``NotFound`` ...) when raised or built;
* ``text``/``display``/``title`` of the visit forms in ``clinic_app/records/forms/*.json``;
* the ``display`` of each ``VitalSpec`` in ``clinic_app/records/vitals.py``;
* the values of ``SPECIALTIES`` (orders.py) and ``VISIT_KINDS`` (encounter.py);
* the ``description`` of each preference in ``ui/preferences.py``;
* the headset advice of ``media/sources.py``;
* the sentences of the product's errors by code and their phrases (``clinic_errors/texts.py``,
  which also holds their Chinese; the web desk says the same).

f-strings cannot be matched at run time and are skipped. Existing translations in the file are
kept; new messages get the translation from ``clinic_errors.texts.ZH`` or ``CORE_ZH`` below when
there is one (a sentence is in only one of them).

Usage: python ui/i18n/core_messages.py [ui/i18n/clinic_zh_CN.ts]
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TS = Path(__file__).resolve().parent / "clinic_zh_CN.ts"
CONTEXT = "core"
SOURCES = ("clinic_app", "local_store", "media")


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _error_classes(trees: list[ast.Module]) -> set[str]:
    """ClinicError and every class deriving from it (transitively) in the sources."""
    known = {"ClinicError"}
    bases: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {b for b in map(_name, node.bases) if b}
    changed = True
    while changed:
        changed = False
        for cls, parents in bases.items():
            if cls not in known and parents & known:
                known.add(cls)
                changed = True
    return known


def _literal(node: ast.expr) -> str | None:
    """A plain string, also implicitly concatenated ones; f-strings give None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _dict_values(tree: ast.Module, name: str) -> list[str]:
    out: list[str] = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        value = getattr(node, "value", None)
        if any(_name(t) == name for t in targets) and isinstance(value, ast.Dict):
            out += [v for v in map(_literal, value.values) if v]
    return out


def _constants(tree: ast.Module, name: str) -> list[str]:
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(_name(t) == name for t in node.targets):
            out += [v for v in [_literal(node.value)] if v]
    return out


def error_texts() -> Any:
    """``clinic_errors/texts.py``: the sentences of the errors by code, with their Chinese."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("clinic_errors.texts")


def collect(root: Path = ROOT) -> list[str]:
    files = sorted(p for src in SOURCES for p in (root / src).rglob("*.py"))
    trees = [ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in files]
    errors = _error_classes(trees)
    found: list[str] = []
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            cls = _name(node.func)
            if cls in errors:
                args = node.args[1:] if cls == "ValidationError" else node.args
                args = args + [k.value for k in node.keywords if k.arg == "message"]
                found += [s for s in map(_literal, args) if s and " " in s]  # not codes
            elif cls == "VitalSpec" and len(node.args) > 2:
                found += [s for s in [_literal(node.args[2])] if s]
    for tree, path in zip(trees, files, strict=True):
        if path.name == "orders.py":
            found += _dict_values(tree, "SPECIALTIES")
        if path.name == "encounter.py":
            found += _dict_values(tree, "VISIT_KINDS")
        if path.name == "chart_view.py":
            found += _dict_values(tree, "CALL_LABELS")
        if path.parent.name == "media" and path.name == "sources.py":
            found += _constants(tree, "HEADSET_ADVICE")
    for path in sorted((root / "central").glob("*.py")):  # the server's refusals, shown
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call) and _name(node.func) == "Problem" and node.args[1:]:
                found += [s for s in [_literal(node.args[1])] if s and " " in s]
    prefs = ast.parse((root / "ui" / "preferences.py").read_text(encoding="utf-8"))
    for node in ast.walk(prefs):
        if isinstance(node, ast.Call) and _name(node.func) == "Preference":
            args = node.args[3:4] + [k.value for k in node.keywords if k.arg == "description"]
            found += [s for s in map(_literal, args) if s]
    for form in sorted((root / "clinic_app" / "records" / "forms").glob("*.json")):
        _walk_json(json.loads(form.read_text(encoding="utf-8")), found)
    errors_py = ast.parse((root / "ui" / "errors.py").read_text(encoding="utf-8"))
    for node in ast.walk(errors_py):  # the templates of messages that carry values
        if isinstance(node, ast.Tuple) and len(node.elts) == 2:
            found += [s for s in [_literal(node.elts[1])] if s and "%1" in s]
    texts = error_texts()  # the core's errors by code, and the phrases in them
    found += [*texts.TEMPLATES.values(), *texts.PHRASES]
    unique: list[str] = []
    for text in found:
        if text.strip() and text not in unique:
            unique.append(text)
    return unique


def _walk_json(node: object, found: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "display", "title") and isinstance(value, str):
                found.append(value)
            else:
                _walk_json(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_json(value, found)


def merge(ts: Path, messages: list[str], translations: dict[str, str]) -> tuple[int, list[str]]:
    """Put ``messages`` under context "core" of ``ts``; returns (added, untranslated)."""
    tree = ET.parse(ts)
    root = tree.getroot()
    context = next((c for c in root.iter("context") if c.findtext("name") == CONTEXT), None)
    if context is None:
        context = ET.SubElement(root, "context")
        ET.SubElement(context, "name").text = CONTEXT
    existing = {m.findtext("source"): m for m in context.findall("message")}
    wanted = set(messages)
    for source, message in existing.items():
        if source not in wanted:
            context.remove(message)  # no longer in the core
    added, missing = 0, []
    for source in messages:
        found = existing.get(source)
        if found is None:
            found = ET.SubElement(context, "message")
            ET.SubElement(found, "source").text = source
            ET.SubElement(found, "translation")
            added += 1
        translation = found.find("translation")
        assert translation is not None
        if translation.get("type") == "vanished" or translation.get("type") == "obsolete":
            del translation.attrib["type"]
        if not (translation.text or "").strip():
            translation.text = translations.get(source)
            if translation.text:
                translation.attrib.pop("type", None)
            else:
                translation.set("type", "unfinished")
                missing.append(source)
    ET.indent(tree, space="    ")
    with ts.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
        tree.write(out, encoding="utf-8", xml_declaration=False)
        out.write(b"\n")
    return added, missing


CORE_ZH: dict[str, str] = {
    # issue 19: printed letters
    "No Chinese TrueType font was found to print letters with; install the fonts-wqy-microhei package (or reinstall the workstation).": "未找到可用于打印文书的中文 TrueType 字体；请安装 fonts-wqy-microhei 软件包（或重新安装工作站）。",
    "Print on A4 or A5.": "请选择 A4 或 A5 纸张打印。",
    "Choose what to print.": "请选择要打印的内容。",
    "That request is not a referral.": "该申请不是转诊单。",
    "That record belongs to no patient.": "该记录不属于任何患者。",
    "This prescription has warnings: give the reason to prescribe it anyway.": "此处方有用药警示：请填写仍要开具的理由。",
    "Give the reason the medicine is stopped.": "请填写停药原因。",
    "That medicine is not in the formulary.": "该药品不在药品目录中。",
    "Only a prescription or a medicine taken can stop.": "只有处方或在用药品可以停用。",
    "Enter the medication.": "请输入药品。",
    # issue 19: ICD-10 diagnoses and problem list, allergies
    "Choose a diagnosis from the ICD-10 list.": "请从 ICD-10 列表中选择诊断。",
    "The onset cannot be after today.": "起病日期不能晚于今天。",
    "A problem cannot resolve before its onset.": "问题的解决日期不能早于起病日期。",
    "Enter the substance or drug class.": "请输入过敏物质或药物类别。",
    "Unknown allergy category.": "未知的过敏类别。",
    "Severity is mild, moderate or severe.": "严重程度应为轻度、中度或重度。",
    "The visit is of another patient.": "该就诊属于另一位患者。",
    "This problem is already on the list.": "该问题已在列表中。",
    "Allergies are recorded: resolve them before stating none.": "已记录过敏：请先将其标记为已解决，再记录无已知过敏。",
    "This workstation has several users: pass --user NAME.": "此工作站有多个用户：请加上 --user 用户名。",
    "The two entries differ; nothing was changed.": "两次输入不一致，未做任何更改。",
    "--patients must be between 1 and 200000.": "--patients 必须在 1 到 200000 之间。",
    "The folder for --out does not exist.": "--out 指定的文件夹不存在。",
    "Pass --user NAME: the user whose passphrase opens the backup.": "请加上 --user 用户名：指定其口令可打开备份的用户。",
    "Pass --user NAME: the user whose passphrase opens the profile.": "请加上 --user 用户名：指定其口令可打开该档案的用户。",
    "The damaged profile's sync account cannot be read: ask the administrator for a new one-time enrollment code and pass it with --code. Nothing was changed.": "无法读取受损档案中的同步账户：请向管理员索取新的一次性注册码，并用 --code 传入。未做任何更改。",
    "Give the central platform's address (--server URL).": "请给出中心平台的地址（--server 网址）。",
    "A profile (or what is left of one) is in that folder; pass --replace to restore over it (it is moved aside, never deleted).": "该文件夹中已有一个档案（或其残余）；如要用备份覆盖恢复，请加上 --replace（原档案会被移到一旁，绝不删除）。",
    "Give the conflict number (see `clinic-app conflicts list`).": "请给出冲突编号（见 `clinic-app conflicts list`）。",
    "--field takes NAME=local or NAME=remote.": "--field 的格式为 字段名=local 或 字段名=remote。",
    "The demo central platform did not start; see .demo/central/central.log.": "演示用中心平台未能启动；请查看 .demo/central/central.log。",
    "Set CLINIC_PASSPHRASE for the demo profile.": "请为演示档案设置 CLINIC_PASSPHRASE。",
    "The file is too large to import (2 GB at most).": "文件过大，无法导入（最大 2 GB）。",
    "The file holds no resources.": "文件中没有任何资源。",
    "The file to import cannot be read.": "无法读取要导入的文件。",
    "The file is not UTF-8 text; nothing was imported.": "文件不是 UTF-8 文本，未导入任何内容。",
    "The end date is before the start date.": "结束日期早于开始日期。",
    "Unknown condition status.": "未知的疾病状态。",
    "Criticality is low, high or unable to assess.": "严重程度须为低、高或无法评估。",
    "A prescription lasts 1 to 365 days.": "处方疗程为 1 至 365 天。",
    "The quantity must be more than zero.": "数量必须大于零。",
    "Enter a date as YYYY-MM-DD.": "请按 YYYY-MM-DD 格式输入日期。",
    "A visit is an initial visit or a follow-up.": "就诊类型须为初诊或复诊。",
    "A visit cannot end before it starts.": "就诊结束时间不能早于开始时间。",
    "Unknown form version.": "未知的表单版本。",
    "Unsupported question type.": "不支持的问题类型。",
    "Unknown form.": "未知的表单。",
    "Choose one of the listed answers.": "请从列出的答案中选择一项。",
    "That question is not part of this form.": "该问题不属于此表单。",
    "Enter zero or more.": "请输入零或更大的数。",
    "Answer yes or no.": "请回答是或否。",
    "Enter a whole number.": "请输入整数。",
    "Enter a number.": "请输入数字。",
    "Enter a mobile number (11 digits, starting with 1) or a landline with area code.": "请输入手机号（11 位，以 1 开头）或带区号的固定电话。",
    "Old 15-digit ID: please enter the 18-character ID.": "这是旧的 15 位身份证号：请输入 18 位身份证号。",
    "An ID number has 17 digits and a final digit or X.": "身份证号由 17 位数字加一位数字或 X 组成。",
    "The ID number does not start with a valid region code.": "身份证号开头不是有效的地区代码。",
    "The ID number holds an impossible birth date.": "身份证号中的出生日期不存在。",
    "The ID number's check digit is wrong; please re-check it.": "身份证号校验位错误，请重新核对。",
    "Choose a specialty from the list.": "请从列表中选择专科。",
    "Urgency is routine, urgent, asap or stat.": "紧急程度须为常规、紧急、尽快或立即。",
    "Write the question for the specialist.": "请填写向专科医生提出的问题。",
    "The question is too long (4000 characters at most).": "问题过长（最多 4000 个字符）。",
    "Write the message.": "请填写消息。",
    "The message is too long (4000 characters at most).": "消息过长（最多 4000 个字符）。",
    "A new request is a draft or active.": "新申请的状态须为草稿或有效。",
    "Write the opinion.": "请填写会诊意见。",
    "The opinion is too long (20000 characters at most).": "会诊意见过长（最多 20000 个字符）。",
    "Enter the patient's name.": "请输入患者姓名。",
    "The name is too long.": "姓名过长。",
    "Choose male, female, other or unknown.": "请选择男、女、其他或未知。",
    "The birth date is not possible.": "出生日期不合理。",
    "The birth date does not match the one in the ID number.": "出生日期与身份证号中的不一致。",
    "The gender does not match the ID number.": "性别与身份证号不一致。",
    "Appointments start on the hour (one-hour slots).": "预约须从整点开始（每个时段一小时）。",
    "A new appointment is proposed, pending or booked.": "新预约的状态须为提议、待定或已预约。",
    "Say what the follow-up is for.": "请说明随访内容。",
    "A follow-up cannot be due in the past.": "随访到期日不能是过去的日期。",
    "Unknown vital sign.": "未知的生命体征。",
    "Systolic blood pressure": "收缩压",
    "Diastolic blood pressure": "舒张压",
    "Heart rate": "心率",
    "Respiratory rate": "呼吸频率",
    "Body temperature": "体温",
    "Oxygen saturation in Arterial blood": "动脉血氧饱和度",
    "Glucose [Moles/volume] in Blood": "血糖（mmol/L）",
    "Glucose [Mass/volume] in Blood": "血糖（mg/dL）",
    "Hemoglobin A1c/Hemoglobin.total in Blood": "糖化血红蛋白（%）",
    "--export takes a file ending in .xlsx, .csv or .txt.": "--export 需要以 .xlsx、.csv 或 .txt 结尾的文件。",
    "The folder for --export does not exist.": "--export 的文件夹不存在。",
    "Choose hypertension or diabetes.": "请选择 hypertension（高血压）或 diabetes（糖尿病）。",
    "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol": "糖化血红蛋白（IFCC，mmol/mol）",
    "Body weight": "体重",
    "Body height": "身高",
    "Propose at most three slots.": "最多提议三个时段。",
    "Only a draft can be sent.": "只能发送草稿。",
    "The file of this document is not on this workstation yet.": "此文档的文件尚未同步到本工作站。",
    "This file is too large to show here; open it with the system viewer.": "文件过大，无法在此显示；请用系统查看器打开。",
    "A proposed slot must be in the future.": "提议的时段必须在将来。",
    "Propose each hour only once.": "每个时段只能提议一次。",
    "A supporting record belongs to another patient.": "某条附带记录属于其他患者。",
    "No open conflict with that number.": "没有该编号的未解决冲突。",
    "Choose a side for every field (or keep one side entirely).": "请为每个字段选择一方（或整体保留一方）。",
    "That request is not a consult request.": "该申请不是会诊申请。",
    "This consult request is closed or was withdrawn.": "此会诊申请已关闭或已撤回。",
    "Say why you decline the consult.": "请说明拒绝会诊的原因。",
    "The reason is too long (2000 characters at most).": "原因过长（最多 2000 个字符）。",
    "The consult request names no patient.": "会诊申请未指明患者。",
    "That task is not a follow-up.": "该任务不是随访。",
    "This follow-up is already done.": "此随访已完成。",
    "The file is too large to show here; open it instead.": "文件过大，无法在此显示；请直接打开。",
    "That file cannot be read.": "无法读取该文件。",
    "Attach images, PDFs, DICOM or text files.": "请添加图片、PDF、DICOM 或文本文件。",
    "Only this patient's records can be included.": "只能附带该患者的记录。",
    "That hour is already booked for this doctor.": "该医生在此时段已有预约。",
    "That slot is over; choose a later one.": "该时段已过，请选择更晚的时段。",
    "This workstation runs version %1; the central platform needs version %2 or newer. Install the update from %3.": "本工作站的版本是 %1；中心平台需要 %2 或更新的版本。请从 %3 安装更新。",
    "This workstation runs version %1; the central platform needs version %2 or newer. Ask the central platform's administrator for the update.": "本工作站的版本是 %1；中心平台需要 %2 或更新的版本。请向中心平台管理员索取更新。",
    "Video consult": "视频会诊",
    "Duration": "时长",
    "Taken part": "参与者",
    "Call quality": "通话质量",
    "The shared file arrived damaged; send it again.": "共享的文件传输损坏，请重新发送。",
    "Relay-only calls need a TURN server, and the central platform has none configured.": "仅中继通话需要 TURN 服务器，而中心平台尚未配置。",
    "The central platform answered the call unexpectedly.": "中心平台对通话请求的应答异常。",
    "The call's connection to the central platform dropped.": "通话与中心平台的连接已断开。",
    "The central platform cannot be reached; the call will start when the link returns.": "无法连接中心平台；网络恢复后通话将开始。",
    "The central platform did not open the call.": "中心平台未能开启通话。",
    "The central platform cannot be reached; retrying when the link returns.": "无法连接中心平台；网络恢复后将重试。",
    "That change is no longer in error (it was sent, fixed or discarded).": "该更改已不再处于出错状态（已发送、已修改或已放弃）。",
    "Another change of this record is being sent or waits for a decision; try again after the next sync.": "该记录的另一项更改正在发送或等待处理；请在下次同步后再试。",
    "The central platform is having trouble; it will be retried.": "中心平台出现问题；稍后将重试。",
    "The central platform cannot be reached (ConnectionTimeoutError).": "无法连接中心平台（连接超时）。",
    "The attached file is missing on this workstation.": "本工作站上缺少该附件。",
    "refused": "被拒绝",
    "The central platform failed; the call cannot start now.": "中心平台出错，暂时无法开始通话。",
    "The camera gives no video.": "摄像头没有画面。",
    "The microphone gives no sound.": "麦克风没有声音。",
    "The camera or microphone could not be opened; check that it is connected and not used by another program.": "无法打开摄像头或麦克风；请检查设备是否已连接，且未被其他程序占用。",
    "Use a headset for the call: this program does not cancel echo, so sound from the loudspeakers would reach the other side through the microphone.": "通话时请使用耳机：本程序不做回声消除，扬声器的声音会经麦克风传给对方。",
    "Diastolic pressure must be below systolic.": "舒张压必须低于收缩压。",
    "This workstation is not connected to a central platform: run `clinic-app enroll` (clinic) or `clinic-app login` (specialist) first.": "本工作站未连接中心平台：请先运行 `clinic-app enroll`（诊所）或 `clinic-app login`（专科医生）。",
    "The answer from the central platform was cut off.": "中心平台的响应不完整。",
    "A downloaded attachment did not match its hash; it was discarded.": "下载的附件与其哈希值不符，已丢弃。",
    "The upload did not complete; it will resume on the next try.": "上传未完成，下次将继续。",
    "The upload lost its place; it will resume on the next try.": "上传进度丢失，下次将继续。",
    "An attachment file is damaged; its content was not used.": "附件文件已损坏，未使用其内容。",
    "No such attachment.": "没有此附件。",
    "The copy of the record database failed its integrity check; the database itself is probably damaged (run `clinic-app check`). No copy was kept.": "记录数据库的副本未通过完整性校验，数据库本身可能已损坏（请运行 `clinic-app check`）。未保留副本。",
    "The backup copy failed its integrity check.": "备份副本未通过完整性校验。",
    "That is not a recovery key: it has 52 letters and digits in groups.": "这不是恢复密钥：恢复密钥由分组的 52 个字母和数字组成。",
    "The recovery key does not open this profile.": "此恢复密钥无法打开该档案。",
    "The key header names an unknown key derivation.": "密钥头指定了未知的密钥派生方法。",
    "The key header holds a slot of unknown kind.": "密钥头包含未知类型的密钥槽。",
    "A user name is required.": "必须填写用户名。",
    "A passphrase needs at least 8 characters.": "口令至少需要 8 个字符。",
    "That user already has a key slot.": "该用户已有密钥槽。",
    "There is no such user on this workstation.": "本工作站没有此用户。",
    "The last user cannot be removed.": "不能删除最后一个用户。",
    "The user name or passphrase is wrong.": "用户名或口令错误。",
    "The key header does not match the data key.": "密钥头与数据密钥不匹配。",
    "The key header is damaged (checksum mismatch).": "密钥头已损坏（校验和不符）。",
    "The key header has an unknown format.": "密钥头格式未知。",
    "The key header is damaged and cannot be read.": "密钥头已损坏，无法读取。",
    "No profile here: the key file keys.json is missing.": "此处没有档案：缺少密钥文件 keys.json。",
    "The record database cannot be read.": "无法读取记录数据库。",
    "The first page of the record database (its table of contents) is damaged: no record can be found in it. Rebuild from the central platform (`clinic-app rebuild`) or restore a backup.": "记录数据库的第一页（其目录）已损坏：无法在其中找到任何记录。请从中心平台重建（`clinic-app rebuild`）或恢复备份。",
    "The new profile must be a folder of its own, neither inside the damaged profile nor around it; nothing was changed.": "新档案必须是单独的文件夹，既不能在已损坏的档案之内，也不能包含它；未做任何更改。",
    "The database copy in the backup does not hold what the profile held when it was taken. No backup file was left behind; try again, and run `clinic-app check`.": "备份中的数据库副本与备份时档案中的内容不符。未留下任何备份文件；请重试，并运行 `clinic-app check`。",
    "The key file keys.json is damaged (its checksum does not match). Restore it from a backup; the record database was not touched.": "密钥文件 keys.json 已损坏（校验和不符）。请从备份恢复；记录数据库未被改动。",
    "The key file keys.json is damaged and cannot be read. Restore it from a backup; the record database was not touched.": "密钥文件 keys.json 已损坏，无法读取。请从备份恢复；记录数据库未被改动。",
    "The record database holds no tables although the profile's key file is beside it: the records are not there. Restore the newest backup (`clinic-app restore`); nothing was changed.": "档案的密钥文件就在旁边，但记录数据库中没有任何表：记录不在那里。请恢复最新的备份（`clinic-app restore`）；未做任何更改。",
    "The record database has no schema version; it was not made by us.": "记录数据库没有架构版本，并非本程序创建。",
    "This profile is too old for this version of the program.": "此档案版本过旧，本版程序无法使用。",
    "The profile's record database is missing.": "档案的记录数据库缺失。",
    "A record without a resourceType cannot be stored.": "缺少 resourceType 的记录无法保存。",
    "A record id is already used by a record of another type.": "该记录 ID 已被其他类型的记录使用。",
    "No such record version.": "没有此记录版本。",
    "A profile exists there; pass --replace to restore over it.": "该处已有档案；加上 --replace 可覆盖恢复。",
    "That file is not a readable clinic backup.": "该文件不是可读取的诊所备份。",
    "The record was changed meanwhile; reload it and try again.": "记录已被他人修改，请重新加载后再试。",
    "That file is not a complete clinic backup.": "该文件不是完整的诊所备份。",
    "The backup file is damaged.": "备份文件已损坏。",
    "The database in the backup is damaged.": "备份中的数据库已损坏。",
    "The backup holds an unsafe file name.": "备份中包含不安全的文件名。",
    "Initial visit": "初诊",
    "Follow-up visit": "复诊",
    "Cardiology": "心内科",
    "Endocrinology": "内分泌科",
    "Dermatology": "皮肤科",
    "Neurology": "神经内科",
    "Pediatrics": "儿科",
    "Radiology": "放射科",
    "Respiratory medicine": "呼吸内科",
    "Obstetrics and gynaecology": "妇产科",
    "General medicine": "全科",
    "Progress since last visit": "上次就诊以来的变化",
    "Improved": "好转",
    "Unchanged": "无变化",
    "Worse": "加重",
    "Takes medication as prescribed": "遵医嘱服药",
    "Side effects": "不良反应",
    "Home readings (count this period)": "居家测量次数（本期）",
    "Notes": "备注",
    "Plan": "处理计划",
    "Chief complaint": "主诉",
    "History of present illness": "现病史",
    "Past medical history": "既往史",
    "Family history": "家族史",
    "Smoking": "吸烟",
    "Never": "从不吸烟",
    "Former": "已戒烟",
    "Current": "目前吸烟",
    "Alcohol use": "饮酒",
    "None": "不饮酒",
    "Occasional": "偶尔",
    "Daily": "每天",
    "Pregnant": "妊娠",
    "Physical examination": "体格检查",
    "Assessment": "评估",
    "Minutes without keyboard or mouse use before the workstation locks itself.": "无键盘或鼠标操作多少分钟后工作站自动锁定。",
    "Interface language: en or zh_CN (empty: follow the system).": "界面语言：en 或 zh_CN（留空则跟随系统）。",
    "No loudspeaker or headset was found; you will not hear the other side.": "未找到扬声器或耳机，您将听不到对方的声音。",
    "The loudspeaker or headset could not be opened; check that it is connected and not used by another program.": "无法打开扬声器或耳机，请检查是否已连接，且未被其他程序占用。",
    "Camera for calls: empty for the first one found (else the synthetic test picture), 'synthetic' for the test picture, or a device name.": "通话使用的摄像头：留空则使用找到的第一个（没有则用合成测试画面），“synthetic”为测试画面，或填设备名称。",
    "Microphone for calls: empty for the first one found (else a test tone), 'synthetic' for the test tone, or a device name.": "通话使用的麦克风：留空则使用找到的第一个（没有则用测试音），“synthetic”为测试音，或填设备名称。",
    "Loudspeaker or headset that plays the other side of a call: empty for the system's default.": "播放通话对方声音的扬声器或耳机：留空则使用系统默认设备。",
    "Whether calls are made with a headset (1: echo cancellation off), as last chosen in the pre-call check or the consult room.": "通话时是否使用耳机（1：关闭回声消除），按通话前检查或会诊室中最近一次的选择。",
    "The profile's key file cannot be read, so the recovery key cannot open it: rebuild with your passphrase (it protects the new key file). Nothing was changed.": "无法读取本档案的密钥文件，因此恢复密钥无法打开它：请用您的密码重建（新密钥文件将由它保护）。没有做任何更改。",
    "No backup folder is chosen: choose one in the settings or with `clinic-app backups set --target FOLDER`.": "尚未选择备份文件夹：请在设置中选择，或使用 `clinic-app backups set --target FOLDER`。",
    "Give the backup folder as a full path.": "请填写备份文件夹的完整路径。",
    "That backup folder does not exist; connect the disk or create it.": "该备份文件夹不存在：请连接磁盘或先创建它。",
    "Choose a folder outside the profile, best on another disk.": "请选择配置文件夹以外的文件夹，最好在另一块磁盘上。",
    "Settings are changed with `clinic-app backups set`.": "设置请用 `clinic-app backups set` 更改。",
}
# Preferences added later (their descriptions are the settings' tooltips).
CORE_ZH |= {
    "Text size on every screen: 0 standard, 1 large, 2 larger, 3 largest.": "所有页面的文字大小：0 标准，1 大，2 较大，3 最大。",
    "push.changes repeats a change_id.": "推送的变更中有重复的变更编号（change_id）。",
    "The central platform cannot be reached.": "无法连接中心平台。",
    "The central platform failed; try again later.": "中心平台出错，请稍后再试。",
    # the central platform's refusals (central/validation.py), shown on the changes in error
    "A reference has no query or fragment.": "引用中不能带查询或片段。",
    "A reference is plain ASCII.": "引用只能包含 ASCII 字符。",
    "A reference must be non-empty text.": "引用必须是非空文本。",
    "A reference must have the form Type/id.": "引用的格式必须是“类型/编号”。",
    "The reference URL is malformed.": "引用的网址格式有误。",
    "The reference is too long.": "引用过长。",
    "Not a Patient.": "不是患者记录。",
    "Nested too deeply.": "嵌套层级过深。",
    "The resource is nested too deeply.": "该记录的嵌套层级过深。",
    "The resource type is not known.": "未知的记录类型。",
    "The change holds values that cannot be stored.": "该变更包含无法保存的值。",
    "The resource holds a NUL character.": "该记录包含空字符（NUL）。",
    "The resource holds text or numbers that cannot be stored.": "该记录包含无法保存的文字或数字。",
    "The resource is not a valid %1 (%2).": "该记录不是有效的 %1（%2）。",
    "An id in the resource is not a FHIR id (1 to 64 letters, digits, '-' or '.').": "记录中的编号不是有效的 FHIR 编号（1 到 64 个字母、数字、“-”或“.”）。",
}

# issue 19: the query builder's validator and saved queries
CORE_ZH |= {
    "This part of the condition is missing.": "条件缺少这一部分。",
    "Enter a whole number of days, 1 or more.": "请输入天数（不小于 1 的整数）。",
    "Answer yes or no (true or false).": "请回答是或否（true 或 false）。",
    "This question is not part of the form.": "表单中没有这个问题。",
    "A condition is an object with a kind (or a group).": "条件须为带有类型的对象（或条件组）。",
    "Enter an ICD-10 code or its start (I10, E11).": "请输入 ICD-10 编码或其开头（如 I10、E11）。",
    "Groups are nested too deeply.": "条件组嵌套层数过多。",
    "A group needs conditions.": "条件组至少需要一个条件。",
    "The query is not valid JSON.": "查询不是有效的 JSON。",
    "A query is an object with match and conditions.": "查询须为包含 match 和 conditions 的对象。",
    "Give the query a name.": "请为查询命名。",
    "The name is too long (at most 80 characters).": "名称过长（最多 80 个字符）。",
    "No saved query has this name.": "没有此名称的已保存查询。",
    "Choose csv, xlsx or txt.": "请选择 csv、xlsx 或 txt。",
    "Choose en or zh_CN.": "请选择 en 或 zh_CN。",
    "query save needs --json SPEC (or --json @FILE).": "query save 需要 --json SPEC（或 --json @文件）。",
    "query run takes a saved query's NAME or --json SPEC (one of them).": "query run 需要已保存查询的名称或 --json SPEC（二者选一）。",
    "query run needs --format csv|xlsx|txt and --out PATH.": "query run 需要 --format csv|xlsx|txt 和 --out 路径。",
}


def main(argv: list[str]) -> int:
    ts = Path(argv[1]) if len(argv) > 1 else TS
    messages = collect()
    added, missing = merge(ts, messages, {**error_texts().ZH, **CORE_ZH})
    print(f"core: {len(messages)} messages, {added} new, {len(missing)} untranslated")
    for source in missing:
        print(f"  untranslated: {source!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
