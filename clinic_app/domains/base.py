"""What every domain service holds: its clinic, whose store and recorded writes it uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from clinic_app.changes import Done

if TYPE_CHECKING:
    from clinic_app.clinic import Clinic
    from local_store.store import Store

T = TypeVar("T")


class Domain:
    def __init__(self, clinic: Clinic) -> None:
        self._clinic = clinic

    @property
    def _store(self) -> Store:
        return self._clinic.store

    def _write(self, reason: str, work: Callable[[], T]) -> Done[T]:
        return self._clinic.run(work, reason=reason)
