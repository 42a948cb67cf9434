"""Text size: chosen in settings (four steps), applied at once to every screen, open ones
included, and remembered for the next start; the stored value is checked like every other
preference."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from PySide6.QtCore import QSettings, QSize, QStandardPaths
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QWidget

from ui import preferences
from ui.chart_screen import ChartScreen
from ui.conflicts_screen import ConflictsScreen
from ui.consult_room import ConsultRoom
from ui.incoming_call import IncomingCallNotice
from ui.patients_screen import PatientsScreen
from ui.schedule_screen import ScheduleScreen
from ui.settings_screen import SettingsScreen
from ui.setup_screen import SetupScreen
from ui.sync_errors_screen import SyncErrorsScreen
from ui.text_size import FOCUS_STYLE, LARGE, SMALL, TITLE, apply_text_size
from ui.unlock_screen import UnlockScreen


@pytest.fixture
def settings_folder(tmp_path, qapp):
    """QSettings of this test only; the application's look restored afterwards."""
    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path / "settings"))
    font, sheet = qapp.font(), qapp.styleSheet()
    yield tmp_path / "settings"
    qapp.setFont(font)
    qapp.setStyleSheet(sheet)
    home = QStandardPaths.StandardLocation.GenericConfigLocation
    QSettings.setPath(fmt, scope, QStandardPaths.writableLocation(home))


def shown(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_text_size_applies_to_every_screen_and_is_remembered(qtbot, ui, qapp, settings_folder):
    base = apply_text_size(qapp, 0)
    screens = [
        shown(qtbot, PatientsScreen(ui.session)),
        shown(qtbot, ScheduleScreen(ui.session)),
        shown(qtbot, ChartScreen(ui.session)),
    ]
    settings = shown(qtbot, SettingsScreen(ui.session))
    assert settings.text_size.count() >= 3
    assert [settings.text_size.itemText(n) for n in range(4)] == [
        "Standard",
        "Large",
        "Larger",
        "Largest",
    ]
    sizes = []
    for step in (1, 2, 3):
        settings.text_size.setCurrentIndex(step)
        assert preferences.get(preferences.FONT_SIZE) == step
        size = qapp.font().pointSizeF()
        assert size == pytest.approx(base * preferences.FONT_SCALES[step], abs=0.1)
        for screen in [*screens, settings]:
            assert screen.font().pointSizeF() == pytest.approx(size), type(screen).__name__
        assert screens[0].search.font().pointSizeF() == pytest.approx(size)
        assert screens[1].grid.font().pointSizeF() == pytest.approx(size)
        sizes.append(size)
    assert sizes == sorted(sizes) and len(set(sizes)) == 3
    # The next start reads the stored step.
    qapp.setFont(qapp.font().__class__())
    assert apply_text_size(qapp) == pytest.approx(sizes[-1])
    assert FOCUS_STYLE in qapp.styleSheet()
    # A new settings screen shows the stored choice; back to standard.
    again = shown(qtbot, SettingsScreen(ui.session))
    assert again.text_size.currentIndex() == 3
    again.text_size.setCurrentIndex(0)
    assert qapp.font().pointSizeF() == pytest.approx(base)


def test_larger_and_smaller_labels_follow_the_text_size(qtbot, ui, qapp, settings_folder):
    """The chart's patient name and a field's error keep their factor of the chosen size
    (they used fixed pixel sizes in their own style sheets, which ignored the setting)."""
    base = apply_text_size(qapp, 0)
    chart = shown(qtbot, ChartScreen(ui.session))
    settings = shown(qtbot, SettingsScreen(ui.session))
    error = settings.restore.secret_error
    for step in (0, 3):
        settings.text_size.setCurrentIndex(step)
        size = base * preferences.FONT_SCALES[step]
        assert chart.name.font().pointSizeF() == pytest.approx(size * TITLE, abs=0.11)
        assert chart.name.font().bold()
        assert error.font().pointSizeF() == pytest.approx(size * SMALL, abs=0.11)
    assert chart.name.font().pointSizeF() > 1.4 * base * 1.0
    settings.text_size.setCurrentIndex(0)
    assert chart.name.font().pointSizeF() == pytest.approx(base * TITLE, abs=0.11)


def test_a_wrong_stored_text_size_falls_back_to_standard(settings_folder):
    preferences.settings().setValue(preferences.FONT_SIZE.key, 9)
    assert preferences.get(preferences.FONT_SIZE) == 0
    assert preferences.font_scale() == 1.0
    preferences.settings().setValue(preferences.FONT_SIZE.key, "large")
    assert preferences.font_scale() == 1.0


def clipped_labels(screen: QWidget) -> list[str]:
    """The visible labels of a laid-out screen whose text does not fit their geometry."""
    bad = []
    for label in screen.findChildren(QLabel):
        if not label.isVisibleTo(screen) or not label.text():
            continue
        if label.wordWrap():
            need = QSize(label.width(), label.heightForWidth(label.width()))
            fits = need.height() <= label.height() + 1
        else:
            need = label.sizeHint()
            fits = need.width() <= label.width() + 1 and need.height() <= label.height() + 1
        if not fits:
            bad.append(
                f"{label.text()[:40]!r}: needs {need.toTuple()}, has {label.size().toTuple()}"
            )
    return bad


def test_titles_follow_the_largest_text_size_and_nothing_is_clipped(
    qtbot, ui, qapp, settings_folder, tmp_path
):
    """Titles that had fixed pixel sizes in their own style sheets (sign-in, set-up, conflicts,
    sync errors, consult room, incoming call) now follow the setting; at the largest step every
    visible label's text fits its place in the laid-out screen."""
    base = apply_text_size(qapp, 0)
    pool = ThreadPoolExecutor(1)
    unlock = UnlockScreen(tmp_path / "p", pool)
    setup = SetupScreen(tmp_path / "new", pool)
    conflicts = ConflictsScreen(ui.session)
    errors = SyncErrorsScreen(ui.session)
    room = ConsultRoom(ui.session, "some-consult", title="王小明 — 心内科会诊")
    notice = IncomingCallNotice("王小明")
    titles = [
        (unlock.title, TITLE), (conflicts.title, LARGE), (errors.title, LARGE),
        (room.title, LARGE), (notice.heading, LARGE),
    ]  # fmt: skip
    screens = [unlock, setup, conflicts, errors, room, notice]
    try:
        for screen in screens:
            qtbot.addWidget(screen)
            screen.resize(1024, 700) if screen is not notice else None
            screen.show()
        for step in (0, 3):
            apply_text_size(qapp, step)
            size = base * preferences.FONT_SCALES[step]
            for label, factor in titles:
                assert label.font().pointSizeF() == pytest.approx(size * factor, abs=0.11)
                assert label.font().weight() >= QFont.Weight.DemiBold
            assert room.timer_label.font().pointSizeF() > size
            assert room.timer_label.font().fixedPitch() or room.timer_label.font().styleHint() == (
                QFont.StyleHint.Monospace
            )
            for screen in screens:
                screen.adjustSize() if screen is notice else None
                qapp.processEvents()
                assert clipped_labels(screen) == [], type(screen).__name__
        # The check bites: a title squeezed into less room than its text needs is reported.
        unlock.title.setFixedWidth(unlock.title.sizeHint().width() // 2)
        unlock.title.setWordWrap(False)
        qapp.processEvents()
        assert [line for line in clipped_labels(unlock) if "Clinic workstation" in line]
    finally:
        for screen in screens:
            screen.close()
        pool.shutdown(wait=False)
