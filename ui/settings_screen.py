"""Settings: the interface language, the link to the central platform (a clinic workstation
enrolls with a one-time code, a specialist signs in), the workstation's own passphrase, when
the workstation locks itself, automatic backups (``ui.backups_box``), restoring one
(``ui.restore_box``), and the About box.

Language: the choice is stored and the translator is swapped at once. The desk-side screens and
every dialog opened from now on follow it; screens built earlier keep their words until the
next sign-in (Ctrl+L locks, signing in rebuilds every screen). The screen says exactly that.
"""

from __future__ import annotations

import platform
from typing import Any

import shiboken6
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QEvent, QSysInfo
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app import __version__
from clinic_app.errors import WrongPassphrase
from clinic_app.sync.account import SyncAccount
from clinic_app.sync.client import CentralClient
from ui import preferences
from ui.backups_box import BackupsBox
from ui.bridge import Event
from ui.devices_box import DevicesBox
from ui.errors import tr_core
from ui.ops import run_op
from ui.rebuild_box import RebuildBox
from ui.restore_box import RestoreBox
from ui.session import Session
from ui.setup_screen import USER_NAME
from ui.text_size import apply_text_size
from ui.translations import (
    I18N,
    LANGUAGES,
    chosen_language,
    install_translator,
    installed_language,
    remove_translators,
)
from ui.widgets import FieldError, with_error

LANGUAGE_NAMES = {"en": "English", "zh_CN": "中文（简体）"}  # each in its own language


def switch_language(language: str) -> bool:
    """Replace the installed translation with ``language``'s; QLocale follows. False when the
    translation file is missing (the interface then stays in English)."""
    app = QApplication.instance()
    if app is None:
        return False
    remove_translators(app)  # removing and installing each tell every widget (LanguageChange)
    loaded = install_translator(app, language) is not None
    return language == "en" or loaded


