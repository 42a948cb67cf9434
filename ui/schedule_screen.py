"""Schedule: a day or week of one-hour slots (rows 08:00–18:00, columns days) with the
appointments in them, booking a slot for a patient found by search, and the follow-up
reminders that are due or overdue, each of which can be marked done."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from PySide6.QtCore import QDate, QEvent, QLocale, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from clinic_app.records.patient import age_on, display_name, resident_id_of
from clinic_app.services import desk
from ui.form_errors import FormErrors
from ui.ops import run_op
from ui.reloader import Reloader
from ui.session import Session
from ui.widgets import shortcut

HOURS = tuple(range(8, 19))  # slots starting 08:00 … 18:00
STATUS_COLORS = {
    "booked": "#dbe9ff",
    "arrived": "#d7f2dc",
    "checked-in": "#d7f2dc",
    "fulfilled": "#e6e6e6",
    "proposed": "#fff1c7",
    "pending": "#fff1c7",
    "waitlist": "#fff1c7",
}
OVERDUE_COLOR = "#fbd9d6"
DUE_COLOR = "#fff1c7"
SLOT_ROLE = Qt.ItemDataRole.UserRole + 1
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2  # index in ScheduleScreen.booked of a cell's booking


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def at_hour(day: date, hour: int) -> datetime:
    """The aware local datetime of ``hour``:00 on ``day``."""
    return datetime.combine(day, time(hour)).astimezone()


def qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def next_free_hour(start: datetime | None) -> datetime:
    """``start`` if it is still to come, else the next whole hour within opening hours."""
    now = datetime.now().astimezone()
    if start is not None and start > now:
        return start
    nxt = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if nxt.hour in HOURS:
        return nxt
    day = nxt.date() if nxt.hour < HOURS[0] else nxt.date() + timedelta(days=1)
    return at_hour(day, HOURS[0])


class PatientPicker(QWidget):
    """Find a patient by name, pinyin, ID number or phone; ``chosen`` holds the patient id."""

    changed = Signal()
    SEARCH_DELAY_MS = 150

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.chosen: str | None = None
        self.chosen_name = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Name, pinyin, ID number or phone"))
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setMaximumHeight(130)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self._seq = 0
        self.search.textChanged.connect(lambda _text: self._timer.start())
        self.results.currentItemChanged.connect(self._on_current)

    @asyncSlot()
    async def run_search(self) -> None:
        self._seq += 1
        seq = self._seq
        query = self.search.text().strip()
        if not query:
            self.results.clear()
            return
        found = await run_op(
            self, self.session.call(self.session.clinic.patients.search, query, 30)
        )
        if seq != self._seq or found is None:
            return
        self.results.clear()
        today = date.today()
        for p in found:
            age = age_on(p, today)
            bits = [display_name(p)]
            if age is not None:
                bits.append(self.tr("%n year(s)", "", age))
            if resident_id_of(p):
                bits.append(str(resident_id_of(p)))
            item = QListWidgetItem("   ".join(bits))
            item.setData(SLOT_ROLE, (p["id"], display_name(p)))
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)

    def _on_current(self, item: QListWidgetItem | None) -> None:
        data = item.data(SLOT_ROLE) if item is not None else None
        self.chosen, self.chosen_name = data if data else (None, "")
        self.changed.emit()


BOOKED_STATES = ("booked", "arrived", "checked-in")


class BookDialog(QDialog):
    """Book one hour for a patient. Double booking is refused with the core's message."""

    booked = Signal(str)  # appointment id

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        *,
        start: datetime | None = None,
        patient: tuple[str, str] | None = None,  # (id, name): fixed, no search
        based_on: str | None = None,
        description: str = "",
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.based_on = based_on
        self.fixed_patient = patient
        self.setWindowTitle(self.tr("Book a slot"))
        self.setMinimumWidth(440)
        form = QFormLayout()
        self.errors = FormErrors(fallback="start")

        def field(key: str, label: str, widget: QWidget) -> None:
            form.addRow(label, self.errors.field(key, widget))

        self.picker: PatientPicker | None = None
        if patient is None:
            self.picker = PatientPicker(session)
            field("patient", self.tr("Patient"), self.picker)
        else:
            field("patient", self.tr("Patient"), QLabel(patient[1]))
        start = start or at_hour(date.today() + timedelta(days=1), 9)
        self.day = QDateEdit(qdate(start.date()))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setMinimumDate(QDate.currentDate())
        self.hour = QComboBox()
        for h in HOURS:
            self.hour.addItem(f"{h:02d}:00–{h + 1:02d}:00", h)
        self.hour.setCurrentIndex(max(0, self.hour.findData(start.hour)))
        when = QWidget()
        row = QHBoxLayout(when)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.day)
        row.addWidget(self.hour, 1)
        field("start", self.tr("Slot"), when)
        self.practitioner = QLineEdit(session.user)
        field("practitioner", self.tr("Doctor"), self.practitioner)
        self.description = QLineEdit(description)
        self.description.setPlaceholderText(self.tr("e.g. follow-up visit, video consult"))
        field("description", self.tr("Description"), self.description)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("Book"))
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def start(self) -> datetime:
        return at_hour(pydate(self.day.date()), int(self.hour.currentData()))

    @asyncSlot()
    async def on_save(self) -> None:
        await self.submit()

    async def submit(self) -> bool:
        """Book; True when saved (the dialog closes), False with the problem shown."""
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        result = await run_op(self, self._book(), disable=save)
        return bool(result)

    async def _book(self) -> bool:
        self.errors.clear()
        pid = self.fixed_patient[0] if self.fixed_patient else self.picker and self.picker.chosen
        if not pid:
            self.errors["patient"].show_message(self.tr("Find and choose the patient."))
            return False
        if not self.practitioner.text().strip():
            self.errors["practitioner"].show_message(self.tr("Say which doctor sees the patient."))
            return False
        start = self.start()
        if start + timedelta(hours=1) <= datetime.now().astimezone():
            self.errors["start"].show_message(self.tr("That slot is over; choose a later one."))
            return False
        book = partial(
            self.session.clinic.schedule.book,
            patient_id=pid,
            start=start,
            practitioner=self.practitioner.text().strip(),
            description=self.description.text().strip(),
            based_on=self.based_on,
        )
        appt = await self.errors.saving(self.session.write(book))
        if appt is None:  # refused: the message is under its field
            return False
        self.booked.emit(str(appt["id"]))
        self.accept()
        return True


