"""New / edit patient: names (characters and Latin), sex, birth date, resident ID, phone and
address, each checked as typed in; an error appears next to its field and nothing is saved."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.errors import ValidationError
from clinic_app.records.identity import normalize_phone, validate_resident_id
from clinic_app.records.patient import Address, PatientInput
from ui.errors import show_error, tr_core
from ui.form_errors import FormErrors
from ui.session import Session
from ui.widgets import UnsavedGuard


class BirthDateEdit(QDateEdit):
    """A date field whose "not known" state (the minimum date) still takes typed digits.

    A QDateEdit showing its special value text refuses every key but the arrows, so a birth
    date typed into a new patient's form was silently dropped. Here the first digit puts in a
    stand-in date (the day after the minimum) with the year selected, so 19580314 types
    1958-03-14; leaving the field with the stand-in untouched goes back to "not known"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stand_in: QDate | None = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.date() == self.minimumDate() and event.text().isdigit():
            self._stand_in = self.minimumDate().addDays(1)
            self.setDate(self._stand_in)
            self.setSelectedSection(QDateEdit.Section.YearSection)
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab leaves a "not known" date: with no date there are no sections to step through,
        and QDateEdit kept the focus for good (a keyboard trap)."""
        if self.date() == self.minimumDate():
            return QWidget.focusNextPrevChild(self, next)
        return super().focusNextPrevChild(next)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if self._stand_in is not None and self.date() == self._stand_in:
            self.setDate(self.minimumDate())
        self._stand_in = None


class PatientForm(QDialog):
    saved = Signal(str)  # patient id

    def __init__(self, session: Session, parent: QWidget | None = None,
                 existing: dict | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.session = session
        self.existing = existing
        self.setWindowTitle(self.tr("Edit patient") if existing else self.tr("New patient"))
        self.setMinimumWidth(460)
        form = QFormLayout()
        self.errors = FormErrors(fallback="family")

        def field(key: str, label: str, widget: QWidget) -> None:
            form.addRow(label, self.errors.field(key, widget))

        self.family = QLineEdit()
        self.given = QLineEdit()
        self.latin_family = QLineEdit()
        self.latin_given = QLineEdit()
        self.latin_family.setPlaceholderText(self.tr("from the characters if left empty"))
        self.gender = QComboBox()
        for code, label in (("unknown", self.tr("Unknown")), ("female", self.tr("Female")),
                            ("male", self.tr("Male")), ("other", self.tr("Other"))):  # fmt: skip
            self.gender.addItem(label, code)
        self.birth = BirthDateEdit()
        self.birth.setCalendarPopup(True)
        self.birth.setDisplayFormat("yyyy-MM-dd")
        self.birth.setMinimumDate(QDate(1880, 1, 1))
        self.birth.setMaximumDate(QDate.currentDate())
        self.birth.setSpecialValueText(self.tr("not known"))
        self.birth.setDate(self.birth.minimumDate())
        self.resident_id = QLineEdit()
        self.resident_id.setPlaceholderText(self.tr("18 characters; birth date and sex follow"))
        self.phone = QLineEdit()
        self.province = QLineEdit()
        self.city = QLineEdit()
        self.district = QLineEdit()
        self.line = QLineEdit()
        field("family", self.tr("Family name"), self.family)
        field("given", self.tr("Given name"), self.given)
        field("latin_family", self.tr("Latin family name"), self.latin_family)
        field("latin_given", self.tr("Latin given name"), self.latin_given)
        field("gender", self.tr("Sex"), self.gender)
        field("birth_date", self.tr("Birth date"), self.birth)
        field("resident_id", self.tr("Resident ID"), self.resident_id)
        field("phone", self.tr("Phone"), self.phone)
        field("province", self.tr("Province"), self.province)
        field("city", self.tr("City"), self.city)
        field("district", self.tr("County / district"), self.district)
        field("line", self.tr("Village / street"), self.line)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        if existing:
            self._fill(PatientInput.from_fhir(existing))
        self._untouched = self.collect()
        self._saved = False
        self.guard = UnsavedGuard(self, self.has_unsaved_input, self.save)

    def has_unsaved_input(self) -> bool:
        return not self._saved and self.collect() != self._untouched

    def reject(self) -> None:
        """Cancel, Escape or the window's close: asks first when typed input is unsaved."""
        if self.guard.allows_close():
            super().reject()

    def _fill(self, data: PatientInput) -> None:
        self.family.setText(data.family)
        self.given.setText(data.given)
        self.latin_family.setText(data.latin_family)
        self.latin_given.setText(data.latin_given)
        self.gender.setCurrentIndex(max(0, self.gender.findData(data.gender)))
        if data.birth_date:
            self.birth.setDate(QDate(data.birth_date.year, data.birth_date.month,
                                     data.birth_date.day))  # fmt: skip
        self.resident_id.setText(data.resident_id)
        self.phone.setText(data.phone)
        self.province.setText(data.address.province)
        self.city.setText(data.address.city)
        self.district.setText(data.address.district)
        self.line.setText(data.address.line)

    def collect(self) -> PatientInput:
        birth: date | None = None
        if self.birth.date() != self.birth.minimumDate():
            qd = self.birth.date()
            birth = date(qd.year(), qd.month(), qd.day())
        return PatientInput(
            family=self.family.text(),
            given=self.given.text(),
            gender=str(self.gender.currentData()),
            birth_date=birth,
            resident_id=self.resident_id.text(),
            phone=self.phone.text(),
            latin_family=self.latin_family.text(),
            latin_given=self.latin_given.text(),
            address=Address(line=self.line.text(), district=self.district.text(),
                            city=self.city.text(), province=self.province.text()),
            record_id=self.existing["id"] if self.existing else None,
        )  # fmt: skip

    def validate(self) -> PatientInput | None:
        """Check every field; show each problem next to its field. None if invalid."""
        self.errors.clear()
        data = self.collect()
        problems: dict[str, str] = {}
        try:
            data.validate()
        except ValidationError as exc:
            problems[exc.field] = exc.message
        # The record stops at its first problem; the ID number and the phone are also checked
        # on their own, so every wrong field says so at once.
        for key, check in (("resident_id", validate_resident_id), ("phone", normalize_phone)):
            text = getattr(data, key)
            if text and key not in problems:
                try:
                    check(text)
                except ValidationError as exc:
                    problems.setdefault(exc.field, exc.message)
        for key, message in problems.items():
            self.errors.show(key, tr_core(message))
        return None if problems else data

    @asyncSlot()
    async def on_save(self) -> None:
        await self.save()

    async def save(self) -> bool:
        """Check and store the patient, then close; True once saved."""
        data = self.validate()
        if data is None:
            return False
        save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save_button.setEnabled(False)
        patients = self.session.clinic.patients
        try:
            if self.existing:
                version = int(self.existing["meta"]["versionId"])
                write = self.session.write(patients.update, data, version)
            else:
                write = self.session.write(patients.register, data)
            res = await self.errors.saving(write)
        except Exception as exc:
            show_error(self, exc)
            return False
        finally:
            save_button.setEnabled(True)
        if res is None:  # refused: the message is under its field
            return False
        self._saved = True
        self.saved.emit(res["id"])
        self.accept()
        return True
