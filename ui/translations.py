"""The interface languages: where the compiled translations are, which one to use (the saved
choice, else the system's), and installing one into the application."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QSettings, QTranslator

I18N = Path(__file__).parent / "i18n"
LANGUAGES = ("en", "zh_CN")


def install_translator(app: QCoreApplication, language: str) -> QTranslator | None:
    """Load ``i18n/clinic_<language>.qm`` (English needs none)."""
    if language == "en":
        return None
    translator = QTranslator(app)
    if translator.load(str(I18N / f"clinic_{language}.qm")):
        app.installTranslator(translator)
        return translator
    return None


def chosen_language(explicit: str | None = None) -> str:
    if explicit in LANGUAGES:
        return str(explicit)
    stored = QSettings("ClinicWorkstation", "workstation").value("language")
    if stored in LANGUAGES:
        return str(stored)
    return "zh_CN" if QLocale.system().name().startswith("zh") else "en"
