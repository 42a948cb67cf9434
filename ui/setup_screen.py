"""First run: set up this workstation's encrypted profile.

Step 1 asks for the clinic's name, the first user and their passphrase; the profile is made on a
worker thread (Argon2id, 64 MiB). Step 2 shows the recovery key once and asks the user to type
two of its groups back, so nobody leaves this screen without having it written down. Then the
workspace opens signed in, on the settings page where the workstation connects to the central
platform with its one-time code.
"""

from __future__ import annotations

import asyncio
import random
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.clinic import Clinic
from clinic_app.errors import ClinicError
from ui.errors import tr_error
from ui.text_size import LARGE, TITLE, relative_font
from ui.widgets import FieldError, with_error

USER_NAME = re.compile(r"[\w.\-]{2,32}")
CLINIC_NAME_META = "clinic_name"


class SetupScreen(QWidget):
    """Emits ``created(store)`` once the profile exists and the recovery key is confirmed."""

    created = Signal(object)

    def __init__(self, profile: Path, executor: ThreadPoolExecutor) -> None:
        super().__init__()
        self.profile = profile
        self.executor = executor
        self.opened: Clinic | None = None  # made, waiting for the key to be confirmed
        self.recovery_key = ""
        self.asked: tuple[int, int] = (0, 0)
        self.setObjectName("setup")
        outer = QHBoxLayout(self)
        self.steps = QStackedWidget()
        self.steps.setFixedWidth(560)  # word-wrapped labels need a known width for their height
        outer.addStretch(1)
        outer.addWidget(self.steps)  # all the height: a page centres itself vertically
        outer.addStretch(1)
        self.errors: dict[str, FieldError] = {}
        self._build_details()
        self._build_recovery()

    # ---- step 1: clinic, first user, passphrase -----------------------------------------
    def _field(self, form: QFormLayout, key: str, label: str, widget: QWidget) -> None:
        box, err = with_error(widget)
        self.errors[key] = err
        form.addRow(label, box)

    def _page(self) -> QFormLayout:
        page = QWidget()
        column = QVBoxLayout(page)
        form = QFormLayout()
        column.addStretch(1)
        column.addLayout(form)
        column.addStretch(2)
        self.steps.addWidget(page)
        return form

    def _build_details(self) -> None:
        form = self._page()
        title = QLabel(self.tr("Set up this workstation"))
        title.setWordWrap(True)
        relative_font(title, TITLE, weight=QFont.Weight.DemiBold)
        form.addRow(title)
        intro = QLabel(
            self.tr(
                "The clinic's records are kept encrypted on this PC. Choose who signs in first "
                "and their passphrase; more users can be added later in the settings."
            )
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.clinic = QLineEdit()
        self.clinic.setPlaceholderText(self.tr("e.g. Shanhe Township Health Centre"))
        self._field(form, "clinic", self.tr("Clinic"), self.clinic)
        self.user = QLineEdit()
        self.user.setPlaceholderText(self.tr("e.g. dr.zhang"))
        self._field(form, "user", self.tr("Your user name"), self.user)
        self.passphrase, self.repeat = QLineEdit(), QLineEdit()
        for edit in (self.passphrase, self.repeat):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText(self.tr("at least 8 characters"))
        self._field(form, "passphrase", self.tr("Passphrase"), self.passphrase)
        self._field(form, "repeat", self.tr("Repeat it"), self.repeat)
        self.repeat.returnPressed.connect(self.on_create)
        self.status = QLabel()
        self.status.setWordWrap(True)
        form.addRow(self.status)
        self.create_button = QPushButton(self.tr("Create the encrypted records"))
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.on_create)
        form.addRow(self.create_button)

    def _check_details(self) -> bool:
        for err in self.errors.values():
            err.clear_message()
        ok = True
        if not self.clinic.text().strip():
            self.errors["clinic"].show_message(self.tr("Type the clinic's name."))
            ok = False
        if not USER_NAME.fullmatch(self.user.text().strip()):
            self.errors["user"].show_message(
                self.tr("Use 2 to 32 letters, digits, dots, dashes or underscores.")
            )
            ok = False
        if len(self.passphrase.text()) < 8:
            self.errors["passphrase"].show_message(
                self.tr("A passphrase needs at least 8 characters.")
            )
            ok = False
        elif self.passphrase.text() != self.repeat.text():
            self.errors["repeat"].show_message(self.tr("The two passphrases differ."))
            ok = False
        return ok

    @asyncSlot()
    async def on_create(self) -> None:
        await self.make_profile()

    async def make_profile(self) -> bool:
        if self.opened is not None or not self._check_details():
            return False
        user, passphrase = self.user.text().strip(), self.passphrase.text()
        clinic = self.clinic.text().strip()

        def work() -> tuple[Clinic, str]:
            made, recovery = Clinic.create(self.profile, user, passphrase)
            made.profile.set_setting(CLINIC_NAME_META, clinic)
            return made, recovery

        self.create_button.setEnabled(False)
        self.status.setText(self.tr("Creating the encrypted records…"))
        try:
            loop = asyncio.get_running_loop()
            self.opened, self.recovery_key = await loop.run_in_executor(self.executor, work)
        except ClinicError as exc:
            self.status.setText("")
            self.errors["repeat"].show_message(tr_error(exc))
            return False
        finally:
            self.create_button.setEnabled(True)
        self.passphrase.clear()
        self.repeat.clear()
        self.status.setText("")
        self._show_recovery()
        return True

    # ---- step 2: the recovery key, shown once and confirmed -----------------------------
    def _build_recovery(self) -> None:
        form = self._page()
        title = QLabel(self.tr("Write down the recovery key"))
        title.setWordWrap(True)
        relative_font(title, TITLE, weight=QFont.Weight.DemiBold)
        form.addRow(title)
        note = QLabel(
            self.tr(
                "If every passphrase is forgotten, this key is the only way to open the records. "
                "It is shown only now. Write it on paper and keep it locked away from the PC; "
                "do not store it in a file or a photo."
            )
        )
        note.setWordWrap(True)
        form.addRow(note)
        self.key_label = QLabel()
        relative_font(self.key_label, LARGE, weight=QFont.Weight.DemiBold, fixed=True)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label.setStyleSheet(
            "background: #fff8e1; border: 1px solid #e0c060; padding: 10px; color: #222;"
        )
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        form.addRow(self.key_label)
        self.confirm_label = QLabel()
        self.confirm_label.setWordWrap(True)
        form.addRow(self.confirm_label)
        self.group_a, self.group_b = QLineEdit(), QLineEdit()
        for edit in (self.group_a, self.group_b):
            edit.setMaxLength(4)
            edit.setMaximumWidth(120)
        self.group_labels = (QLabel(), QLabel())
        box_a, self.errors["group_a"] = with_error(self.group_a)
        box_b, self.errors["group_b"] = with_error(self.group_b)
        form.addRow(self.group_labels[0], box_a)
        form.addRow(self.group_labels[1], box_b)
        self.group_b.returnPressed.connect(self.on_confirm)
        self.confirm_button = QPushButton(self.tr("I have written it down: continue"))
        self.confirm_button.clicked.connect(self.on_confirm)
        form.addRow(self.confirm_button)

    def _groups(self) -> list[str]:
        return self.recovery_key.split("-")

    def _show_recovery(self) -> None:
        groups = self._groups()
        half = (len(groups) + 1) // 2
        self.key_label.setText("-".join(groups[:half]) + "-\n" + "-".join(groups[half:]))
        first, second = sorted(random.sample(range(len(groups)), 2))
        self.asked = (first, second)
        self.confirm_label.setText(
            self.tr(
                "To confirm, type group %1 and group %2 of the key (groups are counted from 1)."
            )
            .replace("%1", str(first + 1))
            .replace("%2", str(second + 1))
        )
        self.group_labels[0].setText(self.tr("Group %1").replace("%1", str(first + 1)))
        self.group_labels[1].setText(self.tr("Group %1").replace("%1", str(second + 1)))
        self.steps.setCurrentIndex(1)
        self.group_a.setFocus()

    def confirm(self) -> bool:
        groups = self._groups()
        ok = True
        for edit, key, index in (
            (self.group_a, "group_a", self.asked[0]),
            (self.group_b, "group_b", self.asked[1]),
        ):
            self.errors[key].clear_message()
            if edit.text().strip().upper() != groups[index]:
                self.errors[key].show_message(
                    self.tr("That is not group %1 of the key.").replace("%1", str(index + 1))
                )
                ok = False
        if not ok or self.opened is None:
            return False
        store, self.opened = self.opened, None
        self.recovery_key = ""
        self.key_label.clear()
        self.created.emit(store)
        return True

    def on_confirm(self) -> None:
        self.confirm()
