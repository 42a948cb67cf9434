"""Vitals trends in the chart: blood pressure, heart rate, glucose, HbA1c and weight over time in
linked pyqtgraph plots, with reference ranges shaded, abnormal readings in red and a time axis
that labels months across years of readings. The series arrive thinned by the core
(:class:`~clinic_app.services.chart_view.VitalSeries`)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QFontMetrics, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from clinic_app.services.chart_view import VitalSeries
from ui.clinical_text import ABNORMAL, FLAG_COLOUR

# ------------------------------------------------------------------------ trends --
SYSTOLIC_COLOUR = "#1f5fa8"
DIASTOLIC_COLOUR = "#00897b"
LINE_COLOUR = "#37474f"
DOTS_UP_TO = 120  # readings are marked with dots while they are few enough to tell apart


class MonthAxis(pg.DateAxisItem):
    """Dates on the time axis as ``yyyy-mm`` every 1, 2, 3, 6 or 12 months (whatever fits), so
    years of readings in a narrow plot still show where each season is; spans of under three
    months as ``mm-dd`` dates every 1, 2, 7 or 14 days (pyqtgraph's own ticks there read "20,
    21": days of the month with nothing to say which); within a day pyqtgraph's hours."""

    LABEL_PX = 56
    STEPS = (1, 2, 3, 6, 12, 24, 60)
    DAY_STEPS = (1, 2, 7, 14, 28)

    def __init__(self) -> None:
        super().__init__(orientation="bottom")
        self._months = 0
        self._days = 0

    def _label_px(self) -> int:
        return max(self.LABEL_PX, QFontMetrics(self.font()).horizontalAdvance("0000-00") + 16)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[Any]:
        span_months = (maxVal - minVal) / (30.44 * 86400)
        self._months = self._days = 0
        if size <= 0:
            return super().tickValues(minVal, maxVal, size)
        fit = max(1, int(size // self._label_px()))
        if span_months < 3:
            span_days = (maxVal - minVal) / 86400
            if span_days < 1.5:
                return super().tickValues(minVal, maxVal, size)
            days = next((d for d in self.DAY_STEPS if span_days / d <= fit), self.DAY_STEPS[-1])
            self._days = days
            first = datetime.fromtimestamp(minVal).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)  # fmt: skip
            day_ticks = []
            moment = first
            while moment.timestamp() <= maxVal:
                if moment.timestamp() >= minVal:
                    day_ticks.append(moment.timestamp())
                moment += timedelta(days=days)
            return [(days * 86400.0, day_ticks)]
        step = next((m for m in self.STEPS if span_months / m <= fit), self.STEPS[-1])
        self._months = step
        start = datetime.fromtimestamp(minVal)
        index = start.year * 12 + start.month - 1
        index += -index % step
        ticks = []
        while True:
            moment = datetime(index // 12, index % 12 + 1, 1)
            value = moment.timestamp()
            if value > maxVal:
                break
            if value >= minVal:
                ticks.append(value)
            index += step
        return [(step * 30.44 * 86400, ticks)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self._days:
            return [datetime.fromtimestamp(v).strftime("%m-%d") for v in values]
        if not self._months:
            return super().tickStrings(values, scale, spacing)
        form = "%Y" if self._months % 12 == 0 else "%Y-%m"
        return [datetime.fromtimestamp(v).strftime(form) for v in values]


class TrendPlots(QWidget):
    """Blood pressure, heart rate, glucose, HbA1c and weight over time, x axes linked; reference
    ranges shaded; abnormal readings (H/L/HH/LL) in red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.graphics.setAcceptDrops(False)
        self.graphics.viewport().setAcceptDrops(False)
        layout.addWidget(self.graphics, 1)
        self.note = QLabel()
        self.note.setStyleSheet("color: #6b6b6b;")
        layout.addWidget(self.note)
        self.plots: dict[str, pg.PlotItem] = {}
        self.titles: dict[str, str] = {}
        self.bp_wrapped = False  # the blood pressure legend on a line of its own (narrow plots)
        self.empty: dict[str, pg.TextItem] = {}  # "No readings" over a vital's empty plot
        self._applied: tuple[float, bool] | None = None  # (font size, legend wrapped) in use
        self.readings_shown = 0

    def showEvent(self, event: QShowEvent) -> None:
        self.build()
        super().showEvent(event)

    def build(self) -> None:
        """Make the plots (~50 ms of pyqtgraph set-up) when the chart is first shown, not while
        the workspace is built at sign-in, where it held the event loop past 100 ms."""
        if self.plots:
            return
        self.titles = {
            "blood_pressure": self._bp_title(wrapped=False),
            "heart_rate": self.tr("Heart rate (/min)"),
            "glucose": self.tr("Glucose (mmol/L)"),
            "hba1c": self.tr("HbA1c (%)"),
            "weight": self.tr("Weight (kg)"),
        }
        first: pg.PlotItem | None = None
        for n, key in enumerate(self.titles):
            plot = self.graphics.addPlot(row=n, col=0, axisItems={"bottom": MonthAxis()})
            plot.setMenuEnabled(False)
            plot.getViewBox().setMouseEnabled(x=True, y=False)
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen("#303030")
                plot.getAxis(axis).setPen("#909090")
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[key] = plot
            empty = pg.TextItem(self.tr("No readings"), color="#707070", anchor=(0.5, 0.5))
            empty.setParentItem(plot.getViewBox())  # in the view's pixels: centred however
            empty.hide()  # the time axis is panned
            plot.getViewBox().sigResized.connect(lambda vb, item=empty: self._centre(vb, item))
            self.empty[key] = empty
        self.apply_fonts()

    def _bp_title(self, *, wrapped: bool) -> str:
        legend = (
            self.tr("%1 systolic, %2 diastolic")
            .replace("%1", f"<span style='color:{SYSTOLIC_COLOUR}'>━━</span>")
            .replace("%2", f"<span style='color:{DIASTOLIC_COLOUR}'>━━</span>")
        )
        name = self.tr("Blood pressure (mmHg)")
        return f"{name}<br>{legend}" if wrapped else f"{name}: {legend}"

    @staticmethod
    def _centre(view: pg.ViewBox, item: pg.TextItem) -> None:
        item.setPos(view.rect().center())

    def apply_fonts(self) -> None:
        """Titles and ticks in the application's font (they follow the text size setting);
        the blood pressure legend goes on a line of its own where one line would be cut."""
        font = QFont(QApplication.font())
        size = font.pointSizeF()
        width = self.graphics.width() - 70
        one_line = re.sub(r"<[^>]+>", "", self._bp_title(wrapped=False))
        plain = QFontMetrics(font).horizontalAdvance(one_line)
        wrapped = plain > width
        if (size, wrapped) == self._applied:
            return  # nothing to change: no relayout of the plots (resizes come often)
        self._applied = (size, wrapped)
        self.bp_wrapped = wrapped
        self.titles["blood_pressure"] = self._bp_title(wrapped=self.bp_wrapped)
        tick_font = QFont(font)
        tick_font.setPointSizeF(round(size * 0.9, 1))
        left = QFontMetrics(tick_font).horizontalAdvance("0000") + 14
        last = list(self.plots)[-1]
        for key, plot in self.plots.items():
            plot.setTitle(self.titles[key], color="#202020", size=f"{size * 0.9:.1f}pt")
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setStyle(tickFont=tick_font)
            plot.getAxis("left").setWidth(left)
            # The time axes are linked: dates under the lowest plot only, room for the others.
            dated = key == last
            plot.getAxis("bottom").setStyle(showValues=dated)
            plot.getAxis("bottom").setHeight(QFontMetrics(tick_font).height() + 10 if dated else 4)
            self.empty[key].setFont(font)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.plots:
            self.apply_fonts()

    def clear(self) -> None:
        for key, plot in self.plots.items():
            plot.clear()
            self._set_empty(key, False)
        self.note.setText("")

    def _set_empty(self, key: str, empty: bool) -> None:
        """A vital with no readings says so, with no axis of made-up values."""
        plot = self.plots[key]
        plot.getAxis("left").setStyle(showValues=not empty)
        plot.getAxis("left").setTicks([[]] if empty else None)
        self.empty[key].setVisible(empty)
        if empty:
            self._centre(plot.getViewBox(), self.empty[key])

    def _band(self, plot: pg.PlotItem, s: VitalSeries, colour: str) -> None:
        if s.low is None or s.high is None or not s.values:
            return
        tint = QColor(colour)
        tint.setAlpha(38)
        band = pg.LinearRegionItem(
            values=(s.low, s.high),
            orientation="horizontal",
            movable=False,
            brush=pg.mkBrush(tint),
            pen=pg.mkPen(None),
        )
        band.setZValue(-10)
        plot.addItem(band, ignoreBounds=True)

    def _series(self, plot: pg.PlotItem, s: VitalSeries, colour: str) -> None:
        if not s.values:
            return
        dots = {"symbol": "o", "symbolSize": 5, "symbolBrush": colour, "symbolPen": None}
        plot.plot(
            s.times,
            s.values,
            pen=pg.mkPen(colour, width=1.5),
            **(dots if len(s.values) <= DOTS_UP_TO else {}),
        )
        bad = [n for n, f in enumerate(s.flags) if f in ABNORMAL]
        if bad:
            plot.addItem(
                pg.ScatterPlotItem(
                    [s.times[n] for n in bad],
                    [s.values[n] for n in bad],
                    size=8,
                    brush=pg.mkBrush(FLAG_COLOUR),
                    pen=pg.mkPen("w", width=0.8),
                )
            )

    def _fit_y(self, key: str, series: list[VitalSeries]) -> None:
        plot = self.plots[key]
        values = [v for s in series for v in s.values]
        bounds = [b for s in series if s.values for b in (s.low, s.high) if b is not None]
        if not values:
            self._set_empty(key, True)
            return
        low, high = min(values + bounds), max(values + bounds)
        pad = max((high - low) * 0.08, 1.0)
        plot.setYRange(low - pad, high + pad, padding=0)

    def show_trends(self, trends: dict[str, VitalSeries]) -> None:
        self.build()
        self.clear()
        self.apply_fonts()
        bp = self.plots["blood_pressure"]
        sys_, dia = trends["systolic"], trends["diastolic"]
        self._band(bp, sys_, SYSTOLIC_COLOUR)
        self._band(bp, dia, DIASTOLIC_COLOUR)
        self._series(bp, sys_, SYSTOLIC_COLOUR)
        self._series(bp, dia, DIASTOLIC_COLOUR)
        self._fit_y("blood_pressure", [sys_, dia])
        trends = {"hba1c": VitalSeries("hba1c", "%")} | trends  # a core without HbA1c
        for key in ("heart_rate", "glucose", "hba1c", "weight"):
            self._band(self.plots[key], trends[key], LINE_COLOUR)
            self._series(self.plots[key], trends[key], LINE_COLOUR)
            self._fit_y(key, [trends[key]])
        all_series = [
            trends[k] for k in ("systolic", "diastolic", "heart_rate", "glucose", "hba1c", "weight")
        ]
        times = [t for s in all_series for t in (s.times[:1] + s.times[-1:])]
        if times:
            span = max(times) - min(times)
            pad = max(span * 0.04, 3 * 86400.0)  # one or few readings: a week around them
            self.plots["blood_pressure"].setXRange(min(times) - pad, max(times) + pad, padding=0)
        total = sum(s.total for s in all_series)
        shown = sum(len(s.values) for s in all_series)
        self.readings_shown = shown
        if total > shown:
            self.note.setText(
                self.tr("%1 readings; the highest and lowest of each period are plotted.").replace(
                    "%1", str(total)
                )
            )
        elif total:
            self.note.setText(self.tr("%1 readings.").replace("%1", str(total)))
        else:
            self.note.setText(self.tr("No vitals recorded yet."))
