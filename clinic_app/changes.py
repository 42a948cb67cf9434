"""What an operation changed: the records (type and id) it wrote, and why. Every write of the
core returns one (inside :class:`Done`); the Qt session broadcasts it as the one "records
changed" signal and each screen decides whether to refresh (as Anki's ``OpChanges``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class _Written(Protocol):
    @property
    def rtype(self) -> str: ...

    @property
    def record_id(self) -> str: ...


@dataclass(frozen=True)
class Changes:
    records: frozenset[tuple[str, str]] = frozenset()  # (resource type, id)
    reason: str = ""  # what the user did, for logs and screens ("register patient")

    @classmethod
    def of(cls, written: Iterable[_Written], reason: str = "") -> Changes:
        return cls(frozenset((w.rtype, w.record_id) for w in written), reason)

    @property
    def types(self) -> frozenset[str]:
        return frozenset(rtype for rtype, _ in self.records)

    def ids(self, rtype: str) -> set[str]:
        return {rid for t, rid in self.records if t == rtype}

    def touches(self, *rtypes: str) -> bool:
        """True when any of ``rtypes`` changed (no types given: anything changed)."""
        return bool(self.records) and (not rtypes or bool(self.types & set(rtypes)))

    def __or__(self, other: Changes) -> Changes:
        reason = self.reason if self.reason == other.reason or not other.reason else (
            f"{self.reason}; {other.reason}" if self.reason else other.reason
        )  # fmt: skip
        return Changes(self.records | other.records, reason)

    def __bool__(self) -> bool:
        return bool(self.records)


NOTHING = Changes()


@dataclass(frozen=True)
class Done(Generic[T]):
    """An operation's result and what it changed."""

    value: T
    changes: Changes
