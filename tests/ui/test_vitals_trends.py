"""The vitals trend plots with real pyqtgraph widgets: a vital with no readings says "No
readings" with no made-up axis values; one or few readings get a readable span with dated
ticks (not bare days of the month); the blood pressure legend goes on its own line where the
plot is too narrow for one (the desk's case view), and titles follow the text size."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from PySide6.QtCore import QSettings, QStandardPaths

from clinic_app.services.chart_view import VitalSeries
from ui.text_size import apply_text_size
from ui.vitals_trends import TrendPlots


@pytest.fixture
def look(qapp, tmp_path):
    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path / "settings"))
    font, sheet = qapp.font(), qapp.styleSheet()
    yield
    qapp.setFont(font)
    qapp.setStyleSheet(sheet)
    home = QStandardPaths.StandardLocation.GenericConfigLocation
    QSettings.setPath(fmt, scope, QStandardPaths.writableLocation(home))


def trends(times: list[float]) -> dict[str, VitalSeries]:
    def series(key: str, unit: str, values: list[float]) -> VitalSeries:
        return VitalSeries(key, unit, list(times), values, [None] * len(values),
                           total=len(values))  # fmt: skip

    return {
        "systolic": series("systolic", "mm[Hg]", [150.0] * len(times)),
        "diastolic": series("diastolic", "mm[Hg]", [92.0] * len(times)),
        "heart_rate": series("heart_rate", "/min", [80.0] * len(times)),
        "glucose": VitalSeries("glucose", "mmol/L"),  # never measured
        "weight": series("weight", "kg", [61.5] * len(times)),
    }


def bottom_labels(plots: TrendPlots, key: str) -> list[str]:
    plot = plots.plots[key]
    low, high = plot.viewRange()[0]
    axis = plot.getAxis("bottom")
    width = axis.geometry().width()
    levels = axis.tickValues(low, high, width)
    return [t for _spacing, values in levels for t in axis.tickStrings(values, 1.0, _spacing)]


def test_no_readings_few_readings_and_a_narrow_plot(qtbot, qapp, look):
    apply_text_size(qapp, 0)
    plots = TrendPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 700)
    plots.show()
    one = datetime(2024, 3, 20, 9, 30).timestamp()
    plots.show_trends(trends([one, one + 3 * 3600]))  # two readings on one morning
    qapp.processEvents()
    glucose = plots.plots["glucose"]
    assert plots.empty["glucose"].isVisible() and plots.empty["glucose"].toPlainText() == (
        "No readings"
    )
    assert not glucose.getAxis("left").style["showValues"]  # no axis of made-up values
    assert not glucose.listDataItems()
    assert not plots.empty["weight"].isVisible()
    assert plots.plots["weight"].getAxis("left").style["showValues"]
    low, high = plots.plots["blood_pressure"].viewRange()[0]
    assert high - low >= 5 * 86400  # a week around one morning, not a cramped hour
    labels = bottom_labels(plots, "weight")
    assert labels and all(re.fullmatch(r"\d\d-\d\d", t) for t in labels), labels
    assert "03-20" in labels
    assert not plots.bp_wrapped  # wide enough: the legend on the title's line

    plots.resize(330, 700)  # the desk's case view is this narrow
    qapp.processEvents()
    assert plots.bp_wrapped
    assert "<br>" in plots.plots["blood_pressure"].titleLabel.text
    # Readings again: "No readings" goes, the axis values come back.
    full = trends([one, one + 86400])
    full["glucose"] = VitalSeries("glucose", "mmol/L", [one], [6.1], [None], total=1)
    plots.show_trends(full)
    assert not plots.empty["glucose"].isVisible()
    assert glucose.getAxis("left").style["showValues"] and glucose.listDataItems()


def test_titles_follow_the_text_size(qtbot, qapp, look):
    base = apply_text_size(qapp, 0)
    plots = TrendPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 700)
    plots.show()
    plots.show_trends(trends([datetime(2023, 1, 1).timestamp(), datetime(2024, 6, 1).timestamp()]))
    small = plots.plots["heart_rate"].titleLabel.opts["size"]
    assert small == f"{base * 0.9:.1f}pt"
    large = apply_text_size(qapp, 3)
    plots.show_trends(trends([datetime(2023, 1, 1).timestamp(), datetime(2024, 6, 1).timestamp()]))
    assert plots.plots["heart_rate"].titleLabel.opts["size"] == f"{large * 0.9:.1f}pt"
    labels = bottom_labels(plots, "weight")
    assert labels and all(re.fullmatch(r"\d{4}(-\d\d)?", t) for t in labels), labels
