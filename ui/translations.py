"""The interface languages: where the compiled translations are, which one to use (the saved
choice, else the system's), and installing one into the application: ours
(``i18n/clinic_<language>.qm``) and Qt's own (``qtbase_<language>.qm`` from PySide6's
translations folder: standard buttons, file and message dialogs, context menus), with the
default QLocale (dates, weekday names, numbers) following the language."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

I18N = Path(__file__).parent / "i18n"
LANGUAGES = ("en", "zh_CN")
QT_CATALOG = "qtbase"  # Qt's translations of its own widgets and dialogs


def qt_translations_dirs() -> list[Path]:
    """Where Qt's own ``.qm`` files may be: Qt's configured folder (inside the PySide6 wheel),
    then next to a frozen program (PyInstaller puts them under ``PySide6/Qt/translations``)."""
    dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs += [Path(bundle) / "PySide6" / "Qt" / "translations", Path(bundle) / "translations"]
    return dirs


def qt_catalog(language: str) -> Path | None:
    """Qt's own translation file for ``language`` (``qtbase_zh_CN.qm``), if installed."""
    for folder in qt_translations_dirs():
        path = folder / f"{QT_CATALOG}_{language}.qm"
        if path.is_file():
            return path
    return None


def install_translator(app: QCoreApplication, language: str) -> QTranslator | None:
    """Load ``i18n/clinic_<language>.qm`` and Qt's own catalog for the language, and make it
    the default locale. English needs no file; returns the clinic's translator, or None."""
    QLocale.setDefault(QLocale(language if language in LANGUAGES else "en"))
    _installed[0] = language if language in LANGUAGES else "en"
    if language == "en":
        return None
    qt_file = qt_catalog(language)
    if qt_file is not None:
        qt = QTranslator(app)
        if qt.load(str(qt_file)):
            app.installTranslator(qt)
    translator = QTranslator(app)
    if translator.load(str(I18N / f"clinic_{language}.qm")):
        app.installTranslator(translator)
        return translator
    return None


_installed = ["en"]  # the language install_translator() put in last


def installed_language() -> str:
    """The language the interface shows now (what the settings' language box shows)."""
    return _installed[0]


def remove_translators(app: QCoreApplication) -> None:
    """Uninstall every translation :func:`install_translator` put in (ours and Qt's)."""
    qt_dirs = [str(d) for d in qt_translations_dirs()]
    for old in app.findChildren(QTranslator):
        path = old.filePath()
        if path and (path.startswith(str(I18N)) or any(path.startswith(d) for d in qt_dirs)):
            app.removeTranslator(old)
            old.deleteLater()


def chosen_language(explicit: str | None = None) -> str:
    """The language to start with: given on the command line, else saved, else the system's."""
    if explicit in LANGUAGES:
        return str(explicit)
    stored = QSettings("ClinicWorkstation", "workstation").value("language")
    if stored in LANGUAGES:
        return str(stored)
    return "zh_CN" if QLocale.system().name().startswith("zh") else "en"