class ScheduleScreen(QWidget):
    open_chart = Signal(str)  # patient id
    join_call = Signal(str, str, str)  # consult id, patient id, title

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.anchor = date.today()
        self.mode = "week"
        self.booked: list[desk.Booked] = []
        self.reminders: list[desk.Reminder] = []
        self.join_prompt: QWidget | None = None  # the note "join" showed last (not yet joinable)
        self.days: list[date] = []
        # One grid row per entry of an hour: an hour with two bookings on some day has two rows
        # (the hour of each row, in order; ``lanes`` says which entry of the hour it holds).
        self.hours: list[int] = list(HOURS)
        self.lanes: list[int] = [0] * len(HOURS)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.day_button = QPushButton()
        self.week_button = QPushButton()
        self.view_group = QButtonGroup(self)
        for n, b in enumerate((self.day_button, self.week_button)):
            b.setCheckable(True)
            self.view_group.addButton(b, n)
            bar.addWidget(b)
        self.week_button.setChecked(True)
        self.view_group.idClicked.connect(lambda n: self.set_mode("day" if n == 0 else "week"))
        self.prev_button = QPushButton("◀")
        self.today_button = QPushButton()
        self.next_button = QPushButton("▶")
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(lambda: self.go_to(date.today()))
        self.date_edit = QDateEdit(qdate(self.anchor))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.dateChanged.connect(lambda d: self.go_to(pydate(d)))
        for w in (self.prev_button, self.today_button, self.next_button, self.date_edit):
            bar.addWidget(w)
        self.range_label = QLabel()
        self.range_label.setStyleSheet("font-weight: 600; margin-left: 8px;")
        bar.addWidget(self.range_label, 1)
        self.book_button = QPushButton()
        self.book_button.clicked.connect(self.book_selected)
        bar.addWidget(self.book_button)
        self.join_button = QPushButton()
        self.join_button.clicked.connect(self.join_selected)
        bar.addWidget(self.join_button)
        layout.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.grid = QTableWidget()
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setCornerButtonEnabled(False)  # single selection: "select all" means nothing
        self.grid.setWordWrap(True)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.grid.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.grid.verticalHeader().setMinimumSectionSize(40)
        self.grid.cellDoubleClicked.connect(lambda r, c: self.book_at(r, c))
        self.grid.itemSelectionChanged.connect(self._update_buttons)
        split.addWidget(self.grid)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        self.reminders_title = QLabel()
        self.reminders_title.setStyleSheet("font-weight: 600;")
        side_layout.addWidget(self.reminders_title)
        self.reminder_table = QTableWidget(0, 4)
        self.reminder_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.reminder_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.reminder_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.reminder_table.verticalHeader().setVisible(False)
        self.reminder_table.setCornerButtonEnabled(False)
        head = self.reminder_table.horizontalHeader()
        for column in (0, 1, 3):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.reminder_table.setWordWrap(False)
        self.reminder_table.cellDoubleClicked.connect(self._open_reminder_chart)
        self.reminder_table.itemSelectionChanged.connect(self._update_buttons)
        side_layout.addWidget(self.reminder_table, 1)
        self.done_button = QPushButton()
        self.done_button.clicked.connect(self.mark_done)
        side_layout.addWidget(self.done_button)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([760, 400])
        layout.addWidget(split, 1)

        shortcut("Ctrl+B", self, self.book_selected)
        shortcut("Ctrl+D", self, self.mark_done)
        shortcut("Ctrl+J", self, self.join_selected)
        shortcut("Alt+Left", self, lambda: self.step(-1))
        shortcut("Alt+Right", self, lambda: self.step(1))
        shortcut("Ctrl+T", self, lambda: self.go_to(date.today()))
        self.reloader = Reloader(
            self, session, {"Appointment", "Task", "CarePlan", "Patient"}, self.load
        )
        self.retranslate()
        self._update_buttons()

    # ---- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.day_button.setText(self.tr("Day"))
        self.week_button.setText(self.tr("Week"))
        self.today_button.setText(self.tr("Today"))
        self.today_button.setToolTip(self.tr("Go to today (Ctrl+T)"))
        self.prev_button.setToolTip(self.tr("Previous (Alt+Left)"))
        self.next_button.setToolTip(self.tr("Next (Alt+Right)"))
        # The arrows are symbols only: a screen reader says what they do.
        self.prev_button.setAccessibleName(self.tr("Previous day or week"))
        self.next_button.setAccessibleName(self.tr("Next day or week"))
        self.grid.setAccessibleName(self.tr("Appointments by hour"))
        self.book_button.setText(self.tr("Book a slot…"))
        self.book_button.setToolTip(self.tr("Book the selected slot for a patient (Ctrl+B)"))
        self.join_button.setText(self.tr("Join video call"))
        self.join_button.setToolTip(
            self.tr("Join the live call of the selected consult appointment (Ctrl+J)")
        )
        self.reminders_title.setText(self.tr("Follow-ups due"))
        self.reminder_table.setHorizontalHeaderLabels(
            [self.tr("Due"), self.tr("Patient"), self.tr("Follow-up"), self.tr("State")]
        )
        self.done_button.setText(self.tr("Mark done"))
        self.done_button.setToolTip(self.tr("Mark the selected follow-up as done (Ctrl+D)"))
        self.redraw()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def status_label(self, status: str) -> str:
        return {
            "booked": self.tr("Booked"),
            "proposed": self.tr("Proposed"),
            "pending": self.tr("Pending"),
            "arrived": self.tr("Arrived"),
            "checked-in": self.tr("Checked in"),
            "fulfilled": self.tr("Seen"),
            "waitlist": self.tr("Waiting list"),
        }.get(status, status)

    # ---- navigation --------------------------------------------------------------------
    def visible_days(self) -> list[date]:
        if self.mode == "day":
            return [self.anchor]
        first = monday_of(self.anchor)
        return [first + timedelta(days=n) for n in range(7)]

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        (self.day_button if mode == "day" else self.week_button).setChecked(True)
        self.reloader.request()

    def step(self, direction: int) -> None:
        self.go_to(self.anchor + timedelta(days=direction * (1 if self.mode == "day" else 7)))

    def go_to(self, day: date) -> None:
        if day == self.anchor and self.days == self.visible_days():
            return
        self.anchor = day
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(qdate(day))
        self.date_edit.blockSignals(False)
        self.reloader.request()

    # ---- loading and drawing -----------------------------------------------------------
    async def load(self) -> None:
        days = self.visible_days()
        start = at_hour(days[0], 0)
        end = at_hour(days[-1] + timedelta(days=1), 0)
        clinic = self.session.clinic
        booked = await self.session.call(clinic.schedule.booked_with_names, start, end)
        reminders = await self.session.call(clinic.followups.due_with_names, date.today())
        self.days = days
        self.booked = booked
        self.reminders = reminders
        self.redraw()

    def redraw(self) -> None:
        days = self.days or self.visible_days()
        loc = QLocale()
        if len(days) == 1:
            self.range_label.setText(loc.toString(qdate(days[0]), "yyyy-MM-dd dddd"))
        else:
            self.range_label.setText(
                self.tr("Week of %1 to %2")
                .replace("%1", days[0].isoformat())
                .replace("%2", days[-1].isoformat())
            )
        now = datetime.now().astimezone()
        cells: dict[tuple[date, int], list[int]] = {}
        for n, b in enumerate(self.booked):
            cells.setdefault((b.start.date(), b.start.hour), []).append(n)
        hours = sorted(set(HOURS) | {b.start.hour for b in self.booked})
        depth = {h: max([len(v) for (d, hh), v in cells.items() if hh == h and d in days] or [1])
                 for h in hours}  # fmt: skip
        self.hours = [h for h in hours for _lane in range(depth[h])]
        self.lanes = [lane for h in hours for lane in range(depth[h])]
        self.grid.clear()
        self.grid.setRowCount(len(self.hours))
        self.grid.setColumnCount(len(days))
        today = date.today()
        for c, day in enumerate(days):
            head = QTableWidgetItem(loc.toString(qdate(day), "ddd MM-dd"))
            if day == today:
                font = QFont()
                font.setBold(True)
                head.setFont(font)
                head.setForeground(QBrush(QColor("#1a56b0")))
            self.grid.setHorizontalHeaderItem(c, head)
        for r, (hour, lane) in enumerate(zip(self.hours, self.lanes, strict=True)):
            self.grid.setVerticalHeaderItem(
                r, QTableWidgetItem(f"{hour:02d}:00" if not lane else "")
            )
        for c, day in enumerate(days):
            for r, (hour, lane) in enumerate(zip(self.hours, self.lanes, strict=True)):
                here = cells.get((day, hour), [])
                entry = here[lane] if lane < len(here) else None
                item = QTableWidgetItem()
                item.setData(SLOT_ROLE, (day.isoformat(), hour))
                if entry is not None:
                    b = self.booked[entry]
                    item.setText(self.entry_text(b))
                    item.setData(ENTRY_ROLE, entry)
                    status = str(b.appointment.get("status"))
                    item.setBackground(QBrush(QColor(STATUS_COLORS.get(status, "#eeeeee"))))
                    item.setToolTip(self.entry_tip(b))
                elif at_hour(day, hour) + timedelta(hours=1) <= now:
                    item.setBackground(QBrush(QColor("#f4f4f4")))
                self.grid.setItem(r, c, item)
        self._render_reminders()

    def entry_text(self, b: desk.Booked) -> str:
        return (
            self.tr("%1 · %2")
            .replace("%1", b.patient_name or self.tr("(unknown patient)"))
            .replace("%2", self.status_label(str(b.appointment.get("status"))))
        )

    def entry_tip(self, b: desk.Booked) -> str:
        return (
            self.tr("%1 %2 with %3: %4")
            .replace("%1", b.start.strftime("%H:%M"))
            .replace("%2", b.patient_name)
            .replace("%3", b.practitioner)
            .replace("%4", str(b.appointment.get("description", "")))
        )

    def _render_reminders(self) -> None:
        table = self.reminder_table
        table.setRowCount(len(self.reminders))
        today = date.today()
        for r, rem in enumerate(self.reminders):
            days = (rem.due - today).days if rem.due else 0
            if rem.state == "overdue":
                state = self.tr("Overdue by %n day(s)", "", -days)
                color = OVERDUE_COLOR
            elif days == 0:
                state, color = self.tr("Due today"), DUE_COLOR
            else:
                state, color = self.tr("Due in %n day(s)", "", days), DUE_COLOR
            values = [
                rem.due.isoformat() if rem.due else "",
                rem.patient_name,
                str(rem.task.get("description", "")),
                state,
            ]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                item.setBackground(QBrush(QColor(color)))
                item.setData(SLOT_ROLE, r)
                table.setItem(r, c, item)
        self._update_buttons()

    # ---- actions -----------------------------------------------------------------------
    def slot_entries(self, day: date, hour: int) -> list[str]:
        """The texts of the slot's entries, one cell each (for tests and accessibility)."""
        days = self.days or self.visible_days()
        if day not in days:
            return []
        column = days.index(day)
        items = [self.grid.item(r, column) for r, h in enumerate(self.hours) if h == hour]
        return [item.text() for item in items if item is not None and item.text()]

    def cell_text(self, day: date, hour: int) -> str:
        """What the grid shows in a slot, its entries one per line."""
        return "\n".join(self.slot_entries(day, hour))

    def selected_slot(self) -> datetime | None:
        item = self.grid.currentItem()
        if item is None:
            return None
        day, hour = item.data(SLOT_ROLE)
        return at_hour(date.fromisoformat(day), int(hour))

    def book_dialog(self, start: datetime | None = None) -> BookDialog:
        dialog = BookDialog(self.session, self, start=next_free_hour(start))
        dialog.booked.connect(lambda _id: self.reloader.request())
        return dialog

    def book_selected(self) -> None:
        self.book_dialog(self.selected_slot()).open()

    def book_at(self, row: int, column: int) -> None:
        item = self.grid.item(row, column)
        if item is None:
            return
        day, hour = item.data(SLOT_ROLE)
        self.book_dialog(at_hour(date.fromisoformat(day), int(hour))).open()

    def _selected_reminder(self) -> desk.Reminder | None:
        rows = self.reminder_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.reminders):
            return None
        return self.reminders[rows[0].row()]

    def _update_buttons(self) -> None:
        self.done_button.setEnabled(self._selected_reminder() is not None)
        self.join_button.setEnabled(bool(self.selected_call() or self.selected_consult()))

    def selected_call(self) -> desk.Booked | None:
        """The booked consult appointment in the selected slot (one with a live call)."""
        start = self.selected_slot()
        if start is None:
            return None
        item = self.grid.currentItem()
        entry = item.data(ENTRY_ROLE) if item is not None else None
        if isinstance(entry, int) and 0 <= entry < len(self.booked):  # the selected entry's own
            b = self.booked[entry]
            ok = b.consult_id and b.appointment.get("status") in BOOKED_STATES
            return b if ok else None
        for b in self.booked:
            if b.start == start and b.consult_id and b.appointment.get("status") in BOOKED_STATES:
                return b
        return None

    def selected_consult(self) -> desk.Booked | None:
        """The selected entry when it is a consult appointment, whatever its status."""
        item = self.grid.currentItem()
        entry = item.data(ENTRY_ROLE) if item is not None else None
        if isinstance(entry, int) and 0 <= entry < len(self.booked):
            return self.booked[entry] if self.booked[entry].consult_id else None
        return None

    def join_selected(self) -> None:
        """The selected entry's own call; a time only proposed says why not yet (call_launcher)."""
        from ui.call_launcher import join_booking

        b = self.selected_call() or self.selected_consult()
        if b is not None:
            self.join_prompt = join_booking(self, b, self.join_call.emit)

    def _open_reminder_chart(self, row: int, _column: int) -> None:
        if 0 <= row < len(self.reminders) and self.reminders[row].patient_id:
            self.open_chart.emit(str(self.reminders[row].patient_id))

    @asyncSlot()
    async def mark_done(self) -> None:
        rem = self._selected_reminder()
        if rem is None:
            return
        work = self.session.write(self.session.clinic.followups.complete, str(rem.task["id"]))
        await run_op(self, work, disable=self.done_button)  # the broadcast reloads the list

    def select_reminder(self, task_id: str) -> bool:
        for r, rem in enumerate(self.reminders):
            if rem.task.get("id") == task_id:
                self.reminder_table.selectRow(r)
                return True
        return False

    def current(self) -> dict[str, Any]:
        """A summary of what is shown (tests)."""
        return {"mode": self.mode, "days": self.days, "booked": len(self.booked)}
