"""Screenshots of the desk-side screens (called from ui.screenshots): demo records they need
(a stat consult sent with a visit, vitals and an ECG image; an overdue follow-up; an accepted
consult; two sync conflicts), and the states worth looking at (week and day, a refused double
booking, a case, the decision and opinion forms, a document, both kinds of conflict, settings).
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_app import demo_data
from clinic_app.records.common import patient_of

if TYPE_CHECKING:
    from clinic_app.clinic import Clinic
    from ui.main_window import Workspace

Shot = Callable[..., Awaitable[None]]
STAT_QUESTION = (
    "胸痛2小时，心电图见 V1–V4 导联 ST 段抬高，血压 165/100。请会诊：是否立即转诊行急诊 PCI？"
)


def _ecg_png(path: Path) -> None:
    """A synthetic ECG strip (drawn, not a real tracing) for the demo document."""
    import math

    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QPen

    image = QImage(900, 260, QImage.Format.Format_RGB32)
    image.fill(QColor("#fff8f6"))
    p = QPainter(image)
    p.setPen(QPen(QColor("#f3c7c0"), 1))
    for x in range(0, 900, 10):
        p.drawLine(x, 0, x, 260)
    for row in range(0, 260, 10):
        p.drawLine(0, row, 900, row)
    p.setPen(QPen(QColor("#202020"), 2, Qt.PenStyle.SolidLine))
    points = []
    for x in range(900):
        t = (x % 150) / 150
        y = 140.0 - 8 * math.sin(2 * math.pi * t)
        if 0.30 < t < 0.33:
            y -= 90 * math.sin((t - 0.30) / 0.03 * math.pi)
        if 0.36 < t < 0.5:  # ST elevation
            y -= 25
        points.append(QPointF(x, y))
    p.drawPolyline(points)
    p.setPen(QColor("#202020"))
    p.drawText(10, 20, "Demo ECG, lead V2 (synthetic)")
    p.end()
    image.save(str(path))


def next_free_hour(now: datetime) -> datetime:
    """The start of the first whole hour at least 30 minutes after ``now``: a booking the
    screenshots make is never in the past, whatever the hour (23:30 books 01:00 tomorrow)."""
    start = (now + timedelta(minutes=30)).replace(minute=0, second=0, microsecond=0)
    return start + timedelta(hours=1)


def prepare(clinic: Clinic) -> None:
    """Add what the desk-side screenshots show to a freshly generated demo profile."""
    today = date.today()
    now = datetime.now().astimezone()
    encounter, linked = demo_data.first_visit(clinic)
    pid = str(patient_of(encounter))
    with tempfile.TemporaryDirectory(prefix="clinic-demo-") as tmp:
        ecg = Path(tmp) / "ecg-v2.png"
        _ecg_png(ecg)
        doc = clinic.documents.attach_file(patient_id=pid, path=ecg, title="ECG V2", kind="ecg")
    supporting = [("Encounter", encounter["id"])]
    supporting += [(r["resourceType"], r["id"]) for r in linked]
    supporting.append(("DocumentReference", doc.value["id"]))
    clinic.consults.request(
        patient_id=pid,
        specialty="cardiology",
        priority="stat",
        question=STAT_QUESTION,
        requester="李建国医生",
        supporting=supporting,
    )
    routine = [i for i in clinic.consults.worklist() if i.priority == "routine"]
    if routine:
        clinic.consults.decide(
            consult_id=routine[0].consult_id,
            accept=True,
            reason="可以视频会诊，请准备近期血压记录。",
            owner="专家门诊",
        )
    clinic.schedule.book(
        patient_id=pid,
        start=next_free_hour(now),
        practitioner="专家门诊",
        description="远程会诊",
    )
    demo_data.add_follow_up(
        clinic,
        patient_id=pid,
        due=today - timedelta(days=4),
        description="血压复查",
        author="李建国医生",
        created=now - timedelta(days=30),
    )
    demo_data.add_demo_conflicts(clinic)


async def render(ws: Workspace, shot: Shot, settle: Callable[..., Awaitable[None]]) -> None:
    """Shots of the desk-side screens in their interesting states (changes nothing)."""
    from PySide6.QtWidgets import QPlainTextEdit

    from ui.conflicts_screen import ConflictsScreen
    from ui.desk_screen import DeskScreen
    from ui.schedule_screen import ScheduleScreen, at_hour

    window: Any = ws.window()
    sch = ws.show_page("schedule")
    assert isinstance(sch, ScheduleScreen)
    sch.set_mode("week")
    sch.go_to(date.today())
    await sch.reloader.now()
    await shot("20-schedule-week")
    sch.set_mode("day")
    await sch.reloader.now()
    await shot("21-schedule-day")
    now = datetime.now().astimezone()
    coming = await ws.session.call(
        ws.session.clinic.schedule.booked_with_names, now, now + timedelta(days=14)
    )
    taken = next((b for b in coming if b.practitioner), None)
    start = taken.start if taken else at_hour(date.today() + timedelta(days=1), 10)
    dialog = sch.book_dialog(start)
    dialog.resize(520, 420)
    dialog.show()
    if dialog.picker is not None:
        dialog.picker.search.setText(taken.patient_name[:1] if taken else "王")
        await settle(0.8)
    dialog.practitioner.setText(taken.practitioner if taken else "专家门诊")
    dialog.description.setText("复诊")
    await dialog.submit()
    await shot("22-schedule-double-booking", dialog)
    dialog.close()
    sch.set_mode("week")

    dsk = ws.show_page("desk")
    assert isinstance(dsk, DeskScreen)
    await dsk.reloader.now()
    dsk.table.selectRow(0)
    await settle(0.6)
    await shot("23-desk-case")
    if dsk.case is not None:
        decline = dsk.decision_dialog(False)
        decline.show()
        reason = decline.widgets["reason"]
        assert isinstance(reason, QPlainTextEdit)
        reason.setPlainText("患者需急诊处理，请立即转诊至上级医院胸痛中心，不宜等待远程会诊。")
        await shot("24-desk-decline", decline)
        decline.close()
        opinion = dsk.opinion_dialog()
        opinion.resize(560, 420)
        opinion.show()
        await shot("25-desk-opinion", opinion)
        opinion.close()
        doc = next(
            (s.resource for s in dsk.case.supporting if s.rtype == "DocumentReference"), None
        )
        if doc is not None:
            from ui.desk_screen import DocumentDialog

            viewer = DocumentDialog(ws.session, doc, window)
            viewer.resize(960, 420)
            viewer.show()
            await viewer.load()
            await shot("26-desk-document", viewer)
            viewer.close()

    con = ws.show_page("conflicts")
    assert isinstance(con, ConflictsScreen)
    await con.reloader.now()
    con.list.setCurrentRow(0)
    if con.current is not None and con.current.fields:
        con.choose(con.current.fields[0], "remote")
    await shot("27-conflicts-fields")
    if con.list.count() > 1:
        con.list.setCurrentRow(1)
        await shot("28-conflicts-deletion")

    ws.show_page("settings")
    await shot("29-settings")
