"""The Simplified Chinese translation: complete, placeholders intact, compiled, up to date."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "ui" / "i18n"
TS = I18N / "clinic_zh_CN.ts"
QM = I18N / "clinic_zh_CN.qm"
BIN = Path(sys.executable).parent
PLACEHOLDER = re.compile(r"%(?:n|\d)")


def messages(ts: Path = TS) -> list[tuple[str, ET.Element]]:
    root = ET.parse(ts).getroot()
    return [
        (context.findtext("name") or "", message)
        for context in root.iter("context")
        for message in context.findall("message")
    ]


def translations(message: ET.Element) -> list[str]:
    translation = message.find("translation")
    assert translation is not None
    forms = translation.findall("numerusform")
    return [f.text or "" for f in forms] if forms else [translation.text or ""]


def tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (it comes with PySide6)")
    return found


def test_every_message_is_translated() -> None:
    problems = []
    for context, message in messages():
        source = message.findtext("source")
        translation = message.find("translation")
        assert translation is not None
        if translation.get("type"):
            problems.append(f"{context}: {source!r} is {translation.get('type')}")
        if not all(text.strip() for text in translations(message)):
            problems.append(f"{context}: {source!r} has an empty translation")
    assert not problems, "\n".join(problems)


def test_plurals_have_one_form() -> None:
    numerus = [m for _, m in messages() if m.get("numerus") == "yes"]
    assert numerus
    for message in numerus:
        assert len(translations(message)) == 1, message.findtext("source")
        assert "%n" in translations(message)[0], message.findtext("source")


def test_placeholders_are_kept() -> None:
    problems = []
    for context, message in messages():
        source = message.findtext("source") or ""
        wanted = sorted(PLACEHOLDER.findall(source))
        for text in translations(message):
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"{context}: {source!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_core_messages_are_included() -> None:
    core = {m.findtext("source") for c, m in messages() if c == "core"}
    for source in ("Enter a number.", "Cardiology", "Initial visit", "Systolic blood pressure"):
        assert source in core


def test_every_ui_string_is_in_the_ts(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in (ROOT / "ui").glob("*.py"))
    subprocess.run(
        [tool("pyside6-lupdate"), *sources, "-ts", str(fresh), "-no-obsolete"],
        check=True,
        capture_output=True,
    )
    wanted = {m.findtext("source") for _, m in messages(fresh)}
    have = {m.findtext("source") for _, m in messages()}
    assert wanted, "lupdate found no strings"
    assert not wanted - have, f"run `make i18n`; missing: {sorted(wanted - have)}"


def test_qm_is_compiled_from_the_ts(tmp_path: Path) -> None:
    assert QM.exists(), "run `make i18n`"
    fresh = tmp_path / "fresh.qm"
    subprocess.run(
        [tool("pyside6-lrelease"), str(TS), "-qm", str(fresh)], check=True, capture_output=True
    )
    assert fresh.read_bytes() == QM.read_bytes(), "the .qm is stale: run `make i18n`"


def test_qm_translates(qapp: object) -> None:
    translator = QTranslator()
    assert translator.load(str(QM))
    assert translator.translate("pages", "Patients") == "患者"
    assert translator.translate("clinical_text", "Systolic BP") == "收缩压"
    assert translator.translate("core", "Cardiology") == "心内科"
    assert translator.translate("PatientsScreen", "%n patient(s)", None, 3) == "%n 位患者"


def test_core_messages_with_values_are_translated_by_their_template(qapp: object) -> None:
    from PySide6.QtWidgets import QApplication

    from central.config import upgrade_sentence
    from ui.errors import tr_core

    translator = QTranslator()
    assert translator.load(str(QM))
    QApplication.installTranslator(translator)
    try:
        text = tr_core(upgrade_sentence("0.3.0", "0.4.0", "https://update.example.cn/"))
        assert text == (
            "本工作站的版本是 0.3.0；中心平台需要 0.4.0 或更新的版本。"
            "请从 https://update.example.cn/ 安装更新。"
        )
        asked = tr_core(upgrade_sentence("0.3.0", "0.4.0", None))
        assert asked.startswith("本工作站的版本是 0.3.0") and "管理员" in asked
        assert tr_core("Not a known message 12.") == "Not a known message 12."
    finally:
        QApplication.removeTranslator(translator)
