"""The registers screen with real widgets over a real encrypted demo profile: both registers
listed with the overdue, due and uncontrolled patients and twelve months of rates; "Overdue"
with the uncontrolled hypertension patients agrees with the issue's query worked out from the
raw records; the export writes Excel; a double click opens the patient's chart."""

from __future__ import annotations

from datetime import date, timedelta

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


def test_the_diabetes_register_reads_the_hba1c(ui, qtbot):
    """The showcase's HbA1c (8.2 % for one diabetic, 6.6 % for another, taken yesterday) shows
    in the diabetes register's reading column and decides control over the glucose."""
    clinic = ui.session.clinic
    ui.call(demo_data.generate, clinic, 40)
    ui.call(demo_data.add_showcase, clinic)
    screen = RegistersScreen(ui.session)
    qtbot.addWidget(screen)
    screen.resize(1200, 760)
    screen.show()
    ui.until(lambda: len(screen.summaries) == 2, what="the registers")
    screen.register.setCurrentIndex(1)
    diabetes = screen.summaries[1]
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    by_value = {e.hba1c.value: e for e in diabetes.entries if e.hba1c is not None}
    assert by_value[8.2].control == "uncontrolled" and by_value[6.6].control == "controlled"
    rows = {screen.shown[n].patient_id: n for n in range(screen.table.rowCount())}
    for value, control in ((8.2, "Not controlled"), (6.6, "Controlled")):
        row = rows[by_value[value].patient_id]
        assert screen.table.item(row, 6).text() == control
        assert screen.table.item(row, 7).text().startswith(f"HbA1c {value:g} % ({yesterday})")
    assert "HbA1c below 7.0 %" in screen.basis.text()