class SettingsScreen(QWidget):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.account: SyncAccount | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        columns = QHBoxLayout(body)
        left, right = QVBoxLayout(), QVBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        # ---- language
        self.language_box = QGroupBox()
        lf = QFormLayout(self.language_box)
        self.language = QComboBox()
        for code in LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES.get(code, code), code)
        self.language.setCurrentIndex(max(0, self.language.findData(installed_language())))
        self.language.currentIndexChanged.connect(self._language_chosen)
        self.language_label = QLabel()
        lf.addRow(self.language_label, self.language)
        self.language_note = QLabel()
        self.language_note.setWordWrap(True)
        lf.addRow(self.language_note)
        self.text_size_label = QLabel()
        self.text_size = QComboBox()
        for step in range(len(preferences.FONT_SCALES)):
            self.text_size.addItem("", step)
        self.text_size.setCurrentIndex(int(preferences.get(preferences.FONT_SIZE)))
        self.text_size.currentIndexChanged.connect(self._text_size_chosen)
        self.text_size_label.setBuddy(self.text_size)
        lf.addRow(self.text_size_label, self.text_size)
        left.addWidget(self.language_box)

        # ---- security: passphrase and idle lock
        self.security_box = QGroupBox()
        sf = QFormLayout(self.security_box)
        self.errors: dict[str, FieldError] = {}

        def field(form: QFormLayout, key: str, label: QLabel, widget: QWidget) -> None:
            box, err = with_error(widget)
            self.errors[key] = err
            form.addRow(label, box)

        self.user_label = QLabel()
        sf.addRow(self.user_label)
        self.old_pass, self.new_pass, self.repeat_pass = QLineEdit(), QLineEdit(), QLineEdit()
        self.pass_labels = [QLabel(), QLabel(), QLabel()]
        for key, label, edit in zip(
            ("old", "new", "repeat"),
            self.pass_labels,
            (self.old_pass, self.new_pass, self.repeat_pass),
            strict=True,
        ):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            field(sf, key, label, edit)
        self.repeat_pass.returnPressed.connect(self.on_change_passphrase)
        self.pass_button = QPushButton()
        self.pass_button.clicked.connect(self.on_change_passphrase)
        self.pass_done = QLabel()
        self.pass_done.setStyleSheet("color: #1e7b34;")
        row = QHBoxLayout()
        row.addWidget(self.pass_button)
        row.addWidget(self.pass_done, 1)
        sf.addRow(row)
        self.idle_label = QLabel()
        self.idle = QSpinBox()
        self.idle.setRange(
            preferences.IDLE_LOCK_MINUTES.minimum or 1, preferences.IDLE_LOCK_MINUTES.maximum or 120
        )
        self.idle.setValue(int(preferences.get(preferences.IDLE_LOCK_MINUTES)))
        self.idle.setMaximumWidth(140)
        self.idle.valueChanged.connect(self._idle_chosen)
        sf.addRow(self.idle_label, self.idle)
        left.addWidget(self.security_box)

        # ---- users of this (shared) workstation
        self.users_box = QGroupBox()
        uf = QFormLayout(self.users_box)
        self.users_list = QLabel()
        self.users_list.setWordWrap(True)
        uf.addRow(self.users_list)
        self.new_user, self.user_pass, self.user_repeat = QLineEdit(), QLineEdit(), QLineEdit()
        self.user_labels = [QLabel(), QLabel(), QLabel()]
        for key, label, edit in zip(
            ("new_user", "user_pass", "user_repeat"),
            self.user_labels,
            (self.new_user, self.user_pass, self.user_repeat),
            strict=True,
        ):
            if edit is not self.new_user:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            field(uf, key, label, edit)
        self.user_repeat.returnPressed.connect(self.on_add_user)
        self.add_user_button = QPushButton()
        self.add_user_button.clicked.connect(self.on_add_user)
        self.user_done = QLabel()
        self.user_done.setStyleSheet("color: #1e7b34;")
        row = QHBoxLayout()
        row.addWidget(self.add_user_button)
        row.addWidget(self.user_done, 1)
        uf.addRow(row)
        left.addWidget(self.users_box)
        self.backups = BackupsBox(session)  # folder, schedule, retention, "Back up now"
        left.addWidget(self.backups)
        self.restore = RestoreBox(session)  # a backup over the records, after a confirmation
        left.addWidget(self.restore)
        self.rebuild = RebuildBox(session)  # the central platform's records over them, confirmed
        left.addWidget(self.rebuild)

        # ---- central platform
        self.central_box = QGroupBox()
        cv = QVBoxLayout(self.central_box)
        self.account_label = QLabel()
        self.account_label.setWordWrap(True)
        cv.addWidget(self.account_label)
        cf = QFormLayout()
        self.server_label, self.ca_label = QLabel(), QLabel()
        self.server = QLineEdit()
        self.server.setPlaceholderText("https://central.example.cn")
        field(cf, "server", self.server_label, self.server)
        ca_row = QWidget()
        ca_layout = QHBoxLayout(ca_row)
        ca_layout.setContentsMargins(0, 0, 0, 0)
        self.ca_file = QLineEdit()
        self.ca_browse = QPushButton()
        self.ca_browse.clicked.connect(self._browse_ca)
        ca_layout.addWidget(self.ca_file, 1)
        ca_layout.addWidget(self.ca_browse)
        cf.addRow(self.ca_label, ca_row)
        cv.addLayout(cf)
        self.tabs = QTabWidget()
        clinic = QWidget()
        kf = QFormLayout(clinic)
        self.code_label, self.device_label = QLabel(), QLabel()
        self.code = QLineEdit()
        self.device_name = QLineEdit(QSysInfo.machineHostName())
        field(kf, "code", self.code_label, self.code)
        field(kf, "device_name", self.device_label, self.device_name)
        self.enroll_button = QPushButton()
        self.enroll_button.clicked.connect(self.on_enroll)
        self.code.returnPressed.connect(self.on_enroll)
        kf.addRow(self.enroll_button)
        specialist = QWidget()
        pf = QFormLayout(specialist)
        self.username_label, self.password_label = QLabel(), QLabel()
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        field(pf, "username", self.username_label, self.username)
        field(pf, "password", self.password_label, self.password)
        self.login_button = QPushButton()
        self.login_button.clicked.connect(self.on_login)
        self.password.returnPressed.connect(self.on_login)
        pf.addRow(self.login_button)
        self.tabs.addTab(clinic, "")
        self.tabs.addTab(specialist, "")
        cv.addWidget(self.tabs)
        right.addWidget(self.central_box)
        right.addWidget(DevicesBox())  # camera, microphone, loudspeaker, preview

        # ---- about
        self.about_box = QGroupBox()
        av = QVBoxLayout(self.about_box)
        self.version_label = QLabel()
        self.about_button = QPushButton()
        self.about_button.clicked.connect(self.show_about)
        av.addWidget(self.version_label)
        av.addWidget(self.about_button)
        right.addWidget(self.about_box)
        left.addStretch(1)
        right.addStretch(1)
        self._language_message = ""
        chosen = chosen_language()
        if chosen != "en" and not (I18N / f"clinic_{chosen}.qm").exists():
            self._language_message = self.tr(
                "The translation for the chosen language is not installed in this version, so "
                "the interface is in English."
            )
        self.retranslate()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.language_box.setTitle(self.tr("Language"))
        self.language_label.setText(self.tr("Interface language"))
        self.language_note.setText(self._language_text())
        self.text_size_label.setText(self.tr("Text size"))
        for step, name in enumerate(
            (self.tr("Standard"), self.tr("Large"), self.tr("Larger"), self.tr("Largest"))
        ):
            self.text_size.setItemText(step, name)
        self.text_size.setToolTip(tr_core(preferences.FONT_SIZE.description))
        self.security_box.setTitle(self.tr("Security"))
        self.user_label.setText(
            self.tr("Signed in on this workstation as %1.").replace("%1", self.session.user)
        )
        for label, text in zip(
            self.pass_labels,
            (self.tr("Current passphrase"), self.tr("New passphrase"), self.tr("Repeat it")),
            strict=True,
        ):
            label.setText(text)
        self.new_pass.setPlaceholderText(self.tr("at least 8 characters"))
        self.pass_button.setText(self.tr("Change passphrase"))
        self.users_box.setTitle(self.tr("Users of this workstation"))
        self.users_list.setText(
            self.tr("Each user signs in with their own passphrase: %1.").replace(
                "%1", ", ".join(self.session.clinic.profile.users())
            )
        )
        for label, text in zip(
            self.user_labels,
            (self.tr("New user name"), self.tr("Their passphrase"), self.tr("Repeat it")),
            strict=True,
        ):
            label.setText(text)
        self.new_user.setPlaceholderText(self.tr("e.g. dr.zhang"))
        self.user_pass.setPlaceholderText(self.tr("at least 8 characters"))
        self.add_user_button.setText(self.tr("Add user"))
        self.idle_label.setText(self.tr("Lock after idle"))
        self.idle.setSuffix(self.tr(" min"))
        self.idle.setToolTip(tr_core(preferences.IDLE_LOCK_MINUTES.description))
        self.central_box.setTitle(self.tr("Central platform"))
        self.server_label.setText(self.tr("Server address"))
        self.ca_label.setText(self.tr("CA certificate"))
        self.ca_file.setPlaceholderText(self.tr("only for a server with its own certificate"))
        self.ca_browse.setText(self.tr("Choose…"))
        self.tabs.setTabText(0, self.tr("Clinic workstation"))
        self.tabs.setTabText(1, self.tr("Specialist"))
        self.code_label.setText(self.tr("One-time code"))
        self.device_label.setText(self.tr("Name of this PC"))
        self.enroll_button.setText(self.tr("Connect this workstation"))
        self.username_label.setText(self.tr("User name"))
        self.password_label.setText(self.tr("Password"))
        self.login_button.setText(self.tr("Sign in to the central platform"))
        self.about_box.setTitle(self.tr("About"))
        self.version_label.setText(
            self.tr("Clinic workstation, version %1").replace("%1", __version__)
        )
        self.about_button.setText(self.tr("About this program…"))
        self.show_account()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh_account()

    # ---- language ----------------------------------------------------------------------
    def _language_text(self) -> str:
        return self._language_message or self.tr(
            "A new language applies at once to every screen, the sign-in included, and to every "
            "window opened afterwards."
        )

    def _text_size_chosen(self, _index: int) -> None:
        self.set_text_size(int(self.text_size.currentData()))

    def set_text_size(self, step: int) -> None:
        """Store the text size and apply it to every screen now (also after a restart)."""
        preferences.put(preferences.FONT_SIZE, step)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_text_size(app, step)

    def _language_chosen(self, _index: int) -> None:
        self.set_language(str(self.language.currentData()))

    def set_language(self, language: str) -> None:
        """Store the choice, swap the translation now and say honestly what changed."""
        if language not in LANGUAGES:
            return
        preferences.put(preferences.LANGUAGE, language)
        loaded = switch_language(language)
        if not loaded:
            self._language_message = self.tr(
                "Saved. The translation for this language is not installed in this version, "
                "so the interface stays in English."
            )
        else:
            self._language_message = self.tr(
                "Saved. Every screen follows at once; a form open over a chart keeps its "
                "language until it is closed."
            )
        self.language_note.setText(self._language_message)
        self.session.bridge.emit_now(Event.LANGUAGE_CHANGED, language)

    # ---- idle lock ---------------------------------------------------------------------
    def _idle_chosen(self, minutes: int) -> None:
        preferences.put(preferences.IDLE_LOCK_MINUTES, minutes)
        self.session.bridge.emit_now(Event.SETTINGS_CHANGED, preferences.IDLE_LOCK_MINUTES.key)

    # ---- passphrase --------------------------------------------------------------------
    @asyncSlot()
    async def on_change_passphrase(self) -> None:
        await self.change_passphrase()

    async def change_passphrase(self) -> bool:
        for key in ("old", "new", "repeat"):
            self.errors[key].clear_message()
        self.pass_done.setText("")
        old, new = self.old_pass.text(), self.new_pass.text()
        if not old:
            self.errors["old"].show_message(self.tr("Type your current passphrase."))
            return False
        if len(new) < 8:
            self.errors["new"].show_message(self.tr("A passphrase needs at least 8 characters."))
            return False
        if new != self.repeat_pass.text():
            self.errors["repeat"].show_message(self.tr("The two new passphrases differ."))
            return False
        result = await run_op(self, self._rewrap(old, new), disable=self.pass_button)
        return bool(result)

    async def _rewrap(self, old: str, new: str) -> bool:
        try:
            await self.session.call(self.session.clinic.profile.change_passphrase, old, new)
        except WrongPassphrase:
            self.errors["old"].show_message(self.tr("That is not your current passphrase."))
            return False
        for edit in (self.old_pass, self.new_pass, self.repeat_pass):
            edit.clear()
        self.pass_done.setStyleSheet("color: #1e7b34;")
        self.pass_done.setText(self.tr("Passphrase changed. Use the new one from now on."))
        return True

    # ---- users -------------------------------------------------------------------------
    @asyncSlot()
    async def on_add_user(self) -> None:
        await self.add_user()

    async def add_user(self) -> bool:
        """Give a colleague their own key slot (Argon2id runs on the store thread)."""
        for key in ("new_user", "user_pass", "user_repeat"):
            self.errors[key].clear_message()
        self.user_done.setText("")
        name, new = self.new_user.text().strip(), self.user_pass.text()
        profile = self.session.clinic.profile
        if not USER_NAME.fullmatch(name):
            self.errors["new_user"].show_message(
                self.tr("Use 2 to 32 letters, digits, dots, dashes or underscores.")
            )
            return False
        if name in profile.users():
            self.errors["new_user"].show_message(self.tr("That user already exists here."))
            return False
        if len(new) < 8:
            self.errors["user_pass"].show_message(
                self.tr("A passphrase needs at least 8 characters.")
            )
            return False
        if new != self.user_repeat.text():
            self.errors["user_repeat"].show_message(self.tr("The two passphrases differ."))
            return False

        async def work() -> bool:
            await self.session.call(profile.add_user, name, new)
            return True

        if not await run_op(self, work(), disable=self.add_user_button):
            return False
        for edit in (self.new_user, self.user_pass, self.user_repeat):
            edit.clear()
        done = self.tr("%1 can now sign in on this workstation.")
        self.user_done.setText(done.replace("%1", name))
        self.retranslate()
        return True

    # ---- central platform --------------------------------------------------------------
    @asyncSlot()
    async def refresh_account(self) -> None:
        self.account = await run_op(self, self.session.call(self.session.clinic.sync.account))
        if not shiboken6.isValid(self.account_label):
            return  # the screen went away (locked) while the account was read
        if self.account is not None and not self.server.text():
            self.server.setText(self.account.server)
            self.ca_file.setText(self.account.ca_file or "")
        self.show_account()

    def show_account(self) -> None:
        a = self.account
        if a is None:
            text = self.tr("Not connected: records stay on this workstation until it is.")
        elif a.kind == "device":
            text = (
                self.tr("Connected to %1 as a workstation of clinic %2 (device %3).")
                .replace("%1", a.server)
                .replace("%2", a.clinic_id or "")
                .replace("%3", a.subject_id)
            )
        else:
            text = (
                self.tr("Signed in to %1 as %2 (%3; specialties: %4).")
                .replace("%1", a.server)
                .replace("%2", a.subject_id)
                .replace("%3", a.role or "")
                .replace("%4", ", ".join(a.specialties or []) or "—")
            )
        self.account_label.setText(text)

    def _browse_ca(self) -> None:
        dialog = QFileDialog(self, self.tr("CA certificate"))
        dialog.setNameFilters(
            [self.tr("Certificates (*.pem *.crt *.cer)"), self.tr("All files (*)")]
        )
        dialog.fileSelected.connect(self.ca_file.setText)
        dialog.open()

    def _server(self) -> tuple[str, str | None] | None:
        self.errors["server"].clear_message()
        server = self.server.text().strip().rstrip("/")
        if not server.startswith(("https://", "http://")):
            self.errors["server"].show_message(
                self.tr("Type the address the administrator gave you, starting with https://")
            )
            return None
        return server, self.ca_file.text().strip() or None

    @asyncSlot()
    async def on_enroll(self) -> None:
        await self.enroll()

    async def enroll(self) -> bool:
        """Connect this clinic workstation with a one-time code."""
        target = self._server()
        self.errors["code"].clear_message()
        if target is None:
            return False
        if not self.code.text().strip():
            self.errors["code"].show_message(self.tr("Type the one-time code."))
            return False
        server, ca = target
        code, name = self.code.text().strip(), self.device_name.text().strip() or "workstation"

        async def work() -> bool:
            async with CentralClient(server, ca_file=ca) as client:
                info = await client.enroll(code, name)
            account = SyncAccount(
                server=server,
                token=str(info["token"]),
                kind="device",
                subject_id=str(info["device_id"]),
                clinic_id=str(info["clinic_id"]),
                ca_file=ca,
                **SyncAccount.token_fields(info),
            )
            await self._connected(account)
            return True

        return bool(await run_op(self, work(), disable=self.enroll_button))

    @asyncSlot()
    async def on_login(self) -> None:
        await self.login()

    async def login(self) -> bool:
        """Connect a specialist's desk with the central account (the password is not kept)."""
        target = self._server()
        for key in ("username", "password"):
            self.errors[key].clear_message()
        if target is None:
            return False
        username, password = self.username.text().strip(), self.password.text()
        if not username:
            self.errors["username"].show_message(self.tr("Type your user name."))
            return False
        if not password:
            self.errors["password"].show_message(self.tr("Type your password."))
            return False
        server, ca = target

        async def work() -> bool:
            async with CentralClient(server, ca_file=ca) as client:
                info = await client.login(username, password)
            account = SyncAccount(
                server=server,
                token=str(info["token"]),
                kind="user",
                subject_id=str(info.get("user_id", username)),
                role=str(info.get("role") or ""),
                specialties=list(info.get("specialties") or []),
                ca_file=ca,
                **SyncAccount.token_fields(info),
            )
            await self._connected(account)
            return True

        return bool(await run_op(self, work(), disable=self.login_button))

    async def _connected(self, account: SyncAccount) -> None:
        await self.session.call(self.session.clinic.sync.save_account, account)
        self.code.clear()
        self.password.clear()
        self.account = account
        self.show_account()
        self.session.bridge.emit_now(Event.ACCOUNT_CHANGED, account)
        await self.session.restart_sync()

    # ---- about -------------------------------------------------------------------------
    def about_text(self) -> str:
        return (
            self.tr(
                "Clinic workstation %1\n\nRecords, visits, consults and follow-ups for community "
                "clinics, kept encrypted on this PC and synced with the central platform.\n\n"
                "Python %2, Qt for Python %3, %4."
            )
            .replace("%1", __version__)
            .replace("%2", platform.python_version())
            .replace("%3", pyside_version)
            .replace("%4", f"{platform.system()} {platform.machine()}")
        )

    def show_about(self) -> QMessageBox:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(self.tr("About"))
        box.setText(self.about_text())
        box.addButton(QMessageBox.StandardButton.Close)
        box.open()
        return box
