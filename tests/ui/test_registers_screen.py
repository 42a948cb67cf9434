"""The registers screen with real widgets over a real encrypted demo profile: both registers
listed with the overdue, due and uncontrolled patients and twelve months of rates; "Overdue"
with the uncontrolled hypertension patients agrees with the issue's query worked out from the
raw records; the export writes Excel; a double click opens the patient's chart."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook

from clinic_app import demo_data
from tests.support.registers_expect import all_records, expected_ids
from ui.registers_screen import FILTERS, RegistersScreen


def test_registers_listed_filtered_exported(ui, qtbot, tmp_path):
    clinic = ui.session.clinic
    ui.call(demo_data.generate, clinic, 40)
    want = ui.call(lambda: expected_ids(all_records(ui.store), date.today()))
    screen = RegistersScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1200, 760)
    screen.show()
    ui.until(lambda: len(screen.summaries) == 2, what="the registers")
    hypertension = screen.summaries[0]
    assert screen.table.rowCount() == len(hypertension.entries) > 0
    assert screen.summary.text().startswith(f"{len(hypertension.entries)} patients · "
                                            f"{len(hypertension.overdue)} overdue")  # fmt: skip
    assert screen.rates.columnCount() == 12

    screen.filter.setCurrentIndex(FILTERS.index("overdue"))
    overdue = [screen.shown[n] for n in range(screen.table.rowCount())]
    assert all(e.follow_up == "overdue" for e in overdue)
    assert all(screen.table.item(n, 5).text() == "Overdue" for n in range(len(overdue)))
    high = {e.patient_id for e in overdue if e.systolic is not None and e.systolic >= 140}
    assert high == want

    screen.register.setCurrentIndex(1)
    assert screen.table.rowCount() == len(screen.summaries[1].overdue)
    screen.filter.setCurrentIndex(FILTERS.index("uncontrolled"))
    assert all(screen.table.item(n, 6).text() == "Not controlled"
               for n in range(screen.table.rowCount()))  # fmt: skip

    opened: list[str] = []
    screen.open_chart.connect(opened.append)
    screen.filter.setCurrentIndex(0)
    screen.on_open(0, 0)
    assert opened == [screen.summaries[1].entries[0].patient_id]

    n = ui.run(screen.export_to(tmp_path / "registers.xlsx"))
    book = load_workbook(tmp_path / "registers.xlsx")
    assert n == sum(len(s.entries) for s in screen.summaries) + 24
    assert book.sheetnames == ["Registers", "Monthly rates"]
