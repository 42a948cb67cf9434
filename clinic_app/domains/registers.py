"""Chronic-disease registers (hypertension, type 2 diabetes): who is due or overdue for
follow-up, who is not controlled, monthly follow-up and control rates
(:mod:`clinic_app.clinical.registers` defines each), and their export."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from clinic_app.clinical import registers
from clinic_app.clinical.registers import PatientRecords, Summary
from clinic_app.domains.base import Domain
from clinic_app.errors import ValidationError
from clinic_app.query import export


def load_records(domain: Domain) -> list[PatientRecords]:
    """Every patient with the records registers and queries read (one pass over the store)."""
    store = domain._clinic.store
    return list(registers.group(store.iter_records(list(registers.RECORD_TYPES))).values())


class Registers(Domain):
    def summaries(self, today: date | None = None, months: int = 12) -> list[Summary]:
        """Both registers today, with the rates of the last ``months`` months."""
        return registers.summarize(load_records(self), today or date.today(), months)

    def summary(self, register: str, today: date | None = None, months: int = 12) -> Summary:
        """One register (``hypertension`` or ``diabetes``) today."""
        if register not in registers.REGISTERS:
            raise ValidationError("register", "Choose hypertension or diabetes.")
        chosen = [s for s in self.summaries(today, months) if s.register == register]
        return chosen[0]

    def export(self, path: Path, fmt: str, lang: str = "en", today: date | None = None,
               register: str | None = None) -> int:  # fmt: skip
        """The registers (or one ``register``) and their monthly rates as ``fmt`` (csv, xlsx,
        txt); rows written."""
        chosen = [self.summary(register, today)] if register else self.summaries(today)
        tables = export.register_tables(chosen, lang)
        n = export.write(path, fmt, tables)
        self._store.audit("export", detail=f"registers {register or 'all'} {fmt} {n} rows")
        return n
