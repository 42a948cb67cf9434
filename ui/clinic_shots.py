"""Screenshots of the clinic-side screens (called from ui.screenshots): the demo records they
need (the demo patient with the longest vitals history gets an X-ray image, an answered consult
and one waiting offline), and the states worth looking at: the chart, its attachments and the
image viewer, a visit form with an implausible value, and the consult wizard's pages."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_app import demo_data
from clinic_app.records.orders import kind_of

if TYPE_CHECKING:
    from clinic_app.clinic import Clinic
    from ui.main_window import Workspace

Shot = Callable[..., Awaitable[None]]
META_KEY = "screenshots.chart_patient"


def _xray_png(path: Path) -> None:
    """A synthetic chest X-ray-like picture (drawn shapes, not a real image)."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QRadialGradient

    image = QImage(800, 900, QImage.Format.Format_RGB32)
    image.fill(QColor("#0c0c0c"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    glow = QRadialGradient(QPointF(400, 470), 420)
    glow.setColorAt(0, QColor("#6a6a6a"))
    glow.setColorAt(1, QColor("#101010"))
    p.setBrush(glow)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(QRectF(60, 80, 680, 800))
    p.setBrush(QColor("#1d1d1d"))
    p.drawEllipse(QRectF(150, 200, 220, 520))  # lungs
    p.drawEllipse(QRectF(430, 200, 220, 520))
    p.setBrush(QColor("#9a9a9a"))
    p.drawRect(QRectF(385, 120, 30, 700))  # spine
    p.drawEllipse(QRectF(360, 470, 210, 230))  # heart
    p.setPen(QColor("#d0d0d0"))
    p.drawText(20, 30, "Demo chest X-ray (synthetic drawing)")
    p.end()
    image.save(str(path))


def prepare(clinic: Clinic) -> None:
    """Give the showcase patient an X-ray, a PDF, an answered consult and one waiting to go."""
    pid = demo_data.showcase_patient(clinic)
    clinic.profile.set_setting(META_KEY, pid)
    demo_data.add_showcase_problems(clinic, pid)
    demo_data.add_showcase_medications(clinic, pid)
    with tempfile.TemporaryDirectory(prefix="clinic-shots-") as tmp:
        xray = Path(tmp) / "Chest X-ray.png"
        _xray_png(xray)
        clinic.documents.attach_file(patient_id=pid, path=xray, kind="photo")
        pdf = Path(tmp) / "Discharge letter.pdf"
        pdf.write_bytes(b"%PDF-1.4\n% demo document\n%%EOF\n")
        clinic.documents.attach_file(patient_id=pid, path=pdf, kind="report")
    now = datetime.now().astimezone()
    view = clinic.patients.chart_view(pid)
    earlier = [r for r in view.chart.of("ServiceRequest") if kind_of(r) == "consult"]
    if earlier:
        answered = earlier[0]
    else:
        answered = clinic.consults.ask(
            patient_id=pid,
            specialty="cardiology",
            priority="routine",
            question="血压控制不佳，请协助调整降压方案。",
            requester="李建国医生",
            supporting=[("Encounter", view.visits[0]["id"])] if view.visits else [],
            now=now - timedelta(days=20),
        ).value.request
    clinic.consults.write_opinion(
        consult_id=answered["id"],
        author="张心内科主任",
        conclusion="氨氯地平加量至10mg每日一次，低盐饮食，两周后复查血压。",
    )
    start = (now + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    clinic.consults.ask(
        patient_id=pid,
        specialty="endocrinology",
        priority="urgent",
        question="空腹血糖近三个月波动在8–11 mmol/L，是否需要起始胰岛素治疗？",
        requester="李建国医生",
        slots=[start, start + timedelta(hours=4)],
        supporting=[("Encounter", view.visits[0]["id"])] if view.visits else [],
    )


async def render(ws: Workspace, shot: Shot, settle: Callable[..., Awaitable[None]]) -> None:
    from PySide6.QtWidgets import QComboBox, QPlainTextEdit

    from ui.chart_screen import ChartScreen

    pid = await ws.session.call(ws.session.clinic.profile.setting, META_KEY)
    if not pid:
        return
    loads: list[str] = []
    chart = ws.show_page("chart")
    assert isinstance(chart, ChartScreen)
    chart.loaded.connect(loads.append)
    ws.open_chart(pid)
    for _ in range(100):
        if loads:
            break
        await asyncio.sleep(0.1)
    await settle(0.8)
    await shot("30-chart")
    chart.tabs.setCurrentIndex(1)
    chart.attachments.setCurrentRow(
        next(
            n
            for n, d in enumerate(chart.view.attachments)  # type: ignore[union-attr]
            if str(d.get("content", [{}])[0]["attachment"]["contentType"]).startswith("image/")
        )
    )
    await shot("31-chart-attachments")
    await chart.view_selected()
    viewer: Any = getattr(chart, "image_viewer", None)
    if viewer is not None:
        viewer.resize(820, 640)
        await settle(0.3)
        viewer.view.fit()
        await shot("32-image-viewer", viewer)
        viewer.close()
    chart.tabs.setCurrentIndex(0)

    chart.new_visit()
    visit = chart.visit_dialog
    visit.resize(1000, 720)
    answers = visit.answers
    if "progress" in answers:
        progress, plan = answers["progress"], answers["plan"]
        assert isinstance(progress, QComboBox) and isinstance(plan, QPlainTextEdit)
        progress.setCurrentIndex(1)
        plan.setPlainText("继续氨氯地平，低盐饮食，两周后复查。")
    visit.vitals["systolic"].edit.setText("400")
    visit.vitals["diastolic"].edit.setText("96")
    visit.vitals["heart_rate"].edit.setText("88")
    visit.vitals["temperature"].edit.setText("38.6")
    visit.vitals["glucose"].edit.setText("9.8")
    visit.vitals["weight"].edit.setText("68.5")
    visit.validate()
    await shot("33-visit-invalid-value", visit)
    visit.done(0)  # discard without the "unsaved input" question

    chart.ask_specialist()
    wizard = chart.consult_wizard
    wizard.resize(860, 660)
    page = wizard.request_page
    page.specialty.setCurrentIndex(max(0, page.specialty.findData("cardiology")))
    page.priority.setCurrentIndex(max(0, page.priority.findData("urgent")))
    page.question.setPlainText(
        "近一月家庭自测血压多在160/100左右，已联用三种降压药，请协助调整方案。"
    )
    await shot("34-consult-question", wizard)
    wizard.next()
    await shot("35-consult-supporting", wizard)
    wizard.next()
    await shot("36-consult-slots", wizard)
    wizard.done(0)  # discard without the "unsaved input" question
    await settle(0.2)
    await registers_and_queries(ws, shot, settle)


async def registers_and_queries(
    ws: Workspace, shot: Shot, settle: Callable[..., Awaitable[None]]
) -> None:
    """The registers filtered to the overdue, and the issue's saved query with its results."""
    from ui.query_screen import QueryScreen
    from ui.registers_screen import FILTERS, RegistersScreen

    registers = ws.show_page("registers")
    assert isinstance(registers, RegistersScreen)
    for _ in range(100):
        if registers.summaries:
            break
        await asyncio.sleep(0.1)
    registers.filter.setCurrentIndex(FILTERS.index("overdue"))
    await shot("37-registers-overdue")
    registers.filter.setCurrentIndex(0)
    queries = ws.show_page("queries")
    assert isinstance(queries, QueryScreen)
    from ui.translations import installed_language

    chinese = installed_language() == "zh_CN"
    queries.name.setText("高血压：收缩压≥140且90天未随访" if chinese
                         else "Hypertension: SBP ≥ 140, no follow-up in 90 days")  # fmt: skip
    await queries.save()
    await queries.run()
    await settle(0.3)
    await shot("38-query-results")
