"""Vitals trends in the chart: blood pressure, heart rate, glucose and weight over time in
linked pyqtgraph plots, with reference ranges shaded, abnormal readings in red and a time axis
that labels months across years of readings. The series arrive thinned by the core
(:class:`~clinic_app.services.chart_view.VitalSeries`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from clinic_app.services.chart_view import VitalSeries
from ui.clinical_text import ABNORMAL, FLAG_COLOUR

# ------------------------------------------------------------------------ trends --
SYSTOLIC_COLOUR = "#1f5fa8"
DIASTOLIC_COLOUR = "#00897b"
LINE_COLOUR = "#37474f"
DOTS_UP_TO = 120  # readings are marked with dots while they are few enough to tell apart


class MonthAxis(pg.DateAxisItem):
    """Dates on the time axis as ``yyyy-mm`` every 1, 2, 3, 6 or 12 months (whatever fits), so
    years of readings in a narrow plot still show where each season is; spans of a few weeks
    fall back to pyqtgraph's own day and hour ticks."""

    LABEL_PX = 56
    STEPS = (1, 2, 3, 6, 12, 24, 60)

    def __init__(self) -> None:
        super().__init__(orientation="bottom")
        self._months = 0

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[Any]:
        span_months = (maxVal - minVal) / (30.44 * 86400)
        if span_months < 3 or size <= 0:
            self._months = 0
            return super().tickValues(minVal, maxVal, size)
        fit = max(1, int(size // self.LABEL_PX))
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
        if not self._months:
            return super().tickStrings(values, scale, spacing)
        form = "%Y" if self._months % 12 == 0 else "%Y-%m"
        return [datetime.fromtimestamp(v).strftime(form) for v in values]


class TrendPlots(QWidget):
    """Blood pressure, heart rate, glucose and weight over time, x axes linked; reference
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
        self.readings_shown = 0

    def showEvent(self, event: QShowEvent) -> None:
        self.build()
        super().showEvent(event)

    def build(self) -> None:
        """Make the plots (~50 ms of pyqtgraph set-up) when the chart is first shown, not while
        the workspace is built at sign-in, where it held the event loop past 100 ms."""
        if self.plots:
            return
        bp_title = (
            self.tr("Blood pressure (mmHg): %1 systolic, %2 diastolic")
            .replace("%1", f"<span style='color:{SYSTOLIC_COLOUR}'>━━</span>")
            .replace("%2", f"<span style='color:{DIASTOLIC_COLOUR}'>━━</span>")
        )
        titles = {
            "blood_pressure": bp_title,
            "heart_rate": self.tr("Heart rate (/min)"),
            "glucose": self.tr("Glucose (mmol/L)"),
            "weight": self.tr("Weight (kg)"),
        }
        first: pg.PlotItem | None = None
        for n, (key, title) in enumerate(titles.items()):
            plot = self.graphics.addPlot(row=n, col=0, axisItems={"bottom": MonthAxis()})
            plot.setTitle(title, color="#202020", size="9pt")
            plot.setMenuEnabled(False)
            plot.getViewBox().setMouseEnabled(x=True, y=False)
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen("#303030")
                plot.getAxis(axis).setPen("#909090")
            plot.getAxis("left").setWidth(42)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[key] = plot

    def clear(self) -> None:
        for plot in self.plots.values():
            plot.clear()
        self.note.setText("")

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

    def _fit_y(self, plot: pg.PlotItem, series: list[VitalSeries]) -> None:
        values = [v for s in series for v in s.values]
        bounds = [b for s in series if s.values for b in (s.low, s.high) if b is not None]
        if not values:
            text = pg.TextItem(self.tr("No readings"), color="#909090", anchor=(0.5, 0.5))
            plot.addItem(text)
            text.setPos(0, 0)
            plot.setYRange(-1, 1)
            return
        low, high = min(values + bounds), max(values + bounds)
        pad = max((high - low) * 0.08, 1.0)
        plot.setYRange(low - pad, high + pad, padding=0)

    def show_trends(self, trends: dict[str, VitalSeries]) -> None:
        self.build()
        self.clear()
        bp = self.plots["blood_pressure"]
        sys_, dia = trends["systolic"], trends["diastolic"]
        self._band(bp, sys_, SYSTOLIC_COLOUR)
        self._band(bp, dia, DIASTOLIC_COLOUR)
        self._series(bp, sys_, SYSTOLIC_COLOUR)
        self._series(bp, dia, DIASTOLIC_COLOUR)
        self._fit_y(bp, [sys_, dia])
        for key, name in (
            ("heart_rate", "heart_rate"),
            ("glucose", "glucose"),
            ("weight", "weight"),
        ):
            self._band(self.plots[key], trends[name], LINE_COLOUR)
            self._series(self.plots[key], trends[name], LINE_COLOUR)
            self._fit_y(self.plots[key], [trends[name]])
        all_series = [
            trends[k] for k in ("systolic", "diastolic", "heart_rate", "glucose", "weight")
        ]
        times = [t for s in all_series for t in (s.times[:1] + s.times[-1:])]
        if times:
            span = max(times) - min(times)
            pad = max(span * 0.03, 86400.0)
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
